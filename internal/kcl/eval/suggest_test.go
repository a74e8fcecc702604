package eval

import "testing"

func TestSuggestion(t *testing.T) {
	for _, c := range []struct {
		name  string
		cands []string
		want  string
	}{
		{"frist", []string{"first", "last", "age"}, `, did you mean '["first"]'?`},
		{"key4", []string{"key1", "key2", "key3"}, `, did you mean '["key1", "key2", "key3"]'?`},
		{"baz", []string{"bar"}, `, did you mean '["bar"]'?`},
		{"first", []string{"gender"}, ""},
	} {
		if got := suggestion(c.name, c.cands); got != c.want {
			t.Errorf("suggestion(%q, %q) = %q, want %q", c.name, c.cands, got, c.want)
		}
	}
}
