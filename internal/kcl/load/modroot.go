package load

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// modVar is the variable that stands for the module root in input paths.
const modVar = "${KCL_MOD}"

func hasModVar(p string) bool { return strings.Contains(p, modVar) }

// FindModRoot returns the nearest directory at or above dir that holds a
// kcl.mod file, or "" when there is none.
func FindModRoot(dir string) string {
	dir = filepath.Clean(dir)
	for {
		if st, err := os.Stat(filepath.Join(dir, "kcl.mod")); err == nil && !st.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// ModRoot returns the module root for the (absolute) input paths: the
// nearest kcl.mod directory of the inputs when they agree; otherwise the
// kcl.mod root of workDir, or workDir itself when it has none. Inputs that
// still hold ${KCL_MOD} are ignored.
func ModRoot(inputs []string, workDir string) string {
	root := ""
	agree := true
	for _, in := range inputs {
		if hasModVar(in) {
			continue
		}
		dir := in
		if st, err := os.Stat(in); err != nil || !st.IsDir() {
			dir = filepath.Dir(in)
		}
		r := FindModRoot(dir)
		switch {
		case r == "":
			agree = false
		case root == "":
			root = r
		case root != r:
			agree = false
		}
	}
	if root != "" && agree {
		return root
	}
	if r := FindModRoot(workDir); r != "" {
		return r
	}
	return workDir
}

// ExpandFiles turns input paths into the ordered list of absolute .k files
// of the main package: ${KCL_MOD} is replaced by modRoot, relative paths are
// joined to workDir, and a directory stands for its .k files in name order
// (all subdirectories too when recursive), test files (*_test.k) excluded.
func ExpandFiles(inputs []string, workDir, modRoot string, recursive bool) ([]string, error) {
	return ExpandFilesFS(nil, inputs, workDir, modRoot, recursive)
}

// ExpandFilesFS is ExpandFiles with directories looked at through the
// sandbox fsys (nil: the disk directly). An input the sandbox refuses stays
// in the list: the evaluator reports the refusal when it reads it.
func ExpandFilesFS(fsys *sandbox.FS, inputs []string, workDir, modRoot string, recursive bool) ([]string, error) {
	var out []string
	stat, readDir := os.Stat, os.ReadDir
	if fsys != nil {
		stat, readDir = fsys.Stat, fsys.ReadDir
	}
	for _, in := range inputs {
		p := strings.ReplaceAll(in, modVar, modRoot)
		if !filepath.IsAbs(p) {
			p = filepath.Join(workDir, p)
		}
		p = filepath.Clean(p)
		st, err := stat(p)
		if err != nil || !st.IsDir() {
			// A missing file is reported by the evaluator with the
			// official message; keep it in the list.
			out = append(out, p)
			continue
		}
		files, err := kclFilesIn(readDir, p, recursive)
		if err != nil {
			return nil, fmt.Errorf("input directory %s: %w", in, err)
		}
		out = append(out, files...)
	}
	return out, nil
}

func kclFilesIn(readDir func(string) ([]os.DirEntry, error), dir string, recursive bool) ([]string, error) {
	entries, err := readDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read input directory: %w", err)
	}
	var files, subdirs []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
			if recursive {
				subdirs = append(subdirs, filepath.Join(dir, name))
			}
		case strings.HasSuffix(name, ".k") && !strings.HasSuffix(name, "_test.k"):
			files = append(files, filepath.Join(dir, name))
		}
	}
	sort.Strings(files)
	for _, sd := range subdirs {
		more, err := kclFilesIn(readDir, sd, true)
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return files, nil
}

// commonRoot returns the deepest directory that holds root and every path
// of more (files stand for their directory).
func commonRoot(root string, more ...string) string {
	for _, m := range more {
		m = filepath.Clean(m)
		for root != filepath.Dir(root) && !within(root, m) {
			root = filepath.Dir(root)
		}
	}
	return root
}

// within reports whether p is root or beneath it, lexically.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
