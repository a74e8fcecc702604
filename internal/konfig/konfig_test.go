package konfig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// moduleRoot returns the directory holding go.mod.
func moduleRoot(t testing.TB) string { return testutil.ModuleRoot(t) }

// corpusKonfig returns the corpus Konfig directory or skips the test.
func corpusKonfig(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "..", "shared", "corpus", "konfig")
	if !fileExists(filepath.Join(dir, ModFile)) {
		t.Skipf("corpus Konfig not found at %s (../shared/corpus/konfig relative to the repository root)", dir)
	}
	return filepath.Clean(dir)
}

// repoSummary is a path-relative view of a Repo for golden comparison.
type repoSummary struct {
	Projects []projectSummary `json:"projects"`
	Stacks   []stackSummary   `json:"stacks"`
}

type projectSummary struct {
	Name, Tenant, Dir string
	Stacks            []string
}

type stackSummary struct {
	Name, Dir, Project, ModRoot string
	Files, Settings             []string
	Options                     []Option
	DisableNone                 bool
}

func summarize(r *Repo) repoSummary {
	rel := func(p string) string { return filepath.ToSlash(RelPath(p, r.Root)) }
	var s repoSummary
	for _, p := range r.Projects {
		ps := projectSummary{Name: p.Name, Tenant: p.Tenant, Dir: rel(p.Dir)}
		for _, st := range p.Stacks {
			ps.Stacks = append(ps.Stacks, rel(st.Dir))
		}
		s.Projects = append(s.Projects, ps)
	}
	for _, st := range r.Stacks {
		ss := stackSummary{Name: st.Name, Dir: rel(st.Dir), Project: st.ProjectName(), ModRoot: rel(st.ModRoot),
			Options: st.Options, DisableNone: st.DisableNone}
		for _, f := range st.Files {
			ss.Files = append(ss.Files, rel(f))
		}
		for _, f := range st.Settings {
			ss.Settings = append(ss.Settings, rel(f))
		}
		s.Stacks = append(s.Stacks, ss)
	}
	return s
}

