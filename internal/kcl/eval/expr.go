package eval

import (
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

var unitScale = map[string]float64{
	"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50,
}

// lookup resolves a name through the scope chain, the package, the file's
// imports and the builtins.
func (e *evaluator) lookup(sc *scope, name string) (value.Value, bool) {
	// A key of the innermost config literal wins; a key of an outer config
	// literal is used only when nothing else defines the name.
	var candidate value.Value
	nested := false
	for s := sc; s != nil; s = s.parent {
		switch s.kind {
		case frLocal:
			if v := s.get(name); v != nil {
				return v, true
			}
		case frConfig:
			if candidate == nil && s.cfgNames[name] {
				if v, ok := s.cfg.Get(name); ok {
					if !nested || !s.schemaCfg {
						return v, true
					}
					candidate = v
				}
			}
			nested = true
		case frSchema:
			if v, ok := s.inst.read(name); ok {
				return v, true
			}
		case frPkg:
			if v, ok := s.pkg.topValue(s.file, name, true); ok {
				return v, true
			}
		}
	}
	if candidate != nil {
		return candidate, true
	}
	if v, ok := e.builtins[name]; ok {
		return v, true
	}
	return nil, false
}

func (e *evaluator) expr(sc *scope, x syntax.Expr) value.Value {
	switch n := x.(type) {
	case *syntax.Ident:
		v, ok := e.ident(sc, n)
		if !ok {
			e.failCol(diag.CompileError, sc.file, n, "name '%s' is not defined", n.Name)
		}
		return v
	case *syntax.NumberLit:
		return e.number(sc, n)
	case *syntax.StringLit:
		return value.Str(n.Value)
	case *syntax.JoinedString:
		var b strings.Builder
		for _, part := range n.Parts {
			switch p := part.(type) {
			case *syntax.StringLit:
				b.WriteString(p.Value)
			case *syntax.FormattedValue:
				v := e.expr(sc, p.X)
				s, err := value.FormatCounted(p.Spec, v, e.budget)
				e.checkBudget(sc.file, p.X)
				if err != nil {
					e.failCol(diag.CompileError, sc.file, p.X, "%s", err.Error())
				}
				b.WriteString(s)
			default:
				b.WriteString(value.ToStrCounted(e.expr(sc, p), e.budget))
				e.checkBudget(sc.file, p)
			}
		}
		e.charge(value.SizeStr+int64(b.Len()), sc.file, n)
		return value.Str(b.String())
	case *syntax.NameConstant:
		switch n.Value {
		case syntax.TRUE:
			return value.Bool(true)
		case syntax.FALSE:
			return value.Bool(false)
		case syntax.NONE:
			return value.None
		}
		return value.Undefined
	case *syntax.ParenExpr:
		return e.expr(sc, n.X)
	case *syntax.UnaryExpr:
		v := e.expr(sc, n.X)
		op := "not"
		switch n.Op {
		case syntax.SUB:
			op = "-"
		case syntax.ADD:
			op = "+"
		case syntax.INV:
			op = "~"
		}
		r, err := value.Unary(op, v, e.arith)
		e.check(err, sc.file, n)
		return r
	case *syntax.BinaryExpr:
		return e.binary(sc, n)
	case *syntax.CompareExpr:
		return e.compare(sc, n)
	case *syntax.IfExpr:
		if value.Truthy(e.expr(sc, n.Cond)) {
			return e.expr(sc, n.Body)
		}
		return e.expr(sc, n.Else)
	case *syntax.SelectorExpr, *syntax.IndexExpr, *syntax.SliceExpr, *syntax.CallExpr:
		v, _ := e.chain(sc, x)
		return v
	case *syntax.ListExpr:
		l := &value.List{Items: make([]value.Value, 0, len(n.Elts))}
		e.listElts(sc, l, n.Elts)
		e.charge(value.SizeOf(l), sc.file, n)
		return l
	case *syntax.ListComp:
		l := &value.List{}
		e.comp(sc, n.Clauses, 0, func(s *scope) {
			l.Items = append(l.Items, e.expr(s, n.Elt))
			if len(l.Items)&1023 == 0 {
				e.checkSize(len(l.Items), sc.file, n)
				e.charge(1024*value.SizeListItem, sc.file, n)
			}
		})
		e.charge(value.SizeList+int64(len(l.Items)&1023)*value.SizeListItem, sc.file, n)
		return l
	case *syntax.DictComp:
		e.charge(value.SizeDict, sc.file, n)
		d := value.NewDict()
		op := value.OpUnion
		switch n.Op {
		case syntax.ASSIGN:
			op = value.OpOverride
		case syntax.ADD_ASSIGN:
			op = value.OpInsert
		}
		e.comp(sc, n.Clauses, 0, func(s *scope) {
			k := e.expr(s, n.Key)
			v := e.expr(s, n.Value)
			if !isFresh(n.Value) {
				v = e.copy(v, sc.file, n)
			}
			ks, ok := k.(value.Str)
			if !ok {
				ks = value.Str(value.ToStr(k))
			}
			e.unionEntry(sc, d, value.Entry{Key: string(ks), Value: v, Op: op}, true, n)
		})
		return d
	case *syntax.ConfigExpr:
		return e.config(sc, n)
	case *syntax.SchemaExpr:
		return e.schemaExpr(sc, n)
	case *syntax.LambdaExpr:
		return e.lambda(sc, n)
	case *syntax.QuantExpr:
		return e.quant(sc, n)
	case *syntax.AsExpr:
		v := e.expr(sc, n.X)
		return e.convertStrict(sc, v, n.Type, n)
	case *syntax.StarredExpr:
		return e.expr(sc, n.X)
	case *syntax.BadExpr:
		e.failCol(diag.InvalidSyntax, sc.file, n, "invalid expression")
	}
	e.failCol(diag.CompileError, sc.file, x, "unsupported expression %T", x)
	return nil
}

// chain evaluates a primary expression chain; a `?.`/`?[` on a falsy
// value short-circuits the rest of the chain to None.
func (e *evaluator) chain(sc *scope, x syntax.Expr) (value.Value, bool) {
	switch n := x.(type) {
	case *syntax.SelectorExpr:
		v, short := e.chain(sc, n.X)
		if short {
			return v, true
		}
		if n.Optional && !value.Truthy(v) {
			return value.None, true
		}
		return e.selector(sc, v, n.Name.Name, n), false
	case *syntax.IndexExpr:
		v, short := e.chain(sc, n.X)
		if short {
			return v, true
		}
		if n.Optional && !value.Truthy(v) {
			return value.None, true
		}
		return e.index(sc, v, e.expr(sc, n.Index), n), false
	case *syntax.SliceExpr:
		v, short := e.chain(sc, n.X)
		if short {
			return v, true
		}
		if n.Optional && !value.Truthy(v) {
			return value.None, true
		}
		return e.slice(sc, v, n), false
	case *syntax.CallExpr:
		fv, short := e.chain(sc, n.Func)
		if short {
			return fv, true
		}
		args, kwargs := e.callArgs(sc, n.Args, n.Kwargs)
		return e.callValue(sc, fv, args, kwargs, n), false
	}
	return e.expr(sc, x), false
}

func (e *evaluator) number(sc *scope, n *syntax.NumberLit) value.Value {
	if n.Kind == syntax.FloatNumber {
		err := value.CheckFloat(n.Float, e.arith)
		e.check(err, sc.file, n)
		return value.Float(n.Float)
	}
	if n.IntOverflow {
		e.fail(diag.EvaluationError, sc.file, n, "%s: A 64 bit integer overflow", n.Raw)
	}
	if n.Suffix != "" {
		return value.Unit{Raw: n.Int, Suffix: n.Suffix, Float: float64(n.Int) * unitScale[n.Suffix]}
	}
	return value.Int(n.Int)
}

func (e *evaluator) listElts(sc *scope, l *value.List, elts []syntax.Expr) {
	for _, el := range elts {
		switch x := el.(type) {
		case *syntax.StarredExpr:
			v := e.expr(sc, x.X)
			switch c := v.(type) {
			case *value.List:
				l.Items = append(l.Items, c.Items...)
			case *value.Dict:
				for _, k := range c.Keys() {
					l.Items = append(l.Items, value.Str(k))
				}
			case *value.Schema:
				for _, k := range c.Attrs.Keys() {
					l.Items = append(l.Items, value.Str(k))
				}
			case value.NoneType, value.UndefinedType:
			default:
				e.fail(diag.EvaluationError, sc.file, x, "'%s' object is not iterable", value.TypeName(v))
			}
		case *syntax.ListIfItem:
			for it := x; it != nil; it = it.Else {
				if it.Cond == nil || value.Truthy(e.expr(sc, it.Cond)) {
					e.listElts(sc, l, it.Elts)
					break
				}
			}
		default:
			// Undefined elements are kept here and dropped by the output
			// planning.
			l.Items = append(l.Items, e.expr(sc, el))
		}
	}
	e.checkSize(len(l.Items), sc.file, nil)
}

func binOpString(t syntax.Token) string {
	return t.String()
}

func (e *evaluator) binary(sc *scope, n *syntax.BinaryExpr) value.Value {
	switch n.Op {
	case syntax.KW_AND:
		l := e.expr(sc, n.X)
		if !value.Truthy(l) {
			return l
		}
		return e.expr(sc, n.Y)
	case syntax.KW_OR:
		l := e.expr(sc, n.X)
		if value.Truthy(l) {
			return l
		}
		return e.expr(sc, n.Y)
	}
	a := e.expr(sc, n.X)
	b := e.expr(sc, n.Y)
	return e.binop(sc, n.Op, a, b, n)
}

func (e *evaluator) binop(sc *scope, op syntax.Token, a, b value.Value, n syntax.Node) value.Value {
	if op == syntax.OR {
		_, ai := a.(value.Int)
		_, bi := b.(value.Int)
		if !(ai && bi) {
			// A schema on the left is re-instantiated, not modified; other
			// collections are merged in place into a copy.
			if _, isSchema := a.(*value.Schema); !isSchema {
				a = e.copy(a, sc.file, n)
			}
			r, err := value.Union(a, b, &value.UnionOptions{Operator: true, Schema: e.reinstantiate, Budget: e.budget})
			e.check(err, sc.file, n)
			return r
		}
	}
	if op == syntax.MUL {
		e.checkSize(repeatSize(a, b)+repeatSize(b, a), sc.file, n)
	}
	// A concatenation or repetition is charged before it is built.
	pre := builtSize(op, a, b)
	if pre > 0 {
		e.charge(pre, sc.file, n)
	}
	r, err := value.Binary(binOpString(op), a, b, e.arith)
	e.check(err, sc.file, n)
	e.checkBudget(sc.file, n) // the copies of a list repetition
	if l, ok := r.(*value.List); ok {
		e.checkSize(len(l.Items), sc.file, n)
		if pre == 0 {
			e.charge(value.SizeOf(l), sc.file, n)
		}
	} else if s, ok := r.(value.Str); ok {
		e.checkSize(len(s), sc.file, n)
		if pre == 0 {
			e.charge(value.SizeOf(s), sc.file, n)
		}
	}
	return r
}

// builtSize is the estimated size of the string or list that `a + b` or
// `a * b` builds from strings or lists, 0 for other operations.
func builtSize(op syntax.Token, a, b value.Value) int64 {
	switch op {
	case syntax.ADD:
		switch x := a.(type) {
		case value.Str:
			if y, ok := b.(value.Str); ok {
				return value.SizeStr + int64(len(x)) + int64(len(y))
			}
		case *value.List:
			if y, ok := b.(*value.List); ok {
				return value.SizeList + value.SizeListItem*int64(len(x.Items)+len(y.Items))
			}
		}
	case syntax.MUL:
		n := int64(repeatSize(a, b) + repeatSize(b, a))
		if n == 0 {
			return 0
		}
		if _, isList := a.(*value.List); isList {
			return value.SizeList + value.SizeListItem*n
		}
		if _, isList := b.(*value.List); isList {
			return value.SizeList + value.SizeListItem*n
		}
		return value.SizeStr + n
	}
	return 0
}

// repeatSize is the size of `seq * n` (0 when not a repetition).
func repeatSize(seq, n value.Value) int {
	k, ok := n.(value.Int)
	if !ok || k <= 0 {
		return 0
	}
	var l int
	switch x := seq.(type) {
	case value.Str:
		l = len(x)
	case *value.List:
		l = len(x.Items)
	default:
		return 0
	}
	if l == 0 {
		return 0
	}
	if int64(k) > int64(1<<40)/int64(l) {
		return 1 << 40
	}
	return l * int(k)
}

func (e *evaluator) compare(sc *scope, n *syntax.CompareExpr) value.Value {
	left := e.expr(sc, n.Left)
	for i, op := range n.Ops {
		right := e.expr(sc, n.Comparators[i])
		var ok bool
		switch op {
		case syntax.EQ, syntax.IS:
			ok = value.Equal(left, right)
		case syntax.NE, syntax.IS_NOT:
			ok = !value.Equal(left, right)
		case syntax.IN, syntax.NOT_IN:
			in, err := value.Contains(left, right)
			e.check(err, sc.file, n)
			ok = in == (op == syntax.IN)
		default:
			c, err := value.Compare(left, right)
			if err != nil {
				e.fail(diag.EvaluationError, sc.file, n, "unsupported operand type(s) for %s: '%s' and '%s'", op, value.TypeName(left), value.TypeName(right))
			}
			switch op {
			case syntax.LT:
				ok = c < 0
			case syntax.LE:
				ok = c <= 0
			case syntax.GT:
				ok = c > 0
			case syntax.GE:
				ok = c >= 0
			}
		}
		if !ok {
			return value.Bool(false)
		}
		left = right
	}
	return value.Bool(true)
}

// selector returns v.name.
func (e *evaluator) selector(sc *scope, v value.Value, name string, n syntax.Node) value.Value {
	switch x := v.(type) {
	case *value.Dict:
		if r, ok := x.Get(name); ok {
			return r
		}
		return value.Undefined
	case *value.Schema:
		if r, ok := x.Attrs.Get(name); ok {
			return r
		}
		if sd, ok := x.Def.(*schemaDef); ok && !sd.hasIndexSignature() {
			// No "did you mean", as the resolver (KCL suggests none for an
			// instance's attribute).
			e.failCol(diag.TypeError, sc.file, n, "attribute '%s' not found in '%s'", name, x.Name)
		}
		return value.Undefined
	case *module:
		return e.moduleAttr(sc, x, name, n)
	case value.Str:
		if f, ok := e.strMethod(x, name); ok {
			return f
		}
		e.fail(diag.AttributeError, sc.file, n, "str object has no attribute '%s'", name)
	case *value.Func:
		if sd, ok := x.Def.(*schemaDef); ok {
			if name == "instances" {
				return e.instancesFunc(sd)
			}
			e.failCol(diag.TypeError, sc.file, n, "attribute '%s' not found in '%s'%s", name, sd.name, suggestion(name, []string{"instances"}))
		}
	case value.NoneType, value.UndefinedType:
		e.fail(diag.EvaluationError, sc.file, n, "invalid value '%s' to load attribute '%s'", value.TypeName(v), name)
	}
	e.fail(diag.EvaluationError, sc.file, n, "'%s' object has no attribute '%s'", value.TypeName(v), name)
	return nil
}

func (e *evaluator) moduleAttr(sc *scope, m *module, name string, n syntax.Node) value.Value {
	if m.sys != nil {
		if v, ok := m.sys[name]; ok {
			return v
		}
		e.failCol(diag.TypeError, sc.file, n, "attribute '%s' not found in 'module '%s''", name, m.name)
	}
	p := m.pkg
	if p.lz.has(name) {
		return p.lz.read(name)
	}
	if v, ok := p.lz.vals.Get(name); ok {
		return v
	}
	if a, ok := p.aliases[name]; ok {
		if sd := e.aliasSchema(a); sd != nil {
			return sd.val
		}
	}
	e.failCol(diag.TypeError, sc.file, n, "attribute '%s' not found in 'module '%s''", name, m.path)
	return nil
}

func (e *evaluator) index(sc *scope, v, idx value.Value, n syntax.Node) value.Value {
	switch x := v.(type) {
	case *value.List:
		i, ok := idx.(value.Int)
		if !ok {
			if b, isB := idx.(value.Bool); isB {
				i, ok = value.Int(boolInt(bool(b))), true
			}
		}
		if !ok {
			e.fail(diag.EvaluationError, sc.file, n, "list indices must be integers, not %s", value.TypeName(idx))
		}
		k := int(i)
		if k < 0 {
			k += len(x.Items)
		}
		if k < 0 || k >= len(x.Items) {
			e.fail(diag.EvaluationError, sc.file, n, "list index out of range: %d", i)
		}
		return x.Items[k]
	case *value.Dict:
		k := keyString(idx)
		if r, ok := x.Get(k); ok {
			return r
		}
		return value.Undefined
	case *value.Schema:
		if r, ok := x.Attrs.Get(keyString(idx)); ok {
			return r
		}
		return value.Undefined
	case value.Str:
		i, ok := idx.(value.Int)
		if !ok {
			e.fail(diag.EvaluationError, sc.file, n, "string indices must be integers")
		}
		rs := []rune(string(x))
		k := int(i)
		if k < 0 {
			k += len(rs)
		}
		if k < 0 || k >= len(rs) {
			e.fail(diag.EvaluationError, sc.file, n, "string index out of range: %d", i)
		}
		return value.Str(string(rs[k]))
	case value.NoneType, value.UndefinedType:
		return value.None
	}
	e.fail(diag.EvaluationError, sc.file, n, "'%s' object is not subscriptable", value.TypeName(v))
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func keyString(v value.Value) string {
	if s, ok := v.(value.Str); ok {
		return string(s)
	}
	return value.ToStr(v)
}

func (e *evaluator) slice(sc *scope, v value.Value, n *syntax.SliceExpr) value.Value {
	get := func(x syntax.Expr) (int, bool) {
		if x == nil {
			return 0, false
		}
		r := e.expr(sc, x)
		switch i := r.(type) {
		case value.Int:
			return int(i), true
		case value.NoneType, value.UndefinedType:
			return 0, false
		}
		e.fail(diag.EvaluationError, sc.file, n, "slice indices must be integers or None")
		return 0, false
	}
	lo, hasLo := get(n.Lo)
	hi, hasHi := get(n.Hi)
	step, hasStep := get(n.Step)
	if !hasStep {
		step = 1
	}
	if step == 0 {
		e.fail(diag.EvaluationError, sc.file, n, "slice step cannot be zero")
	}
	var length int
	var rs []rune
	switch x := v.(type) {
	case *value.List:
		length = len(x.Items)
	case value.Str:
		rs = []rune(string(x))
		length = len(rs)
	default:
		e.fail(diag.EvaluationError, sc.file, n, "'%s' object is not subscriptable", value.TypeName(v))
	}
	idxs := sliceIndices(length, lo, hasLo, hi, hasHi, step)
	switch x := v.(type) {
	case *value.List:
		out := make([]value.Value, 0, len(idxs))
		for _, i := range idxs {
			out = append(out, x.Items[i])
		}
		return &value.List{Items: out}
	default:
		var b strings.Builder
		for _, i := range idxs {
			b.WriteRune(rs[i])
		}
		return value.Str(b.String())
	}
}

func sliceIndices(n, lo int, hasLo bool, hi int, hasHi bool, step int) []int {
	clamp := func(i, lowB, highB int) int {
		if i < lowB {
			return lowB
		}
		if i > highB {
			return highB
		}
		return i
	}
	var out []int
	if step > 0 {
		if !hasLo {
			lo = 0
		} else if lo < 0 {
			lo += n
		}
		if !hasHi {
			hi = n
		} else if hi < 0 {
			hi += n
		}
		lo, hi = clamp(lo, 0, n), clamp(hi, 0, n)
		for i := lo; i < hi; i += step {
			out = append(out, i)
		}
		return out
	}
	if !hasLo {
		lo = n - 1
	} else if lo < 0 {
		lo += n
	}
	if !hasHi {
		hi = -1
	} else if hi < 0 {
		hi += n
		if hi < 0 {
			hi = -1
		}
	}
	lo = clamp(lo, -1, n-1)
	for i := lo; i > hi; i += step {
		out = append(out, i)
	}
	return out
}

// iterate calls fn for each element of v: (index or key, value).
func (e *evaluator) iterate(sc *scope, v value.Value, n syntax.Node, fn func(k, v value.Value)) {
	switch x := v.(type) {
	case *value.List:
		for i, it := range x.Items {
			e.tick(sc.file, n)
			fn(value.Int(i), it)
		}
	case *value.Dict:
		for _, en := range x.Entries() {
			e.tick(sc.file, n)
			fn(value.Str(en.Key), en.Value)
		}
	case *value.Schema:
		for _, en := range x.Attrs.Entries() {
			fn(value.Str(en.Key), en.Value)
		}
	case value.Str:
		i := 0
		for _, r := range string(x) {
			fn(value.Int(i), value.Str(string(r)))
			i++
		}
	case value.NoneType, value.UndefinedType:
	default:
		e.fail(diag.EvaluationError, sc.file, n, "'%s' object is not iterable", value.TypeName(v))
	}
}

func isMapping(v value.Value) bool {
	switch v.(type) {
	case *value.Dict, *value.Schema:
		return true
	}
	return false
}

// comp runs the comprehension clauses from i, calling body in the innermost
// scope.
func (e *evaluator) comp(sc *scope, clauses []*syntax.CompClause, i int, body func(*scope)) {
	if i == len(clauses) {
		body(sc)
		return
	}
	c := clauses[i]
	iter := e.expr(sc, c.Iter)
	mapping := isMapping(iter)
	if len(c.Targets) > 2 {
		e.failCol(diag.CompileError, sc.file, c, "the number of loop variables is %d, which can only be 1 or 2", len(c.Targets))
	}
	names := uniqueNames(c.Targets)
	e.iterate(sc, iter, c, func(k, v value.Value) {
		s := sc.local(c, names)
		s.comp = true
		loopVars(s, c.Targets, mapping, k, v)
		for _, cond := range c.Ifs {
			if !value.Truthy(e.expr(s, cond)) {
				return
			}
		}
		e.comp(s, clauses, i+1, body)
	})
}

// loopVars sets the loop variables of one iteration in the frame s: one
// variable takes the key of a mapping and the element of anything else, two
// take the key (or index) and the element. A variable written twice takes
// the later value.
func loopVars(s *scope, targets []*syntax.Ident, mapping bool, k, v value.Value) {
	switch {
	case len(targets) == 1:
		if !mapping {
			k = v
		}
		s.vals[0] = k
	case len(targets) >= 2:
		if len(s.names) == len(targets) {
			s.vals[0], s.vals[1] = k, v
			return
		}
		s.set(targets[0].Name, k)
		s.set(targets[1].Name, v)
	}
}

func (e *evaluator) quant(sc *scope, n *syntax.QuantExpr) value.Value {
	target := e.expr(sc, n.Target)
	mapping := isMapping(target)
	var result value.Value
	var list *value.List
	var dict *value.Dict
	switch n.Op {
	case syntax.ALL:
		result = value.Bool(true)
	case syntax.ANY:
		result = value.Bool(false)
	case syntax.MAP:
		list = &value.List{}
	case syntax.FILTER:
		if mapping {
			dict = value.NewDict()
		} else {
			list = &value.List{}
		}
	}
	done := false
	names := uniqueNames(n.Vars)
	e.iterate(sc, target, n, func(k, v value.Value) {
		if done {
			return
		}
		s := sc.local(n, names)
		s.comp = true
		loopVars(s, n.Vars, mapping, k, v)
		if n.IfCond != nil && !value.Truthy(e.expr(s, n.IfCond)) {
			return
		}
		switch n.Op {
		case syntax.ALL:
			if !value.Truthy(e.expr(s, n.Test)) {
				result = value.Bool(false)
				done = true
			}
		case syntax.ANY:
			if value.Truthy(e.expr(s, n.Test)) {
				result = value.Bool(true)
				done = true
			}
		case syntax.MAP:
			list.Items = append(list.Items, e.expr(s, n.Test))
		case syntax.FILTER:
			if value.Truthy(e.expr(s, n.Test)) {
				if dict != nil {
					dict.Set(string(k.(value.Str)), v)
				} else if str, ok := target.(value.Str); ok {
					_ = str
					list.Items = append(list.Items, v)
				} else {
					list.Items = append(list.Items, v)
				}
			}
		}
	})
	switch {
	case dict != nil:
		if sv, ok := target.(*value.Schema); ok {
			ns := *sv
			ns.Attrs = dict
			return &ns
		}
		return dict
	case list != nil:
		if _, ok := target.(value.Str); ok && n.Op == syntax.FILTER {
			var b strings.Builder
			for _, it := range list.Items {
				b.WriteString(string(it.(value.Str)))
			}
			return value.Str(b.String())
		}
		return list
	}
	return result
}
