package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// The LSP base protocol frames each message as a header block
// (`Content-Length: N`, optionally `Content-Type: …`, a blank line) and a JSON
// body. jsonrpc2's own stream treats any framing or decoding error as the end
// of the connection; wireStream reads frames itself so that no message can
// end or desynchronise the server:
//
//   - The body of a frame is the JSON value after the header: a body that is
//     a complete object or array before its declared length ends the frame
//     there (a Content-Length too large does not swallow the next message).
//   - A body that is not JSON (or not complete within its declared length) is
//     answered with a ParseError (-32700) with id null; valid JSON that is
//     not a request is answered with InvalidRequest (-32600), with the
//     message's id when it has a usable one; a malformed response from the
//     client is dropped. Batches (arrays) are answered with InvalidRequest:
//     the LSP does not use them.
//   - A header block that is not one (a line that is not `Name: value`, no
//     or a bad Content-Length, or two that disagree) is skipped, with
//     whatever follows, up to the next `Content-Length: <digits>` line: the
//     stream resynchronises there. Such a line cannot occur inside a JSON
//     body (JSON strings hold no raw line breaks), so the next real frame is
//     found.
//
//   - A message over maxFrame (64 MiB, whatever the settings) is read
//     through without being kept: a request is answered with
//     InvalidRequest, the user is warned of a notification (a didOpen of
//     a file that large).
//   - A body over largeFrame (1 MiB) is read into a buffer of its own, of
//     its declared length, and is not scanned when its bytes agree with
//     that length (largeBody): a didOpen of a big file costs one buffer.
//
// Every such event is logged. Only the end of the input (or a read error)
// ends the stream.

const (
	// maxHeaderLine bounds a header line; a longer one is garbage.
	maxHeaderLine = 8 << 10
	// maxContentLength bounds a frame's declared length: a larger value is
	// not a length (the header is garbage).
	maxContentLength = 1<<33 - 1
	// maxFrame is the largest message the server reads into memory (64
	// MiB, whatever the settings; editors do not sync larger files to
	// extensions either). A larger one is read through and dropped, with
	// bounded memory: a request is answered with InvalidRequest, and the
	// user is told of a dropped notification (a didOpen or didChange of a
	// file that large).
	maxFrame = 64 << 20
	// droppedKeep is how much of a dropped frame's start is kept, to find
	// its id and method.
	droppedKeep = 4 << 10
	// readChunk is the size of each read from the connection.
	readChunk = 32 << 10
	// resyncKeep is how many trailing bytes a resynchronisation keeps while
	// it discards garbage: enough for a split `Content-Length:` line.
	resyncKeep = 128
)

// largeFrame is the size above which a body is read into a buffer of its
// own, without a scan when its Content-Length is right (largeBody). A
// variable for the fuzz target.
var largeFrame = 1 << 20

// wireStream is a jsonrpc2.Stream over an LSP byte stream that survives
// malformed input (see above). Writes go through jsonrpc2's header stream.
type wireStream struct {
	out jsonrpc2.Stream
	in  frameReader
	log *slog.Logger
}

func newWireStream(rwc io.ReadWriteCloser, log *slog.Logger) *wireStream {
	return &wireStream{out: jsonrpc2.NewHeaderStream(rwc), in: frameReader{r: rwc, log: log}, log: log}
}

// Read returns the next well-formed message, answering or dropping
// malformed ones on the way. Its only errors are the end of the input
// (io.EOF, also when it ends inside a frame) and read errors.
func (w *wireStream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		body, perr, err := w.in.next()
		if err != nil {
			return nil, 0, err
		}
		if perr != nil {
			w.reply(ctx, jsonrpc2.ID{}, perr)
			continue
		}
		if d := w.in.dropped; d != nil {
			w.in.dropped = nil
			w.tooLarge(ctx, d)
			continue
		}
		msg, err := jsonrpc2.DecodeMessage(body)
		if err != nil && w.in.unscanned {
			// A large body taken whole on its Content-Length: scan it
			// as a small one would be (it may end early or not be JSON).
			perr, body = w.in.retry(body)
			if perr != nil {
				w.reply(ctx, jsonrpc2.ID{}, perr)
				continue
			}
			msg, err = jsonrpc2.DecodeMessage(body)
		}
		if err == nil {
			return msg, int64(len(body)), nil
		}
		w.invalid(ctx, body, err)
	}
}

