package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/graph"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/k8stest"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime"
	"github.com/konfig-lsp/konfig-lsp/internal/engine/runtime/kubernetes"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// corpusFloor is the number of Konfig corpus stacks whose Kubernetes
// resources must apply, re-preview as all UnChanged and destroy.
const corpusFloor = 20

// corpusDir returns ../shared/corpus/konfig next to the repository.
func corpusDir(t *testing.T) string {
	root, err := k8stest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "corpus", "konfig")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("Konfig corpus not found at %s (the corpus lives beside the repository)", dir)
	}
	return dir
}

// loadGolden reads a stack's ci-test/stdout.golden.yaml as a spec.
func loadGolden(path string) (*spec.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []spec.Resource
	if err := yaml.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &spec.Spec{Resources: rs}, nil
}

// isolate renames every namespace N of sp to N-<suffix> (objects, ids,
// dependsOn and references), so that stacks sharing a namespace do not meet.
func isolate(sp *spec.Spec, suffix string) *spec.Spec {
	names := map[string]bool{}
	for _, r := range sp.Resources {
		if r.Type != spec.Kubernetes {
			continue
		}
		md, _ := r.Attributes["metadata"].(map[string]any)
		if ns, _ := md["namespace"].(string); ns != "" {
			names[ns] = true
		}
		if r.Attributes["kind"] == "Namespace" {
			if n, _ := md["name"].(string); n != "" {
				names[n] = true
			}
		}
	}
	for _, sys := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		delete(names, sys) // exist in every cluster; never created by a stack
	}
	renameID := func(id string) string {
		parts := strings.Split(id, ":")
		switch {
		case len(parts) == 3 && parts[1] == "Namespace" && names[parts[2]]:
			parts[2] += "-" + suffix
		case len(parts) == 4 && names[parts[2]]:
			parts[2] += "-" + suffix
		}
		return strings.Join(parts, ":")
	}
	out := &spec.Spec{}
	for _, r := range sp.Resources {
		r.ID = renameID(r.ID)
		var deps []string
		for _, d := range r.DependsOn {
			deps = append(deps, renameID(d))
		}
		r.DependsOn = deps
		attrs, _ := graph.Resolve(r.Attributes, func(ref graph.Ref) (any, bool) {
			return graph.ImplicitRefPrefix + renameID(ref.ID) + strings.TrimPrefix(ref.Raw, graph.ImplicitRefPrefix+ref.ID), true
		})
		if r.Type == spec.Kubernetes {
			md, _ := attrs["metadata"].(map[string]any)
			if ns, _ := md["namespace"].(string); names[ns] {
				md["namespace"] = ns + "-" + suffix
			}
			if attrs["kind"] == "Namespace" {
				if n, _ := md["name"].(string); names[n] {
					md["name"] = n + "-" + suffix
				}
			}
		}
		r.Attributes = attrs
		out.Resources = append(out.Resources, r)
	}
	return out
}

