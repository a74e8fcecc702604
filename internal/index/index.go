// Package index is the workspace index of a KCL repository: for every .k
// file beneath a root, its declarations (schemas, rules, attributes,
// top-level names, with positions) and its uses (qualified names of
// imported packages, schema instantiations, inheritance, mixins, type
// annotations, config keys whose schema is known, `typeof(x) == "S"`),
// gathered from the syntax tree alone, so a file's facts depend on its
// content only. They are linked at query time (import alias → package
// directory → declaration, key path → attribute through attribute types
// and parent schemas), which makes an update re-read only the changed file.
//
// The index answers references, rename checks, implementations of a
// schema and workspace symbols over every package and stack of the
// workspace. It is persisted in the user cache directory (see Save and
// Build), one file per workspace root, entries keyed by content hash, so
// a restart on an unchanged repository parses nothing.
//
// Workspace files are read through the sandbox (internal/kcl/sandbox);
// the cache file is untrusted input too: a cached entry is used only when
// its content hash matches and its positions fit the file.
//
// Dependencies point downward: internal/lsp uses this package; it uses
// internal/kcl/syntax and internal/kcl/sandbox only.
package index

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// MaxFileSize bounds the files the index reads; a larger .k file is
// recorded as unreadable (and rename refuses around it).
const MaxFileSize = 8 << 20

// Key identifies a symbol: the directory of its package, its name, and for
// an attribute the attribute name (Name is then its schema).
type Key struct {
	Dir, Name, Attr string
}

// stamp is a file's size and modification time: a file whose stamp is the
// one recorded with its content hash in the cache is not read again.
type stamp struct {
	Size, MTime int64
}

// file is one indexed file.
type file struct {
	path  string
	dir   string
	hash  [32]byte
	stamp stamp // zero when unknown (an open buffer)
	facts *Facts
	// unreadable: the file could not be read (too large, refused).
	unreadable bool
}

type declRef struct {
	f *file
	i int32
}

func (d declRef) decl() *Decl { return &d.f.facts.Decls[d.i] }

// Index is the workspace index of one root. Its methods are safe for
// concurrent use.
type Index struct {
	root     string
	cacheDir string

	mu    sync.RWMutex
	files map[string]*file
	// dirs holds, per package directory, its files.
	dirs map[string]map[string]*file
	// byName holds, per name, the files that declare or use it.
	byName   map[string]map[*file]struct{}
	modRoots map[string]bool
	ready    bool
	readyCh  chan struct{}
	// pending are changes not yet indexed: the new content, or nil to
	// re-read the file from disk (deleted files are removed).
	pending map[string][]byte
	dirty   bool

	parses    atomic.Int64
	cacheHits atomic.Int64
}

// New returns an empty index of root. cacheDir is where Build and Save
// keep the persisted index ("" for no persistence); DefaultCacheDir gives
// the usual place.
func New(root, cacheDir string) *Index {
	return &Index{
		root: filepath.Clean(root), cacheDir: cacheDir,
		files: map[string]*file{}, dirs: map[string]map[string]*file{},
		byName: map[string]map[*file]struct{}{}, modRoots: map[string]bool{},
		pending: map[string][]byte{}, readyCh: make(chan struct{}),
	}
}

// Root returns the root directory.
func (ix *Index) Root() string { return ix.root }

// Parses returns how many files the index has parsed (not taken from the
// cache).
func (ix *Index) Parses() int64 { return ix.parses.Load() }

// CacheHits returns how many files were taken from the persisted cache.
func (ix *Index) CacheHits() int64 { return ix.cacheHits.Load() }

// Ready reports whether Build has finished.
func (ix *Index) Ready() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.ready
}

// WaitReady waits until Build has finished or ctx is done.
func (ix *Index) WaitReady(ctx context.Context) error {
	select {
	case <-ix.readyCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Dirty reports changes since the index was last saved.
func (ix *Index) Dirty() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.dirty || len(ix.pending) > 0
}

// Files returns the number of indexed files.
func (ix *Index) Files() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.files)
}

