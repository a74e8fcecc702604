package konfig

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// ReadFileFunc reads a file; the editor passes one that sees unsaved buffers.
type ReadFileFunc func(path string) ([]byte, error)

// importRef is one import statement: the dotted path and its leading dots.
type importRef struct {
	path string
	dots int
}

// importCache maps a file's path to its imports, valid while the file's
// content hashes the same; it is safe for concurrent use.
type importCache struct {
	mu    sync.Mutex
	seed  maphash.Seed
	files map[string]cachedImports
}

type cachedImports struct {
	sum  uint64
	imps []importRef
}

// get returns the imports of the file with content src, parsing it only
// when the cache has no entry for this path and content.
func (c *importCache) get(path string, src []byte) []importRef {
	c.mu.Lock()
	if c.files == nil {
		c.files = map[string]cachedImports{}
		c.seed = maphash.MakeSeed()
	}
	seed := c.seed
	c.mu.Unlock()
	sum := maphash.Bytes(seed, src)
	c.mu.Lock()
	e, ok := c.files[path]
	c.mu.Unlock()
	if ok && e.sum == sum {
		return e.imps
	}
	imps := parseImports(path, src)
	c.mu.Lock()
	c.files[path] = cachedImports{sum: sum, imps: imps}
	c.mu.Unlock()
	return imps
}

// depGraph resolves the files a stack reads, memoizing per file; one
// depGraph serves one query.
type depGraph struct {
	read    ReadFileFunc
	cache   *importCache
	imports map[string][]importRef
	pkgs    map[string][]string // package dir or .k file -> its files
	// refused records, by sandbox root and file, whether the sandbox
	// refuses the file.
	refused map[[2]string]bool
}

// newDepGraph returns a graph reading files with read (nil: the disk) and
// parsing imports through cache (nil: no cache across queries).
func newDepGraph(read ReadFileFunc, cache *importCache) *depGraph {
	if read == nil {
		read = os.ReadFile
	}
	if cache == nil {
		cache = &importCache{}
	}
	return &depGraph{read: read, cache: cache, imports: map[string][]importRef{}, pkgs: map[string][]string{}, refused: map[[2]string]bool{}}
}

// StackFiles returns every KCL file the stack's compile reads: its listed
// files and the files of every package they import, transitively, sorted.
// Imports that resolve to no file under the module root (system modules,
// external packages) are ignored. read may be nil (os.ReadFile).
func StackFiles(ctx context.Context, st *Stack, read ReadFileFunc) ([]string, error) {
	return newDepGraph(read, nil).stackFiles(ctx, st)
}

// StacksIncluding returns the stacks whose compile reads file: it is one of
// their settings files (kcl.yaml, ci-test/settings.yaml), it is listed in
// their settings, or it is reached through imports. read may be nil. The
// imports of each file are cached in the Repo by content, so repeated
// queries parse only the files that changed; it is safe to call
// concurrently.
func (r *Repo) StacksIncluding(ctx context.Context, file string, read ReadFileFunc) ([]*Stack, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("stacks including %s: %w", file, err)
	}
	g := newDepGraph(read, &r.imports)
	var out []*Stack
	for _, st := range r.Stacks {
		if slices.Contains(st.Settings, abs) {
			out = append(out, st)
			continue
		}
		files, err := g.stackFiles(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("stacks including %s: %w", file, err)
		}
		i := sort.SearchStrings(files, abs)
		if i < len(files) && files[i] == abs {
			out = append(out, st)
		}
	}
	return out, nil
}

func (g *depGraph) stackFiles(ctx context.Context, st *Stack) ([]string, error) {
	files, _, err := g.stackInputs(ctx, st)
	return files, err
}

// importsOf returns the imports of a file (none when it cannot be read, or
// the sandbox fsys refuses it).
func (g *depGraph) importsOf(fsys *sandbox.FS, file string) []importRef {
	key := [2]string{fsys.Root(), file}
	no, known := g.refused[key]
	if !known {
		var refused *sandbox.Error
		_, err := fsys.Stat(file)
		no = errors.As(err, &refused)
		g.refused[key] = no
	}
	if no {
		return nil
	}
	if imps, ok := g.imports[file]; ok {
		return imps
	}
	src, err := g.read(file)
	var imps []importRef
	if err == nil {
		imps = g.cache.get(file, src)
	}
	g.imports[file] = imps
	return imps
}

// parseImports returns the import statements of a KCL file. It uses the
// parser, and also scans the lines so that a file the parser cannot read
// (a broken buffer) still reports the imports it spells out.
func parseImports(file string, src []byte) []importRef {
	seen := map[importRef]bool{}
	var out []importRef
	add := func(r importRef) {
		if r.path != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	f, diags := syntax.ParseFile(file, src)
	for _, s := range f.Stmts {
		if imp, ok := s.(*syntax.ImportStmt); ok {
			add(importRef{path: imp.Path, dots: imp.Dots})
		}
	}
	if len(diags) == 0 {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "import")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		raw := fields[0]
		trimmed := strings.TrimLeft(raw, ".")
		add(importRef{path: trimmed, dots: len(raw) - len(trimmed)})
	}
	return out
}

// importPath is the path an import names, looked up from the importing
// file: a package directory, or a file without its .k.
func importPath(imp importRef, from, modRoot string) string {
	base := modRoot
	if imp.dots > 0 {
		base = filepath.Dir(from)
		for i := 1; i < imp.dots; i++ {
			base = filepath.Dir(base)
		}
	}
	return filepath.Join(base, filepath.FromSlash(strings.ReplaceAll(imp.path, ".", "/")))
}

// resolve returns the files of the package an import names, looked up from
// the importing file: absolute imports under modRoot, relative ones from
// the file's directory. A directory package holds its .k files (see
// kclFilesIn); it is preferred over a same-named .k file.
func (g *depGraph) resolve(imp importRef, from, modRoot string) []string {
	p := importPath(imp, from, modRoot)
	if files, ok := g.pkgs[p]; ok {
		return files
	}
	var files []string
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		files, _ = kclFilesIn(p)
	} else if fileExists(p + ".k") {
		files = []string{p + ".k"}
	}
	g.pkgs[p] = files
	return files
}
