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
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
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
	// disk is, for an open buffer's content, the file as read from disk
	// before, kept for the persisted cache.
	disk *file
}

type declRef struct {
	f *file
	i int32
}

func (d declRef) decl() *Decl { return &d.f.facts.Decls[d.i] }

// Index is the workspace index of one root. Its methods are safe for
// concurrent use.
type Index struct {
	// Workers bounds the files Build parses at once (0: GOMAXPROCS). Set
	// it before Build.
	Workers int

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
	// flushMu makes flushes one at a time, so an older content taken by
	// one never lands after a newer one taken by another.
	flushMu sync.Mutex

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
	workers := ix.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
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
	// Directories are listed by a few goroutines (the time goes in system
	// calls); results are sorted after.
	type job struct {
		dir   string
		depth int
	}
	var (
		mu      sync.Mutex
		pending sync.WaitGroup
		queue   = make(chan job, 1<<16)
	)
	var visit func(j job)
	visit = func(j job) {
		defer pending.Done()
		if ctx.Err() != nil || j.depth > 64 {
			return
		}
		ents, err := fsys.ReadDir(j.dir)
		if err != nil {
			return
		}
		var found []listed
		mod := false
		for _, e := range ents {
			n := e.Name()
			p := filepath.Join(j.dir, n)
			switch {
			case e.Type()&fs.ModeSymlink != 0:
			case e.IsDir():
				if !strings.HasPrefix(n, ".") && n != "node_modules" {
					pending.Add(1)
					select {
					case queue <- job{p, j.depth + 1}:
					default:
						visit(job{p, j.depth + 1}) // queue full: here
					}
				}
			case n == "kcl.mod":
				mod = true
			case loader.IsKCL(n) && e.Type().IsRegular():
				l := listed{path: p}
				if fi, err := e.Info(); err == nil {
					l.stamp = stamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
				}
				found = append(found, l)
			}
		}
		mu.Lock()
		paths = append(paths, found...)
		if mod {
			mods[j.dir] = true
		}
		mu.Unlock()
	}
	pending.Add(1)
	queue <- job{root, 0}
	done := make(chan struct{})
	go func() {
		pending.Wait()
		close(done)
	}()
	var workers sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case j := <-queue:
					visit(j)
				case <-done:
					return
				}
			}
		}()
	}
	workers.Wait()
	sort.Slice(paths, func(i, j int) bool { return paths[i].path < paths[j].path })
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
	if len(src) > MaxFileSize {
		// an open buffer as large as a refused file
		f.unreadable = true
		f.facts = &Facts{Broken: true}
		return f
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
	if old := ix.files[f.path]; old != nil && f.stamp == (stamp{}) && !f.unreadable {
		f.disk = old
		if old.stamp == (stamp{}) {
			f.disk = old.disk
		}
	}
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
	if !loader.IsKCL(path) {
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
		ix.modRoots = map[string]bool{} // recomputed by flush
		ix.pending[path] = nil
		ix.mu.Unlock()
		return
	}
	if !loader.IsKCL(path) {
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
	ix.flushMu.Lock()
	defer ix.flushMu.Unlock()
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
