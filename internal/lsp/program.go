package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

// unit is the set of files resolved together for a file: the stack's main
// package when the file is listed in a stack's settings, else the file's
// own package directory.
type unit struct {
	key     string
	modRoot string
	files   []string
	stack   *konfig.Stack // nil for a package unit
}

// unitFor returns the unit of path (cached until a project, stack or
// settings file changes).
func (s *server) unitFor(path string) unit {
	s.stacks.mu.Lock()
	u, ok := s.stacks.units[path]
	s.stacks.mu.Unlock()
	if ok {
		return u
	}
	u = s.findUnit(path)
	s.stacks.mu.Lock()
	if s.stacks.units == nil {
		s.stacks.units = map[string]unit{}
	}
	s.stacks.units[path] = u
	s.stacks.mu.Unlock()
	return u
}

func (s *server) findUnit(path string) unit {
	if dir := konfig.FindStackDir(path); dir != "" {
		if st, err := konfig.LoadStack(dir); err == nil {
			for _, f := range st.Files {
				if f == path {
					return unit{key: "stack:" + st.Dir, modRoot: st.ModRoot, files: st.Files, stack: st}
				}
			}
		}
	}
	dir := filepath.Dir(path)
	var files []string
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !loader.IsSource(n) {
				continue
			}
			files = append(files, filepath.Join(dir, n))
		}
	}
	found := false
	for _, f := range files {
		found = found || f == path
	}
	if !found {
		files = append(files, path)
	}
	sort.Strings(files)
	return unit{key: "pkg:" + dir, modRoot: loader.ModRoot(nil, dir), files: files}
}

// programEntry is a resolved program of a unit as the store keeps it (by
// unit key): built from the open buffers docs and the disk as of disk
// event diskSeq, for snapshot snapID. It is immutable.
type programEntry struct {
	snapID  uint64
	modRoot string
	files   []string // the unit's files
	docs    map[string]*document
	diskSeq uint64
	prog    *sema.Program
	catalog *schema.Catalog
	cost    int64

	readsOnce sync.Once
	read      programReads
	// usableAt is 1 + the id of the latest snapshot the program was found
	// good for as it is (nothing it reads changed): the requests on that
	// snapshot do not compare the buffers again.
	usableAt atomic.Uint64
}

// programReads are the files and package directories a program read; any
// is set when an import is missing (a file anywhere might provide it).
type programReads struct {
	files, dirs map[string]bool
	any         bool
}

// reads returns what the program read.
func (e *programEntry) reads() *programReads {
	e.readsOnce.Do(func() {
		r := programReads{files: map[string]bool{}, dirs: map[string]bool{}}
		for _, f := range e.files {
			r.files[f] = true
			r.dirs[filepath.Dir(f)] = true
		}
		for _, pp := range e.prog.Packages() {
			pkg := e.prog.Package(pp)
			if pkg == nil {
				continue
			}
			if pkg.Dir != "" {
				r.dirs[pkg.Dir] = true
			}
			for _, f := range pkg.Files {
				r.files[f.Filename] = true
			}
			if pp != sema.MainPkg && pkg.Dir == "" && len(pkg.Files) == 0 && !e.prog.Builtins().IsSystemModule(pp) {
				r.any = true
			}
		}
		e.read = r
	})
	return &e.read
}

// relevant reports whether a change of path can change the program.
func (e *programEntry) relevant(path string) bool {
	r := e.reads()
	return r.any || r.files[path] || r.dirs[filepath.Dir(path)]
}

