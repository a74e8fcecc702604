package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

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

// programs caches a resolved program per unit; each is updated
// incrementally (sema.Program.Update) when the snapshot changes.
type programs struct {
	mu    sync.Mutex
	byKey map[string]*programEntry
	cache *sema.Cache
}

type programEntry struct {
	snapID  uint64
	prog    *sema.Program
	catalog *schema.Catalog
	overlay map[string][]byte
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

// program returns the resolved program and schema catalog of path's unit
// for snap.
func (s *server) program(ctx context.Context, snap *snapshot, path string) (*sema.Program, *schema.Catalog, error) {
	u := s.unitFor(path)
	// Files over maxFileSize get syntax service only: no program.
	if err := s.checkSizes(snap, append([]string{path}, u.files...)...); err != nil {
		return nil, nil, err
	}
	ov := snap.overlay()
	ps := &s.progs
	ps.mu.Lock()
	if ps.byKey == nil {
		ps.byKey = map[string]*programEntry{}
		// One parse cache (the loader's) for programs and stack
		// evaluations.
		ps.cache = s.stacks.evalCache
		if ps.cache == nil {
			ps.cache = sema.NewCache()
		}
	}
	e := ps.byKey[u.key]
	cache := ps.cache
	ps.mu.Unlock()
	if e != nil && e.snapID == snap.id {
		return e.prog, e.catalog, nil
	}
	var prog *sema.Program
	var err error
	if e != nil {
		// Pass the differences: changed buffers, and closed ones (nil).
		diff := map[string][]byte{}
		for k, v := range ov {
			if old, ok := e.overlay[k]; !ok || string(old) != string(v) {
				diff[k] = v
			}
		}
		for k := range e.overlay {
			if _, ok := ov[k]; !ok {
				diff[k] = nil
			}
		}
		prog, err = e.prog.Update(ctx, diff)
	} else {
		// The resolver reads beneath the unit's root only, through a
		// read-only sandbox (symlinks leading outside are refused, as in
		// evaluation); the sandbox stays open for the Program's updates.
		fsys, ferr := s.readSandbox(sandboxRoot(u))
		if ferr != nil {
			return nil, nil, ferr
		}
		files := readable(fsys, u.files, ov)
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("%s: no file of its package can be read beneath %s", path, fsys.Root())
		}
		prog, err = sema.Load(ctx, sema.Config{ModRoot: u.modRoot, Files: files, Overlay: ov, Cache: cache, FS: fsys})
	}
	if err != nil {
		return nil, nil, err
	}
	ne := &programEntry{snapID: snap.id, prog: prog, catalog: schema.New(prog), overlay: ov}
	ps.mu.Lock()
	if cur := ps.byKey[u.key]; cur == nil || cur.snapID <= snap.id {
		ps.byKey[u.key] = ne
	}
	ps.mu.Unlock()
	return ne.prog, ne.catalog, nil
}
