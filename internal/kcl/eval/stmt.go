package eval

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// execStmt runs one statement and returns its value (for lambda results):
// an expression's value, an assignment's value, Undefined otherwise.
func (e *evaluator) execStmt(sc *scope, st syntax.Stmt, top bool) value.Value {
	e.tick(sc.file, st)
	pf, pn := e.stmtFile, e.stmtNode
	e.stmtFile, e.stmtNode = sc.file, st
	defer func() { e.stmtFile, e.stmtNode = pf, pn }()
	switch s := st.(type) {
	case *syntax.ExprStmt:
		v := e.expr(sc, s.X)
		if top && sc.kind == frPkg {
			if lit, isStr := s.X.(*syntax.StringLit); isStr && lit.Triple && st == firstStmt(sc.file) {
				return v // module docstring
			}
			if _, isCall := s.X.(*syntax.CallExpr); !isCall {
				_, isSchema := s.X.(*syntax.SchemaExpr)
				sc.pkg.scalars = append(sc.pkg.scalars, scalarRec{v: v, schema: isSchema, file: sc.file, node: s})
			}
		}
		return v
	case *syntax.AssignStmt:
		v := e.expr(sc, s.Value)
		if s.Type != nil {
			v = e.convert(sc, v, s.Type, sc.file, s)
			if typeHasSchema(s.Type) && !nestedScope(sc) && e.inSchema == 0 {
				e.requiredNestedAt(v, sc.file, s, s.Value)
			}
		}
		fresh := isFresh(s.Value)
		for i, t := range s.Targets {
			tv := v
			if !fresh || i > 0 {
				tv = e.copy(v, nil, nil)
			}
			e.assign(sc, t, tv, s)
		}
		return v
	case *syntax.AugAssignStmt:
		cur := e.expr(sc, s.Target)
		rhs := e.expr(sc, s.Value)
		r := e.binop(sc, s.Op.BinaryOf(), cur, rhs, s)
		e.assign(sc, s.Target, r, s)
		return r
	case *syntax.UnificationStmt:
		v := e.schemaExpr(sc, s.Value)
		if id, ok := s.Target.(*syntax.Ident); ok && sc.kind == frSchema {
			if prev, ok := sc.inst.read(id.Name); ok && value.Truthy(prev) {
				r, err := value.Union(e.copy(prev, nil, nil), v, &value.UnionOptions{Schema: e.reinstantiate, Budget: e.budget})
				e.check(err, sc.file, s)
				v = r
			}
		} else if ok && sc.kind == frPkg && !sc.pkg.isMain {
			lz := sc.pkg.lz
			if lz.maxIdx[id.Name] > 0 {
				prev, _ := lz.vals.Get(id.Name)
				r, err := value.Union(e.copy(prev, nil, nil), v, &value.UnionOptions{Schema: e.reinstantiate, Budget: e.budget})
				e.check(err, sc.file, s)
				v = r
			}
		}
		e.assign(sc, s.Target, v, s)
		return v
	case *syntax.IfStmt:
		var body []syntax.Stmt
		if value.Truthy(e.expr(sc, s.Cond)) {
			body = s.Body
		} else {
			body = s.Else
		}
		for _, b := range body {
			e.execStmt(sc, b, top)
		}
		return value.Undefined
	case *syntax.AssertStmt:
		if s.IfCond != nil && !value.Truthy(e.expr(sc, s.IfCond)) {
			return value.Undefined
		}
		if !value.Truthy(e.expr(sc, s.Test)) {
			msg := ""
			if s.Msg != nil {
				msg = value.ToStr(e.expr(sc, s.Msg))
			}
			e.failCode(diag.AssertFailed, nil, diag.EvaluationError, sc.file, s, "%s", msg)
		}
		return value.Undefined
	case *syntax.SchemaAttr:
		if sc.inst != nil {
			e.execSchemaAttr(sc, s)
		}
		return value.Undefined
	case *syntax.ImportStmt:
		if sc.kind != frPkg {
			e.doImport(sc.pkg, sc.file, s)
		}
		return value.Undefined
	case *syntax.SchemaStmt, *syntax.RuleStmt, *syntax.TypeAliasStmt:
		return value.Undefined
	case *syntax.BadStmt:
		e.failCol(diag.InvalidSyntax, sc.file, s, "invalid syntax")
	}
	return value.Undefined
}

func firstStmt(f *syntax.File) syntax.Stmt {
	if f == nil || len(f.Stmts) == 0 {
		return nil
	}
	return f.Stmts[0]
}

// assign stores v into target.
func (e *evaluator) assign(sc *scope, target syntax.Expr, v value.Value, st syntax.Node) {
	e.assignTarget(sc, target, v, st)
	if _, isID := target.(*syntax.Ident); isID {
		return
	}
	// A nested assignment in a schema body: the config value still wins.
	if as := assignFrame(sc); as != nil && as.kind == frSchema {
		root := rootName(target)
		if _, inCfg := as.inst.cfg.Lookup(root); inCfg {
			cur, _ := as.inst.read(root)
			e.storeAttr(as, root, cur, st)
		}
	}
}