// changesFor returns the files whose content differs between the entry
// and snap — open buffers changed, opened or closed, and files changed on
// disk since the entry — and whether any of them is relevant to the
// program. ok is false when the entry cannot be brought to snap by an
// update (its unit changed, or the disk events since it are forgotten).
func (e *programEntry) changesFor(snap *snapshot, u unit) (changed []string, relevant, ok bool) {
	if e.modRoot != u.modRoot || !slices.Equal(e.files, u.files) {
		return nil, false, false
	}
	if e.snapID == snap.id || e.usableAt.Load() == snap.id+1 {
		return nil, false, true
	}
	disk, ok := snap.disk.since(e.diskSeq)
	if !ok {
		return nil, false, false
	}
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			changed = append(changed, p)
			relevant = relevant || e.relevant(p)
		}
	}
	for p, d := range snap.docs {
		if old := e.docs[p]; old != d && (old == nil || string(old.data) != string(d.data)) {
			add(p)
		}
	}
	for p := range e.docs {
		if snap.docs[p] == nil {
			add(p)
		}
	}
	for _, p := range disk {
		add(p)
	}
	return changed, relevant, true
}

// program returns the resolved program and schema catalog of path's unit
// for snap. A program in the store is used as it is when nothing it reads
// changed since it was built, updated (sema.Program.Update: only the
// packages touched are resolved again) when something did, and built
// afresh — sharing the unchanged packages of a program of the same module —
// when the store has none.
func (s *server) program(ctx context.Context, snap *snapshot, path string) (*sema.Program, *schema.Catalog, error) {
	u := s.unitFor(path)
	// Files over maxFileSize get syntax service only: no program.
	if err := s.checkSizes(snap, append([]string{path}, u.files...)...); err != nil {
		return nil, nil, err
	}
	ov := snap.overlay()
	st := snap.store
	key := storeKey{kind: kindProgram, name: u.key}
	var prev *programEntry
	var diff map[string][]byte
	if v, ok := st.get(key); ok {
		e := v.(*programEntry)
		if changed, relevant, ok := e.changesFor(snap, u); ok {
			if !relevant {
				e.usableAt.Store(snap.id + 1)
				return e.prog, e.catalog, nil
			}
			prev, diff = e, map[string][]byte{}
			for _, p := range changed {
				diff[p] = ov[p] // nil for a file read from disk
			}
		}
	}
	e, err := st.once(ctx, u.key, snap.id, func(ctx context.Context) (*programEntry, error) {
		var prog *sema.Program
		var err error
		if prev != nil {
			prog, err = prev.prog.Update(ctx, diff)
		} else {
			// The resolver reads beneath the unit's root only, through
			// a read-only sandbox (symlinks leading outside are refused,
			// as in evaluation); the sandbox stays open for the
			// Program's updates.
			fsys, ferr := s.readSandbox(sandboxRoot(u))
			if ferr != nil {
				return nil, ferr
			}
			files := readable(fsys, u.files, ov)
			if len(files) == 0 {
				return nil, fmt.Errorf("%s: no file of its package can be read beneath %s", path, fsys.Root())
			}
			prog, err = sema.Load(ctx, sema.Config{ModRoot: u.modRoot, Files: files, Overlay: ov, Cache: st.files, FS: fsys, Reuse: st.reusable(u.modRoot)})
		}
		if err != nil {
			return nil, err
		}
		ne := &programEntry{snapID: snap.id, modRoot: u.modRoot, files: u.files, docs: snap.docs, diskSeq: snap.disk.end(),
			prog: prog, catalog: schema.New(prog), cost: programCost(prog)}
		st.modify(key, func(old any) (any, int64, bool) {
			// An older snapshot's program does not replace a newer one's.
			cur, _ := old.(*programEntry)
			return ne, ne.cost, cur == nil || cur.snapID <= snap.id
		})
		return ne, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return e.prog, e.catalog, nil
}

// reusable returns the most recently used program of the module at
// modRoot, whose unchanged packages a new program shares, or nil.
func (st *store) reusable(modRoot string) *sema.Program {
	var out *sema.Program
	st.each(kindProgram, func(v any) bool {
		if e := v.(*programEntry); e.modRoot == modRoot {
			out = e.prog
			return false
		}
		return true
	})
	return out
}

// programCost estimates the memory a program holds: its sources' bytes
// times programCostFactor.
func programCost(p *sema.Program) int64 {
	var n int64
	for _, pp := range p.Packages() {
		if pkg := p.Package(pp); pkg != nil {
			for _, f := range pkg.Files {
				n += int64(len(f.Src))
			}
		}
	}
	return n * programCostFactor
}
