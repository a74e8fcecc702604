package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/uri"
)

// wireMsg is a message the server wrote, decoded loosely.
type wireMsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// rawSession is a server driven byte by byte: tests write raw bytes to its
// input and read the frames it writes.
type rawSession struct {
	t      *testing.T
	in     *io.PipeWriter
	msgs   chan wireMsg
	done   chan error // Serve's result
	server *server
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type pipeRWC struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p pipeRWC) Close() error {
	for _, c := range p.closers {
		c.Close()
	}
	return nil
}

// startRaw starts a server on pipes; it is not initialized.
func startRaw(t *testing.T) *rawSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	logs := &syncBuffer{}
	r := &rawSession{t: t, in: inW, msgs: make(chan wireMsg, 1024), done: make(chan error, 1), logs: logs}
	ready := make(chan struct{})
	opts := Options{
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Debounce: time.Hour, // no background diagnostics runs
		onServer: func(s *server) { r.server = s; close(ready) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		err := Serve(ctx, pipeRWC{inR, outW, []io.Closer{inR, outW}}, opts)
		outW.Close()
		r.done <- err
	}()
	go func() {
		defer close(r.msgs)
		br := bufio.NewReader(outR)
		for {
			body, err := readTestFrame(br)
			if err != nil {
				return
			}
			var m wireMsg
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("server wrote a frame that is not JSON: %q", body)
				return
			}
			r.msgs <- m
		}
	}()
	<-ready
	t.Cleanup(func() {
		cancel()
		inW.Close()
		outR.Close()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return r
}

// readTestFrame reads one strictly well-formed frame.
func readTestFrame(br *bufio.Reader) ([]byte, error) {
	n := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, err = strconv.Atoi(v)
			if err != nil {
				return nil, err
			}
		}
	}
	if n < 0 {
		return nil, errors.New("no Content-Length")
	}
	body := make([]byte, n)
	_, err := io.ReadFull(br, body)
	return body, err
}

func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

func (r *rawSession) write(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, s); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *rawSession) send(body string) { r.t.Helper(); r.write(frame(body)) }

// next returns the next message the server wrote that satisfies keep.
func (r *rawSession) next(keep func(wireMsg) bool) wireMsg {
	r.t.Helper()
	deadline := time.After(30 * time.Second) // a guard against hangs
	for {
		select {
		case m, ok := <-r.msgs:
			if !ok {
				r.t.Fatal("the server's output ended")
			}
			if keep(m) {
				return m
			}
		case <-deadline:
			r.t.Fatal("no message from the server")
		}
	}
}

// response returns the next response (skipping notifications).
func (r *rawSession) response() wireMsg {
	r.t.Helper()
	return r.next(func(m wireMsg) bool { return m.Method == "" })
}

