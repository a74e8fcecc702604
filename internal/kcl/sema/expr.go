package sema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// expr resolves an expression and returns its type; expected is the type the
// context expects (nil when none), used to resolve config keys.
func (st *pkgState) expr(e syntax.Expr, ev env, expected *Type) *Type {
	if e == nil {
		return TAny
	}
	t := st.expr1(e, ev, expected)
	if t == nil {
		t = TAny
	}
	if _, seen := st.pkg.types[e]; !seen && ev.file != nil {
		st.pkg.exprs[ev.file.Filename] = append(st.pkg.exprs[ev.file.Filename], e)
	}
	st.pkg.types[e] = t
	return t
}

func (st *pkgState) expr1(e syntax.Expr, ev env, expected *Type) *Type {
	f := ev.file
	switch e := e.(type) {
	case *syntax.Ident:
		return st.ident(e, ev)
	case *syntax.SelectorExpr:
		xt := st.expr(e.X, ev, nil)
		if e.Name == nil {
			return TAny
		}
		return st.member(f, xt, e.Name, ev, e)
	case *syntax.IndexExpr:
		xt := st.expr(e.X, ev, nil)
		it := st.expr(e.Index, ev, nil)
		return indexType(xt, it, e.Index)
	case *syntax.SliceExpr:
		xt := st.expr(e.X, ev, nil)
		for _, x := range []syntax.Expr{e.Lo, e.Hi, e.Step} {
			if x != nil {
				st.expr(x, ev, nil)
			}
		}
		if xt.Kind == KStrLit {
			return TStr
		}
		return xt
	case *syntax.CallExpr:
		return st.call(e, ev)
	case *syntax.StarredExpr:
		return st.expr(e.X, ev, nil)
	case *syntax.UnaryExpr:
		xt := st.expr(e.X, ev, nil)
		switch e.Op {
		case syntax.KW_NOT:
			return TBool
		case syntax.INV:
			return TInt
		}
		if xt.Kind == KIntLit || xt.Kind == KFloatLit {
			return xt.Base()
		}
		return xt
	case *syntax.BinaryExpr:
		return st.binary(e, ev, expected)
	case *syntax.CompareExpr:
		lt := st.expr(e.Left, ev, nil)
		for i, c := range e.Comparators {
			ct := st.expr(c, ev, nil)
			if i < len(e.Ops) {
				st.checkCompare(f, e, e.Ops[i], lt, ct)
			}
			lt = ct
		}
		return TBool
	case *syntax.AsExpr:
		xt := st.expr(e.X, ev, nil)
		tt := st.typeExpr(f, ev, e.Type)
		if !xt.IsAny() && !tt.IsAny() && !castable(xt, tt) {
			st.errorf(diag.TypeError, f, e, "Conversion of type '%s' to type '%s' may be a mistake because neither type sufficiently overlaps with the other", xt, tt).
				WithCode(diag.InvalidConversion, &diag.Args{Expected: tt.String(), Actual: xt.String()})
		}
		return tt
	case *syntax.IfExpr:
		st.expr(e.Cond, ev, nil)
		a := st.expr(e.Body, ev, expected)
		b := st.expr(e.Else, ev, expected)
		return Union(a, b)
	case *syntax.ParenExpr:
		return st.expr(e.X, ev, expected)
	case *syntax.NumberLit:
		return literalType(e)
	case *syntax.StringLit:
		return StrLit(e.Value)
	case *syntax.JoinedString:
		for _, p := range e.Parts {
			if fv, ok := p.(*syntax.FormattedValue); ok {
				st.expr(fv.X, ev, nil)
				if fv.Spec != "" {
					spec := strings.TrimSpace(fv.Spec)
					if ls := strings.ToLower(spec); ls != "#json" && ls != "#yaml" {
						var at syntax.Node = fv
						if fv.X != nil {
							at = fv.X
						}
						st.errorf(diag.CompileError, f, at, "%s is a invalid format spec", spec).WithCode(diag.InvalidFormatSpec, nil)
					}
				}
			}
		}
		return TStr
	case *syntax.FormattedValue:
		st.expr(e.X, ev, nil)
		return TStr
	case *syntax.NameConstant:
		return literalType(e)
	case *syntax.ListExpr:
		var elem *Type
		if expected != nil {
			elem = listElemExpected(expected)
		}
		var ts []*Type
		for _, x := range e.Elts {
			ts = append(ts, st.listItem(x, ev, elem)...)
		}
		if len(ts) == 0 {
			return TListAny
		}
		return ListOf(Union(ts...))
	case *syntax.ListIfItem:
		var ts []*Type
		ts = append(ts, st.listItem(e, ev, listElemExpected(expected))...)
		return ListOf(Union(ts...))
	case *syntax.ListComp:
		cs := st.compScope(e.Clauses, ev, e.Start, e.Stop)
		t := st.expr(e.Elt, ev.with(cs), listElemExpected(expected))
		return ListOf(t.Widen())
	case *syntax.DictComp:
		cs := st.compScope(e.Clauses, ev, e.Start, e.Stop)
		cev := ev.with(cs)
		kt := st.expr(e.Key, cev, nil)
		vt := st.expr(e.Value, cev, nil)
		return DictOf(kt.Widen(), vt.Widen())
	case *syntax.ConfigExpr:
		return st.config(e, ev, expected)
	case *syntax.ConfigIfEntry:
		st.configIf(e, ev, expected, nil)
		return TDictAny
	case *syntax.SchemaExpr:
		return st.schemaExpr(e, ev)
	case *syntax.LambdaExpr:
		return st.lambda(e, ev)
	case *syntax.QuantExpr:
		tt := st.expr(e.Target, ev, nil)
		qs := newScope(ScopeComp, ev.scope)
		qs.File, qs.Start, qs.End = f.Filename, e.Start, e.Stop
		st.loopVars(f, qs, e.Vars, tt, e)
		qev := ev.with(qs)
		rt := st.expr(e.Test, qev, nil)
		if e.IfCond != nil {
			st.expr(e.IfCond, qev, nil)
		}
		switch e.Op {
		case syntax.ALL, syntax.ANY:
			return TBool
		case syntax.MAP:
			return ListOf(rt.Widen())
		case syntax.FILTER:
			return tt
		}
		return TAny
	case *syntax.BadExpr:
		return TAny
	}
	return TAny
}

