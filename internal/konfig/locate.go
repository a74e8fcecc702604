package konfig

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// Texts of the evaluator's check-failure messages.
const (
	checkFailedText   = "Check failed on the condition"
	instanceCheckText = "Instance check failed"
)

// Problems returns the problems of a compile error of this stack (see the
// package function Problems), with failed `check:` conditions moved to the
// developer's value: when the evaluator reports a failed check only at the
// check itself or at the instantiation of the schema, the problem is placed
// on the config entry of the stack's own files (those of its project) that
// sets an attribute the check reads, keeping the check and the
// instantiation as related locations. When several entries set it, the last
// one in the compile order wins, as it does in KCL's multi-file merge; when
// the evaluator already points at such an entry, the problem is unchanged.
// A failed `assert` of the model library is moved the same way, using the
// names its condition reads. This is a source-level search: it finds the
// entry that sets the attribute, not necessarily the list item whose value
// failed when several items set it.
func (st *Stack) Problems(err error) []Problem { return st.ProblemsWith(err, nil) }

// ProblemsWith is Problems reading sources through read (an editor's
// unsaved buffers over the disk); nil reads the disk.
func (st *Stack) ProblemsWith(err error, read ReadFileFunc) []Problem {
	if read == nil {
		read = os.ReadFile
		// The disk is read through the stack's sandbox, as the compile.
		if fsys, ferr := st.Sandbox(sandbox.Policy{DenyReason: "locating problems only reads"}); ferr == nil {
			defer fsys.Close()
			read = fsys.ReadFile
		}
	}
	probs := Problems(err, st.Dir)
	for i := range probs {
		if probs[i].Location.File == "" {
			// Located nowhere (a file the sandbox refused): the stack.
			probs[i].Location.File = st.Dir
		}
		probs[i] = st.locateCheckFailure(probs[i], read)
	}
	return probs
}

// locateCheckFailure moves a check-failure problem to the developer's value
// when it can find it.
func (st *Stack) locateCheckFailure(p Problem, read ReadFileFunc) Problem {
	all := append([]Related{{Location: p.Location, Message: p.Message}}, p.Related...)
	var check, site *Related
	for i := range all {
		switch {
		case strings.HasPrefix(all[i].Message, checkFailedText) && check == nil:
			check = &all[i]
		case all[i].Message == instanceCheckText && site == nil:
			site = &all[i]
		}
	}
	if check == nil || check.File == "" {
		return st.locateAssertFailure(p, read)
	}
	info := checkAttributes(read, check.File, check.Line)
	if len(info.attrs) == 0 {
		return p
	}
	cands := st.attributeEntries(read, info.attrs)
	if len(cands) == 0 {
		return p
	}
	for _, c := range cands {
		if c.File == p.File && c.Line == p.Line {
			return p // already at a value
		}
	}
	if site != nil {
		if target := topLevelTarget(read, site.File, site.Line); target != "" {
			var same []entryLoc
			for _, c := range cands {
				if c.target == target {
					same = append(same, c)
				}
			}
			if len(same) > 0 {
				cands = same
			}
		}
	}
	best := cands[len(cands)-1]
	if len(cands) > 1 && len(info.attrs) == 1 {
		// Several entries set the attribute (list items, or several
		// declarations): prefer the last one whose own value fails the check.
		for i := len(cands) - 1; i >= 0; i-- {
			if violates(st, check.File, info, cands[i]) {
				best = cands[i]
				break
			}
		}
	}
	out := Problem{Location: best.Location, Kind: p.Kind, Code: p.Code, ID: p.ID, Args: p.Args, Message: check.Message}
	out.Related = append(out.Related, Related{Location: check.Location, Message: "the check: " + checkSource(read, check.File, check.Line)})
	if site != nil {
		out.Related = append(out.Related, Related{Location: site.Location, Message: "the instance: " + site.Message})
	}
	return out
}

