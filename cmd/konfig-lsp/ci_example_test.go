package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			ID  string            `yaml:"id"`
			Env map[string]string `yaml:"env"`
			Run string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var expr = regexp.MustCompile(`\$\{\{\s*([^}]+?)\s*\}\}`)

// runStep runs the konfig-lsp step of a job as GitHub would: bash, the
// step's env with its expressions given by vars, GITHUB_OUTPUT, and
// konfig-lsp on PATH (this test binary). It returns stdout and the outputs.
func runStep(t *testing.T, wf workflow, job, dir string, vars map[string]string) (string, map[string]string) {
	t.Helper()
	var script string
	var env []string
	for _, st := range wf.Jobs[job].Steps {
		if !strings.Contains(st.Run, "konfig-lsp ") || strings.Contains(st.Run, "go install") {
			continue
		}
		script = st.Run
		for k, v := range st.Env {
			v = expr.ReplaceAllStringFunc(v, func(m string) string {
				name := expr.FindStringSubmatch(m)[1]
				val, ok := vars[name]
				if !ok {
					t.Fatalf("job %s: no value for ${{ %s }}", job, name)
				}
				return val
			})
			env = append(env, k+"="+v)
		}
	}
	if script == "" {
		t.Fatalf("job %s has no konfig-lsp step", job)
	}
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	shim := "#!/bin/sh\n" + asCLIEnv + "=1 exec " + strconv.Quote(self) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "konfig-lsp"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(t.TempDir(), "output")
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "GITHUB_OUTPUT="+outFile), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("job %s: %v\nscript:\n%s\nstderr:\n%s", job, err, script, stderr.String())
	}
	outputs := map[string]string{}
	data, _ := os.ReadFile(outFile)
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outputs[k] = v
		}
	}
	return stdout.String(), outputs
}

// TestCIExample runs the scripts of examples/ci/konfig.yml on a pull request
// of a git copy of the corpus that edits a front-end model: the matrix holds
// the affected stacks, the 4 shards check each of them once, and a matrix
// entry compiles.
func TestCIExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "ci", "konfig.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("examples/ci/konfig.yml: %v", err)
	}
	dir := gitRepo(t)
	runGit(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
	runGit(t, dir, "checkout", "-q", "-b", "feature")
	server := filepath.Join(dir, "base", "pkg", "kusion_models", "kube", "frontend", "server.k")
	f, err := os.OpenFile(server, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n# reviewed\n")
	f.Close()
	runGit(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "edit a model")

	_, out := runStep(t, wf, "affected", dir, map[string]string{"github.base_ref": "main"})
	var m matrix
	if err := json.Unmarshal([]byte(out["matrix"]), &m); err != nil {
		t.Fatalf("matrix output %q: %v", out["matrix"], err)
	}
	want, _, _ := execRoot(t, "deps", dir, "--focus", server)
	var got []string
	for _, s := range m.Include {
		got = append(got, s.Path)
	}
	if diff := cmp.Diff(lines(want), got); diff != "" || out["any"] != "true" {
		t.Errorf("the affected job's matrix (-deps --focus +workflow), any=%q:\n%s", out["any"], diff)
	}

	checked := 0
	for shard := 1; shard <= 4; shard++ {
		stdout, _ := runStep(t, wf, "check", dir, map[string]string{"github.base_ref": "main", "matrix.shard": strconv.Itoa(shard)})
		var n, failed int
		if _, err := parseSummary(stdout, &n, &failed); err != nil {
			t.Fatalf("shard %d printed %q", shard, stdout)
		}
		checked += n
	}
	if checked != len(m.Include) {
		t.Errorf("the 4 shards checked %d stacks, the matrix has %d", checked, len(m.Include))
	}

	runStep(t, wf, "compile", dir, map[string]string{"matrix.path": m.Include[0].Path})
	if st, err := os.Stat(filepath.Join(dir, "resources.yaml")); err != nil || st.Size() == 0 {
		t.Errorf("the compile job wrote no resources: %v", err)
	}
}

var summary = regexp.MustCompile(`(\d+) stacks? checked, (\d+) failed`)

// parseSummary reads check's summary line.
func parseSummary(s string, n, failed *int) (int, error) {
	m := summary.FindStringSubmatch(s)
	if m == nil {
		return 0, os.ErrNotExist
	}
	*n, _ = strconv.Atoi(m[1])
	*failed, _ = strconv.Atoi(m[2])
	return 2, nil
}
