package lsp

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// TestCompletionContext: the context at the cursor `|`, decided from the
// syntax tree, in whole and in broken code.
func TestCompletionContext(t *testing.T) {
	for _, c := range []struct {
		src  string
		kind complKind
		want string // word, member, import prefix or attribute, by kind
	}{
		{"import models.fr|", ckImport, "models.fr"},
		{"import |", ckImport, ""},
		{"x = 1\nimport a.|\ny = 2", ckImport, "a."},
		{"a = x.|", ckMember, "x"},
		{"a = x.b.c|", ckMember, "b"},
		{`a = "abc".|`, ckMember, ""},
		{"app: frontend.Se|", ckMember, "frontend"},
		{"name = Server {\n    ima|", ckKey, "ima"},
		{"name = Server {\n    image = \"x\"\n    |", ckKey, ""},
		{"name = Server {\n    |\nb = 1", ckKey, ""},
		{"a = Server {\n    ports = [Port {\n        |", ckKey, ""},
		{"name = Server {\n    env = \"d|", ckValue, "env"},
		{"name = Server {\n    replicas = |\n}", ckValue, "replicas"},
		{"name = Server {\n    image = \"x\"\n}|", ckScope, ""},
		{"name = Server {\n    image = \"x\"   |\n}", ckScope, ""},
		{"a = option(\"ap|", ckOption, ""},
		{"app = fron|", ckSchemaPos, "fron"},
		{"app: fron|", ckSchemaPos, "fron"},
		{"a = [\n    1,\n    |", ckScope, ""},
	} {
		off := strings.Index(c.src, "|")
		src := c.src[:off] + c.src[off+1:]
		f, _ := syntax.ParseFile("x.k", []byte(src))
		cx := completionContext(f, off)
		got := cx.word
		switch cx.kind {
		case ckMember:
			got = cx.member
		case ckImport:
			got = cx.importPrefix
		case ckValue:
			got = cx.attr
		case ckOption:
			got = ""
		}
		if cx.kind != c.kind || got != c.want {
			t.Errorf("%q: context %d %q, want %d %q", c.src, cx.kind, got, c.kind, c.want)
		}
		if (cx.kind == ckKey || cx.kind == ckValue) && cx.config == nil {
			t.Errorf("%q: no config block", c.src)
		}
	}
}

// TestCompletionInBrokenStackFile: in a stack file being typed, an
// unterminated option("… offers the stack's option keys, and a new line of
// an unfinished instance offers the attributes still to set.
func TestCompletionInBrokenStackFile(t *testing.T) {
	dir := copyExamples(t)
	s := startSession(t, dir, Options{})
	src := mustRead(t, filepath.Join(dir, "shop", "dev", "main.k"))
	cut := strings.Index(src, `option("db_password")`) + len(`option("`)
	broken := src[:cut] // ends inside the unterminated string of an unclosed block
	u, _ := s.open("shop/dev/main.k", broken)
	res, err := s.server.Completion(s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: tdp(u, newText(broken).position(len(broken)))})
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(res); !slices.Contains(got, "db_password") || !slices.Contains(got, "env") {
		t.Errorf("option keys: %v", got)
	}
	// A new line after the image, with the block left open.
	prev := broken
	broken = src[:strings.Index(src, "    env: {")] + "    "
	s.change(u, 2, protocol.Range{End: newText(prev).position(len(prev))}, broken)
	res, err = s.server.Completion(s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: tdp(u, newText(broken).position(len(broken)))})
	if err != nil {
		t.Fatal(err)
	}
	got := labels(res)
	if !slices.Contains(got, "replicas") || slices.Contains(got, "image") || slices.Contains(got, "lambda") {
		t.Errorf("attributes in the unfinished block: %v", got)
	}
}
