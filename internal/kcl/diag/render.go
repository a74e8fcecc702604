package diag

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SourceReader gives the text of a source file for rendering; Render asks it
// for the file named in a message's position.
type SourceReader interface {
	ReadSource(path string) ([]byte, error)
}

// FileSource is a SourceReader that reads from Overlay first, then with
// Read (from disk when Read is nil). The zero value reads from disk only.
type FileSource struct {
	Overlay map[string][]byte
	// Read reads a file that is not in Overlay; nil is os.ReadFile. Give
	// the evaluation's sandbox (sandbox.FS.ReadFile) so that an error
	// never shows a line of a file the program was not allowed to read.
	Read func(path string) ([]byte, error)
}

// ReadSource returns the overlay content for path, else the file's content.
func (s FileSource) ReadSource(path string) ([]byte, error) {
	if b, ok := s.Overlay[path]; ok {
		return b, nil
	}
	read := s.Read
	if read == nil {
		read = os.ReadFile
	}
	b, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("read source: %w", err)
	}
	return b, nil
}

// RenderError renders err to w in the official layout: a *Diagnostic or a
// List block by block, any other error as an EvaluationError without
// position.
func RenderError(w io.Writer, err error, src SourceReader) {
	var list List
	var d *Diagnostic
	switch {
	case errors.As(err, &list):
		for _, d := range list {
			Render(w, d, src)
		}
	case errors.As(err, &d):
		Render(w, d, src)
	default:
		Render(w, &Diagnostic{Kind: EvaluationError, Messages: []Message{{Text: err.Error()}}}, src)
	}
}

// Render writes d to w in the layout of the official KCL compiler
// (annotate-snippets style):
//
//	error[E2G22]: TypeError
//	 --> /abs/main.k:7:5
//	  |
//	7 |     name: pkg.Name0
//	  |     ^ can't change schema field type of 'name' from Name0 to Name0
//	  |
//	note: …
//
// A message whose position has no column (runtime errors) gets no caret:
// `  |  text` (`  | ` for an empty text). A message without a file is
// printed as plain text under the header. When the source cannot be read the block is `---> File pos: text`.
// Backtrace frames (for -d) follow as `note: backtrace:`.
func Render(w io.Writer, d *Diagnostic, src SourceReader) {
	var b strings.Builder
	level := "error"
	if d.Warning {
		level = "warning"
	}
	fmt.Fprintf(&b, "%s[%s]: %s\n", level, d.Kind.Code(), d.Kind)
	for _, m := range d.Messages {
		renderMessage(&b, m, src)
		if m.Note != "" {
			fmt.Fprintf(&b, "note: %s\n", m.Note)
		}
		for _, sg := range m.Suggestions {
			fmt.Fprintf(&b, "suggestion: %s\n", sg)
		}
	}
	if len(d.Backtrace) > 0 {
		b.WriteString("note: backtrace:\n")
		for i, p := range d.Backtrace {
			fmt.Fprintf(&b, "\t%d: kcl_main\n\t\tat %s:%d\n", i, p.File, p.Line)
		}
	}
	io.WriteString(w, b.String())
}

func renderMessage(b *strings.Builder, m Message, src SourceReader) {
	if m.Pos.File == "" || m.Pos.Line <= 0 {
		if m.Text != "" {
			b.WriteString(m.Text)
			b.WriteByte('\n')
		}
		return
	}
	line, ok := sourceLine(src, m.Pos.File, m.Pos.Line)
	if !ok {
		fmt.Fprintf(b, "---> File %s: %s\n", m.Pos, m.Text)
		return
	}
	num := strconv.Itoa(m.Pos.Line)
	pad := strings.Repeat(" ", len(num))
	fmt.Fprintf(b, "%s--> %s\n", pad, m.Pos)
	fmt.Fprintf(b, "%s |\n", pad)
	if line == "" {
		fmt.Fprintf(b, "%s |\n", num)
	} else {
		fmt.Fprintf(b, "%s | %s\n", num, line)
	}
	if m.Pos.Col <= 0 {
		if m.Text == "" {
			fmt.Fprintf(b, "%s | \n", pad)
		} else {
			fmt.Fprintf(b, "%s |  %s\n", pad, m.Text)
		}
	} else {
		col := m.Pos.Col - 1
		if n := utf8.RuneCountInString(line); col >= n {
			col = max(n-1, 0)
		}
		fmt.Fprintf(b, "%s | %s^ %s\n", pad, caretIndent(line, col), m.Text)
	}
	fmt.Fprintf(b, "%s |\n", pad)
}

// caretIndent returns the indentation that puts a caret under character col
// of line (0-based). Like the official renderer, it counts display width:
// control characters (tabs included) take no room, East Asian wide characters
// take two columns, combining marks none.
func caretIndent(line string, col int) string {
	w, i := 0, 0
	for _, r := range line {
		if i >= col {
			break
		}
		w += runeWidth(r)
		i++
	}
	w += col - i
	return strings.Repeat(" ", w)
}

// runeWidth approximates the terminal display width of r.
func runeWidth(r rune) int {
	switch {
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return 0
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200b:
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0x303e, r >= 0x3041 && r <= 0x33ff,
		r >= 0x3400 && r <= 0x4dbf, r >= 0x4e00 && r <= 0x9fff, r >= 0xa000 && r <= 0xa4cf,
		r >= 0xac00 && r <= 0xd7a3, r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60, r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1f64f,
		r >= 0x1f900 && r <= 0x1f9ff, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// sourceLine returns line n (1-based) of file without its line terminator.
func sourceLine(src SourceReader, file string, n int) (string, bool) {
	if src == nil {
		src = FileSource{}
	}
	data, err := src.ReadSource(file)
	if err != nil {
		return "", false
	}
	text := string(data)
	for i := 1; i < n; i++ {
		j := strings.IndexByte(text, '\n')
		if j < 0 {
			return "", false
		}
		text = text[j+1:]
	}
	if j := strings.IndexByte(text, '\n'); j >= 0 {
		text = text[:j]
	}
	return strings.TrimRight(text, "\r"), true
}