// tooLarge answers a message over maxFrame: an error for a request, a
// warning to the user for a notification.
func (w *wireStream) tooLarge(ctx context.Context, d *droppedFrame) {
	id, method := d.idAndMethod()
	what := fmt.Sprintf("a message of %.1f MB, over the limit of %d MiB", float64(d.size)/1e6, maxFrame>>20)
	if id.IsValid() {
		w.reply(ctx, id, jsonrpc2.NewError(jsonrpc2.InvalidRequest, what+": not read"))
		return
	}
	if method == "" || strings.HasPrefix(method, "$/") {
		return // a response, or an optional notification
	}
	params, err := protocol.Marshal(&protocol.ShowMessageParams{Type: protocol.MessageTypeWarning,
		Message: fmt.Sprintf("konfig-lsp ignored %s (%s): a file that large is not supported.", method, what)})
	if err == nil {
		_, err = w.out.Write(ctx, jsonrpc2.NewNotification(protocol.MethodWindowShowMessage, params))
	}
	if err != nil {
		w.log.Warn("lsp wire: telling the user of a dropped message", "error", err)
	}
}

// invalid answers (or drops) a frame holding JSON that jsonrpc2 does not
// take as a message.
func (w *wireStream) invalid(ctx context.Context, body []byte, derr error) {
	if i := skipJSONSpace(body, 0); i < len(body) && body[i] == '[' {
		w.log.Warn("lsp wire: batch message refused (the LSP does not use batches)", "bytes", len(body))
		w.reply(ctx, jsonrpc2.ID{}, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "batch messages are not supported"))
		return
	}
	if !json.Valid(body) {
		w.log.Warn("lsp wire: message is not JSON", "error", derr, "sample", sample(body))
		w.reply(ctx, jsonrpc2.ID{}, jsonrpc2.NewError(jsonrpc2.ParseError, "message is not valid JSON"))
		return
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		w.log.Warn("lsp wire: message is not an object", "sample", sample(body))
		w.reply(ctx, jsonrpc2.ID{}, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "a message must be a JSON object"))
		return
	}
	if _, isRequest := probe["method"]; !isRequest {
		w.log.Warn("lsp wire: dropped a malformed response", "error", derr, "sample", sample(body))
		return
	}
	id := requestID(probe["id"])
	w.log.Warn("lsp wire: invalid request", "error", derr, "id", id, "sample", sample(body))
	w.reply(ctx, id, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "invalid request: "+derr.Error()))
}

// requestID returns the id of a raw JSON-RPC id when it is an integer or a
// string, else the null id.
func requestID(raw json.RawMessage) jsonrpc2.ID {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return jsonrpc2.ID{}
	}
	switch v := v.(type) {
	case string:
		return jsonrpc2.NewStringID(v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return jsonrpc2.NewNumberID(n)
		}
	}
	return jsonrpc2.ID{}
}

func (w *wireStream) reply(ctx context.Context, id jsonrpc2.ID, e *jsonrpc2.Error) {
	if _, err := w.out.Write(ctx, jsonrpc2.NewResponse(id, nil, e)); err != nil {
		w.log.Warn("lsp wire: writing an error response", "error", err)
	}
}

// Write implements jsonrpc2.Stream.
func (w *wireStream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	return w.out.Write(ctx, msg)
}

// Close implements jsonrpc2.Stream.
func (w *wireStream) Close() error { return w.out.Close() }

// frameReader splits an LSP byte stream into frame bodies.
type frameReader struct {
	r   io.Reader
	log *slog.Logger
	buf []byte // read and not consumed
	err error  // the read error that ends the input, once seen
	// resync: the bytes at the front are garbage; skip to the next header.
	resync bool
	// unscanned: the last body was not scanned (largeBody); if it is not a
	// message, retry it.
	unscanned bool
	// dropped: the last frame was over maxFrame, read through (drop).
	dropped *droppedFrame
}

// fill reads more input into buf; it reports false when there is no more.
func (f *frameReader) fill() bool {
	if f.err != nil {
		return false
	}
	if cap(f.buf)-len(f.buf) < readChunk {
		nb := make([]byte, len(f.buf), 2*len(f.buf)+readChunk)
		copy(nb, f.buf)
		f.buf = nb
	}
	n, err := f.r.Read(f.buf[len(f.buf):cap(f.buf)])
	f.buf = f.buf[:len(f.buf)+n]
	if err != nil {
		f.err = err
	}
	return n > 0 || err == nil
}