// IsSource reports whether the index covers a file of this name.
func IsSource(path string) bool { return strings.HasSuffix(path, ".k") }

// Progress receives Build's progress: files done of total (first 0 of
// total once the files are listed; never for a tree without .k files).
type Progress func(done, total int)

// Build reads every .k file beneath the root (through the sandbox), takes
// the facts of unchanged files from the persisted cache and parses the
// others, then saves the cache. It marks the index ready even when it
// fails.
func (ix *Index) Build(ctx context.Context, progress Progress) error {
	defer func() {
		ix.mu.Lock()
		if !ix.ready {
			ix.ready = true
			close(ix.readyCh)
		}
		ix.mu.Unlock()
	}()
	fsys, err := sandbox.Open(ix.root, sandbox.Policy{DenyReason: "the workspace index only reads", MaxFileSize: MaxFileSize})
	if err != nil {
		return err
	}
	defer fsys.Close()
	// The cache loads while the tree is listed.
	loaded := make(chan *cache, 1)
	go func() { loaded <- ix.loadCache() }()
	paths, mods := walk(ctx, fsys, ix.root)
	cached := <-loaded
	if err := ctx.Err(); err != nil {
		return err
	}
	if progress != nil && len(paths) > 0 {
		progress(0, len(paths))
	}
	files := make([]*file, len(paths))
	var done atomic.Int64
	var progressMu sync.Mutex // progress is called from one goroutine at a time
	work := make(chan int)
	var wg sync.WaitGroup
	workers := max(1, runtime.GOMAXPROCS(0))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				files[i] = ix.read(fsys, paths[i].path, paths[i].stamp, nil, cached)
				if n := done.Add(1); progress != nil && (n%512 == 0 || int(n) == len(paths)) {
					progressMu.Lock()
					progress(int(n), len(paths))
					progressMu.Unlock()
				}
			}
		}()
	}
	for i := range paths {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.mu.Lock()
	for m := range mods {
		ix.modRoots[m] = true
	}
	for _, f := range files {
		if _, changed := ix.pending[f.path]; changed {
			continue // a newer content arrived meanwhile
		}
		ix.install(f)
	}
	ix.dirty = int64(len(files)) != ix.cacheHits.Load()
	ix.mu.Unlock()
	if ix.dirty {
		return ix.Save()
	}
	return nil
}

// walk lists the .k files and kcl.mod directories beneath root, skipping
// hidden directories and symbolic links.
type listed struct {
	path  string
	stamp stamp
}

func walk(ctx context.Context, fsys *sandbox.FS, root string) (paths []listed, mods map[string]bool) {
	mods = map[string]bool{}
	var rec func(dir string, depth int)
	rec = func(dir string, depth int) {
		if ctx.Err() != nil || depth > 64 {
			return
		}
		ents, err := fsys.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			n := e.Name()
			p := filepath.Join(dir, n)
			switch {
			case e.Type()&fs.ModeSymlink != 0:
			case e.IsDir():
				if !strings.HasPrefix(n, ".") && n != "node_modules" {
					rec(p, depth+1)
				}
			case n == "kcl.mod":
				mods[dir] = true
			case IsSource(n) && e.Type().IsRegular():
				l := listed{path: p}
				if fi, err := e.Info(); err == nil {
					l.stamp = stamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
				}
				paths = append(paths, l)
			}
		}
	}
	rec(root, 0)
	return paths, mods
}

