package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

var (
	reUnknownAttr = regexp.MustCompile(`Cannot add member '([\w$]+)' to schema '([\w.]+)'(?:, did you mean '([\w$]+)'\?)?`)
	reNoAttr      = regexp.MustCompile(`(?:attribute '([\w$]+)' not found in schema '([\w.]+)'|No attribute named '([\w$]+)' in the schema '([\w.]+)')`)
	reUndefined   = regexp.MustCompile(`name '([\w$]+)' is not defined`)
)

// CodeAction answers textDocument/codeAction with quick fixes: did-you-mean
// for an unknown attribute, the missing required attributes of the schema
// instance around the cursor, and a missing import.
func (s *server) CodeAction(ctx context.Context, params *protocol.CodeActionParams) ([]protocol.CommandOrCodeAction, error) {
	snap, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	u := params.TextDocument.URI
	out := []protocol.CommandOrCodeAction{}
	quickfix := protocol.CodeActionKindQuickFix
	edit := func(title string, d *protocol.Diagnostic, preferred bool, edits ...protocol.TextEdit) {
		ca := &protocol.CodeAction{Title: title, Kind: &quickfix,
			Edit: &protocol.WorkspaceEdit{Changes: map[uri.URI][]protocol.TextEdit{u: edits}}}
		if d != nil {
			ca.Diagnostics = []protocol.Diagnostic{*d}
		}
		if preferred {
			ca.IsPreferred = &preferred
		}
		out = append(out, ca)
	}
	prog, cat, perr := s.program(ctx, snap, path)
	for i := range params.Context.Diagnostics {
		d := &params.Context.Diagnostics[i]
		msg := diagText(*d)
		if m := reUnknownAttr.FindStringSubmatch(msg); m != nil {
			name, suggestion := m[1], m[3]
			if suggestion == "" && perr == nil {
				if sc := cat.Schema(m[2]); sc != nil {
					suggestion = closest(name, attrNames(sc.Attributes))
				} else {
					for _, c := range cat.Schemas() {
						if c.Name == m[2] {
							suggestion = closest(name, attrNames(c.Attributes))
						}
					}
				}
			}
			if r, ok := wordRange(t, d.Range.Start, name); ok && suggestion != "" {
				edit(fmt.Sprintf("Change '%s' to '%s'", name, suggestion), d, true, protocol.TextEdit{Range: r, NewText: suggestion})
			}
			continue
		}
		if m := reNoAttr.FindStringSubmatch(msg); m != nil && perr == nil {
			name, sch := m[1]+m[3], m[2]+m[4]
			for _, c := range cat.Schemas() {
				if c.Name == sch || c.FQN == sch {
					if sug := closest(name, attrNames(c.Attributes)); sug != "" {
						if r, ok := wordRange(t, d.Range.Start, name); ok {
							edit(fmt.Sprintf("Change '%s' to '%s'", name, sug), d, true, protocol.TextEdit{Range: r, NewText: sug})
						}
					}
				}
			}
			continue
		}
		if m := reUndefined.FindStringSubmatch(msg); m != nil && perr == nil {
			for _, imp := range s.importCandidates(prog.ModRoot(), m[1], prog.Builtins().IsSystemModule(m[1])) {
				edit("Add import "+imp, d, false, importEdit(t, s.parse(path, t.src).file, imp))
			}
		}
	}
	// Missing required attributes of the instance around the cursor.
	if perr == nil {
		if off, err := t.offset(params.Range.Start); err == nil {
			if exp := s.withOtherDeclarations(snap, path, cat.ExpectedAtOffset(path, off)); exp != nil && exp.Schema != nil && len(exp.Missing) > 0 {
				if e, ok := missingAttrsEdit(t, exp.Block.Start, exp.Block.End, exp.Missing, func(n string) string { return placeholder(exp.Schema.Attr(n)) }); ok {
					edit(fmt.Sprintf("Add missing required attributes of %s: %s", exp.Schema.Name, strings.Join(exp.Missing, ", ")), nil, false, e)
				}
			}
		}
	}
	return out, nil
}

func attrNames(as []*schema.Attribute) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