// locateAssertFailure moves a problem raised by a failed `assert` of the
// model library to the developer's value: the last config entry of the
// stack's own files whose key is a name the assert's condition reads (an
// identifier, or the last name of a selector such as `config.image`).
func (st *Stack) locateAssertFailure(p Problem, read ReadFileFunc) Problem {
	if p.File == "" || p.Line <= 0 || st.isOwnFile(p.File) {
		return p
	}
	f := parseFile(read, p.File)
	if f == nil {
		return p
	}
	var test syntax.Expr
	syntax.Inspect(f, func(n syntax.Node) bool {
		if a, ok := n.(*syntax.AssertStmt); ok && a.Pos().Line == p.Line && test == nil {
			test = a.Test
		}
		return n != nil && test == nil
	})
	if test == nil {
		return p
	}
	var names []string
	seen := map[string]bool{}
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	syntax.Inspect(test, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.Ident:
			add(x.Name)
		case *syntax.SelectorExpr:
			if x.Name != nil {
				add(x.Name.Name)
			}
		}
		return true
	})
	cands := st.attributeEntries(read, names)
	if len(cands) == 0 {
		return p
	}
	best := cands[len(cands)-1]
	return Problem{Location: best.Location, Kind: p.Kind, Code: p.Code, ID: p.ID, Args: p.Args, Message: p.Message,
		Related: append([]Related{{Location: p.Location, Message: "the assert: " + checkSource(read, p.File, p.Line)}}, p.Related...)}
}

// isOwnFile reports whether path is one of the stack's own files.
func (st *Stack) isOwnFile(path string) bool {
	for _, f := range st.ownFiles() {
		if f == path {
			return true
		}
	}
	return false
}

// entryLoc is a config entry that sets an attribute: its location, and the
// top-level variable whose declaration holds it ("" if none).
type entryLoc struct {
	Location
	attr   string
	target string
	value  string // source of the entry's value
}

// parseFile parses a KCL file read through read (nil when unreadable).
func parseFile(read ReadFileFunc, path string) *syntax.File {
	src, err := read(path)
	if err != nil {
		return nil
	}
	f, _ := syntax.ParseFile(path, src)
	return f
}

// checkInfo describes the check expression on a line of a schema: the
// attributes its condition reads (identifiers the schema declares), the
// source of its test and `if` condition, and the imports of its file.
type checkInfo struct {
	attrs   []string
	test    string
	cond    string
	imports []string
}

// checkAttributes returns what the check expression on line reads.
func checkAttributes(read ReadFileFunc, file string, line int) checkInfo {
	var info checkInfo
	f := parseFile(read, file)
	if f == nil {
		return info
	}
	for _, st := range f.Stmts {
		if imp, ok := st.(*syntax.ImportStmt); ok {
			info.imports = append(info.imports, nodeSource(f, imp))
		}
	}
	syntax.Inspect(f, func(n syntax.Node) bool {
		s, ok := n.(*syntax.SchemaStmt)
		if !ok {
			return n != nil && len(info.attrs) == 0
		}
		declared := map[string]bool{}
		for _, st := range s.Body {
			if a, ok := st.(*syntax.SchemaAttr); ok && a.Name != nil {
				declared[a.Name.Name] = true
			}
		}
		for _, c := range s.Checks {
			if c.Pos().Line != line {
				continue
			}
			info.test = nodeSource(f, c.Test)
			if c.IfCond != nil {
				info.cond = nodeSource(f, c.IfCond)
			}
			seen := map[string]bool{}
			for _, e := range []syntax.Expr{c.Test, c.IfCond} {
				if e == nil {
					continue
				}
				syntax.Inspect(e, func(n syntax.Node) bool {
					switch x := n.(type) {
					case *syntax.SelectorExpr:
						syntax.Inspect(x.X, func(m syntax.Node) bool { return collectIdent(m, declared, seen, &info.attrs) })
						return false
					case *syntax.Ident:
						collectIdent(x, declared, seen, &info.attrs)
					}
					return true
				})
			}
		}
		return false
	})
	return info
}

// nodeSource returns the source text of a node of f.
func nodeSource(f *syntax.File, n syntax.Node) string {
	start, end := n.Pos().Offset, n.End().Offset
	if start < 0 || end > len(f.Src) || start > end {
		return ""
	}
	return string(f.Src[start:end])
}

func collectIdent(n syntax.Node, declared, seen map[string]bool, names *[]string) bool {
	if id, ok := n.(*syntax.Ident); ok && declared[id.Name] && !seen[id.Name] {
		seen[id.Name] = true
		*names = append(*names, id.Name)
	}
	return true
}

// checkSource returns the source text of the check expression on line.
func checkSource(read ReadFileFunc, file string, line int) string {
	src, err := read(file)
	if err != nil {
		return "line " + strconv.Itoa(line)
	}
	lines := strings.Split(string(src), "\n")
	if line < 1 || line > len(lines) {
		return "line " + strconv.Itoa(line)
	}
	return strings.TrimSpace(lines[line-1])
}

