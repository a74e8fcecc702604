package lsp

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

func TestStoreEvictsLeastRecentlyUsed(t *testing.T) {
	st := newStore(100)
	put := func(name string, cost int64) {
		st.modify(storeKey{kind: kindParse, name: name}, func(any) (any, int64, bool) { return name, cost, true })
	}
	has := func(name string) bool {
		_, ok := st.get(storeKey{kind: kindParse, name: name})
		return ok
	}
	put("a", 40)
	put("b", 40)
	has("a") // a is now the most recently used
	put("c", 40)
	if !has("a") || has("b") || !has("c") {
		t.Errorf("after a, b, use of a, c over a budget of two: a %v b %v c %v; want a and c", has("a"), has("b"), has("c"))
	}
	if n, used := st.stats(); n != 2 || used != 80 {
		t.Errorf("stats = %d entries, %d bytes; want 2, 80", n, used)
	}
	put("huge", 1000) // over the budget alone: kept, the others go
	if n, _ := st.stats(); n != 1 || !has("huge") {
		t.Errorf("an entry over the budget alone: %d entries; want it alone", n)
	}
	st.setBudget(10)
	if !has("huge") {
		t.Error("the most recent entry was dropped by a smaller budget")
	}
}

func TestStoreParseIsContentKeyed(t *testing.T) {
	st := newStore(defaultCacheMemory)
	p1 := st.parse("/w/a.k", "a = 1\n")
	if st.parse("/w/a.k", "a = 1\n") != p1 {
		t.Error("the same content was parsed again")
	}
	p2 := st.parse("/w/a.k", "a = 2\n")
	if p2 == p1 {
		t.Fatal("a new content got the old parse")
	}
	// The content before an edit stays (a request on the older snapshot).
	if st.parse("/w/a.k", "a = 1\n") != p1 || st.parse("/w/a.k", "a = 2\n") != p2 {
		t.Error("the latest two contents of a path are not both kept")
	}
}

// storeServer is a server without a connection (diagnostics never run:
// a debounce of an hour) for tests of its state.
func storeServer(t *testing.T) *server {
	t.Helper()
	s := newServer(&testClient{}, Options{Debounce: time.Hour}, func() {})
	t.Cleanup(s.close)
	return s
}

