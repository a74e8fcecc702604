package value

import (
	"fmt"
	"strconv"
	"strings"
)

// UnionOptions controls Union.
type UnionOptions struct {
	// Idempotent enables the conflict check of config literals: two
	// different scalars for the same key are an error.
	Idempotent bool
	// Operator is set for the `|` operator: mismatched kinds are an
	// "unsupported operand" error instead of the right side winning.
	Operator bool
	// Schema re-instantiates the schema instance s with the config cfg (the
	// union of its own config and the new one). When nil, the attributes are
	// merged directly.
	Schema func(s *Schema, cfg *Dict) (Value, error)
	// Budget, when set, is charged for the entries and items added and the
	// values copied; a refused charge ends the union with the budget's
	// error.
	Budget *Budget
}

// UnionError is a union failure (conflicting values and the like).
type UnionError struct{ Msg string }

func (e *UnionError) Error() string { return e.Msg }

// Union merges b into a following KCL's `|` / `:` rules and returns the
// result. Dicts and lists of a are modified in place: pass a value the
// caller owns (see Copy).
func Union(a, b Value, o *UnionOptions) (Value, error) {
	if o == nil {
		o = &UnionOptions{}
	}
	return union(a, b, o, "")
}

func isNullish(v Value) bool {
	switch v.(type) {
	case nil, NoneType, UndefinedType:
		return true
	}
	return false
}

func union(a, b Value, o *UnionOptions, path string) (Value, error) {
	if isNullish(a) {
		return b, nil
	}
	if isNullish(b) {
		return a, nil
	}
	switch x := a.(type) {
	case *List:
		if y, ok := b.(*List); ok {
			inner := *o
			inner.Idempotent = false
			inner.Operator = false
			for i, it := range y.Items {
				if i < len(x.Items) {
					r, err := union(x.Items[i], it, &inner, path)
					if err != nil {
						return nil, err
					}
					x.Items[i] = r
				} else {
					if !o.Budget.Charge(SizeListItem) {
						return nil, o.Budget.Err()
					}
					x.Items = append(x.Items, it)
				}
			}
			return x, nil
		}
	case *Dict:
		switch y := b.(type) {
		case *Dict:
			if err := unionDict(x, y, o, path); err != nil {
				return nil, err
			}
			return x, nil
		case *Schema:
			attrs := NewDict()
			if y.Attrs != nil {
				attrs = y.Attrs
			}
			lax := *o
			lax.Idempotent = false
			if err := unionDict(x, attrs, &lax, path); err != nil {
				return nil, err
			}
			n := *y
			n.Attrs = x
			return &n, nil
		}
	case *Schema:
		var cfg *Dict
		switch y := b.(type) {
		case *Dict:
			cfg = y
		case *Schema:
			cfg = y.Config
			if cfg == nil {
				cfg = y.Attrs
			}
		}
		if cfg != nil {
			if o.Schema != nil {
				merged := NewDict()
				if x.Config != nil {
					merged = copyDict(x.Config, o.Budget)
				}
				if err := unionDict(merged, cfg, &UnionOptions{Schema: o.Schema, Budget: o.Budget}, path); err != nil {
					return nil, err
				}
				target := x
				if ys, ok := b.(*Schema); ok && (len(ys.Args) > 0 || len(ys.Kwargs) > 0) {
					t := *x
					t.Args, t.Kwargs = ys.Args, ys.Kwargs
					target = &t
				}
				return o.Schema(target, merged)
			}
			if x.Attrs == nil {
				x.Attrs = NewDict()
			}
			if err := unionDict(x.Attrs, cfg, o, path); err != nil {
				return nil, err
			}
			return x, nil
		}
	}
	if o.Operator {
		return nil, unsupported("|", a, b)
	}
	if o.Idempotent && !Equal(a, b) {
		return nil, conflict(a, b, path)
	}
	return b, nil
}

func conflict(old, nw Value, path string) error {
	if path == "" {
		return &UnionError{Msg: fmt.Sprintf("conflicting values between %s and %s", shortRepr(nw), shortRepr(old))}
	}
	attr := path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		attr = path[i+1:]
	}
	return &UnionError{Msg: fmt.Sprintf("conflicting values on the attribute '%s' between :\n    %s\nand\n    %s\nwith union path :\n    %s\ntry operator '=' to override the attribute, like:\n    %s = %s",
		attr, shortRepr(old), shortRepr(nw), path, path, shortRepr(nw))}
}

