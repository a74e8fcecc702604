package konfig

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Change is one changed file of a repository: its absolute path, and whether
// the change deleted it (a deleted or renamed-away file still affects the
// stacks that read it).
type Change struct {
	Path    string
	Deleted bool
}

// AffectedOptions tune Affected.
type AffectedOptions struct {
	// Direct keeps only the stacks whose own files changed: files under the
	// stack directory (its main package, stack.yaml, ci-test/settings.yaml)
	// and its settings files; changes reaching a stack through imports, a
	// project file or kcl.mod are left out.
	Direct bool
	// Read reads files (nil: the disk).
	Read ReadFileFunc
}

// AffectedStack is a stack a change affects and the changed files that
// reach it, sorted.
type AffectedStack struct {
	Stack   *Stack
	Because []string
}

// Affected returns the stacks whose compile the changes can alter, sorted by
// directory: the stacks that read a changed KCL file (listed in their
// settings or reached through imports, as StacksIncluding), whose stack.yaml,
// settings files or project (project.yaml, the project's crd/ files) changed,
// and every stack under a changed kcl.mod. A deleted KCL file affects the
// stacks that read it or another file of its package, or import its package.
// Files that no stack reads (a README) affect none.
func (r *Repo) Affected(ctx context.Context, changes []Change, opts AffectedOptions) ([]AffectedStack, error) {
	read := opts.Read
	because := map[*Stack]map[string]bool{}
	add := func(st *Stack, file string) {
		if because[st] == nil {
			because[st] = map[string]bool{}
		}
		because[st][file] = true
	}
	var idx *inputIndex // built on the first KCL change that needs it
	for _, c := range changes {
		p := filepath.Clean(c.Path)
		dir, base := filepath.Dir(p), filepath.Base(p)
		for _, st := range r.Stacks {
			own := within(st.Dir, p) || slices.Contains(st.Settings, p)
			switch {
			case own && (base == "stack.yaml" || slices.Contains(st.Settings, p) || slices.Contains(st.Files, p)):
				add(st, p)
			case opts.Direct:
			case base == "kcl.mod" && within(dir, st.Dir):
				add(st, p)
			case st.Project != nil && (p == filepath.Join(st.Project.Dir, "project.yaml") || within(filepath.Join(st.Project.Dir, "crd"), p)):
				add(st, p)
			}
		}
		if opts.Direct || filepath.Ext(p) != ".k" {
			continue
		}
		if idx == nil {
			var err error
			if idx, err = r.indexInputs(ctx, read); err != nil {
				return nil, err
			}
		}
		for _, st := range idx.byFile[p] {
			add(st, p)
		}
		if c.Deleted || len(idx.byFile[p]) == 0 {
			// The file's package: its directory (import a.b → a/b/*.k), or
			// the file itself as a one-file package (import a.b → a/b.k).
			for _, st := range idx.byPkg[dir] {
				add(st, p)
			}
			for _, st := range idx.byPkg[strings.TrimSuffix(p, ".k")] {
				add(st, p)
			}
		}
	}
	out := make([]AffectedStack, 0, len(because))
	for st, files := range because {
		a := AffectedStack{Stack: st}
		for f := range files {
			a.Because = append(a.Because, f)
		}
		sort.Strings(a.Because)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stack.Dir < out[j].Stack.Dir })
	return out, nil
}

// inputIndex maps each KCL file, and each package path an import names
// (resolved or not), to the stacks that read or import it.
type inputIndex struct {
	byFile map[string][]*Stack
	byPkg  map[string][]*Stack
}

// indexInputs returns, from the Repo's include index (include.go, built on
// first use and shared with StacksIncluding), the stacks reading each file
// and importing each package path.
func (r *Repo) indexInputs(ctx context.Context, read ReadFileFunc) (*inputIndex, error) {
	ix := &r.index
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := r.build(ctx, readOrDisk(read)); err != nil {
		return nil, fmt.Errorf("affected stacks: %w", err)
	}
	idx := &inputIndex{byFile: map[string][]*Stack{}, byPkg: map[string][]*Stack{}}
	for f, ids := range ix.stacksOf {
		for _, i := range ids {
			idx.byFile[f] = append(idx.byFile[f], r.Stacks[i])
		}
	}
	for key, files := range ix.importers {
		var ids []int
		for f := range files {
			ids = append(ids, ix.stacksOf[f]...)
		}
		slices.Sort(ids)
		for _, i := range slices.Compact(ids) {
			idx.byPkg[key] = append(idx.byPkg[key], r.Stacks[i])
		}
	}
	return idx, nil
}

// within reports whether path is dir or beneath it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
