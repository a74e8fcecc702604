package sema

import (
	"strconv"
	"strings"
)

// TypeKind classifies a Type.
type TypeKind int

// The kinds of static types.
const (
	KAny TypeKind = iota
	KNone
	KVoid // the result of statements and of functions returning nothing
	KBool
	KInt
	KFloat
	KStr
	KBoolLit
	KIntLit
	KFloatLit
	KStrLit
	KList
	KDict
	KUnion
	KSchema    // an instance of a schema
	KSchemaDef // the schema type object itself (`Person`, used as `Person {}` or `Person.instances()`)
	KFunc
	KModule
	KNumberMultiplier
)

// Type is a static KCL type. Types are immutable once built.
type Type struct {
	Kind TypeKind
	// Lit is the literal's value for literal types, printed as KCL prints
	// it (str(Doe), int(1), bool(True), float(1.5)).
	Lit string
	// Elem is the element type of a list, the value type of a dict.
	Elem *Type
	// Key is the key type of a dict.
	Key *Type
	// Members are the members of a union (flattened, deduplicated).
	Members []*Type
	// Schema is the schema for KSchema and KSchemaDef.
	Schema *SchemaInfo
	// Func is the signature for KFunc.
	Func *FuncType
	// Module is the package path for KModule.
	Module string
	// Name is the alias name when the type came from a `type X = …` alias
	// (for display only).
	Name string
	// Fields are the keys of the dict literal a KDict type was inferred
	// from (for resolving `d.key` to the key's definition); nil otherwise.
	Fields map[string]*Symbol
}

// FuncType is the signature of a function, lambda or schema constructor.
type FuncType struct {
	Params   []Param
	Variadic bool // accepts *args / **kwargs beyond Params
	Result   *Type
	// Name is the function name for messages (may be empty).
	Name string
	// Doc is the documentation, if any.
	Doc string

	pending *pendingBody // body not resolved yet (see pkgState.lambda)
}

// Param is one parameter of a FuncType.
type Param struct {
	Name     string
	Type     *Type
	Optional bool // has a default value
	// Default is the default as source text, if known.
	Default string
	// Loc is where the parameter is declared (zero for builtins).
	Loc Location
}

// Predeclared basic types.
var (
	TAny   = &Type{Kind: KAny}
	TNone  = &Type{Kind: KNone}
	TVoid  = &Type{Kind: KVoid}
	TBool  = &Type{Kind: KBool}
	TInt   = &Type{Kind: KInt}
	TFloat = &Type{Kind: KFloat}
	TStr   = &Type{Kind: KStr}
	TNum   = &Type{Kind: KNumberMultiplier}
	// TListAny and TDictAny are [any] and {any:any}.
	TListAny = &Type{Kind: KList, Elem: TAny}
	TDictAny = &Type{Kind: KDict, Key: TAny, Elem: TAny}
	TDictStr = &Type{Kind: KDict, Key: TStr, Elem: TAny}
)

// ListOf returns [elem].
func ListOf(elem *Type) *Type { return &Type{Kind: KList, Elem: elem} }

// DictOf returns {key:val}.
func DictOf(key, val *Type) *Type { return &Type{Kind: KDict, Key: key, Elem: val} }

// StrLit returns the literal type str(s).
func StrLit(s string) *Type { return &Type{Kind: KStrLit, Lit: s} }

// IntLit returns the literal type int(v).
func IntLit(v string) *Type { return &Type{Kind: KIntLit, Lit: v} }

// FloatLit returns the literal type float(v).
func FloatLit(v string) *Type { return &Type{Kind: KFloatLit, Lit: v} }

// BoolLit returns the literal type bool(True|False).
func BoolLit(v bool) *Type {
	if v {
		return &Type{Kind: KBoolLit, Lit: "True"}
	}
	return &Type{Kind: KBoolLit, Lit: "False"}
}

// InstanceOf returns the instance type of a schema.
func InstanceOf(s *SchemaInfo) *Type { return &Type{Kind: KSchema, Schema: s} }

// Union returns the union of ts, flattened and deduplicated by printed form;
// a single member is returned as is, none gives any.
func Union(ts ...*Type) *Type {
	var members []*Type
	seen := map[string]bool{}
	var add func(t *Type)
	add = func(t *Type) {
		if t == nil {
			return
		}
		if t.Kind == KUnion {
			for _, m := range t.Members {
				add(m)
			}
			return
		}
		k := t.String()
		if seen[k] {
			return
		}
		seen[k] = true
		members = append(members, t)
	}
	for _, t := range ts {
		add(t)
	}
	switch len(members) {
	case 0:
		return TAny
	case 1:
		return members[0]
	}
	return &Type{Kind: KUnion, Members: members}
}

