package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

func init() {
	// Tests do not persist workspace indexes in the user's cache directory
	// (internal/index tests the persistence).
	indexCacheDir = func() string { return "" }
}

// TestWorkspaceReferencesAndRename: references and rename of schema
// Server (frontend/server.k) reach every stack of the corpus Konfig, not
// only the stacks of the open file; the index is built with $/progress.
func TestWorkspaceReferencesAndRename(t *testing.T) {
	konfigDir := filepath.Join(testutil.CorpusDir(t), "konfig")
	yes := true
	tc := &testClient{ProgressEnded: make(chan struct{}, 8)}
	s := startSessionWith(t, konfigDir, Options{Debounce: 1}, tc, protocol.ClientCapabilities{Window: &protocol.WindowClientCapabilities{WorkDoneProgress: &yes}})
	u, src := s.open("base/pkg/kusion_models/kube/frontend/server.k")
	pos := findPos(t, src, "schema Server", len("schema "))

	refs, err := s.server.References(s.ctx, &protocol.ReferenceParams{
		TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: pos},
		Context:                    protocol.ReferenceContext{IncludeDeclaration: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	files := map[uri.URI]bool{}
	for _, r := range refs {
		files[r.URI] = true
	}
	// 52 in 48 files: internal/index's TestServerReferences compares them
	// with an independent count. While the index is being built, the
	// answer comes from the open file's stacks only.
	if len(refs) < 52 || len(files) < 48 {
		t.Errorf("references of schema Server: %d in %d files, want 52 in 48", len(refs), len(files))
	}

	prep, err := s.server.PrepareRename(s.ctx, &protocol.PrepareRenameParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: pos}})
	if err != nil {
		t.Fatalf("prepareRename: %v", err)
	}
	if ph, ok := prep.(*protocol.PrepareRenamePlaceholder); !ok || ph.Placeholder != "Server" {
		t.Errorf("prepareRename: %#v", prep)
	}
	edit, err := s.server.Rename(s.ctx, &protocol.RenameParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: pos}, NewName: "ServerX"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, es := range edit.Changes {
		n += len(es)
	}
	if n != len(refs) || len(edit.Changes) != len(files) {
		t.Errorf("rename: %d edits in %d files, want %d in %d", n, len(edit.Changes), len(refs), len(files))
	}

	// Implementations: every config instantiating Server.
	impl, err := s.server.Implementation(s.ctx, &protocol.ImplementationParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: pos}})
	if err != nil {
		t.Fatal(err)
	}
	if locs, ok := impl.(protocol.LocationSlice); !ok || len(locs) < 45 {
		t.Errorf("implementations of Server: %#v", impl)
	}

	// An attribute: its config keys in every stack and its reads through
	// declared types in the backend models.
	apos := findPos(t, src, "    mainContainer: container.Main\n", len("    "))
	aparams := protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: apos}
	if _, err := s.server.PrepareRename(s.ctx, &protocol.PrepareRenameParams{TextDocumentPositionParams: aparams}); err != nil {
		t.Errorf("prepareRename of mainContainer: %v", err)
	}
	if edit, err := s.server.Rename(s.ctx, &protocol.RenameParams{TextDocumentPositionParams: aparams, NewName: "primaryContainer"}); err != nil || len(edit.Changes) < 20 {
		t.Errorf("rename of mainContainer: %v, %d files", err, len(edit.Changes))
	}

	// Read from a value of unknown type (a comprehension variable) in a
	// stack file: rename of the attribute refuses.
	bu, bsrc := s.open("appops/guestbook/base/base.k")
	end := newText(bsrc).position(len(bsrc))
	s.change(bu, 2, protocol.Range{Start: end, End: end}, "\n_m = [x.mainContainer for x in frontend.Server.instances()]\n")
	if _, err := s.server.PrepareRename(s.ctx, &protocol.PrepareRenameParams{TextDocumentPositionParams: aparams}); err == nil || !strings.Contains(err.Error(), "type is not known") {
		t.Errorf("prepareRename of mainContainer read dynamically: %v", err)
	}

	// A stack file that does not parse, which uses Server: rename refuses.
	s.change(bu, 3, protocol.Range{Start: end, End: end}, "\nbroken: frontend.Server {\n")
	if _, err := s.server.PrepareRename(s.ctx, &protocol.PrepareRenameParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: pos}}); err == nil || !strings.Contains(err.Error(), "syntax errors") {
		t.Errorf("prepareRename with a broken stack file: %v", err)
	}

	// workspace/symbol from the index.
	res, err := s.server.Symbols(s.ctx, &protocol.WorkspaceSymbolParams{Query: "ServerBackend"})
	if err != nil {
		t.Fatal(err)
	}
	if syms := res.(protocol.SymbolInformationSlice); len(syms) == 0 || syms[0].Name != "ServerBackend" || syms[0].Kind != protocol.SymbolKindStruct {
		t.Errorf("workspace symbols: %#v", res)
	}

	// The build reported its progress.
	<-tc.ProgressEnded
	progress := strings.Join(tc.ProgressEvents(), "\n")
	if !strings.Contains(progress, "begin") || !strings.Contains(progress, "end") {
		t.Errorf("no $/progress of the index build: %s", progress)
	}
}

