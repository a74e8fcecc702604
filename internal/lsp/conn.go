package lsp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// Codec is the payload codec of both ends of a connection (the server's,
// and in-process clients such as tests): it marshals with the protocol
// package's union-aware codec (the default JSON codec cannot decode its
// union types) and lets raw messages pass through. Use it as
// jsonrpc2.WithCodec(lsp.Codec{}).
type Codec struct{}

// Marshal encodes a payload.
func (Codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case jsonrpc2.RawMessage:
		if m == nil {
			return []byte("null"), nil
		}
		return m, nil
	case *jsonrpc2.RawMessage:
		if m == nil || *m == nil {
			return []byte("null"), nil
		}
		return *m, nil
	}
	return protocol.Marshal(v)
}

// Unmarshal decodes from a copy of data: jsonrpc2 lends the frame it reads
// into and reuses it for the next message, and protocol.Unmarshal keeps
// strings that alias its input for some destinations (seen with a slice of
// unions, []CommandOrCodeAction), which the next frame would overwrite.
func (Codec) Unmarshal(data []byte, v any) error {
	owned := bytes.Clone(data)
	if p, ok := v.(*jsonrpc2.RawMessage); ok {
		*p = owned
		return nil
	}
	return protocol.Unmarshal(owned, v)
}

// ConnectClient connects an in-process client (a test's editor) to a server
// over rwc: it is protocol.NewClient with the client's handlers run in wire
// order, as editors do (protocol.NewClient releases every message to run
// concurrently, so $/progress begin, report and end could be recorded out of
// order). Calls to the client (showMessageRequest, workDoneProgress/create,
// …) are released to run concurrently, which keeps their contexts valid for
// jsonrpc2's cancellation machinery. It returns the context carrying the
// client, the connection and the server to call.
func ConnectClient(ctx context.Context, c protocol.Client, rwc io.ReadWriteCloser) (context.Context, jsonrpc2.Conn, protocol.Server) {
	conn := jsonrpc2.NewConn(jsonrpc2.NewHeaderStream(rwc), jsonrpc2.WithCodec(Codec{}))
	dispatch := protocol.ClientHandler(c, jsonrpc2.MethodNotFoundHandler)
	conn.Go(ctx, protocol.CancelHandler(func(ctx context.Context, req *jsonrpc2.Request) (any, error) {
		if req.IsCall() {
			jsonrpc2.Async(ctx)
		}
		return dispatch(ctx, req)
	}))
	return protocol.WithClient(ctx, c), conn, protocol.ServerDispatcher(conn)
}

// Serve speaks LSP over rwc until the client exits, the stream closes or ctx
// is cancelled. Notifications are handled in wire order on the read loop;
// requests are released to run concurrently on the snapshot current when
// they arrive; `$/cancelRequest` cancels a running request's context; a
// panic in a handler is logged and answered with an error.
func Serve(ctx context.Context, rwc io.ReadWriteCloser, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn := jsonrpc2.NewConn(jsonrpc2.NewHeaderStream(rwc), jsonrpc2.WithCodec(Codec{}))
	client := protocol.ClientDispatcher(conn)
	s := newServer(client, opts, cancel)
	if opts.onServer != nil {
		opts.onServer(s)
	}
	defer s.close()
	conn.Go(ctx, handler(s, opts.logger()))
	select {
	case <-ctx.Done():
		conn.Close()
	case <-conn.Done():
	}
	if err := conn.Err(); err != nil && err != io.EOF && ctx.Err() == nil {
		return fmt.Errorf("lsp connection: %w", err)
	}
	return nil
}

// handler builds the message handler chain: cancellation, then ordering
// (notifications inline, requests released), then panic recovery, then the
// protocol dispatch onto s.
func handler(s *server, log *slog.Logger) jsonrpc2.Handler {
	dispatch := protocol.ServerHandler(s, jsonrpc2.MethodNotFoundHandler)
	h := func(ctx context.Context, req *jsonrpc2.Request) (result any, err error) {
		if req.IsCall() {
			// Everything received before this request has been applied
			// (notifications run inline), so the request sees the right
			// snapshot; later messages need not wait for it. Releasing
			// every call also keeps its context valid for as long as the
			// cancellation machinery holds it (a call that is not released
			// is recycled by jsonrpc2 when its handler returns).
			jsonrpc2.Async(ctx)
		}
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in handler", "method", req.Method(), "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("%w: internal error in %s: %v", jsonrpc2.ErrInternal, req.Method(), p)
				result = nil
			}
		}()
		result, err = dispatch(ctx, req)
		if err != nil && !req.IsCall() {
			// A failed notification has no one to answer: log and go on.
			log.Warn("notification failed", "method", req.Method(), "error", err)
			return nil, nil
		}
		return result, err
	}
	return cancelHandler(h)
}

// cancelHandler honours `$/cancelRequest` (numeric and string ids).
func cancelHandler(h jsonrpc2.Handler) jsonrpc2.Handler { return protocol.CancelHandler(h) }
