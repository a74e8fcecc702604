package lsp

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
)

// TestRangeFormattingCapability checks that initialize advertises
// textDocument/rangeFormatting.
func TestRangeFormattingCapability(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, a, Options{}) }()
	tc := &testClient{}
	cctx, conn, server := ConnectClient(ctx, tc, b)
	defer func() {
		cancel()
		conn.Close()
		b.Close()
		<-done
	}()
	res, err := server.Initialize(cctx, &protocol.InitializeParams{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Capabilities.DocumentRangeFormattingProvider == nil {
		t.Errorf("initialize: no documentRangeFormattingProvider in %+v", res.Capabilities)
	}
}

// applyEdits applies non-overlapping edits (in document order) to src.
func applyEdits(t *testing.T, src string, edits []protocol.TextEdit) string {
	t.Helper()
	tx := newText(src)
	var b strings.Builder
	last := 0
	for _, e := range edits {
		start, err := tx.offset(e.Range.Start)
		if err != nil {
			t.Fatal(err)
		}
		end, err := tx.offset(e.Range.End)
		if err != nil {
			t.Fatal(err)
		}
		if start < last {
			t.Fatalf("edits overlap or are out of order: %+v", edits)
		}
		b.WriteString(src[last:start])
		b.WriteString(e.NewText)
		last = end
	}
	b.WriteString(src[last:])
	return b.String()
}

// TestRangeFormatting formats parts of a document through the server: only
// the lines of the range change, as the whole-document formatting changes
// them; formatting every range in turn gives the formatted document.
func TestRangeFormatting(t *testing.T) {
	src := "a=1\n" + // line 0
		"b   =  [1,2]\n" + // 1
		"# 注释 comment\n" + // 2
		"c = {\n" + // 3
		"  x=1\n" + // 4
		"  y   =2\n" + // 5
		"}\n" + // 6
		"d=  3\n" // 7
	dir := writeFiles(t, map[string]string{"main.k": src})
	s := startSession(t, dir, Options{})
	u, _ := s.open("main.k")
	rangeFmt := func(r protocol.Range) []protocol.TextEdit {
		t.Helper()
		edits, err := s.server.RangeFormatting(s.ctx, &protocol.DocumentRangeFormattingParams{
			TextDocument: protocol.TextDocumentIdentifier{URI: u}, Range: r})
		if err != nil {
			t.Fatal(err)
		}
		return edits
	}
	line := func(first, last uint32) protocol.Range {
		return protocol.Range{Start: protocol.Position{Line: first}, End: protocol.Position{Line: last, Character: 3}}
	}

	for _, tc := range []struct {
		name string
		r    protocol.Range
		want string
	}{
		{"second line", line(1, 1), "a=1\nb = [1, 2]\n" + src[len("a=1\nb   =  [1,2]\n"):]},
		{"inside the config", line(5, 5), strings.Replace(src, "  y   =2\n", "    y = 2\n", 1)},
		{"a selection up to the start of the next line", protocol.Range{Start: protocol.Position{Line: 7}, End: protocol.Position{Line: 8}},
			strings.Replace(src, "d=  3\n", "d = 3\n", 1)},
		{"an already formatted line", line(2, 2), src},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := applyEdits(t, src, rangeFmt(tc.r))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("after range formatting (-want +got):\n%s", d)
			}
		})
	}

	// The whole document as a range: the result of textDocument/formatting.
	whole, err := s.server.Formatting(s.ctx, &protocol.DocumentFormattingParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil || len(whole) != 1 {
		t.Fatalf("formatting: %v %+v", err, whole)
	}
	got := applyEdits(t, src, rangeFmt(protocol.Range{End: protocol.Position{Line: 8}}))
	if d := cmp.Diff(whole[0].NewText, got); d != "" {
		t.Errorf("range over the whole document (-formatting +range formatting):\n%s", d)
	}

	// A document that does not parse: no edits.
	bad, _ := s.open("bad.k", "a = (\n")
	edits, err := s.server.RangeFormatting(s.ctx, &protocol.DocumentRangeFormattingParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: bad}, Range: line(0, 0)})
	if err != nil || len(edits) != 0 {
		t.Errorf("range formatting of a broken document: %v %+v", err, edits)
	}
}

func TestLineHunks(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want []hunk
	}{
		{"x\n", "x\n", nil},
		{"a\nb\nc\n", "a\nB\nc\n", []hunk{{1, 2, []string{"B\n"}}}},
		{"a\nc\n", "a\nb\nc\n", []hunk{{1, 1, []string{"b\n"}}}},
		{"a\nb\nc\nd\n", "a\nc\nD\n", []hunk{{1, 2, nil}, {3, 4, []string{"D\n"}}}},
		{"a", "a\n", []hunk{{0, 1, []string{"a\n"}}}},
	} {
		got := lineHunks(splitLines(tc.a), splitLines(tc.b))
		if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(hunk{})); d != "" {
			t.Errorf("lineHunks(%q, %q) (-want +got):\n%s", tc.a, tc.b, d)
		}
	}
}
