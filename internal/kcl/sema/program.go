package sema

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// MainPkg is the package path of the main package (the input files).
const MainPkg = "__main__"

// Config says what to load.
type Config struct {
	// ModRoot is the module root (the directory holding kcl.mod); absolute
	// imports are resolved under it. Empty means loader.ModRoot of the
	// files with the first file's directory as the working directory: their
	// kcl.mod directory, else that directory.
	ModRoot string
	// Files are the main-package files, in order.
	Files []string
	// Overlay maps absolute file paths to contents that replace the disk
	// (open editor buffers).
	Overlay map[string][]byte
	// External maps the first segment of an import path to the absolute
	// directory of an external package (-E, package_maps), as in kclrun;
	// the path dependencies of ModRoot's kcl.mod complete it.
	External map[string]string
	// Cache shares parse results between loads (and with the evaluator
	// and the server: it is the loader's); nil makes a fresh one.
	Cache *Cache
	// Reuse is a Program of the same module (another stack, an earlier
	// version): its packages whose files and dependencies are unchanged are
	// shared instead of resolved again. Optional.
	Reuse *Program
	// FS, when set, is the sandbox every file is stat'ed, listed and read
	// through (files it refuses are not loaded); nil reads the disk.
	FS *sandbox.FS
}

// refused returns the sandbox's refusal of the package at path (a
// directory or path.k), or nil.
func (p *Program) refused(path string) error {
	if p.cfg.FS == nil {
		return nil
	}
	var r *sandbox.Error
	for _, c := range []string{path, path + ".k"} {
		if _, err := p.cfg.FS.Stat(c); errors.As(err, &r) {
			return r
		}
	}
	return nil
}

// Cache is the loader's parse cache (package loader): one cache of parsed
// files, keyed by path and content hash, shared by the resolver, the
// evaluator and the server. It is safe for concurrent use.
type Cache = loader.Cache

// NewCache returns an empty, bounded parse cache (loader.NewCache).
func NewCache() *Cache { return loader.NewCache() }

// parsedFile is a file of a package as the resolver holds it: the
// loader's parse of one content.
type parsedFile struct {
	path  string
	hash  [32]byte
	ast   *syntax.File
	diags []*diag.Diagnostic
}

func fromLoader(f *loader.File) *parsedFile {
	return &parsedFile{path: f.Path, hash: f.Hash, ast: f.AST, diags: f.Diags}
}

// Package is the resolution result of one package. Packages are immutable
// once built and shared between Program versions when unchanged.
type Package struct {
	PkgPath string
	// Dir is the package directory ("" for the main package).
	Dir string
	// Files are the package's parsed files, in order.
	Files []*syntax.File
	// Imports are the package paths this package imports (deduplicated).
	Imports []string
	// Scope is the package scope (globals).
	Scope *Scope
	// FileScopes are the per-file scopes (imports) by file name.
	FileScopes map[string]*Scope
	// Schemas by name.
	Schemas map[string]*SchemaInfo
	// Diags are the resolver diagnostics (parse diagnostics are in ParseDiags).
	Diags      []*diag.Diagnostic
	ParseDiags []*diag.Diagnostic
	// Unresolved names.
	Unresolved []Unresolved

	hashes map[string][32]byte
	index  map[string]*fileIndex
	types  map[syntax.Expr]*Type
	exprs  map[string][]syntax.Expr // typed expressions per file
	// expected maps config expressions to the schema expected there.
	expected map[*syntax.ConfigExpr]*Type
	// configs are the config expressions per file in source order.
	configs map[string][]*syntax.ConfigExpr
	// sysModule is set for system modules (no files).
	sysModule bool
}

// Program is an immutable snapshot of a loaded and resolved program.
type Program struct {
	cfg      Config
	ld       *loader.Loader
	builtins *Builtins
	pkgs     map[string]*Package
	order    []string // package paths in load order, main first
	sources  map[string]*pkgSource
	// cycles maps each package on an import cycle to the cycle's members.
	cycles map[string][]string

	// changed lists the files an Update touched (nil for Load): other files
	// are taken from the previous Program without reading the disk.
	changed map[string]bool

	refsOnce sync.Once
	refs     map[*Symbol][]*Occurrence
}

