// Package override applies `kcl run -O` override specs to KCL source files:
// `path=value`, `path:value` and `path+=value` set (or add) the attribute at
// path of a top-level configuration, `path-` deletes it.
//
// A spec is parsed with Parse; Apply rewrites one file's source text. The
// rewrite is a set of text edits at the syntax tree's positions, so the rest
// of the file keeps its lines and columns (error positions stay true):
//
//	sp, err := override.Parse(`app.replicas=5`)
//	out, changed, err := override.Apply("main.k", src, []override.Spec{sp})
//
// The grammar, as the KCL documentation gives it:
//
//	spec  = [pkgpath ":"] path ("=" value | ":" value | "+=" value | "-")
//	path  = name {"." name | "[" string "]"}
//
// pkgpath names the package whose files are rewritten (empty or __main__ for
// the main package). When the path appears several times, every occurrence is
// changed; an absent attribute is added to the configuration (an absent
// top-level name with "=" adds `name = value`); deleting an absent attribute
// changes nothing.
package override

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// MainPkg is the package path of the main package in a spec.
const MainPkg = "__main__"

// Spec is one parsed override.
type Spec struct {
	Pkg    string   // "" or MainPkg for the main package
	Path   []string // the identifier path, at least one name
	Op     string   // "=", ":", "+=" or "-" (delete)
	Value  string   // the value's KCL source ("" when Op is "-")
	Source string   // the spec as given
}

// IsMain reports whether the spec applies to the main package.
func (s Spec) IsMain() bool { return s.Pkg == "" || s.Pkg == MainPkg }

// Parse parses an override spec. Errors name the spec and what is wrong.
func Parse(spec string) (Spec, error) {
	sp := Spec{Source: spec}
	rest := spec
	path, n, err := scanPath(rest)
	if err != nil {
		return sp, fmt.Errorf("invalid override %q: %w", spec, err)
	}
	rest = rest[n:]
	// `pkg:path=value`: a ':' followed by another path and an operator is
	// the package separator, not the ':' operator.
	if strings.HasPrefix(rest, ":") || (n == 0 && strings.HasPrefix(spec, ":")) {
		if p2, n2, err2 := scanPath(rest[1:]); err2 == nil && n2 > 0 && isOpStart(rest[1+n2:]) {
			sp.Pkg = strings.Join(path, ".")
			path, rest = p2, rest[1+n2:]
		}
	}
	if len(path) == 0 {
		return sp, fmt.Errorf("invalid override %q: no attribute path (want path=value or path-)", spec)
	}
	sp.Path = path
	switch {
	case rest == "-":
		sp.Op = "-"
		return sp, nil
	case strings.HasPrefix(rest, "+="):
		sp.Op, sp.Value = "+=", rest[2:]
	case strings.HasPrefix(rest, "="):
		sp.Op, sp.Value = "=", rest[1:]
	case strings.HasPrefix(rest, ":"):
		sp.Op, sp.Value = ":", rest[1:]
	default:
		return sp, fmt.Errorf("invalid override %q: after %q want =, :, += or a final -", spec, strings.Join(path, "."))
	}
	if strings.TrimSpace(sp.Value) == "" {
		return sp, fmt.Errorf("invalid override %q: empty value", spec)
	}
	if _, err := syntax.ParseExpr(sp.Value); err != nil {
		return sp, fmt.Errorf("invalid override %q: the value is not a KCL expression: %w", spec, err)
	}
	return sp, nil
}

func isOpStart(s string) bool {
	return s == "-" || strings.HasPrefix(s, "=") || strings.HasPrefix(s, ":") || strings.HasPrefix(s, "+=")
}

// scanPath reads `name {"." name | "[" string "]"}` at the start of s and
// returns the names and the bytes read; an empty path reads nothing.
func scanPath(s string) ([]string, int, error) {
	var path []string
	i := 0
	for i < len(s) {
		switch {
		case len(path) > 0 && s[i] == '.':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, 0, fmt.Errorf("a name must follow '.' at offset %d", i)
			}
			path = append(path, s[i+1:j])
			i = j
		case len(path) > 0 && s[i] == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, 0, fmt.Errorf("unclosed '[' at offset %d", i)
			}
			key, err := strconv.Unquote(strings.TrimSpace(s[i+1 : i+end]))
			if err != nil {
				return nil, 0, fmt.Errorf("the key in brackets at offset %d must be a quoted string", i)
			}
			path = append(path, key)
			i += end + 1
		case len(path) == 0 && isNameByte(s[i]):
			j := i
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			path = append(path, s[i:j])
			i = j
		default:
			return path, i, nil
		}
	}
	return path, i, nil
}

func isNameByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// File is one source file of a package: its name and content.
type File struct {
	Name string
	Src  []byte
}

// Apply rewrites src (the file named filename) with the specs, in order, and
// reports whether anything changed. Specs of other packages than the main one
// are the caller's to route; Apply applies every spec it is given.
func Apply(filename string, src []byte, specs []Spec) ([]byte, bool, error) {
	files := []File{{Name: filename, Src: src}}
	changed, err := ApplyAll(files, specs)
	if err != nil {
		return nil, false, err
	}
	return files[0].Src, changed[0], nil
}

