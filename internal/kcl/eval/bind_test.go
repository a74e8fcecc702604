package eval

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// runOutcome evaluates cfg and returns its output (planned YAML, the
// stream, or the scalar) or its error text.
func runOutcome(cfg Config) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		return "error: " + err.Error()
	}
	if res.Stream != nil {
		return *res.Stream
	}
	var v value.Value = res.Value
	if res.Scalar != nil {
		v = res.Scalar
	}
	return string(value.EncodeYAML(value.Plan(v, value.PlanOptions{}), value.YAMLOptions{}))
}

// TestBindingsAgree evaluates every kcl-grammar case, evaluator snapshot,
// Konfig stack, testdata/programs archive and bindingCases program twice, by name and on the resolved program (reading
// the resolver's bindings), and requires the same output or error. The
// program is used even when the resolver reports errors: the bindings of
// the names it resolved must still hold.
func TestBindingsAgree(t *testing.T) {
	root := corpusDir(t)
	type run struct {
		name string
		cfg  Config
	}
	var runs []run
	for _, corpus := range []string{"kcl-grammar", "kcl-evaluator-snapshots"} {
		filepath.WalkDir(filepath.Join(root, corpus), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "main.k" {
				return nil
			}
			dir := filepath.Dir(p)
			rel, _ := filepath.Rel(root, dir)
			runs = append(runs, run{rel, Config{Files: []string{"main.k"}, WorkDir: dir, ModRoot: loader.ModRoot(nil, dir)}})
			return nil
		})
	}
	for _, st := range loadKonfigStacks(t) {
		rel, _ := filepath.Rel(root, st.dir)
		runs = append(runs, run{rel, Config{Files: st.files, WorkDir: st.dir, ModRoot: st.modRoot, Options: st.options}})
	}
	for i, src := range bindingCases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.k"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run{fmt.Sprintf("bindingCases[%d]", i), Config{Files: []string{"main.k"}, WorkDir: dir, ModRoot: dir}})
	}
	archives, _ := filepath.Glob("testdata/programs/*.txtar")
	for _, file := range archives {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		files := []string{"main.k"}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".k") {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			if f.Name != "main.k" {
				files = append(files, f.Name)
			}
		}
		sort.Strings(files[1:])
		runs = append(runs, run{file, Config{Files: files, WorkDir: dir, ModRoot: dir,
			Options: []Option{{Key: "app", Value: value.Str("demo")}}}})
	}
	kinds := map[sema.BindingKind]int{}
	same, resolved := 0, 0
	for _, r := range runs {
		r.cfg.Stdout = io.Discard
		files := make([]string, len(r.cfg.Files))
		for i, f := range r.cfg.Files {
			if !filepath.IsAbs(f) {
				f = filepath.Join(r.cfg.WorkDir, f)
			}
			files[i] = f
		}
		prog, err := sema.Load(context.Background(), sema.Config{ModRoot: r.cfg.ModRoot, Files: files})
		if err != nil {
			continue
		}
		resolved++
		for _, p := range prog.EvalPackages() {
			for _, b := range p.Bindings() {
				kinds[b.Kind]++
			}
		}
		byName := runOutcome(r.cfg)
		r.cfg.Program = prog
		bound := runOutcome(r.cfg)
		if testing.Verbose() && strings.HasPrefix(r.name, "bindingCases") {
			t.Logf("%s:\n%s", r.name, bound)
		}
		if byName != bound {
			t.Errorf("%s: by name:\n%s\non the resolved program:\n%s", r.name, byName, bound)
			continue
		}
		same++
	}
	t.Logf("%d of %d runs resolved, %d agree; bindings by kind: %v", resolved, len(runs), same, kinds)
}

