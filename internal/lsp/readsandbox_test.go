package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// leakMark is in every name and string of the file linked from outside the
// workspace: it must never reach the client.
const leakMark = "leaked"

const outsideSource = `schema LeakedSchema:
    """TOKEN leaked docs"""
    leakedAttr: str = "leaked-token-42"

leakedValue = "leaked-token-42"
`

// TestResolverReadsBeneathRoot: a .k file symlinked into a model package
// (and into a stack directory) from outside the workspace is not read by
// the server's resolver (issue 12: sema loads did not pass the sandbox), so
// none of its names or text appear in completion, hover, diagnostics or
// workspace symbols, and the package's own files keep working.
func TestResolverReadsBeneathRoot(t *testing.T) {
	dir := copyExamples(t)
	outside := filepath.Join(t.TempDir(), "leak.k")
	if err := os.WriteFile(outside, []byte(outsideSource), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"models/frontend/leak.k", "shop/dev/leak.k"} {
		if err := os.Symlink(outside, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	s := startSession(t, dir, Options{Debounce: 1})
	s.configure(`{"debounceMs": 0}`)
	noLeak := func(what, text string) {
		t.Helper()
		if strings.Contains(strings.ToLower(text), leakMark) {
			t.Errorf("%s shows the linked file's content:\n%s", what, text)
		}
	}
	completion := func(u uri.URI, pos protocol.Position) string {
		t.Helper()
		res, err := s.server.Completion(s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
			TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: pos}})
		if err != nil {
			t.Fatalf("completion: %v", err)
		}
		b, _ := json.Marshal(res)
		return string(b)
	}

	// A stack file: members of the model package, a hover on it.
	src := mustRead(t, filepath.Join(dir, "shop", "dev", "main.k")) + "\n_probe = frontend.\n"
	u, _ := s.open("shop/dev/main.k", src)
	got := completion(u, findPos(t, src, "_probe = frontend.", len("_probe = frontend.")))
	if !strings.Contains(got, `"Server"`) {
		t.Fatalf("completion after `frontend.` lacks Server: %s", got)
	}
	noLeak("completion after `frontend.`", got)
	got = completion(u, findPos(t, src, "_probe", 0))
	noLeak("top-level completion in the stack", got)
	noLeak("hover on the import", s.hoverText(u, findPos(t, src, "import models.frontend", len("import models.f"))))
	noLeak("hover on the model", s.hoverText(u, findPos(t, src, "frontend.Server", len("frontend.S"))))

	// A model file of the package holding the link.
	msrc := mustRead(t, filepath.Join(dir, "models", "frontend", "server.k")) + "\n_probe = \n"
	mu, _ := s.open("models/frontend/server.k", msrc)
	got = completion(mu, findPos(t, msrc, "_probe = ", len("_probe = ")))
	if !strings.Contains(got, `"Server"`) {
		t.Fatalf("completion in the model file lacks Server: %s", got)
	}
	noLeak("completion in the package holding the link", got)

	// Diagnostics of both files (the policy run over, then its publish).
	for _, x := range []uri.URI{u, mu} {
		for _, d := range s.client.WaitDiags(t, x, func([]protocol.Diagnostic) bool { return true }) {
			noLeak("a diagnostic of "+string(x), diagText(d))
		}
	}
	syms, err := s.server.Symbols(s.ctx, &protocol.WorkspaceSymbolParams{Query: leakMark})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(syms)
	noLeak("workspace/symbol", string(b))
	if strings.Contains(string(b), "leak.k") {
		t.Errorf("workspace/symbol lists the linked file: %s", b)
	}
}