func listElemExpected(t *Type) *Type {
	if t == nil {
		return nil
	}
	switch t.Kind {
	case KList:
		return t.Elem
	case KUnion:
		for _, m := range t.Members {
			if m.Kind == KList {
				return m.Elem
			}
		}
	}
	return nil
}

func (st *pkgState) listItem(x syntax.Expr, ev env, elem *Type) []*Type {
	switch x := x.(type) {
	case *syntax.StarredExpr:
		t := st.expr(x.X, ev, nil)
		st.pkg.types[x] = t
		if t.Kind == KList {
			return []*Type{t.Elem}
		}
		return []*Type{TAny}
	case *syntax.ListIfItem:
		var ts []*Type
		for it := x; it != nil; it = it.Else {
			if it.Cond != nil {
				st.expr(it.Cond, ev, nil)
			}
			for _, y := range it.Elts {
				ts = append(ts, st.listItem(y, ev, elem)...)
			}
		}
		st.pkg.types[x] = ListOf(Union(ts...))
		return ts
	}
	return []*Type{st.expr(x, ev, elem)}
}

// ident resolves a name expression.
func (st *pkgState) ident(id *syntax.Ident, ev env) *Type {
	f := ev.file
	sym := ev.scope.Lookup(id.Name)
	if sym == nil && ev.schema != nil && ev.schema.IndexSig() != nil {
		// a relaxed key of a schema with an index signature
		st.unresolved(f, id, id.Name, RoleName, true, "index signature key")
		return ev.schema.IndexSig().Value
	}
	if sym == nil && ev.schema != nil && ev.schema.Kind == SchemaMixin && ev.schema.Protocol == nil {
		// a mixin without a protocol reads its host's attributes
		st.unresolved(f, id, id.Name, RoleName, true, "host attribute of a mixin without protocol")
		return TAny
	}
	if sym == nil {
		st.unresolved(f, id, id.Name, RoleName, false, "not defined")
		st.notDefined(f, ev, id, id.Name)
		return TAny
	}
	st.occur(f, id, id.Name, sym, false, RoleName)
	return st.symType(sym)
}

