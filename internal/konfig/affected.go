package konfig

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
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

// indexInputs walks every stack's imports once, sharing the parsed imports
// between stacks (and with StacksIncluding, through the Repo's cache).
func (r *Repo) indexInputs(ctx context.Context, read ReadFileFunc) (*inputIndex, error) {
	g := newDepGraph(read, &r.imports)
	idx := &inputIndex{byFile: map[string][]*Stack{}, byPkg: map[string][]*Stack{}}
	for _, st := range r.Stacks {
		files, pkgs, err := g.stackInputs(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("affected stacks: %w", err)
		}
		for _, f := range files {
			idx.byFile[f] = append(idx.byFile[f], st)
		}
		for _, p := range pkgs {
			idx.byPkg[p] = append(idx.byPkg[p], st)
		}
	}
	return idx, nil
}

// stackInputs is stackFiles that also returns the package paths the stack's
// imports name (directory or file path without .k), found or not.
func (g *depGraph) stackInputs(ctx context.Context, st *Stack) (files, pkgs []string, err error) {
	// Files outside the stack's sandbox root (a linked .k) are not read,
	// whatever read does: their imports are not followed.
	fsys, err := st.Sandbox(sandbox.Policy{DenyReason: "finding a stack's files only reads"})
	if err != nil {
		return nil, nil, err
	}
	defer fsys.Close()
	seen := map[string]bool{}
	seenPkg := map[string]bool{}
	queue := append([]string(nil), st.Files...)
	for _, f := range queue {
		seen[f] = true
	}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		f := queue[0]
		queue = queue[1:]
		for _, imp := range g.importsOf(fsys, f) {
			if p := importPath(imp, f, st.ModRoot); !seenPkg[p] {
				seenPkg[p] = true
				pkgs = append(pkgs, p)
			}
			for _, dep := range g.resolve(imp, f, st.ModRoot) {
				if !seen[dep] {
					seen[dep] = true
					queue = append(queue, dep)
				}
			}
		}
	}
	for f := range seen {
		files = append(files, f)
	}
	sort.Strings(files)
	return files, pkgs, nil
}

// within reports whether path is dir or beneath it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
