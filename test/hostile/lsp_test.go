//go:build linux

package hostile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// message is one JSON-RPC message the server sent, kept raw so that every
// byte of it can be searched.
type message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
	raw []byte
}

// client is a minimal LSP client over the server's stdio: it frames
// messages, records everything the server sends and answers the server's
// requests (workspace/configuration with the case's settings, null for the
// others).
type client struct {
	settings map[string]any
	in       io.WriteCloser
	writeMu  sync.Mutex
	stderr   *syncBuffer

	mu      sync.Mutex
	msgs    []message
	changed chan struct{} // closed and replaced on every message
	closed  chan struct{} // the server's stdout ended
	readErr error
	nextID  int
}

// syncBuffer collects the server's log; every write wakes the waiters.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	onWrite func()
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	if b.onWrite != nil {
		b.onWrite()
	}
	return n, err
}

// signal wakes the waiters.
func (c *client) signal() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (c *client) send(v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n", len(body)); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	if _, err := c.in.Write(body); err != nil {
		return fmt.Errorf("write body: %w", err)
	}
	return nil
}

func (c *client) notify(method string, params any) error {
	return c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// read records the server's messages until its stdout ends.
func (c *client) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<16)
	err := func() error {
		for {
			length := -1
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return err
				}
				line = strings.TrimRight(line, "\r\n")
				if line == "" {
					break
				}
				if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
					n, err := strconv.Atoi(strings.TrimSpace(v))
					if err != nil {
						return fmt.Errorf("bad Content-Length %q", v)
					}
					length = n
				}
			}
			if length < 0 {
				return errors.New("a message without Content-Length")
			}
			body := make([]byte, length)
			if _, err := io.ReadFull(br, body); err != nil {
				return err
			}
			var m message
			if err := json.Unmarshal(body, &m); err != nil {
				return fmt.Errorf("a message that is not JSON: %w: %q", err, body)
			}
			m.raw = body
			if m.Method != "" && m.ID != nil {
				c.answer(m)
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		}
	}()
	c.mu.Lock()
	if !errors.Is(err, io.EOF) {
		c.readErr = err
	}
	c.mu.Unlock()
	close(c.closed)
}

func (c *client) answer(m message) {
	var result any
	if m.Method == "workspace/configuration" {
		var p struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(m.Params, &p)
		items := make([]any, len(p.Items))
		for i := range items {
			items[i] = c.settings
		}
		result = items
	}
	_ = c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
}