// assignFrame returns the innermost frame that takes assignments.
func assignFrame(sc *scope) *scope {
	for s := sc; s != nil; s = s.parent {
		switch s.kind {
		case frLocal:
			if s.assign {
				return s
			}
		case frSchema, frPkg:
			return s
		}
	}
	return nil
}

func (e *evaluator) assignTarget(sc *scope, target syntax.Expr, v value.Value, st syntax.Node) {
	switch t := target.(type) {
	case *syntax.Ident:
		e.assignName(sc, t.Name, v, st)
	case *syntax.ParenExpr:
		e.assign(sc, t.X, v, st)
	case *syntax.SelectorExpr:
		if t.Optional {
			e.fail(diag.CompileError, sc.file, t, "'%s' is an illegal expression for assignment, because the left-hand side of an assignment expression may not be an optional attribute access.", exprText(t))
		}
		obj := e.expr(sc, t.X)
		switch o := obj.(type) {
		case *value.Dict:
			o.Set(t.Name.Name, v)
		case *value.Schema:
			o.Attrs.Set(t.Name.Name, v)
			// Keep the assignment in the instance's config so that a later
			// re-instantiation (union) sees it.
			if o.Config == nil {
				o.Config = value.NewDict()
			}
			o.Config.SetEntry(value.Entry{Key: t.Name.Name, Value: v, Op: value.OpOverride})
			// The instance is re-run (defaults that depend on the attribute,
			// checks) and updated in place.
			if _, isDef := o.Def.(*schemaDef); isDef && len(o.Args) == 0 {
				nv, err := e.reinstantiate(o, e.copy(o.Config, nil, nil).(*value.Dict))
				e.check(err, sc.file, t)
				if ns, ok := nv.(*value.Schema); ok {
					o.Attrs = ns.Attrs
				}
			}
		case *module:
			e.fail(diag.EvaluationError, sc.file, t, "%s.%s is immutable", o.name, t.Name.Name)
		default:
			e.fail(diag.EvaluationError, sc.file, t, "failed to update the dict. An iterable of key-value pairs was expected, but got %s. Check if the syntax for updating the dictionary with the attribute '%s' is correct", value.TypeName(obj), t.Name.Name)
		}
	case *syntax.IndexExpr:
		obj := e.expr(sc, t.X)
		idx := e.expr(sc, t.Index)
		switch o := obj.(type) {
		case *value.List:
			i, ok := idx.(value.Int)
			if !ok {
				e.fail(diag.EvaluationError, sc.file, t, "list indices must be integers")
			}
			k := int(i)
			if k < 0 {
				k += len(o.Items)
			}
			if k < 0 || k >= len(o.Items) {
				e.fail(diag.EvaluationError, sc.file, t, "index out of bounds: the len is %d but the index is %d", len(o.Items), i)
			}
			o.Items[k] = v
		case *value.Dict:
			o.Set(keyString(idx), v)
		case *value.Schema:
			o.Attrs.Set(keyString(idx), v)
		default:
			e.fail(diag.EvaluationError, sc.file, t, "'%s' object does not support item assignment", value.TypeName(obj))
		}
	case *syntax.SliceExpr:
		e.fail(diag.CompileError, sc.file, t, "'%s' is an illegal expression for assignment, because the left-hand side of an assignment expression may not be a slice access", "slice")
	default:
		e.fail(diag.CompileError, sc.file, target, "'%T' is an illegal expression for assignment", target)
	}
}

// assignName stores a plain name in the innermost frame that takes
// assignments.
func (e *evaluator) assignName(sc *scope, name string, v value.Value, st syntax.Node) {
	for s := sc; s != nil; s = s.parent {
		switch s.kind {
		case frLocal:
			if s.assign {
				s.vars[name] = v
				return
			}
		case frSchema:
			e.storeAttr(s, name, v, st)
			return
		case frPkg:
			s.pkg.lz.store(name, v)
			return
		}
	}
}

// isFresh reports whether x always evaluates to a new value that nothing
// else references, so assigning it needs no copy.
func isFresh(x syntax.Expr) bool {
	switch n := x.(type) {
	case *syntax.ConfigExpr, *syntax.SchemaExpr, *syntax.ListComp, *syntax.DictComp,
		*syntax.LambdaExpr, *syntax.NumberLit, *syntax.StringLit, *syntax.JoinedString,
		*syntax.NameConstant, *syntax.CompareExpr, *syntax.UnaryExpr, *syntax.QuantExpr:
		return true
	case *syntax.ListExpr:
		for _, el := range n.Elts {
			if !isFresh(el) {
				return false
			}
		}
		return true
	case *syntax.BinaryExpr:
		return n.Op != syntax.KW_AND && n.Op != syntax.KW_OR && n.Op != syntax.OR
	case *syntax.ParenExpr:
		return isFresh(n.X)
	}
	return false
}