// ownFiles are the stack's files that belong to its project (or to the
// stack directory when it has none): the developer's files, as opposed to
// the shared model library.
func (st *Stack) ownFiles() []string {
	root := st.Dir
	if st.Project != nil {
		root = st.Project.Dir
	}
	var out []string
	for _, f := range st.Files {
		if rel, err := filepath.Rel(root, f); err == nil && !strings.HasPrefix(rel, "..") {
			out = append(out, f)
		}
	}
	return out
}

// attributeEntries returns, in compile order, the config entries of the
// stack's own files whose key is one of attrs (a name, or the last name of
// a dotted key).
func (st *Stack) attributeEntries(read ReadFileFunc, attrs []string) []entryLoc {
	want := map[string]bool{}
	for _, a := range attrs {
		want[a] = true
	}
	var out []entryLoc
	for _, file := range st.ownFiles() {
		f := parseFile(read, file)
		if f == nil {
			continue
		}
		for _, stmt := range f.Stmts {
			target := stmtTarget(stmt)
			syntax.Inspect(stmt, func(n syntax.Node) bool {
				e, ok := n.(*syntax.ConfigEntry)
				if !ok || e.Key == nil {
					return true
				}
				name := keyName(e.Key)
				if want[name] && (e.Op == syntax.ASSIGN || e.Op == syntax.COLON) {
					p := f.DiagPos(e.Pos())
					out = append(out, entryLoc{Location: Location{File: file, Line: p.Line, Col: p.Col}, attr: name, target: target, value: nodeSource(f, e.Value)})
				}
				return true
			})
		}
	}
	return out
}

// keyName returns the attribute a config key sets: the identifier, or the
// last name of a dotted key.
func keyName(k syntax.Expr) string {
	switch x := k.(type) {
	case *syntax.Ident:
		return x.Name
	case *syntax.SelectorExpr:
		if x.Name != nil {
			return x.Name.Name
		}
	}
	return ""
}

// stmtTarget returns the top-level variable a statement declares ("" if
// it declares none).
func stmtTarget(s syntax.Stmt) string {
	switch x := s.(type) {
	case *syntax.UnificationStmt:
		if id, ok := x.Target.(*syntax.Ident); ok {
			return id.Name
		}
	case *syntax.AssignStmt:
		if len(x.Targets) == 1 {
			if id, ok := x.Targets[0].(*syntax.Ident); ok {
				return id.Name
			}
		}
	}
	return ""
}

// topLevelTarget returns the variable declared by the top-level statement
// of file that spans line.
func topLevelTarget(read ReadFileFunc, file string, line int) string {
	f := parseFile(read, file)
	if f == nil {
		return ""
	}
	for _, s := range f.Stmts {
		if s.Pos().Line <= line && line <= s.End().Line {
			return stmtTarget(s)
		}
	}
	return ""
}

// violates reports whether the candidate entry's own value fails the check
// (a one-attribute check): it evaluates the check's condition in a small
// program that binds the attribute to the entry's value source, next to the
// check's file so that its imports resolve. Values that cannot be evaluated
// on their own (they read other variables) count as not violating.
func violates(st *Stack, checkFile string, info checkInfo, c entryLoc) bool {
	if c.value == "" || info.test == "" {
		return false
	}
	var b strings.Builder
	for _, imp := range info.imports {
		b.WriteString(imp + "\n")
	}
	fmt.Fprintf(&b, "%s = %s\n", info.attrs[0], c.value)
	if info.cond != "" {
		fmt.Fprintf(&b, "konfig_check_ok = bool(%s) if %s else True\n", info.test, info.cond)
	} else {
		fmt.Fprintf(&b, "konfig_check_ok = bool(%s)\n", info.test)
	}
	path := filepath.Join(filepath.Dir(checkFile), "__konfig_check__.k")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := eval.Run(ctx, eval.Config{
		Files:   []string{path},
		Overlay: map[string][]byte{path: []byte(b.String())},
		WorkDir: filepath.Dir(checkFile),
		ModRoot: st.ModRoot,
	})
	if err != nil || res.Value == nil {
		return false
	}
	ok, found := res.Value.Get("konfig_check_ok")
	return found && ok == value.Bool(false)
}
