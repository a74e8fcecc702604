package lsp

import (
	"fmt"
	"sort"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// text is an immutable document text with a line index, for converting
// between byte offsets and LSP positions (UTF-16 code units).
type text struct {
	src   string
	lines []int // byte offset of the start of each line
}

func newText(src string) *text {
	lines := make([]int, 1, 64)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lines = append(lines, i+1)
		}
	}
	return &text{src: src, lines: lines}
}

// line returns the text of 0-based line n without its newline.
func (t *text) line(n int) string {
	if n < 0 || n >= len(t.lines) {
		return ""
	}
	end := len(t.src)
	if n+1 < len(t.lines) {
		end = t.lines[n+1] - 1
	}
	s := t.src[t.lines[n]:end]
	if len(s) > 0 && s[len(s)-1] == '\r' {
		s = s[:len(s)-1]
	}
	return s
}

// offset converts an LSP position into a byte offset. Positions past the end
// of a line clamp to the line end; past the last line, to the end of text.
func (t *text) offset(p protocol.Position) (int, error) {
	line := int(p.Line)
	if line >= len(t.lines) {
		if line == len(t.lines) && p.Character == 0 {
			return len(t.src), nil
		}
		return 0, fmt.Errorf("position %d:%d is past the end of the document (%d lines)", p.Line, p.Character, len(t.lines))
	}
	start := t.lines[line]
	s := t.line(line)
	units := int(p.Character)
	i := 0
	for i < len(s) && units > 0 {
		r, size := utf8.DecodeRuneInString(s[i:])
		n := utf16.RuneLen(r)
		if n < 0 {
			n = 1
		}
		if n > units { // inside a surrogate pair: stop before it
			break
		}
		units -= n
		i += size
	}
	return start + i, nil
}

// position converts a byte offset into an LSP position.
func (t *text) position(off int) protocol.Position {
	if off < 0 {
		off = 0
	}
	if off > len(t.src) {
		off = len(t.src)
	}
	line := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	start := t.lines[line]
	return protocol.Position{Line: uint32(line), Character: uint32(utf16Len(t.src[start:off]))}
}

// lineColPosition converts a 1-based line and 1-based byte column into an LSP
// position (the syntax package's positions).
func (t *text) lineColPosition(line, col int) protocol.Position {
	if line < 1 {
		return protocol.Position{}
	}
	if line > len(t.lines) {
		return t.position(len(t.src))
	}
	s := t.line(line - 1)
	c := col - 1
	if c < 0 {
		c = 0
	}
	if c > len(s) {
		c = len(s)
	}
	return protocol.Position{Line: uint32(line - 1), Character: uint32(utf16Len(s[:c]))}
}

// charColPosition converts a 1-based line and a 1-based column counted in
// characters (runes), as KCL diagnostics give it, into an LSP position.
func (t *text) charColPosition(line, col int) protocol.Position {
	if line < 1 || line > len(t.lines) {
		return t.lineColPosition(line, 1)
	}
	s := t.line(line - 1)
	i, n := 0, 1
	for i < len(s) && n < col {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return protocol.Position{Line: uint32(line - 1), Character: uint32(utf16Len(s[:i]))}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// applyChanges applies LSP content changes in order and returns the new text.
func applyChanges(src string, changes []protocol.TextDocumentContentChangeEvent) (string, error) {
	for _, ch := range changes {
		switch c := ch.(type) {
		case *protocol.TextDocumentContentChangeWholeDocument:
			src = c.Text
		case *protocol.TextDocumentContentChangePartial:
			t := newText(src)
			start, err := t.offset(c.Range.Start)
			if err != nil {
				return "", fmt.Errorf("apply change: %w", err)
			}
			end, err := t.offset(c.Range.End)
			if err != nil {
				return "", fmt.Errorf("apply change: %w", err)
			}
			if end < start {
				return "", fmt.Errorf("apply change: range end %v before start %v", c.Range.End, c.Range.Start)
			}
			src = src[:start] + c.Text + src[end:]
		default:
			return "", fmt.Errorf("apply change: unknown change event %T", ch)
		}
	}
	return src, nil
}