// end returns the error ending the input: io.EOF for its end.
func (f *frameReader) end() error {
	if f.err == nil || errors.Is(f.err, io.EOF) {
		return io.EOF
	}
	return f.err
}

// next returns the body of the next frame, or the parse error to answer for
// a frame whose body is not JSON, or the error ending the input.
func (f *frameReader) next() (body []byte, perr *jsonrpc2.Error, err error) {
	for {
		if f.resync && !f.skipToHeader() {
			return nil, nil, f.end()
		}
		f.resync = false
		n, garbage, err := f.header()
		if err != nil {
			return nil, nil, err
		}
		if garbage != "" {
			f.log.Warn("lsp wire: not a message header, skipping to the next one", "reason", garbage, "sample", sample(f.buf))
			f.buf = f.buf[1:]
			f.resync = true
			continue
		}
		if n > maxFrame {
			return f.drop(n)
		}
		return f.body(n)
	}
}

// drop reads through a body over maxFrame without keeping it (but for its
// start), as small does: it ends where its JSON ends, or is answered as
// not JSON. A complete one is answered by Read from dropped.
func (f *frameReader) drop(n int) ([]byte, *jsonrpc2.Error, error) {
	f.unscanned = false
	sc := jsonScanner{broken: -1}
	var head []byte
	i := 0 // bytes of the body consumed
	for {
		j := 0
		for ; j < len(f.buf) && i+j < n && !sc.done && sc.broken < 0; j++ {
			sc.step(f.buf[j], i+j)
		}
		if len(head) < droppedKeep {
			head = append(head, f.buf[:min(j, droppedKeep-len(head))]...)
		}
		f.buf = f.buf[j:]
		i += j
		switch {
		case sc.done:
			f.dropped = &droppedFrame{size: n, head: head}
			f.log.Warn("lsp wire: message over the size limit dropped", "contentLength", n, "limit", maxFrame, "sample", sample(head))
			return nil, nil, nil
		case sc.broken >= 0 || i == n:
			f.log.Warn("lsp wire: message over the size limit is not JSON, skipping to the next header", "contentLength", n, "sample", sample(head))
			f.resync = true
			return nil, jsonrpc2.NewError(jsonrpc2.ParseError, "message body is not JSON"), nil
		}
		if !f.fill() {
			f.log.Warn("lsp wire: input ended inside a message body", "contentLength", n, "read", i)
			f.buf = nil
			return nil, nil, f.end()
		}
	}
}

// droppedFrame is a message over maxFrame, read through: its size and
// first bytes.
type droppedFrame struct {
	size int
	head []byte
}

// idAndMethod reads the id and method of a message from its first bytes,
// when they come before its params (as editors write them).
func (d *droppedFrame) idAndMethod() (id jsonrpc2.ID, method string) {
	r := &jsonReader{b: d.head}
	_ = r.object(func(key string) error {
		switch key {
		case "id":
			start := r.i
			if err := r.skip(); err != nil {
				return err
			}
			id = requestID(r.b[start:r.i])
			return nil
		case "method":
			m, err := r.str()
			method = m
			return err
		}
		return r.skip()
	})
	return id, method
}

// header reads a header block at the front of buf (after blank space left
// between frames) and consumes it. It returns the declared length, or why
// the bytes are not a header (consuming nothing), or the end of input.
func (f *frameReader) header() (length int, garbage string, err error) {
	for {
		i := skipJSONSpace(f.buf, 0)
		f.buf = f.buf[i:]
		if len(f.buf) > 0 {
			break
		}
		if !f.fill() {
			return 0, "", f.end()
		}
	}
	length = -1
	pos := 0
	for {
		nl := bytes.IndexByte(f.buf[pos:], '\n')
		if nl < 0 {
			if len(f.buf)-pos > maxHeaderLine {
				return 0, "header line too long", nil
			}
			if !f.fill() {
				f.log.Warn("lsp wire: input ended inside a header", "sample", sample(f.buf))
				f.buf = nil
				return 0, "", f.end()
			}
			continue
		}
		line := bytes.TrimSuffix(f.buf[pos:pos+nl], []byte("\r"))
		pos += nl + 1
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !isToken(name) {
			return 0, fmt.Sprintf("%q is not a header field", sample(line)), nil
		}
		if !bytes.EqualFold(name, []byte("Content-Length")) {
			continue // Content-Type and unknown fields
		}
		n, ok := parseLength(bytes.TrimSpace(value))
		switch {
		case !ok:
			return 0, fmt.Sprintf("bad Content-Length %q", sample(value)), nil
		case length >= 0 && n != length:
			return 0, "two different Content-Length fields", nil
		}
		length = n
	}
	if length < 0 {
		return 0, "header without Content-Length", nil
	}
	f.buf = f.buf[pos:]
	return length, "", nil
}

