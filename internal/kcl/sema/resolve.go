package sema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// pkgState is the working state while one package is resolved.
type pkgState struct {
	prog *Program
	pkg  *Package
	src  *pkgSource

	fileScopes map[*syntax.File]*Scope
	pkgImports *Scope
	linked     []*SchemaInfo // schemas in declaration order
	// argHints are the argument types of immediately called lambdas.
	argHints map[*syntax.LambdaExpr][]*Type
	// pending are the deferred lambda bodies of the package.
	pending    []*pendingBody
	stmtFile   map[syntax.Stmt]*syntax.File
	stmtState  map[syntax.Stmt]int // 1 busy, 2 done
	schemaDecl map[*SchemaInfo]schemaDecl
	aliases    map[*Symbol]*syntax.TypeAliasStmt
	aliasBusy  map[*Symbol]bool
	// setters lists the statements assigning each global name.
	setters map[string][]syntax.Stmt
	// firstAssign is the first plain assignment of each global name.
	firstAssign map[string]syntax.Node
}

type schemaDecl struct {
	file   *syntax.File
	schema *syntax.SchemaStmt
	rule   *syntax.RuleStmt
}

// env is the lexical environment of a walk.
type env struct {
	file  *syntax.File
	scope *Scope
	// top reports the package level (not inside schema, lambda, …).
	top bool
	// schema is the enclosing schema body, if any.
	schema *SchemaInfo
	// ret is the declared return type of the enclosing lambda.
	ret *Type
	// assigning is the name a schema-body assignment defines (not offered
	// as a suggestion inside its own value).
	assigning string
}

func (e env) with(s *Scope) env { e.scope = s; e.top = false; return e }

func newPkgState(p *Program, src *pkgSource) *pkgState {
	pkg := &Package{
		PkgPath:    src.pkgpath,
		Dir:        src.dir,
		Imports:    src.imports,
		FileScopes: map[string]*Scope{},
		Schemas:    map[string]*SchemaInfo{},
		hashes:     map[string][32]byte{},
		index:      map[string]*fileIndex{},
		types:      map[syntax.Expr]*Type{},
		exprs:      map[string][]syntax.Expr{},
		expected:   map[*syntax.ConfigExpr]*Type{},
		configs:    map[string][]*syntax.ConfigExpr{},
		sysModule:  src.sys,
	}
	for _, pf := range src.files {
		pkg.Files = append(pkg.Files, pf.ast)
		pkg.hashes[pf.path] = pf.hash
		pkg.index[pf.path] = &fileIndex{}
		pkg.ParseDiags = append(pkg.ParseDiags, pf.diags...)
	}
	return &pkgState{
		prog:        p,
		pkg:         pkg,
		src:         src,
		fileScopes:  map[*syntax.File]*Scope{},
		stmtFile:    map[syntax.Stmt]*syntax.File{},
		stmtState:   map[syntax.Stmt]int{},
		schemaDecl:  map[*SchemaInfo]schemaDecl{},
		aliases:     map[*Symbol]*syntax.TypeAliasStmt{},
		aliasBusy:   map[*Symbol]bool{},
		setters:     map[string][]syntax.Stmt{},
		firstAssign: map[string]syntax.Node{},
	}
}

// ---------------------------------------------------------------------------
// Recording

func (st *pkgState) loc(f *syntax.File, n syntax.Node) Location {
	return Location{File: f.Filename, Start: n.Pos(), End: n.End()}
}

func (st *pkgState) occur(f *syntax.File, n syntax.Node, name string, sym *Symbol, def bool, role Role) {
	if f == nil || n == nil || !n.Pos().IsValid() {
		return
	}
	fi := st.pkg.index[f.Filename]
	if fi == nil {
		fi = &fileIndex{}
		st.pkg.index[f.Filename] = fi
	}
	fi.occ = append(fi.occ, &Occurrence{Location: st.loc(f, n), Name: name, Sym: sym, Def: def, Role: role})
}

func (st *pkgState) unresolved(f *syntax.File, n syntax.Node, name string, role Role, dynamic bool, reason string) {
	st.occur(f, n, name, nil, false, role)
	st.pkg.Unresolved = append(st.pkg.Unresolved, Unresolved{Location: st.loc(f, n), Name: name, Role: role, Dynamic: dynamic, Reason: reason})
}

func (st *pkgState) errorf(kind diag.Kind, f *syntax.File, n syntax.Node, format string, args ...any) *diag.Diagnostic {
	d := &diag.Diagnostic{Kind: kind, Messages: []diag.Message{{Pos: f.DiagPos(n.Pos()), End: f.DiagPos(n.End()), Text: fmt.Sprintf(format, args...)}}}
	st.pkg.Diags = append(st.pkg.Diags, d)
	return d
}

// addMsg appends a secondary message at a symbol's definition.
func (st *pkgState) addMsg(d *diag.Diagnostic, loc Location, text string) {
	if loc.File == "" {
		return
	}
	f := st.prog.fileByName(loc.File)
	if f == nil {
		return
	}
	d.Messages = append(d.Messages, diag.Message{Pos: f.DiagPos(loc.Start), End: f.DiagPos(loc.End), Text: text})
}

