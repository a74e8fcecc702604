package eval

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// This file gives the evaluator's policy failures their data (diag.Code and
// Args): which attribute a failed check or type is about, its value, the
// bound or the allowed values, for tools that fix them.

// failCode is fail with a code and arguments.
func (e *evaluator) failCode(code diag.Code, args *diag.Args, kind diag.Kind, f *syntax.File, n syntax.Node, format string, a ...any) {
	panic(kclError{e.diagAt(kind, f, n, false, format, a...).WithCode(code, args)})
}

// policyArgs describes the failed check expression test of schema d: the
// attribute it tests (the left operand of a comparison, or the first
// argument of a call such as len(x) or regex.match(x, …)), the attribute's
// value, the bound it is compared with and the allowed values of an
// `x in [a, b]` test.
func (e *evaluator) policyArgs(sc *scope, d *schemaDef, test syntax.Expr) *diag.Args {
	args := &diag.Args{}
	if d != nil {
		args.Schema = d.name
	}
	cmp, ok := test.(*syntax.CompareExpr)
	if !ok {
		if attr := checkedAttr(test); attr != nil {
			args.Attribute = sc.file.Text(attr)
			args.Value = e.reprOf(sc, attr)
		}
		return args
	}
	if len(cmp.Ops) != 1 || len(cmp.Comparators) != 1 {
		// A chain `1 <= x <= 10`: its one non-literal operand, held to
		// the whole chain.
		var attr syntax.Expr
		for _, x := range append([]syntax.Expr{cmp.Left}, cmp.Comparators...) {
			if isLiteral(x) {
				continue
			}
			if attr != nil {
				return args
			}
			if attr = checkedAttr(x); attr == nil {
				return args
			}
		}
		if attr != nil {
			args.Attribute, args.Value, args.Bound = sc.file.Text(attr), e.reprOf(sc, attr), sc.file.Text(test)
		}
		return args
	}
	left, right, op := cmp.Left, cmp.Comparators[0], cmp.Ops[0]
	attr := checkedAttr(left)
	if attr == nil && isLiteral(left) {
		// `0 < x`: the attribute is on the right.
		if attr = checkedAttr(right); attr != nil {
			left, right = right, left
			op = mirror(op)
		}
	}
	if attr == nil {
		return args
	}
	args.Attribute = sc.file.Text(attr)
	args.Value = e.reprOf(sc, attr)
	switch op {
	case syntax.IN:
		if l, ok := right.(*syntax.ListExpr); ok {
			for _, el := range l.Elts {
				if !isLiteral(el) {
					args.Allowed = nil
					break
				}
				args.Allowed = append(args.Allowed, sc.file.Text(el))
			}
		}
	case syntax.LT, syntax.LE, syntax.GT, syntax.GE, syntax.EQ, syntax.NE:
		args.Bound = op.String() + " " + sc.file.Text(right)
	}
	return args
}

// reprOf evaluates x again for its value's KCL text ("" when it fails).
func (e *evaluator) reprOf(sc *scope, x syntax.Expr) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	return value.Repr(e.expr(sc, x))
}

// checkedAttr is the attribute an operand tests: a name or dotted name,
// the first argument of a call (len(x), regex.match(x, …)), the receiver
// of a method call (x.endswith(…)), what is indexed, what is negated.
func checkedAttr(x syntax.Expr) syntax.Expr {
	switch x := x.(type) {
	case *syntax.Ident:
		return x
	case *syntax.SelectorExpr:
		if _, ok := syntax.DottedName(x); ok {
			return x
		}
	case *syntax.CallExpr:
		if len(x.Args) > 0 {
			if a := checkedAttr(x.Args[0]); a != nil {
				return a
			}
		}
		if sel, ok := x.Func.(*syntax.SelectorExpr); ok {
			return checkedAttr(sel.X)
		}
	case *syntax.IndexExpr:
		return checkedAttr(x.X)
	case *syntax.UnaryExpr:
		return checkedAttr(x.X)
	case *syntax.ParenExpr:
		return checkedAttr(x.X)
	}
	return nil
}

func isLiteral(x syntax.Expr) bool {
	switch x := x.(type) {
	case *syntax.StringLit, *syntax.NumberLit, *syntax.NameConstant:
		return true
	case *syntax.UnaryExpr:
		return isLiteral(x.X)
	}
	return false
}

// mirror is the comparison with its operands swapped (a < b is b > a).
func mirror(op syntax.Token) syntax.Token {
	switch op {
	case syntax.LT:
		return syntax.GT
	case syntax.LE:
		return syntax.GE
	case syntax.GT:
		return syntax.LT
	case syntax.GE:
		return syntax.LE
	}
	return op
}

// typeArgs are the arguments of a value of the wrong type: the expected
// and actual types, and the allowed values of a literal (union) type.
func typeArgs(t *syntax.TypeExpr, v value.Value) *diag.Args {
	return &diag.Args{Expected: typeText(t), Actual: value.TypeName(v), Allowed: literalMembers(t)}
}

// literalMembers are the members of a literal (union) type as KCL source
// text; nil when a member is not a literal.
func literalMembers(t *syntax.TypeExpr) []string {
	if t == nil {
		return nil
	}
	switch t.Kind {
	case syntax.LiteralType:
		switch x := t.Literal.(type) {
		case *syntax.StringLit:
			return []string{x.Raw}
		case *syntax.NumberLit:
			return []string{x.Raw}
		case *syntax.NameConstant:
			return []string{x.Value.String()}
		}
	case syntax.UnionType:
		var out []string
		for _, m := range t.Union {
			lm := literalMembers(m)
			if lm == nil {
				return nil
			}
			out = append(out, lm...)
		}
		return out
	}
	return nil
}
