package lsp

import (
	"fmt"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

func pos(line, char uint32) protocol.Position { return protocol.Position{Line: line, Character: char} }

// TestTextLineBreaks: CR, LF and CRLF each end an LSP line, with columns in
// UTF-16 code units; offsets inside a CRLF are the end of its line.
func TestTextLineBreaks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		lines []string
		// offset → position pairs
		offs []int
		want []protocol.Position
	}{
		{"LF", "ab\ncd", []string{"ab", "cd"}, []int{0, 2, 3, 5}, []protocol.Position{pos(0, 0), pos(0, 2), pos(1, 0), pos(1, 2)}},
		{"CRLF", "ab\r\ncd", []string{"ab", "cd"}, []int{2, 3, 4, 6}, []protocol.Position{pos(0, 2), pos(0, 2), pos(1, 0), pos(1, 2)}},
		{"lone CR", "ab\rcd", []string{"ab", "cd"}, []int{2, 3, 5}, []protocol.Position{pos(0, 2), pos(1, 0), pos(1, 2)}},
		{"mixed", "a\rb\nc\r\nd\r", []string{"a", "b", "c", "d", ""}, []int{1, 2, 4, 5, 6, 7, 8, 9}, []protocol.Position{pos(0, 1), pos(1, 0), pos(2, 0), pos(2, 1), pos(2, 1), pos(3, 0), pos(3, 1), pos(4, 0)}},
		{"CR CR LF", "a\r\r\nb", []string{"a", "", "b"}, []int{1, 2, 3, 4}, []protocol.Position{pos(0, 1), pos(1, 0), pos(1, 0), pos(2, 0)}},
		{"UTF-16", "é😀\rx", []string{"é😀", "x"}, []int{2, 6, 7}, []protocol.Position{pos(0, 1), pos(0, 3), pos(1, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := newText(tc.src)
			var got []string
			for i := range tx.lineCount() {
				got = append(got, tx.line(i))
			}
			if strings.Join(got, "|") != strings.Join(tc.lines, "|") {
				t.Errorf("lines %q, want %q", got, tc.lines)
			}
			for i, off := range tc.offs {
				p := tx.position(off)
				if p != tc.want[i] {
					t.Errorf("position(%d) = %v, want %v", off, p, tc.want[i])
				}
				back, err := tx.offset(p)
				if err != nil {
					t.Fatalf("offset(%v): %v", p, err)
				}
				if tx.position(back) != p {
					t.Errorf("offset(%v) = %d, which is at %v", p, back, tx.position(back))
				}
			}
		})
	}
}

// TestTextKCLPositions: the KCL packages' 1-based line:col count lines at LF
// only (a lone CR is whitespace to their scanner); their positions convert to
// LSP lines that also break at the CR.
func TestTextKCLPositions(t *testing.T) {
	tx := newText("a = 1\rb = 2\nc = 3")
	// KCL line 1 holds "a = 1\rb = 2"; column 7 (1-based bytes) is "b".
	if got, want := tx.lineColPosition(1, 7), pos(1, 0); got != want {
		t.Errorf("lineColPosition(1, 7) = %v, want %v", got, want)
	}
	if got, want := tx.lineColPosition(2, 1), pos(2, 0); got != want {
		t.Errorf("lineColPosition(2, 1) = %v, want %v", got, want)
	}
	if got, want := tx.charColPosition(1, 9), pos(1, 2); got != want {
		t.Errorf("charColPosition(1, 9) = %v, want %v", got, want)
	}
	if got, want := tx.lineColPosition(9, 1), pos(2, 5); got != want {
		t.Errorf("lineColPosition past the end = %v, want %v", got, want)
	}
}

// TestApplyChangesStrict: valid edits apply; a range that does not fit the
// text is an error and nothing is applied.
func TestApplyChangesStrict(t *testing.T) {
	rng := func(l1, c1, l2, c2 uint32) protocol.Range {
		return protocol.Range{Start: pos(l1, c1), End: pos(l2, c2)}
	}
	const src = "ab\r\ncd\ré😀"
	for _, tc := range []struct {
		name    string
		changes []textChange
		want    string // "" with wantErr
		wantErr string
	}{
		{"insert after CRLF line", []textChange{{rng: rng(0, 2, 0, 2), text: "X"}}, "abX\r\ncd\ré😀", ""},
		{"replace across CR", []textChange{{rng: rng(1, 1, 2, 1), text: "-"}}, "ab\r\nc-😀", ""},
		{"end of text", []textChange{{rng: rng(2, 3, 2, 3), text: "!"}}, src + "!", ""},
		{"line after last, char 0", []textChange{{rng: rng(3, 0, 3, 0), text: "!"}}, src + "!", ""},
		{"whole then partial", []textChange{{whole: true, text: "xy"}, {rng: rng(0, 1, 0, 2), text: "z"}}, "xz", ""},
		{"line out of range", []textChange{{rng: rng(4, 0, 4, 0), text: "!"}}, "", "past the end"},
		{"character past the line", []textChange{{rng: rng(0, 3, 0, 3), text: "!"}}, "", "past the end of line 0"},
		{"inside a surrogate pair", []textChange{{rng: rng(2, 2, 2, 2), text: "!"}}, "", "inside a character"},
		{"start after end", []textChange{{rng: rng(1, 2, 1, 0), text: "!"}}, "", "before its start"},
		{"second change bad", []textChange{{rng: rng(0, 0, 0, 0), text: "ok"}, {rng: rng(9, 0, 9, 0), text: "!"}}, "", "change 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := applyChanges(src, tc.changes)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q (text %q)", err, tc.wantErr, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("= %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestFoldingLineBreaks: folding ranges count lines in LSP terms whatever
// ends them (the parser's lines end at LF only).
func TestFoldingLineBreaks(t *testing.T) {
	for _, nl := range []string{"\n", "\r\n", "\r"} {
		src := strings.ReplaceAll("x = [\n    1,\n    [\n        2,\n    ],\n]\n", "\n", nl)
		f, errs := syntax.ParseFile("a.k", []byte(src))
		if len(errs) > 0 {
			t.Fatalf("%q: %v", nl, errs)
		}
		var got []string
		for _, r := range foldingRanges(f, newText(src)) {
			got = append(got, fmt.Sprintf("%d-%d", r.StartLine, r.EndLine))
		}
		if want := "0-5 2-4"; strings.Join(got, " ") != want {
			t.Errorf("line break %q: folding ranges %v, want %s", nl, got, want)
		}
	}
}