// ApplyAll rewrites the files of one package with the specs, in order, in
// place, and reports which files changed. A top-level name that no file
// assigns is added to the last file.
func ApplyAll(files []File, specs []Spec) ([]bool, error) {
	changed := make([]bool, len(files))
	for _, sp := range specs {
		found := false
		for i := range files {
			f, errs := syntax.ParseFile(files[i].Name, files[i].Src)
			if len(errs) > 0 {
				return nil, fmt.Errorf("override %q: %s does not parse: %w", sp.Source, files[i].Name, errs[0])
			}
			edits, ok, err := plan(f, files[i].Src, sp)
			if err != nil {
				return nil, fmt.Errorf("override %q in %s: %w", sp.Source, files[i].Name, err)
			}
			found = found || ok
			if len(edits) > 0 {
				files[i].Src = applyEdits(files[i].Src, edits)
				changed[i] = true
			}
		}
		if found || sp.Op == "-" || len(files) == 0 {
			continue
		}
		if len(sp.Path) > 1 || sp.Op == "+=" {
			return nil, fmt.Errorf("override %q: no top-level %s to set %s in", sp.Source, sp.Path[0], strings.Join(sp.Path, "."))
		}
		last := &files[len(files)-1]
		text := sp.Path[0] + " = " + sp.Value + "\n"
		if len(last.Src) > 0 && last.Src[len(last.Src)-1] != '\n' {
			text = "\n" + text
		}
		last.Src = applyEdits(last.Src, []edit{{len(last.Src), len(last.Src), text}})
		changed[len(files)-1] = true
	}
	return changed, nil
}

func applyEdits(src []byte, edits []edit) []byte {
	slices.SortFunc(edits, func(a, b edit) int { return b.start - a.start })
	out := slices.Clone(src)
	for _, e := range edits {
		out = slices.Concat(out[:e.start], []byte(e.text), out[e.end:])
	}
	return out
}

// plan computes the edits of one spec on f and reports whether f assigns the
// spec's top-level name.
func plan(f *syntax.File, src []byte, sp Spec) ([]edit, bool, error) {
	var edits []edit
	found := false
	for _, st := range f.Stmts {
		value, ok := topLevelValue(st, sp.Path[0])
		if !ok {
			continue
		}
		found = true
		if len(sp.Path) == 1 {
			switch sp.Op {
			case "-":
				edits = append(edits, deleteLines(src, st.(syntax.Node)))
			case "=", ":":
				edits = append(edits, edit{value.Pos().Offset, value.End().Offset, sp.Value})
			case "+=":
				return nil, false, fmt.Errorf("+= needs an attribute path below %q", sp.Path[0])
			}
			continue
		}
		cfg := configOf(value)
		if cfg == nil {
			return nil, false, fmt.Errorf("%s (line %d) is not a configuration: cannot set %s", sp.Path[0], value.Pos().Line, strings.Join(sp.Path, "."))
		}
		edits = append(edits, entryEdits(src, cfg, sp.Path[1:], sp)...)
	}
	return edits, found, nil
}

// topLevelValue returns the value assigned to name by st (`name = v`,
// `name: T = v`, `name: S {…}`).
func topLevelValue(st syntax.Stmt, name string) (syntax.Expr, bool) {
	switch s := st.(type) {
	case *syntax.AssignStmt:
		for _, t := range s.Targets {
			if id, ok := t.(*syntax.Ident); ok && id.Name == name && s.Value != nil {
				return s.Value, true
			}
		}
	case *syntax.UnificationStmt:
		if id, ok := s.Target.(*syntax.Ident); ok && id.Name == name && s.Value != nil {
			return s.Value, true
		}
	}
	return nil, false
}

// configOf returns the configuration of a schema or config expression.
func configOf(x syntax.Expr) *syntax.ConfigExpr {
	switch v := x.(type) {
	case *syntax.ConfigExpr:
		return v
	case *syntax.SchemaExpr:
		return v.Config
	case *syntax.ParenExpr:
		return configOf(v.X)
	}
	return nil
}

// keyPath flattens an entry key (`a`, `a.b.c`, `"a"`) to names; nil for
// keys that are not a plain path.
func keyPath(k syntax.Expr) []string {
	switch v := k.(type) {
	case *syntax.Ident:
		return []string{v.Name}
	case *syntax.StringLit:
		return []string{v.Value}
	case *syntax.SelectorExpr:
		if p := keyPath(v.X); p != nil && v.Name != nil {
			return append(p, v.Name.Name)
		}
	}
	return nil
}