// wait waits until pred holds for the messages so far.
func (c *client) wait(ctx context.Context, pred func([]message) bool) error {
	for {
		c.mu.Lock()
		ok := pred(c.msgs)
		changed := c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-c.closed:
			c.mu.Lock()
			ok, err := pred(c.msgs), c.readErr
			c.mu.Unlock()
			if ok {
				return nil
			}
			if err != nil {
				return fmt.Errorf("the server's output ended: %w", err)
			}
			return errors.New("the server's output ended")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// call sends a request and waits for its response.
func (c *client) call(ctx context.Context, method string, params any) (message, error) {
	c.mu.Lock()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	c.mu.Unlock()
	if err := c.send(map[string]any{"jsonrpc": "2.0", "id": c.nextID, "method": method, "params": params}); err != nil {
		return message{}, err
	}
	var resp message
	err := c.wait(ctx, func(ms []message) bool {
		for _, m := range ms {
			if m.Method == "" && string(m.ID) == id {
				resp = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return message{}, fmt.Errorf("%s: %w", method, err)
	}
	if resp.Error != nil {
		return resp, fmt.Errorf("%s: error %d: %s", method, resp.Error.Code, resp.Error.Message)
	}
	return resp, nil
}

// all returns every message so far and the server's log, as one text.
func (c *client) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, m := range c.msgs {
		b.Write(m.raw)
		b.WriteByte('\n')
	}
	b.WriteString(c.stderr.String())
	return b.String()
}

func fileURI(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

// runServer runs the case through the language server: initialize, open
// the entry file, wait for its diagnostics, hover, wait for the expected
// text, shutdown and exit. It returns everything the server said.
func runServer(t *testing.T, ws *workspace, c *testCase) string {
	t.Helper()
	settings := map[string]any{"trusted": true}
	if c.timeout > 0 {
		settings["evalTimeoutMs"] = c.timeout.Milliseconds()
	}
	maps.Copy(settings, c.settings)

	ctx, cancel := context.WithTimeout(t.Context(), processBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--log-level", "debug")
	cmd.Dir = ws.root
	cmd.Env = ws.env()
	cmd.WaitDelay = 5 * time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cl := &client{settings: settings, in: in, changed: make(chan struct{}), closed: make(chan struct{})}
	cl.stderr = &syncBuffer{onWrite: cl.signal}
	cmd.Stderr = cl.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go cl.read(out)
	go func() {
		<-cl.closed
		exited <- cmd.Wait()
	}()
	fail := func(format string, args ...any) string {
		t.Helper()
		t.Errorf(format, args...)
		_ = cmd.Process.Kill()
		<-exited
		t.Logf("server log:\n%s", tail(cl.stderr.String()))
		return cl.all()
	}

	start := time.Now()
	rootURI := fileURI(ws.root)
	if _, err := cl.call(ctx, "initialize", map[string]any{
		"processId":             os.Getpid(),
		"rootUri":               rootURI,
		"workspaceFolders":      []any{map[string]any{"uri": rootURI, "name": "ws"}},
		"initializationOptions": settings,
		"capabilities": map[string]any{
			"workspace":    map[string]any{"configuration": true, "workspaceFolders": true},
			"textDocument": map[string]any{"hover": map[string]any{"contentFormat": []string{"markdown", "plaintext"}}, "publishDiagnostics": map[string]any{}},
			"window":       map[string]any{"workDoneProgress": true},
		},
	}); err != nil {
		return fail("%v", err)
	}
	if err := cl.notify("initialized", map[string]any{}); err != nil {
		return fail("initialized: %v", err)
	}
	openPath := filepath.Join(ws.root, filepath.FromSlash(c.open))
	text, err := os.ReadFile(openPath)
	if err != nil {
		return fail("%v", err)
	}
	openURI := fileURI(openPath)
	if err := cl.notify("textDocument/didOpen", map[string]any{
		"textDocument": map[string]any{"uri": openURI, "languageId": "kcl", "version": 1, "text": string(text)},
	}); err != nil {
		return fail("didOpen: %v", err)
	}
	if err := cl.wait(ctx, func(ms []message) bool {
		for _, m := range ms {
			if m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), strconv.Quote(openURI)) {
				return true
			}
		}
		return false
	}); err != nil {
		return fail("no diagnostics for %s: %v", c.open, err)
	}
	line, char := position(string(text), c.hover)
	hoverStart := time.Now()
	if _, err := cl.call(ctx, "textDocument/hover", map[string]any{
		"textDocument": map[string]any{"uri": openURI},
		"position":     map[string]any{"line": line, "character": char},
	}); err != nil {
		// An error answer is an answer; only its absence is a failure.
		if !strings.Contains(err.Error(), ": error ") {
			return fail("hover: %v", err)
		}
	}
	hover := time.Since(hoverStart)
	if want, _ := okExpectation(c.expectation("lsp")); want != "" {
		wctx, cancel := context.WithTimeout(ctx, expectBound)
		var shown string
		err := cl.wait(wctx, func(ms []message) bool {
			shown = ws.normalize(visible(ms))
			i, _ := matchAny(shown, want)
			return i >= 0
		})
		cancel()
		if err != nil {
			return fail("the server never showed %q (in diagnostics, messages or answers): %v\n%s", want, err, tail(shown))
		}
		i, n := matchAny(shown, want)
		t.Logf("expected %q: …%s…", want, excerpt(shown, i, n))
	}
	said := time.Since(start)
	rss := peakRSS(cmd.Process.Pid)
	if _, err := cl.call(ctx, "shutdown", nil); err != nil {
		return fail("%v", err)
	}
	if err := cl.notify("exit", nil); err != nil {
		return fail("exit: %v", err)
	}
	_ = in.Close()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the server exited with %v after shutdown and exit", err)
		}
	case <-ctx.Done():
		return fail("the server did not exit after shutdown and exit")
	}
	t.Logf("server: expected text after %s, hover answered in %s, peak RSS %d MiB", said.Round(time.Millisecond), hover.Round(time.Millisecond), rss>>20)
	if rss > serverMaxRSS {
		t.Errorf("server peak RSS %d MiB, over the %d MiB bound", rss>>20, serverMaxRSS>>20)
	}
	return cl.all()
}

// visible returns the texts of ms that a user sees: diagnostics, shown
// messages and answers to requests (hover), one string a line. Logs are
// left out: they may echo settings and paths.
func visible(ms []message) string {
	var b strings.Builder
	for _, m := range ms {
		var raw json.RawMessage
		switch {
		case m.Method == "textDocument/publishDiagnostics", m.Method == "window/showMessage", m.Method == "window/showMessageRequest":
			raw = m.Params
		case m.Method == "" && m.Error != nil:
			b.WriteString(m.Error.Message + "\n")
		case m.Method == "":
			raw = m.Result
		}
		var v any
		if json.Unmarshal(raw, &v) == nil {
			strs(&b, v)
		}
	}
	return b.String()
}

// strs writes every string leaf of v, a line each.
func strs(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		b.WriteString(v)
		b.WriteByte('\n')
	case []any:
		for _, e := range v {
			strs(b, e)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			strs(b, v[k])
		}
	}
}

// position returns the UTF-16 position of the first occurrence of word in
// text (of its first non-import, non-comment line when word is empty).
func position(text, word string) (line, char int) {
	for i, l := range strings.Split(text, "\n") {
		if word == "" {
			t := strings.TrimSpace(l)
			if t != "" && !strings.HasPrefix(t, "import ") && !strings.HasPrefix(t, "#") {
				return i, len(l) - len(strings.TrimLeft(l, " \t"))
			}
			continue
		}
		if j := strings.Index(l, word); j >= 0 {
			return i, len(utf16.Encode([]rune(l[:j])))
		}
	}
	return 0, 0
}

// peakRSS is the process's VmHWM in bytes (0 when unknown).
func peakRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
