package konfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// ReadFileFunc reads a file; the editor passes one that sees unsaved buffers.
type ReadFileFunc func(path string) ([]byte, error)

// importRef is one import statement: the dotted path and its leading dots.
type importRef struct {
	path string
	dots int
}

// depIndex is a Repo's include index: which files each stack's compile
// reads (its inputs) and, the other way round, which stacks read each file.
// It is built once, on first use, and then kept up to date by FilesChanged:
// a changed file re-derives its own imports, and only the stacks that reach
// it (or a package its creation or removal changes) recompute their inputs.
// No query walks or re-reads the tree.
type depIndex struct {
	mu    sync.Mutex
	built bool
	// imports are the imports of every file read so far; deps, the
	// packages (keys of pkgs) they resolve to; importers, the other way
	// round: the files importing each package.
	imports   map[string][]importRef
	deps      map[string][]string
	importers map[string]map[string]struct{}
	// pkgs maps a package path (a directory, or a path without ".k") to
	// its files (nil: no such package under the module root).
	pkgs map[string][]string
	// refused records, by sandbox root and file, whether the sandbox
	// refuses the file: its imports are not followed.
	refused map[[2]string]bool
	// closures memoizes packageClosure by sandbox root, module root and
	// package; it is dropped whenever an import or a package changes.
	closures map[[3]string][]string
	// inputs are each stack's files (index in Repo.Stacks), sorted;
	// stacksOf, the stacks reading each file (settings files included),
	// as sorted indexes.
	inputs   [][]string
	stacksOf map[string][]int
}

// StackFiles returns every KCL file the stack's compile reads: its listed
// files and the files of every package they import, transitively, sorted.
// Imports that resolve to no file under the module root (system modules,
// external packages) are ignored. read may be nil (os.ReadFile).
func StackFiles(ctx context.Context, st *Stack, read ReadFileFunc) ([]string, error) {
	ix := &depIndex{}
	ix.init()
	sb := map[string]*sandbox.FS{}
	defer closeAll(sb)
	return ix.closure(ctx, st, readOrDisk(read), sb)
}

// StacksIncluding returns the stacks whose compile reads file: it is one of
// their settings files (kcl.yaml, ci-test/settings.yaml), it is listed in
// their settings, or it is reached through imports. The answer comes from
// the Repo's include index, built on the first call (reading files through
// read, which may be nil: the disk) and kept up to date by FilesChanged;
// it is safe to call concurrently.
func (r *Repo) StacksIncluding(ctx context.Context, file string, read ReadFileFunc) ([]*Stack, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("stacks including %s: %w", file, err)
	}
	ix := &r.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := r.build(ctx, readOrDisk(read)); err != nil {
		return nil, fmt.Errorf("stacks including %s: %w", file, err)
	}
	var out []*Stack
	for _, i := range ix.stacksOf[abs] {
		out = append(out, r.Stacks[i])
	}
	return out, nil
}

// StackInputs returns the KCL files st's compile reads (see StackFiles),
// from the include index. st must be one of r.Stacks.
func (r *Repo) StackInputs(ctx context.Context, st *Stack, read ReadFileFunc) ([]string, error) {
	ix := &r.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := r.build(ctx, readOrDisk(read)); err != nil {
		return nil, fmt.Errorf("stack inputs %s: %w", st.Dir, err)
	}
	i := slices.Index(r.Stacks, st)
	if i < 0 {
		return nil, fmt.Errorf("stack inputs: %s is not a stack of %s", st.Dir, r.Root)
	}
	return slices.Clone(ix.inputs[i]), nil
}

// IndexReady reports whether the include index is built, so that
// StacksIncluding answers without reading the tree.
func (r *Repo) IndexReady() bool {
	r.index.mu.Lock()
	defer r.index.mu.Unlock()
	return r.index.built
}

// FilesChanged updates the include index after paths changed (created,
// edited, deleted, or an editor buffer that differs from the disk: read
// sees it). A KCL file's imports are read again; when they, or the files
// of a package (a .k file created or removed), changed, the inputs of the
// stacks reaching them are recomputed. Other files are ignored: a change of
// a project, stack or settings file calls for a new Discover. Before the
// index is built it does nothing.
func (r *Repo) FilesChanged(ctx context.Context, paths []string, read ReadFileFunc) error {
	ix := &r.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.built {
		return nil
	}
	read = readOrDisk(read)
	dirty := map[string]bool{} // files whose deps must be resolved again
	for _, p := range paths {
		if !loader.IsKCL(p) {
			continue
		}
		p, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		// A file created or removed changes its directory's package (and
		// the one-file package p without ".k").
		for _, key := range []string{filepath.Dir(p), strings.TrimSuffix(p, ".k")} {
			old, known := ix.pkgs[key]
			if !known {
				continue
			}
			if now := packageFiles(key); !slices.Equal(old, now) {
				ix.pkgs[key] = now
				for f := range ix.importers[key] {
					dirty[f] = true
				}
			}
		}
		if _, known := ix.imports[p]; known {
			var imps []importRef
			if src, err := read(p); err == nil {
				imps = scanImports(src)
			}
			if !slices.Equal(imps, ix.imports[p]) {
				ix.imports[p] = imps
				dirty[p] = true
			}
		}
	}
	if len(dirty) == 0 {
		return nil
	}
	// Forget the resolved deps of the dirty files; recompute the inputs of
	// every stack reaching one of them.
	ix.closures = map[[3]string][]string{}
	affected := map[int]bool{}
	for f := range dirty {
		ix.forgetDeps(f)
		for _, i := range ix.stacksOf[f] {
			affected[i] = true
		}
	}
	sb := map[string]*sandbox.FS{}
	defer closeAll(sb)
	for i := range affected {
		if err := ctx.Err(); err != nil {
			// Half updated: build again on the next query.
			ix.built = false
			return err
		}
		files, err := ix.closure(ctx, r.Stacks[i], read, sb)
		if err != nil {
			ix.built = false
			return err
		}
		ix.setInputs(i, r.Stacks[i], files)
	}
	return nil
}