// Load parses the main files and every package they import, and resolves
// them all.
func Load(ctx context.Context, cfg Config) (*Program, error) {
	if len(cfg.Files) == 0 {
		return nil, fmt.Errorf("sema: no input files")
	}
	files := make([]string, len(cfg.Files))
	for i, f := range cfg.Files {
		a, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("sema: %w", err)
		}
		files[i] = a
	}
	cfg.Files = files
	if cfg.ModRoot == "" {
		// kcl run's rule with the first file's directory as the
		// working directory.
		cfg.ModRoot = loader.ModRoot(files, filepath.Dir(files[0]))
	} else if a, err := filepath.Abs(cfg.ModRoot); err == nil {
		cfg.ModRoot = a
	}
	if cfg.Cache == nil {
		cfg.Cache = NewCache()
	}
	var fsys loader.FS
	if cfg.FS != nil {
		fsys = cfg.FS
	}
	cfg.External = loader.WithDependencies(fsys, cfg.ModRoot, cfg.External)
	reuse := cfg.Reuse
	cfg.Reuse = nil
	if reuse != nil && reuse.cfg.ModRoot != cfg.ModRoot {
		reuse = nil
	}
	p := &Program{cfg: cfg, ld: newLoader(cfg), builtins: sharedBuiltins(), pkgs: map[string]*Package{}}
	if err := p.build(ctx, reuse); err != nil {
		return nil, err
	}
	return p, nil
}

var (
	builtinsOnce sync.Once
	builtinsVal  *Builtins
)

// sharedBuiltins returns the builtin tables, built once; they are never
// modified after construction.
func sharedBuiltins() *Builtins {
	builtinsOnce.Do(func() { builtinsVal = newBuiltins() })
	return builtinsVal
}

// Update returns a new Program with overlay applied on top of the current
// one's overlay (a nil value removes a file from the overlay). Only packages
// whose files changed, and the packages that depend on them, are resolved
// again; the others are shared with p.
func (p *Program) Update(ctx context.Context, overlay map[string][]byte) (*Program, error) {
	cfg := p.cfg
	cfg.Overlay = map[string][]byte{}
	for k, v := range p.cfg.Overlay {
		cfg.Overlay[k] = v
	}
	for k, v := range overlay {
		if v == nil {
			delete(cfg.Overlay, k)
		} else {
			cfg.Overlay[k] = v
		}
	}
	np := &Program{cfg: cfg, ld: newLoader(cfg), builtins: p.builtins, pkgs: map[string]*Package{}}
	changed := map[string]bool{}
	for k := range overlay {
		changed[k] = true
	}
	np.changed = changed
	if err := np.build(ctx, p); err != nil {
		return nil, err
	}
	return np, nil
}

// newLoader returns the loader of a program of cfg.
func newLoader(cfg Config) *loader.Loader {
	l := &loader.Loader{Root: cfg.ModRoot, External: cfg.External, Overlay: loader.Buffers(cfg.Overlay), Cache: cfg.Cache}
	if cfg.FS != nil {
		l.FS = cfg.FS
	}
	return l
}

// pkgSource is a package to load: its path and files.
type pkgSource struct {
	pkgpath string
	dir     string
	files   []*parsedFile
	imports []string
	sys     bool
	missing bool
}