func (st *pkgState) symType(sym *Symbol) *Type {
	if sym.Kind == SymVar && sym.Global {
		return st.globalType(sym)
	}
	if sym.Kind == SymTypeAlias && sym.Type == nil {
		return st.prog.aliasType(sym)
	}
	if sym.Type == nil {
		return TAny
	}
	return sym.Type
}

func (st *pkgState) notDefined(f *syntax.File, ev env, n syntax.Node, name string) {
	var cands []string
	for k := range ev.scope.visibleNames() {
		if k != ev.assigning {
			cands = append(cands, k)
		}
	}
	d := st.errorf(diag.CompileError, f, n, "name '%s' is not defined%s", name, didYouMean(name, cands))
	sugg := suggestNames(name, cands)
	d.WithCode(diag.UnknownName, &diag.Args{Name: name, Suggestions: sugg})
	addRenameFixes(d, f, n, name, sugg)
}

// didYouMean returns `, did you mean '["a", "b"]'?` for close candidates.
func didYouMean(name string, cands []string) string {
	var out []string
	for _, c := range cands {
		if c == name || c == "" {
			continue
		}
		if similar(name, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return ""
	}
	sort.Strings(out)
	q := make([]string, len(out))
	for i, o := range out {
		q[i] = fmt.Sprintf("%q", o)
	}
	return fmt.Sprintf(", did you mean '[%s]'?", strings.Join(q, ", "))
}

func similar(a, b string) bool {
	return 2*editDistance(a, b) < len(a)
}

// editDistance is the Damerau–Levenshtein (optimal string alignment) distance.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// member resolves `x.name` given the type of x.
func (st *pkgState) member(f *syntax.File, xt *Type, name *syntax.Ident, ev env, at syntax.Node) *Type {
	n := name.Name
	switch xt.Kind {
	case KModule:
		pkg := st.prog.pkgs[xt.Module]
		if pkg == nil || pkg.Scope == nil {
			st.unresolved(f, name, n, RoleAttr, false, "package not loaded")
			return TAny
		}
		sym := pkg.Scope.Names[n]
		if sym == nil {
			st.unresolved(f, name, n, RoleAttr, false, "not found in package")
			st.errorf(diag.TypeError, f, at, "attribute '%s' not found in 'module '%s''", n, xt.Module).
				WithCode(diag.UnknownAttribute, &diag.Args{Name: n, Module: xt.Module})
			return TAny
		}
		st.occur(f, name, n, sym, false, RoleAttr)
		return st.symType(sym)
	case KSchema:
		a := xt.Schema.Attr(n)
		if a == nil || a.Sym == nil {
			if ix := xt.Schema.IndexSig(); ix != nil {
				st.unresolved(f, name, n, RoleAttr, true, "index signature key")
				return ix.Value
			}
			st.unresolved(f, name, n, RoleAttr, false, "attribute not found")
			var cands []string
			for _, a := range xt.Schema.AllAttrs() {
				cands = append(cands, a.Name)
			}
			d := st.errorf(diag.TypeError, f, at, "attribute '%s' not found in '%s'%s", n, xt.Schema.Name, didYouMean(n, cands))
			sugg := suggestNames(n, cands)
			d.WithCode(diag.UnknownAttribute, &diag.Args{Name: n, Schema: xt.Schema.Name, Suggestions: sugg})
			addRenameFixes(d, f, name, n, sugg)
			return TAny
		}
		st.occur(f, name, n, a.Sym, false, RoleAttr)
		if a.Sym.Type != nil && !a.Sym.Type.IsAny() {
			return a.Sym.Type
		}
		return a.Type
	case KSchemaDef:
		if n == "instances" {
			st.occur(f, name, n, st.prog.instancesSym(), false, RoleAttr)
			return &Type{Kind: KFunc, Func: &FuncType{Name: "instances", Params: []Param{{Name: "full_pkg", Type: TBool, Optional: true}}, Result: ListOf(InstanceOf(xt.Schema))}}
		}
		st.unresolved(f, name, n, RoleAttr, false, "schema type member not found")
		d := st.errorf(diag.TypeError, f, at, "attribute '%s' not found in '%s'%s", n, xt.Schema.Name, didYouMean(n, []string{"instances"}))
		sugg := suggestNames(n, []string{"instances"})
		d.WithCode(diag.UnknownAttribute, &diag.Args{Name: n, Schema: xt.Schema.Name, Suggestions: sugg})
		addRenameFixes(d, f, name, n, sugg)
		return TAny
	case KStr, KStrLit:
		if t, ok := st.prog.builtins.StrMethods[n]; ok {
			st.occur(f, name, n, st.prog.strMethodSym(n), false, RoleAttr)
			return t
		}
		st.unresolved(f, name, n, RoleAttr, false, "str has no such method")
		return TAny
	case KUnion:
		var found []*Type
		for _, m := range xt.Members {
			if m.Kind == KSchema {
				if a := m.Schema.Attr(n); a != nil && a.Sym != nil {
					st.occur(f, name, n, a.Sym, false, RoleAttr)
					return a.Type
				}
			}
			if m.Kind == KDict {
				found = append(found, m.Elem)
			}
		}
		st.unresolved(f, name, n, RoleAttr, true, "attribute of a union")
		if len(found) > 0 {
			return Union(found...)
		}
		return TAny
	case KDict:
		if sym := xt.Fields[n]; sym != nil {
			st.occur(f, name, n, sym, false, RoleAttr)
			if sym.Type != nil {
				return sym.Type
			}
			return xt.Elem
		}
		st.unresolved(f, name, n, RoleAttr, true, "key of a dict")
		return xt.Elem
	}
	st.unresolved(f, name, n, RoleAttr, true, "attribute of an untyped value")
	return TAny
}

func indexType(xt, it *Type, idx syntax.Expr) *Type {
	switch xt.Kind {
	case KList:
		return xt.Elem
	case KDict:
		return xt.Elem
	case KStr, KStrLit:
		return TStr
	case KSchema:
		if s, ok := idx.(*syntax.StringLit); ok {
			if a := xt.Schema.Attr(s.Value); a != nil {
				return a.Type
			}
		}
		if ix := xt.Schema.IndexSig(); ix != nil {
			return ix.Value
		}
	}
	return TAny
}

// compScope makes the scope of a comprehension: the first iterable is
// resolved outside, later clauses inside.
func (st *pkgState) compScope(clauses []*syntax.CompClause, ev env, start, stop syntax.Pos) *Scope {
	cs := newScope(ScopeComp, ev.scope)
	cs.File, cs.Start, cs.End = ev.file.Filename, start, stop
	inner := ev.with(cs)
	for i, c := range clauses {
		if c == nil {
			continue
		}
		iev := inner
		if i == 0 {
			iev = ev
		}
		it := st.expr(c.Iter, iev, nil)
		st.loopVars(ev.file, cs, c.Targets, it, c)
		for _, cond := range c.Ifs {
			st.expr(cond, inner, nil)
		}
	}
	return cs
}

func (st *pkgState) loopVars(f *syntax.File, sc *Scope, vars []*syntax.Ident, it *Type, at syntax.Node) {
	if len(vars) > 2 {
		pos := at
		if vars[1] != nil {
			pos = spanNode{vars[1].End(), vars[1].End()}
		}
		st.errorf(diag.CompileError, f, pos, "the number of loop variables is %d, which can only be 1 or 2", len(vars)).WithCode(diag.LoopVariables, nil)
	}
	var types []*Type
	switch it.Kind {
	case KList:
		if len(vars) == 2 {
			types = []*Type{TInt, it.Elem}
		} else {
			types = []*Type{it.Elem}
		}
	case KDict:
		types = []*Type{it.Key, it.Elem}
	case KSchema:
		types = []*Type{TStr, TAny}
	case KStr, KStrLit:
		if len(vars) == 2 {
			types = []*Type{TInt, TStr}
		} else {
			types = []*Type{TStr}
		}
	}
	for i, v := range vars {
		if v == nil {
			continue
		}
		t := TAny
		if i < len(types) && types[i] != nil {
			t = types[i].Widen()
		}
		sym := &Symbol{Name: v.Name, Kind: SymLoopVar, Loc: st.loc(f, v), PkgPath: st.pkg.PkgPath, Type: t}
		sc.Names[v.Name] = sym
		st.occur(f, v, v.Name, sym, true, RoleDecl)
	}
}

// call resolves a call and checks it against the callee's signature.
func (st *pkgState) call(e *syntax.CallExpr, ev env) *Type {
	f := ev.file
	// `(lambda x {…})(arg)`: the arguments give the untyped parameters
	// their types
	var pre []*Type
	if lam, ok := syntax.Unparen(e.Func).(*syntax.LambdaExpr); ok {
		for _, a := range e.Args {
			pre = append(pre, st.expr(a, ev, nil))
		}
		if st.argHints == nil {
			st.argHints = map[*syntax.LambdaExpr][]*Type{}
		}
		st.argHints[lam] = pre
	}
	ft := st.expr(e.Func, ev, nil)
	var sig *FuncType
	var result *Type = TAny
	name := exprText(f, e.Func)
	switch ft.Kind {
	case KFunc:
		sig = ft.Func
		if sig != nil && sig.Result != nil {
			result = sig.Result
		}
	case KSchemaDef:
		sig = &FuncType{Params: ft.Schema.Params, Name: ft.Schema.Name}
		result = InstanceOf(ft.Schema)
	}
	var argTypes []*Type
	for i, a := range e.Args {
		if pre != nil {
			argTypes = append(argTypes, pre[i])
			continue
		}
		var exp *Type
		if sig != nil && i < len(sig.Params) {
			exp = sig.Params[i].Type
		}
		argTypes = append(argTypes, st.expr(a, ev, exp))
	}
	for _, k := range e.Kwargs {
		var exp *Type
		if sig != nil && k.Name != nil {
			for _, p := range sig.Params {
				if p.Name == k.Name.Name {
					exp = p.Type
				}
			}
		}
		if k.Value != nil {
			st.expr(k.Value, ev, exp)
		}
	}
	if sig != nil && sig.pending != nil {
		sig.pending.resolve(argTypes)
		if sig.Result != nil {
			result = sig.Result
		}
	}
	if sig != nil && len(sig.Params) > 0 || (sig != nil && ft.Kind == KSchemaDef) {
		st.checkArgList(f, e, e.Args, e.Kwargs, sig, name, argTypes)
	}
	if ft.Kind == KFunc && sig != nil && sig.Name == "typeof" {
		return TStr
	}
	return result
}

func (st *pkgState) checkArgList(f *syntax.File, at syntax.Node, args []syntax.Expr, kwargs []*syntax.Keyword, sig *FuncType, name string, argTypes []*Type) {
	if sig.Variadic {
		return
	}
	for _, a := range args {
		if _, ok := a.(*syntax.StarredExpr); ok {
			return
		}
	}
	for _, k := range kwargs {
		if k.Name == nil {
			return
		}
	}
	nPos := len(args)
	if nPos > len(sig.Params) {
		st.errorf(diag.CompileError, f, args[len(sig.Params)], "\"%s\" takes %d positional argument but %d were given", name, len(sig.Params), nPos).
			WithCode(diag.ArgumentCount, &diag.Args{Name: name})
		return
	}
	set := map[string]bool{}
	for i := 0; i < nPos; i++ {
		set[sig.Params[i].Name] = true
		if i < len(argTypes) && sig.Params[i].Type != nil {
			st.checkAssignable(f, args[i], argTypes[i], sig.Params[i].Type, Location{})
		}
	}
	var names []string
	for _, p := range sig.Params {
		names = append(names, p.Name)
	}
	for _, k := range kwargs {
		found := false
		for _, p := range sig.Params {
			if p.Name == k.Name.Name {
				found = true
			}
		}
		if !found {
			d := st.errorf(diag.CompileError, f, k.Name, "\"%s\" got an unexpected keyword argument '%s'%s", name, k.Name.Name, didYouMean(k.Name.Name, names))
			sugg := suggestNames(k.Name.Name, names)
			d.WithCode(diag.UnknownArgument, &diag.Args{Name: k.Name.Name, Schema: name, Suggestions: sugg})
			addRenameFixes(d, f, k.Name, k.Name.Name, sugg)
			return
		}
		for _, p := range sig.Params {
			if p.Name == k.Name.Name && k.Value != nil {
				if vt, ok := st.pkg.types[k.Value]; ok && p.Type != nil {
					st.checkAssignable(f, k.Value, vt, p.Type, p.Loc)
				}
			}
		}
		set[k.Name.Name] = true
	}
	missing := 0
	for _, p := range sig.Params {
		if !p.Optional && !set[p.Name] {
			missing++
		}
	}
	if missing > 0 {
		required := 0
		for _, p := range sig.Params {
			if !p.Optional {
				required++
			}
		}
		plural := "s"
		if required == 1 {
			plural = ""
		}
		st.errorf(diag.CompileError, f, at, "expected %d positional argument%s, found %d", required, plural, required-missing).WithCode(diag.ArgumentCount, nil)
	}
}

// lambda resolves a lambda expression.
func (st *pkgState) lambda(e *syntax.LambdaExpr, ev env) *Type {
	ft, ptypes := st.lambdaHeader(e, ev)
	if ev.top && st.argHints[e] == nil && hasUntypedParam(e) {
		// a package-level lambda with untyped parameters: its body is
		// resolved at its first call, whose arguments type the parameters
		// (or at the end of the package when it is never called)
		pb := &pendingBody{st: st, e: e, ev: ev, ft: ft, ptypes: ptypes}
		ft.pending = pb
		st.pending = append(st.pending, pb)
		return &Type{Kind: KFunc, Func: ft}
	}
	st.lambdaBody(e, ev, ft, ptypes)
	return &Type{Kind: KFunc, Func: ft}
}

// pendingBody is a lambda body whose resolution waits for a call.
type pendingBody struct {
	st     *pkgState
	e      *syntax.LambdaExpr
	ev     env
	ft     *FuncType
	ptypes []*Type
	done   bool
}

func hasUntypedParam(e *syntax.LambdaExpr) bool {
	for _, p := range e.Params {
		if p != nil && p.Name != nil && p.Type == nil {
			return true
		}
	}
	return false
}

// resolvePending resolves a deferred lambda body, typing its untyped
// parameters with args (nil: no call).
func (pb *pendingBody) resolve(args []*Type) {
	if pb.done {
		return
	}
	pb.done = true
	pb.ft.pending = nil
	ptypes := append([]*Type(nil), pb.ptypes...)
	for i, p := range pb.e.Params {
		if i < len(ptypes) && i < len(args) && p != nil && p.Type == nil && args[i] != nil && !args[i].IsAny() {
			// the signature keeps accepting anything: other calls may
			// pass other types
			ptypes[i] = args[i].Widen()
		}
	}
	pb.st.lambdaBody(pb.e, pb.ev, pb.ft, ptypes)
}

// lambdaHeader computes a lambda's signature: parameter types (from
// annotations, or the arguments of an immediate call) and the declared
// result type.
func (st *pkgState) lambdaHeader(e *syntax.LambdaExpr, ev env) (*FuncType, []*Type) {
	f := ev.file
	ft := &FuncType{Result: TAny}
	hints := st.argHints[e]
	var ptypes []*Type
	for i, p := range e.Params {
		if p == nil || p.Name == nil {
			ptypes = append(ptypes, TAny)
			continue
		}
		pt := TAny
		if p.Type != nil {
			pt = st.typeExpr(f, ev, p.Type)
		} else if i < len(hints) && hints[i] != nil {
			pt = hints[i].Widen()
		}
		if p.Default != nil {
			st.expr(p.Default, ev, pt)
		}
		ptypes = append(ptypes, pt)
		ft.Params = append(ft.Params, Param{Name: p.Name.Name, Type: pt, Optional: p.Default != nil, Loc: st.loc(f, p.Name)})
	}
	if e.ReturnType != nil {
		ft.Result = st.typeExpr(f, ev, e.ReturnType)
	}
	return ft, ptypes
}

// lambdaBody defines the parameters and resolves the body; without a
// declared result type the last statement's type becomes the result.
func (st *pkgState) lambdaBody(e *syntax.LambdaExpr, ev env, ft *FuncType, ptypes []*Type) {
	f := ev.file
	ls := newScope(ScopeLambda, ev.scope)
	ls.File, ls.Start, ls.End = f.Filename, e.Start, e.Stop
	for i, p := range e.Params {
		if p == nil || p.Name == nil {
			continue
		}
		pt := TAny
		if i < len(ptypes) {
			pt = ptypes[i]
		}
		sym := &Symbol{Name: p.Name.Name, Kind: SymParam, Loc: st.loc(f, p.Name), PkgPath: st.pkg.PkgPath, Type: pt}
		ls.define(sym)
		st.occur(f, p.Name, p.Name.Name, sym, true, RoleDecl)
	}
	lev := ev.with(ls)
	lev.schema = nil
	lev.ret = nil
	if e.ReturnType != nil {
		lev.ret = ft.Result
	}
	// only the last statement's value is the result: give it the expected type
	for i, s := range e.Body {
		sev := lev
		if i != len(e.Body)-1 {
			sev.ret = nil
		}
		t := st.stmt(s, sev)
		if i == len(e.Body)-1 && e.ReturnType == nil && t != nil && t.Kind != KVoid {
			ft.Result = t.Widen()
		}
	}
}

// binary infers the type of a binary expression and reports impossible
// operand types.
func (st *pkgState) binary(e *syntax.BinaryExpr, ev env, expected *Type) *Type {
	lt := st.expr(e.X, ev, nil)
	var rexp *Type
	if e.Op == syntax.OR {
		// `schema | {config}` checks the config against the schema; an
		// expected schema type does the same for config operands
		if lt.Kind == KSchema {
			rexp = lt
		} else if expected != nil && expected.Kind == KSchema {
			rexp = expected
		}
	}
	var rt *Type
	fromContext := rexp != nil && lt.Kind != KSchema
	if ce, ok := e.Y.(*syntax.ConfigExpr); ok && rexp != nil {
		tgt := configTarget(rexp, ce)
		tgt.noDef = lt.Kind != KSchema
		rt = st.configWith(ce, ev, tgt, rexp)
		st.pkg.types[ce] = rt
	} else {
		rt = st.expr(e.Y, ev, rexp)
	}
	t, ok := binaryType(e.Op, lt, rt)
	if !ok && fromContext && lt.Kind == KDict && rt.Kind == KSchema {
		// `dict | {config}` where the context expects a schema
		t, ok = rt, true
	}
	if !ok {
		st.errorf(diag.TypeError, ev.file, e.X, "unsupported operand type(s) for %s: '%s' and '%s'", e.Op, lt, rt).WithCode(diag.UnsupportedOperand, nil)
	}
	return t
}

// binaryType infers the result type of `l op r`; ok is false when the
// operand types cannot be combined.
func binaryType(op syntax.Token, lt, rt *Type) (*Type, bool) {
	switch op {
	case syntax.KW_AND, syntax.KW_OR:
		return Union(lt, rt), true
	}
	l, r := lt.Widen(), rt.Widen()
	if l.IsAny() || r.IsAny() || l.Kind == KUnion || r.Kind == KUnion {
		switch {
		case op == syntax.ADD && (l.Kind == KStr || r.Kind == KStr):
			return TStr, true
		case op == syntax.ADD && (l.Kind == KList || r.Kind == KList):
			if l.Kind == KList {
				return l, true
			}
			return r, true
		}
		return TAny, true
	}
	num := func(t *Type) bool {
		return t.Kind == KInt || t.Kind == KFloat || t.Kind == KNumberMultiplier
	}
	switch op {
	case syntax.ADD:
		switch {
		case num(l) && num(r):
			return numResult(l, r), true
		case l.Kind == KStr && r.Kind == KStr:
			return TStr, true
		case l.Kind == KList && r.Kind == KList:
			return ListOf(Union(l.Elem, r.Elem)), true
		}
		return TAny, false
	case syntax.SUB, syntax.MUL, syntax.DIV, syntax.MOD, syntax.POW, syntax.FLOORDIV:
		switch {
		case num(l) && num(r):
			if op == syntax.DIV {
				return TFloat, true
			}
			return numResult(l, r), true
		case op == syntax.MUL && ((l.Kind == KStr || l.Kind == KList) && r.Kind == KInt):
			return l, true
		case op == syntax.MUL && ((r.Kind == KStr || r.Kind == KList) && l.Kind == KInt):
			return r, true
		case op == syntax.MOD && l.Kind == KStr:
			return TStr, true
		}
		return TAny, false
	case syntax.SHL, syntax.SHR, syntax.AND, syntax.XOR:
		if l.Kind == KInt && r.Kind == KInt {
			return TInt, true
		}
		return TAny, false
	case syntax.OR:
		switch {
		case l.Kind == KInt && r.Kind == KInt:
			return TInt, true
		case l.Kind == KNone:
			return rt, true
		case r.Kind == KNone:
			return lt, true
		case l.Kind == KList && r.Kind == KList:
			return ListOf(Union(l.Elem, r.Elem)), true
		case l.Kind == KDict && r.Kind == KDict:
			return DictOf(Union(l.Key, r.Key), Union(l.Elem, r.Elem)), true
		case l.Kind == KSchema && (r.Kind == KDict || r.Kind == KSchema):
			return lt, true
		}
		return TAny, false
	}
	return TAny, true
}

func numResult(l, r *Type) *Type {
	if l.Kind == KFloat || r.Kind == KFloat {
		return TFloat
	}
	if l.Kind == KNumberMultiplier || r.Kind == KNumberMultiplier {
		return TNum
	}
	return TInt
}

func (st *pkgState) checkCompare(f *syntax.File, e *syntax.CompareExpr, op syntax.Token, lt, rt *Type) {
	switch op {
	case syntax.LT, syntax.LE, syntax.GT, syntax.GE:
	default:
		return
	}
	l, r := lt.Widen(), rt.Widen()
	if l.IsAny() || r.IsAny() || l.Kind == KUnion || r.Kind == KUnion {
		return
	}
	num := func(t *Type) bool { return t.Kind == KInt || t.Kind == KFloat || t.Kind == KBool }
	if (num(l) && num(r)) || (l.Kind == r.Kind && l.Kind == KStr) || l.Kind == KNone || r.Kind == KNone {
		return
	}
	st.errorf(diag.TypeError, f, e.Left, "unsupported operand type(s) for %s: '%s' and '%s'", op, lt, rt).WithCode(diag.UnsupportedOperand, nil)
}

// castable reports whether `x as T` can succeed: some member of one side
// fits the other.
func castable(x, t *Type) bool {
	if (Assignable(x, t) || Assignable(t, x)) && !numPromotion(x, t) {
		return true
	}
	if x.Kind == KUnion {
		for _, m := range x.Members {
			if castable(m, t) {
				return true
			}
		}
		return false
	}
	if t.Kind == KUnion {
		for _, m := range t.Members {
			if castable(x, m) {
				return true
			}
		}
		return false
	}
	// schema <-> dict and subclass casts
	if (x.Kind == KSchema || x.Kind == KDict) && (t.Kind == KSchema || t.Kind == KDict) {
		return true
	}
	return false
}

// numPromotion reports an int → float pair, which casts do not accept.
func numPromotion(x, t *Type) bool {
	x, t = x.Base(), t.Base()
	return (x.Kind == KInt && t.Kind == KFloat) || (x.Kind == KFloat && t.Kind == KInt)
}