// read indexes one file: src when given, else its content read through
// fsys (unless the cache recorded the same stamp with its hash); facts
// come from the cache when the content hash is there.
func (ix *Index) read(fsys *sandbox.FS, path string, st stamp, src []byte, cached *cache) *file {
	f := &file{path: path, dir: filepath.Dir(path)}
	if src == nil {
		f.stamp = st
		if h, ok := cached.stamped(ix.rel(path), st); ok {
			if c := cached.facts[h]; c != nil && valid(c, int(st.Size)) {
				ix.cacheHits.Add(1)
				f.hash, f.facts = h, c
				return f
			}
		}
		var err error
		src, err = fsys.ReadFile(path)
		if err != nil {
			f.unreadable = true
			f.facts = &Facts{Broken: true}
			return f
		}
	}
	f.hash = sha256.Sum256(src)
	if c := cached.get(f.hash); c != nil && valid(c, len(src)) {
		ix.cacheHits.Add(1)
		f.facts = c
		return f
	}
	ix.parses.Add(1)
	f.facts = Extract(path, src)
	return f
}

// eachName calls fn with every name the file declares or uses (some more
// than once).
func (f *file) eachName(fn func(string)) {
	for i := range f.facts.Decls {
		fn(f.facts.Decls[i].Name)
	}
	for i := range f.facts.Uses {
		fn(f.facts.Uses[i].Name)
	}
	for i := range f.facts.Dynamic {
		fn(f.facts.Dynamic[i].Name)
	}
}

// install puts f in the index in place of the file of the same path.
// ix.mu is held.
func (ix *Index) install(f *file) {
	ix.uninstall(f.path)
	ix.files[f.path] = f
	d := ix.dirs[f.dir]
	if d == nil {
		d = map[string]*file{}
		ix.dirs[f.dir] = d
	}
	d[f.path] = f
	f.eachName(func(n string) {
		s := ix.byName[n]
		if s == nil {
			s = map[*file]struct{}{}
			ix.byName[n] = s
		}
		s[f] = struct{}{}
	})
	ix.dirty = true
}

func (ix *Index) uninstall(path string) {
	old := ix.files[path]
	if old == nil {
		return
	}
	delete(ix.files, path)
	if d := ix.dirs[old.dir]; d != nil {
		delete(d, path)
		if len(d) == 0 {
			delete(ix.dirs, old.dir)
		}
	}
	old.eachName(func(n string) {
		if s := ix.byName[n]; s != nil {
			delete(s, old)
			if len(s) == 0 {
				delete(ix.byName, n)
			}
		}
	})
	ix.dirty = true
}

// Update records new content of path (an edited buffer); it is indexed at
// the next query.
func (ix *Index) Update(path string, src []byte) {
	if !IsSource(path) {
		return
	}
	ix.mu.Lock()
	ix.pending[filepath.Clean(path)] = append([]byte(nil), src...)
	ix.mu.Unlock()
}

// Changed records that path changed on disk (created, written, deleted);
// it is re-read at the next query.
func (ix *Index) Changed(path string) {
	path = filepath.Clean(path)
	if filepath.Base(path) == "kcl.mod" {
		ix.mu.Lock()
		ix.modRoots = nil // recomputed by flush
		ix.pending[path] = nil
		ix.mu.Unlock()
		return
	}
	if !IsSource(path) {
		return
	}
	ix.mu.Lock()
	ix.pending[path] = nil
	ix.mu.Unlock()
}

// flush indexes the pending changes. It takes ix.mu.
func (ix *Index) flush() {
	ix.mu.RLock()
	n := len(ix.pending)
	ix.mu.RUnlock()
	if n == 0 {
		return
	}
	ix.mu.Lock()
	pending := ix.pending
	ix.pending = map[string][]byte{}
	ix.mu.Unlock()
	fsys, err := sandbox.Open(ix.root, sandbox.Policy{DenyReason: "the workspace index only reads", MaxFileSize: MaxFileSize})
	if err != nil {
		return
	}
	defer fsys.Close()
	var read []*file
	var gone []string
	rescanMods := false
	for p, src := range pending {
		if filepath.Base(p) == "kcl.mod" {
			rescanMods = true
			continue
		}
		if !fsys.Within(p) {
			continue
		}
		if src == nil {
			if _, err := fsys.Stat(p); err != nil {
				gone = append(gone, p)
				continue
			}
		}
		// Unchanged content keeps its facts.
		ix.mu.RLock()
		old := ix.files[p]
		ix.mu.RUnlock()
		if old != nil && src != nil && old.hash == sha256.Sum256(src) {
			continue
		}
		var st stamp
		if src == nil {
			if fi, err := fsys.Lstat(p); err == nil {
				st = stamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
			}
		}
		read = append(read, ix.read(fsys, p, st, src, nil))
	}
	var mods map[string]bool
	if rescanMods {
		_, mods = walk(context.Background(), fsys, ix.root)
	}
	ix.mu.Lock()
	for _, p := range gone {
		ix.uninstall(p)
	}
	for _, f := range read {
		if _, newer := ix.pending[f.path]; !newer {
			ix.install(f)
		}
	}
	if mods != nil {
		ix.modRoots = mods
	}
	ix.mu.Unlock()
}

