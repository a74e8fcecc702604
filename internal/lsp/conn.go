package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
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
// panic in a handler is logged and answered with an error. Malformed input
// is answered or dropped, never fatal (wire.go); the lifecycle follows the
// LSP (see the package documentation). It returns ErrExitWithoutShutdown
// when the client sent exit without shutdown (exit status 1).
func Serve(ctx context.Context, rwc io.ReadWriteCloser, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := opts.logger()
	conn := jsonrpc2.NewConn(newWireStream(rwc, log), jsonrpc2.WithCodec(Codec{}))
	s := newServer(nil, opts, cancel)
	s.client = syncClient{Client: protocol.ClientDispatcher(conn), s: s}
	if opts.onServer != nil {
		opts.onServer(s)
	}
	defer s.close()
	conn.Go(ctx, handler(s, log))
	select {
	case <-ctx.Done():
		conn.Close()
	case <-conn.Done():
		log.Info("the client closed the stream")
	}
	if err := s.life.exitErr(); err != nil {
		log.Warn("exit without shutdown: exit status 1")
		return err
	}
	if err := conn.Err(); err != nil && err != io.EOF && ctx.Err() == nil {
		return fmt.Errorf("lsp connection: %w", err)
	}
	return nil
}

// syncClient is the server's client: it holds back the diagnostics of
// documents that are out of sync (their positions would be wrong); an empty
// list, which withdraws diagnostics, always goes through.
type syncClient struct {
	protocol.Client
	s *server
}

func (c syncClient) PublishDiagnostics(ctx context.Context, p *protocol.PublishDiagnosticsParams) error {
	if len(p.Diagnostics) > 0 && c.s.docSync.any() {
		if path, err := uriPath(p.URI); err == nil && c.s.docSync.outOfSync(path) {
			c.s.log.Debug("diagnostics held back: the document is out of sync", "path", path)
			return nil
		}
	}
	return c.Client.PublishDiagnostics(ctx, p)
}

// handler builds the message handler: the lifecycle gate and the special
// notifications on the read loop, in wire order; then, for requests,
// cancellation and release to run concurrently; then panic recovery and the
// protocol dispatch onto s.
func handler(s *server, log *slog.Logger) jsonrpc2.Handler {
	dispatch := protocol.ServerHandler(s, jsonrpc2.MethodNotFoundHandler)
	run := func(ctx context.Context, req *jsonrpc2.Request) (result any, err error) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in handler", "method", req.Method(), "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("%w: internal error in %s: %v", jsonrpc2.ErrInternal, req.Method(), p)
				result = nil
			}
			err = rpcError(ctx, err)
		}()
		return dispatch(ctx, req)
	}
	var cancels cancelRegistry
	notify := func(ctx context.Context, req *jsonrpc2.Request) {
		method := req.Method()
		if !s.life.admitNotification(method) {
			log.Info("notification dropped: not accepted in this lifecycle state", "method", method)
			return
		}
		var err error
		switch method {
		case protocol.MethodCancelRequest:
			cancels.cancel(req.Params(), log)
			return
		case protocol.MethodTextDocumentDidOpen, protocol.MethodTextDocumentDidChange:
			// Decoded by the server itself, from the frame's bytes (no
			// copy): strictly, and the text in one pass.
			err = func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						log.Error("panic in handler", "method", method, "panic", p, "stack", string(debug.Stack()))
						err = fmt.Errorf("internal error: %v", p)
					}
				}()
				if method == protocol.MethodTextDocumentDidOpen {
					return s.didOpenRaw(ctx, req.Params())
				}
				return s.didChangeRaw(ctx, req.Params())
			}()
		default:
			_, err = run(ctx, req)
		}
		if err != nil {
			// A failed notification has no one to answer: log and go on.
			log.Warn("notification failed", "method", method, "error", err)
		}
	}
	return func(ctx context.Context, req *jsonrpc2.Request) (any, error) {
		if !req.IsCall() {
			notify(ctx, req)
			return nil, nil
		}
		method := req.Method()
		if err := s.life.admitCall(method); err != nil {
			log.Info("request refused", "method", method, "error", err)
			return nil, err
		}
		switch method {
		case protocol.MethodInitialize:
			// Inline: nothing else is served before its result.
			result, err := run(ctx, req)
			s.life.initialized(err == nil)
			return result, err
		case protocol.MethodShutdown:
			return run(ctx, req)
		}
		if path, ok := s.outOfSyncTarget(req.Params()); ok {
			return nil, jsonrpc2.NewError(jsonrpc2.Code(protocol.LSPErrorCodesContentModified),
				"the server's copy of "+path+" is out of sync with the editor's: reopen the file")
		}
		ctx, done := cancels.register(ctx, req.ID())
		defer done()
		// Everything received before this request has been applied
		// (notifications run inline): the request takes the current
		// snapshot here, on the read loop, so it sees every message read
		// before it and none read after, however late the goroutine it is
		// released to runs. Releasing every call also keeps its context
		// valid for as long as the cancellation machinery holds it (a call
		// that is not released is recycled by jsonrpc2 when its handler
		// returns).
		ctx = withSnapshot(ctx, s.session.snapshot())
		jsonrpc2.Async(ctx)
		if s.opts.onRequest != nil {
			s.opts.onRequest(method, req.ID())
		}
		return run(ctx, req)
	}
}

