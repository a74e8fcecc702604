package loader

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// Loader finds and parses the packages of one program: imports are
// resolved against Root (the module root) and External, files are read
// through Overlay then FS, and parses are shared through Cache. The zero
// value reads the disk, has no module root and caches nothing; a Loader is
// safe for concurrent use when its fields are not changed.
type Loader struct {
	// Root is the module root (the directory of kcl.mod, see ModRoot):
	// absolute imports are resolved beneath it.
	Root string
	// External maps the first segment of an import path to the absolute
	// directory of an external package (`-E name=path`, a settings file's
	// package_maps, the dependencies of kcl.mod).
	External map[string]string
	// FS is the door to the disk: the run's sandbox; nil is OS().
	FS FS
	// Overlay holds open buffers consulted before FS; nil holds none.
	Overlay Overlay
	// Cache shares parses; nil parses every file each time.
	Cache *Cache
}

// Import is where an import statement leads.
type Import struct {
	// PkgPath identifies the package: the dotted path beneath the module
	// root (or of an external package), or the absolute path of a relative
	// import that leaves the root.
	PkgPath string
	// Base is the package's directory, or the path that base.k completes
	// to a one-file package.
	Base string
	// External is set when the first segment named an external package.
	External bool
}

// Import returns where the import of path with dots leading dots (`import
// .a.b` has 1) in file leads. System modules are not its business: callers
// check them first.
func (l *Loader) Import(file string, dots int, path string) Import {
	var segs []string
	if path != "" {
		segs = strings.Split(path, ".")
	}
	if dots > 0 {
		dir := filepath.Dir(file)
		for i := 1; i < dots; i++ {
			dir = filepath.Dir(dir)
		}
		base := filepath.Join(append([]string{dir}, segs...)...)
		if rel, err := filepath.Rel(l.Root, base); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return Import{PkgPath: strings.ReplaceAll(filepath.ToSlash(rel), "/", "."), Base: base}
		}
		return Import{PkgPath: base, Base: base}
	}
	if len(segs) > 0 {
		if ext, ok := l.External[segs[0]]; ok {
			return Import{PkgPath: path, Base: filepath.Join(append([]string{ext}, segs[1:]...)...), External: true}
		}
	}
	return Import{PkgPath: path, Base: filepath.Join(append([]string{l.Root}, segs...)...)}
}

// PackageError says why a package has no files.
type PackageError struct {
	Base string
	Kind PackageErrorKind
	Err  error // the sandbox's refusal, the listing error; may be nil
}

// PackageErrorKind classifies a PackageError.
type PackageErrorKind int

const (
	// NotFound: neither a directory nor a base.k file.
	NotFound PackageErrorKind = iota
	// Empty: a directory without source files.
	Empty
	// Refused: the sandbox refused to look at the package.
	Refused
)

func (e *PackageError) Error() string {
	switch e.Kind {
	case Empty:
		return "no KCL files in " + e.Base
	case Refused:
		return e.Err.Error()
	}
	if e.Err != nil {
		return fmt.Sprintf("cannot find the package %s: %v", e.Base, e.Err)
	}
	return "cannot find the package " + e.Base
}

func (e *PackageError) Unwrap() error { return e.Err }

// PackageFiles returns the absolute paths of the files of the package at
// base, in name order: the source files (IsSource) of the directory base,
// with the overlay's new files in it, or else the one file base.k (on disk
// or in the overlay). The error is a *PackageError.
func (l *Loader) PackageFiles(base string) ([]string, error) {
	fsys := l.fs()
	names, isDir, err := l.Cache.Sources(fsys, base)
	var refused *sandbox.Error
	if errors.As(err, &refused) {
		return nil, &PackageError{Base: base, Kind: Refused, Err: refused}
	}
	if isDir {
		if err != nil {
			return nil, &PackageError{Base: base, Kind: NotFound, Err: err}
		}
		files := make([]string, 0, len(names))
		for _, n := range names {
			files = append(files, filepath.Join(base, n))
		}
		if d, ok := l.Overlay.(DirOverlay); ok {
			for _, p := range d.FilesIn(base) {
				if IsSource(filepath.Base(p)) && !contains(files, p) {
					files = append(files, p)
				}
			}
			sort.Strings(files)
		}
		if len(files) == 0 {
			return nil, &PackageError{Base: base, Kind: Empty}
		}
		return files, nil
	}
	file := base + ".k"
	if _, err := fsys.Stat(file); err == nil {
		return []string{file}, nil
	}
	if l.Overlay != nil {
		if _, ok := l.Overlay.Read(file); ok {
			return []string{file}, nil
		}
	}
	return nil, &PackageError{Base: base, Kind: NotFound}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// ReadFile returns the content of path: its buffer, else the file.
func (l *Loader) ReadFile(path string) ([]byte, error) {
	if l.Overlay != nil {
		if src, ok := l.Overlay.Read(path); ok {
			return src, nil
		}
	}
	return l.fs().ReadFile(path)
}

// Parse returns the parse of path (its buffer, else the file), from the
// cache when its content was parsed before. A file that does not parse is
// returned with its Diags, not as an error; the error is a read error.
func (l *Loader) Parse(path string) (*File, error) {
	return l.Cache.ParseFile(l.fs(), l.Overlay, path)
}

func (l *Loader) fs() FS {
	if l.FS == nil {
		return OS()
	}
	return l.FS
}
