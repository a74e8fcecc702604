package konfig

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// Location is a position in a file: Line is 1-based, Col the 1-based
// character column (0 when unknown).
type Location struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Related is a secondary location of a problem with its message (for a
// failed check: where the check is written).
type Related struct {
	Location
	Message string `json:"message"`
}

// Problem is one error of a stack's compile, with its source location when
// the error carries one.
type Problem struct {
	Location
	Kind    string    `json:"kind"`
	Code    string    `json:"code,omitempty"`
	Message string    `json:"message"`
	Related []Related `json:"related,omitempty"`
	// ID is the diagnostic's stable machine code (diag.Code) and Args its
	// structured arguments, when the evaluator gives them.
	ID   diag.Code  `json:"id,omitempty"`
	Args *diag.Args `json:"args,omitempty"`
}

// Problems extracts the problems of a compile error: every diagnostic it
// wraps (diag.List or *diag.Diagnostic), or a single located-nowhere problem
// (File set to fallbackFile) for any other error.
func Problems(err error, fallbackFile string) []Problem {
	if err == nil {
		return nil
	}
	var diags []*diag.Diagnostic
	var list diag.List
	var one *diag.Diagnostic
	switch {
	case errors.As(err, &list):
		diags = list
	case errors.As(err, &one):
		diags = []*diag.Diagnostic{one}
	}
	var out []Problem
	for _, d := range diags {
		if d == nil || d.Warning {
			continue
		}
		p := Problem{Kind: string(d.Kind), Code: d.Kind.Code(), ID: d.MachineCode(), Args: d.Args}
		for i, m := range d.Messages {
			loc := Location{File: m.Pos.File, Line: m.Pos.Line, Col: m.Pos.Col}
			text := m.Text
			if m.Note != "" {
				text += " (note: " + m.Note + ")"
			}
			if i == 0 {
				p.Location, p.Message = loc, text
				continue
			}
			p.Related = append(p.Related, Related{Location: loc, Message: text})
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		msg := err.Error()
		var ce *compileError
		if errors.As(err, &ce) {
			msg = ce.err.Error()
		}
		out = []Problem{{Location: Location{File: fallbackFile}, Kind: "error", Message: msg}}
	}
	return out
}

// Format renders the problem as `file:line:col: kind: message`, each related
// location on a following line indented by a tab. Paths under base are
// printed relative to it.
func (p Problem) Format(base string) string {
	var b strings.Builder
	b.WriteString(formatLoc(p.Location, base))
	fmt.Fprintf(&b, ": %s: %s", p.Kind, p.Message)
	for _, r := range p.Related {
		fmt.Fprintf(&b, "\n\t%s: %s", formatLoc(r.Location, base), r.Message)
	}
	return b.String()
}

func formatLoc(l Location, base string) string {
	file := RelPath(l.File, base)
	if l.Line <= 0 {
		return file
	}
	col := l.Col
	if col <= 0 {
		col = 1
	}
	return fmt.Sprintf("%s:%d:%d", file, l.Line, col)
}

// RelPath returns path relative to base when path is below base, else path.
func RelPath(path, base string) string {
	if base == "" || !filepath.IsAbs(path) {
		return path
	}
	rel, err := filepath.Rel(base, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}