// body reads a body of declared length n at the front of buf. A body that
// is not a complete JSON object or array within n bytes is answered with a
// parse error, and the stream resynchronises from the body's start (a
// header that a broken body ran into is found again).
func (f *frameReader) body(n int) ([]byte, *jsonrpc2.Error, error) {
	if n > largeFrame {
		return f.largeBody(n)
	}
	return f.small(n)
}

// small reads a body through the read buffer, scanning it byte by byte.
func (f *frameReader) small(n int) ([]byte, *jsonrpc2.Error, error) {
	f.unscanned = false
	sc := jsonScanner{broken: -1}
	i := 0
	for {
		for ; i < len(f.buf) && i < n && !sc.done && sc.broken < 0; i++ {
			sc.step(f.buf[i], i)
		}
		switch {
		case sc.done:
			body := bytes.Clone(f.buf[:i])
			if j := skipJSONSpace(f.buf[:min(n, len(f.buf))], i); j < min(n, len(f.buf)) {
				f.log.Warn("lsp wire: message shorter than its Content-Length; the next one starts after it", "contentLength", n, "length", i)
			}
			f.buf = f.buf[i:]
			return body, nil, nil
		case sc.broken >= 0:
			f.log.Warn("lsp wire: message body is not JSON, skipping to the next header", "contentLength", n, "at", sc.broken, "sample", sample(f.buf[:min(n, len(f.buf))]))
			f.resync = true
			return nil, jsonrpc2.NewError(jsonrpc2.ParseError, "message body is not JSON"), nil
		case i == n:
			f.log.Warn("lsp wire: message body incomplete at its Content-Length, skipping to the next header", "contentLength", n, "sample", sample(f.buf[:n]))
			f.resync = true
			return nil, jsonrpc2.NewError(jsonrpc2.ParseError, "message body is not complete JSON"), nil
		}
		if !f.fill() {
			f.log.Warn("lsp wire: input ended inside a message body", "contentLength", n, "read", len(f.buf))
			f.buf = nil
			return nil, nil, f.end()
		}
	}
}

// largeBody reads a large body (a didOpen of a big file) into a buffer of
// its own, of exactly its declared length, read into directly: no growing
// of the read buffer and no copy. The JSON scan that finds where a body
// ends is skipped while the bytes read so far cannot be a complete value
// (they do not end with } or ]): a body whose Content-Length is right is
// then never scanned here, and one that is too large is still cut where its
// JSON ends. A complete body that ends early or is not JSON goes back to
// the front of the read buffer and through the byte-by-byte path, which
// finds and reports the same as for a small frame.
func (f *frameReader) largeBody(n int) ([]byte, *jsonrpc2.Error, error) {
	body := make([]byte, n)
	k := copy(body, f.buf)
	f.buf = f.buf[k:]
	sc := jsonScanner{broken: -1}
	scanned := 0
	for k < n {
		if last := lastNonSpace(body[:k]); last == '}' || last == ']' {
			for ; scanned < k && !sc.done && sc.broken < 0; scanned++ {
				sc.step(body[scanned], scanned)
			}
			if sc.done || sc.broken >= 0 {
				break
			}
		}
		if f.err != nil {
			f.log.Warn("lsp wire: input ended inside a message body", "contentLength", n, "read", k)
			f.buf = nil
			return nil, nil, f.end()
		}
		m, err := f.r.Read(body[k:])
		k += m
		if err != nil {
			f.err = err
		}
	}
	if k == n && !sc.done && sc.broken < 0 {
		if first := skipJSONSpace(body, 0); first < n && body[first] == '{' && lastNonSpace(body) == '}' {
			f.unscanned = true
			return body, nil, nil // Content-Length and body agree, as far as can be told without a scan
		}
	}
	f.unread(body[:k])
	return f.small(n)
}

