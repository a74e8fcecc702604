package kclrun

import "testing"

// TestCompareYAMLStreams checks the grammar runner's stdout rule on its
// corner cases: key order, int/float, falsy documents, document counts.
func TestCompareYAMLStreams(t *testing.T) {
	tests := []struct {
		golden, got string
		equal       bool
	}{
		{"a: 1\nb: 2\n", "b: 2\na: 1\n", true},
		{"a: 1024\n", "a: 1024.0\n", true},
		{"a: 1e-09\n", "a: 1e-9\n", true},
		{"a: 1\n", "a: 2\n", false},
		{"a: '1'\n", "a: 1\n", false},
		{"a: [1, 2]\n", "a:\n- 1\n- 2\n", true},
		{"a: [1, 2]\n", "a:\n- 2\n- 1\n", false},
		{"", "", true},
		{"", "{}\n", true},
		{"a: 1\n---\n{}\n", "a: 1\n", true},
		{"a: 1\n---\nb: 2\n", "a: 1\n", false},
		{"a: 1\n", "a: 1", false}, // no final newline
		{"a: true\n", "a: 1\n", true},
		{"a: null\n", "a:\n", true},
		{"a: {b: c}\n", "a:\n  b: c\n  d: e\n", false},
		{"a: 1\n", "a: [\n", false},
	}
	for _, tt := range tests {
		msg := compareYAMLStreams(tt.golden, tt.got)
		if (msg == "") != tt.equal {
			t.Errorf("compareYAMLStreams(%q, %q) = %q, want equal=%v", tt.golden, tt.got, msg, tt.equal)
		}
	}
}

func TestCleanStderr(t *testing.T) {
	in := "\x1b[31merror[E1001]\x1b[0m: X\n\n   \n --> f:1:1\n"
	want := "error[E1001]: X\n --> f:1:1"
	if got := cleanStderr(in); got != want {
		t.Errorf("cleanStderr = %q, want %q", got, want)
	}
}

func TestPrimaryMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"error[E2G22]: TypeError\n --> a.k:1:5\n  |\n1 | a: int = \"x\"\n  |     ^ expected int, got str(x)\n  |\n", "TypeError: expected int, got str(x)"},
		{"error[E3M38]: EvaluationError\n --> a.k:2:1\n  |\n2 | b = 1\n  |  boom\n", "EvaluationError: boom"},
		{"error[E3M38]: EvaluationError\nInvalid value for top level arguments\n", "EvaluationError: Invalid value for top level arguments"},
		{"\nraw message\n", "raw message"},
	}
	for _, tt := range tests {
		if got := primaryMessage(tt.in); got != tt.want {
			t.Errorf("primaryMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