// shortRepr renders a value for conflict messages: scalars in full,
// collections abbreviated.
func shortRepr(v Value) string {
	switch x := v.(type) {
	case *Dict, *Schema:
		return "{...}"
	case *List:
		return "[...]"
	case Str:
		return strconv.Quote(string(x))
	case Int:
		return strconv.FormatInt(int64(x), 10)
	case Float:
		return FormatFloatDebug(float64(x))
	case Bool:
		if x {
			return "True"
		}
		return "False"
	case NoneType:
		return "None"
	case UndefinedType:
		return "Undefined"
	case Unit:
		return strconv.FormatInt(x.Raw, 10) + x.Suffix
	}
	return v.Type()
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unionDict merges the entries of b into a, honouring each entry's operator.
func unionDict(a, b *Dict, o *UnionOptions, path string) error {
	for _, e := range b.entries {
		if err := unionEntry(a, e, o, path, false); err != nil {
			return err
		}
	}
	return nil
}

// UnionEntry merges one config entry into d with the entry's operator
// (`:` union, `=` override, `+=` insert, optionally at a list index).
func UnionEntry(d *Dict, e Entry, o *UnionOptions, path string) error {
	if o == nil {
		o = &UnionOptions{}
	}
	return unionEntry(d, e, o, path, true)
}

// unionEntry merges e into d; with copyOld the existing value is copied
// before it is modified (it may be shared with a variable).
func unionEntry(d *Dict, e Entry, o *UnionOptions, path string, copyOld bool) error {
	old, exists := d.Lookup(e.Key)
	if exists && copyOld {
		old.Value = CopyCounted(old.Value, o.Budget)
		d.SetEntry(old)
	}
	if !exists {
		o.Budget.Charge(SizeDictEntry)
	}
	if err := o.Budget.Err(); err != nil {
		return err
	}
	p := joinPath(path, e.Key)
	if e.Index != nil && e.Op == OpInsert && (!exists || isNullish(old.Value)) {
		old = Entry{Key: e.Key, Value: &List{}, Op: OpInsert}
		exists = true
		d.SetEntry(old)
	}
	if e.Index != nil {
		l, ok := old.Value.(*List)
		if !exists || !ok {
			if e.Op == OpOverride {
				return &UnionError{Msg: fmt.Sprintf("only list attribute can be override value with the index %d", *e.Index)}
			}
			return &UnionError{Msg: fmt.Sprintf("only list attribute can be inserted value with the index %d", *e.Index)}
		}
		idx := *e.Index
		n := len(l.Items)
		if idx < 0 {
			idx += n
		}
		switch e.Op {
		case OpInsert:
			if idx < 0 {
				return &UnionError{Msg: "index out of bounds"}
			}
			if idx > n {
				return &UnionError{Msg: fmt.Sprintf("insertion index (is %d) should be <= len (is %d)", *e.Index, n)}
			}
			var ins []Value
			if il, ok := e.Value.(*List); ok {
				ins = il.Items
			} else {
				ins = []Value{e.Value}
			}
			if !o.Budget.Charge(SizeList + SizeListItem*int64(n+len(ins))) {
				return o.Budget.Err()
			}
			items := make([]Value, 0, n+len(ins))
			items = append(items, l.Items[:idx]...)
			items = append(items, ins...)
			items = append(items, l.Items[idx:]...)
			l.Items = items
		default:
			if idx < 0 || idx >= n {
				return &UnionError{Msg: fmt.Sprintf("index out of bounds: the len is %d but the index is %d", n, *e.Index)}
			}
			if e.Op == OpOverride {
				if _, undef := e.Value.(UndefinedType); undef {
					l.Items = append(l.Items[:idx:idx], l.Items[idx+1:]...)
				} else {
					l.Items[idx] = e.Value
				}
			} else {
				r, err := union(l.Items[idx], e.Value, &UnionOptions{Idempotent: o.Idempotent, Schema: o.Schema, Budget: o.Budget}, p)
				if err != nil {
					return err
				}
				l.Items[idx] = r
			}
		}
		return nil
	}
	switch e.Op {
	case OpOverride:
		d.SetEntry(Entry{Key: e.Key, Value: e.Value, Op: OpOverride})
	case OpInsert:
		if !exists || isNullish(old.Value) {
			d.SetEntry(Entry{Key: e.Key, Value: e.Value, Op: OpInsert})
			return nil
		}
		ol, ok1 := old.Value.(*List)
		nl, ok2 := e.Value.(*List)
		if !ok1 || !ok2 {
			return unsupported("+", old.Value, e.Value)
		}
		if !o.Budget.Charge(SizeList + SizeListItem*int64(len(ol.Items)+len(nl.Items))) {
			return o.Budget.Err()
		}
		items := make([]Value, 0, len(ol.Items)+len(nl.Items))
		items = append(items, ol.Items...)
		items = append(items, nl.Items...)
		old.Value = &List{Items: items}
		if old.Op != OpOverride {
			old.Op = OpInsert
		}
		d.SetEntry(old)
	default:
		if !exists {
			d.SetEntry(e)
			return nil
		}
		r, err := union(old.Value, e.Value, &UnionOptions{Idempotent: o.Idempotent, Schema: o.Schema, Budget: o.Budget}, p)
		if err != nil {
			return err
		}
		old.Value = r
		d.SetEntry(old)
	}
	return nil
}
