package suggest

import (
	"math"
	"testing"
)

func TestSimilarity(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"", "", 1},
		{"a", "", 0},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"MARTHA", "MARHTA", 0.9611},
		{"DWAYNE", "DUANE", 0.84},
		{"in", "int", 0.9111},
		{"in", "isunique", 0.775},
		{"ErrOther", "Other", 0.8083},
		{"name_err_key", "name", 0.8667},
		{"abcdefghijk", "abcdefghijkl", 1}, // the prefix bonus is not limited to four runes
	} {
		if got := Similarity(c.a, c.b); math.Abs(got-c.want) > 1e-4 {
			t.Errorf("Similarity(%q, %q) = %.4f, want %.4f", c.a, c.b, got, c.want)
		}
		if got, rev := Similarity(c.a, c.b), Similarity(c.b, c.a); math.Abs(got-rev) > 1e-12 {
			t.Errorf("Similarity(%q, %q) = %v but reversed %v", c.a, c.b, got, rev)
		}
	}
}

// The messages below are those of the corpus's stderr goldens.
func TestDidYouMean(t *testing.T) {
	for _, c := range []struct {
		name  string
		cands []string
		want  string
	}{
		{"frist", []string{"first", "last", "age"}, `, did you mean '["first"]'?`},
		{"key4", []string{"key1", "key2", "key3"}, `, did you mean '["key1", "key2", "key3"]'?`},
		{"baz", []string{"bar"}, `, did you mean '["bar"]'?`},
		{"nam", []string{"name", "age"}, `, did you mean '["name"]'?`},
		{"fields", []string{"field"}, `, did you mean '["field"]'?`},
		{"in", []string{"data", "dataLoop", "int", "isunique"}, `, did you mean '["int"]'?`},
		{"ErrOther", []string{"Base", "Other"}, `, did you mean '["Other"]'?`},
		// From the least to the most similar.
		{"teso", []string{"tempo", "testing"}, `, did you mean '["testing", "tempo"]'?`},
		{"in", []string{"isnullish", "int", "isunique"}, `, did you mean '["int"]'?`},
		{"err_instances", []string{"instances"}, `, did you mean '["instances"]'?`},
		{"first", []string{"gender"}, ""},
		{"x", []string{"x", ""}, ""},
	} {
		if got := DidYouMean(c.name, c.cands); got != c.want {
			t.Errorf("DidYouMean(%q, %q) = %q, want %q", c.name, c.cands, got, c.want)
		}
	}
}

func TestBest(t *testing.T) {
	for _, c := range []struct {
		name  string
		cands []string
		want  string
	}{
		{"imgae", []string{"name", "image", "replicas"}, "image"},
		{"replica", []string{"replicas", "replace"}, "replicas"},
		{"image", []string{"image"}, ""},
		{"zzz", []string{"image"}, ""},
		{"", []string{"image"}, ""},
	} {
		if got := Best(c.name, c.cands); got != c.want {
			t.Errorf("Best(%q, %q) = %q, want %q", c.name, c.cands, got, c.want)
		}
	}
}
