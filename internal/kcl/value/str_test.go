package value

import (
	"math"
	"testing"
)

func TestToStr(t *testing.T) {
	d := NewDict()
	d.Set("k", Str("v"))
	d.Set("n", Int(1))
	d.Set("q", Str("it's"))
	d.Set("l", &List{Items: []Value{Str("a"), None}})
	tests := []struct {
		v    Value
		want string
	}{
		{None, "None"},
		{Undefined, "Undefined"},
		{Bool(true), "True"},
		{Bool(false), "False"},
		{Int(-3), "-3"},
		{Float(1), "1.0"},
		{Float(1.5), "1.5"},
		{Float(1e-9), "0.000000001"},
		{Float(1e20), "100000000000000000000.0"},
		{Float(math.Inf(1)), "inf"},
		{Unit{Raw: 1, Suffix: "Ki", Float: 1024}, "1Ki"},
		{Str("x"), "x"},
		{&List{Items: []Value{Str("a"), Int(1), Bool(true)}}, "['a', 1, True]"},
		{d, `{'k': 'v', 'n': 1, 'q': "it's", 'l': ['a', None]}`},
		{&Schema{Name: "S", Attrs: d}, `{'k': 'v', 'n': 1, 'q': "it's", 'l': ['a', None]}`},
		{&Func{Name: "f"}, "function"},
	}
	for _, tt := range tests {
		if got := ToStr(tt.v); got != tt.want {
			t.Errorf("ToStr(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestFormatFloatRyu(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{2, "2.0"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{0.001, "0.001"},
		{1e-5, "0.00001"},
		{1e-6, "1e-6"},
		{1e-9, "1e-9"},
		{1.024e-6, "1.024e-6"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e16"},
		{1.5e17, "1.5e17"},
		{1000000, "1000000.0"},
		{1073741824, "1073741824.0"},
		{-4.6, "-4.6"},
		{123.456, "123.456"},
		{math.Inf(1), ".inf"},
		{math.Inf(-1), "-.inf"},
		{math.NaN(), ".nan"},
	}
	for _, tt := range tests {
		if got := FormatFloatRyu(tt.f); got != tt.want {
			t.Errorf("FormatFloatRyu(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestFormatSpec(t *testing.T) {
	d := NewDict()
	d.Set("k", Str("v"))
	tests := []struct {
		spec string
		v    Value
		want string
		err  bool
	}{
		{"", Int(1), "1", false},
		{" #json", d, `{"k": "v"}`, false},
		{"#JSON", &List{Items: []Value{Int(1), Float(1.2), None, Bool(true)}}, `[1, 1.2, null, true]`, false},
		{"#yaml", d, "k: v\n", false},
		{"#js", d, "", true},
	}
	for _, tt := range tests {
		got, err := Format(tt.spec, tt.v)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Format(%q, %v) = %q, %v; want %q (error %v)", tt.spec, tt.v, got, err, tt.want, tt.err)
		}
	}
}