// modRoot returns the directory of the nearest kcl.mod above dir (the
// root when none). ix.mu is held.
func (ix *Index) modRoot(dir string) string {
	for d := dir; ; {
		if ix.modRoots[d] {
			return d
		}
		if d == ix.root || len(d) <= len(ix.root) {
			return ix.root
		}
		p := filepath.Dir(d)
		if p == d {
			return ix.root
		}
		d = p
	}
}

// importDir returns the package an import of f refers to: a directory, or
// a single file (only) for `import a.b` naming a/b.k.
func (ix *Index) importDir(f *file, alias string) (dir string, only *file, ok bool) {
	var im *Import
	for i := range f.facts.Imports {
		if f.facts.Imports[i].Name == alias {
			im = &f.facts.Imports[i]
		}
	}
	if im == nil {
		return "", nil, false
	}
	return ix.importTarget(f, im)
}

func (ix *Index) importTarget(f *file, im *Import) (dir string, only *file, ok bool) {
	var base string
	if im.Dots == 0 {
		base = ix.modRoot(f.dir)
	} else {
		base = f.dir
		for i := int32(1); i < im.Dots; i++ {
			base = filepath.Dir(base)
		}
	}
	dir = base
	if im.Path != "" {
		dir = filepath.Join(base, filepath.FromSlash(strings.ReplaceAll(im.Path, ".", "/")))
	}
	if ix.dirs[dir] != nil {
		return dir, nil, true
	}
	if g := ix.files[dir+".k"]; g != nil {
		return g.dir, g, true
	}
	return "", nil, false
}

// lookup finds the top-level declaration name in a package (dir, or the
// single file only).
func (ix *Index) lookup(dir string, only *file, name string) (declRef, bool) {
	try := func(f *file) (declRef, bool) {
		for i := range f.facts.Decls {
			if d := &f.facts.Decls[i]; d.Kind != DeclAttr && d.Name == name {
				return declRef{f, int32(i)}, true
			}
		}
		return declRef{}, false
	}
	if only != nil {
		return try(only)
	}
	var best declRef
	found := false
	for _, f := range ix.dirs[dir] {
		if r, ok := try(f); ok && (!found || f.path < best.f.path) {
			best, found = r, true
		}
	}
	return best, found
}

// resolveRef resolves a Ref written in f to a top-level declaration.
func (ix *Index) resolveRef(f *file, r Ref) (declRef, bool) {
	if r.Qual == "" {
		return ix.lookup(f.dir, nil, r.Name)
	}
	dir, only, ok := ix.importDir(f, r.Qual)
	if !ok {
		return declRef{}, false
	}
	return ix.lookup(dir, only, r.Name)
}

// keyOf returns the key of a declaration.
func keyOf(d declRef) Key {
	dc := d.decl()
	if dc.Kind == DeclAttr {
		return Key{Dir: d.f.dir, Name: d.f.facts.Decls[dc.Schema].Name, Attr: dc.Name}
	}
	return Key{Dir: d.f.dir, Name: dc.Name}
}