// call sends a request and returns its response.
func (r *rawSession) call(id, method, params string) wireMsg {
	r.t.Helper()
	r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q,"params":%s}`, id, method, params))
	m := r.response()
	if string(m.ID) != id {
		r.t.Fatalf("response id %s, want %s (%+v)", m.ID, id, m)
	}
	return m
}

func (r *rawSession) initialize() {
	r.t.Helper()
	if m := r.call(`0`, "initialize", `{"capabilities":{}}`); m.Error != nil {
		r.t.Fatalf("initialize: %+v", m.Error)
	}
	r.send(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)
}

// alive checks that the server still answers, in order: a shutdown request
// (cheap, and its answer is a plain null result).
func (r *rawSession) alive() {
	r.t.Helper()
	if m := r.call(`"probe"`, "shutdown", `null`); m.Error != nil || string(m.Result) != "null" {
		r.t.Fatalf("probe: %+v", m)
	}
}

func code(m wireMsg) int {
	if m.Error == nil {
		return 0
	}
	return m.Error.Code
}

// TestWireMalformedInput writes malformed bytes to a running server: each
// case is answered with the given responses (id and code; nothing when
// none), and the server then answers a following request.
func TestWireMalformedInput(t *testing.T) {
	type resp struct {
		id   string
		code int
	}
	req := `{"jsonrpc":"2.0","id":10,"method":"textDocument/foldingRange","params":{"textDocument":{"uri":"file:///nowhere/x.k"}}}`
	for _, tc := range []struct {
		name  string
		bytes string
		want  []resp
	}{
		{"cancel with null id", frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":null}}`), nil},
		{"cancel without id", frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{}}`), nil},
		{"cancel without params", frame(`{"jsonrpc":"2.0","method":"$/cancelRequest"}`), nil},
		{"cancel with object id", frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":{"a":1}}}`), nil},
		{"cancel with fractional id", frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1.5}}`), nil},
		{"cancel of unknown id", frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":424242}}`), nil},
		{"cancel with params not an object", frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":[1]}`), nil},
		{"body not JSON", frame(`{"jsonrpc":"2.0","id":3,"method":`), []resp{{"null", -32700}}},
		{"body garbage", frame(`hello there`), []resp{{"null", -32700}}},
		{"structurally complete, not JSON", frame(`{"jsonrpc" "2.0"}`), []resp{{"null", -32700}}},
		{"scalar body", frame(`42`), []resp{{"null", -32700}}},
		{"header in place of a body", "Content-Length: 100000\r\n\r\n" + frame(req), []resp{{"null", -32700}, {"10", -32803}}},
		{"header inside a broken string", "Content-Length: 100000\r\n\r\n{\"a\":\"" + frame(req), []resp{{"null", -32700}, {"10", -32803}}},
		{"batch", frame(`[` + req + `]`), []resp{{"null", -32600}}},
		{"no jsonrpc member", frame(`{"id":7,"method":"shutdown"}`), []resp{{"7", -32600}}},
		{"method not a string", frame(`{"jsonrpc":"2.0","id":"s","method":5}`), []resp{{`"s"`, -32600}}},
		{"method and result", frame(`{"jsonrpc":"2.0","id":8,"method":"x","result":1}`), []resp{{"8", -32600}}},
		{"malformed response dropped", frame(`{"jsonrpc":"2.0","id":99}`), nil},
		{"response to nothing dropped", frame(`{"jsonrpc":"2.0","id":99,"result":null}`), nil},
		{"Content-Length too large", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(req)+100, req), []resp{{"10", -32803}}},
		{"Content-Length too small", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(req)-10, req), []resp{{"null", -32700}}},
		{"Content-Length not a number", "Content-Length: ten\r\n\r\n" + req, nil},
		{"Content-Length zero", "Content-Length: 0\r\n\r\n" + req, nil},
		{"Content-Length negative", "Content-Length: -5\r\n\r\n" + req, nil},
		{"Content-Length huge", "Content-Length: 99999999999999\r\n\r\n" + req, nil},
		// The block is refused; the second line is a header of its own, and
		// its 3 bytes are not JSON.
		{"two Content-Lengths", fmt.Sprintf("Content-Length: %d\r\nContent-Length: 3\r\n\r\n%s", len(req), req), []resp{{"null", -32700}}},
		{"no Content-Length", "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + req, nil},
		{"garbage lines", "hello\r\nworld\r\n\r\n", nil},
		{"garbage without line break", "xyz", nil},
		{"garbage with a colon", "a: b", nil},
		{"line too long", strings.Repeat("x", maxHeaderLine+10), nil},
		{"blank lines between frames", "\r\n\r\n\n", nil},
		{"LF-only header", fmt.Sprintf("Content-Length: %d\n\n%s", len(req), req), []resp{{"10", -32803}}},
		{"Content-Type and case", fmt.Sprintf("content-length: %d\r\nContent-Type: x\r\n\r\n%s", len(req), req), []resp{{"10", -32803}}},
		{"text mentioning a header", frame(`{"jsonrpc":"2.0","method":"$/x","params":"Content-Length: 5"}`), nil},
		{"cut in a string", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", 30, req), []resp{{"null", -32700}}},
		{"notification with bad params", frame(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":"x"}`), nil},
		{"didChange with bad params", frame(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":5}}`), nil},
		{"unknown notification", frame(`{"jsonrpc":"2.0","method":"$/unknown","params":{}}`), nil},
		{"unknown request", frame(`{"jsonrpc":"2.0","id":11,"method":"konfig/unknown","params":{}}`), []resp{{"11", -32601}}},
		{"request with bad params", frame(`{"jsonrpc":"2.0","id":12,"method":"textDocument/hover","params":"x"}`), []resp{{"12", -1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRaw(t)
			r.initialize()
			r.write(tc.bytes)
			for _, w := range tc.want {
				m := r.response()
				if string(m.ID) != w.id || (w.code != -1 && code(m) != w.code) || (w.code == -1 && m.Error == nil) {
					t.Fatalf("response %s %+v, want id %s code %d", m.ID, m.Error, w.id, w.code)
				}
			}
			r.alive()
		})
	}
}

// TestWireEndOfInput: the input ending (cleanly or inside a frame) ends
// Serve without an error.
func TestWireEndOfInput(t *testing.T) {
	for _, tail := range []string{"", "Content-Length: 50\r\n\r\n{\"jsonrpc\"", "Content-Len", "garbage"} {
		r := startRaw(t)
		r.initialize()
		r.write(tail)
		r.in.Close()
		select {
		case err := <-r.done:
			r.done <- err // for the cleanup
			if err != nil {
				t.Errorf("after %q: Serve = %v, want nil", tail, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("after %q: Serve did not return", tail)
		}
	}
}

// TestWireCancelRunningRequest: a numeric $/cancelRequest reaches a running
// request's context.
func TestWireCancelRunningRequest(t *testing.T) {
	var reg cancelRegistry
	log := slog.New(slog.DiscardHandler)
	for _, id := range []string{`7`, `"seven"`} {
		ctx, done := reg.register(context.Background(), requestID(json.RawMessage(id)))
		reg.cancel([]byte(`{"id":null}`), log)
		reg.cancel([]byte(`{"id":8}`), log)
		if ctx.Err() != nil {
			t.Fatalf("%s: cancelled by another id", id)
		}
		reg.cancel([]byte(`{"id":`+id+`}`), log)
		if ctx.Err() == nil {
			t.Fatalf("%s: not cancelled", id)
		}
		done()
	}
}

// TestLifecycle follows the LSP lifecycle over the wire.
func TestLifecycle(t *testing.T) {
	u := "file:///tmp/lifecycle/a.k"
	t.Run("before initialize", func(t *testing.T) {
		r := startRaw(t)
		if m := r.call(`1`, "textDocument/hover", `{"textDocument":{"uri":"`+u+`"},"position":{"line":0,"character":0}}`); code(m) != -32002 {
			t.Fatalf("hover before initialize: %+v, want -32002", m.Error)
		}
		if m := r.call(`2`, "shutdown", `null`); code(m) != -32002 {
			t.Fatalf("shutdown before initialize: %+v, want -32002", m.Error)
		}
		// Dropped: the document is not open after initialize.
		r.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"` + u + `","languageId":"kcl","version":1,"text":"a = 1"}}}`)
		r.initialize()
		if d := r.server.session.snapshot().docs; len(d) != 0 {
			t.Fatalf("a didOpen before initialize was applied: %v", d)
		}
		if m := r.call(`3`, "initialize", `{"capabilities":{}}`); code(m) != -32600 {
			t.Fatalf("second initialize: %+v, want -32600", m.Error)
		}
		r.alive()
	})
	t.Run("after shutdown", func(t *testing.T) {
		r := startRaw(t)
		r.initialize()
		r.alive() // shutdown
		if m := r.call(`4`, "textDocument/hover", `{"textDocument":{"uri":"`+u+`"},"position":{"line":0,"character":0}}`); code(m) != -32600 {
			t.Fatalf("hover after shutdown: %+v, want -32600", m.Error)
		}
		if m := r.call(`5`, "shutdown", `null`); code(m) != -32600 {
			t.Fatalf("second shutdown: %+v, want -32600", m.Error)
		}
		r.send(`{"jsonrpc":"2.0","method":"exit"}`)
		if err := <-r.done; err != nil {
			t.Fatalf("exit after shutdown: Serve = %v, want nil", err)
		}
		r.done <- nil
	})
	for _, before := range []string{"", "initialize"} {
		t.Run("exit without shutdown after "+before, func(t *testing.T) {
			r := startRaw(t)
			if before != "" {
				r.initialize()
			}
			r.send(`{"jsonrpc":"2.0","method":"exit"}`)
			err := <-r.done
			r.done <- err
			if !errors.Is(err, ErrExitWithoutShutdown) {
				t.Fatalf("Serve = %v, want ErrExitWithoutShutdown", err)
			}
		})
	}
}

// TestDidChangeRejected sends didChange notifications that cannot apply:
// the text stays, the client is warned once and the document's diagnostics
// are withdrawn, requests about it answer ContentModified, later incremental
// changes are ignored, and a whole-document change brings it back.
func TestDidChangeRejected(t *testing.T) {
	const src = "a = 1\r\nb = 2\rc = 3\n"
	u := string(uri.File("/tmp/konfig-proto/a.k"))
	td := func(version int) string { return fmt.Sprintf(`{"uri":%q,"version":%d}`, u, version) }
	for _, tc := range []struct{ name, changes string }{
		{"line past the end", `[{"range":{"start":{"line":9,"character":0},"end":{"line":9,"character":0}},"text":"x"}]`},
		{"character past the line", `[{"range":{"start":{"line":1,"character":6},"end":{"line":1,"character":6}},"text":"x"}]`},
		{"start after end", `[{"range":{"start":{"line":1,"character":3},"end":{"line":0,"character":0}},"text":"x"}]`},
		{"negative line", `[{"range":{"start":{"line":-1,"character":0},"end":{"line":0,"character":0}},"text":"x"}]`},
		{"fractional character", `[{"range":{"start":{"line":0,"character":0.5},"end":{"line":0,"character":1}},"text":"x"}]`},
		{"missing end", `[{"range":{"start":{"line":0,"character":0}},"text":"x"}]`},
		{"null range", `[{"range":null,"text":"x"}]`},
		{"range not an object", `[{"range":"0:0","text":"x"}]`},
		{"no text", `[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}}}]`},
		{"second change bad", `[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"text":"ok"},{"range":{"start":{"line":0,"character":99},"end":{"line":0,"character":99}},"text":"x"}]`},
		{"version backwards", `[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"text":"x"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRaw(t)
			r.initialize()
			r.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"` + u + `","languageId":"kcl","version":5,"text":` + strconv.Quote(src) + `}}}`)
			version := 6
			if tc.name == "version backwards" {
				version = 4
			}
			r.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":` + td(version) + `,"contentChanges":` + tc.changes + `}}`)
			// The diagnostics withdrawn, then the warning.
			r.next(func(m wireMsg) bool {
				return m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), `"diagnostics":[]`)
			})
			warn := r.next(func(m wireMsg) bool { return m.Method == "window/showMessage" })
			if !strings.Contains(string(warn.Params), "reopen the file") {
				t.Errorf("warning %s", warn.Params)
			}
			hover := `{"textDocument":{"uri":"` + u + `"},"position":{"line":0,"character":0}}`
			if m := r.call(`20`, "textDocument/hover", hover); code(m) != -32801 {
				t.Fatalf("hover on an out-of-sync document: %+v, want -32801", m.Error)
			}
			// Ignored while out of sync.
			r.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":` + td(7) + `,"contentChanges":[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"text":"y"}]}}`)
			r.call(`21`, "textDocument/hover", hover)
			if got := r.server.session.snapshot().docs[uriMustPath(t, u)].text.src; got != src {
				t.Fatalf("text changed to %q", got)
			}
			// Back in sync with the whole text.
			r.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":` + td(8) + `,"contentChanges":[{"text":"z = 1\n"}]}}`)
			if m := r.call(`22`, "textDocument/hover", hover); code(m) == -32801 {
				t.Fatalf("hover after resync: %+v", m.Error)
			}
			if got := r.server.session.snapshot().docs[uriMustPath(t, u)].text.src; got != "z = 1\n" {
				t.Fatalf("text after resync %q", got)
			}
			r.alive()
		})
	}
}

