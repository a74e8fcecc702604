package value

import (
	"fmt"
	"math"
	"strings"
)

// Truthy reports whether v is true in a boolean context (Python rules):
// None, Undefined, False, 0, 0.0, "", [], {} and empty schema instances are
// false; everything else is true.
func Truthy(v Value) bool {
	switch x := v.(type) {
	case nil, UndefinedType, NoneType:
		return false
	case Bool:
		return bool(x)
	case Int:
		return x != 0
	case Float:
		return x != 0
	case Str:
		return x != ""
	case Unit:
		return x.Float != 0
	case *List:
		return len(x.Items) > 0
	case *Dict:
		return x.Len() > 0
	case *Schema:
		return x.Attrs != nil && x.Attrs.Len() > 0
	case *Func:
		return true
	}
	return true
}

// number returns v as a float64 when it is an int, float or unit value.
func number(v Value) (float64, bool) {
	switch x := v.(type) {
	case Int:
		return float64(x), true
	case Float:
		return float64(x), true
	case Unit:
		return x.Float, true
	case Bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Equal reports deep equality of a and b: numbers compare by value (1 ==
// 1.0), lists element-wise, dicts and schema instances by key set and values
// (key order is ignored).
//
// Shared structure is compared once: two values built by doubling a shared
// part n times compare in time linear in n, not 2^n.
func Equal(a, b Value) bool {
	var q equality
	return q.equal(a, b)
}

// EqualCounted is Equal counting a step of bud for every list item and
// dict entry compared, so that a long comparison stops with bud's context.
// Once bud refuses it returns false: callers must check bud.Err().
func EqualCounted(a, b Value, bud *Budget) bool {
	q := equality{budget: bud}
	return q.equal(a, b)
}

// equality is one Equal call: it counts the collections compared and,
// past eqMemoAfter of them, remembers the pairs found equal.
type equality struct {
	steps  int
	same   map[[2]Value]bool
	budget *Budget
}

// eqMemoAfter is the number of collections Equal compares before it starts
// remembering equal pairs (small comparisons allocate nothing).
const eqMemoAfter = 4096

// known reports whether the collections a and b were found equal before,
// counting the comparison.
func (q *equality) known(a, b Value) bool {
	q.steps++
	if q.steps < eqMemoAfter {
		return false
	}
	if q.same == nil {
		q.same = map[[2]Value]bool{}
	}
	return q.same[[2]Value{a, b}]
}

// found records that the collections a and b are equal (once memoizing).
func (q *equality) found(a, b Value) {
	if q.same != nil {
		q.same[[2]Value{a, b}] = true
	}
}

func (q *equality) equal(a, b Value) bool {
	if a == nil {
		a = Undefined
	}
	if b == nil {
		b = Undefined
	}
	switch x := a.(type) {
	case UndefinedType:
		_, ok := b.(UndefinedType)
		return ok
	case NoneType:
		_, ok := b.(NoneType)
		return ok
	case Bool:
		switch y := b.(type) {
		case Bool:
			return x == y
		case Int, Float:
			f, _ := number(y)
			xf, _ := number(x)
			return f == xf
		}
		return false
	case Int:
		if y, ok := b.(Int); ok {
			return x == y
		}
		if _, ok := b.(Bool); ok {
			return q.equal(b, a)
		}
		if y, ok := number(b); ok {
			return float64(x) == y
		}
		return false
	case Float, Unit:
		if _, ok := b.(Bool); ok {
			return q.equal(b, a)
		}
		xf, _ := number(x)
		if y, ok := number(b); ok {
			return xf == y
		}
		return false
	case Str:
		y, ok := b.(Str)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		if q.known(x, y) {
			return true
		}
		for i := range x.Items {
			if !q.budget.Step() || !q.equal(x.Items[i], y.Items[i]) {
				return false
			}
		}
		q.found(x, y)
		return true
	case *Dict:
		switch y := b.(type) {
		case *Dict:
			return q.dictEqual(x, y)
		case *Schema:
			return q.dictEqual(x, y.Attrs)
		}
		return false
	case *Schema:
		switch y := b.(type) {
		case *Dict:
			return q.dictEqual(x.Attrs, y)
		case *Schema:
			return q.dictEqual(x.Attrs, y.Attrs)
		}
		return false
	case *Func:
		y, ok := b.(*Func)
		return ok && x == y
	}
	return false
}

func (q *equality) dictEqual(a, b *Dict) bool {
	if a == nil || b == nil {
		return (a == nil || a.Len() == 0) && (b == nil || b.Len() == 0)
	}
	if a.Len() != b.Len() {
		return false
	}
	if q.known(a, b) {
		return true
	}
	for _, e := range a.entries {
		if !q.budget.Step() {
			return false
		}
		v, ok := b.Get(e.Key)
		if !ok || !q.equal(e.Value, v) {
			return false
		}
	}
	q.found(a, b)
	return true
}

// CompareError is returned by Compare for operands that have no order.
type CompareError struct {
	Op   string // the operator, "<" when unknown
	A, B Value
}

func (e *CompareError) Error() string {
	op := e.Op
	if op == "" {
		op = "<"
	}
	return fmt.Sprintf("'%s' not supported between instances of '%s' and '%s'", op, TypeName(e.A), TypeName(e.B))
}

// TypeName returns the type name used in operator error messages: like
// Type() but "NoneType" for None and "schema" names as is.
func TypeName(v Value) string {
	if v == nil {
		return "UndefinedType"
	}
	switch v.(type) {
	case NoneType:
		return "NoneType"
	}
	return v.Type()
}

// Compare orders a and b: -1, 0 or +1. Numbers compare by value (int with
// float), strings and lists lexicographically; other combinations return a
// *CompareError.
func Compare(a, b Value) (int, error) { return CompareCounted(a, b, nil) }

// CompareCounted is Compare counting a step of bud for every list item
// compared (see EqualCounted); once bud refuses it returns bud.Err().
func CompareCounted(a, b Value, bud *Budget) (int, error) {
	if af, ok := number(a); ok {
		if bf, ok := number(b); ok {
			if ai, ok := a.(Int); ok {
				if bi, ok := b.(Int); ok {
					return cmpInt(int64(ai), int64(bi)), nil
				}
			}
			switch {
			case af < bf:
				return -1, nil
			case af > bf:
				return 1, nil
			case af == bf:
				return 0, nil
			}
			if math.IsNaN(af) || math.IsNaN(bf) {
				return 1, nil // unordered; callers treat NaN comparisons as false via CompareOp
			}
			return 0, nil
		}
	}
	switch x := a.(type) {
	case Str:
		if y, ok := b.(Str); ok {
			return strings.Compare(string(x), string(y)), nil
		}
	case *List:
		if y, ok := b.(*List); ok {
			n := min(len(x.Items), len(y.Items))
			for i := 0; i < n; i++ {
				if !bud.Step() {
					return 0, bud.Err()
				}
				if EqualCounted(x.Items[i], y.Items[i], bud) {
					continue
				}
				if err := bud.Err(); err != nil {
					return 0, err
				}
				return CompareCounted(x.Items[i], y.Items[i], bud)
			}
			return cmpInt(int64(len(x.Items)), int64(len(y.Items))), nil
		}
	}
	return 0, &CompareError{A: a, B: b}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Copy returns a deep copy of v: lists, dicts and schema instances are
// duplicated recursively; scalars and functions are returned as is.
func Copy(v Value) Value { return CopyCounted(v, nil) }

// CopyCounted is Copy charging b for every list, dict and schema instance it
// makes (a structure shared several times within v is copied, and counted,
// each time). Once b refuses a charge the copy stops and the result is
// incomplete: callers must check b.Err().
func CopyCounted(v Value, b *Budget) Value {
	switch x := v.(type) {
	case *List:
		return copyList(x, b)
	case *Dict:
		return copyDict(x, b)
	case *Schema:
		return copySchema(x, b)
	}
	return v
}

func copyList(l *List, b *Budget) *List {
	if l == nil {
		return nil
	}
	if !b.Charge(SizeList + SizeListItem*int64(len(l.Items))) {
		return &List{}
	}
	items := make([]Value, len(l.Items))
	for i, it := range l.Items {
		items[i] = CopyCounted(it, b)
	}
	return &List{Items: items}
}

func copyDict(d *Dict, b *Budget) *Dict {
	if d == nil {
		return nil
	}
	if !b.Charge(SizeDict + SizeDictEntry*int64(len(d.entries))) {
		return NewDict()
	}
	n := &Dict{entries: make([]Entry, len(d.entries)), index: make(map[string]int, len(d.entries))}
	for i, e := range d.entries {
		e.Value = CopyCounted(e.Value, b)
		n.entries[i] = e
		n.index[e.Key] = i
	}
	return n
}

func copySchema(s *Schema, b *Budget) *Schema {
	if s == nil {
		return nil
	}
	b.Charge(SizeSchema)
	n := *s
	n.Attrs = copyDict(s.Attrs, b)
	n.Config = copyDict(s.Config, b)
	return &n
}