// TestProgramCarriesOver checks that a unit's program carries over to the
// next snapshot when nothing it reads changed, and is updated when a
// buffer it reads, or a file it reads on disk, changed.
func TestProgramCarriesOver(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"kcl.mod":  "[package]\nname = \"w\"\n",
		"a/a.k":    "import b\n\nx = b.y\n",
		"b/b.k":    "y = 1\n",
		"c/c.k":    "z = 1\n",
		"d/main.k": "w = 1\n",
	})
	s := storeServer(t)
	ctx := context.Background()
	a, b, c := filepath.Join(root, "a/a.k"), filepath.Join(root, "b/b.k"), filepath.Join(root, "c/c.k")
	open := func(path, src string) {
		t.Helper()
		if err := s.openDocument(ctx, uri.File(path), 1, []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	prog := func() *sema.Program {
		t.Helper()
		p, _, err := s.program(ctx, s.session.snapshot(), a)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	open(a, "import b\n\nx = b.y\n")
	p1 := prog()
	open(c, "z = 2\n") // a file the program does not read
	if p2 := prog(); p2 != p1 {
		t.Error("a change to a file the program does not read made a new program")
	}
	open(b, "y = 2\nv = 3\n") // an imported package's buffer
	p3 := prog()
	if p3 == p1 {
		t.Fatal("a change to an imported package's buffer kept the old program")
	}
	if p3.Package("b").Scope.Lookup("v") == nil {
		t.Error("the updated program does not see the new buffer of b")
	}
	// Closed, b is read from the disk again, where v does not exist.
	if err := s.DidClose(ctx, &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: uri.File(b)}}); err != nil {
		t.Fatal(err)
	}
	if prog().Package("b").Scope.Lookup("v") != nil {
		t.Error("after b's buffer closed, the program still sees it")
	}
	// A change on disk, reported as a file event.
	if err := os.WriteFile(b, []byte("y = 1\nu = 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute) // a modification time the cache cannot have seen
	if err := os.Chtimes(b, future, future); err != nil {
		t.Fatal(err)
	}
	s.filesChanged([]string{b})
	if prog().Package("b").Scope.Lookup("u") == nil {
		t.Error("a change on disk of an imported file is not seen")
	}
}

// TestProgramCacheBounded checks that the store keeps programs within its
// budget: building the programs of many units keeps the most recent.
func TestProgramCacheBounded(t *testing.T) {
	files := map[string]string{"kcl.mod": "[package]\nname = \"w\"\n"}
	for _, p := range []string{"p1", "p2", "p3", "p4"} {
		files[p+"/main.k"] = "v = 1\n"
	}
	root := writeFiles(t, files)
	s := storeServer(t)
	snap := s.session.snapshot()
	_, _, err := s.program(context.Background(), snap, filepath.Join(root, "p1/main.k"))
	if err != nil {
		t.Fatal(err)
	}
	_, one := s.session.store.stats()
	s.session.store.setBudget(2 * one)
	for _, p := range []string{"p2", "p3", "p4"} {
		if _, _, err := s.program(context.Background(), snap, filepath.Join(root, p, "main.k")); err != nil {
			t.Fatal(err)
		}
	}
	n, used := s.session.store.stats()
	if used > 2*one || n != 2 {
		t.Errorf("the store holds %d entries, %d bytes; want 2 within the budget of %d", n, used, 2*one)
	}
	if _, ok := s.session.store.get(storeKey{kind: kindProgram, name: "pkg:" + filepath.Join(root, "p4")}); !ok {
		t.Error("the most recent program is not in the store")
	}
}

// TestCacheMemorySetting checks that the cacheMemoryMiB setting is the
// store's budget.
func TestCacheMemorySetting(t *testing.T) {
	s := storeServer(t)
	s.applyRawSettings([]byte(`{"cacheMemoryMiB": 3}`))
	if got := s.session.store.budget; got != 3<<20 {
		t.Errorf("budget = %d; want 3 MiB", got)
	}
	if got := s.settings().cacheMemory(); got != 3<<20 {
		t.Errorf("settings' cacheMemory = %d; want 3 MiB", got)
	}
	s.applyRawSettings([]byte(`{}`))
	if got := s.session.store.budget; got != defaultCacheMemory {
		t.Errorf("budget without the setting = %d; want the default", got)
	}
}

// BenchmarkCostFactors measures the heap a parse and a resolved program
// hold per byte of source, on the corpus Konfig (the store's
// parseCostFactor and programCostFactor).
func BenchmarkCostFactors(b *testing.B) {
	root, _ := filepath.Abs("../../../shared/corpus/konfig")
	st, err := konfig.LoadStack(filepath.Join(root, "appops/wordpress/dev"))
	if err != nil {
		b.Skipf("corpus Konfig not available: %v", err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var parseX, progX float64
	for b.Loop() {
		h0 := heap()
		prog, err := sema.Load(context.Background(), sema.Config{ModRoot: st.ModRoot, Files: st.Files})
		if err != nil {
			b.Fatal(err)
		}
		cat := schema.New(prog)
		h1 := heap()
		n := programCost(prog) / programCostFactor
		progX = float64(h1-h0) / float64(n)
		var files []*syntax.File
		for _, pp := range prog.Packages() {
			for _, f := range prog.Package(pp).Files {
				pf, _ := syntax.ParseFile(f.Filename, f.Src)
				files = append(files, pf)
			}
		}
		h2 := heap()
		parseX = float64(h2-h1) / float64(n)
		runtime.KeepAlive(cat)
		runtime.KeepAlive(files)
	}
	b.ReportMetric(parseX, "parse-B/src-B")
	b.ReportMetric(progX, "program-B/src-B")
}

// TestOneParsePerContent checks that the server's features, its resolved
// programs and its stack evaluations share the loader's parse cache: an
// open buffer is parsed once for the feature and the program.
func TestOneParsePerContent(t *testing.T) {
	root := writeFiles(t, map[string]string{"kcl.mod": "[package]\nname = \"w\"\n", "p/main.k": "v = 1\n"})
	s := storeServer(t)
	path := filepath.Join(root, "p/main.k")
	src := "v = 2\n"
	if err := s.openDocument(context.Background(), uri.File(path), 1, []byte(src)); err != nil {
		t.Fatal(err)
	}
	prog, _, err := s.program(context.Background(), s.session.snapshot(), path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := prog.Package(sema.MainPkg).Files[0], s.parse(path, src).file; got != want {
		t.Error("the program and the feature parsed the buffer each")
	}
	if s.stacks.evalCache != s.session.store.files {
		t.Error("stack evaluations do not share the server's parse cache")
	}
}

// TestProgramSeesMissingImportAppear checks that a program with an import
// it cannot find is updated when a buffer provides the package (a new file
// in its directory).
func TestProgramSeesMissingImportAppear(t *testing.T) {
	root := writeFiles(t, map[string]string{"kcl.mod": "[package]\nname = \"w\"\n", "a/a.k": "import m\n\nx = m.y\n"})
	s := storeServer(t)
	ctx := context.Background()
	a := filepath.Join(root, "a/a.k")
	if err := os.Mkdir(filepath.Join(root, "m"), 0o755); err != nil { // the package's directory, empty
		t.Fatal(err)
	}
	p1, _, err := s.program(ctx, s.session.snapshot(), a)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.openDocument(ctx, uri.File(filepath.Join(root, "m/m.k")), 1, []byte("y = 1\n")); err != nil {
		t.Fatal(err)
	}
	p2, _, err := s.program(ctx, s.session.snapshot(), a)
	if err != nil {
		t.Fatal(err)
	}
	if p2 == p1 || p2.Package("m") == nil || p2.Package("m").Scope.Lookup("y") == nil {
		t.Error("the package that appeared in a buffer is not in the program")
	}
}
