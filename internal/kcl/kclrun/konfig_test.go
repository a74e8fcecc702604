package kclrun

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// konfigFloor is the number of Konfig stacks that must run cleanly.
const konfigFloor = 27

// TestKonfigStacksRun runs every stack of corpus/konfig the way its CI did
// (`run -Y ci-test/settings.yaml kcl.yaml` in the stack directory: two
// settings files, ${KCL_MOD} inputs, options) and checks that the run
// succeeds with a YAML stream of resources whose ids all appear in the
// stack's golden. It runs with --resolve=on-error: the 2023 Konfig calls
// alicloud_backend.RDSAccountRender with one of its two arguments
// (server_backend.k:132), which KCL 0.11's resolver rejects. The exact resource comparison belongs to `compile`
// (internal/konfig); this guards the `run` path and the settings loader.
func TestKonfigStacksRun(t *testing.T) {
	root := corpusDir(t, "konfig")
	var cases []*corpusCase
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "stdout.golden.yaml" || filepath.Base(filepath.Dir(path)) != "ci-test" {
			return nil
		}
		dir := filepath.Dir(filepath.Dir(path))
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		cases = append(cases, &corpusCase{name: filepath.ToSlash(rel), dir: dir,
			argv: []string{"-Y", "ci-test/settings.yaml", "kcl.yaml", "--resolve=on-error"}, check: checkKonfigStack})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	runCorpus(t, cases, konfigFloor)
}

func checkKonfigStack(c *corpusCase, r runResult) failure {
	if r.timedOut {
		return newFailure("timeout", primaryMessage(r.stderr), firstLines(r.stderr, 8))
	}
	if r.code != 0 {
		return newFailure("unexpected error", primaryMessage(r.stderr), firstLines(r.stderr, 10))
	}
	data, err := os.ReadFile(filepath.Join(c.dir, "ci-test", "stdout.golden.yaml"))
	if err != nil {
		return failure{key: "golden", detail: err.Error()}
	}
	var golden []map[string]any
	if err := yaml.Unmarshal(data, &golden); err != nil {
		return failure{key: "golden", detail: err.Error()}
	}
	want := map[string]bool{}
	for _, res := range golden {
		want[fmt.Sprint(res["id"])] = true
	}
	docs, err := yamlDocs(r.stdout)
	if err != nil {
		return failure{key: "output does not parse", detail: err.Error()}
	}
	var unknown []string
	for _, d := range docs {
		m, ok := d.(map[string]any)
		if !ok || m["id"] == nil {
			return failure{key: "document without id", detail: firstLines(fmt.Sprint(d), 5)}
		}
		if id := fmt.Sprint(m["id"]); !want[id] {
			unknown = append(unknown, id)
		}
	}
	if len(docs) == 0 {
		return failure{key: "no resources"}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return failure{key: "resource ids not in the golden", detail: strings.Join(unknown, "\n")}
	}
	return failure{}
}
