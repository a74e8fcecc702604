package lsp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// A small package for the feature tests: a schema, an instance, a lambda
// and calls.
const featureSrc = `schema App:
    name: str
    replicas: int = 1
    kind?: "web" | "worker"

double = lambda x: int -> int {
    x * 2
}

app = App {
    name = "shop"
    replicas = double(2)
}
n = len([1, 2])
`

func openFeatures(t *testing.T) (*testSession, uri.URI, string) {
	dir := writeFiles(t, map[string]string{"kcl.mod": "[package]\nname = \"f\"\n", "main.k": featureSrc})
	s := startSession(t, dir, Options{})
	u, src := s.open("main.k")
	return s, u, src
}

func tdp(u uri.URI, p protocol.Position) protocol.TextDocumentPositionParams {
	return protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: p}
}

func TestDocumentSymbolsAndFolding(t *testing.T) {
	s, u, _ := openFeatures(t)
	res, err := s.server.DocumentSymbol(s.ctx, &protocol.DocumentSymbolParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sym := range res.(protocol.DocumentSymbolSlice) {
		got = append(got, sym.Name)
		for _, c := range sym.Children {
			got = append(got, sym.Name+"."+c.Name)
		}
	}
	want := []string{"App", "App.name", "App.replicas", "App.kind", "double", "app", "app.name", "app.replicas", "n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("document symbols (-want +got):\n%s", diff)
	}
	folds, err := s.server.FoldingRanges(s.ctx, &protocol.FoldingRangeParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	var spans []string
	for _, f := range folds {
		spans = append(spans, fmt.Sprintf("%d-%d", f.StartLine, f.EndLine))
	}
	for _, w := range []string{"0-3", "5-7", "9-12"} { // schema, lambda, config
		if !contains(spans, w) {
			t.Errorf("folding ranges %v lack %s", spans, w)
		}
	}
}

func TestRenameAndHighlight(t *testing.T) {
	s, u, src := openFeatures(t)
	pos := findPos(t, src, "double(2)", 1)
	prep, err := s.server.PrepareRename(s.ctx, &protocol.PrepareRenameParams{TextDocumentPositionParams: tdp(u, pos)})
	if err != nil {
		t.Fatal(err)
	}
	if ph, ok := prep.(*protocol.PrepareRenamePlaceholder); !ok || ph.Placeholder != "double" {
		t.Errorf("prepareRename: %#v", prep)
	}
	edit, err := s.server.Rename(s.ctx, &protocol.RenameParams{TextDocumentPositionParams: tdp(u, pos), NewName: "twice"})
	if err != nil {
		t.Fatal(err)
	}
	edits := edit.Changes[u]
	if len(edits) != 2 {
		t.Fatalf("rename edits: %v", edits)
	}
	if _, err := s.server.Rename(s.ctx, &protocol.RenameParams{TextDocumentPositionParams: tdp(u, pos), NewName: "schema"}); err == nil {
		t.Error("renaming to a keyword was accepted")
	}
	hl, err := s.server.DocumentHighlight(s.ctx, &protocol.DocumentHighlightParams{TextDocumentPositionParams: tdp(u, pos)})
	if err != nil {
		t.Fatal(err)
	}
	if len(hl) != 2 {
		t.Errorf("highlights: %v", hl)
	}
	// Renaming a builtin is refused.
	if _, err := s.server.PrepareRename(s.ctx, &protocol.PrepareRenameParams{TextDocumentPositionParams: tdp(u, findPos(t, src, "len(", 1))}); err == nil {
		t.Error("prepareRename on a builtin succeeded")
	}
}

func TestSignatureHelpAndInlayHints(t *testing.T) {
	s, u, src := openFeatures(t)
	sh, err := s.server.SignatureHelp(s.ctx, &protocol.SignatureHelpParams{TextDocumentPositionParams: tdp(u, findPos(t, src, "double(2)", len("double(")))})
	if err != nil {
		t.Fatal(err)
	}
	if sh == nil || len(sh.Signatures) != 1 || !strings.HasPrefix(sh.Signatures[0].Label, "double(x: int) -> int") {
		t.Fatalf("signature help: %#v", sh)
	}
	hints, err := s.server.InlayHint(s.ctx, &protocol.InlayHintParams{TextDocument: protocol.TextDocumentIdentifier{URI: u},
		Range: protocol.Range{End: protocol.Position{Line: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hints {
		got = append(got, string(h.Label.(protocol.String)))
	}
	for _, w := range []string{": int", "x:"} { // n = len(...) is an int; double(2) names x
		if !contains(got, w) {
			t.Errorf("inlay hints %v lack %q", got, w)
		}
	}
}

func TestSemanticTokensAndWorkspaceSymbols(t *testing.T) {
	s, u, _ := openFeatures(t)
	toks, err := s.server.SemanticTokensFull(s.ctx, &protocol.SemanticTokensParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	if len(toks.Data)%5 != 0 || len(toks.Data) < 5*10 {
		t.Fatalf("semantic tokens: %d numbers", len(toks.Data))
	}
	// The first token is the schema name App, declared: line 0, char 7.
	if toks.Data[0] != 0 || toks.Data[1] != 7 || toks.Data[2] != 3 || tokenTypes[toks.Data[3]] != "class" || toks.Data[4]&tmDeclaration == 0 {
		t.Errorf("first semantic token %v", toks.Data[:5])
	}
	res, err := s.server.Symbols(s.ctx, &protocol.WorkspaceSymbolParams{Query: "ap"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, si := range res.(protocol.SymbolInformationSlice) {
		names = append(names, si.Name)
	}
	if diff := cmp.Diff([]string{"App", "app"}, names); diff != "" {
		t.Errorf("workspace symbols (-want +got):\n%s", diff)
	}
}

func TestFormattingEdit(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.k": "a=1\nb   =  [1,2]\n"})
	s := startSession(t, dir, Options{})
	u, _ := s.open("main.k")
	edits, err := s.server.Formatting(s.ctx, &protocol.DocumentFormattingParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) != 1 || edits[0].NewText != "a = 1\nb = [1, 2]\n" {
		t.Errorf("formatting edits: %#v", edits)
	}
}

func TestQuickFixesOnExamples(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{Debounce: 1})
	// An instance without its required image: the action adds it.
	src := "import models.frontend\n\nweb: frontend.Server {\n    replicas = 2\n}\n"
	u, _ := s.open("shop/dev/main.k", src)
	acts, err := s.server.CodeAction(s.ctx, &protocol.CodeActionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u},
		Range: protocol.Range{Start: protocol.Position{Line: 3, Character: 4}, End: protocol.Position{Line: 3, Character: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	var fix *protocol.CodeAction
	for _, a := range acts {
		if ca, ok := a.(*protocol.CodeAction); ok && strings.HasPrefix(ca.Title, "Add missing required attributes") {
			fix = ca
		}
	}
	if fix == nil {
		t.Fatalf("no missing-attributes action: %v", acts)
	}
	if e := fix.Edit.Changes[u]; len(e) != 1 || !strings.Contains(e[0].NewText, `image = ""`) {
		t.Errorf("missing-attributes edit: %#v", fix.Edit.Changes[u])
	}
	// A missing import: `frontend` used without importing it.
	src2 := "web: frontend.Server {\n    image = \"a:1\"\n}\n"
	s.change(u, 2, protocol.Range{Start: protocol.Position{}, End: protocol.Position{Line: 5}}, src2)
	d := protocol.Diagnostic{Range: protocol.Range{Start: protocol.Position{Line: 0, Character: 5}, End: protocol.Position{Line: 0, Character: 13}},
		Message: protocol.String("NameError: name 'frontend' is not defined"),
		Code:    protocol.String("unknown-name"), Data: protocol.LSPAny(`{"args":{"name":"frontend"}}`)}
	acts, err = s.server.CodeAction(s.ctx, &protocol.CodeActionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u},
		Range: d.Range, Context: protocol.CodeActionContext{Diagnostics: []protocol.Diagnostic{d}}})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, a := range acts {
		if ca, ok := a.(*protocol.CodeAction); ok {
			titles = append(titles, ca.Title)
		}
	}
	if !contains(titles, "Add import models.frontend") {
		t.Errorf("import actions: %v", titles)
	}
}

func TestCodeLensAndPreviewCommand(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	u, _ := s.open("shop/dev/main.k")
	lenses, err := s.server.CodeLens(s.ctx, &protocol.CodeLensParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, l := range lenses {
		titles = append(titles, l.Command.Title)
	}
	if diff := cmp.Diff([]string{"Preview resources", "Preview diff", "Apply"}, titles); diff != "" {
		t.Errorf("code lenses (-want +got):\n%s", diff)
	}
	arg, _ := json.Marshal(string(u))
	raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdPreview, Arguments: []protocol.LSPAny{arg}})
	if err != nil {
		t.Fatal(err)
	}
	var res commandResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Text, "kind: Deployment") || !strings.Contains(res.Text, "kind: Secret") || !strings.Contains(res.Text, spec.Masked) || strings.Contains(res.Text, "ZGV2LXBhc3N3b3JkLTEyMw") {
		t.Errorf("preview text lacks the Deployment, the Secret or the mask:\n%s", res.Text)
	}
	if _, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: "konfig.nope", Arguments: []protocol.LSPAny{arg}}); err == nil {
		t.Error("an unknown command succeeded")
	}
}

// TestMissingAttributesAcrossFiles: in a stack, `storefront: Server {…}` is
// declared in base.k and main.k; the attributes base.k sets are not missing
// in main.k.
func TestMissingAttributesAcrossFiles(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	u, src := s.open("shop/dev/main.k")
	res, err := s.server.Completion(s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: tdp(u, findPos(t, src, "    image", 4))})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range labels(res) {
		if strings.HasPrefix(l, "required attributes of") {
			t.Errorf("completion offers %q although base.k sets them", l)
		}
	}
}
