package value

import (
	"sort"
	"strings"
)

// PlanOptions selects what Plan keeps: DisableNone drops None values (the
// -n flag, ignore_none), SortKeys sorts dict keys recursively (-k,
// sort_keys), ShowHidden keeps keys starting with "_" (-H, and the default
// of json.encode/yaml.encode).
//
// DropEmptyLists drops dict and schema entries whose planned value is an
// empty list. This is the behaviour of kclvm 0.4, which produced the Konfig
// goldens (a Konfig stack prints no `volumeMounts: []`); KCL 0.11 keeps
// empty lists (corpus kcl-evaluator-snapshots/binary_expr_1), so it is off
// by default.
//
// Budget, when set, is charged for every list and dict of the result (a
// structure shared several times in v is planned, and counted, each time);
// once it refuses, planning stops and the result is incomplete: callers
// must check Budget.Err().
type PlanOptions struct {
	DisableNone    bool
	SortKeys       bool
	ShowHidden     bool
	DropEmptyLists bool
	Budget         *Budget
}

// Plan returns the output form of v: Undefined values and functions (and
// schema types used as values) are dropped from dicts and lists, keys
// starting with "_" are dropped at every level unless ShowHidden, None is
// dropped when DisableNone, schema instances become dicts and unit values
// become floats. The result contains only None, Bool, Int, Float, Str,
// *List and *Dict and shares nothing mutable with v. A top-level value that
// plans to nothing is returned as Undefined.
func Plan(v Value, opts PlanOptions) Value {
	out, ok := planValue(v, opts)
	if !ok {
		return Undefined
	}
	return out
}

// planValue plans v; ok is false when v is dropped.
func planValue(v Value, opts PlanOptions) (Value, bool) {
	switch x := v.(type) {
	case nil, UndefinedType, *Func:
		return nil, false
	case NoneType:
		if opts.DisableNone {
			return nil, false
		}
		return None, true
	case Bool, Int, Float, Str:
		return x, true
	case Unit:
		return Float(x.Float), true
	case *List:
		if !opts.Budget.Charge(SizeList + SizeListItem*int64(len(x.Items))) {
			return &List{}, true
		}
		out := &List{Items: make([]Value, 0, len(x.Items))}
		for _, it := range x.Items {
			if p, ok := planValue(it, opts); ok {
				out.Items = append(out.Items, p)
			}
		}
		return out, true
	case *Dict:
		return planDict(x, opts), true
	case *Schema:
		if x.Attrs == nil {
			return NewDict(), true
		}
		return planDict(x.Attrs, opts), true
	}
	return nil, false
}

func planDict(d *Dict, opts PlanOptions) *Dict {
	out := NewDict()
	if !opts.Budget.Charge(SizeDict + SizeDictEntry*int64(d.Len())) {
		return out
	}
	entries := d.Entries()
	if opts.SortKeys {
		sorted := make([]Entry, len(entries))
		copy(sorted, entries)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
		entries = sorted
	}
	for _, e := range entries {
		if !opts.ShowHidden && strings.HasPrefix(e.Key, "_") {
			continue
		}
		if p, ok := planValue(e.Value, opts); ok {
			if l, isList := p.(*List); isList && opts.DropEmptyLists && len(l.Items) == 0 {
				continue
			}
			out.Set(e.Key, p)
		}
	}
	return out
}