// checkStack applies sp, previews again (all must be UnChanged or
// Unsupported) and destroys it.
func checkStack(rt *kubernetes.Runtime, stateDir string, sp *spec.Spec) (string, error) {
	eng := engine.New(engine.Config{StackDir: stateDir, Runtimes: runtime.Registry{spec.Kubernetes: rt}})
	ctx := context.Background()
	res, err := eng.Apply(ctx, sp, nil, engine.ApplyOptions{SkipUnsupported: true})
	if err != nil {
		eng.Destroy(ctx, engine.DestroyOptions{})
		return "", fmt.Errorf("apply: %w", err)
	}
	ch, err := eng.Preview(ctx, sp, engine.PreviewOptions{})
	if err != nil {
		return "", fmt.Errorf("preview after apply: %w", err)
	}
	var errs []string
	for _, s := range ch.Steps() {
		if s.Action != engine.UnChanged && s.Action != engine.Unsupported {
			d, _ := engine.StepDiff(s, false)
			errs = append(errs, fmt.Sprintf("after apply, %s is %s:\n%s", s.ID, s.Action, d))
		}
	}
	dres, err := eng.Destroy(ctx, engine.DestroyOptions{})
	if err != nil {
		errs = append(errs, fmt.Sprintf("destroy: %v", err))
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return fmt.Sprintf("apply %s; destroy %s; %d unsupported", res.Summary(), dres.Summary(), ch.Count(engine.Unsupported)), nil
}

// TestKonfigCorpusStacks applies the resources of every Konfig corpus stack
// (its golden spec) to the real API server, previews again (all UnChanged)
// and destroys them. Resources of a type with no runtime (Terraform) are
// reported as Unsupported and left out; kinds the cluster does not serve
// (CRDs of Prometheus, KubeVela) make a stack fail.
func TestKonfigCorpusStacks(t *testing.T) {
	dir := corpusDir(t)
	c := cluster.Need(t)
	var goldens []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "stdout.golden.yaml" && filepath.Base(filepath.Dir(p)) == "ci-test" {
			goldens = append(goldens, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(goldens)
	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	nonce := fmt.Sprint(time.Now().UnixNano()) // namespaces of earlier runs may still be terminating
	passed, failed := 0, 0
	for _, golden := range goldens {
		stackDir := filepath.Dir(filepath.Dir(golden))
		rel, _ := filepath.Rel(dir, stackDir)
		sum := sha256.Sum256([]byte(rel + nonce))
		sp, err := loadGolden(golden)
		if err != nil {
			t.Fatal(err)
		}
		sp = isolate(sp, hex.EncodeToString(sum[:3]))
		summary, err := checkStack(rt, t.TempDir(), sp)
		if err != nil {
			failed++
			t.Logf("FAIL %s: %v", rel, err)
			continue
		}
		passed++
		t.Logf("ok   %s: %s", rel, summary)
	}
	fmt.Printf("konfig corpus stacks on a real API server: %d passed, %d failed\n", passed, failed)
	if passed < corpusFloor {
		t.Errorf("%d stacks passed, below the floor of %d", passed, corpusFloor)
	}
}

// exampleFloor is the number of the repository's examples/ stacks that must
// apply, re-preview as all UnChanged and destroy.
const exampleFloor = 4

// TestExampleStacks applies the repository's own examples/ stacks: compiled
// with konfig.Compile, or from their ci-test/stdout.golden.yaml while the
// compile fails (logged).
func TestExampleStacks(t *testing.T) {
	c := cluster.Need(t)
	root, err := k8stest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	stacks, err := filepath.Glob(filepath.Join(root, "examples", "*", "*", "stack.yaml"))
	if err != nil || len(stacks) == 0 {
		t.Skipf("no examples/ stacks (%v)", err)
	}
	rt, err := kubernetes.New(kubernetes.Config{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	nonce := fmt.Sprint(time.Now().UnixNano())
	passed, failed := 0, 0
	for _, sf := range stacks {
		dir := filepath.Dir(sf)
		rel, _ := filepath.Rel(root, dir)
		sp, how, err := compileOrGolden(dir)
		if err != nil {
			failed++
			t.Logf("FAIL %s: %v", rel, err)
			continue
		}
		sum := sha256.Sum256([]byte(rel + nonce))
		summary, err := checkStack(rt, t.TempDir(), isolate(sp, hex.EncodeToString(sum[:3])))
		if err != nil {
			failed++
			t.Logf("FAIL %s (%s): %v", rel, how, err)
			continue
		}
		passed++
		t.Logf("ok   %s (%s): %s", rel, how, summary)
	}
	fmt.Printf("examples stacks on a real API server: %d passed, %d failed\n", passed, failed)
	if passed < exampleFloor {
		t.Errorf("%d example stacks passed, below the floor of %d", passed, exampleFloor)
	}
}

func compileOrGolden(dir string) (*spec.Spec, string, error) {
	st, err := konfig.LoadStack(dir)
	if err == nil {
		var sp *spec.Spec
		if sp, err = konfig.Compile(context.Background(), st, konfig.CompileOptions{}); err == nil {
			return sp, "compiled", nil
		}
	}
	sp, gerr := loadGolden(filepath.Join(dir, "ci-test", "stdout.golden.yaml"))
	if gerr != nil {
		return nil, "", fmt.Errorf("compile: %v; golden: %w", err, gerr)
	}
	first := strings.SplitN(err.Error(), "\n", 2)[0]
	return sp, "golden; compile failed: " + first, nil
}