// outOfSyncTarget reports whether a request's params name an out-of-sync
// document (textDocument.uri), and its path.
func (s *server) outOfSyncTarget(params []byte) (string, bool) {
	if !s.docSync.any() {
		return "", false
	}
	var p struct {
		TextDocument struct {
			URI string `json:"uri"`
		} `json:"textDocument"`
	}
	if json.Unmarshal(params, &p) != nil || p.TextDocument.URI == "" {
		return "", false
	}
	path, err := uriPath(uri.URI(p.TextDocument.URI))
	if err != nil || !s.docSync.outOfSync(path) {
		return "", false
	}
	return path, true
}

// cancelRegistry holds the cancel functions of running requests by id, for
// `$/cancelRequest`.
type cancelRegistry struct {
	mu      sync.Mutex
	running map[jsonrpc2.ID]*context.CancelFunc
}

// register derives the context of request id; done must be called when the
// request ends.
func (r *cancelRegistry) register(ctx context.Context, id jsonrpc2.ID) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	entry := &cancel
	r.mu.Lock()
	if r.running == nil {
		r.running = map[jsonrpc2.ID]*context.CancelFunc{}
	}
	r.running[id] = entry
	r.mu.Unlock()
	return ctx, func() {
		r.mu.Lock()
		if r.running[id] == entry { // a later request may reuse the id
			delete(r.running, id)
		}
		r.mu.Unlock()
		cancel()
	}
}

// cancel handles `$/cancelRequest` params: an integer or string id of a
// running request cancels it; anything else (null, missing, another type, an
// id not running) is ignored with a log line.
func (r *cancelRegistry) cancel(params []byte, log *slog.Logger) {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(params, &p); err != nil || len(p.ID) == 0 || string(p.ID) == "null" {
		log.Info("$/cancelRequest ignored: no id", "params", sample(params))
		return
	}
	id := requestID(p.ID)
	if !id.IsValid() {
		log.Info("$/cancelRequest ignored: the id is not an integer or a string", "id", sample(p.ID))
		return
	}
	r.mu.Lock()
	cancel := r.running[id]
	r.mu.Unlock()
	if cancel == nil {
		log.Debug("$/cancelRequest ignored: no such request running", "id", sample(p.ID))
		return
	}
	(*cancel)()
}

// rpcError gives an error a standard JSON-RPC/LSP code: errors that carry
// one keep it; a request cancelled by the client is RequestCancelled; any
// other failure of a well-formed request is RequestFailed (never code 0).
func rpcError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var rerr *jsonrpc2.Error
	if errors.As(err, &rerr) {
		return err
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return jsonrpc2.NewError(jsonrpc2.Code(protocol.LSPErrorCodesRequestCancelled), err.Error())
	}
	return jsonrpc2.NewError(jsonrpc2.Code(protocol.LSPErrorCodesRequestFailed), err.Error())
}