func uriMustPath(t *testing.T, u string) string {
	t.Helper()
	p, err := uriPath(uri.URI(u))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDidChangeCRLineBreaks: incremental edits address lines broken by CR,
// LF and CRLF alike.
func TestDidChangeCRLineBreaks(t *testing.T) {
	u := string(uri.File("/tmp/konfig-proto/b.k"))
	r := startRaw(t)
	r.initialize()
	r.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"` + u + `","languageId":"kcl","version":1,"text":"a = 1\rb = 2\r\nc = 3\n"}}}`)
	r.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"` + u + `","version":2},"contentChanges":[` +
		`{"range":{"start":{"line":1,"character":4},"end":{"line":1,"character":5}},"text":"20"},` +
		`{"range":{"start":{"line":2,"character":0},"end":{"line":2,"character":1}},"text":"cc"}]}}`)
	r.alive()
	if got, want := r.server.session.snapshot().docs[uriMustPath(t, u)].text.src, "a = 1\rb = 20\r\ncc = 3\n"; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
}

// TestLifecycleStates walks the lifecycle state machine: each step is a
// request (its error code, 0 for served) or a notification (handled or not),
// and the exit status at the end.
func TestLifecycleStates(t *testing.T) {
	type step struct {
		method string
		call   bool
		want   int // call: error code; notification: 1 handled, 0 dropped
	}
	for _, tc := range []struct {
		name    string
		steps   []step
		initErr bool
		exitErr error
	}{
		{"clean", []step{{"initialize", true, 0}, {"initialized", false, 1}, {"shutdown", true, 0}, {"exit", false, 1}}, false, nil},
		{"exit twice after shutdown", []step{{"initialize", true, 0}, {"shutdown", true, 0}, {"exit", false, 1}, {"exit", false, 1}}, false, nil},
		{"exit without shutdown", []step{{"initialize", true, 0}, {"exit", false, 1}}, false, ErrExitWithoutShutdown},
		{"exit first", []step{{"exit", false, 1}, {"shutdown", true, -32600}}, false, ErrExitWithoutShutdown},
		{"before initialize", []step{{"textDocument/hover", true, -32002}, {"textDocument/didOpen", false, 0}, {"initialize", true, 0}, {"initialize", true, -32600}}, false, nil},
		{"failed initialize may be retried", []step{{"initialize", true, 0}, {"textDocument/hover", true, -32002}, {"initialize", true, 0}}, true, nil},
		{"after shutdown", []step{{"initialize", true, 0}, {"shutdown", true, 0}, {"textDocument/hover", true, -32600}, {"shutdown", true, -32600}, {"textDocument/didChange", false, 0}}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l lifecycle
			first := true
			for _, s := range tc.steps {
				if !s.call {
					if got := l.admitNotification(s.method); got != (s.want == 1) {
						t.Fatalf("%s handled %v, want %v", s.method, got, s.want == 1)
					}
					continue
				}
				err := l.admitCall(s.method)
				got := 0
				if err != nil {
					got = int(err.(*jsonrpc2.Error).Code)
				}
				if got != s.want {
					t.Fatalf("%s: code %d, want %d", s.method, got, s.want)
				}
				if s.method == "initialize" && err == nil {
					l.initialized(!(tc.initErr && first))
					first = false
				}
			}
			if err := l.exitErr(); !errors.Is(err, tc.exitErr) || (err == nil) != (tc.exitErr == nil) {
				t.Fatalf("exitErr = %v, want %v", err, tc.exitErr)
			}
		})
	}
}