// attr finds attribute name of the schema s, in s, its parents and mixins.
func (ix *Index) attr(s declRef, name string, depth int) (declRef, bool) {
	if depth > 32 || !s.decl().Kind.IsSchemaLike() {
		return declRef{}, false
	}
	for i := range s.f.facts.Decls {
		if d := &s.f.facts.Decls[i]; d.Kind == DeclAttr && d.Schema == s.i && d.Name == name {
			return declRef{s.f, int32(i)}, true
		}
	}
	for _, u := range s.f.facts.Uses {
		if u.Owner == s.i && (u.Role == UseInherit || u.Role == UseMixin) {
			if p, ok := ix.resolveRef(s.f, u.Ref); ok {
				if a, ok := ix.attr(p, name, depth+1); ok {
					return a, true
				}
			}
		}
	}
	return declRef{}, false
}

// schemaOfType resolves the schema type of an attribute or typed name.
func (ix *Index) schemaOfType(d declRef) (declRef, bool, bool) {
	t := d.decl().Type
	if t.Ref.Name == "" {
		return declRef{}, false, false
	}
	s, ok := ix.resolveRef(d.f, t.Ref)
	return s, t.Dict, ok && s.decl().Kind.IsSchemaLike()
}

// member resolves the attribute name reached from schema s through the
// attributes of path (dict: the first element is a free key of a dict of
// s values).
func (ix *Index) member(s declRef, dict bool, path []string, name string) (declRef, bool) {
	skip := dict
	for _, p := range path {
		if skip {
			skip = false
			continue
		}
		a, ok := ix.attr(s, p, 0)
		if !ok {
			return declRef{}, false
		}
		if s, skip, ok = ix.schemaOfType(a); !ok {
			return declRef{}, false
		}
	}
	if skip {
		return declRef{}, false
	}
	return ix.attr(s, name, 0)
}

// resolve returns the declaration a use denotes.
func (ix *Index) resolve(f *file, u *Use) (declRef, bool) {
	switch u.Role {
	case UseSelf:
		if u.Owner >= 0 && int(u.Owner) < len(f.facts.Decls) {
			if a, ok := ix.attr(declRef{f, u.Owner}, u.Name, 0); ok {
				return a, true
			}
		}
		return ix.lookup(f.dir, nil, u.Name)
	case UseKey, UseMemberOfType:
		s, ok := ix.resolveRef(f, u.Ref)
		if !ok || !s.decl().Kind.IsSchemaLike() {
			return declRef{}, false
		}
		return ix.member(s, false, u.Path, u.Name)
	case UseMember:
		var v declRef
		ok := false
		if u.Owner >= 0 && int(u.Owner) < len(f.facts.Decls) {
			v, ok = ix.attr(declRef{f, u.Owner}, u.Ref.Name, 0)
		}
		if !ok {
			v, ok = ix.lookup(f.dir, nil, u.Ref.Name)
		}
		if !ok {
			return declRef{}, false
		}
		s, dict, ok := ix.schemaOfType(v)
		if !ok {
			return declRef{}, false
		}
		return ix.member(s, dict, u.Path, u.Name)
	case UseString:
		return declRef{}, false
	}
	return ix.resolveRef(f, u.Ref)
}

// Location is one place in the index's answer.
type Location struct {
	Path string
	Span Span
	// Decl reports a declaration; Role says how the name is used otherwise.
	Decl bool
	Role UseRole
}

// Target is the symbol at a position.
type Target struct {
	Key  Key
	Kind DeclKind
	// Span is the name at the position.
	Span Span
}

// At returns the symbol declared or used at the byte offset of path.
func (ix *Index) At(path string, off int) (Target, bool) {
	ix.flush()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	f := ix.files[filepath.Clean(path)]
	if f == nil {
		return Target{}, false
	}
	in := func(s Span) bool { return int(s.Start.Off) <= off && off <= int(s.End.Off) }
	for i := range f.facts.Decls {
		if d := &f.facts.Decls[i]; in(d.Span) {
			r := declRef{f, int32(i)}
			return Target{Key: keyOf(r), Kind: d.Kind, Span: d.Span}, true
		}
	}
	for i := range f.facts.Uses {
		u := &f.facts.Uses[i]
		if !in(u.Span) {
			continue
		}
		if r, ok := ix.resolve(f, u); ok {
			return Target{Key: keyOf(r), Kind: r.decl().Kind, Span: u.Span}, true
		}
		return Target{}, false
	}
	return Target{}, false
}

