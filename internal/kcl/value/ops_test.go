package value

import (
	"strings"
	"testing"
)

func dict(kv ...any) *Dict {
	d := NewDict()
	for i := 0; i+1 < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1].(Value))
	}
	return d
}

func list(items ...Value) *List { return &List{Items: items} }

func TestTruthyEqualCompare(t *testing.T) {
	truthy := []struct {
		v    Value
		want bool
	}{
		{None, false}, {Undefined, false}, {Int(0), false}, {Float(0), false}, {Str(""), false},
		{list(), false}, {NewDict(), false}, {Bool(false), false},
		{Int(1), true}, {Str("a"), true}, {list(Int(0)), true}, {dict("a", None), true},
	}
	for _, c := range truthy {
		if got := Truthy(c.v); got != c.want {
			t.Errorf("Truthy(%#v) = %v, want %v", c.v, got, c.want)
		}
	}
	equal := []struct {
		a, b Value
		want bool
	}{
		{Int(1), Float(1), true},
		{Int(1), Int(2), false},
		{list(Int(1), Str("a")), list(Float(1), Str("a")), true},
		{dict("a", Int(1), "b", Int(2)), dict("b", Int(2), "a", Int(1)), true},
		{dict("a", Int(1)), dict("a", Int(1), "b", Int(2)), false},
		{None, Undefined, false},
		{Str("1"), Int(1), false},
	}
	for _, c := range equal {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	compare := []struct {
		a, b Value
		want int
	}{
		{Int(1), Float(1.5), -1}, {Str("b"), Str("a"), 1}, {list(Int(1), Int(2)), list(Int(1)), 1}, {Int(3), Int(3), 0},
	}
	for _, c := range compare {
		got, err := Compare(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("Compare(%v, %v) = %d, %v; want %d", c.a, c.b, got, err, c.want)
		}
	}
	if _, err := Compare(Int(1), Str("a")); err == nil {
		t.Error("Compare(int, str) succeeded")
	}
}

func TestCopyIsDeep(t *testing.T) {
	inner := list(Int(1))
	d := dict("l", inner)
	c := Copy(d).(*Dict)
	inner.Items[0] = Int(2)
	got, _ := c.Get("l")
	if !Equal(got, list(Int(1))) {
		t.Errorf("copy shares its list: %v", got)
	}
}

func TestBinary(t *testing.T) {
	cases := []struct {
		op   string
		a, b Value
		o    ArithOptions
		want Value
		err  string
	}{
		{op: "+", a: Int(1), b: Int(2), want: Int(3)},
		{op: "+", a: Int(1), b: Float(0.5), want: Float(1.5)},
		{op: "+", a: Str("a"), b: Str("b"), want: Str("ab")},
		{op: "+", a: list(Int(1)), b: list(Int(2)), want: list(Int(1), Int(2))},
		{op: "+", a: Int(1), b: Str("a"), err: "unsupported operand type(s) for +: 'int' and 'str'"},
		{op: "+", a: list(), b: None, err: `can only concatenate list (not "NoneType") to list`},
		{op: "/", a: Int(1), b: Int(2), want: Float(0.5)},
		{op: "//", a: Int(-7), b: Int(2), want: Int(-4)},
		{op: "%", a: Int(-7), b: Int(2), want: Int(1)},
		{op: "%", a: Float(-7), b: Float(2), want: Float(-1)},
		{op: "**", a: Int(2), b: Int(10), want: Int(1024)},
		{op: "*", a: Str("ab"), b: Int(2), want: Str("abab")},
		{op: "*", a: Int(2), b: list(Int(1)), want: list(Int(1), Int(1))},
		{op: "<<", a: Int(1), b: Int(3), want: Int(8)},
		{op: "+", a: Int(9223372036854775807), b: Int(1), err: "9223372036854775808: A 64 bit integer overflow"},
		{op: "+", a: Int(2147483647), b: Int(1), o: ArithOptions{StrictRange: true}, err: "2147483648: A 32 bit integer overflow"},
		{op: "*", a: Float(3.4e38), b: Float(100), o: ArithOptions{StrictRange: true}, err: "3.4e40: A 32-bit floating point number overflow"},
	}
	for _, c := range cases {
		got, err := Binary(c.op, c.a, c.b, c.o)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%v %s %v: error %v, want %q", c.a, c.op, c.b, err, c.err)
			}
			continue
		}
		if err != nil || !Equal(got, c.want) || got.Type() != c.want.Type() {
			t.Errorf("%v %s %v = %v (%v), want %v", c.a, c.op, c.b, got, err, c.want)
		}
	}
}

func TestUnion(t *testing.T) {
	idx := 0
	cases := []struct {
		name string
		a, b Value
		o    UnionOptions
		want Value
		err  string
	}{
		{name: "lists by index", a: list(Int(1), Int(2), Int(3)), b: list(Int(4), Int(5)), want: list(Int(4), Int(5), Int(3))},
		{name: "dict merge", a: dict("a", dict("x", Int(1))), b: dict("a", dict("y", Int(2))), want: dict("a", dict("x", Int(1), "y", Int(2)))},
		{name: "none left", a: None, b: Int(1), want: Int(1)},
		{name: "scalar override", a: dict("a", Int(1)), b: dict("a", Int(2)), want: dict("a", Int(2))},
		{name: "conflict", a: dict("a", Int(1)), b: dict("a", Int(2)), o: UnionOptions{Idempotent: true}, err: "conflicting values on the attribute 'a'"},
		{name: "top conflict", a: Int(1), b: Int(2), o: UnionOptions{Idempotent: true}, err: "conflicting values between 2 and 1"},
		{name: "operator mismatch", a: list(), b: NewDict(), o: UnionOptions{Operator: true}, err: "unsupported operand type(s) for |: 'list' and 'dict'"},
		{name: "override entry", a: dict("a", list(Int(1))), b: func() Value {
			d := NewDict()
			d.SetEntry(Entry{Key: "a", Value: list(Int(2)), Op: OpOverride})
			return d
		}(), want: dict("a", list(Int(2)))},
		{name: "insert entry", a: dict("a", list(Int(1))), b: func() Value {
			d := NewDict()
			d.SetEntry(Entry{Key: "a", Value: list(Int(2)), Op: OpInsert})
			return d
		}(), want: dict("a", list(Int(1), Int(2)))},
		{name: "index override", a: dict("a", list(Int(1), Int(2))), b: func() Value {
			d := NewDict()
			d.SetEntry(Entry{Key: "a", Value: Int(9), Op: OpOverride, Index: &idx})
			return d
		}(), want: dict("a", list(Int(9), Int(2)))},
	}
	for _, c := range cases {
		o := c.o
		got, err := Union(Copy(c.a), c.b, &o)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%s: error %v, want prefix %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !Equal(got, c.want) {
			t.Errorf("%s: got %v (%v), want %v", c.name, got, err, c.want)
		}
	}
}