func (ix *depIndex) init() {
	ix.imports = map[string][]importRef{}
	ix.deps = map[string][]string{}
	ix.importers = map[string]map[string]struct{}{}
	ix.pkgs = map[string][]string{}
	ix.refused = map[[2]string]bool{}
	ix.closures = map[[3]string][]string{}
	ix.stacksOf = map[string][]int{}
}

// build builds the index unless it is built. Called with ix.mu held.
func (r *Repo) build(ctx context.Context, read ReadFileFunc) error {
	ix := &r.index
	if ix.built {
		return nil
	}
	ix.init()
	ix.inputs = make([][]string, len(r.Stacks))
	sb := map[string]*sandbox.FS{}
	defer closeAll(sb)
	for i, st := range r.Stacks {
		files, err := ix.closure(ctx, st, read, sb)
		if err != nil {
			return err
		}
		// Stacks come in index order: appending keeps stacksOf sorted.
		ix.inputs[i] = files
		for _, f := range files {
			ix.stacksOf[f] = append(ix.stacksOf[f], i)
		}
		for _, f := range st.Settings {
			if ids := ix.stacksOf[f]; len(ids) == 0 || ids[len(ids)-1] != i {
				ix.stacksOf[f] = append(ids, i)
			}
		}
	}
	ix.built = true
	return nil
}

// setInputs records files as the inputs of stack i, updating the reverse
// index (the stack's settings files read it too).
func (ix *depIndex) setInputs(i int, st *Stack, files []string) {
	drop := func(f string) {
		ids := ix.stacksOf[f]
		if k, ok := slices.BinarySearch(ids, i); ok {
			ids = slices.Delete(ids, k, k+1)
			if len(ids) == 0 {
				delete(ix.stacksOf, f)
			} else {
				ix.stacksOf[f] = ids
			}
		}
	}
	add := func(f string) {
		ids := ix.stacksOf[f]
		if k, ok := slices.BinarySearch(ids, i); !ok {
			ix.stacksOf[f] = slices.Insert(ids, k, i)
		}
	}
	for _, f := range ix.inputs[i] {
		drop(f)
	}
	for _, f := range st.Settings {
		drop(f)
	}
	ix.inputs[i] = files
	for _, f := range files {
		add(f)
	}
	for _, f := range st.Settings {
		add(f)
	}
}

// forgetDeps drops the resolved packages of file (its imports changed, or
// a package it imports did).
func (ix *depIndex) forgetDeps(file string) {
	for _, key := range ix.deps[file] {
		delete(ix.importers[key], file)
	}
	delete(ix.deps, file)
}

// closure returns the sorted files st's compile reads: its listed files and,
// transitively, the files of the packages they import. Files outside the
// stack's sandbox root (a link leading elsewhere) are not read, whatever
// read does: their imports are not followed. The closure of each imported
// package is computed once per sandbox root and shared by the stacks (a
// Konfig's stacks import the same model packages).
func (ix *depIndex) closure(ctx context.Context, st *Stack, read ReadFileFunc, sb map[string]*sandbox.FS) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fsys, err := sandboxFor(st, sb)
	if err != nil {
		return nil, err
	}
	lists := [][]string{slices.Sorted(slices.Values(st.Files))}
	for _, f := range st.Files {
		if ix.isRefused(fsys, f) {
			continue
		}
		for _, key := range ix.depsOf(f, st.ModRoot, read) {
			lists = append(lists, ix.packageClosure(fsys, key, st.ModRoot, read))
		}
	}
	return mergeSorted(lists), nil
}

