// Linking and queries: import alias → package directory → declaration,
// key paths and member chains → attributes; references, implementations,
// rename checks and symbols.

package index

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

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
// or mix it in and the mixins declared `for` it (directly or not), and the
// configs that instantiate it (or one of those schemas).
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
		for _, l := range ix.references(cur, func(r UseRole) bool {
			return r == UseInherit || r == UseMixin || r == UseInstantiate || r == UseType
		}) {
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
func (ix *Index) CheckRename(k Key) error { return ix.CheckRenameKnown(k, nil) }

// CheckRenameKnown is CheckRename where known(path, span) reports the
// uses that the caller resolves by other means (the programs of the open
// file's stacks, which know types the index does not): an unknown-typed
// read at such a span does not refuse the rename. known may be nil.
func (ix *Index) CheckRenameKnown(k Key, known func(path string, sp Span) bool) error {
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
		if f.facts.Broken && mentions(f.facts.Words, k.Label()) {
			return fmt.Errorf("cannot rename %s: %s has syntax errors, so its uses are not all known", k.Label(), ix.rel(p))
		}
		if k.Attr == "" {
			continue
		}
		for _, d := range f.facts.Dynamic {
			if d.Name == k.Attr && (known == nil || !known(p, d.Span)) {
				return fmt.Errorf("cannot rename %s: %s:%d uses .%s on a value whose type is not known", k.Label(), ix.rel(p), d.Span.Start.Line, d.Name)
			}
		}
		for i := range f.facts.Uses {
			u := &f.facts.Uses[i]
			if u.Name != k.Attr || (u.Role != UseMember && u.Role != UseMemberOfType) {
				continue
			}
			if _, ok := ix.resolve(f, u); !ok && (known == nil || !known(p, u.Span)) {
				return fmt.Errorf("cannot rename %s: %s:%d uses .%s on a value whose type is not known", k.Label(), ix.rel(p), u.Span.Start.Line, u.Name)
			}
		}
	}
	return nil
}

// CheckNewName returns an error when renaming key to name would collide
// with a declaration: a top-level name of the package, or an attribute of
// the schema (its own, inherited or mixed in).
func (ix *Index) CheckNewName(k Key, name string) error {
	ix.flush()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if name == k.Label() {
		return nil
	}
	if k.Attr == "" {
		if d, ok := ix.lookup(k.Dir, nil, name); ok {
			return fmt.Errorf("%s is already declared in %s:%d", name, ix.rel(d.f.path), d.decl().Span.Start.Line)
		}
		return nil
	}
	for _, d := range ix.decls(Key{Dir: k.Dir, Name: k.Name}) {
		if a, ok := ix.attr(d, name, 0); ok {
			return fmt.Errorf("schema %s already has an attribute %s (%s:%d)", k.Name, name, ix.rel(a.f.path), a.decl().Span.Start.Line)
		}
	}
	return nil
}

// mentions reports whether name is among the sorted words (a $-escaped
// name counts too).
func mentions(words []string, name string) bool {
	for _, w := range []string{name, "$" + name} {
		if i := sort.SearchStrings(words, w); i < len(words) && words[i] == w {
			return true
		}
	}
	return false
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
			if d.Kind == DeclAttr || d.Name == "?" || !strings.Contains(strings.ToLower(d.Name), q) {
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
