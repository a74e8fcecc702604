package override

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const person = `schema Person:
    name: str
    age: int
    ids?: [int]
    labels?: {str:str}

person = Person {
    name = "Alice"
    age = 18
    labels.team = "a"
}
other = {a = 1, b = 2}
`

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		specs []string
		want  string // the changed lines of person, as a replacement list old→new
		edits [][2]string
	}{
		{"set", []string{`person.name="Bob"`, `:person.age=10`}, "", [][2]string{{`name = "Alice"`, `name = "Bob"`}, {`age = 18`, `age = 10`}}},
		{"add", []string{`person.ids=[1, 2]`}, "", [][2]string{{"    labels.team = \"a\"\n", "    labels.team = \"a\"\n    ids = [1, 2]\n"}}},
		{"delete", []string{`person.age-`}, "", [][2]string{{"    age = 18\n", ""}}},
		{"delete absent", []string{`person.nothing-`}, "", nil},
		{"nested dotted key", []string{`person.labels.team="b"`}, "", [][2]string{{`labels.team = "a"`, `labels.team = "b"`}}},
		{"nested add", []string{`person.labels.env="prod"`}, "", [][2]string{{"    labels.team = \"a\"\n", "    labels.team = \"a\"\n    labels.env = \"prod\"\n"}}},
		{"union op", []string{`person.labels:{x = "y"}`}, "", [][2]string{{"    labels.team = \"a\"\n", "    labels.team = \"a\"\n    labels: {x = \"y\"}\n"}}},
		{"inline config", []string{`other.b=3`, `other.c=4`}, "", [][2]string{{`{a = 1, b = 2}`, `{a = 1, b = 3, c = 4}`}}},
		{"inline delete", []string{`other.a-`}, "", [][2]string{{`{a = 1, b = 2}`, `{b = 2}`}}},
		{"whole value", []string{`other={z = 0}`}, "", [][2]string{{`{a = 1, b = 2}`, `{z = 0}`}}},
		{"new top-level", []string{`extra=5`}, "", [][2]string{{"other = {a = 1, b = 2}\n", "other = {a = 1, b = 2}\nextra = 5\n"}}},
		{"delete top-level", []string{`other-`}, "", [][2]string{{"other = {a = 1, b = 2}\n", ""}}},
		{"main package", []string{`__main__:person.age=1`}, "", [][2]string{{`age = 18`, `age = 1`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var specs []Spec
			for _, s := range tt.specs {
				sp, err := Parse(s)
				if err != nil {
					t.Fatal(err)
				}
				specs = append(specs, sp)
			}
			got, changed, err := Apply("main.k", []byte(person), specs)
			if err != nil {
				t.Fatal(err)
			}
			want := person
			for _, e := range tt.edits {
				if !strings.Contains(want, e[0]) {
					t.Fatalf("test data: %q not in the source", e[0])
				}
				want = strings.Replace(want, e[0], e[1], 1)
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("Apply(%q) (-want +got):\n%s", tt.specs, diff)
			}
			if changed != (len(tt.edits) > 0) {
				t.Errorf("changed = %v", changed)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		err  string
	}{
		{in: `app.replicas=5`, want: Spec{Path: []string{"app", "replicas"}, Op: "=", Value: "5"}},
		{in: `:app.name="x"`, want: Spec{Path: []string{"app", "name"}, Op: "=", Value: `"x"`}},
		{in: `pkg.sub:app.name="x"`, want: Spec{Pkg: "pkg.sub", Path: []string{"app", "name"}, Op: "=", Value: `"x"`}},
		{in: `app.labels:{a = "b"}`, want: Spec{Path: []string{"app", "labels"}, Op: ":", Value: `{a = "b"}`}},
		{in: `app.list+=[1]`, want: Spec{Path: []string{"app", "list"}, Op: "+=", Value: `[1]`}},
		{in: `app["dot.key"].c-`, want: Spec{Path: []string{"app", "dot.key", "c"}, Op: "-"}},
		{in: `=5`, err: "no attribute path"},
		{in: `app.`, err: "a name must follow"},
		{in: `app.x`, err: "want =, :, += or a final -"},
		{in: `app.x=`, err: "empty value"},
		{in: `app.x=(1`, err: "not a KCL expression"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		tt.want.Source = tt.in
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