// build loads every package reachable from the main files and resolves the
// ones that are new or changed relative to prev (nil for a cold load).
func (p *Program) build(ctx context.Context, prev *Program) error {
	sources := map[string]*pkgSource{}
	var order []string
	mainSrc := &pkgSource{pkgpath: MainPkg}
	var prevMain map[string]*parsedFile
	if prev != nil && p.changed != nil {
		prevMain = map[string]*parsedFile{}
		for _, pf := range prev.sources[MainPkg].files {
			prevMain[pf.path] = pf
		}
	}
	for _, f := range p.cfg.Files {
		if pf, ok := prevMain[f]; ok && !p.changed[f] {
			mainSrc.files = append(mainSrc.files, pf)
			continue
		}
		pf, err := p.ld.Parse(f)
		if err != nil {
			return fmt.Errorf("sema: read %s: %w", f, err)
		}
		mainSrc.files = append(mainSrc.files, fromLoader(pf))
	}
	sources[MainPkg] = mainSrc
	order = append(order, MainPkg)
	// Breadth-first over the imports; the packages discovered at one level
	// are read and parsed concurrently.
	frontier := []string{MainPkg}
	for len(frontier) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sema: load: %w", err)
		}
		var next []string
		pending := map[string]string{} // package path → base
		for _, path := range frontier {
			ps := sources[path]
			seen := map[string]bool{}
			for _, pf := range ps.files {
				for _, imp := range fileImports(pf.ast) {
					where := p.ld.Import(pf.path, imp.Dots, imp.Path)
					ipath := where.PkgPath
					if ipath == "" || seen[ipath] {
						continue
					}
					seen[ipath] = true
					ps.imports = append(ps.imports, ipath)
					if _, ok := sources[ipath]; ok {
						continue
					}
					if _, ok := pending[ipath]; ok {
						continue
					}
					pending[ipath] = where.Base
					next = append(next, ipath)
				}
			}
		}
		loaded := make([]*pkgSource, len(next))
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
		for i, path := range next {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				ns := p.reuseSource(prev, path)
				if ns == nil {
					ns = p.loadSource(path, pending[path])
				}
				loaded[i] = ns
			}()
		}
		wg.Wait()
		for i, path := range next {
			sources[path] = loaded[i]
			order = append(order, path)
		}
		frontier = next
	}
	p.order = order
	p.sources = sources
	p.cycles = importCycles(order, sources)

	// Decide which packages need resolving: new, changed files, or a
	// dependency that is resolved again.
	dirty := map[string]bool{}
	for _, path := range order {
		ps := sources[path]
		var old *Package
		if prev != nil {
			old = prev.pkgs[path]
		}
		if old == nil || !sameFiles(old, ps) {
			dirty[path] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, path := range order {
			if dirty[path] {
				continue
			}
			for _, imp := range sources[path].imports {
				if dirty[imp] {
					dirty[path] = true
					changed = true
					break
				}
			}
		}
	}
	var work []*pkgState
	for _, path := range order {
		if !dirty[path] {
			p.pkgs[path] = prev.pkgs[path]
			continue
		}
		st := newPkgState(p, sources[path])
		p.pkgs[path] = st.pkg
		work = append(work, st)
	}
	for _, st := range work {
		st.declare()
	}
	for _, st := range work {
		st.link()
	}
	for _, st := range work {
		for si := range st.schemaDecl {
			if si.Parent != nil && si.Parent.broken {
				si.Parent = nil
			}
		}
	}
	for _, st := range work {
		for _, si := range st.linked {
			st.checkAttrOverrides(si)
		}
	}
	for _, st := range work {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sema: resolve: %w", err)
		}
		st.resolve()
	}
	for _, st := range work {
		st.flushPending()
	}
	for _, st := range work {
		st.finish()
	}
	return nil
}

// importCycles finds the import cycles among the packages (the main
// package cannot be imported, so it is never on one): each member maps to
// the cycle's members, starting from the earliest loaded.
func importCycles(order []string, sources map[string]*pkgSource) map[string][]string {
	out := map[string][]string{}
	for _, start := range order {
		if start == MainPkg || out[start] != nil {
			continue
		}
		// depth-first search for a path back to start
		var path []string
		seen := map[string]bool{}
		var dfs func(p string) bool
		dfs = func(p string) bool {
			path = append(path, p)
			seen[p] = true
			for _, q := range sources[p].imports {
				if q == start {
					return true
				}
				if !seen[q] && sources[q] != nil && dfs(q) {
					return true
				}
			}
			path = path[:len(path)-1]
			return false
		}
		if dfs(start) {
			cyc := append([]string(nil), path...)
			for _, m := range cyc {
				if out[m] == nil {
					out[m] = cyc
				}
			}
		}
	}
	return out
}

