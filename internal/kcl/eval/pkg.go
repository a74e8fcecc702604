package eval

import (
	"errors"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// pkg is one KCL package: the main package or an imported one.
type pkg struct {
	path    string // "__main__" or the dotted package path
	files   []*syntax.File
	isMain  bool
	lz      *lazy
	imports map[*syntax.File]map[string]value.Value
	aliases map[string]*aliasDef
	state   int // 0 new, 1 set up, 2 evaluating, 3 done
	scalars []scalarRec
	top     *scope
	fileSc  map[*syntax.File]*scope
	// schemaExprScalar is the index in scalars of the last schema-expression scalar.
}

type scalarRec struct {
	v      value.Value
	schema bool
	file   *syntax.File
	node   syntax.Node
}

type aliasDef struct {
	t    *syntax.TypeExpr
	file *syntax.File
	pkg  *pkg
}

// module is an imported package or system module bound to a name.
type module struct {
	name string
	path string
	pkg  *pkg
	sys  map[string]value.Value
}

func (*module) Type() string { return "module" }

func (e *evaluator) newPkg(path string, files []*syntax.File, isMain bool) *pkg {
	p := &pkg{
		path:    path,
		files:   files,
		isMain:  isMain,
		lz:      newLazy(),
		imports: map[*syntax.File]map[string]value.Value{},
		aliases: map[string]*aliasDef{},
		fileSc:  map[*syntax.File]*scope{},
	}
	p.top = &scope{kind: frPkg, pkg: p}
	p.lz.run = func(i int) { e.runTop(p, i) }
	p.lz.rerun = true
	e.pkgs[path] = p
	return p
}

func (p *pkg) scopeFor(f *syntax.File) *scope {
	if s, ok := p.fileSc[f]; ok {
		return s
	}
	s := &scope{kind: frPkg, pkg: p, file: f}
	p.fileSc[f] = s
	return s
}

// setup runs the first two passes: declare every top-level target, define
// schemas, rules, type aliases and imports.
func (e *evaluator) setup(p *pkg) {
	if p.state >= 1 {
		return
	}
	p.state = 1
	type item struct {
		st syntax.Stmt
		f  *syntax.File
	}
	var items []item
	for _, f := range p.files {
		for _, st := range f.Stmts {
			items = append(items, item{st, f})
		}
	}
	if p.isMain {
		// Multi-declaration merge of `x: S {…}` (AST level).
		stmts := make([]syntax.Stmt, len(items))
		for i, it := range items {
			stmts[i] = it.st
		}
		merged := mergeDecls(stmts)
		for i := range items {
			items[i].st = merged[i]
		}
	}
	for _, it := range items {
		if it.st == nil {
			continue
		}
		sc := p.scopeFor(it.f)
		switch st := it.st.(type) {
		case *syntax.ImportStmt:
			e.doImport(p, it.f, st)
		case *syntax.SchemaStmt:
			sd := e.newSchemaDef(p, it.f, st, nil)
			p.lz.vals.Set(st.Name.Name, schemaValue(sd))
		case *syntax.RuleStmt:
			sd := e.newSchemaDef(p, it.f, nil, st)
			p.lz.vals.Set(st.Name.Name, schemaValue(sd))
		case *syntax.TypeAliasStmt:
			p.aliases[st.Name.Name] = &aliasDef{t: st.Type, file: it.f, pkg: p}
		default:
			names := targetsOf(it.st)
			p.lz.add(&lstmt{stmt: it.st, sc: sc}, names)
		}
	}
}

// targetsOf lists the top-level names a statement assigns.
func targetsOf(st syntax.Stmt) []string {
	var names []string
	var walk func(st syntax.Stmt)
	walk = func(st syntax.Stmt) {
		switch s := st.(type) {
		case *syntax.AssignStmt:
			for _, t := range s.Targets {
				if n := rootName(t); n != "" {
					names = append(names, n)
				}
			}
		case *syntax.AugAssignStmt:
			if n := rootName(s.Target); n != "" {
				names = append(names, n)
			}
		case *syntax.UnificationStmt:
			if n := rootName(s.Target); n != "" {
				names = append(names, n)
			}
		case *syntax.IfStmt:
			for _, b := range s.Body {
				walk(b)
			}
			for _, b := range s.Else {
				walk(b)
			}
		}
	}
	walk(st)
	return names
}

// rootName returns the identifier at the root of a target chain.
func rootName(x syntax.Expr) string {
	for {
		switch t := x.(type) {
		case *syntax.Ident:
			return t.Name
		case *syntax.SelectorExpr:
			x = t.X
		case *syntax.IndexExpr:
			x = t.X
		case *syntax.ParenExpr:
			x = t.X
		default:
			return ""
		}
	}
}

// mergeDecls merges repeated `x: S {…}` declarations (and the first
// `x = S {…}`) of the main package into the last one; earlier ones become nil.
func mergeDecls(stmts []syntax.Stmt) []syntax.Stmt {
	type decl struct{ idx []int }
	decls := map[string]*decl{}
	var order []string
	assigned := map[string]bool{}
	for i, st := range stmts {
		switch s := st.(type) {
		case *syntax.UnificationStmt:
			id, ok := s.Target.(*syntax.Ident)
			if !ok || s.Value == nil {
				continue
			}
			d := decls[id.Name]
			if d == nil {
				d = &decl{}
				decls[id.Name] = d
				order = append(order, id.Name)
			}
			d.idx = append(d.idx, i)
		case *syntax.AssignStmt:
			if len(s.Targets) != 1 {
				continue
			}
			id, ok := s.Targets[0].(*syntax.Ident)
			if !ok {
				continue
			}
			if _, ok := s.Value.(*syntax.SchemaExpr); !ok {
				continue
			}
			if strings.HasPrefix(id.Name, "_") {
				decls[id.Name] = &decl{idx: []int{i}}
				order = append(order, id.Name)
				assigned[id.Name] = true
				continue
			}
			if assigned[id.Name] {
				continue
			}
			assigned[id.Name] = true
			d := decls[id.Name]
			if d == nil {
				d = &decl{}
				decls[id.Name] = d
				order = append(order, id.Name)
			}
			d.idx = append(d.idx, i)
		}
	}
	out := append([]syntax.Stmt(nil), stmts...)
	for _, name := range order {
		d := decls[name]
		if len(d.idx) < 2 {
			continue
		}
		var entries []*syntax.ConfigEntry
		for _, i := range d.idx {
			entries = append(entries, schemaExprOf(stmts[i]).Config.Entries...)
		}
		last := d.idx[len(d.idx)-1]
		se := *schemaExprOf(stmts[last])
		cfg := *se.Config
		cfg.Entries = entries
		se.Config = &cfg
		switch s := stmts[last].(type) {
		case *syntax.UnificationStmt:
			n := *s
			n.Value = &se
			out[last] = &n
		case *syntax.AssignStmt:
			n := *s
			n.Value = &se
			out[last] = &n
		}
		for _, i := range d.idx[:len(d.idx)-1] {
			out[i] = nil
		}
	}
	return out
}

func schemaExprOf(st syntax.Stmt) *syntax.SchemaExpr {
	switch s := st.(type) {
	case *syntax.UnificationStmt:
		return s.Value
	case *syntax.AssignStmt:
		se, _ := s.Value.(*syntax.SchemaExpr)
		return se
	}
	return nil
}

// evalPkg evaluates every top-level statement of p (once).
func (e *evaluator) evalPkg(p *pkg) {
	e.setup(p)
	if p.state >= 2 {
		return
	}
	p.state = 2
	p.lz.runAll()
	p.state = 3
}

// runTop runs top-level statement i of p.
func (e *evaluator) runTop(p *pkg, i int) {
	st := p.lz.stmts[i]
	e.pos = nodePos(st.sc.file, st.stmt, false)
	e.execStmt(st.sc, st.stmt, true)
}

// output builds the result value of the main package.
func (e *evaluator) output(p *pkg) (*value.Dict, value.Value) {
	out := value.NewDict()
	for _, en := range p.lz.vals.Entries() {
		switch en.Value.(type) {
		case *value.Func, *module:
			continue
		}
		out.Set(en.Key, en.Value)
	}
	if len(p.scalars) == 0 {
		return out, nil
	}
	// Only the last schema-expression scalar is kept.
	lastSchema := -1
	for i, s := range p.scalars {
		if s.schema {
			lastSchema = i
		}
	}
	var acc value.Value
	for i, s := range p.scalars {
		if s.schema && i != lastSchema {
			continue
		}
		v := s.v
		if sv, ok := v.(*value.Schema); ok {
			v = sv.Attrs
		}
		if acc == nil {
			acc = e.copy(v, s.file, s.node)
			continue
		}
		r, err := value.Union(acc, e.copy(v, s.file, s.node), &value.UnionOptions{Idempotent: true, Budget: e.budget})
		if err != nil {
			if e.budget.Err() != nil {
				e.stopped(s.file, s.node)
			}
			e.fail(diag.EvaluationError, s.file, s.node, "%s", err.Error())
		}
		acc = r
	}
	if d, ok := acc.(*value.Dict); ok {
		for _, en := range out.Entries() {
			if _, exists := d.Get(en.Key); !exists {
				d.SetEntry(en)
			}
		}
		return d, nil
	}
	return out, acc
}

// doImport binds an import statement's name in its file.
func (e *evaluator) doImport(p *pkg, f *syntax.File, st *syntax.ImportStmt) {
	m := e.importModule(p, f, st)
	if p.imports[f] == nil {
		p.imports[f] = map[string]value.Value{}
	}
	name := st.Name
	if st.AsName != nil {
		name = st.AsName.Name
	}
	p.imports[f][name] = m
}

func (e *evaluator) importModule(p *pkg, f *syntax.File, st *syntax.ImportStmt) *module {
	path := st.Path
	if st.Dots == 0 {
		if m := e.sysModule(path); m != nil {
			return m
		}
		if strings.HasPrefix(path, "kcl_plugin.") || path == "kcl_plugin" {
			e.failCol(diag.CannotFindModule, f, st, "the plugin package `%s` is not found, please confirm if plugin mode is enabled", path)
		}
	}
	segs := strings.Split(path, ".")
	where := e.ld.Import(f.Filename, st.Dots, path)
	pkgPath := where.PkgPath
	if q, ok := e.pkgs[pkgPath]; ok {
		e.evalImported(q)
		return &module{name: segs[len(segs)-1], path: pkgPath, pkg: q}
	}
	files, err := e.ld.PackageFiles(where.Base)
	if err != nil {
		var pe *loader.PackageError
		errors.As(err, &pe)
		switch {
		case pe != nil && pe.Kind == loader.Refused:
			e.failCol(diag.CannotFindModule, f, st, "Cannot import %s: %s", st.Rawpath, pe.Err)
		case pe != nil && pe.Kind == loader.Empty:
			e.failCol(diag.CannotFindModule, f, st, "No KCL files found in the specified folder")
		}
		e.failCol(diag.CannotFindModule, f, st, "Cannot find the module %s from %s", st.Rawpath, where.Base)
	}
	var parsed []*syntax.File
	var errs diag.List
	for _, k := range files {
		pf, err := e.parse(k)
		if err != nil {
			errs = append(errs, asDiags(err, k)...)
			continue
		}
		parsed = append(parsed, pf)
	}
	if len(errs) > 0 {
		panic(errs)
	}
	q := e.newPkg(pkgPath, parsed, false)
	e.evalImported(q)
	return &module{name: segs[len(segs)-1], path: pkgPath, pkg: q}
}

// evalImported evaluates an imported package unless it is being evaluated
// (import cycles read lazily).
func (e *evaluator) evalImported(q *pkg) {
	if q.state >= 1 {
		return
	}
	e.setup(q)
	e.evalPkg(q)
}