// decls returns the declarations of key (a top-level name may be declared
// in several files of its package).
func (ix *Index) decls(k Key) []declRef {
	var out []declRef
	for _, f := range ix.dirs[k.Dir] {
		for i := range f.facts.Decls {
			d := declRef{f, int32(i)}
			if dc := d.decl(); (dc.Name == k.Name || dc.Name == k.Attr) && keyOf(d) == k {
				out = append(out, d)
			}
		}
	}
	return out
}

// Label returns the name the key denotes: the attribute, else the name.
func (k Key) Label() string {
	if k.Attr != "" {
		return k.Attr
	}
	return k.Name
}

// References returns every declaration and use of key in the workspace,
// sorted by path and position.
func (ix *Index) References(k Key) []Location {
	ix.flush()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.references(k, nil)
}

func (ix *Index) references(k Key, roles func(UseRole) bool) []Location {
	var out []Location
	if roles == nil {
		for _, d := range ix.decls(k) {
			out = append(out, Location{Path: d.f.path, Span: d.decl().Span, Decl: true})
		}
	}
	isSchema := false
	if k.Attr == "" {
		for _, d := range ix.decls(k) {
			isSchema = isSchema || d.decl().Kind.IsSchemaLike()
		}
	}
	name := k.Label()
	for f := range ix.byName[name] {
		for i := range f.facts.Uses {
			u := &f.facts.Uses[i]
			if u.Name != name || (roles != nil && !roles(u.Role)) {
				continue
			}
			if u.Role == UseString {
				if isSchema && ix.sees(f, k.Dir) {
					out = append(out, Location{Path: f.path, Span: u.Span, Role: u.Role})
				}
				continue
			}
			if r, ok := ix.resolve(f, u); ok && keyOf(r) == k {
				out = append(out, Location{Path: f.path, Span: u.Span, Role: u.Role})
			}
		}
	}
	sortLocations(out)
	return out
}

// sees reports whether f is in package dir or imports it.
func (ix *Index) sees(f *file, dir string) bool {
	if f.dir == dir {
		return true
	}
	for i := range f.facts.Imports {
		if d, _, ok := ix.importTarget(f, &f.facts.Imports[i]); ok && d == dir {
			return true
		}
	}
	return false
}

func sortLocations(out []Location) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Span.Start.Off < out[j].Span.Start.Off
	})
}

// Implementations returns, for a schema, the schemas that inherit from it
// or mix it in (directly or not) and the configs that instantiate it
// (or one of those schemas).
func (ix *Index) Implementations(k Key) []Location {
	ix.flush()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Location
	seen := map[Key]bool{}
	queue := []Key{k}
	for len(queue) > 0 && len(seen) < 10000 {
		cur := queue[0]
		queue = queue[1:]
		if seen[cur] || cur.Attr != "" {
			continue
		}
		seen[cur] = true
		for _, l := range ix.references(cur, func(r UseRole) bool { return r == UseInherit || r == UseMixin || r == UseInstantiate }) {
			if l.Role == UseInstantiate {
				out = append(out, l)
				continue
			}
			f := ix.files[l.Path]
			for i := range f.facts.Uses {
				u := &f.facts.Uses[i]
				if u.Span == l.Span && u.Owner >= 0 && int(u.Owner) < len(f.facts.Decls) {
					child := declRef{f, u.Owner}
					out = append(out, Location{Path: f.path, Span: child.decl().Span, Decl: true, Role: u.Role})
					queue = append(queue, keyOf(child))
				}
			}
		}
	}
	sortLocations(out)
	return out
}