// reuseSource returns the previous Program's source of pkgpath when an
// Update touched none of its files (nil otherwise).
func (p *Program) reuseSource(prev *Program, pkgpath string) *pkgSource {
	if prev == nil || p.changed == nil {
		return nil
	}
	old := prev.sources[pkgpath]
	if old == nil || old.missing {
		return nil
	}
	for _, pf := range old.files {
		if p.changed[pf.path] {
			return nil
		}
	}
	for path := range p.changed {
		if old.dir != "" && filepath.Dir(path) == old.dir {
			return nil // a file of the directory was added or removed
		}
	}
	return &pkgSource{pkgpath: old.pkgpath, dir: old.dir, files: old.files, sys: old.sys}
}

func sameFiles(old *Package, ps *pkgSource) bool {
	if old.sysModule != ps.sys || len(old.Files) != len(ps.files) {
		return false
	}
	for i, pf := range ps.files {
		if old.Files[i].Filename != pf.path || old.hashes[pf.path] != pf.hash {
			return false
		}
	}
	return true
}

func fileImports(f *syntax.File) []*syntax.ImportStmt {
	var out []*syntax.ImportStmt
	for _, s := range f.Stmts {
		if imp, ok := s.(*syntax.ImportStmt); ok {
			out = append(out, imp)
		}
	}
	return out
}

// importPath returns the package path an import in file refers to.
func (p *Program) importPath(file string, imp *syntax.ImportStmt) string {
	return p.ld.Import(file, imp.Dots, imp.Path).PkgPath
}

// loadSource reads and parses the package pkgpath whose directory (or
// base.k file) is base.
func (p *Program) loadSource(pkgpath, base string) *pkgSource {
	ps := &pkgSource{pkgpath: pkgpath}
	if p.builtins.IsSystemModule(pkgpath) {
		ps.sys = true
		return ps
	}
	files, err := p.ld.PackageFiles(base)
	if err != nil {
		ps.missing = true
		return ps
	}
	ps.dir = filepath.Dir(files[0])
	for _, f := range files {
		pf, err := p.ld.Parse(f)
		if err != nil {
			continue
		}
		ps.files = append(ps.files, fromLoader(pf))
	}
	if len(ps.files) == 0 {
		ps.missing = true
	}
	return ps
}

// Packages returns the package paths of the program, main first.
func (p *Program) Packages() []string { return append([]string(nil), p.order...) }

// Package returns the resolved package with the given path (nil if absent).
func (p *Program) Package(pkgpath string) *Package { return p.pkgs[pkgpath] }

// Builtins returns the builtin signature tables.
func (p *Program) Builtins() *Builtins { return p.builtins }

// ModRoot returns the module root used for imports.
func (p *Program) ModRoot() string { return p.cfg.ModRoot }

// Diagnostics returns the parse and resolver diagnostics of every package,
// main first, each package's in source order.
func (p *Program) Diagnostics() []*diag.Diagnostic {
	var out []*diag.Diagnostic
	for _, path := range p.order {
		pkg := p.pkgs[path]
		out = append(out, pkg.ParseDiags...)
		out = append(out, pkg.Diags...)
	}
	return out
}

// Unresolved returns the unresolved names of every package.
func (p *Program) Unresolved() []Unresolved {
	var out []Unresolved
	for _, path := range p.order {
		out = append(out, p.pkgs[path].Unresolved...)
	}
	return out
}

// packagesOf returns the packages containing file, main first.
func (p *Program) packagesOf(file string) []*Package {
	var out []*Package
	for _, path := range p.order {
		pkg := p.pkgs[path]
		if _, ok := pkg.index[file]; ok {
			out = append(out, pkg)
		}
	}
	return out
}

// File returns the parsed file (nil when it is not part of the program).
func (p *Program) File(file string) *syntax.File {
	for _, pkg := range p.packagesOf(file) {
		for _, f := range pkg.Files {
			if f.Filename == file {
				return f
			}
		}
	}
	return nil
}

// SymbolAt returns the occurrence (definition or reference) at a position:
// line is 1-based, col is the 1-based byte column (syntax.Pos convention).
func (p *Program) SymbolAt(file string, line, col int) *Occurrence {
	f := p.File(file)
	if f == nil {
		return nil
	}
	return p.SymbolAtOffset(file, offsetOf(f.Src, line, col))
}