// TestRenameLocalAndFileChange: a local name is renamed from the program;
// a file created on disk reaches the index through watched-file events.
func TestRenameLocalAndFileChange(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"kcl.mod":       "[package]\nname = \"t\"\n",
		"models/app.k":  "schema App:\n    name: str\n",
		"stack/main.k":  "import models\n\nf = lambda x: int {\n    x + 1\n}\napp = models.App {name = \"a\"}\n",
		"stack/other.k": "import models\n\nb = models.App {name = \"b\"}\n",
	})
	s := startSession(t, dir, Options{})
	u, src := s.open("stack/main.k")
	edit, err := s.server.Rename(s.ctx, &protocol.RenameParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: findPos(t, src, "x + 1", 0)}, NewName: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if es := edit.Changes[u]; len(edit.Changes) != 1 || len(es) != 2 {
		t.Errorf("rename of a lambda parameter: %#v", edit.Changes)
	}
	refs := func() int {
		r, err := s.server.References(s.ctx, &protocol.ReferenceParams{
			TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: findPos(t, src, "models.App", len("models."))},
			Context:                    protocol.ReferenceContext{IncludeDeclaration: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(r)
	}
	if n := refs(); n != 3 {
		t.Errorf("references of App: %d, want 3", n)
	}
	p := filepath.Join(dir, "stack", "third.k")
	if err := os.WriteFile(p, []byte("import models\n\nc = models.App {name = \"c\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.server.DidChangeWatchedFiles(s.ctx, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{{URI: pathURI(p), Type: protocol.FileChangeTypeCreated}}}); err != nil {
		t.Fatal(err)
	}
	if n := refs(); n != 4 {
		t.Errorf("references of App after a new file: %d, want 4", n)
	}
}

// TestIndexWarmRestart: a second server on the unchanged workspace takes
// every file of its index from the persisted cache (parses none), and
// saves the edits of the first session's open buffers at shutdown.
func TestIndexWarmRestart(t *testing.T) {
	cache := t.TempDir()
	indexCacheDir = func() string { return cache }
	defer func() { indexCacheDir = func() string { return "" } }()
	dir := writeFiles(t, map[string]string{
		"kcl.mod":      "[package]\nname = \"t\"\n",
		"models/app.k": "schema App:\n    name: str\n",
		"stack/main.k": "import models\n\napp = models.App {name = \"a\"}\n",
	})
	session := func() (*server, *testSession) {
		var srv *server
		s := startSession(t, dir, Options{onServer: func(x *server) { srv = x }})
		ix := srv.indexFor(srv.session.snapshot(), dir)
		if err := ix.WaitReady(s.ctx); err != nil {
			t.Fatal(err)
		}
		return srv, s
	}
	srv, s := session()
	ix := srv.indexFor(srv.session.snapshot(), dir)
	if ix.Parses() != 2 || ix.Files() != 2 {
		t.Fatalf("first start: %d files, %d parsed", ix.Files(), ix.Parses())
	}
	// An unsaved buffer does not enter the cache as the file's content
	// (its stamp is unknown), but its facts do, by content hash.
	u, src := s.open("stack/main.k")
	end := newText(src).position(len(src))
	s.change(u, 2, protocol.Range{Start: end, End: end}, "b = models.App {name = \"b\"}\n")
	if _, err := s.server.Symbols(s.ctx, &protocol.WorkspaceSymbolParams{Query: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.server.Shutdown(s.ctx); err != nil {
		t.Fatal(err)
	}
	srv.wg.Wait() // the index is saved when background work stops

	srv2, _ := session()
	ix2 := srv2.indexFor(srv2.session.snapshot(), dir)
	if ix2.Parses() != 0 || ix2.CacheHits() != 2 {
		t.Errorf("warm start: %d parsed, %d from the cache", ix2.Parses(), ix2.CacheHits())
	}
}