// unread puts b back at the front of the read buffer.
func (f *frameReader) unread(b []byte) {
	nb := make([]byte, 0, len(b)+len(f.buf)+readChunk)
	nb = append(nb, b...)
	f.buf = append(nb, f.buf...)
}

// retry is called when a body that largeBody returned unscanned is not a
// message: it goes back through the byte-by-byte path, which cuts it where
// its JSON ends or reports it as not JSON.
func (f *frameReader) retry(body []byte) (*jsonrpc2.Error, []byte) {
	f.unread(body)
	b, perr, _ := f.small(len(body))
	return perr, b
}

func lastNonSpace(b []byte) byte {
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return b[i]
		}
	}
	return 0
}

// skipToHeader discards bytes up to the next `Content-Length: <digits>` line
// (any case), reporting false if the input ends first.
func (f *frameReader) skipToHeader() bool {
	skipped := 0
	for {
		i := 0
		for ; i < len(f.buf); i++ {
			match, more := headerAt(f.buf[i:])
			if match {
				f.buf = f.buf[i:]
				f.log.Warn("lsp wire: resynchronised on the next header", "skipped", skipped+i)
				return true
			}
			if more {
				break // a possible header cut by the end of what was read
			}
		}
		skipped += i
		f.buf = f.buf[i:]
		if len(f.buf) > resyncKeep { // not a header after all: cannot happen, bounds memory anyway
			skipped += len(f.buf) - resyncKeep
			f.buf = f.buf[len(f.buf)-resyncKeep:]
		}
		if !f.fill() {
			f.log.Warn("lsp wire: input ended while skipping to a header", "skipped", skipped+len(f.buf))
			f.buf = nil
			return false
		}
	}
}

// headerAt reports whether b starts with a `Content-Length:` line: optional
// blanks, digits, then LF or CRLF; more is true when b is too short to tell.
func headerAt(b []byte) (match, more bool) {
	const name = "content-length:"
	for i := 0; i < len(name); i++ {
		if i == len(b) {
			return false, true
		}
		if lower(b[i]) != name[i] {
			return false, false
		}
	}
	i := len(name)
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') && i < len(name)+32 {
		i++
	}
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && digits < 12 {
		i++
		digits++
	}
	switch {
	case i == len(b):
		return false, true
	case digits == 0:
		return false, false
	case b[i] == '\n':
		return true, false
	case b[i] == '\r':
		if i+1 == len(b) {
			return false, true
		}
		return b[i+1] == '\n', false
	}
	return false, false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isToken reports whether b is a header field name (RFC 7230 token).
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseLength parses a Content-Length value: 1 to maxContentLength.
func parseLength(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 { // an int of 10 digits does not overflow
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n > 0 && n <= maxContentLength
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// sample is the start of b, for logs.
func sample(b []byte) string {
	const n = 64
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// jsonScanner finds where the JSON object or array at the start of a body
// ends, one byte at a time, without validating it (json.Unmarshal does):
// it tracks strings and nesting, and stops at a byte no JSON text holds
// there (a raw control character in a string, a letter outside true, false
// and null, a first byte other than { or [, …) — where a cut message runs
// into the next header.
type jsonScanner struct {
	started bool // the value's first byte ({ or [) was seen
	done    bool // the value ended: the last byte stepped closed it
	broken  int  // offset of a byte that cannot be JSON, or -1
	depth   int
	inStr   bool
	escape  bool
}

func (s *jsonScanner) step(c byte, off int) {
	if !s.started {
		switch c {
		case ' ', '\t', '\r', '\n':
		case '{', '[':
			s.started = true
			s.depth = 1
		default:
			s.broken = off // a message is an object
		}
		return
	}
	if s.inStr {
		switch {
		case s.escape:
			s.escape = false
		case c == '\\':
			s.escape = true
		case c == '"':
			s.inStr = false
		case c < 0x20:
			s.broken = off
		}
		return
	}
	switch c {
	case '"':
		s.inStr = true
	case '{', '[':
		s.depth++
	case '}', ']':
		s.depth--
		if s.depth == 0 {
			s.done = true
		}
	case ' ', '\t', '\r', '\n', ',', ':', '-', '+', '.', 'e', 'E', 't', 'r', 'u', 'f', 'a', 'l', 's', 'n',
		'0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		s.broken = off
	}
}
