package lsp

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/lsp/lsptest"
)

// testClient is the fake editor of the package's tests (the one shared
// with lspk8s).
type testClient = lsptest.Client

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
