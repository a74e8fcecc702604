package lspk8s

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/lsp"
)

// client is the editor side of an in-process session: it answers
// window/showMessageRequest with a chosen action and records everything the
// server shows or reports, so that tests can check it (including that no
// Secret value ever reaches the editor).
type client struct {
	protocol.UnimplementedClient

	mu sync.Mutex
	// answer is the title of the action to pick in showMessageRequest;
	// "" declines (answers null, as an editor does when the user closes
	// the dialog).
	answer string
	// asked records the showMessageRequest messages.
	asked []string
	// created records the tokens of window/workDoneProgress/create.
	created []string
	// progress records the $/progress values per token, in order.
	progress map[string][]map[string]any
	// progressed is closed and replaced on every $/progress.
	progressed chan struct{}
	// shown records window/showMessage and window/logMessage texts.
	shown []string
	// diagnostics records the messages of every published diagnostic.
	diagnostics []string
	// onProgress, when set, sees every $/progress value (on the read
	// loop, after it is recorded).
	onProgress func(map[string]any)
}

func newClient() *client {
	return &client{progress: map[string][]map[string]any{}, progressed: make(chan struct{})}
}

func (c *client) ShowMessageRequest(_ context.Context, p *protocol.ShowMessageRequestParams) (*protocol.MessageActionItem, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, p.Message)
	for i := range p.Actions {
		if p.Actions[i].Title == c.answer {
			return &p.Actions[i], nil
		}
	}
	return nil, nil
}

func (c *client) WorkDoneProgressCreate(_ context.Context, p *protocol.WorkDoneProgressCreateParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created = append(c.created, tokenString(p.Token))
	return nil
}

func (c *client) Progress(_ context.Context, p *protocol.ProgressParams) error {
	var v map[string]any
	if err := json.Unmarshal(p.Value, &v); err != nil {
		return fmt.Errorf("progress value %s: %w", p.Value, err)
	}
	c.mu.Lock()
	tok := tokenString(p.Token)
	c.progress[tok] = append(c.progress[tok], v)
	close(c.progressed)
	c.progressed = make(chan struct{})
	on := c.onProgress
	c.mu.Unlock()
	if on != nil {
		on(v)
	}
	return nil
}

func (c *client) ShowMessage(_ context.Context, p *protocol.ShowMessageParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shown = append(c.shown, p.Message)
	return nil
}

func (c *client) LogMessage(_ context.Context, p *protocol.LogMessageParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shown = append(c.shown, p.Message)
	return nil
}

func (c *client) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range p.Diagnostics {
		b, _ := json.Marshal(d.Message)
		c.diagnostics = append(c.diagnostics, string(b))
	}
	return nil
}

func (c *client) Configuration(context.Context, *protocol.ConfigurationParams) ([]protocol.LSPAny, error) {
	return []protocol.LSPAny{[]byte("null")}, nil
}

func (c *client) RegisterCapability(context.Context, *protocol.RegistrationParams) error { return nil }

// reset forgets the recorded questions and progress and sets the answer to
// the next showMessageRequest.
func (c *client) reset(answer string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answer = answer
	c.asked = nil
	c.created = nil
	c.progress = map[string][]map[string]any{}
}

// snapshot returns copies of the recorded questions, created tokens and
// progress values.
func (c *client) snapshot() (asked, created []string, progress map[string][]map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	progress = map[string][]map[string]any{}
	for k, v := range c.progress {
		progress[k] = append([]map[string]any(nil), v...)
	}
	return append([]string(nil), c.asked...), append([]string(nil), c.created...), progress
}

// waitProgressEnd waits until the progress of token has ended, or fails
// after a generous deadline (a guard against hangs, not a timing check).
// The server sends the end before it answers the command, and notifications
// are handled in wire order, so this normally returns at once.
func (c *client) waitProgressEnd(t testing.TB, token string) []map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		vs := c.progress[token]
		ch := c.progressed
		c.mu.Unlock()
		if n := len(vs); n > 0 && vs[n-1]["kind"] == "end" {
			return vs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("progress %q never ended; got %v", token, vs)
		}
	}
}

// texts returns everything the editor was shown: questions, progress
// messages and titles, shown and logged messages, diagnostics.
func (c *client) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.asked...)
	out = append(out, c.shown...)
	out = append(out, c.diagnostics...)
	for _, vs := range c.progress {
		for _, v := range vs {
			b, _ := json.Marshal(v)
			out = append(out, string(b))
		}
	}
	return out
}

func tokenString(t protocol.ProgressToken) string {
	switch v := t.(type) {
	case protocol.String:
		return string(v)
	case protocol.Integer:
		return fmt.Sprint(int32(v))
	}
	return fmt.Sprint(t)
}

// logBuffer is the server's log, as the binary writes it to stderr,
// safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// session is a running server with its editor.
type session struct {
	t      testing.TB
	ctx    context.Context
	server protocol.Server
	client *client
	root   string
	log    *logBuffer
}

