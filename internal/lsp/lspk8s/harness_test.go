package lspk8s

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/konfig-lsp/konfig-lsp/internal/lsp/lsptest"
)

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
	client *lsptest.Client
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
	// Questions are declined unless a test picks an answer (Reset).
	c := &lsptest.Client{}
	c.SetAnswer(lsptest.AnswerTitle(""))
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
