// Package value defines KCL runtime values: the scalars, lists, ordered dicts
// (with the per-key config operators that unification needs), schema
// instances, number-multiplier (unit) values and callable functions, together
// with the operations on them that do not need the evaluator: truthiness,
// equality, comparison, arithmetic, union (`|`), string conversion, deep copy
// and the YAML/JSON planning and printing of the official compiler.
//
// Values are immutable from the outside except *List, *Dict and *Schema, which
// the evaluator builds in place; use Copy to get an independent deep copy (KCL
// assigns by value). Construct them directly:
//
//	v := value.NewDict()
//	v.Set("name", value.Str("app"))
//	l := &value.List{Items: []value.Value{value.Int(1)}}
package value

// Value is any KCL runtime value.
type Value interface {
	// Type returns the KCL type name as typeof() prints it without full_name:
	// "int", "float", "str", "bool", "None", "UndefinedType", "list",
	// "dict", the schema name, "function" or "number_multiplier".
	Type() string
}

// UndefinedType is the type of Undefined: an absent value, never emitted.
type UndefinedType struct{}

// NoneType is the type of None, emitted as null.
type NoneType struct{}

var (
	// Undefined is the only value of UndefinedType.
	Undefined Value = UndefinedType{}
	// None is the only value of NoneType.
	None Value = NoneType{}
)

// Bool is a KCL bool.
type Bool bool

// Int is a KCL int (i64).
type Int int64

// Float is a KCL float (f64).
type Float float64

// Str is a KCL str.
type Str string

// Unit is a number-multiplier value such as 1Ki: Raw is the written integer,
// Suffix the multiplier suffix, Float the scaled value (1024.0 for 1Ki).
type Unit struct {
	Raw    int64
	Suffix string
	Float  float64
}

// List is a KCL list.
type List struct {
	Items []Value
}

// Op is a config entry operator recorded on a dict key.
type Op uint8

// The config entry operators.
const (
	OpUnion    Op = iota // k: v
	OpOverride           // k = v
	OpInsert             // k += v
)

// Entry is one key of a Dict with the operator (and list index, for
// `k[i] = v` forms; Index is nil otherwise) it was written with.
type Entry struct {
	Key   string
	Value Value
	Op    Op
	Index *int
}

// Dict is an insertion-ordered KCL dict or config value. Keys are strings.
// The per-key operator is kept so that a config can later be unified into a
// schema or another config with the semantics of `:`, `=` and `+=`.
type Dict struct {
	entries []Entry
	index   map[string]int
}

// Schema is a schema instance: the schema's name and package path, its
// attributes in output order, and the evaluator's own description of the
// schema type (opaque here) together with the config it was built from, so
// that union can re-instantiate it.
type Schema struct {
	Name    string // schema name, e.g. "Server"
	PkgPath string // package path, "__main__" for the main package
	Attrs   *Dict
	// Def is the evaluator's schema type (opaque to this package).
	Def any
	// Config is the config the instance was created with (nil if none).
	Config *Dict
	// Args are the positional and keyword arguments of S(args) {…}.
	Args []Value
	// Kwargs are keyword arguments of S(k=v) {…}, in order.
	Kwargs []Entry
	// Site is the evaluator's record of where the instance was created
	// (opaque here; kept by Copy).
	Site any
}

// Func is a callable: a builtin, a system-module function or a lambda.
type Func struct {
	Name string
	// Call runs the function. kwargs keep their call order.
	Call func(args []Value, kwargs []Entry) (Value, error)
	// Def is the evaluator's description (opaque here), e.g. a lambda closure
	// or a schema type when a schema is used as a value.
	Def any
}

// Type implementations.

func (UndefinedType) Type() string { return "UndefinedType" }
func (NoneType) Type() string      { return "None" }
func (Bool) Type() string          { return "bool" }
func (Int) Type() string           { return "int" }
func (Float) Type() string         { return "float" }
func (Str) Type() string           { return "str" }
func (Unit) Type() string          { return "number_multiplier" }
func (*List) Type() string         { return "list" }
func (*Dict) Type() string         { return "dict" }
func (s *Schema) Type() string     { return s.Name }
func (*Func) Type() string         { return "function" }

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{index: map[string]int{}} }

// Len returns the number of keys.
func (d *Dict) Len() int { return len(d.entries) }

// Entries returns the entries in insertion order. The slice must not be
// modified.
func (d *Dict) Entries() []Entry { return d.entries }

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []string {
	keys := make([]string, len(d.entries))
	for i, e := range d.entries {
		keys[i] = e.Key
	}
	return keys
}

// Get returns the value for key and whether it is present.
func (d *Dict) Get(key string) (Value, bool) {
	if i, ok := d.index[key]; ok {
		return d.entries[i].Value, true
	}
	return nil, false
}

// Lookup returns the entry for key and whether it is present.
func (d *Dict) Lookup(key string) (Entry, bool) {
	if i, ok := d.index[key]; ok {
		return d.entries[i], true
	}
	return Entry{}, false
}

// Set sets key to v with OpUnion, keeping the key's position if present.
func (d *Dict) Set(key string, v Value) { d.SetEntry(Entry{Key: key, Value: v}) }

// SetEntry stores e, keeping the key's position if present.
func (d *Dict) SetEntry(e Entry) {
	if d.index == nil {
		d.index = map[string]int{}
	}
	if i, ok := d.index[e.Key]; ok {
		d.entries[i] = e
		return
	}
	d.index[e.Key] = len(d.entries)
	d.entries = append(d.entries, e)
}

// Delete removes key, if present, keeping the order of the others.
func (d *Dict) Delete(key string) {
	i, ok := d.index[key]
	if !ok {
		return
	}
	d.entries = append(d.entries[:i], d.entries[i+1:]...)
	delete(d.index, key)
	for j := i; j < len(d.entries); j++ {
		d.index[d.entries[j].Key] = j
	}
}
