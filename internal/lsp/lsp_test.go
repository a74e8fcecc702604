package lsp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSyntaxDiagnosticsAppearAndClear(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.k": "a = 1\n"})
	s := startSession(t, dir, Options{})
	u, _ := s.open("main.k")
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) == 0 })
	// Break the file: `a = ` with nothing after it.
	s.change(u, 2, protocol.Range{Start: protocol.Position{Line: 0, Character: 4}, End: protocol.Position{Line: 0, Character: 5}}, "")
	ds := s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) > 0 })
	if ds[0].Range.Start.Line != 0 {
		t.Errorf("syntax error on line %d, want 0: %v", ds[0].Range.Start.Line, ds)
	}
	s.change(u, 3, protocol.Range{Start: protocol.Position{Line: 0, Character: 4}, End: protocol.Position{Line: 0, Character: 4}}, "2")
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) == 0 })
}

// TestChangesStayInOrder sends many incremental edits without waiting; the
// final buffer must be the in-order result.
func TestChangesStayInOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.k": ""})
	var srv *server
	s := startSession(t, dir, Options{onServer: func(x *server) { srv = x }})
	u, _ := s.open("main.k", "")
	var want strings.Builder
	for i := 0; i < 200; i++ {
		line := fmt.Sprintf("a%d = %d\n", i, i)
		s.change(u, int32(i+2), protocol.Range{Start: protocol.Position{Line: uint32(i)}, End: protocol.Position{Line: uint32(i)}}, line)
		want.WriteString(line)
	}
	// A request after the notifications is answered after all of them
	// were applied.
	if _, err := s.server.Formatting(s.ctx, &protocol.DocumentFormattingParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
		var werr *jsonrpc2.Error
		if !errors.As(err, &werr) {
			t.Fatalf("formatting: %v", err)
		}
	}
	path, _ := uriPath(u)
	d := srv.session.snapshot().doc(path)
	if d == nil || d.text.src != want.String() || d.version != 201 {
		t.Fatalf("after 200 ordered edits the buffer differs (version %d):\n%s", d.version, cmp.Diff(want.String(), d.text.src))
	}
}

func TestUnknownMethodIsMethodNotFound(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.k": "a = 1\n"})
	s := startSession(t, dir, Options{})
	var out any
	_, err := s.conn.Call(s.ctx, "konfig/noSuchMethod", map[string]any{}, &out)
	var werr *jsonrpc2.Error
	if !errors.As(err, &werr) || werr.Code != jsonrpc2.MethodNotFound {
		t.Fatalf("unknown method: got %v, want MethodNotFound", err)
	}
	// The server is still alive.
	if _, err := s.server.Hover(s.ctx, &protocol.HoverParams{}); err == nil {
		// Hover on an unopened document may answer nil; any answer proves liveness.
		_ = err
	}
}

// copyExamples copies the repository's examples/ into a temporary dir.
func copyExamples(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	testutil.CopyTree(t, filepath.Join(testutil.ModuleRoot(t), "examples"), dst)
	return dst
}

// TestExternalChangeReevaluates edits a model file on disk (not open in
// the editor): fsnotify picks it up and the stacks are evaluated again.
func TestExternalChangeReevaluates(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{Debounce: 1})
	u, _ := s.open("shop/dev/main.k")
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) == 0 })
	model := filepath.Join(dir, "models", "frontend", "server.k")
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), `not image.endswith(":latest")`, `not image.startswith("ghcr.io")`, 1)
	if broken == string(b) {
		t.Fatal("the model's image check was not found")
	}
	if err := os.WriteFile(model, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool {
		for _, d := range ds {
			if strings.Contains(diagText(d), "the latest tag is not allowed") {
				return true
			}
		}
		return false
	})
}

// TestConfigurationPullAndWatchRegistration: a client that answers
// workspace/configuration and watches files itself gets a registration and
// its settings apply (disableApply removes the Apply lens).
func TestConfigurationPullAndWatchRegistration(t *testing.T) {
	dir := copyExamples(t)
	yes := true
	caps := protocol.ClientCapabilities{Workspace: &protocol.WorkspaceClientCapabilities{
		Configuration:         &yes,
		DidChangeWatchedFiles: &protocol.DidChangeWatchedFilesClientCapabilities{DynamicRegistration: &yes},
	}}
	registered := make(chan struct{})
	applied := make(chan struct{}, 4)
	tc := &testClient{Settings: `{"disableApply": true}`, Configured: make(chan struct{}), OnRegister: registered}
	s := startSessionWith(t, dir, Options{onSettings: func() { applied <- struct{}{} }}, tc, caps)
	<-tc.Configured
	<-applied
	<-registered
	u, _ := s.open("shop/dev/main.k")
	lenses, err := s.server.CodeLens(s.ctx, &protocol.CodeLensParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, l := range lenses {
		titles = append(titles, l.Command.Title)
	}
	if contains(titles, "Apply") || !contains(titles, "Preview resources") {
		t.Errorf("code lenses with disableApply: %v", titles)
	}
	reg := tc.Registered()
	if !contains(reg, "workspace/didChangeWatchedFiles") {
		t.Errorf("no file-watch registration: %v", reg)
	}
}
