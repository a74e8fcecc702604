//go:build linux

package hostile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// workspace is one materialized case: the repository (root), a directory
// beside it that attacks aim at (outside), the child's HOME and the
// preview's state directory (both allowed to change).
type workspace struct {
	dir, root, outside, home, state string
}

// outsideFiles are written beside the workspace: the sentinel must never
// change, the secrets must never be shown.
var outsideFiles = map[string]string{
	"sentinel.txt":   "a file outside the workspace; nothing may change it\n",
	"secret.txt":     "token=" + outsideSecret + "\n",
	"secret.k":       "leaked = \"" + outsideSecret + "\"\n",
	"lib/lib.k":      "leaked = \"" + outsideSecret + "\"\n",
	"evil/evil.k":    "leaked = \"" + outsideSecret + "\"\n",
	"victim/keep.md": "a directory outside the workspace\n",
}

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: none
  cluster: {server: "https://127.0.0.1:1"}
contexts:
- name: none
  context: {cluster: none, user: none}
users:
- name: none
  user: {token: not-a-secret}
current-context: none
`

func materialize(t *testing.T, c *testCase) *workspace {
	t.Helper()
	dir := t.TempDir()
	ws := &workspace{
		dir:     dir,
		root:    filepath.Join(dir, "ws"),
		outside: filepath.Join(dir, "outside"),
		home:    filepath.Join(dir, "home"),
		state:   filepath.Join(dir, "state"),
	}
	for _, d := range []string{ws.root, ws.outside, ws.home, ws.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A kubeconfig whose server refuses connections: preview compiles, then
	// fails fast on the first cluster call (a stack of Terraform resources
	// only needs none).
	ws.write(t, filepath.Join(ws.home, "kubeconfig"), []byte(kubeconfig))
	for name, data := range outsideFiles {
		ws.write(t, filepath.Join(ws.outside, name), []byte(data))
	}
	for _, f := range c.files {
		ws.write(t, filepath.Join(ws.root, filepath.FromSlash(f.Name)), []byte(ws.expand(string(f.Data))))
	}
	for _, l := range c.symlinks {
		p := filepath.Join(ws.root, filepath.FromSlash(l[0]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(ws.expand(l[1]), p); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range c.generate {
		ws.generate(t, filepath.Join(ws.root, filepath.FromSlash(g.path)), g.size)
	}
	return ws
}

func (ws *workspace) expand(s string) string {
	return strings.NewReplacer("${OUTSIDE}", ws.outside, "${ROOT}", ws.root).Replace(s)
}

func (ws *workspace) write(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// generate writes a KCL file of about size bytes: hidden top-level
// assignments, each a small int, so that its cost is in reading and
// parsing it.
func (ws *workspace) generate(t *testing.T, p string, size int64) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	for i := 0; n < size; i++ {
		k, err := fmt.Fprintf(w, "_g%08d = %d\n", i, i)
		if err != nil {
			t.Fatal(err)
		}
		n += int64(k)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// env is the child's whole environment: no inherited variable but PATH,
// the canary, an isolated HOME, no cluster.
func (ws *workspace) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + ws.home,
		"XDG_CACHE_HOME=" + filepath.Join(ws.home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(ws.home, ".config"),
		"KUBECONFIG=" + filepath.Join(ws.home, "kubeconfig"),
		"KONFIG_K8S=0",
		"KONFIG_LOG_LEVEL=debug",
		canaryName + "=" + canaryValue,
	}
}

// entry is what a snapshot keeps of one path.
type entry struct {
	mode fs.FileMode
	sum  string // content hash of a file, target of a link
}

// snapshot hashes every path under the case's directory but the allowed
// ones (HOME and the state directory).
func (ws *workspace) snapshot(t *testing.T) map[string]entry {
	t.Helper()
	snap := map[string]entry{}
	err := filepath.WalkDir(ws.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == ws.home || p == ws.state {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{mode: info.Mode()}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			if e.sum, err = os.Readlink(p); err != nil {
				return err
			}
		case d.Type().IsRegular():
			if e.sum, err = hashFile(p); err != nil {
				return err
			}
		}
		snap[p] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writable reports whether mode may change path p: only `run` may, inside
// the workspace and never under .git/ or a .konfig state directory.
func (ws *workspace) writable(mode, p string) bool {
	if mode != "run" {
		return false
	}
	rel, err := filepath.Rel(ws.root, p)
	if err != nil || rel == "." || !filepath.IsLocal(rel) {
		return false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	return parts[0] != ".git" && !slices.Contains(parts, ".konfig")
}

// checkChanges reports every path created, changed or removed where mode
// may not write.
func (ws *workspace) checkChanges(t *testing.T, mode string, before, after map[string]entry) {
	t.Helper()
	var bad []string
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			if !ws.writable(mode, p) {
				bad = append(bad, "removed "+ws.show(p))
			}
		case a != b:
			if !ws.writable(mode, p) {
				bad = append(bad, "changed "+ws.show(p))
			}
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok && !ws.writable(mode, p) {
			bad = append(bad, "created "+ws.show(p))
		}
	}
	slices.Sort(bad)
	for _, b := range bad {
		t.Errorf("%s: %s", mode, b)
	}
}

// normalize replaces the case's temporary directory (whose name holds the
// test's) with ${DIR} in an output, so that expectations match the
// output's own words.
func (ws *workspace) normalize(out string) string {
	return strings.ReplaceAll(out, ws.dir, "${DIR}")
}

// show names p relative to the case's directory (ws/… or outside/…).
func (ws *workspace) show(p string) string {
	if rel, err := filepath.Rel(ws.dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}
