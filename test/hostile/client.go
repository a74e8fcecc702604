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
	"time"
	"unicode/utf16"
)

// Message is one JSON-RPC message the server sent, kept raw so that every
// byte of it can be searched.
type Message struct {
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

// Client is a minimal LSP client of a konfig-lsp server subprocess over
// its stdio: it frames messages, records everything the server sends and
// answers the server's requests (workspace/configuration with the
// settings, null for the others).
type Client struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed at the process's end (after its stdout ended)
	exitErr error         // the process's exit error, set before exited closes

	settings map[string]any
	in       io.WriteCloser
	writeMu  sync.Mutex
	stderr   *syncBuffer

	mu      sync.Mutex
	msgs    []Message
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
func (c *Client) signal() {
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

func (c *Client) send(v any) error {
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

func (c *Client) Notify(method string, params any) error {
	return c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// read records the server's messages until its stdout ends.
func (c *Client) read(r io.Reader) {
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
			var m Message
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

func (c *Client) answer(m Message) {
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

// Wait waits until pred holds for the messages so far.
func (c *Client) Wait(ctx context.Context, pred func([]Message) bool) error {
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

// Call sends a request and waits for its response.
func (c *Client) Call(ctx context.Context, method string, params any) (Message, error) {
	c.mu.Lock()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	c.mu.Unlock()
	if err := c.send(map[string]any{"jsonrpc": "2.0", "id": c.nextID, "method": method, "params": params}); err != nil {
		return Message{}, err
	}
	var resp Message
	err := c.Wait(ctx, func(ms []Message) bool {
		for _, m := range ms {
			if m.Method == "" && string(m.ID) == id {
				resp = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return Message{}, fmt.Errorf("%s: %w", method, err)
	}
	if resp.Error != nil {
		return resp, fmt.Errorf("%s: %w %d: %s", method, errAnswer, resp.Error.Code, resp.Error.Message)
	}
	return resp, nil
}

// All returns every message so far and the server's log, as one text.
func (c *Client) All() string {
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

// FileURI is the file: URI of path p.
func FileURI(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

// Visible returns the texts of ms that a user sees: diagnostics, shown
// messages and answers to requests (hover), one string a line. Logs are
// left out: they may echo settings and paths.
func Visible(ms []Message) string {
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

// Position returns the UTF-16 position of the first occurrence of word in
// text (of its first non-import, non-comment line when word is empty).
func Position(text, word string) (line, char int) {
	i := -1
	for l := range strings.SplitSeq(text, "\n") { // no slice of every line: texts of 50 MB are asked about
		i++
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

// PeakRSS is the process's VmHWM in bytes (0 when unknown).
func PeakRSS(pid int) int64 {
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

// StartServer starts `binary serve` in the workspace's root with its
// environment; ctx bounds the process's life.
func StartServer(ctx context.Context, binary string, ws *Workspace, settings map[string]any) (*Client, error) {
	cmd := exec.CommandContext(ctx, binary, "serve", "--log-level", "debug")
	cmd.Dir = ws.Root
	cmd.Env = ws.Env()
	cmd.WaitDelay = 5 * time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &Client{cmd: cmd, exited: make(chan struct{}), settings: settings, in: in, changed: make(chan struct{}), closed: make(chan struct{})}
	c.stderr = &syncBuffer{onWrite: c.signal}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	go c.read(out)
	go func() {
		<-c.closed
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// Messages returns the messages the server sent so far.
func (c *Client) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

// Pid is the server's process id.
func (c *Client) Pid() int { return c.cmd.Process.Pid }

// Log is what the server wrote on stderr so far.
func (c *Client) Log() string { return c.stderr.String() }

// Kill ends the server (if it still runs) and waits for its end.
func (c *Client) Kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// Initialize sends initialize (with the settings as initializationOptions)
// and initialized for a workspace at root.
func (c *Client) Initialize(ctx context.Context, root string) error {
	rootURI := FileURI(root)
	if _, err := c.Call(ctx, "initialize", map[string]any{
		"processId":             os.Getpid(),
		"rootUri":               rootURI,
		"workspaceFolders":      []any{map[string]any{"uri": rootURI, "name": filepath.Base(root)}},
		"initializationOptions": c.settings,
		"capabilities": map[string]any{
			"workspace":    map[string]any{"configuration": true, "workspaceFolders": true},
			"textDocument": map[string]any{"hover": map[string]any{"contentFormat": []string{"markdown", "plaintext"}}, "publishDiagnostics": map[string]any{}},
			"window":       map[string]any{"workDoneProgress": true},
		},
	}); err != nil {
		return err
	}
	return c.Notify("initialized", map[string]any{})
}

// Open sends didOpen of file p with its content.
func (c *Client) Open(p string, text []byte) error {
	return c.Notify("textDocument/didOpen", map[string]any{
		"textDocument": map[string]any{"uri": FileURI(p), "languageId": "kcl", "version": 1, "text": string(text)},
	})
}

// Diagnosed reports whether ms hold diagnostics of file p.
func Diagnosed(ms []Message, p string) bool {
	u := strconv.Quote(FileURI(p))
	for _, m := range ms {
		if m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), u) {
			return true
		}
	}
	return false
}

// Hover asks for a hover at the first occurrence of word in file p of
// content text (see Position); an error answer is an answer.
func (c *Client) Hover(ctx context.Context, p, text, word string) error {
	line, char := Position(text, word)
	_, err := c.Call(ctx, "textDocument/hover", map[string]any{
		"textDocument": map[string]any{"uri": FileURI(p)},
		"position":     map[string]any{"line": line, "character": char},
	})
	if err != nil && !errors.Is(err, errAnswer) {
		return err
	}
	return nil
}

// errAnswer marks an error the server answered with.
var errAnswer = errors.New("error answer")

// Shutdown sends shutdown and exit, closes the server's input and waits for
// its end: its exit error (nil for status 0).
func (c *Client) Shutdown(ctx context.Context) error {
	if _, err := c.Call(ctx, "shutdown", nil); err != nil {
		return err
	}
	if err := c.Notify("exit", nil); err != nil {
		return err
	}
	_ = c.in.Close()
	select {
	case <-c.exited:
		return c.exitErr
	case <-ctx.Done():
		return fmt.Errorf("the server did not exit after shutdown and exit: %w", ctx.Err())
	}
}