func TestDiscover(t *testing.T) {
	repo, err := Discover(context.Background(), filepath.Join("testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(summarize(repo), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, filepath.Join("testdata", "discover.golden.json"), append(got, '\n'))
}

func TestDiscoverCorpus(t *testing.T) {
	dir := corpusKonfig(t)
	repo, err := Discover(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Stacks) != 28 {
		t.Errorf("found %d stacks, want the corpus's 28", len(repo.Stacks))
	}
	for _, st := range repo.Stacks {
		if st.Project == nil {
			t.Errorf("stack %s has no project", st.Dir)
			continue
		}
		for _, f := range st.Files {
			if !fileExists(f) {
				t.Errorf("stack %s lists %s, which does not exist", st.Dir, f)
			}
		}
		if last := filepath.Base(st.Files[len(st.Files)-1]); !strings.HasSuffix(last, ".k") {
			t.Errorf("stack %s: last file %s is not a .k file", st.Dir, last)
		}
	}
}

func TestLoadStackFromFile(t *testing.T) {
	dir := FindStackDir(filepath.Join("testdata", "repo", "alpha", "dev", "main.k"))
	want, _ := filepath.Abs(filepath.Join("testdata", "repo", "alpha", "dev"))
	if dir != want {
		t.Fatalf("FindStackDir = %q, want %q", dir, want)
	}
	if d := FindStackDir(filepath.Join("testdata", "repo", "models")); d != "" {
		t.Errorf("FindStackDir(models) = %q, want none", d)
	}
	st, err := LoadStack(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.ProjectName() != "alpha-app" || st.Name != "dev" {
		t.Errorf("stack = %s/%s, want alpha-app/dev", st.ProjectName(), st.Name)
	}
}

// TestStreamToResources runs the txtar cases of testdata/stream: the input
// stream `stream.yaml` and either the resources `want.yaml` (the golden
// list form) or the error text `error`.
func TestStreamToResources(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "stream", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no stream cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			parts := map[string][]byte{}
			for _, f := range ar.Files {
				parts[f.Name] = f.Data
			}
			res, err := ResourcesFromStream(parts["stream.yaml"])
			if want, ok := parts["error"]; ok {
				if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(string(want))) {
					t.Fatalf("error = %v, want one containing %q", err, strings.TrimSpace(string(want)))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteSpec(&buf, &spec.Spec{Resources: res}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(parts["want.yaml"]), buf.String()); diff != "" {
				t.Errorf("resources mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompileProgram compiles the testdata stacks with an evaluator that
// records the program it is given and returns the stack's testdata
// stream (`stream.yaml` beside stack.yaml), checking the program and the
// spec (with the project's CRDs appended) against goldens.
func TestCompileProgram(t *testing.T) {
	repo, err := Discover(context.Background(), filepath.Join("testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range repo.Stacks {
		rel := filepath.ToSlash(RelPath(st.Dir, repo.Root))
		t.Run(rel, func(t *testing.T) {
			var prog *Program
			ev := EvaluatorFunc(func(ctx context.Context, p *Program) ([]byte, error) {
				prog = p
				data, err := os.ReadFile(filepath.Join(p.WorkDir, "stream.yaml"))
				if os.IsNotExist(err) {
					return nil, nil
				}
				return data, err
			})
			sp, err := Compile(context.Background(), st, CompileOptions{Evaluator: ev, Args: []string{"replicas=4"}})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			for i, f := range prog.Files {
				prog.Files[i] = filepath.ToSlash(RelPath(f, repo.Root))
			}
			prog.WorkDir = filepath.ToSlash(RelPath(prog.WorkDir, repo.Root))
			prog.ModRoot = filepath.ToSlash(RelPath(prog.ModRoot, repo.Root))
			prog.Root = filepath.ToSlash(RelPath(prog.Root, repo.Root))
			pj, err := json.MarshalIndent(prog, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(pj)
			buf.WriteString("\n---\n")
			if err := WriteSpec(&buf, sp); err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join(st.Dir, "compile.golden"), buf.Bytes())
		})
	}
}

func TestStacksIncluding(t *testing.T) {
	repo, err := Discover(context.Background(), filepath.Join("testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file string
		want []string
	}{
		{"models/app/util.k", []string{"alpha/dev", "alpha/prod"}}, // imported relatively by app.k
		{"models/app/app.k", []string{"alpha/dev", "alpha/prod"}},  // imported package
		{"models/app/_private.k", nil},                             // not part of the package
		{"models/render.k", []string{"alpha/dev"}},                 // listed via ${KCL_MOD}
		{"alpha/dev/main.k", []string{"alpha/dev"}},                // listed
		{"beta/test/a.k", []string{"beta/test"}},                   // directory default
		{"beta/test/a_test.k", nil},                                // test files are excluded
		{"alpha/base/base.k", []string{"alpha/dev", "alpha/prod"}}, // shared base
		{"alpha/dev/stack.yaml", nil},                              // not KCL
		{"alpha/dev/kcl.yaml", []string{"alpha/dev"}},
		{"alpha/dev/ci-test/settings.yaml", []string{"alpha/dev"}},
	}
	for _, c := range cases {
		stacks, err := repo.StacksIncluding(context.Background(), filepath.Join(repo.Root, c.file), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, st := range stacks {
			got = append(got, filepath.ToSlash(RelPath(st.Dir, repo.Root)))
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("StacksIncluding(%s) mismatch (-want +got):\n%s", c.file, diff)
		}
	}
}

func TestStacksIncludingOverlay(t *testing.T) {
	repo, err := Discover(context.Background(), filepath.Join("testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	// An unsaved buffer of beta/test/a.k that imports the models package,
	// broken so that only the import scan can read it.
	overlay := map[string][]byte{filepath.Join(repo.Root, "beta", "test", "a.k"): []byte("import models.app\nb = (\n")}
	read := func(p string) ([]byte, error) {
		if d, ok := overlay[p]; ok {
			return d, nil
		}
		return os.ReadFile(p)
	}
	stacks, err := repo.StacksIncluding(context.Background(), filepath.Join(repo.Root, "models", "app", "util.k"), read)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range stacks {
		got = append(got, filepath.ToSlash(RelPath(st.Dir, repo.Root)))
	}
	if diff := cmp.Diff([]string{"alpha/dev", "alpha/prod", "beta/test"}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestStacksIncludingCorpus(t *testing.T) {
	dir := corpusKonfig(t)
	repo, err := Discover(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file string
		want int // number of stacks
		has  string
	}{
		{"appops/wordpress/base/base.k", 1, "appops/wordpress/dev"},
		// render.k is listed by the 26 stacks outside clouds/, and imports
		// the whole model library.
		{"base/pkg/kusion_models/kube/render/render.k", 26, "base/examples/monitoring/prometheus-rules/alert"},
		{"base/pkg/kusion_models/kube/frontend/container/port/container_port.k", 26, "appops/guestbook/prod"},
		// alicloud_backend is a package the server back-end imports; the
		// oss stack lists one of its files; the instance stack lists
		// another and imports neither the package nor this file.
		{"base/pkg/kusion_clouds/alicloud_backend/alicloud_oss_backend.k", 27, "clouds/alicloud/alicloud_oss/oss"},
		{"base/pkg/kusion_clouds/alicloud_backend/alicloud_instance_backend.k", 27, "clouds/alicloud/alicloud_instance/instance"},
	}
	for _, c := range cases {
		stacks, err := repo.StacksIncluding(context.Background(), filepath.Join(dir, c.file), nil)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, st := range stacks {
			found = found || RelPath(st.Dir, dir) == filepath.FromSlash(c.has)
		}
		if len(stacks) != c.want || !found {
			t.Errorf("StacksIncluding(%s): %d stacks (has %s: %v), want %d including it", c.file, len(stacks), c.has, found, c.want)
		}
	}
}

func TestDiffSpecs(t *testing.T) {
	a := mustSpec(t, `
- id: a
  type: Kubernetes
  attributes: {x: 1, l: [1, 2, {k: v}]}
  dependsOn: [b, c]
- id: b
  type: Kubernetes
  attributes: {y: 2.5}
`)
	same := mustSpec(t, `
- id: b
  type: Kubernetes
  attributes: {y: 2.5}
- type: Kubernetes
  id: a
  dependsOn: [c, b]
  attributes: {l: [{k: v}, 2, 1.0], x: 1.0}
`)
	other := mustSpec(t, `
- id: b
  type: Kubernetes
  attributes: {y: 2.5}
- id: a
  type: Kubernetes
  dependsOn: [c, b]
  attributes: {l: [{k: w}, 2, 1], x: 1}
`)
	if d := DiffSpecs(a, same); d != "" {
		t.Errorf("specs equal but for order differ:\n%s", d)
	}
	if d := DiffSpecs(a, other); !strings.Contains(d, `"w"`) {
		t.Errorf("diff of different specs = %q, want it to show the changed value", d)
	}
}

func mustSpec(t *testing.T, src string) *spec.Spec {
	t.Helper()
	sp, err := ReadSpec([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestGoldenRoundTrip reads each corpus golden and writes it back: the
// output must be byte-identical, so that `compile` prints the goldens' form.
func TestGoldenRoundTrip(t *testing.T) {
	dir := corpusKonfig(t)
	repo, err := Discover(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range repo.Stacks {
		data, err := os.ReadFile(st.GoldenPath())
		if err != nil {
			t.Fatal(err)
		}
		sp, err := ReadSpec(data)
		if err != nil {
			t.Fatalf("%s: %v", st.GoldenPath(), err)
		}
		var buf bytes.Buffer
		if err := WriteSpec(&buf, sp); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(data), buf.String()); diff != "" {
			t.Errorf("%s: round trip mismatch (-golden +written):\n%s", st.GoldenPath(), diff)
		}
	}
}

// TestCheckFailureLocation compiles the testdata/policy stacks, whose
// values break the model's check: blocks, and compares the problems (as
// `check` prints them) with testdata/policy.golden: each must point at the
// developer's value, with the check beside it.
func TestCheckFailureLocation(t *testing.T) {
	repo, err := Discover(context.Background(), filepath.Join("testdata", "policy"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, r := range CompileAll(context.Background(), repo.Stacks, CompileAllOptions{}) {
		fmt.Fprintf(&buf, "# %s\n", filepath.ToSlash(RelPath(r.Stack.Dir, repo.Root)))
		if r.Err == nil {
			fmt.Fprintf(&buf, "ok: %d resources\n", len(r.Spec.Resources))
		}
		for _, p := range r.Stack.Problems(r.Err) {
			buf.WriteString(filepath.ToSlash(p.Format(repo.Root)) + "\n")
		}
	}
	testutil.Golden(t, filepath.Join("testdata", "policy.golden"), buf.Bytes())
}

// BenchmarkStacksIncluding answers "which corpus stacks include
// container_port.k": the first call builds the repository's include index,
// the others look it up.
func BenchmarkStacksIncluding(b *testing.B) {
	dir := corpusKonfig(b)
	repo, err := Discover(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "base", "pkg", "kusion_models", "kube", "frontend", "container", "port", "container_port.k")
	for b.Loop() {
		if _, err := repo.StacksIncluding(context.Background(), file, nil); err != nil {
			b.Fatal(err)
		}
	}
}
