package eval

import (
	"errors"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/stdlib"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// closure is a lambda value's definition.
type closure struct {
	lam *syntax.LambdaExpr
	sc  *scope
}

// callArgs evaluates call arguments, expanding *list and **dict.
func (e *evaluator) callArgs(sc *scope, args []syntax.Expr, kws []*syntax.Keyword) ([]value.Value, []value.Entry) {
	var pos []value.Value
	var kw []value.Entry
	for _, a := range args {
		if st, ok := a.(*syntax.StarredExpr); ok {
			v := e.expr(sc, st.X)
			if st.Op == syntax.POW {
				switch d := v.(type) {
				case *value.Dict:
					kw = append(kw, d.Entries()...)
				case *value.Schema:
					kw = append(kw, d.Attrs.Entries()...)
				case value.NoneType, value.UndefinedType:
				default:
					e.fail(diag.EvaluationError, sc.file, st, "argument after ** must be a mapping, not %s", value.TypeName(v))
				}
				continue
			}
			switch l := v.(type) {
			case *value.List:
				pos = append(pos, l.Items...)
			case *value.Dict:
				for _, k := range l.Keys() {
					pos = append(pos, value.Str(k))
				}
			case value.NoneType, value.UndefinedType:
			default:
				e.fail(diag.EvaluationError, sc.file, st, "argument after * must be an iterable, not %s", value.TypeName(v))
			}
			continue
		}
		pos = append(pos, e.expr(sc, a))
	}
	for _, k := range kws {
		var v value.Value = value.None
		if k.Value != nil {
			v = e.expr(sc, k.Value)
		}
		kw = append(kw, value.Entry{Key: k.Name.Name, Value: v})
	}
	return pos, kw
}

func (e *evaluator) callValue(sc *scope, fv value.Value, args []value.Value, kwargs []value.Entry, n syntax.Node) value.Value {
	f, ok := fv.(*value.Func)
	if !ok {
		e.fail(diag.EvaluationError, sc.file, n, "'%s' object is not callable", value.TypeName(fv))
	}
	switch d := f.Def.(type) {
	case *closure:
		return e.callLambda(d, args, kwargs, sc.file, n)
	case *schemaDef:
		return e.instantiate(d, args, kwargs, value.NewDict(), sc.file, n, nil, !nestedScope(sc) && e.inSchema == 0)
	}
	e.enter(sc.file, n)
	defer e.leave()
	prev := e.curFile
	if sc.file != nil {
		e.curFile = sc.file.Filename
	}
	r, err := f.Call(args, kwargs)
	e.curFile = prev
	// A builtin called with too few arguments is reported as the resolver
	// reports it (a runtime mirror of its message: the resolver runs
	// first, except with --resolve never).
	if missing := (*stdlib.MissingArgError)(nil); errors.As(err, &missing) {
		want := len(args) + 1
		plural := "s"
		if want == 1 {
			plural = ""
		}
		e.failCol(diag.CompileError, sc.file, n, "expected %d positional argument%s, found %d", want, plural, len(args))
	}
	e.check(err, sc.file, n)
	if r == nil {
		r = value.None
	}
	switch r.(type) {
	case value.Str, *value.List, *value.Dict:
		e.charge(value.SizeOf(r), sc.file, n)
	}
	return r
}

func (e *evaluator) lambda(sc *scope, n *syntax.LambdaExpr) value.Value {
	cl := &closure{lam: n, sc: sc}
	f := &value.Func{Name: "lambda", Def: cl}
	f.Call = func(args []value.Value, kwargs []value.Entry) (res value.Value, err error) {
		defer e.catchInto(&err)
		return e.callLambda(cl, args, kwargs, sc.file, n), nil
	}
	return f
}

func (e *evaluator) callLambda(cl *closure, args []value.Value, kwargs []value.Entry, f *syntax.File, n syntax.Node) value.Value {
	e.enter(f, n)
	defer e.leave()
	lam := cl.lam
	if len(args) > len(lam.Params) {
		e.fail(diag.EvaluationError, f, n, "\"lambda\" takes %d positional argument but %d were given", len(lam.Params), len(args))
	}
	fsc := cl.sc.local(lam, e.lambdaSlots(lam))
	fsc.assign = true
	fsc.file = cl.sc.file
	for i, p := range lam.Params {
		var v value.Value
		set := false
		if i < len(args) {
			v, set = args[i], true
		}
		for _, kw := range kwargs {
			if kw.Key == p.Name.Name {
				v, set = kw.Value, true
			}
		}
		if !set {
			if p.Default != nil {
				v = e.expr(cl.sc, p.Default)
			} else {
				e.checkArity(lam.Params, args, kwargs, f, n)
				v = value.Undefined
			}
		}
		if p.Type != nil {
			v = e.convert(cl.sc, v, p.Type, f, n)
		}
		fsc.set(p.Name.Name, v)
	}
	for _, kw := range kwargs {
		found := false
		for _, p := range lam.Params {
			if p.Name.Name == kw.Key {
				found = true
			}
		}
		if !found {
			e.fail(diag.EvaluationError, f, n, "\"lambda\" got an unexpected keyword argument '%s'", kw.Key)
		}
	}
	var result value.Value = value.Undefined
	for _, st := range lam.Body {
		result = e.execStmt(fsc, st, false)
		if _, isIf := st.(*syntax.IfStmt); isIf {
			result = value.Undefined
		}
	}
	if lam.ReturnType != nil {
		result = e.convert(cl.sc, result, lam.ReturnType, f, n)
	}
	return result
}
