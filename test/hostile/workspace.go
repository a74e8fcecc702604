package hostile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Workspace is one materialized case: the repository (root), a directory
// beside it that attacks aim at (outside), the child's HOME and the
// preview's state directory (both allowed to change).
type Workspace struct {
	Dir, Root, Outside, Home, State string
}

// outsideFiles are written beside the workspace: the sentinel must never
// change, the secrets must never be shown.
var outsideFiles = map[string]string{
	"sentinel.txt":   "a file outside the workspace; nothing may change it\n",
	"secret.txt":     "token=" + OutsideSecret + "\n",
	"secret.k":       "leaked = \"" + OutsideSecret + "\"\n",
	"lib/lib.k":      "leaked = \"" + OutsideSecret + "\"\n",
	"evil/evil.k":    "leaked = \"" + OutsideSecret + "\"\n",
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

// Materialize writes case c into dir (an empty directory): the workspace
// in dir/ws, beside it dir/outside, dir/home and dir/state.
func Materialize(dir string, c *Case) (*Workspace, error) {
	ws := &Workspace{
		Dir:     dir,
		Root:    filepath.Join(dir, "ws"),
		Outside: filepath.Join(dir, "outside"),
		Home:    filepath.Join(dir, "home"),
		State:   filepath.Join(dir, "state"),
	}
	for _, d := range []string{ws.Root, ws.Outside, ws.Home, ws.State} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// A kubeconfig whose server refuses connections: preview compiles, then
	// fails fast on the first cluster call (a stack of Terraform resources
	// only needs none).
	if err := write(filepath.Join(ws.Home, "kubeconfig"), []byte(kubeconfig)); err != nil {
		return nil, err
	}
	for name, data := range outsideFiles {
		if err := write(filepath.Join(ws.Outside, name), []byte(data)); err != nil {
			return nil, err
		}
	}
	for _, f := range c.files {
		if err := write(filepath.Join(ws.Root, filepath.FromSlash(f.Name)), []byte(ws.expand(string(f.Data)))); err != nil {
			return nil, err
		}
	}
	for _, l := range c.symlinks {
		p := filepath.Join(ws.Root, filepath.FromSlash(l[0]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		// A link replaces a base file of the same path.
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if err := os.Symlink(ws.expand(l[1]), p); err != nil {
			return nil, err
		}
	}
	for _, g := range c.generate {
		if err := generate(filepath.Join(ws.Root, filepath.FromSlash(g.path)), g.size); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

func (ws *Workspace) expand(s string) string {
	return strings.NewReplacer("${OUTSIDE}", ws.Outside, "${ROOT}", ws.Root).Replace(s)
}

func write(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// generate writes a KCL file of about size bytes: hidden top-level
// assignments, each a small int, so that its cost is in reading and
// parsing it.
func generate(p string, size int64) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	for i := 0; n < size; i++ {
		k, err := fmt.Fprintf(w, "_g%08d = %d\n", i, i)
		if err != nil {
			return err
		}
		n += int64(k)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// Env is the child's whole environment: no inherited variable but PATH,
// the canary, an isolated HOME, no cluster.
func (ws *Workspace) Env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + ws.Home,
		"XDG_CACHE_HOME=" + filepath.Join(ws.Home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(ws.Home, ".config"),
		"KUBECONFIG=" + filepath.Join(ws.Home, "kubeconfig"),
		"KONFIG_K8S=0",
		"KONFIG_LOG_LEVEL=debug",
		CanaryName + "=" + CanaryValue,
	}
}

// Entry is what a snapshot keeps of one path.
type Entry struct {
	mode fs.FileMode
	sum  string // content hash of a file, target of a link
}

// Snapshot hashes every path under the case's directory but the allowed
// ones (HOME and the state directory).
func (ws *Workspace) Snapshot() (map[string]Entry, error) {
	snap := map[string]Entry{}
	err := filepath.WalkDir(ws.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == ws.Home || p == ws.State {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := Entry{mode: info.Mode()}
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
	return snap, err
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
func (ws *Workspace) writable(mode, p string) bool {
	if mode != "run" {
		return false
	}
	rel, err := filepath.Rel(ws.Root, p)
	if err != nil || rel == "." || !filepath.IsLocal(rel) {
		return false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	return parts[0] != ".git" && !slices.Contains(parts, ".konfig")
}

// Changes lists every path created, changed or removed between two
// snapshots where mode may not write.
func (ws *Workspace) Changes(mode string, before, after map[string]Entry) []string {
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
	return bad
}

// Normalize replaces the case's temporary directory (whose name holds the
// test's) with ${DIR} in an output, so that expectations match the
// output's own words.
func (ws *Workspace) Normalize(out string) string {
	return strings.ReplaceAll(out, ws.Dir, "${DIR}")
}

// show names p relative to the case's directory (ws/… or outside/…).
func (ws *Workspace) show(p string) string {
	if rel, err := filepath.Rel(ws.Dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}