// packageClosure returns the sorted files of the package key and of every
// package it imports, transitively, as the sandbox fsys lets them be read.
func (ix *depIndex) packageClosure(fsys *sandbox.FS, key, modRoot string, read ReadFileFunc) []string {
	mk := [3]string{fsys.Root(), modRoot, key}
	if files, ok := ix.closures[mk]; ok {
		return files
	}
	seen := map[string]bool{}
	var queue []string
	for _, f := range ix.pkgs[key] {
		seen[f] = true
		queue = append(queue, f)
	}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if ix.isRefused(fsys, f) {
			continue
		}
		for _, k := range ix.depsOf(f, modRoot, read) {
			for _, dep := range ix.pkgs[k] {
				if !seen[dep] {
					seen[dep] = true
					queue = append(queue, dep)
				}
			}
		}
	}
	files := make([]string, 0, len(seen))
	for f := range seen {
		files = append(files, f)
	}
	sort.Strings(files)
	ix.closures[mk] = files
	return files
}

// mergeSorted merges sorted lists into one sorted list without duplicates.
func mergeSorted(lists [][]string) []string {
	var out []string
	for _, l := range lists {
		out = merge2(out, l)
	}
	return out
}

// merge2 merges two sorted lists without duplicates (a has none).
func merge2(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next string
		switch {
		case j >= len(b) || i < len(a) && a[i] < b[j]:
			next = a[i]
			i++
		case i >= len(a) || b[j] < a[i]:
			next = b[j]
			j++
		default: // equal
			next = a[i]
			i++
			j++
		}
		if len(out) == 0 || out[len(out)-1] != next {
			out = append(out, next)
		}
	}
	return out
}

// depsOf returns the packages file imports, resolved from modRoot and the
// file's directory, reading and scanning the file on first use.
func (ix *depIndex) depsOf(file, modRoot string, read ReadFileFunc) []string {
	if keys, ok := ix.deps[file]; ok {
		return keys
	}
	imps, ok := ix.imports[file]
	if !ok {
		if src, err := read(file); err == nil {
			imps = scanImports(src)
		}
		ix.imports[file] = imps
	}
	keys := make([]string, 0, len(imps))
	for _, imp := range imps {
		key := packageKey(imp, file, modRoot)
		if _, ok := ix.pkgs[key]; !ok {
			ix.pkgs[key] = packageFiles(key)
		}
		keys = append(keys, key)
		if ix.importers[key] == nil {
			ix.importers[key] = map[string]struct{}{}
		}
		ix.importers[key][file] = struct{}{}
	}
	ix.deps[file] = keys
	return keys
}

// isRefused reports whether the sandbox fsys refuses file.
func (ix *depIndex) isRefused(fsys *sandbox.FS, file string) bool {
	key := [2]string{fsys.Root(), file}
	no, known := ix.refused[key]
	if !known {
		var refused *sandbox.Error
		_, err := fsys.Stat(file)
		no = errors.As(err, &refused)
		ix.refused[key] = no
	}
	return no
}

// sandboxFor returns the read-only sandbox of st's root, opened once per
// root in sb.
func sandboxFor(st *Stack, sb map[string]*sandbox.FS) (*sandbox.FS, error) {
	root := st.Root
	if root == "" {
		root = st.ModRoot
	}
	if root == "" {
		root = st.Dir
	}
	if fsys := sb[root]; fsys != nil {
		return fsys, nil
	}
	fsys, err := st.Sandbox(sandbox.Policy{DenyReason: "finding a stack's files only reads"})
	if err != nil {
		return nil, err
	}
	sb[root] = fsys
	return fsys, nil
}

func closeAll(sb map[string]*sandbox.FS) {
	for _, fsys := range sb {
		fsys.Close()
	}
}

func readOrDisk(read ReadFileFunc) ReadFileFunc {
	if read == nil {
		return os.ReadFile
	}
	return read
}

// scanImports returns the import statements of a KCL file, from its lines:
// a line starting with `import` and a blank. Imports are top-level
// statements, so a line scan finds them all, in a broken buffer too, at a
// fraction of a parse's cost (the index reads every file of the
// repository). A line of a multi-line string that looks like an import
// can only add a dependency, never lose one.
func scanImports(src []byte) []importRef {
	var out []importRef
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		rest, ok := bytes.CutPrefix(line, []byte("import"))
		if !ok || len(rest) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		fields := strings.Fields(string(rest))
		if len(fields) == 0 {
			continue
		}
		raw := strings.TrimSuffix(fields[0], ";")
		trimmed := strings.TrimLeft(raw, ".")
		r := importRef{path: trimmed, dots: len(raw) - len(trimmed)}
		if r.path != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// packageKey returns the path of the package an import names, looked up
// from the importing file: absolute imports under modRoot, relative ones
// from the file's directory.
func packageKey(imp importRef, from, modRoot string) string {
	base := modRoot
	if imp.dots > 0 {
		base = filepath.Dir(from)
		for i := 1; i < imp.dots; i++ {
			base = filepath.Dir(base)
		}
	}
	return filepath.Join(base, filepath.FromSlash(strings.ReplaceAll(imp.path, ".", "/")))
}

// packageFiles returns the files of the package at p: a directory package
// holds its .k files (see kclFilesIn) and is preferred over a same-named .k
// file; nil when there is neither.
func packageFiles(p string) []string {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		files, _ := kclFilesIn(p)
		return files
	}
	if fileExists(p + ".k") {
		return []string{p + ".k"}
	}
	return nil
}