// wordRange returns the range of name at or after start on its line.
func wordRange(t *text, start protocol.Position, name string) (protocol.Range, bool) {
	line := t.line(int(start.Line))
	off, err := t.offset(protocol.Position{Line: start.Line})
	if err != nil {
		return protocol.Range{}, false
	}
	from, err := t.offset(start)
	if err != nil {
		return protocol.Range{}, false
	}
	col := from - off
	if col > len(line) {
		col = len(line)
	}
	i := strings.Index(line[col:], name)
	if i < 0 {
		i = strings.Index(line, name)
		if i < 0 {
			return protocol.Range{}, false
		}
	} else {
		i += col
	}
	return lspRange(t.position(off+i), t.position(off+i+len(name))), true
}

// closest returns the candidate nearest to name by edit distance (at most
// a third of the name's length, and at least 1), or "".
func closest(name string, candidates []string) string {
	best, bestD := "", len(name)/3+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD || d == bestD && best == "" && d <= len(name)/3+1 {
			if d == 0 && c == name {
				continue
			}
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// importCandidates returns import paths whose last element is name: a
// system module, or packages under the module root.
func (s *server) importCandidates(root, name string, system bool) []string {
	if system {
		return []string{name}
	}
	var out []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || strings.Count(strings.TrimPrefix(p, root), string(filepath.Separator)) > 8) {
			return filepath.SkipDir
		}
		base := strings.TrimSuffix(d.Name(), ".k")
		if base != name || p == root {
			return nil
		}
		if d.IsDir() && !hasKCL(p) {
			return nil
		}
		if !d.IsDir() && !strings.HasSuffix(d.Name(), ".k") {
			return nil
		}
		rel, err := filepath.Rel(root, strings.TrimSuffix(p, ".k"))
		if err == nil {
			out = append(out, strings.ReplaceAll(filepath.ToSlash(rel), "/", "."))
		}
		return nil
	})
	sort.Strings(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

// importEdit inserts `import path` after the last import (or at the top).
func importEdit(t *text, f *syntax.File, path string) protocol.TextEdit {
	line := 0
	for _, st := range f.Stmts {
		if im, ok := st.(*syntax.ImportStmt); ok {
			line = im.End().Line // 1-based line of the import = 0-based next line
		}
	}
	pos := protocol.Position{Line: uint32(line)}
	return protocol.TextEdit{Range: lspRange(pos, pos), NewText: "import " + path + "\n"}
}

// missingAttrsEdit inserts `name = ` lines for the missing attributes just
// before the closing brace of the config block.
func missingAttrsEdit(t *text, start, end syntax.Pos, missing []string, value func(string) string) (protocol.TextEdit, bool) {
	closeOff := end.Offset - 1
	if closeOff < 0 || closeOff >= len(t.src) || t.src[closeOff] != '}' {
		return protocol.TextEdit{}, false
	}
	// Indent: the block's first line indentation plus four spaces.
	startLine := t.line(t.lineOf(start.Offset))
	indent := startLine[:len(startLine)-len(strings.TrimLeft(startLine, " \t"))]
	var b strings.Builder
	// Does the brace stand on a line of its own?
	lineStart := t.lineStart(closeOff)
	ownLine := strings.TrimSpace(t.src[lineStart:closeOff]) == ""
	insertAt := closeOff
	if ownLine {
		insertAt = lineStart
	} else {
		b.WriteString("\n")
	}
	for _, m := range missing {
		fmt.Fprintf(&b, "%s    %s = %s\n", indent, m, value(m))
	}
	if !ownLine {
		b.WriteString(indent)
	}
	pos := t.position(insertAt)
	return protocol.TextEdit{Range: lspRange(pos, pos), NewText: b.String()}, true
}

// placeholder returns a value of the attribute's type to start from.
func placeholder(a *schema.Attribute) string {
	if a == nil {
		return "None"
	}
	ty := strings.TrimSpace(a.Type)
	switch {
	case ty == "str":
		return `""`
	case ty == "int":
		return "0"
	case ty == "float":
		return "0.0"
	case ty == "bool":
		return "False"
	case strings.HasPrefix(ty, "["):
		return "[]"
	case strings.HasPrefix(ty, "{"):
		return "{}"
	case strings.HasPrefix(ty, "str(") || strings.HasPrefix(ty, "int(") || strings.HasPrefix(ty, "float(") || strings.HasPrefix(ty, "bool("):
		// A literal union: its first member.
		first := strings.TrimSpace(strings.Split(ty, "|")[0])
		lit := first[strings.IndexByte(first, '(')+1 : len(first)-1]
		if strings.HasPrefix(first, "str(") {
			return strconv.Quote(lit)
		}
		return lit
	case a.SchemaType != "":
		return "{}"
	}
	return "None"
}
