package lsp

import (
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// findPos returns the position of the first occurrence of needle in src,
// plus delta characters.
func findPos(t *testing.T, src, needle string, delta int) protocol.Position {
	t.Helper()
	i := strings.Index(src, needle)
	if i < 0 {
		t.Fatalf("%q not found", needle)
	}
	return newText(src).position(i + delta)
}

func labels(res protocol.CompletionResult) []string {
	var items []protocol.CompletionItem
	switch r := res.(type) {
	case *protocol.CompletionList:
		items = r.Items
	case protocol.CompletionItemSlice:
		items = r
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Label
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hoverText(h *protocol.Hover) string {
	if h == nil {
		return ""
	}
	if m, ok := h.Contents.(*protocol.MarkupContent); ok {
		return m.Value
	}
	return ""
}

func TestWordpressDevStack(t *testing.T) {
	konfigDir := filepath.Join(testutil.CorpusDir(t), "konfig")
	s := startSession(t, konfigDir, Options{Debounce: 1, PreviewWait: -1}) // the hover previews are checked, not their latency
	u, src := s.open("appops/wordpress/dev/main.k")

	// Completion inside the Server block: a new line after the image.
	pos := findPos(t, src, `image = "wordpress:4.8-apache"`, len(`image = "wordpress:4.8-apache"`))
	s.change(u, 2, protocol.Range{Start: pos, End: pos}, "\n    ")
	src2 := src[:strings.Index(src, `"wordpress:4.8-apache"`)+len(`"wordpress:4.8-apache"`)] + "\n    "
	cpos := newText(src2).position(len(src2))
	res, err := s.server.Completion(s.ctx, &protocol.CompletionParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: cpos}})
	if err != nil {
		t.Fatalf("completion: %v", err)
	}
	got := labels(res)
	if !contains(got, "replicas") || !contains(got, "labels") {
		t.Errorf("completion in Server block lacks replicas/labels: %v", got)
	}
	if contains(got, "image") || contains(got, "database") {
		t.Errorf("completion offers attributes already set (image, database): %v", got)
	}
	// Undo the edit.
	end := newText(src2).position(len(src2))
	s.change(u, 3, protocol.Range{Start: pos, End: end}, "")

	// Hover on the instance name previews the resources.
	h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: findPos(t, src, "wordpress: frontend", 2)}})
	if err != nil {
		t.Fatalf("hover: %v", err)
	}
	if ht := hoverText(h); !strings.Contains(ht, "Resources in stack") || !strings.Contains(ht, "kind: Deployment") {
		t.Errorf("hover on the instance lacks the resource preview:\n%s", ht)
	}
	if ht := hoverText(h); strings.Contains(ht, "Kusion123456") {
		t.Errorf("hover preview shows a secret value:\n%s", ht)
	}

	// Hover on an attribute shows the output fields that carry its value.
	h, err = s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: findPos(t, src, `image = "wordpress`, 1)}})
	if err != nil {
		t.Fatalf("hover: %v", err)
	}
	if ht := hoverText(h); !strings.Contains(ht, "Output fields with this value") || !strings.Contains(ht, "spec.template.spec.containers[0].image") {
		t.Errorf("hover on image lacks the provenance of its value:\n%s", ht)
	}

	// Definition of Server.
	defs, err := s.server.Definition(s.ctx, &protocol.DefinitionParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: findPos(t, src, "frontend.Server {", len("frontend.S"))}})
	if err != nil {
		t.Fatalf("definition: %v", err)
	}
	if locs, ok := defs.(protocol.LocationSlice); !ok || len(locs) != 1 || !strings.HasSuffix(locs[0].URI.FsPath(), "frontend/server.k") {
		t.Errorf("definition of Server: %v", defs)
	}

	// Policy: PostgreSQL violates the back-end's assert, on the edited line.
	epos := findPos(t, src, `"MySQL"`, 1)
	epEnd := protocol.Position{Line: epos.Line, Character: epos.Character + 5}
	s.change(u, 4, protocol.Range{Start: epos, End: epEnd}, "PostgreSQL")
	const want = "databaseEngine must be set to MySQL when creating a serverless instance"
	ds := s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool {
		for _, d := range ds {
			if strings.Contains(diagText(d), want) {
				return true
			}
		}
		return false
	})
	for _, d := range ds {
		if strings.Contains(diagText(d), want) && d.Range.Start.Line != epos.Line {
			t.Errorf("policy diagnostic on line %d, want the edited line %d", d.Range.Start.Line, epos.Line)
		}
	}
	s.change(u, 5, protocol.Range{Start: epos, End: protocol.Position{Line: epos.Line, Character: epos.Character + 10}}, "MySQL")
	s.client.WaitDiags(t, u, func(ds []protocol.Diagnostic) bool {
		for _, d := range ds {
			if strings.Contains(diagText(d), want) {
				return false
			}
		}
		return true
	})
}