// String prints t as KCL prints types in messages.
func (t *Type) String() string {
	if t == nil {
		return "any"
	}
	switch t.Kind {
	case KAny:
		return "any"
	case KNone:
		return "NoneType"
	case KVoid:
		return "void"
	case KBool:
		return "bool"
	case KInt:
		return "int"
	case KFloat:
		return "float"
	case KStr:
		return "str"
	case KBoolLit:
		return "bool(" + t.Lit + ")"
	case KIntLit:
		return "int(" + t.Lit + ")"
	case KFloatLit:
		return "float(" + t.Lit + ")"
	case KStrLit:
		return "str(" + t.Lit + ")"
	case KList:
		return "[" + t.Elem.String() + "]"
	case KDict:
		return "{" + t.Key.String() + ":" + t.Elem.String() + "}"
	case KUnion:
		parts := make([]string, len(t.Members))
		for i, m := range t.Members {
			parts[i] = m.String()
		}
		return strings.Join(parts, " | ")
	case KSchema, KSchemaDef:
		if t.Schema == nil {
			return "schema"
		}
		return t.Schema.Name
	case KFunc:
		if t.Func == nil {
			return "function"
		}
		parts := make([]string, len(t.Func.Params))
		for i, p := range t.Func.Params {
			parts[i] = p.Type.String()
		}
		return "(" + strings.Join(parts, ", ") + ") -> " + t.Func.Result.String()
	case KModule:
		return "module '" + t.Module + "'"
	case KNumberMultiplier:
		if t.Lit != "" {
			return "number_multiplier(" + t.Lit + ")"
		}
		return "number_multiplier"
	}
	return "any"
}

// IsAny reports whether t is any (or unknown).
func (t *Type) IsAny() bool { return t == nil || t.Kind == KAny }

// Base returns the base type of a literal type (str for str(x)), t otherwise.
func (t *Type) Base() *Type {
	switch t.Kind {
	case KBoolLit:
		return TBool
	case KIntLit:
		return TInt
	case KFloatLit:
		return TFloat
	case KStrLit:
		return TStr
	}
	return t
}

// Widen returns t with literal types replaced by their base types
// (recursively in lists, dicts and unions).
func (t *Type) Widen() *Type {
	if t == nil {
		return TAny
	}
	switch t.Kind {
	case KBoolLit, KIntLit, KFloatLit, KStrLit:
		return t.Base()
	case KNumberMultiplier:
		return TNum
	case KList:
		return ListOf(t.Elem.Widen())
	case KDict:
		d := DictOf(t.Key.Widen(), t.Elem.Widen())
		d.Fields = t.Fields
		return d
	case KUnion:
		ms := make([]*Type, len(t.Members))
		for i, m := range t.Members {
			ms[i] = m.Widen()
		}
		return Union(ms...)
	}
	return t
}

// IsStrLike reports whether values of t are strings.
func (t *Type) IsStrLike() bool {
	if t == nil {
		return false
	}
	switch t.Kind {
	case KStr, KStrLit:
		return true
	case KUnion:
		for _, m := range t.Members {
			if !m.IsStrLike() {
				return false
			}
		}
		return true
	}
	return false
}

// Assignable reports whether a value of type src may be stored where dst is
// declared, following KCL's compile-time rules: any fits everything, None
// fits everything, int fits float, a literal fits its base type, unions are
// checked member-wise (every member of src must fit some member of dst), and
// a schema instance fits its own schema and its ancestors. Dict values fit a
// schema (they are checked as configs elsewhere).
func Assignable(src, dst *Type) bool {
	if src == nil || dst == nil || src.Kind == KAny || dst.Kind == KAny {
		return true
	}
	if src.Kind == KNone || src.Kind == KVoid {
		return true
	}
	if src.Kind == KUnion {
		for _, m := range src.Members {
			if !Assignable(m, dst) {
				return false
			}
		}
		return true
	}
	if dst.Kind == KUnion {
		for _, m := range dst.Members {
			if Assignable(src, m) {
				return true
			}
		}
		return false
	}
	switch dst.Kind {
	case KNone:
		return false
	case KBool:
		return src.Kind == KBool || src.Kind == KBoolLit
	case KInt:
		return src.Kind == KInt || src.Kind == KIntLit || src.Kind == KNumberMultiplier
	case KFloat:
		return src.Kind == KFloat || src.Kind == KFloatLit || src.Kind == KInt || src.Kind == KIntLit || src.Kind == KNumberMultiplier
	case KStr:
		return src.Kind == KStr || src.Kind == KStrLit
	case KBoolLit, KIntLit, KFloatLit, KStrLit:
		if src.Kind == dst.Kind {
			return src.Lit == dst.Lit
		}
		// int literal 1 fits float literal 1.0
		if dst.Kind == KFloatLit && src.Kind == KIntLit {
			a, err1 := strconv.ParseFloat(src.Lit, 64)
			b, err2 := strconv.ParseFloat(dst.Lit, 64)
			return err1 == nil && err2 == nil && a == b
		}
		return false
	case KList:
		return src.Kind == KList && Assignable(src.Elem, dst.Elem)
	case KDict:
		if src.Kind == KDict {
			return Assignable(src.Key, dst.Key) && Assignable(src.Elem, dst.Elem)
		}
		return false
	case KSchema:
		switch src.Kind {
		case KSchema:
			return src.Schema.IsSubOf(dst.Schema)
		case KDict:
			return src.Key.IsAny() || src.Key.IsStrLike()
		}
		return false
	case KSchemaDef:
		return src.Kind == KSchemaDef && src.Schema.IsSubOf(dst.Schema)
	case KNumberMultiplier:
		if dst.Lit != "" {
			return src.Kind == KNumberMultiplier && src.Lit == dst.Lit
		}
		return src.Kind == KNumberMultiplier || src.Kind == KInt || src.Kind == KIntLit
	case KFunc:
		return src.Kind == KFunc
	case KModule:
		return src.Kind == KModule && src.Module == dst.Module
	}
	return true
}
