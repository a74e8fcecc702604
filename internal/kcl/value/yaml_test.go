package value

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
	"golang.org/x/tools/txtar"
)

func TestYAMLStrings(t *testing.T) {
	tests := []struct {
		s    string
		want string
	}{
		{"abc", "abc"},
		{"", "''"},
		{"on", "'on'"},
		{"Yes", "'Yes'"},
		{"y", "'y'"},
		{"null", "'null'"},
		{"~", "'~'"},
		{"1", "'1'"},
		{"-1", "'-1'"},
		{"+1", "'+1'"},
		{"1.0", "'1.0'"},
		{"1e3", "'1e3'"},
		{".5", "'.5'"},
		{"0123", "'0123'"},
		{"0x1F", "'0x1F'"},
		{"0xZZ", "'0xZZ'"},
		{"x0", "x0"},
		{"1e999", "'1e999'"},
		{".inf", "'.inf'"},
		{"inf", "inf"},
		{"100m", "'100m'"},
		{"5m", "'5m'"},
		{"1.6.0", "'1.6.0'"},
		{"-c", "'-c'"},
		{"a-c", "a-c"},
		{"-", "'-'"},
		{"- a", "'- a'"},
		{".status", "'.status'"},
		{"a: b", "'a: b'"},
		{"a:b", "a:b"},
		{"a:", "'a:'"},
		{"a #b", "'a #b'"},
		{"a#b", "a#b"},
		{"#a", "'#a'"},
		{"*a", "'*a'"},
		{"{a}", "'{a}'"},
		{"a{b}", "a{b}"},
		{"it's", "it's"},
		{"'q'", "'''q'''"},
		{`"bar"`, `'"bar"'`},
		{" a", "' a'"},
		{"a ", "'a '"},
		{"---", "'---'"},
		{"a\tb", `"a\tb"`},
		{"同步", "同步"},
		{"😀", `"\U0001F600"`},
		{"\x01", `"\x01"`},
		{"a\n", "|\n  a"},
		{"a\nb", "|-\n  a\n  b"},
		{"a\n\n", "|+\n  a\n"},
		{"\nb", "|2-\n\n  b"},
		{"  x\ny", "|2-\n    x\n  y"},
		{"a \nb", `"a \nb"`},
		{"a\nb ", `"a\nb "`},
	}
	for _, tt := range tests {
		got := strings.TrimSuffix(string(EncodeYAML(Str(tt.s), YAMLOptions{})), "\n")
		if got != tt.want {
			t.Errorf("EncodeYAML(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestYAMLGolden decodes each testdata/yaml/*.txtar "in.json" section,
// prints it with the options named in the archive comment and compares with
// the "out.yaml" section.
func TestYAMLGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "yaml", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/yaml/*.txtar")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			ar, err := txtar.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := testutil.Section(ar, "in.json")
			v, err := DecodeJSON(in)
			if err != nil {
				t.Fatal(err)
			}
			var opts YAMLOptions
			comment := string(ar.Comment)
			opts.SortKeys = strings.Contains(comment, "sort_keys")
			opts.IgnoreNone = strings.Contains(comment, "ignore_none")
			opts.IgnorePrivate = strings.Contains(comment, "ignore_private")
			got := EncodeYAML(v, opts)
			testutil.GoldenSection(t, f, ar, "out.yaml", got)
		})
	}
}

func TestPlan(t *testing.T) {
	inner := NewDict()
	inner.Set("_h", Int(1))
	inner.Set("b", None)
	inner.Set("a", Undefined)
	inner.Set("u", Unit{Raw: 1, Suffix: "Ki", Float: 1024})
	d := NewDict()
	d.Set("z", &List{Items: []Value{Int(1), Undefined, None, &Func{Name: "f"}}})
	d.Set("_x", Int(2))
	d.Set("s", &Schema{Name: "S", Attrs: inner})
	tests := []struct {
		opts PlanOptions
		want string
	}{
		{PlanOptions{}, "z:\n- 1\n- null\ns:\n  b: null\n  u: 1024.0\n"},
		{PlanOptions{DisableNone: true}, "z:\n- 1\ns:\n  u: 1024.0\n"},
		{PlanOptions{SortKeys: true, ShowHidden: true}, "_x: 2\ns:\n  _h: 1\n  b: null\n  u: 1024.0\nz:\n- 1\n- null\n"},
	}
	for _, tt := range tests {
		got := string(EncodeYAML(Plan(d, tt.opts), YAMLOptions{}))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Plan(%+v) mismatch (-want +got):\n%s", tt.opts, diff)
		}
	}
}

func TestPlanDropEmptyLists(t *testing.T) {
	c := NewDict()
	c.Set("name", Str("main"))
	c.Set("volumeMounts", &List{})
	c.Set("env", NewDict())
	d := NewDict()
	d.Set("containers", &List{Items: []Value{&Schema{Name: "Container", Attrs: c}}})
	d.Set("args", &List{})
	for _, tt := range []struct {
		drop bool
		want string
	}{
		{false, "containers:\n- name: main\n  volumeMounts: []\n  env: {}\nargs: []\n"},
		{true, "containers:\n- name: main\n  env: {}\n"},
	} {
		got := string(EncodeYAML(d, YAMLOptions{DropEmptyLists: tt.drop}))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("DropEmptyLists=%v (-want +got):\n%s", tt.drop, diff)
		}
	}
}
