package konfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/kclrun"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// loadSettings reads the stack's kcl.yaml then ci-test/settings.yaml with
// the KCL loader (later files set the file list, options concatenate),
// expands ${KCL_MOD} and relative paths, and defaults the options `app` and
// `env` to the project and stack names when there is no
// ci-test/settings.yaml. overlay (may be nil) replaces files on disk.
func (st *Stack) loadSettings(overlay map[string][]byte) error {
	// Settings files, and the directories they list, are read through the
	// stack's sandbox: kcl.yaml cannot pull in a file from outside the
	// repository (`file: [/proc/self/environ]`).
	fsys, err := st.Sandbox(sandbox.Policy{DenyReason: "reading a stack's settings has no side effects"})
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	defer fsys.Close()
	var files []string
	ciSettings := filepath.Join(st.Dir, CITestDir, SettingsFile)
	for _, p := range []string{filepath.Join(st.Dir, KCLFile), ciSettings} {
		if _, ok := overlay[p]; ok || fileExists(p) {
			files = append(files, p)
		}
	}
	s, err := kclrun.LoadSettingsFS(fsys, st.Dir, overlay, files...)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	inputs := s.Files
	if len(inputs) == 0 {
		inputs = []string{st.Dir}
	}
	st.Files, err = loader.ExpandFiles(fsys, inputs, st.Dir, st.ModRoot, false)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if len(st.Files) == 0 {
		return fmt.Errorf("no KCL files: neither %s lists files nor the stack directory holds .k files", KCLFile)
	}
	opts := append([]kclrun.Option(nil), s.Options...)
	if _, ok := overlay[ciSettings]; !ok && !fileExists(ciSettings) {
		defaults := []kclrun.Option{{Key: "app", Value: value.Str(st.ProjectName())}, {Key: "env", Value: value.Str(st.Name)}}
		if st.Project == nil {
			defaults = defaults[1:]
		}
		for _, d := range defaults {
			if !hasOption(opts, d.Key) {
				opts = append(opts, d)
			}
		}
	}
	st.kclOptions = opts
	st.Options = make([]Option, len(opts))
	for i, o := range opts {
		st.Options[i] = Option{Key: o.Key, Value: goValue(o.Value)}
	}
	st.Settings = files
	st.DisableNone = s.DisableNone
	return nil
}

func hasOption(opts []kclrun.Option, key string) bool {
	for _, o := range opts {
		if o.Key == key {
			return true
		}
	}
	return false
}

// goValue converts a KCL value into a plain Go value (through its JSON
// form) for display.
func goValue(v value.Value) any {
	var out any
	if err := json.Unmarshal(value.EncodeJSON(v, value.JSONOptions{}), &out); err != nil {
		return value.ToStr(v)
	}
	return out
}

// findModRoot returns the nearest directory at or above dir holding kcl.mod,
// or "" when there is none.
func findModRoot(dir string) string { return loader.FindModRoot(dir) }

// kclFilesIn returns the files of a directory package as KCL imports it:
// its source files (loader.IsSource) in name order.
func kclFilesIn(dir string) ([]string, error) {
	names, _, err := (*loader.Cache)(nil).Sources(nil, dir)
	if err != nil {
		return nil, fmt.Errorf("list KCL files: %w", err)
	}
	files := make([]string, len(names))
	for i, n := range names {
		files[i] = filepath.Join(dir, n)
	}
	return files, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func joinPath(elem ...string) string { return filepath.Join(elem...) }

// Sandbox opens the sandbox of the stack's evaluation at Root (ModRoot when
// Root is not set) with policy p. Close it after use.
func (st *Stack) Sandbox(p sandbox.Policy) (*sandbox.FS, error) {
	root := st.Root
	if root == "" {
		root = st.ModRoot
	}
	if root == "" {
		root = st.Dir
	}
	fsys, err := sandbox.Open(root, p)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", st.Dir, err)
	}
	return fsys, nil
}

// commonDir returns the deepest directory holding both a and b.
func commonDir(a, b string) string {
	a, b = filepath.Clean(a), filepath.Clean(b)
	for a != filepath.Dir(a) {
		if rel, err := filepath.Rel(a, b); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return a
		}
		a = filepath.Dir(a)
	}
	return a
}
