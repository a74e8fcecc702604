package index_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/index"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

const serverFile = "base/pkg/kusion_models/kube/frontend/server.k"

func corpus(t testing.TB) string {
	t.Helper()
	return filepath.Join(testutil.CorpusDir(t), "konfig")
}

func build(t testing.TB, root, cacheDir string) *index.Index {
	t.Helper()
	ix := index.New(root, cacheDir)
	if err := ix.Build(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// targetAt returns the symbol at the first occurrence of marker in rel,
// offset by delta bytes.
func targetAt(t *testing.T, ix *index.Index, rel, marker string, delta int) index.Target {
	t.Helper()
	path := filepath.Join(ix.Root(), rel)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(src, []byte(marker))
	if i < 0 {
		t.Fatalf("%q not in %s", marker, rel)
	}
	tg, ok := ix.At(path, i+delta)
	if !ok {
		t.Fatalf("no symbol at %q in %s", marker, rel)
	}
	return tg
}

// stripCode blanks comments and string literals (keeping line structure),
// by a scan of its own.
func stripCode(src string) string {
	b := []byte(src)
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '#':
			for i < len(b) && b[i] != '\n' {
				b[i] = ' '
				i++
			}
		case c == '"' || c == '\'':
			q := []byte{c}
			if bytes.HasPrefix(b[i:], []byte{c, c, c}) {
				q = []byte{c, c, c}
			}
			j := i + len(q)
			for j < len(b) && !bytes.HasPrefix(b[j:], q) {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+len(q), len(b))
			for k := i; k < end; k++ {
				if b[k] != '\n' {
					b[k] = ' '
				}
			}
			i = end
		default:
			i++
		}
	}
	return string(b)
}

var importRE = regexp.MustCompile(`(?m)^import\s+([\w.]+)(?:\s+as\s+(\w+))?`)

