package lsp

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// text is an immutable document text with two line indexes, for converting
// between byte offsets and positions:
//
//   - lines follows the LSP: CR, LF and CRLF each end a line. LSP positions
//     (0-based line, UTF-16 code units) count in these lines.
//   - nlLines follows the KCL packages, whose scanners end a line at LF only
//     (a lone CR is whitespace there): their 1-based line:column positions
//     count in these. It is lines itself when the text has no lone CR.
//
// The indexes are built on first use, at their exact size: a document that
// is only stored (one over the size limits, opened and never asked about)
// costs its text alone.
type text struct {
	src string

	once sync.Once
	idx  lineIndex
}

type lineIndex struct {
	lines   []int // byte offset of the start of each LSP line
	nlLines []int // byte offset of the start of each LF-terminated line
}

func newText(src string) *text { return &text{src: src} }

func (t *text) index() *lineIndex {
	t.once.Do(func() { t.idx = indexLines(t.src) })
	return &t.idx
}

// lines returns the start offsets of the LSP lines.
func (t *text) lines() []int { return t.index().lines }

// nlLines returns the start offsets of the LF-terminated lines.
func (t *text) nlLines() []int { return t.index().nlLines }

// lineCount is the number of LSP lines.
func (t *text) lineCount() int { return len(t.lines()) }

func indexLines(src string) lineIndex {
	nl := strings.Count(src, "\n")
	if strings.IndexByte(src, '\r') < 0 {
		lines := make([]int, 1, nl+1)
		for i := 0; ; {
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			lines = append(lines, i)
		}
		return lineIndex{lines: lines, nlLines: lines}
	}
	lines := make([]int, 1, nl+strings.Count(src, "\r")+1)
	loneCR := false
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			lines = append(lines, i+1)
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				continue // CRLF: the LF ends the line
			}
			loneCR = true
			lines = append(lines, i+1)
		}
	}
	ix := lineIndex{lines: lines, nlLines: lines}
	if loneCR {
		nls := make([]int, 1, nl+1)
		for i := 0; i < len(src); i++ {
			if src[i] == '\n' {
				nls = append(nls, i+1)
			}
		}
		ix.nlLines = nls
	}
	return ix
}

// firstLine is the text of the first line, without building the indexes.
func (t *text) firstLine() string {
	if i := strings.IndexAny(t.src, "\r\n"); i >= 0 {
		return t.src[:i]
	}
	return t.src
}

// lineEnd returns the byte offset of the end of LSP line n's content (before
// its CR, LF or CRLF).
func (t *text) lineEnd(n int) int {
	if n+1 >= len(t.lines()) {
		return len(t.src)
	}
	end := t.lines()[n+1] - 1 // the LF, or a lone CR
	if t.src[end] == '\n' && end > t.lines()[n] && t.src[end-1] == '\r' {
		end--
	}
	return end
}

// line returns the text of 0-based LSP line n without its line break.
func (t *text) line(n int) string {
	if n < 0 || n >= len(t.lines()) {
		return ""
	}
	return t.src[t.lines()[n]:t.lineEnd(n)]
}

// lineStart returns the byte offset of the start of the LSP line holding off.
func (t *text) lineStart(off int) int {
	return t.lines()[t.lineOf(off)]
}

// lineOf returns the 0-based LSP line holding byte offset off (clamped to the
// text). An offset between the CR and the LF of a CRLF is on the line the
// CRLF ends.
func (t *text) lineOf(off int) int {
	off = min(max(off, 0), len(t.src))
	ls := t.lines()
	return sort.Search(len(ls), func(i int) bool { return ls[i] > off }) - 1
}

// nlLine returns the text of 1-based LF-terminated line n (the KCL
// packages' lines) without its line break, and its start offset.
func (t *text) nlLine(n int) (string, int) {
	if n < 1 || n > len(t.nlLines()) {
		return "", len(t.src)
	}
	start := t.nlLines()[n-1]
	end := len(t.src)
	if n < len(t.nlLines()) {
		end = t.nlLines()[n] - 1
	}
	if end > start && t.src[end-1] == '\r' {
		end--
	}
	return t.src[start:end], start
}

