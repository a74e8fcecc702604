package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// testClient is the client side of an in-process LSP session: it records
// what the server sends and lets tests wait on it.
type testClient struct {
	protocol.UnimplementedClient

	mu      sync.Mutex
	diags   map[uri.URI][]protocol.Diagnostic
	changed chan struct{} // closed and replaced on every publishDiagnostics
	// answer picks the action for window/showMessageRequest (nil: first).
	answer func(*protocol.ShowMessageRequestParams) *protocol.MessageActionItem
	asked  []string
	// settings answers workspace/configuration; registered records
	// dynamic registrations.
	settings   string
	registered []string
	configured chan struct{}
	// onRegister, when set, is closed at the first registration.
	onRegister chan struct{}
	// progressCreated records window/workDoneProgress/create tokens;
	// progress records "<token> <kind>" per $/progress; progressEnded,
	// when set, receives a value at every end.
	progressCreated []string
	progress        []string
	progressEnded   chan struct{}
}

func (c *testClient) Configuration(context.Context, *protocol.ConfigurationParams) ([]protocol.LSPAny, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.configured != nil {
		defer close(c.configured)
	}
	if c.settings == "" {
		return []protocol.LSPAny{[]byte("null")}, nil
	}
	return []protocol.LSPAny{[]byte(c.settings)}, nil
}

func (c *testClient) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.diags == nil {
		c.diags = map[uri.URI][]protocol.Diagnostic{}
	}
	c.diags[p.URI] = p.Diagnostics
	close(c.changed)
	c.changed = make(chan struct{})
	return nil
}

func (c *testClient) ShowMessageRequest(_ context.Context, p *protocol.ShowMessageRequestParams) (*protocol.MessageActionItem, error) {
	c.mu.Lock()
	c.asked = append(c.asked, p.Message)
	answer := c.answer
	c.mu.Unlock()
	if answer != nil {
		return answer(p), nil
	}
	if len(p.Actions) == 0 {
		return nil, nil
	}
	return &p.Actions[0], nil
}

func (c *testClient) RegisterCapability(_ context.Context, p *protocol.RegistrationParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range p.Registrations {
		c.registered = append(c.registered, r.Method)
	}
	if c.onRegister != nil {
		close(c.onRegister)
		c.onRegister = nil
	}
	return nil
}
func (c *testClient) LogMessage(context.Context, *protocol.LogMessageParams) error   { return nil }
func (c *testClient) ShowMessage(context.Context, *protocol.ShowMessageParams) error { return nil }
func (c *testClient) WorkDoneProgressCreate(_ context.Context, p *protocol.WorkDoneProgressCreateParams) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progressCreated = append(c.progressCreated, fmt.Sprint(p.Token))
	return nil
}

func (c *testClient) Progress(_ context.Context, p *protocol.ProgressParams) error {
	var v struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(p.Value, &v); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress = append(c.progress, fmt.Sprint(p.Token)+" "+v.Kind)
	if v.Kind == "end" && c.progressEnded != nil {
		c.progressEnded <- struct{}{}
	}
	return nil
}

// waitDiags waits until the diagnostics of u satisfy ok, or fails after a
// generous deadline (a guard against hangs, not a timing assertion).
func (c *testClient) waitDiags(t *testing.T, u uri.URI, ok func([]protocol.Diagnostic) bool) []protocol.Diagnostic {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		ds, have := c.diags[u]
		ch := c.changed
		c.mu.Unlock()
		if have && ok(ds) {
			return ds
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("diagnostics of %s never satisfied the condition; last: %v", u, ds)
		}
	}
}

// session is a running server with its client.
type testSession struct {
	t      *testing.T
	ctx    context.Context
	server protocol.Server
	client *testClient
	conn   jsonrpc2.Conn
	root   string
}

// startSession starts a server on an in-process pipe, initializes it with
// root as the workspace folder and returns the session.
func startSession(t *testing.T, root string, opts Options) *testSession {
	t.Helper()
	return startSessionWith(t, root, opts, &testClient{}, protocol.ClientCapabilities{})
}

// startSessionWith is startSession with a given client and capabilities.
func startSessionWith(t *testing.T, root string, opts Options, tc *testClient, caps protocol.ClientCapabilities) *testSession {
	t.Helper()
	return startSessionInit(t, root, opts, tc, caps, "")
}

// startSessionInit is startSessionWith with initializationOptions (JSON;
// "" sends none).
func startSessionInit(t *testing.T, root string, opts Options, tc *testClient, caps protocol.ClientCapabilities, initOptions string) *testSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, a, opts) }()
	tc.changed = make(chan struct{})
	cctx, conn, server := ConnectClient(ctx, tc, b)
	t.Cleanup(func() {
		cancel()
		conn.Close()
		b.Close()
		<-done
	})
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	params := &protocol.InitializeParams{Capabilities: caps}
	if initOptions != "" {
		params.InitializationOptions = protocol.LSPAny(initOptions)
	}
	params.WorkspaceFolders = protocol.NewNullable([]protocol.WorkspaceFolder{{URI: uri.File(abs), Name: filepath.Base(abs)}})
	if _, err := server.Initialize(cctx, params); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if err := server.Initialized(cctx, &protocol.InitializedParams{}); err != nil {
		t.Fatalf("initialized: %v", err)
	}
	return &testSession{t: t, ctx: cctx, server: server, client: tc, conn: conn, root: abs}
}

// open opens path (relative to the root) with its disk content, or with
// content when given.
func (s *testSession) open(rel string, content ...string) (uri.URI, string) {
	s.t.Helper()
	path := filepath.Join(s.root, rel)
	var src string
	if len(content) > 0 {
		src = content[0]
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			s.t.Fatal(err)
		}
		src = string(b)
	}
	u := uri.File(path)
	if err := s.server.DidOpen(s.ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: u, LanguageID: "kcl", Version: 1, Text: src}}); err != nil {
		s.t.Fatalf("didOpen: %v", err)
	}
	return u, src
}

// change replaces the range [start, end) of u with text.
func (s *testSession) change(u uri.URI, version int32, r protocol.Range, text string) {
	s.t.Helper()
	if err := s.server.DidChange(s.ctx, &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
		ContentChanges: []protocol.TextDocumentContentChangeEvent{&protocol.TextDocumentContentChangePartial{Range: r, Text: text}},
	}); err != nil {
		s.t.Fatalf("didChange: %v", err)
	}
}