func (p *Program) fileByName(name string) *syntax.File {
	for _, pkg := range p.pkgs {
		if pkg == nil {
			continue
		}
		for _, f := range pkg.Files {
			if f.Filename == name {
				return f
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Builtin scope

func (p *Program) builtinScope() *Scope {
	return sharedBuiltinScope()
}

var (
	scopeOnce       sync.Once
	builtinScopeVal *Scope
)

func sharedBuiltinScope() *Scope {
	builtinsOnce.Do(func() { builtinsVal = newBuiltins() })
	scopeOnce.Do(func() {
		s := &Scope{Kind: ScopeBuiltin, Names: map[string]*Symbol{}}
		for name, t := range builtinsVal.Funcs {
			s.Names[name] = &Symbol{Name: name, Kind: SymBuiltin, Type: t, Global: true}
		}
		builtinScopeVal = s
	})
	return builtinScopeVal
}

// ---------------------------------------------------------------------------
// Phase 1: declarations

func (st *pkgState) declare() {
	pkg := st.pkg
	// Imports of any file of the package are visible in every file (after
	// the file's own imports and the package's globals), as the Konfig
	// corpus relies on.
	st.pkgImports = &Scope{Kind: ScopeFile, Parent: st.prog.builtinScope(), Names: map[string]*Symbol{}}
	pkg.Scope = &Scope{Kind: ScopePackage, Parent: st.pkgImports, Names: map[string]*Symbol{}}
	if st.src.sys {
		for name, t := range st.prog.builtins.Modules[st.src.pkgpath] {
			kind := SymBuiltin
			if t.Kind == KNumberMultiplier {
				kind = SymTypeAlias
			}
			pkg.Scope.Names[name] = &Symbol{Name: name, Kind: kind, Type: t, PkgPath: st.src.pkgpath, Global: true}
		}
		return
	}
	for _, f := range pkg.Files {
		fs := &Scope{Kind: ScopeFile, Parent: pkg.Scope, Names: map[string]*Symbol{}, File: f.Filename, Start: f.Start, End: f.Stop}
		st.fileScopes[f] = fs
		pkg.FileScopes[f.Filename] = fs
		st.declareStmts(f, fs, f.Stmts)
	}
}

func (st *pkgState) declareStmts(f *syntax.File, fs *Scope, stmts []syntax.Stmt) {
	for _, s := range stmts {
		st.stmtFile[s] = f
		switch s := s.(type) {
		case *syntax.ImportStmt:
			target := st.prog.importPath(f.Filename, s)
			var n syntax.Node = spanNode{s.PathPos, s.PathEnd}
			if s.AsName != nil {
				n = s.AsName
			}
			sym := &Symbol{Name: s.Name, Kind: SymPackage, Loc: st.loc(f, n), PkgPath: st.pkg.PkgPath,
				Target: target, Type: &Type{Kind: KModule, Module: target}, Global: true, decl: s}
			fs.define(sym)
			st.pkgImports.define(sym)
		case *syntax.AssignStmt:
			for _, t := range s.Targets {
				if id, ok := t.(*syntax.Ident); ok {
					st.declareGlobal(f, id, s)
				}
			}
		case *syntax.AugAssignStmt:
			if id, ok := s.Target.(*syntax.Ident); ok {
				st.declareGlobal(f, id, s)
			}
		case *syntax.UnificationStmt:
			if id, ok := s.Target.(*syntax.Ident); ok {
				st.declareGlobal(f, id, s)
			}
		case *syntax.IfStmt:
			st.declareStmts(f, fs, s.Body)
			st.declareStmts(f, fs, s.Else)
		case *syntax.SchemaStmt:
			if s.Name == nil {
				continue
			}
			si := &SchemaInfo{Name: s.Name.Name, PkgPath: st.pkg.PkgPath, Doc: s.Doc}
			switch {
			case s.IsMixin || strings.HasSuffix(s.Name.Name, "Mixin"):
				// a schema named …Mixin is a mixin
				si.Kind = SchemaMixin
			case s.IsProtocol:
				si.Kind = SchemaProtocol
			}
			st.declareSchema(f, s.Name, si, s)
			st.schemaDecl[si] = schemaDecl{file: f, schema: s}
		case *syntax.RuleStmt:
			if s.Name == nil {
				continue
			}
			si := &SchemaInfo{Name: s.Name.Name, PkgPath: st.pkg.PkgPath, Doc: s.Doc, Kind: SchemaRule}
			st.declareSchema(f, s.Name, si, s)
			st.schemaDecl[si] = schemaDecl{file: f, rule: s}
		case *syntax.TypeAliasStmt:
			if s.Name == nil {
				continue
			}
			sym := &Symbol{Name: s.Name.Name, Kind: SymTypeAlias, Loc: st.loc(f, s.Name), PkgPath: st.pkg.PkgPath, Global: true, decl: s, pkg: st}
			if got := st.pkg.Scope.define(sym); got == sym {
				st.aliases[sym] = s
				st.occur(f, s.Name, sym.Name, sym, true, RoleDecl)
			}
		}
	}
}

func (st *pkgState) declareSchema(f *syntax.File, name *syntax.Ident, si *SchemaInfo, decl syntax.Stmt) {
	kind := SymSchema
	if si.Kind == SchemaRule {
		kind = SymRule
	}
	sym := &Symbol{Name: si.Name, Kind: kind, Loc: st.loc(f, name), PkgPath: st.pkg.PkgPath, Doc: si.Doc,
		Schema: si, Type: &Type{Kind: KSchemaDef, Schema: si}, Global: true, decl: decl}
	si.Sym = sym
	if old, ok := st.pkg.Scope.Names[si.Name]; ok {
		st.errorf(diag.UniqueKeyError, f, decl, "Unique key error name '%s'", si.Name).WithCode(diag.DuplicateName, &diag.Args{Name: si.Name})
		d := st.errorf(diag.UniqueKeyError, f, name, "Unique key error name '%s'", si.Name).
			WithCode(diag.DuplicateName, &diag.Args{Name: si.Name})
		st.addMsg(d, old.Loc, fmt.Sprintf("The variable '%s' is declared here", si.Name))
	}
	st.pkg.Scope.Names[si.Name] = sym
	st.pkg.Schemas[si.Name] = si
	st.occur(f, name, si.Name, sym, true, RoleDecl)
}

func (st *pkgState) declareGlobal(f *syntax.File, id *syntax.Ident, s syntax.Stmt) {
	st.setters[id.Name] = append(st.setters[id.Name], s)
	if _, ok := st.pkg.Scope.Names[id.Name]; ok {
		return
	}
	sym := &Symbol{Name: id.Name, Kind: SymVar, Loc: st.loc(f, id), PkgPath: st.pkg.PkgPath, Global: true, decl: s, pkg: st}
	st.pkg.Scope.Names[id.Name] = sym
}

// ---------------------------------------------------------------------------
// Phase 2: link schemas (parents, mixins, attributes, types)

func (st *pkgState) link() {
	// stable order: by file then position
	var sis []*SchemaInfo
	for si := range st.schemaDecl {
		sis = append(sis, si)
	}
	sort.Slice(sis, func(i, j int) bool {
		a, b := st.schemaDecl[sis[i]], st.schemaDecl[sis[j]]
		if a.file != b.file {
			return st.fileIndexOf(a.file) < st.fileIndexOf(b.file)
		}
		return sis[i].Sym.Loc.Start.Offset < sis[j].Sym.Loc.Start.Offset
	})
	for _, si := range sis {
		st.linkSchema(si)
	}
	for _, si := range sis {
		st.checkCycle(si)
	}
	st.linked = sis
}

func (st *pkgState) fileIndexOf(f *syntax.File) int {
	for i, x := range st.pkg.Files {
		if x == f {
			return i
		}
	}
	return -1
}

// schemaRef resolves a schema name expression (parent, mixin, protocol).
func (st *pkgState) schemaRef(f *syntax.File, e syntax.Expr) (*SchemaInfo, *Type) {
	ev := env{file: f, scope: st.fileScopes[f], top: true}
	t := st.expr(e, ev, nil)
	if t != nil && (t.Kind == KSchemaDef) {
		return t.Schema, t
	}
	return nil, t
}

func (st *pkgState) linkSchema(si *SchemaInfo) {
	d := st.schemaDecl[si]
	f := d.file
	fs := st.fileScopes[f]
	tenv := env{file: f, scope: fs, top: true}
	if s := d.schema; s != nil {
		if s.Parent != nil {
			p, t := st.schemaRef(f, s.Parent)
			switch {
			case p == nil:
				st.errorf(diag.IllegalInheritError, f, s.Parent, "invalid schema inherit object type, expect schema, got '%s'", typeNameForMsg(t)).WithCode(diag.InvalidInherit, nil)
			case p.Kind == SchemaMixin:
				st.errorf(diag.IllegalInheritError, f, s.Parent, "invalid schema inherit object type, expect schema, got '%s'", p.Name).WithCode(diag.InvalidInherit, &diag.Args{Name: p.Name})
			default:
				si.Parent = p
			}
		}
		if s.ForProtocol != nil {
			if p, _ := st.schemaRef(f, s.ForProtocol); p != nil {
				si.Protocol = p
			}
		}
		for _, m := range s.Mixins {
			mi, _ := st.schemaRef(f, m)
			if mi == nil {
				continue
			}
			if !strings.HasSuffix(mi.Name, "Mixin") {
				st.errorf(diag.NameError, f, m, "a valid mixin name should end with 'Mixin', got '%s'", mi.Name).WithCode(diag.InvalidInherit, &diag.Args{Name: mi.Name})
				st.errorf(diag.IllegalInheritError, f, m, "illegal schema mixin object type, expected mixin, got '%s'", mi.Name).WithCode(diag.InvalidInherit, &diag.Args{Name: mi.Name})
				continue
			}
			si.Mixins = append(si.Mixins, mi)
		}
		for _, dec := range s.Decorators {
			si.Decorators = append(si.Decorators, exprText(f, dec.Name))
		}
		si.Params = st.params(f, tenv, s.Params)
		var docMap map[string]string
		docs := func(name string) string {
			if docMap == nil {
				docMap = parseAttrDocs(s.Doc)
			}
			return docMap[name]
		}
		for _, b := range s.Body {
			switch b := b.(type) {
			case *syntax.SchemaAttr:
				if b.Name == nil {
					continue
				}
				a := &AttrInfo{Name: b.Name.Name, Optional: b.Optional, Owner: si, Declared: true, HasDefault: b.Value != nil}
				if b.Type != nil {
					a.Type = st.typeExpr(f, tenv, b.Type)
					a.TypeText = b.Type.Text
				} else {
					a.Type = TAny
				}
				if b.Value != nil {
					a.Default = exprText(f, b.Value)
				}
				a.Doc = b.Doc
				if a.Doc == "" {
					a.Doc = docs(a.Name)
				}
				for _, dec := range b.Decorators {
					a.Decorators = append(a.Decorators, exprText(f, dec.Name))
				}
				a.Sym = &Symbol{Name: a.Name, Kind: SymAttr, Loc: st.loc(f, b.Name), PkgPath: si.PkgPath, Type: a.Type, Doc: a.Doc, Attr: a, decl: b}
				if old := si.OwnAttr(a.Name); old != nil && old.Declared {
					// a second declaration in the same body: keep the first
					st.occur(f, b.Name, a.Name, old.Sym, false, RoleDecl)
					continue
				}
				si.addAttr(a)
				st.occur(f, b.Name, a.Name, a.Sym, true, RoleDecl)
			case *syntax.AssignStmt:
				for _, t := range b.Targets {
					id, ok := t.(*syntax.Ident)
					if !ok || si.OwnAttr(id.Name) != nil {
						continue
					}
					a := &AttrInfo{Name: id.Name, Owner: si, Type: TAny, HasDefault: true, Default: exprText(f, b.Value), Doc: docs(id.Name)}
					if b.Type != nil {
						a.Type = st.typeExpr(f, tenv, b.Type)
					}
					a.Sym = &Symbol{Name: a.Name, Kind: SymAttr, Loc: st.loc(f, id), PkgPath: si.PkgPath, Type: a.Type, Attr: a, decl: b}
					si.addAttr(a)
				}
			}
		}
		if ix := s.IndexSignature; ix != nil {
			sig := &IndexSignature{AnyOther: ix.AnyOther, Key: TStr, Value: TAny, Loc: st.loc(f, ix)}
			if ix.KeyName != nil {
				sig.KeyName = ix.KeyName.Name
			}
			if ix.KeyType != nil {
				sig.Key = st.typeExpr(f, tenv, ix.KeyType)
			}
			if ix.ValueType != nil {
				sig.Value = st.typeExpr(f, tenv, ix.ValueType)
			}
			si.Index = sig
		}
		for _, c := range s.Checks {
			si.Checks = append(si.Checks, exprText(f, c))
		}
		return
	}
	r := d.rule
	for _, p := range r.Parents {
		if pi, _ := st.schemaRef(f, p); pi != nil && si.Parent == nil {
			si.Parent = pi
		}
	}
	if r.ForProtocol != nil {
		if p, _ := st.schemaRef(f, r.ForProtocol); p != nil {
			si.Protocol = p
		}
	}
	si.Params = st.params(f, tenv, r.Params)
	for _, c := range r.Checks {
		si.Checks = append(si.Checks, exprText(f, c))
	}
}

// IndexSignature.AnyOther mirrors `...` in `[...str]: T`.
func (st *pkgState) params(f *syntax.File, ev env, ps []*syntax.Param) []Param {
	var out []Param
	for _, p := range ps {
		if p == nil || p.Name == nil {
			continue
		}
		q := Param{Name: p.Name.Name, Type: TAny, Optional: p.Default != nil, Loc: st.loc(f, p.Name)}
		if p.Type != nil {
			q.Type = st.typeExpr(f, ev, p.Type)
		}
		if p.Default != nil {
			q.Default = exprText(f, p.Default)
		}
		out = append(out, q)
	}
	return out
}

func (st *pkgState) checkCycle(si *SchemaInfo) {
	seen := map[*SchemaInfo]bool{}
	var chain []*SchemaInfo
	for c := si; c != nil; c = c.Parent {
		if seen[c] {
			if c != si {
				return // reported from the schemas on the cycle
			}
			members := append([]*SchemaInfo(nil), chain...)
			sort.SliceStable(members, func(a, b int) bool {
				la, lb := members[a].Sym.Loc, members[b].Sym.Loc
				if la.File != lb.File {
					return la.File < lb.File
				}
				return la.Start.Offset < lb.Start.Offset
			})
			names := make([]string, len(members))
			for i, x := range members {
				names[i] = x.qualName(st.pkg.PkgPath)
			}
			text := "There is a circular reference between schemas " + strings.Join(names, ", ")
			for _, x := range members {
				if xf := st.prog.fileByName(x.Sym.Loc.File); xf != nil {
					st.pkg.Diags = append(st.pkg.Diags, &diag.Diagnostic{Kind: diag.CompileError, Code: diag.InheritCycle,
						Messages: []diag.Message{{Pos: xf.DiagPos(x.Sym.Loc.Start), End: xf.DiagPos(x.Sym.Loc.End), Text: text}}})
				}
			}
			// break the cycle so that lookups terminate; schemas on a cycle
			// are not inherited from
			for _, x := range members {
				x.Parent = nil
				x.broken = true
			}
			return
		}
		seen[c] = true
		chain = append(chain, c)
	}
}

func (s *SchemaInfo) qualName(curPkg string) string {
	if s.PkgPath == MainPkg || s.PkgPath == "" {
		return s.Name
	}
	return s.PkgPath + "." + s.Name
}

// checkAttrOverrides reports attributes whose type changes in a subclass,
// and required attributes made optional.
func (st *pkgState) checkAttrOverrides(si *SchemaInfo) {
	if si.Parent == nil {
		return
	}
	d := st.schemaDecl[si]
	for _, a := range si.Attrs {
		if !a.Declared {
			continue
		}
		pa := si.Parent.Attr(a.Name)
		if pa == nil || !pa.Declared {
			continue
		}
		attrDecl, _ := a.Sym.decl.(*syntax.SchemaAttr)
		if attrDecl == nil {
			continue
		}
		if attrDecl.Type != nil && pa.TypeText != "" && a.TypeText != "" && !pa.Type.IsAny() && a.Type.String() != "any" {
			if !sameType(pa.Type, a.Type) {
				st.errorf(diag.TypeError, d.file, attrDecl.Name, "can't change schema field type of '%s' from %s to %s", a.Name, typeDisplay(a.Type), typeDisplay(a.Type)).
					WithCode(diag.FieldOverride, &diag.Args{Name: a.Name})
				continue
			}
		}
		if a.Optional && !pa.Optional {
			st.errorf(diag.TypeError, d.file, attrDecl.Name, "can't change the required schema attribute of '%s' to optional", a.Name).WithCode(diag.FieldOverride, &diag.Args{Name: a.Name})
		}
	}
}

// typeDisplay prints a type as used in messages (aliases by name).
func typeDisplay(t *Type) string {
	if t == nil {
		return "any"
	}
	return t.String()
}

func typeNameForMsg(t *Type) string {
	if t == nil {
		return "any"
	}
	if t.Kind == KIntLit || t.Kind == KStrLit || t.Kind == KFloatLit || t.Kind == KBoolLit {
		return t.Base().String()
	}
	return t.String()
}

// ---------------------------------------------------------------------------
// Types from annotations

// typeExpr converts an annotation to a Type, recording the names it uses.
func (st *pkgState) typeExpr(f *syntax.File, ev env, te *syntax.TypeExpr) *Type {
	if te == nil {
		return TAny
	}
	switch te.Kind {
	case syntax.AnyType:
		return TAny
	case syntax.BasicType:
		switch te.Name {
		case "str":
			return TStr
		case "int":
			return TInt
		case "float":
			return TFloat
		case "bool":
			return TBool
		}
		return TAny
	case syntax.ListType:
		if te.Elem == nil {
			return TListAny
		}
		return ListOf(st.typeExpr(f, ev, te.Elem))
	case syntax.DictType:
		k, v := TAny, TAny
		if te.Key != nil {
			k = st.typeExpr(f, ev, te.Key)
		}
		if te.Value != nil {
			v = st.typeExpr(f, ev, te.Value)
		}
		return DictOf(k, v)
	case syntax.UnionType:
		var ms []*Type
		for _, u := range te.Union {
			ms = append(ms, st.typeExpr(f, ev, u))
		}
		return Union(ms...)
	case syntax.LiteralType:
		return literalType(te.Literal)
	case syntax.FunctionType:
		ft := &FuncType{Result: TAny}
		for _, p := range te.Params {
			ft.Params = append(ft.Params, Param{Type: st.typeExpr(f, ev, p)})
		}
		if te.Ret != nil {
			ft.Result = st.typeExpr(f, ev, te.Ret)
		}
		return &Type{Kind: KFunc, Func: ft}
	case syntax.NamedType:
		return st.namedType(f, ev, te)
	}
	return TAny
}

func (st *pkgState) namedType(f *syntax.File, ev env, te *syntax.TypeExpr) *Type {
	if te.NameExpr == nil {
		return TAny
	}
	var sym *Symbol
	switch n := te.NameExpr.(type) {
	case *syntax.Ident:
		sym = ev.scope.Lookup(n.Name)
		if sym == nil {
			st.unresolved(f, n, n.Name, RoleType, false, "type not defined")
			st.notDefined(f, ev, n, n.Name)
			return TAny
		}
		st.occur(f, n, n.Name, sym, false, RoleType)
	case *syntax.SelectorExpr:
		names, ok := syntax.DottedName(n)
		if !ok || len(names) < 2 {
			return TAny
		}
		root := leftmostIdent(n)
		psym := ev.scope.Lookup(names[0])
		if psym == nil || psym.Kind != SymPackage {
			st.unresolved(f, root, names[0], RoleType, false, "package not imported")
			st.notDefined(f, ev, root, names[0])
			return TAny
		}
		st.occur(f, root, names[0], psym, false, RoleType)
		pkg := st.prog.pkgs[psym.Target]
		if pkg == nil || pkg.Scope == nil {
			return TAny
		}
		sym = pkg.Scope.Names[names[len(names)-1]]
		if sym == nil {
			st.unresolved(f, n.Name, n.Name.Name, RoleType, false, "not found in package")
			st.errorf(diag.TypeError, f, n, "attribute '%s' not found in 'module '%s''", n.Name.Name, psym.Target).
				WithCode(diag.UnknownAttribute, &diag.Args{Name: n.Name.Name, Module: psym.Target})
			return TAny
		}
		st.occur(f, n.Name, n.Name.Name, sym, false, RoleType)
	default:
		return TAny
	}
	switch sym.Kind {
	case SymSchema, SymRule:
		return InstanceOf(sym.Schema)
	case SymTypeAlias:
		t := st.prog.aliasType(sym)
		return t
	}
	return TAny
}

// aliasType returns the type a `type X = …` alias denotes.
func (p *Program) aliasType(sym *Symbol) *Type {
	if sym.Type != nil {
		return sym.Type
	}
	st := sym.pkg
	if st == nil {
		return TAny
	}
	decl := st.aliases[sym]
	if decl == nil || st.aliasBusy[sym] {
		return TAny
	}
	st.aliasBusy[sym] = true
	f := st.stmtFile[decl]
	t := st.typeExpr(f, env{file: f, scope: st.fileScopes[f], top: true}, decl.Type)
	st.aliasBusy[sym] = false
	sym.Type = t
	return t
}

func literalType(e syntax.Expr) *Type {
	switch l := e.(type) {
	case *syntax.StringLit:
		return StrLit(l.Value)
	case *syntax.NumberLit:
		if l.Suffix != "" {
			return &Type{Kind: KNumberMultiplier, Lit: fmt.Sprint(l.Int) + l.Suffix}
		}
		if l.Kind == syntax.FloatNumber {
			return FloatLit(formatFloatLit(l.Float))
		}
		return IntLit(fmt.Sprint(l.Int))
	case *syntax.NameConstant:
		switch l.Value {
		case syntax.TRUE:
			return BoolLit(true)
		case syntax.FALSE:
			return BoolLit(false)
		case syntax.NONE, syntax.UNDEFINED:
			return TNone
		}
	case *syntax.UnaryExpr:
		if n, ok := l.X.(*syntax.NumberLit); ok && l.Op == syntax.SUB {
			if n.Kind == syntax.FloatNumber {
				return FloatLit(formatFloatLit(-n.Float))
			}
			return IntLit(fmt.Sprint(-n.Int))
		}
	}
	return TAny
}

func formatFloatLit(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func leftmostIdent(e syntax.Expr) *syntax.Ident {
	for {
		switch x := e.(type) {
		case *syntax.Ident:
			return x
		case *syntax.SelectorExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// exprText returns the source text of a node.
func exprText(f *syntax.File, n syntax.Node) string { return f.Text(n) }

// ---------------------------------------------------------------------------
// Phase 3: resolve statements

func (st *pkgState) resolve() {
	if st.src.sys {
		return
	}
	for _, f := range st.pkg.Files {
		ev := env{file: f, scope: st.fileScopes[f], top: true}
		for _, s := range f.Stmts {
			st.topStmt(s, ev)
		}
	}
}

// topStmt resolves a package-level statement once.
func (st *pkgState) topStmt(s syntax.Stmt, ev env) {
	switch st.stmtState[s] {
	case 1, 2:
		return
	}
	st.stmtState[s] = 1
	st.stmt(s, ev)
	st.stmtState[s] = 2
}

// globalType returns the type of a package-level variable, resolving its
// defining statement on demand.
func (st *pkgState) globalType(sym *Symbol) *Type {
	if sym.Type != nil {
		return sym.Type
	}
	owner := sym.pkg
	if owner == nil {
		return TAny
	}
	if s, ok := sym.decl.(syntax.Stmt); ok {
		if owner.stmtState[s] == 0 {
			f := owner.stmtFile[s]
			owner.topStmt(s, env{file: f, scope: owner.fileScopes[f], top: true})
		}
	}
	if sym.Type != nil {
		return sym.Type
	}
	return TAny
}

func (st *pkgState) stmts(ss []syntax.Stmt, ev env) *Type {
	var last *Type = TVoid
	for _, s := range ss {
		if ev.top {
			st.topStmt(s, ev)
			last = TVoid
			continue
		}
		last = st.stmt(s, ev)
	}
	return last
}

// stmt resolves one statement and returns the value type it produces (for
// lambda results).
func (st *pkgState) stmt(s syntax.Stmt, ev env) *Type {
	f := ev.file
	switch s := s.(type) {
	case *syntax.ExprStmt:
		return st.expr(s.X, ev, ev.ret)
	case *syntax.AssignStmt:
		return st.assign(s, ev)
	case *syntax.AugAssignStmt:
		var before *Type
		if id, ok := s.Target.(*syntax.Ident); ok {
			if sym := ev.scope.Lookup(id.Name); sym != nil && sym.Kind == SymVar {
				before = st.symType(sym)
			}
		}
		var vexp *Type
		if before != nil && before.Kind == KSchema && s.Op == syntax.OR_ASSIGN {
			vexp = before
		}
		vt := st.expr(s.Value, ev, vexp)
		if before != nil && !before.IsAny() {
			op := s.Op.BinaryOf()
			if _, ok := binaryType(op, before.Widen(), vt); !ok {
				st.errorf(diag.TypeError, f, s.Target, "unsupported operand type(s) for %s: '%s' and '%s'", op, before.Widen(), vt).WithCode(diag.UnsupportedOperand, nil)
			}
		}
		st.assignTarget(s.Target, s, ev, vt, nil, true)
		return vt
	case *syntax.UnificationStmt:
		vt := st.expr(s.Value, ev, nil)
		st.assignTarget(s.Target, s, ev, vt, nil, false)
		return vt
	case *syntax.ImportStmt:
		st.importStmt(f, s, ev)
	case *syntax.IfStmt:
		st.expr(s.Cond, ev, nil)
		st.stmts(s.Body, ev)
		st.stmts(s.Else, ev)
	case *syntax.AssertStmt:
		st.expr(s.Test, ev, nil)
		if s.IfCond != nil {
			st.expr(s.IfCond, ev, nil)
		}
		if s.Msg != nil {
			st.expr(s.Msg, ev, nil)
		}
	case *syntax.TypeAliasStmt:
		if s.Name != nil {
			if sym := st.pkg.Scope.Names[s.Name.Name]; sym != nil && sym.Kind == SymTypeAlias && sym.decl == syntax.Node(s) {
				st.prog.aliasType(sym)
			}
		}
	case *syntax.SchemaStmt:
		st.schemaBody(s, ev)
	case *syntax.RuleStmt:
		st.ruleBody(s, ev)
	case *syntax.SchemaAttr:
		// handled in schemaBody
	}
	return TVoid
}

func (st *pkgState) importStmt(f *syntax.File, s *syntax.ImportStmt, ev env) {
	sym := st.fileScopes[f].Names[s.Name]
	if sym == nil {
		return
	}
	node := syntax.Node(s)
	if s.AsName != nil {
		node = s.AsName
	}
	// the import path itself refers to the package
	st.occur(f, spanNode{s.PathPos, s.PathEnd}, s.Rawpath, sym, true, RoleImport)
	if s.AsName != nil {
		st.occur(f, node, s.Name, sym, true, RoleDecl)
	}
	if cyc := st.prog.cycles[st.pkg.PkgPath]; cyc != nil && contains(cyc, sym.Target) {
		names := make([]string, len(cyc))
		for i, c := range cyc {
			names[i] = c[strings.LastIndexByte(c, '.')+1:]
		}
		st.errorf(diag.CompileError, f, s, "There is a circular reference between modules %s", strings.Join(names, ", ")).WithCode(diag.ImportCycle, nil)
	}
	if pkg := st.prog.pkgs[sym.Target]; pkg == nil || (!pkg.sysModule && len(pkg.Files) == 0) {
		if strings.HasPrefix(s.Path, "kcl_plugin") {
			return
		}
		mp := st.modulePath(f, s)
		if refused := st.prog.refused(mp); refused != nil {
			st.errorf(diag.CannotFindModule, f, s, "Cannot import %s: %v", s.Rawpath, refused).
				WithCode(diag.ModuleNotFound, &diag.Args{Module: s.Rawpath})
			return
		}
		st.errorf(diag.CannotFindModule, f, s, "Cannot find the module %s from %s", s.Rawpath, mp).
			WithCode(diag.ModuleNotFound, &diag.Args{Module: s.Rawpath})
	}
}

func (st *pkgState) modulePath(f *syntax.File, s *syntax.ImportStmt) string {
	return st.prog.ld.Import(f.Filename, s.Dots, s.Path).Base
}

// spanNode is a synthetic node for a source range.
type spanNode struct{ start, stop syntax.Pos }

func (s spanNode) Pos() syntax.Pos { return s.start }
func (s spanNode) End() syntax.Pos { return s.stop }

func (st *pkgState) assign(s *syntax.AssignStmt, ev env) *Type {
	var declared *Type
	if s.Type != nil {
		declared = st.typeExpr(ev.file, ev, s.Type)
	}
	if ev.schema != nil {
		for _, t := range s.Targets {
			if id, ok := t.(*syntax.Ident); ok {
				ev.assigning = id.Name
			}
		}
	}
	expected := declared
	if expected == nil && len(s.Targets) == 1 {
		expected = st.targetDeclaredType(s.Targets[0], ev)
	}
	var vt *Type
	if ce, ok := s.Value.(*syntax.ConfigExpr); ok && declared != nil && ev.top && len(s.Targets) == 1 {
		tgt := configTarget(declared, ce)
		tgt.defLoc = st.loc(ev.file, s.Targets[0])
		vt = st.configWith(ce, ev, tgt, declared)
		st.pkg.types[ce] = vt
	} else {
		vt = st.expr(s.Value, ev, expected)
	}
	for _, t := range s.Targets {
		st.assignTarget(t, s, ev, vt, declared, false)
	}
	return vt
}

// targetDeclaredType returns the declared type of an assignment target (a
// schema attribute in a schema body, a typed global), or nil.
func (st *pkgState) targetDeclaredType(t syntax.Expr, ev env) *Type {
	id, ok := t.(*syntax.Ident)
	if !ok {
		return nil
	}
	if ev.schema != nil {
		if a := ev.schema.Attr(id.Name); a != nil && a.Declared {
			return a.Type
		}
	}
	if ev.top {
		if sym := st.pkg.Scope.Names[id.Name]; sym != nil {
			if as, ok := sym.decl.(*syntax.AssignStmt); ok && as.Type != nil && as != nil {
				return st.typeExpr(st.stmtFile[as], env{file: st.stmtFile[as], scope: st.fileScopes[st.stmtFile[as]], top: true}, as.Type)
			}
		}
	}
	return nil
}

// assignTarget binds or references an assignment target.
func (st *pkgState) assignTarget(t syntax.Expr, s syntax.Stmt, ev env, vt, declared *Type, aug bool) {
	f := ev.file
	switch t := t.(type) {
	case *syntax.Ident:
		if ev.top {
			sym := st.pkg.Scope.Names[t.Name]
			if sym == nil {
				return
			}
			isDecl := sym.decl == syntax.Node(s) && sym.Loc.Start == t.Start && sym.Loc.File == f.Filename
			if isDecl {
				if declared != nil {
					sym.Type = declared
				} else {
					// variables have the widened type of their value
					sym.Type = vt.Widen()
				}
				st.occur(f, t, t.Name, sym, true, RoleDecl)
			} else {
				st.occur(f, t, t.Name, sym, false, RoleName)
				st.checkImmutable(f, t, s, sym, aug)
				if first, ok := sym.decl.(*syntax.AssignStmt); ok && first.Type == nil && !aug && declared == nil {
					if _, isAssign := s.(*syntax.AssignStmt); isAssign {
						if ft := st.globalType(sym); ft != nil && !ft.IsAny() && ft.Kind != KNone {
							st.checkAssignable(f, t, vt, ft.Widen(), Location{})
						}
					}
				}
			}
			if declared == nil && sym.Type != nil && !isDecl {
				if as, ok := sym.decl.(*syntax.AssignStmt); ok && as.Type != nil {
					st.checkAssignable(f, t, vt, sym.Type, sym.Loc)
				}
			}
			if declared != nil {
				st.checkAssignable(f, t, vt, declared, Location{})
			}
			return
		}
		// local scopes: schema bodies, lambdas
		if ev.schema != nil && ev.scope.Kind == ScopeSchema {
			if a := ev.schema.Attr(t.Name); a != nil && a.Sym != nil {
				if a.Declared {
					st.occur(f, t, t.Name, a.Sym, false, RoleName)
					if !aug {
						st.checkAssignable(f, t, vt, a.Type, Location{})
					}
				} else if a.Sym.Loc.Start == t.Start && a.Sym.Loc.File == f.Filename {
					if a.Sym.Type == nil || a.Sym.Type.IsAny() {
						a.Sym.Type = vt
						a.Type = vt
					}
					st.occur(f, t, t.Name, a.Sym, true, RoleDecl)
				} else {
					st.occur(f, t, t.Name, a.Sym, false, RoleName)
				}
				return
			}
		}
		if sym := ev.scope.Lookup(t.Name); sym != nil && !sym.Global {
			st.occur(f, t, t.Name, sym, false, RoleName)
			return
		}
		sym := &Symbol{Name: t.Name, Kind: SymVar, Loc: st.loc(f, t), PkgPath: st.pkg.PkgPath, Type: vt.Widen()}
		if declared != nil {
			sym.Type = declared
		}
		ev.scope.define(sym)
		st.occur(f, t, t.Name, sym, true, RoleDecl)
	case *syntax.SelectorExpr, *syntax.IndexExpr:
		st.expr(t, ev, nil)
		if ev.top {
			if root := leftmostIdent(rootOf(t)); root != nil {
				if sym := ev.scope.Lookup(root.Name); sym != nil && (sym.Kind == SymPackage || (sym.Kind == SymVar && sym.Global && !strings.HasPrefix(sym.Name, "_"))) {
					d := st.errorf(diag.ImmutableError, f, root, "Can not change the value of '%s', because it was declared immutable", root.Name).
						WithCode(diag.Immutable, &diag.Args{Name: root.Name})
					loc := sym.Loc
					if imp, ok := sym.decl.(*syntax.ImportStmt); ok {
						loc = Location{File: sym.Loc.File, Start: imp.Start, End: imp.Stop}
					}
					st.addMsg(d, loc, fmt.Sprintf("The variable '%s' is declared here", root.Name))
					d.Messages[len(d.Messages)-1].Note = fmt.Sprintf("change the variable name to '_%s' to make it mutable", root.Name)
				}
			}
		}
	default:
		st.expr(t, ev, nil)
	}
}

func rootOf(e syntax.Expr) syntax.Expr {
	for {
		switch x := e.(type) {
		case *syntax.SelectorExpr:
			e = x.X
		case *syntax.IndexExpr:
			e = x.X
		default:
			return e
		}
	}
}

// checkImmutable reports a second assignment to an immutable global.
func (st *pkgState) checkImmutable(f *syntax.File, t *syntax.Ident, s syntax.Stmt, sym *Symbol, aug bool) {
	if strings.HasPrefix(t.Name, "_") || sym.Kind != SymVar {
		return
	}
	if _, uni := s.(*syntax.UnificationStmt); uni {
		return
	}
	if _, uni := sym.decl.(*syntax.UnificationStmt); uni {
		if _, ok := s.(*syntax.AssignStmt); !ok {
			return
		}
	}
	if aug {
		d := st.errorf(diag.ImmutableError, f, t, "Immutable variable '%s' is modified during compiling", t.Name).
			WithCode(diag.Immutable, &diag.Args{Name: t.Name})
		st.addMsg(d, sym.Loc, fmt.Sprintf("The variable '%s' is declared here firstly", t.Name))
		return
	}
	// the first assignment of the name is its declaration
	d := st.errorf(diag.ImmutableError, f, t, "Can not change the value of '%s', because it was declared immutable", t.Name).
		WithCode(diag.Immutable, &diag.Args{Name: t.Name})
	st.addMsg(d, sym.Loc, fmt.Sprintf("The variable '%s' is declared here", t.Name))
	d.Messages[len(d.Messages)-1].Note = fmt.Sprintf("change the variable name to '_%s' to make it mutable", t.Name)
}

// checkAssignable reports a TypeError when vt does not fit dst; defLoc, when
// set, adds the "variable is defined here" message.
func (st *pkgState) checkAssignable(f *syntax.File, at syntax.Node, vt, dst *Type, defLoc Location) bool {
	return st.checkValueAssignable(f, at, nil, "", vt, dst, defLoc)
}

// checkValueAssignable is checkAssignable for the value expression value
// of the attribute name (both optional): a fix may replace the value.
func (st *pkgState) checkValueAssignable(f *syntax.File, at, value syntax.Node, name string, vt, dst *Type, defLoc Location) bool {
	if vt == nil || dst == nil || Assignable(vt, dst) {
		return true
	}
	d := st.errorf(diag.TypeError, f, at, "expected %s, got %s", dst, vt)
	typeMismatch(d, f, value, dst, vt, name)
	if defLoc.File != "" {
		st.addMsg(d, defLoc, fmt.Sprintf("variable is defined here, its type is %s, but got %s", dst, vt))
	}
	return false
}

// ---------------------------------------------------------------------------
// Schema bodies

func (st *pkgState) schemaBody(s *syntax.SchemaStmt, ev env) {
	if s.Name == nil {
		return
	}
	sym := st.pkg.Scope.Names[s.Name.Name]
	if sym == nil || sym.Schema == nil || sym.decl != syntax.Node(s) {
		return
	}
	si := sym.Schema
	f := ev.file
	for _, dec := range s.Decorators {
		st.decorator(f, dec, ev)
	}
	sc := newScope(ScopeSchema, ev.scope)
	sc.Schema = si
	sc.File, sc.Start, sc.End = f.Filename, s.Start, s.Stop
	bev := ev.with(sc)
	bev.schema = si
	// parameters
	var defaults []syntax.Expr
	reported := map[syntax.Expr]bool{}
	for i, p := range s.Params {
		if p == nil || p.Name == nil {
			continue
		}
		pt := TAny
		if i < len(si.Params) {
			pt = si.Params[i].Type
		}
		psym := &Symbol{Name: p.Name.Name, Kind: SymParam, Loc: st.loc(f, p.Name), PkgPath: st.pkg.PkgPath, Type: pt}
		sc.define(psym)
		st.occur(f, p.Name, p.Name.Name, psym, true, RoleDecl)
		if p.Default != nil {
			defaults = append(defaults, p.Default)
			st.expr(p.Default, ev, pt)
		} else {
			for j := len(defaults) - 1; j >= 0; j-- {
				if reported[defaults[j]] {
					continue
				}
				reported[defaults[j]] = true
				d := st.errorf(diag.IllegalParameterError, f, defaults[j], "non-default argument follows default argument").WithCode(diag.ParameterOrder, nil)
				d.Messages[0].Note = "A default argument"
			}
		}
	}
	// names assigned in the body are visible everywhere in it
	for _, b := range s.Body {
		st.walkBodyDecls(b, sc, si, f)
	}
	for _, b := range s.Body {
		switch b := b.(type) {
		case *syntax.SchemaAttr:
			if b.Name == nil {
				continue
			}
			for _, dec := range b.Decorators {
				st.decorator(f, dec, bev)
			}
			a := si.OwnAttr(b.Name.Name)
			if b.Value != nil {
				var at *Type
				if a != nil {
					at = a.Type
				}
				vt := st.expr(b.Value, bev, at)
				if a != nil && b.Op != syntax.ADD_ASSIGN {
					st.checkAssignable(f, b.Name, vt, a.Type, Location{})
				}
			}
			if si.Index != nil && a != nil && !si.Index.AnyOther {
				// attributes must agree with the index signature
				if !Assignable(a.Type, si.Index.Value) {
					st.errorf(diag.IndexSignatureError, f, b.Name, "the type '%s' of schema attribute '%s' does not meet the index signature definition %s", a.Type, a.Name, indexSigText(si.Index)).
						WithCode(diag.IndexSignature, &diag.Args{Name: a.Name})
				}
			}
		default:
			st.stmt(b, bev)
		}
	}
	if ix := s.IndexSignature; ix != nil {
		if ix.KeyName != nil {
			if si.OwnAttr(ix.KeyName.Name) != nil {
				st.errorf(diag.IndexSignatureError, f, ix, "index signature attribute name '%s' cannot have the same name as schema attributes", ix.KeyName.Name).
					WithCode(diag.IndexSignature, &diag.Args{Name: ix.KeyName.Name})
			}
			ksym := &Symbol{Name: ix.KeyName.Name, Kind: SymParam, Loc: st.loc(f, ix.KeyName), PkgPath: st.pkg.PkgPath, Type: TStr}
			sc.define(ksym)
			st.occur(f, ix.KeyName, ksym.Name, ksym, true, RoleDecl)
		}
		if ix.Value != nil {
			st.expr(ix.Value, bev, si.Index.Value)
		}
	}
	if len(s.Checks) > 0 {
		cs := newScope(ScopeCheck, sc)
		cs.File, cs.Start, cs.End = f.Filename, s.Checks[0].Start, s.Stop
		cev := bev.with(cs)
		cev.schema = si
		for _, c := range s.Checks {
			st.check(c, cev)
		}
	}
}

func indexSigText(ix *IndexSignature) string {
	k := ix.Key.String()
	if ix.KeyName != "" {
		k = ix.KeyName + ": " + k
	}
	if ix.AnyOther {
		k = "..." + k
	}
	return "[" + k + "]: " + ix.Value.String()
}

// walkBodyDecls pre-declares local (non-attribute) names assigned in a schema
// body so that they are visible before their assignment.
func (st *pkgState) walkBodyDecls(b syntax.Stmt, sc *Scope, si *SchemaInfo, f *syntax.File) {
	switch b := b.(type) {
	case *syntax.IfStmt:
		for _, x := range b.Body {
			st.walkBodyDecls(x, sc, si, f)
		}
		for _, x := range b.Else {
			st.walkBodyDecls(x, sc, si, f)
		}
	case *syntax.AssignStmt:
		for _, t := range b.Targets {
			id, ok := t.(*syntax.Ident)
			if !ok || si.Attr(id.Name) != nil {
				continue
			}
			if _, ok := sc.Names[id.Name]; ok {
				continue
			}
			sym := &Symbol{Name: id.Name, Kind: SymAttr, Loc: st.loc(f, id), PkgPath: st.pkg.PkgPath, Type: TAny}
			a := &AttrInfo{Name: id.Name, Owner: si, Type: TAny, Sym: sym, HasDefault: true}
			sym.Attr = a
			si.addAttr(a)
		}
	}
}

func (st *pkgState) check(c *syntax.CheckExpr, ev env) {
	if c == nil {
		return
	}
	st.expr(c.Test, ev, nil)
	if c.IfCond != nil {
		st.expr(c.IfCond, ev, nil)
	}
	if c.Msg != nil {
		st.expr(c.Msg, ev, nil)
	}
}

func (st *pkgState) decorator(f *syntax.File, dec *syntax.Decorator, ev env) {
	if dec == nil || dec.Name == nil {
		return
	}
	name := exprText(f, dec.Name)
	if _, ok := st.prog.builtins.Decorators[name]; !ok {
		st.errorf(diag.CompileError, f, dec.Name, "UnKnown decorator %s", name).WithCode(diag.UnknownDecorator, &diag.Args{Name: name})
	}
	for _, a := range dec.Args {
		st.expr(a, ev, nil)
	}
	for _, k := range dec.Kwargs {
		if k.Value != nil {
			st.expr(k.Value, ev, nil)
		}
	}
}

func (st *pkgState) ruleBody(r *syntax.RuleStmt, ev env) {
	if r.Name == nil {
		return
	}
	sym := st.pkg.Scope.Names[r.Name.Name]
	if sym == nil || sym.Schema == nil || sym.decl != syntax.Node(r) {
		return
	}
	si := sym.Schema
	f := ev.file
	for _, dec := range r.Decorators {
		st.decorator(f, dec, ev)
	}
	sc := newScope(ScopeSchema, ev.scope)
	sc.Schema = si
	sc.File, sc.Start, sc.End = f.Filename, r.Start, r.Stop
	bev := ev.with(sc)
	bev.schema = si
	for i, p := range r.Params {
		if p == nil || p.Name == nil {
			continue
		}
		pt := TAny
		if i < len(si.Params) {
			pt = si.Params[i].Type
		}
		psym := &Symbol{Name: p.Name.Name, Kind: SymParam, Loc: st.loc(f, p.Name), PkgPath: st.pkg.PkgPath, Type: pt}
		sc.define(psym)
		st.occur(f, p.Name, p.Name.Name, psym, true, RoleDecl)
	}
	for _, c := range r.Checks {
		st.check(c, bev)
	}
}

// ---------------------------------------------------------------------------
// Finishing

// flushPending resolves the deferred lambda bodies no call reached.
func (st *pkgState) flushPending() {
	for i := 0; i < len(st.pending); i++ {
		st.pending[i].resolve(nil)
	}
}

func (st *pkgState) finish() {
	st.unusedImports()
	for _, fi := range st.pkg.index {
		fi.sort()
	}
	sort.SliceStable(st.pkg.Diags, func(i, j int) bool {
		a, b := st.pkg.Diags[i].Primary().Pos, st.pkg.Diags[j].Primary().Pos
		if a.File != b.File {
			return st.fileOrder(a.File) < st.fileOrder(b.File)
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	for _, cs := range st.pkg.configs {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Start.Offset < cs[j].Start.Offset })
	}
	// drop working state referenced from symbols
	for _, sym := range st.pkg.Scope.Names {
		if sym.pkg == st {
			sym.pkg = nil
		}
	}
}

func (st *pkgState) fileOrder(name string) int {
	for i, f := range st.pkg.Files {
		if f.Filename == name {
			return i
		}
	}
	return len(st.pkg.Files)
}

// sameType reports whether two declared types are the same (schemas by
// declaration, other types by their printed form).
func sameType(a, b *Type) bool {
	if a.Kind == KSchema && b.Kind == KSchema {
		return a.Schema.same(b.Schema)
	}
	return a.String() == b.String()
}
