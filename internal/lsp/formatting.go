package lsp

import (
	"context"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/format"
)

// Formatting answers textDocument/formatting with one edit replacing the
// whole document by its formatted text, or no edit when it is already
// formatted. A document that does not parse is left alone (no edits): its
// syntax errors are already shown as diagnostics.
func (s *server) Formatting(ctx context.Context, params *protocol.DocumentFormattingParams) ([]protocol.TextEdit, error) {
	_, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	out, err := format.Source(path, []byte(t.src))
	if err != nil {
		s.log.Debug("formatting skipped", "path", path, "error", err)
		return []protocol.TextEdit{}, nil
	}
	if string(out) == t.src {
		return []protocol.TextEdit{}, nil
	}
	return []protocol.TextEdit{{
		Range:   lspRange(protocol.Position{}, t.position(len(t.src))),
		NewText: string(out),
	}}, nil
}

// RangeFormatting answers textDocument/rangeFormatting. KCL's layout depends
// on the whole file (blank lines between statements, where comments go), so
// the document is formatted as a whole and the answer keeps the changes that
// touch the lines of the range: each a run of whole lines of the document
// replaced by lines of the formatted text. Formatting the lines that are
// left out later gives the whole-document result.
func (s *server) RangeFormatting(ctx context.Context, params *protocol.DocumentRangeFormattingParams) ([]protocol.TextEdit, error) {
	_, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	out, err := format.Source(path, []byte(t.src))
	if err != nil {
		s.log.Debug("range formatting skipped", "path", path, "error", err)
		return []protocol.TextEdit{}, nil
	}
	first, last := int(params.Range.Start.Line), int(params.Range.End.Line)
	if last > first && params.Range.End.Character == 0 {
		last-- // a selection up to the start of a line does not take that line in
	}
	old := splitLines(t.src)
	edits := []protocol.TextEdit{}
	var hunks []hunk
	for _, h := range lineHunks(old, splitLines(string(out))) {
		if h.a1-h.a0 == len(h.lines) {
			// As many lines as before: line by line, so that a range
			// takes in only its own lines.
			for i, l := range h.lines {
				hunks = append(hunks, hunk{a0: h.a0 + i, a1: h.a0 + i + 1, lines: []string{l}})
			}
			continue
		}
		hunks = append(hunks, h)
	}
	for _, h := range hunks {
		// A hunk covers lines [h.a0, h.a1) of the document; an insertion
		// (h.a0 == h.a1) sits between lines h.a0-1 and h.a0.
		lo, hi := h.a0, h.a1-1
		if h.a0 == h.a1 {
			lo, hi = h.a0-1, h.a0
		}
		if hi < first || lo > last {
			continue
		}
		edits = append(edits, protocol.TextEdit{
			Range:   lspRange(t.position(lineOffset(old, h.a0)), t.position(lineOffset(old, h.a1))),
			NewText: strings.Join(h.lines, ""),
		})
	}
	return edits, nil
}

// splitLines splits s into lines, each with its newline (the last one may
// have none).
func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// hunk replaces lines [a0, a1) of the old text by lines.
type hunk struct {
	a0, a1 int
	lines  []string
}

// maxDiffCells bounds the work of the line diff (lines of the old text times
// lines of the new one, past their common start and end); beyond it the
// changed middle is one hunk.
const maxDiffCells = 1 << 22

// lineHunks returns the changes that turn the lines a into the lines b, in
// order: the runs of lines outside a longest common subsequence.
func lineHunks(a, b []string) []hunk {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(am) == 0 && len(bm) == 0 {
		return nil
	}
	if len(am)*len(bm) > maxDiffCells {
		return []hunk{{a0: pre, a1: pre + len(am), lines: bm}}
	}
	// lcs[i][j] is the length of a longest common subsequence of am[i:]
	// and bm[j:].
	n, m := len(am), len(bm)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if am[i] == bm[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var hunks []hunk
	var cur *hunk
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && am[i] == bm[j]:
			cur = nil
			i++
			j++
			continue
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			if cur == nil {
				hunks = append(hunks, hunk{a0: pre + i, a1: pre + i})
				cur = &hunks[len(hunks)-1]
			}
			cur.lines = append(cur.lines, bm[j])
			j++
		default:
			if cur == nil {
				hunks = append(hunks, hunk{a0: pre + i, a1: pre + i})
				cur = &hunks[len(hunks)-1]
			}
			i++
			cur.a1 = pre + i
		}
	}
	return hunks
}

// lineOffset returns the byte offset of the start of line i of lines (the
// end of the text for i == len(lines)).
func lineOffset(lines []string, i int) int {
	off := 0
	for _, l := range lines[:i] {
		off += len(l)
	}
	return off
}