// transport starts a server and returns the client's end of its stream;
// the server's log goes to logs. The server must stop when ctx is done or
// the stream closes; wait returns once it has.
type transport func(t testing.TB, ctx context.Context, logs io.Writer) (stream io.ReadWriteCloser, wait func() error)

// inProcess runs lsp.Serve on an in-process pipe with a debug-level log.
func inProcess(t testing.TB, ctx context.Context, logs io.Writer) (io.ReadWriteCloser, func() error) {
	a, b := net.Pipe()
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	done := make(chan error, 1)
	go func() {
		done <- lsp.Serve(ctx, a, lsp.Options{Logger: logger, Debounce: time.Millisecond, PreviewWait: -1})
	}()
	return b, func() error { return <-done }
}

// binary runs the built konfig-lsp as an editor does (`konfig-lsp serve`
// on stdio), its stderr — the server's log, at debug level — into logs.
func binary(path string) transport {
	return func(t testing.TB, ctx context.Context, logs io.Writer) (io.ReadWriteCloser, func() error) {
		cmd := exec.CommandContext(ctx, path, "serve", "--log-level", "debug")
		cmd.Stderr = logs
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", path, err)
		}
		return pipes{out, in}, func() error {
			err := cmd.Wait()
			if ctx.Err() != nil {
				return nil // killed at the end of the test
			}
			return err
		}
	}
}

// pipes joins a process's stdout and stdin into one stream.
type pipes struct {
	io.Reader
	io.WriteCloser
}

// start starts a server through tr and initializes it with root as the
// workspace folder, settings as initializationOptions and a client that
// supports server-initiated progress.
func start(t testing.TB, tr transport, root string, settings map[string]any) *session {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logBuffer{}
	stream, wait := tr(t, ctx, logs)
	c := newClient()
	// The client's handlers run in wire order, as an editor's do.
	cctx, conn, server := lsp.ConnectClient(ctx, c, stream)
	t.Cleanup(func() {
		// As an editor leaves: shutdown, exit, then the stream closes.
		sctx, scancel := context.WithTimeout(cctx, 30*time.Second)
		defer scancel()
		if err := server.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		_ = server.Exit(sctx)
		conn.Close()
		stream.Close()
		done := make(chan error, 1)
		go func() { done <- wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-sctx.Done():
			t.Error("the server did not stop after exit")
		}
		cancel()
	})
	opts, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	params := &protocol.InitializeParams{
		Capabilities:          protocol.ClientCapabilities{Window: &protocol.WindowClientCapabilities{WorkDoneProgress: &yes}},
		InitializationOptions: opts,
	}
	params.WorkspaceFolders = protocol.NewNullable([]protocol.WorkspaceFolder{{URI: uri.File(root), Name: filepath.Base(root)}})
	if _, err := server.Initialize(cctx, params); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if err := server.Initialized(cctx, &protocol.InitializedParams{}); err != nil {
		t.Fatalf("initialized: %v", err)
	}
	return &session{t: t, ctx: cctx, server: server, client: c, root: root, log: logs}
}

// open opens rel (relative to the root) with its content on disk.
func (s *session) open(rel string) (uri.URI, string) {
	s.t.Helper()
	path := filepath.Join(s.root, rel)
	b, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	u := uri.File(path)
	if err := s.server.DidOpen(s.ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: u, LanguageID: "kcl", Version: 1, Text: string(b)}}); err != nil {
		s.t.Fatalf("didOpen: %v", err)
	}
	return u, string(b)
}

// replaceAll sends the whole new text of u (a full-document change).
func (s *session) replaceAll(u uri.URI, version int32, text string) {
	s.t.Helper()
	if err := s.server.DidChange(s.ctx, &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
		ContentChanges: []protocol.TextDocumentContentChangeEvent{&protocol.TextDocumentContentChangeWholeDocument{Text: text}},
	}); err != nil {
		s.t.Fatalf("didChange: %v", err)
	}
}

// commandResult mirrors what the konfig.* commands return.
type commandResult struct {
	Stack   string `json:"stack"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Summary string `json:"summary"`
}

// execute runs a konfig.* command on the document u, with a work-done
// progress token when token is not nil.
func (s *session) execute(command string, u uri.URI, token protocol.ProgressToken) (*commandResult, error) {
	return s.executeCtx(s.ctx, command, u, token)
}

// executeCtx is execute with the request's context: cancelling it sends
// $/cancelRequest.
func (s *session) executeCtx(ctx context.Context, command string, u uri.URI, token protocol.ProgressToken) (*commandResult, error) {
	s.t.Helper()
	arg, _ := json.Marshal(string(u))
	params := &protocol.ExecuteCommandParams{Command: command, Arguments: []protocol.LSPAny{arg}}
	params.WorkDoneToken = token
	raw, err := s.server.ExecuteCommand(ctx, params)
	if err != nil {
		return nil, err
	}
	var res commandResult
	if err := json.Unmarshal(raw, &res); err != nil {
		s.t.Fatalf("%s result %s: %v", command, raw, err)
	}
	return &res, nil
}
