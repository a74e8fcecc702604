package lsp

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

const codeActionPkg = `schema App:
    name?: str
    image: str
    env: "dev" | "prod" = "dev"
    replicas: int = 1
    check:
        replicas <= 10
`

// TestCodeActionsFromDiagnosticData: the published diagnostics carry their
// machine code and data, and the quick fixes come from that data: a
// spelling fix, an unused import removed, the allowed values of a literal
// union.
func TestCodeActionsFromDiagnosticData(t *testing.T) {
	main := `import pkg
import units

a = pkg.App {
    imag = "nginx"
}
b = pkg.App {
    image = "nginx"
    env = "stage"
}
`
	dir := writeFiles(t, map[string]string{"kcl.mod": "", "pkg/app.k": codeActionPkg, "main.k": main})
	s := startSession(t, dir, Options{})
	u, src := s.open("main.k")
	ds := s.client.waitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) >= 3 })
	byCode := map[string]protocol.Diagnostic{}
	for _, d := range ds {
		c, _ := d.Code.(protocol.String)
		byCode[string(c)] = d
	}
	for code, want := range map[string]struct {
		titles []string
		apply  string // the title whose edit is applied
		result string // a line of the result
	}{
		"unknown-attribute": {[]string{"Change 'imag' to 'image'"}, "Change 'imag' to 'image'", `    image = "nginx"`},
		"unused-import":     {[]string{"Remove unused import units"}, "Remove unused import units", "import pkg\n\na = pkg.App {"},
		"type-mismatch":     {[]string{`Change the value to "dev"`, `Change the value to "prod"`}, `Change the value to "prod"`, `    env = "prod"`},
	} {
		d, ok := byCode[code]
		if !ok {
			t.Errorf("no %s diagnostic among %v", code, ds)
			continue
		}
		if len(d.Data) == 0 {
			t.Errorf("%s: no data", code)
		}
		acts := codeActions(t, s, u, d)
		if diff := cmp.Diff(want.titles, titlesOf(acts)); diff != "" {
			t.Errorf("%s: titles (-want +got):\n%s", code, diff)
		}
		if got := applyAction(t, src, acts, want.apply, u); !strings.Contains(got, want.result) {
			t.Errorf("%s: after %q:\n%s\nwant a line %q", code, want.apply, got, want.result)
		}
	}
}

// TestCodeActionsFromPolicyData: a policy failure on a literal-union
// attribute and a missing required attribute (evaluator diagnostics, as a
// client sends them back) get their fixes from the data alone; a client
// that drops `data` gets the server's own.
func TestCodeActionsFromPolicyData(t *testing.T) {
	main := `import pkg

b = pkg.App {
    image = "nginx"
    env = "stage"
}
c = pkg.App {
    name = "c"
}
`
	dir := writeFiles(t, map[string]string{"kcl.mod": "", "pkg/app.k": codeActionPkg, "main.k": main})
	s := startSession(t, dir, Options{})
	u, src := s.open("main.k")
	line := func(n uint32) protocol.Range {
		return protocol.Range{Start: protocol.Position{Line: n, Character: 4}, End: protocol.Position{Line: n, Character: 17}}
	}
	policy := protocol.Diagnostic{Range: line(4), Code: protocol.String("policy-check"), Message: protocol.String("whatever the text"),
		Data: protocol.LSPAny(`{"args":{"schema":"App","attribute":"env","value":"'stage'","allowed":["\"dev\"","\"prod\""]}}`)}
	acts := codeActions(t, s, u, policy)
	if diff := cmp.Diff([]string{`Set env to "dev"`, `Set env to "prod"`}, titlesOf(acts)); diff != "" {
		t.Errorf("policy titles (-want +got):\n%s", diff)
	}
	if got := applyAction(t, src, acts, `Set env to "dev"`, u); !strings.Contains(got, `    env = "dev"`) {
		t.Errorf("policy fix:\n%s", got)
	}
	missing := protocol.Diagnostic{Range: protocol.Range{Start: protocol.Position{Line: 6}, End: protocol.Position{Line: 6, Character: 13}},
		Code: protocol.String("missing-attribute"), Message: protocol.String("x"),
		Data: protocol.LSPAny(`{"args":{"schema":"App","missing":["image"]}}`)}
	acts = codeActions(t, s, u, missing)
	title := "Add missing required attributes of App: image"
	if !contains(titlesOf(acts), title) {
		t.Fatalf("missing-attribute titles: %v", titlesOf(acts))
	}
	if got := applyAction(t, src, acts, title, u); !strings.Contains(got, "    name = \"c\"\n    image = \"\"\n}") {
		t.Errorf("missing-attribute fix:\n%s", got)
	}
	// The type mismatch without its data: found by range among the
	// server's own diagnostics.
	ds := s.client.waitDiags(t, u, func(ds []protocol.Diagnostic) bool { return len(ds) > 0 })
	var tm protocol.Diagnostic
	for _, d := range ds {
		if d.Code == protocol.String("type-mismatch") {
			tm = d
		}
	}
	tm.Data, tm.Code = nil, nil
	if got := titlesOf(codeActions(t, s, u, tm)); !contains(got, `Change the value to "prod"`) {
		t.Errorf("without data: %v", got)
	}
}

