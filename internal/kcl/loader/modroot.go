package loader

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ModFile is the name of the file that marks a module root.
const ModFile = "kcl.mod"

// ModVar is the variable that stands for the module root in input paths
// and settings files.
const ModVar = "${KCL_MOD}"

// HasModVar reports whether p still holds ${KCL_MOD}.
func HasModVar(p string) bool { return strings.Contains(p, ModVar) }

// IsSource reports whether a file name (a base name) is a source file of a
// KCL package: it ends in ".k" and is neither a test file (*_test.k) nor
// private (_*.k). It is the one filter for directory inputs, imported
// packages, the stacks of a Konfig and the files the server resolves
// together.
func IsSource(name string) bool {
	return strings.HasSuffix(name, ".k") && !strings.HasSuffix(name, "_test.k") && !strings.HasPrefix(name, "_")
}

// IsKCL reports whether a path names a KCL file (ends in ".k"), tests and
// private files included: what the formatter, the workspace index and file
// watching consider; IsSource is the stricter filter of a package's files.
func IsKCL(path string) bool { return strings.HasSuffix(path, ".k") }

// FindModRoot returns the nearest directory at or above dir that holds a
// kcl.mod file, or "" when there is none. It looks at the disk directly:
// finding the root comes before the sandbox, which is opened at it.
func FindModRoot(dir string) string {
	dir = filepath.Clean(dir)
	for {
		if st, err := os.Stat(filepath.Join(dir, ModFile)); err == nil && !st.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// ModRoot returns the module root for the (absolute) input paths as `kcl
// run` chooses it: the nearest kcl.mod directory of the inputs when they
// all agree; otherwise the kcl.mod root of workDir, or workDir itself when
// it has none. Inputs that still hold ${KCL_MOD} are ignored. For a single
// file opened in an editor, pass its directory as workDir (and no inputs):
// the root is its kcl.mod directory, or the file's directory.
func ModRoot(inputs []string, workDir string) string {
	root := ""
	agree := true
	for _, in := range inputs {
		if HasModVar(in) {
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

// ExpandFiles turns input paths into the ordered list of absolute source
// files of the main package: ${KCL_MOD} is replaced by modRoot, relative
// paths are joined to workDir, and a directory stands for its source files
// (IsSource) in name order, those of every subdirectory too when
// recursive. Directories are looked at through fsys (nil: the disk). A
// file input stays in the list even when it is missing or refused: the
// evaluator reports it with the official message when it reads it.
func ExpandFiles(fsys FS, inputs []string, workDir, modRoot string, recursive bool) ([]string, error) {
	if fsys == nil {
		fsys = OS()
	}
	var out []string
	for _, in := range inputs {
		p := strings.ReplaceAll(in, ModVar, modRoot)
		if !filepath.IsAbs(p) {
			p = filepath.Join(workDir, p)
		}
		p = filepath.Clean(p)
		st, err := fsys.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		files, err := sourcesIn(fsys, p, recursive)
		if err != nil {
			return nil, fmt.Errorf("input directory %s: %w", in, err)
		}
		out = append(out, files...)
	}
	return out, nil
}

func sourcesIn(fsys FS, dir string, recursive bool) ([]string, error) {
	entries, err := fsys.ReadDir(dir)
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
		case IsSource(name):
			files = append(files, filepath.Join(dir, name))
		}
	}
	sort.Strings(files)
	for _, sd := range subdirs {
		more, err := sourcesIn(fsys, sd, true)
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return files, nil
}

// FS is how the loader reaches files: *sandbox.FS (every read beneath the
// repository root) or OS().
type FS interface {
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	ReadFile(name string) ([]byte, error)
}

type osFS struct{}

func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) ReadFile(name string) ([]byte, error)       { return os.ReadFile(name) }

// OS returns the FS of the disk itself, for callers without a sandbox
// (tests, tools reading trusted files).
func OS() FS { return osFS{} }
