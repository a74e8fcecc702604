package value

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// laughs returns a "billion laughs" YAML document: levels anchored lists,
// each holding width aliases of the previous one.
func laughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [" + strings.TrimSuffix(strings.Repeat(`"lol",`, width), ",") + "]\n")
	for i := 1; i < levels; i++ {
		items := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), width), ",")
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, items)
	}
	return b.String()
}

func TestDecodeYAMLAliasLimit(t *testing.T) {
	bomb := laughs(9, 9) // 9^9 strings from 342 bytes
	tests := []struct {
		name    string
		doc     string
		all     bool
		opts    DecodeOptions
		wantErr string // "" = no error
	}{
		{"bomb, default limit", bomb, false, DecodeOptions{}, "decode yaml: alias expansion limit exceeded: the document's aliases expand to more than 1000000 nodes"},
		{"bomb, decode_all", bomb + "---\n" + bomb, true, DecodeOptions{}, "alias expansion limit exceeded"},
		// laughs(3, 3): l1 holds 3 aliases of l0 (4 nodes each), l2 3 of
		// l1 (13 nodes each): 51 nodes built through aliases.
		{"one past the limit", laughs(3, 3), false, DecodeOptions{MaxAliasNodes: 50}, "aliases expand to more than 50 nodes"},
		{"at the limit", laughs(3, 3), false, DecodeOptions{MaxAliasNodes: 51}, ""},
		{"no limit", laughs(4, 4), false, DecodeOptions{MaxAliasNodes: -1}, ""},
		// decode_all counts the aliases of the whole stream.
		{"stream total", laughs(3, 3) + "---\n" + laughs(3, 3), true, DecodeOptions{MaxAliasNodes: 60}, "aliases expand to more than 60 nodes"},
		{"memory budget", laughs(6, 6), false, DecodeOptions{Budget: NewBudget(context.Background(), 1<<20)}, "memory budget exceeded: the values built need more than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.all {
				_, err = DecodeYAMLAllWith([]byte(tt.doc), tt.opts)
			} else {
				_, err = DecodeYAMLWith([]byte(tt.doc), tt.opts)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
	var ae *AliasLimitError
	if _, err := DecodeYAML([]byte(bomb)); !errors.As(err, &ae) || ae.Limit != DefaultMaxAliasNodes {
		t.Errorf("DecodeYAML(bomb) error = %v, want an *AliasLimitError of %d", err, DefaultMaxAliasNodes)
	}
	// Aliases still resolve to equal values.
	v, err := DecodeYAML([]byte("a: &x {k: [1, 2]}\nb: *x\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	a, _ := d.Get("a")
	b, _ := d.Get("b")
	if !Equal(a, b) {
		t.Errorf("alias b = %s, want %s", Repr(b), Repr(a))
	}
}

func TestDecodeJSONBudget(t *testing.T) {
	doc := "[" + strings.TrimSuffix(strings.Repeat(`{"k": "vvvvvvvvvv"},`, 10000), ",") + "]"
	if _, err := DecodeJSONWith([]byte(doc), DecodeOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := DecodeJSONWith([]byte(doc), DecodeOptions{Budget: NewBudget(context.Background(), 64<<10)})
	var be *BudgetError
	if !errors.As(err, &be) || be.Limit != 64<<10 {
		t.Fatalf("error = %v, want a *BudgetError of 64 KiB", err)
	}
}

// shared returns {a = d(n-1), b = d(n-1)} … down to {a = 1}: 2^n leaves
// built from n dicts.
func shared(n int) Value {
	d := NewDict()
	d.Set("a", Int(1))
	for i := 0; i < n; i++ {
		nd := NewDict()
		nd.Set("a", d)
		nd.Set("b", d)
		d = nd
	}
	return d
}

// TestBudgetExpandsShared checks that the operations that expand shared
// structure (copy, plan, str, encodings) are charged for the expansion and
// stop at the budget, however large the expansion would be.
func TestBudgetExpandsShared(t *testing.T) {
	v := shared(40) // 2^40 leaves once expanded
	ops := map[string]func(b *Budget){
		"CopyCounted":  func(b *Budget) { CopyCounted(v, b) },
		"Plan":         func(b *Budget) { Plan(v, PlanOptions{Budget: b}) },
		"EncodeYAML":   func(b *Budget) { EncodeYAML(v, YAMLOptions{Budget: b}) },
		"EncodeJSON":   func(b *Budget) { EncodeJSON(v, JSONOptions{Budget: b}) },
		"ToStrCounted": func(b *Budget) { ToStrCounted(v, b) },
		"FormatCounted #yaml": func(b *Budget) {
			if _, err := FormatCounted("#yaml", v, b); err != nil {
				t.Fatal(err)
			}
		},
		"EncodeYAMLStream": func(b *Budget) { EncodeYAMLStream([]Value{v, v}, YAMLOptions{Budget: b}, "") },
		// UnionEntry copies the value it merges into (it may be shared).
		"UnionEntry": func(b *Budget) {
			if err := UnionEntry(dictOf("x", v), Entry{Key: "x", Value: NewDict()}, &UnionOptions{Budget: b}, ""); err == nil {
				t.Error("UnionEntry: no error")
			}
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			b := NewBudget(context.Background(), 1<<20)
			op(b)
			var be *BudgetError
			if !errors.As(b.Err(), &be) {
				t.Fatalf("budget error = %v, want a *BudgetError", b.Err())
			}
			if want := "memory budget exceeded: the values built need more than 1 MiB"; be.Error() != want {
				t.Errorf("error = %q, want %q", be.Error(), want)
			}
		})
	}
}

// dictOf returns {key: v}.
func dictOf(key string, v Value) *Dict {
	d := NewDict()
	d.Set(key, v)
	return d
}

// TestBudgetStopsWithContext checks that a long operation charging the
// budget ends soon after its context is done, with the context's error.
func TestBudgetStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := NewBudget(ctx, 0) // no memory limit: only ctx stops it
	Plan(shared(40), PlanOptions{Budget: b})
	if !errors.Is(b.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", b.Err())
	}
	if b.Used() > 4096*(SizeDict+2*SizeDictEntry) {
		t.Errorf("planned %d bytes after the cancellation", b.Used())
	}
}

func TestBudgetBasics(t *testing.T) {
	var nilBudget *Budget
	if !nilBudget.Charge(1<<62) || nilBudget.Err() != nil || nilBudget.Used() != 0 {
		t.Error("a nil budget must be unlimited")
	}
	b := NewBudget(context.Background(), 100)
	if !b.Charge(100) {
		t.Fatal("charge up to the limit refused")
	}
	if b.Charge(1) {
		t.Fatal("charge past the limit accepted")
	}
	if b.Charge(0) || b.Err() == nil {
		t.Fatal("the budget must stay spent")
	}
	for n, want := range map[int64]string{512: "512 B", 1 << 10: "1 KiB", 256 << 20: "256 MiB", 3 << 29: "1.5 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestEncodeWithinBudget checks that a budget large enough changes
// nothing in the output.
func TestEncodeWithinBudget(t *testing.T) {
	v := shared(6)
	b := NewBudget(context.Background(), 1<<30)
	if got, want := string(EncodeYAML(v, YAMLOptions{Budget: b})), string(EncodeYAML(v, YAMLOptions{})); got != want {
		t.Errorf("EncodeYAML with a budget:\n%s\nwant:\n%s", got, want)
	}
	if got, want := string(EncodeJSON(v, JSONOptions{Budget: b, Indent: 2})), string(EncodeJSON(v, JSONOptions{Indent: 2})); got != want {
		t.Errorf("EncodeJSON with a budget:\n%s\nwant:\n%s", got, want)
	}
	if got, want := ToStrCounted(v, b), ToStr(v); got != want {
		t.Errorf("ToStrCounted = %s, want %s", got, want)
	}
	if b.Err() != nil || b.Used() == 0 {
		t.Errorf("Err = %v, Used = %d", b.Err(), b.Used())
	}
}

// TestEqualShared checks that equality compares shared structure once:
// two separately built values of 2^60 leaves each compare at once.
func TestEqualShared(t *testing.T) {
	a, b := shared(60), shared(60)
	if !Equal(a, b) {
		t.Error("equal shared values compare unequal")
	}
	c := shared(60).(*Dict)
	c.Set("extra", Int(1))
	if Equal(a, c) || Equal(c, a) {
		t.Error("different shared values compare equal")
	}
	if Equal(&List{Items: []Value{Float(math.NaN())}}, &List{Items: []Value{Float(math.NaN())}}) {
		t.Error("NaN equals NaN")
	}
}