// entryEdits sets or deletes path in cfg.
func entryEdits(src []byte, cfg *syntax.ConfigExpr, path []string, sp Spec) []edit {
	var edits []edit
	found := false
	for _, e := range cfg.Entries {
		if e.Key == nil || e.Value == nil {
			continue
		}
		kp := keyPath(e.Key)
		if kp == nil || len(kp) > len(path) || !slices.Equal(kp, path[:len(kp)]) {
			continue
		}
		if len(kp) == len(path) {
			found = true
			if sp.Op == "-" {
				edits = append(edits, deleteLines(src, e))
			} else {
				edits = append(edits, edit{e.Key.End().Offset, e.Value.End().Offset, opText(sp.Op) + sp.Value})
			}
			continue
		}
		if sub := configOf(e.Value); sub != nil {
			found = true
			edits = append(edits, entryEdits(src, sub, path[len(kp):], sp)...)
		}
	}
	if found || sp.Op == "-" {
		return edits
	}
	return append(edits, insertEntry(src, cfg, path, sp))
}

func opText(op string) string {
	switch op {
	case ":":
		return ": "
	case "+=":
		return " += "
	}
	return " = "
}

// keyText writes a path as a config key: names joined with dots, quoted when
// a name is not an identifier.
func keyText(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = p
		if p == "" || !isIdent(p) {
			parts[i] = strconv.Quote(p)
		}
	}
	return strings.Join(parts, ".")
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) || (i == 0 && s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}

// insertEntry adds `path op value` to cfg: on its own line, indented like the
// last entry, when the configuration spans lines; inline otherwise.
func insertEntry(src []byte, cfg *syntax.ConfigExpr, path []string, sp Spec) edit {
	entry := keyText(path) + opText(sp.Op) + sp.Value
	closing := cfg.End().Offset - 1 // the '}'
	if closing < 0 || closing >= len(src) || src[closing] != '}' {
		closing = cfg.End().Offset
	}
	if n := len(cfg.Entries); n > 0 {
		last := cfg.Entries[n-1]
		if last.Pos().Line != cfg.Pos().Line {
			lineStart := bytes.LastIndexByte(src[:last.Pos().Offset], '\n') + 1
			indent := string(src[lineStart:last.Pos().Offset])
			if strings.TrimSpace(indent) != "" {
				indent = "    "
			}
			return edit{last.End().Offset, last.End().Offset, "\n" + indent + entry}
		}
		return edit{last.End().Offset, last.End().Offset, ", " + entry}
	}
	if cfg.Pos().Line != cfg.End().Line {
		lineStart := bytes.LastIndexByte(src[:closing], '\n') + 1
		indent := string(src[lineStart:closing])
		if strings.TrimSpace(indent) != "" {
			indent = ""
		}
		return edit{lineStart, lineStart, indent + "    " + entry + "\n"}
	}
	return edit{closing, closing, entry}
}

// deleteLines removes n: its whole lines when nothing else stands on them,
// else just its text.
func deleteLines(src []byte, n syntax.Node) edit {
	start, end := n.Pos().Offset, n.End().Offset
	ls := bytes.LastIndexByte(src[:start], '\n') + 1
	le := bytes.IndexByte(src[end:], '\n')
	if le < 0 {
		le = len(src)
	} else {
		le += end + 1
	}
	if strings.TrimSpace(string(src[ls:start])) == "" && strings.TrimSpace(strings.TrimSuffix(string(src[end:le]), "\n")) == "" {
		return edit{ls, le, ""}
	}
	// An entry among others on one line: take a following comma with it.
	if end < len(src) && src[end] == ',' {
		end++
		for end < len(src) && (src[end] == ' ' || src[end] == '\t') {
			end++
		}
	}
	return edit{start, end, ""}
}

// SpecError is an error of the specs themselves (they do not parse, name
// another package than the main one, or cannot be applied), as opposed to
// an error reading the files.
type SpecError struct{ Err error }

func (e *SpecError) Error() string { return e.Err.Error() }
func (e *SpecError) Unwrap() error { return e.Err }

// Overlay returns overlay extended with the main package's files rewritten
// by the raw specs (in order): each file is read from overlay, else with
// read. Specs of another package than the main one are refused; errors of
// the specs are *SpecError. overlay itself is not modified.
func Overlay(raw []string, files []string, overlay map[string][]byte, read func(name string) ([]byte, error)) (map[string][]byte, error) {
	specs := make([]Spec, 0, len(raw))
	for _, r := range raw {
		sp, err := Parse(r)
		if err != nil {
			return nil, &SpecError{err}
		}
		if !sp.IsMain() {
			return nil, &SpecError{fmt.Errorf("override %q: only the main package can be overridden (omit %q or write %s:)", r, sp.Pkg+":", MainPkg)}
		}
		specs = append(specs, sp)
	}
	fs := make([]File, len(files))
	for i, name := range files {
		src, ok := overlay[name]
		if !ok {
			var err error
			if src, err = read(name); err != nil {
				return nil, fmt.Errorf("override: %w", err)
			}
		}
		fs[i] = File{Name: name, Src: src}
	}
	changed, err := ApplyAll(fs, specs)
	if err != nil {
		return nil, &SpecError{err}
	}
	out := make(map[string][]byte, len(overlay)+len(fs))
	for k, v := range overlay {
		out[k] = v
	}
	for i, f := range fs {
		if changed[i] {
			out[f.Name] = f.Src
		}
	}
	return out, nil
}