// bindingCases are programs whose names the frames may hold where the
// resolver's scopes do not: each must evaluate the same by name and on
// its bindings.
var bindingCases = []string{
	// A subclass attribute shadows a global read in the parent's body.
	`x = 1
schema P:
    a: int = x
    b: int = len([x])
schema C(P):
    x: int = 5
c = C {}
p = P {}
`,
	// A mixin reads its host's attribute; a builtin name as attribute.
	`schema M:
    y: int = host + 1
schema H:
    mixin [M]
    host: int = 2
    len: int = 3
    z = len
h = H {}
`,
	// An inner lambda assigns a name of the outer lambda.
	`f = lambda x {
    y = 1
    g = lambda {
        y = 2
        y + x
    }
    g() + y
}
r = f(10)
`,
	// A local read before and after its conditional assignment.
	`y = 100
f = lambda c {
    a = y
    if c:
        y = 1
    a + y
}
r = [f(True), f(False)]
`,
	// Config keys visible as names, earlier and in if entries.
	`a = 1
c = {
    a = 2
    b = a
    if True:
        d = 3
    e = d if d else 0
}
n = {x = 1, y = {x = 5, z = x}}
`,
	// Comprehension variables shadowing, reused, and as keys.
	`x = 9
l = [x for x in [1, 2] for x in [x * 10]]
m = {k = v for k, v in {a = 1}}
q = all x in [1, 2] { x > 0 }
d = {x = x for x in ["p"]}
`,
	// Repeated declarations merged into one config.
	`schema S:
    a?: int
    b?: int
s: S {a = 1}
s: S {b = a if a else 7}
`,
	// Lambdas created in a comprehension keep their own variable.
	`fs = [lambda { i } for i in range(3)]
r = [f() for f in fs]
`,
	// Schema parameters and check blocks with index signatures.
	`schema D[n: int]:
    [k: str]: int
    v: int = n
    check:
        k not in ["bad"]
        n > 0
d = D(2) {extra = 1}
`,
	// A relaxed key named like a global, read in the body and the checks.
	`g = 1
schema R:
    [...str]: int
    v: int = g + 1
    check:
        g < 100
r = R {g = 50}
`,
	// Rules with parameters, protocols and mixins with a protocol.
	`limit = 3
rule Small[n: int]:
    n < limit
protocol P:
    name: str
mixin M for P:
    upper: str = name.upper()
schema S:
    mixin [M]
    name: str
s = S {name = "a"}
ok = Small(2)
`,
	// Lambda defaults, a parameter shadowing a builtin, closures over
	// comprehension and quantifier variables, interpolation.
	`n = 2
f = lambda a, b = n * 10, len = 1 { "${a}-${b}-${len}" }
g = lambda xs { [y for x in xs for y in [x, x + n] if all z in [y] { z >= x }] }
h = lambda { [lambda { i + j } for i in range(2) for j in [i]] }
r = [f(1), f(1, 2, 3), g([1, 5]), [k() for k in h()]]
`,
	// A lambda in a schema body reads an attribute and a global.
	`k = 10
schema L:
    k: int = 1
    f = lambda x { x + k }
    v = f(1)
l = L {k = 5}
`,
}

// BenchmarkResolveEvalKonfig runs the resolve-first pipeline over every
// corpus Konfig stack: sema.Load, then Run either by name on its own parse
// (the evaluation before bindings) or on the resolved program and its
// bindings.
func BenchmarkResolveEvalKonfig(b *testing.B) {
	stacks := loadKonfigStacks(b)
	for _, mode := range []string{"by-name", "bindings"} {
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, st := range stacks {
					prog, err := sema.Load(context.Background(), sema.Config{ModRoot: st.modRoot, Files: st.files})
					if err != nil {
						b.Fatal(err)
					}
					cfg := Config{Files: st.files, WorkDir: st.dir, ModRoot: st.modRoot, Options: st.options, Stdout: io.Discard}
					if mode == "bindings" {
						cfg.Program = prog
					}
					if _, err := Run(context.Background(), cfg); err != nil {
						b.Fatalf("%s: %v", st.dir, err)
					}
				}
			}
		})
	}
}

// BenchmarkEvalFrames evaluates code that lives in local frames: lambda
// calls, comprehensions and quantifiers (by name, without a resolved
// program).
func BenchmarkEvalFrames(b *testing.B) {
	src := []byte(`f = lambda x, y { z = x + y; z * 2 }
r = [f(i, j) for i in range(200) for j in range(50) if i % 2 == 0]
s = sum([x for x in range(20000)])
q = [all v in [1, 2, 3] { v > w } for w in range(3000)]
d = {"k${i}": i for i in range(3000)}
`)
	for i := 0; i < b.N; i++ {
		cfg := Config{Files: []string{"/x/main.k"}, WorkDir: "/x", Overlay: map[string][]byte{"/x/main.k": src}, Stdout: io.Discard}
		if _, err := Run(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
}
