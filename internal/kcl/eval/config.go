package eval

import (
	"errors"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// config evaluates a config literal into an ordered dict that keeps each
// key's operator.
func (e *evaluator) config(sc *scope, n *syntax.ConfigExpr) *value.Dict {
	return e.configExpr(sc, n, false)
}

// configExpr evaluates a config literal; with visible, its literal keys are
// visible as names to later entries (plain dict literals, not schema
// configs).
func (e *evaluator) configExpr(sc *scope, n *syntax.ConfigExpr, schemaCfg bool) *value.Dict {
	e.charge(value.SizeDict, sc.file, n)
	d := value.NewDict()
	csc := sc.child(frConfig)
	csc.cfg = d
	csc.schemaCfg = schemaCfg
	csc.cfgNames = map[string]bool{}
	e.configEntries(csc, d, n.Entries)
	return d
}

func (e *evaluator) configEntries(sc *scope, d *value.Dict, entries []*syntax.ConfigEntry) {
	for _, en := range entries {
		e.configEntry(sc, d, en)
	}
}

func opOf(t syntax.Token) value.Op {
	switch t {
	case syntax.ASSIGN:
		return value.OpOverride
	case syntax.ADD_ASSIGN:
		return value.OpInsert
	}
	return value.OpUnion
}

func (e *evaluator) configEntry(sc *scope, d *value.Dict, en *syntax.ConfigEntry) {
	switch en.Op {
	case syntax.IF:
		for it, _ := en.Value.(*syntax.ConfigIfEntry); it != nil; it = it.Else {
			if it.Cond == nil || value.Truthy(e.expr(sc, it.Cond)) {
				e.configEntries(sc, d, it.Entries)
				return
			}
		}
		return
	case syntax.POW:
		v := e.expr(sc, en.Value)
		var src *value.Dict
		switch x := v.(type) {
		case *value.Dict:
			src = x
		case *value.Schema:
			src = x.Attrs
		case value.NoneType, value.UndefinedType:
			return
		default:
			e.fail(diag.EvaluationError, sc.file, en, "only dict and schema can be used ** unpack, got '%s'", value.TypeName(v))
		}
		for _, se := range src.Entries() {
			op := se.Op
			if op == value.OpOverride {
				op = value.OpUnion
			}
			e.unionEntry(sc, d, value.Entry{Key: se.Key, Value: e.copy(se.Value, sc.file, en), Op: op, Index: se.Index}, false, en)
		}
		return
	}
	if en.Value == nil {
		e.failCol(diag.InvalidSyntax, sc.file, en, "expected config value")
	}
	op := opOf(en.Op)
	key := syntax.Unparen(en.Key)
	if _, isParen := en.Key.(*syntax.ParenExpr); isParen {
		k := e.expr(sc, key)
		e.putKey(sc, d, k, en, op, e.expr(sc, en.Value))
		return
	}
	switch k := key.(type) {
	case *syntax.Ident:
		name := k.Name
		if v, ok := e.compVar(sc, name); ok {
			e.putKey(sc, d, v, en, op, e.expr(sc, en.Value))
			return
		}
		e.unionEntry(sc, d, value.Entry{Key: name, Value: e.expr(sc, en.Value), Op: op}, true, en)
		if sc.cfgNames != nil {
			sc.cfgNames[name] = true
		}
	case *syntax.SelectorExpr:
		names, ok := syntax.DottedName(k)
		if !ok {
			e.putKey(sc, d, e.expr(sc, k), en, op, e.expr(sc, en.Value))
			return
		}
		if kv, isComp := e.compVar(sc, names[0]); isComp {
			names = append([]string{keyString(kv)}, names[1:]...)
		}
		v := e.expr(sc, en.Value)
		inner := value.Entry{Key: names[len(names)-1], Value: v, Op: op}
		for i := len(names) - 2; i >= 0; i-- {
			nd := value.NewDict()
			nd.SetEntry(inner)
			inner = value.Entry{Key: names[i], Value: nd, Op: value.OpUnion}
		}
		e.unionEntry(sc, d, inner, true, en)
		if sc.cfgNames != nil {
			sc.cfgNames[names[0]] = true
		}
	case *syntax.IndexExpr:
		names, ok := syntax.DottedName(k.X)
		if _, isComp := e.compVar(sc, rootName(k.X)); !ok || isComp {
			e.putKey(sc, d, e.expr(sc, k), en, op, e.expr(sc, en.Value))
			return
		}
		iv := e.expr(sc, k.Index)
		idx, isInt := iv.(value.Int)
		if !isInt {
			e.fail(diag.EvaluationError, sc.file, k, "invalid list index %s", value.ToStr(iv))
		}
		i := int(idx)
		v := e.expr(sc, en.Value)
		inner := value.Entry{Key: names[len(names)-1], Value: v, Op: op, Index: &i}
		for j := len(names) - 2; j >= 0; j-- {
			nd := value.NewDict()
			nd.SetEntry(inner)
			inner = value.Entry{Key: names[j], Value: nd, Op: value.OpUnion}
		}
		e.unionEntry(sc, d, inner, true, en)
	case *syntax.StringLit:
		e.unionEntry(sc, d, value.Entry{Key: k.Value, Value: e.expr(sc, en.Value), Op: op}, true, en)
		if sc.cfgNames != nil {
			sc.cfgNames[k.Value] = true
		}
	default:
		kv := e.expr(sc, key)
		e.putKey(sc, d, kv, en, op, e.expr(sc, en.Value))
	}
}

// compVar returns the value of a comprehension loop variable.
func (e *evaluator) compVar(sc *scope, name string) (value.Value, bool) {
	for s := sc; s != nil; s = s.parent {
		if s.kind == frLocal {
			if v := s.get(name); v != nil {
				if s.comp {
					return v, true
				}
				return nil, false
			}
		}
	}
	return nil, false
}

func (e *evaluator) putKey(sc *scope, d *value.Dict, k value.Value, en *syntax.ConfigEntry, op value.Op, v value.Value) {
	var key string
	switch x := k.(type) {
	case value.Str:
		key = string(x)
	case value.Int, value.Float, value.Bool:
		key = value.ToStr(x)
	default:
		e.failCol(diag.IllegalAttributeError, sc.file, en.Key, "A attribute must be string type, got '%s'", value.TypeName(k))
	}
	e.unionEntry(sc, d, value.Entry{Key: key, Value: v, Op: op}, true, en)
}

// unionEntry merges one entry into d, reporting conflicts at n.
func (e *evaluator) unionEntry(sc *scope, d *value.Dict, en value.Entry, idem bool, n syntax.Node) {
	err := value.UnionEntry(d, en, &value.UnionOptions{Idempotent: idem, Schema: e.reinstantiate, Budget: e.budget}, "")
	if err != nil {
		if e.budget.Err() != nil {
			e.stopped(sc.file, n)
		}
		var ke *kclErr
		if errors.As(err, &ke) {
			panic(kclError{ke.d})
		}
		e.fail(diag.EvaluationError, sc.file, n, "%s", err.Error())
	}
}