// ErrNotReady is CheckRename's error while the index is being built.
var ErrNotReady = errors.New("the workspace index is still being built")

// CheckRename returns an error saying why renaming key cannot update every
// use: a file that may use it has syntax errors or could not be read, or
// (for an attribute) a file that may use it accesses an attribute of that
// name on a value whose type the index does not know.
func (ix *Index) CheckRename(k Key) error {
	if !ix.Ready() {
		return ErrNotReady
	}
	ix.flush()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ds := ix.decls(k)
	if len(ds) == 0 {
		return fmt.Errorf("%s is not declared in the workspace", k.Label())
	}
	// The files that can name it: its package and the packages that
	// import it (for an attribute, transitively: its values flow further).
	pkgs := map[string]bool{k.Dir: true}
	importers := ix.importers()
	queue := []string{k.Dir}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for imp := range importers[d] {
			if !pkgs[imp] {
				pkgs[imp] = true
				if k.Attr != "" {
					queue = append(queue, imp)
				}
			}
		}
	}
	var paths []string
	for d := range pkgs {
		for p := range ix.dirs[d] {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := ix.files[p]
		if f.unreadable {
			return fmt.Errorf("cannot rename %s: %s could not be read", k.Label(), ix.rel(p))
		}
		if f.facts.Broken {
			return fmt.Errorf("cannot rename %s: %s has syntax errors, so its uses are not all known", k.Label(), ix.rel(p))
		}
		if k.Attr == "" {
			continue
		}
		for _, d := range f.facts.Dynamic {
			if d.Name == k.Attr {
				return fmt.Errorf("cannot rename %s: %s:%d uses .%s on a value whose type is not known", k.Label(), ix.rel(p), d.Span.Start.Line, d.Name)
			}
		}
		for i := range f.facts.Uses {
			u := &f.facts.Uses[i]
			if u.Name != k.Attr || (u.Role != UseMember && u.Role != UseMemberOfType) {
				continue
			}
			if _, ok := ix.resolve(f, u); !ok {
				return fmt.Errorf("cannot rename %s: %s:%d uses .%s on a value whose type is not known", k.Label(), ix.rel(p), u.Span.Start.Line, u.Name)
			}
		}
	}
	return nil
}

func (ix *Index) rel(p string) string {
	if r, err := filepath.Rel(ix.root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

// importers maps each package directory to the directories of the files
// that import it. ix.mu is held.
func (ix *Index) importers() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, f := range ix.files {
		for i := range f.facts.Imports {
			d, _, ok := ix.importTarget(f, &f.facts.Imports[i])
			if !ok || d == f.dir {
				continue
			}
			m := out[d]
			if m == nil {
				m = map[string]bool{}
				out[d] = m
			}
			m[f.dir] = true
		}
	}
	return out
}

// Symbol is a top-level declaration, for workspace/symbol.
type Symbol struct {
	Name string
	Kind DeclKind
	Path string
	Span Span
}

// Symbols returns the top-level declarations whose name contains query
// (case-insensitive), schemas first, then by name; at most limit.
func (ix *Index) Symbols(ctx context.Context, query string, limit int) []Symbol {
	ix.flush()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := strings.ToLower(query)
	var out []Symbol
	for _, f := range ix.files {
		if ctx.Err() != nil {
			return nil
		}
		for _, d := range f.facts.Decls {
			if d.Kind == DeclAttr || !strings.Contains(strings.ToLower(d.Name), q) {
				continue
			}
			out = append(out, Symbol{Name: d.Name, Kind: d.Kind, Path: f.path, Span: d.Span})
		}
	}
	rank := func(k DeclKind) int {
		switch {
		case k.IsSchemaLike() && k != DeclRule:
			return 0
		case k == DeclRule || k == DeclAlias:
			return 1
		}
		return 2
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := rank(a.Kind), rank(b.Kind); ra != rb {
			return ra < rb
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Span.Start.Off < b.Span.Start.Off
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