func codeActions(t *testing.T, s *testSession, u uri.URI, d protocol.Diagnostic) []*protocol.CodeAction {
	t.Helper()
	res, err := s.server.CodeAction(s.ctx, &protocol.CodeActionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u},
		Range: d.Range, Context: protocol.CodeActionContext{Diagnostics: []protocol.Diagnostic{d}}})
	if err != nil {
		t.Fatal(err)
	}
	var out []*protocol.CodeAction
	for _, a := range res {
		if ca, ok := a.(*protocol.CodeAction); ok && len(ca.Diagnostics) > 0 {
			out = append(out, ca)
		}
	}
	return out
}

func titlesOf(acts []*protocol.CodeAction) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.Title)
	}
	sort.Strings(out)
	return out
}

// applyAction applies the edits of the action titled title to src.
func applyAction(t *testing.T, src string, acts []*protocol.CodeAction, title string, u uri.URI) string {
	t.Helper()
	for _, a := range acts {
		if a.Title != title {
			continue
		}
		edits := append([]protocol.TextEdit(nil), a.Edit.Changes[u]...)
		sort.Slice(edits, func(i, j int) bool { return edits[i].Range.Start.Line > edits[j].Range.Start.Line })
		tx := newText(src)
		out := src
		for _, e := range edits {
			from, err1 := tx.offset(e.Range.Start)
			to, err2 := tx.offset(e.Range.End)
			if err1 != nil || err2 != nil {
				t.Fatalf("edit %v: %v %v", e, err1, err2)
			}
			out = out[:from] + e.NewText + out[to:]
		}
		return out
	}
	t.Errorf("no action %q", title)
	return src
}

// TestPolicyDiagnosticData: a failed `check:` of a stack, shown at the
// developer's line, carries the code policy-check and the attribute, its
// value and the bound as data.
func TestPolicyDiagnosticData(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	src := mustRead(t, filepath.Join(dir, "shop", "dev", "main.k"))
	broken := strings.Replace(src, `    image = "ghcr.io/acme/storefront:1.4.0"`, "    image = \"ghcr.io/acme/storefront:1.4.0\"\n    replicas = 20", 1)
	u, _ := s.open("shop/dev/main.k", broken)
	ds := s.client.waitDiags(t, u, func(ds []protocol.Diagnostic) bool {
		for _, d := range ds {
			if d.Code == protocol.String("policy-check") {
				return true
			}
		}
		return false
	})
	for _, d := range ds {
		if d.Code != protocol.String("policy-check") {
			continue
		}
		data := decodeDiagData(d.Data)
		want := &diag.Args{Schema: "Server", Attribute: "replicas", Value: "20", Bound: "1 <= replicas <= 10"}
		if diff := cmp.Diff(want, data.Args); diff != "" {
			t.Errorf("policy data (-want +got):\n%s", diff)
		}
		if d.Range.Start.Line != 5 {
			t.Errorf("policy diagnostic on line %d, want 5 (replicas = 20)", d.Range.Start.Line)
		}
	}
}

// TestMissingAttributeFromStack: an instance of a stack without a required
// attribute fails the evaluation with missing-attribute data, and the quick
// fix built from it inserts the attribute.
func TestMissingAttributeFromStack(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	src := mustRead(t, filepath.Join(dir, "shop", "dev", "main.k"))
	broken := strings.Replace(src, "    image = \"ghcr.io/acme/storefront:1.4.0\"\n", "", 1)
	u, _ := s.open("shop/dev/main.k", broken)
	var missing protocol.Diagnostic
	s.client.waitDiags(t, u, func(ds []protocol.Diagnostic) bool {
		for _, d := range ds {
			if d.Code == protocol.String("missing-attribute") {
				missing = d
				return true
			}
		}
		return false
	})
	if args := decodeDiagData(missing.Data).Args; args == nil || args.Schema != "Server" || !cmp.Equal(args.Missing, []string{"image"}) {
		t.Fatalf("missing-attribute data: %s", missing.Data)
	}
	acts := codeActions(t, s, u, missing)
	title := "Add missing required attributes of Server: image"
	if got := applyAction(t, broken, acts, title, u); !strings.Contains(got, "    image = \"\"\n}") {
		t.Errorf("after the fix:\n%s", got)
	}
}