// offset converts an LSP position into a byte offset. Positions past the end
// of a line clamp to the line end (as the LSP specifies), a position inside a
// surrogate pair to before it; a position one line past the last, at
// character 0, is the end of the text; further lines are an error.
func (t *text) offset(p protocol.Position) (int, error) {
	off, _, err := t.offsetExact(p)
	return off, err
}

// offsetExact is offset that also reports whether the position is exact: on
// an existing line, at most at its end and not inside a surrogate pair.
func (t *text) offsetExact(p protocol.Position) (off int, exact bool, err error) {
	line := int(p.Line)
	if line >= len(t.lines()) {
		if line == len(t.lines()) && p.Character == 0 {
			return len(t.src), true, nil
		}
		return 0, false, fmt.Errorf("position %d:%d is past the end of the document (%d lines)", p.Line, p.Character, len(t.lines()))
	}
	start := t.lines()[line]
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
	return start + i, units == 0, nil
}

// position converts a byte offset into an LSP position. An offset inside a
// line break (between CR and LF) is the end of its line.
func (t *text) position(off int) protocol.Position {
	off = min(max(off, 0), len(t.src))
	line := t.lineOf(off)
	start := t.lines()[line]
	off = min(off, t.lineEnd(line))
	return protocol.Position{Line: uint32(line), Character: uint32(utf16Len(t.src[start:off]))}
}

// lineColPosition converts a 1-based line and 1-based byte column of the KCL
// packages (lines end at LF only) into an LSP position.
func (t *text) lineColPosition(line, col int) protocol.Position {
	if line < 1 {
		return protocol.Position{}
	}
	if line > len(t.nlLines()) {
		return t.position(len(t.src))
	}
	s, start := t.nlLine(line)
	c := min(max(col-1, 0), len(s))
	return t.position(start + c)
}

// charColPosition converts a 1-based line (lines end at LF only) and a
// 1-based column counted in characters (runes), as KCL diagnostics give
// them, into an LSP position.
func (t *text) charColPosition(line, col int) protocol.Position {
	if line < 1 || line > len(t.nlLines()) {
		return t.lineColPosition(line, 1)
	}
	s, start := t.nlLine(line)
	i, n := 0, 1
	for i < len(s) && n < col {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return t.position(start + i)
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

// textChange is one content change of a didChange: the replacement of rng
// by text, or of the whole document when whole is set.
type textChange struct {
	whole bool
	rng   protocol.Range
	text  string
}

// changesOf converts the protocol's content change events.
func changesOf(events []protocol.TextDocumentContentChangeEvent) ([]textChange, error) {
	out := make([]textChange, 0, len(events))
	for _, ev := range events {
		switch c := ev.(type) {
		case *protocol.TextDocumentContentChangeWholeDocument:
			out = append(out, textChange{whole: true, text: c.Text})
		case *protocol.TextDocumentContentChangePartial:
			out = append(out, textChange{rng: c.Range, text: c.Text})
		default:
			return nil, fmt.Errorf("unknown content change event %T", ev)
		}
	}
	return out, nil
}

// applyChanges applies content changes in order and returns the new text.
// It is strict where request positions are lenient: a range whose line does
// not exist, whose character is past its line's end or inside a surrogate
// pair, or whose start is after its end is an error (the editor's text and
// ours must differ), and then nothing is applied.
func applyChanges(src string, changes []textChange) (string, error) {
	for i, c := range changes {
		if c.whole {
			src = c.text
			continue
		}
		t := newText(src)
		start, ok, err := t.offsetExact(c.rng.Start)
		if err == nil && !ok {
			err = fmt.Errorf("character %d is past the end of line %d or inside a character", c.rng.Start.Character, c.rng.Start.Line)
		}
		if err != nil {
			return "", fmt.Errorf("change %d: range start: %w", i, err)
		}
		end, ok, err := t.offsetExact(c.rng.End)
		if err == nil && !ok {
			err = fmt.Errorf("character %d is past the end of line %d or inside a character", c.rng.End.Character, c.rng.End.Line)
		}
		if err != nil {
			return "", fmt.Errorf("change %d: range end: %w", i, err)
		}
		if end < start {
			return "", fmt.Errorf("change %d: range end %d:%d before its start %d:%d", i, c.rng.End.Line, c.rng.End.Character, c.rng.Start.Line, c.rng.Start.Character)
		}
		src = src[:start] + c.text + src[end:]
	}
	return src, nil
}