// SymbolAtOffset returns the occurrence at a byte offset of file.
func (p *Program) SymbolAtOffset(file string, off int) *Occurrence {
	for _, pkg := range p.packagesOf(file) {
		if o := pkg.index[file].at(off); o != nil {
			return o
		}
	}
	return nil
}

// Occurrences returns every occurrence in file sorted by position.
func (p *Program) Occurrences(file string) []*Occurrence {
	pkgs := p.packagesOf(file)
	if len(pkgs) == 0 {
		return nil
	}
	return append([]*Occurrence(nil), pkgs[0].index[file].occ...)
}

func offsetOf(src []byte, line, col int) int {
	l := 1
	i := 0
	for i < len(src) && l < line {
		if src[i] == '\n' {
			l++
		}
		i++
	}
	return i + col - 1
}

// Definition returns where the symbol at the position is defined. Packages
// give one location per file, at the start of the file.
func (p *Program) Definition(file string, line, col int) []Location {
	o := p.SymbolAt(file, line, col)
	if o == nil || o.Sym == nil {
		return nil
	}
	return p.DefinitionOf(o.Sym)
}

// DefinitionOf returns where sym is defined.
func (p *Program) DefinitionOf(sym *Symbol) []Location {
	if sym.Kind == SymPackage {
		pkg := p.pkgs[sym.Target]
		if pkg == nil || pkg.sysModule {
			return nil
		}
		var out []Location
		for _, f := range pkg.Files {
			out = append(out, Location{File: f.Filename, Start: syntax.Pos{Line: 1, Col: 1}, End: syntax.Pos{Line: 1, Col: 1}})
		}
		return out
	}
	if sym.Loc.File == "" {
		return nil
	}
	return []Location{sym.Loc}
}

// References returns every occurrence of sym in the program (its
// definition included), sorted by file and position.
func (p *Program) References(sym *Symbol) []*Occurrence {
	p.refsOnce.Do(func() {
		p.refs = map[*Symbol][]*Occurrence{}
		for _, path := range p.order {
			pkg := p.pkgs[path]
			files := make([]string, 0, len(pkg.index))
			for f := range pkg.index {
				files = append(files, f)
			}
			sort.Strings(files)
			for _, f := range files {
				for _, o := range pkg.index[f].occ {
					if o.Sym != nil {
						p.refs[o.Sym] = append(p.refs[o.Sym], o)
					}
				}
			}
		}
	})
	return p.refs[sym]
}

// TypeOf returns the inferred type of an expression of the program (nil
// when unknown).
func (p *Program) TypeOf(e syntax.Expr) *Type {
	for _, path := range p.order {
		if t, ok := p.pkgs[path].types[e]; ok {
			return t
		}
	}
	return nil
}

// Schema returns the schema with the fully qualified name pkgpath.Name (just
// Name for the main package).
func (p *Program) Schema(fqn string) *SchemaInfo {
	pkgpath, name := MainPkg, fqn
	if i := strings.LastIndexByte(fqn, '.'); i >= 0 {
		pkgpath, name = fqn[:i], fqn[i+1:]
	}
	pkg := p.pkgs[pkgpath]
	if pkg == nil {
		return nil
	}
	return pkg.Schemas[name]
}

// Schemas returns every schema of the program, by package order then name.
func (p *Program) Schemas() []*SchemaInfo {
	var out []*SchemaInfo
	for _, path := range p.order {
		pkg := p.pkgs[path]
		names := make([]string, 0, len(pkg.Schemas))
		for n := range pkg.Schemas {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, pkg.Schemas[n])
		}
	}
	return out
}

// ExpectedSchemaAt returns the innermost config expression of file that
// contains the byte offset and whose expected type is known, with that type.
func (p *Program) ExpectedSchemaAt(file string, off int) (*syntax.ConfigExpr, *Type) {
	for _, pkg := range p.packagesOf(file) {
		var best *syntax.ConfigExpr
		for _, c := range pkg.configs[file] {
			if c.Start.Offset < off && off < c.Stop.Offset {
				if best == nil || c.Start.Offset >= best.Start.Offset {
					best = c
				}
			}
		}
		if best != nil {
			return best, pkg.expected[best]
		}
	}
	return nil, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