// independentServerUses counts the uses of frontend.Server by regular
// expressions over comment- and string-free code: `alias.Server` in files
// importing the frontend package, `Server` in the package's own files,
// and `typeof(x) == "Server"` in files importing it. Returns "rel:line"
// of each.
func independentServerUses(t *testing.T, root string) []string {
	var out []string
	frontendDir := filepath.Join(root, filepath.Dir(serverFile))
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".k") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		code := stripCode(string(raw))
		rel, _ := filepath.Rel(root, p)
		var re *regexp.Regexp
		imports := false
		if filepath.Dir(p) == frontendDir {
			re = regexp.MustCompile(`\bServer\b`)
		}
		for _, m := range importRE.FindAllStringSubmatch(code, -1) {
			// the package, or its file server.k imported as a package
			if m[1] == "base.pkg.kusion_models.kube.frontend" || m[1] == "base.pkg.kusion_models.kube.frontend.server" {
				alias := m[2]
				if alias == "" {
					alias = m[1][strings.LastIndexByte(m[1], '.')+1:]
				}
				re = regexp.MustCompile(`\b` + alias + `\.Server\b`)
				imports = true
			}
		}
		add := func(off int) {
			out = append(out, fmt.Sprintf("%s:%d", filepath.ToSlash(rel), 1+strings.Count(string(raw[:off]), "\n")))
		}
		if re != nil {
			for _, m := range re.FindAllStringIndex(code, -1) {
				if m[0] > 0 && code[m[0]-1] == '.' && !strings.Contains(re.String(), `\.`) {
					continue // x.Server: an attribute, not the schema
				}
				add(m[0])
			}
		}
		if imports {
			for _, m := range regexp.MustCompile(`typeof\([^()]*\)\s*==\s*"Server"`).FindAllStringIndex(string(raw), -1) {
				add(m[0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func lines(ix *index.Index, locs []index.Location) []string {
	var out []string
	for _, l := range locs {
		rel, _ := filepath.Rel(ix.Root(), l.Path)
		out = append(out, fmt.Sprintf("%s:%d", filepath.ToSlash(rel), l.Span.Start.Line))
	}
	sort.Strings(out)
	return out
}

// TestServerReferences: the references of schema Server (frontend/server.k)
// equal an independent count.
func TestServerReferences(t *testing.T) {
	root := corpus(t)
	ix := build(t, root, "")
	tg := targetAt(t, ix, serverFile, "schema Server", len("schema "))
	if tg.Key.Name != "Server" || tg.Kind != index.DeclSchema {
		t.Fatalf("target %+v", tg)
	}
	refs := ix.References(tg.Key)
	want := independentServerUses(t, root)
	got := lines(ix, refs)
	files := map[string]bool{}
	for _, l := range refs {
		files[l.Path] = true
	}
	t.Logf("references of schema Server: %d in %d files; independent count: %d", len(got), len(files), len(want))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("references differ from the independent count (-independent +index):\n%s", diff)
	}
	// From a use, the same symbol.
	use := targetAt(t, ix, "appops/guestbook/base/base.k", "frontend.Server", len("frontend."))
	if use.Key != tg.Key {
		t.Errorf("use resolves to %+v, want %+v", use.Key, tg.Key)
	}
}

// TestAttributeReferences: a config key resolves to the attribute through
// the schema of the config (and parents, nested attribute types).
func TestAttributeReferences(t *testing.T) {
	root := corpus(t)
	ix := build(t, root, "")
	tg := targetAt(t, ix, "appops/guestbook/base/base.k", "mainContainer", 0)
	if tg.Key.Attr != "mainContainer" || tg.Key.Name != "Server" {
		t.Fatalf("target %+v", tg)
	}
	refs := ix.References(tg.Key)
	decls := 0
	for _, r := range refs {
		if r.Decl {
			decls++
		}
	}
	if decls != 1 || len(refs) < 20 {
		t.Errorf("mainContainer: %d references, %d declarations", len(refs), decls)
	}
}

// applyEdits replaces every reference span with newName.
func applyEdits(t *testing.T, locs []index.Location, newName string) {
	t.Helper()
	byFile := map[string][]index.Location{}
	for _, l := range locs {
		byFile[l.Path] = append(byFile[l.Path], l)
	}
	for p, ls := range byFile {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(ls, func(i, j int) bool { return ls[i].Span.Start.Off > ls[j].Span.Start.Off })
		for _, l := range ls {
			src = append(src[:l.Span.Start.Off:l.Span.Start.Off], append([]byte(newName), src[l.Span.End.Off:]...)...)
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRenameServerCompiles renames schema Server to ServerX in a copy of
// the corpus Konfig and compiles every stack against its golden: still
// 27 of 28.
func TestRenameServerCompiles(t *testing.T) {
	renameAndCompile(t, serverFile, "schema Server", len("schema "), "ServerX", "frontend.ServerX {")
}

// TestRenameAttributeCompiles renames attribute mainContainer of Server
// (used as config keys in every stack, and as `x.mainContainer` through
// declared types in the backend models): still 27 of 28.
func TestRenameAttributeCompiles(t *testing.T) {
	renameAndCompile(t, "appops/guestbook/base/base.k", "mainContainer", 0, "primaryContainer", "primaryContainer")
}

func renameAndCompile(t *testing.T, rel, marker string, delta int, newName, inBase string) {
	if testing.Short() {
		t.Skip("compiles 28 stacks")
	}
	root, ix, _ := corpusCopy(t)
	tg := targetAt(t, ix, rel, marker, delta)
	if err := ix.CheckRename(tg.Key); err != nil {
		t.Fatalf("CheckRename: %v", err)
	}
	refs := ix.References(tg.Key)
	applyEdits(t, refs, newName)
	data, _ := os.ReadFile(filepath.Join(root, "appops/guestbook/base/base.k"))
	if !strings.Contains(string(data), inBase) {
		t.Fatalf("edit not applied:\n%s", data)
	}
	repo, err := konfig.Discover(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	passed := 0
	for _, r := range konfig.CompileAll(ctx, repo.Stacks, konfig.CompileAllOptions{Golden: true}) {
		switch {
		case r.Err != nil:
			t.Logf("FAIL %s: %v", r.Stack.Dir, r.Err)
		case r.GoldenDiff != "":
			t.Logf("FAIL %s: differs from its golden", r.Stack.Dir)
		default:
			passed++
		}
	}
	files := map[string]bool{}
	for _, r := range refs {
		files[r.Path] = true
	}
	t.Logf("after renaming %s to %s (%d edits in %d files): %d of %d stacks compile and equal their goldens", tg.Key.Label(), newName, len(refs), len(files), passed, len(repo.Stacks))
	if passed < 27 {
		t.Errorf("%d stacks pass after the rename, want 27", passed)
	}
}

// TestWarmRestart: a second index of the same unchanged tree takes every
// file from the persisted cache and parses none, with the same answers.
func TestWarmRestart(t *testing.T) {
	root := corpus(t)
	cache := t.TempDir()
	cold := build(t, root, cache)
	if cold.Parses() == 0 || cold.Parses() != int64(cold.Files()) {
		t.Fatalf("cold build parsed %d of %d files", cold.Parses(), cold.Files())
	}
	if _, err := os.Stat(cold.CachePath()); err != nil {
		t.Fatalf("no cache file: %v", err)
	}
	warm := build(t, root, cache)
	if warm.Parses() != 0 || warm.CacheHits() != int64(warm.Files()) {
		t.Fatalf("warm build parsed %d files, %d from the cache, of %d", warm.Parses(), warm.CacheHits(), warm.Files())
	}
	key := key2(t, cold)
	if diff := cmp.Diff(cold.References(key), warm.References(key)); diff != "" {
		t.Errorf("warm answers differ:\n%s", diff)
	}

	// In a copy (fresh modification times: read and hashed, not
	// trusted by stamp), one changed file is the only one parsed.
	copyRoot := t.TempDir()
	testutil.CopyTree(t, root, copyRoot)
	build(t, copyRoot, cache)
	p := filepath.Join(copyRoot, "appops/guestbook/base/base.k")
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(data, "\nextra: frontend.Server {}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	again := build(t, copyRoot, cache)
	if again.Parses() != 1 || again.CacheHits() != int64(again.Files()-1) {
		t.Errorf("after changing one file: %d parsed, %d from the cache, of %d", again.Parses(), again.CacheHits(), again.Files())
	}
	if n, m := len(again.References(key2(t, again))), len(warm.References(key)); n != m+1 {
		t.Errorf("after changing one file: %d references, want %d", n, m+1)
	}
}

func key2(t *testing.T, ix *index.Index) index.Key {
	return targetAt(t, ix, serverFile, "schema Server", len("schema ")).Key
}

// corpusCopy indexes a copy of the corpus Konfig (to be edited), and
// returns it with the key of schema Server.
func corpusCopy(t *testing.T) (string, *index.Index, index.Key) {
	root := t.TempDir()
	testutil.CopyTree(t, corpus(t), root)
	ix := build(t, root, "")
	return root, ix, key2(t, ix)
}

// TestCorruptCache: a corrupt, truncated or foreign cache file is ignored.
func TestCorruptCache(t *testing.T) {
	root := corpus(t)
	cache := t.TempDir()
	good := build(t, root, cache)
	data, err := os.ReadFile(good.CachePath())
	if err != nil {
		t.Fatal(err)
	}
	key := targetAt(t, good, serverFile, "schema Server", len("schema ")).Key
	want := good.References(key)
	flipped := append([]byte(nil), data...)
	for i := len(flipped) / 3; i < len(flipped); i += 97 {
		flipped[i] ^= 0x5a
	}
	for name, content := range map[string][]byte{
		"garbage":   []byte("not a cache at all"),
		"empty":     nil,
		"truncated": data[:len(data)/2],
		"flipped":   flipped,
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(good.CachePath(), content, 0o600); err != nil {
				t.Fatal(err)
			}
			ix := build(t, root, cache)
			if ix.Parses()+ix.CacheHits() != int64(ix.Files()) {
				t.Errorf("parsed %d + cached %d != %d files", ix.Parses(), ix.CacheHits(), ix.Files())
			}
			if diff := cmp.Diff(want, ix.References(key)); diff != "" {
				t.Errorf("answers differ with a %s cache:\n%s", name, diff)
			}
		})
	}
	// The cache of another root, put where this root's cache goes, is
	// not used (even though every content hash matches).
	copyRoot := t.TempDir()
	testutil.CopyTree(t, root, copyRoot)
	if err := os.WriteFile(good.CachePath(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	other := index.New(copyRoot, cache)
	if err := os.WriteFile(other.CachePath(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := other.Build(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if other.CacheHits() != 0 || other.Parses() != int64(other.Files()) {
		t.Errorf("a foreign cache was used: %d from the cache, %d parsed", other.CacheHits(), other.Parses())
	}
}

// TestIncremental: an edited buffer is re-indexed alone, and its new use
// is found.
func TestIncremental(t *testing.T) {
	root, ix, key := corpusCopy(t)
	before := len(ix.References(key))
	parses := ix.Parses()
	p := filepath.Join(root, "appops/guestbook/base/base.k")
	data, _ := os.ReadFile(p)
	ix.Update(p, append(data, []byte("\nextra: frontend.Server {}\n")...))
	if n := len(ix.References(key)); n != before+1 {
		t.Errorf("after the edit: %d references, want %d", n, before+1)
	}
	if ix.Parses() != parses+1 {
		t.Errorf("the edit parsed %d files, want 1", ix.Parses()-parses)
	}
	// A file deleted on disk disappears.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	ix.Changed(p)
	if n := len(ix.References(key)); n != before-3 {
		t.Errorf("after the delete: %d references, want %d", n, before-3)
	}
}

// TestCheckRename: rename refuses when a file that can use the name has
// syntax errors, or an attribute is read from a value of unknown type.
func TestCheckRename(t *testing.T) {
	root, ix, key := corpusCopy(t)
	if err := ix.CheckRename(key); err != nil {
		t.Fatalf("unexpected refusal: %v", err)
	}
	if err := ix.CheckNewName(key, "Job"); err == nil || !strings.Contains(err.Error(), "already declared") {
		t.Errorf("CheckNewName(Server, Job): %v", err)
	}
	if err := ix.CheckNewName(key, "ServerX"); err != nil {
		t.Errorf("CheckNewName(Server, ServerX): %v", err)
	}
	p := filepath.Join(root, "appops/guestbook/base/base.k")
	data, _ := os.ReadFile(p)
	ix.Update(p, append(data, []byte("\nbroken: frontend.Server {\n")...))
	if err := ix.CheckRename(key); err == nil || !strings.Contains(err.Error(), "syntax errors") {
		t.Errorf("CheckRename with a broken importer: %v", err)
	}
	ix.Update(p, data)
	// A broken importer that does not mention the name does not stop it.
	extra := filepath.Join(root, "appops/guestbook/base/extra.k")
	ix.Update(extra, []byte("import base.pkg.kusion_models.kube.frontend\n\nbroken: frontend.Job {\n"))
	if err := ix.CheckRename(key); err != nil {
		t.Errorf("with a broken file not mentioning Server: %v", err)
	}
	ix.Update(extra, []byte("import base.pkg.kusion_models.kube.frontend\n\nbroken: frontend.Job {\n    s = frontend.Serv"))
	if err := ix.CheckRename(key); err != nil {
		t.Errorf("with a broken file mentioning a prefix of Server: %v", err)
	}
	ix.Update(extra, []byte("import base.pkg.kusion_models.kube.frontend\n\nbroken: frontend.Job {\n    s = [frontend.Server\n"))
	if err := ix.CheckRename(key); err == nil {
		t.Error("a broken file mentioning Server does not stop the rename")
	}
	ix.Update(extra, []byte("import base.pkg.kusion_models.kube.frontend\n"))
	if err := ix.CheckRename(key); err != nil {
		t.Errorf("after the fix: %v", err)
	}
	// An attribute read from a value of unknown type in a file that
	// imports its package.
	attr := targetAt(t, ix, "appops/guestbook/base/base.k", "mainContainer", 0).Key
	if err := ix.CheckRename(attr); err != nil {
		t.Fatalf("CheckRename of mainContainer: %v", err)
	}
	if err := ix.CheckNewName(attr, "replicas"); err == nil || !strings.Contains(err.Error(), "already has an attribute") {
		t.Errorf("CheckNewName(mainContainer, replicas): %v", err)
	}
	ix.Update(p, append(data, []byte("\n_m = [s.mainContainer for s in frontend.Server.instances()]\n")...))
	if err := ix.CheckRename(attr); err == nil || !strings.Contains(err.Error(), "type is not known") {
		t.Errorf("CheckRename of an attribute read dynamically: %v", err)
	}
}

// TestImplementations: schemas inheriting from a schema, and its
// instantiations.
func TestImplementations(t *testing.T) {
	root := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("kcl.mod", "[package]\nname = \"t\"\n")
	write("models/base.k", "schema Base:\n    name: str\n\nschema Mid(Base):\n    x?: int\n")
	write("models/leaf.k", "schema Leaf(Mid):\n    y?: int\n\nprotocol P:\n    name: str\n\nmixin M for P:\n    name = \"m\"\n")
	write("app/main.k", "import models as m\n\na = m.Base {name = \"a\"}\nb = m.Leaf {name = \"b\", y = 1}\n")
	ix := build(t, root, "")
	base := targetAt(t, ix, "models/base.k", "schema Base", len("schema ")).Key
	got := lines(ix, ix.Implementations(base))
	want := []string{"app/main.k:3", "app/main.k:4", "models/base.k:4", "models/leaf.k:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("implementations (-want +got):\n%s", diff)
	}
	p := targetAt(t, ix, "models/leaf.k", "protocol P", len("protocol ")).Key
	if diff := cmp.Diff([]string{"models/leaf.k:7"}, lines(ix, ix.Implementations(p))); diff != "" {
		t.Errorf("implementations of a protocol (-want +got):\n%s", diff)
	}
	// `name` in Leaf's config is Base's attribute (inherited twice).
	name := targetAt(t, ix, "app/main.k", "name = \"b\"", 0).Key
	if name != (index.Key{Dir: filepath.Join(root, "models"), Name: "Base", Attr: "name"}) {
		t.Errorf("name resolves to %+v", name)
	}
	syms := ix.Symbols(context.Background(), "e", 0)
	var names []string
	for _, s := range syms {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"Base", "Leaf"}, names); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
}
