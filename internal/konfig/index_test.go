package konfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// includers lists, by stack directory relative to the root, the stacks
// that include each of files, as the repo's index answers.
func includers(t *testing.T, repo *Repo, files []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, f := range files {
		sts, err := repo.StacksIncluding(context.Background(), filepath.Join(repo.Root, f), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			out[f] = append(out[f], filepath.ToSlash(RelPath(st.Dir, repo.Root)))
		}
	}
	return out
}

// fresh answers the same from scratch: each stack's files computed by
// StackFiles (no index) on a new Discover.
func fresh(t *testing.T, root string, files []string) map[string][]string {
	t.Helper()
	repo, err := Discover(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, st := range repo.Stacks {
		got, err := StackFiles(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, st.Settings...)
		for _, f := range files {
			for _, g := range got {
				if g == filepath.Join(repo.Root, f) {
					out[f] = append(out[f], filepath.ToSlash(RelPath(st.Dir, repo.Root)))
					break
				}
			}
		}
	}
	return out
}

// TestIndexFollowsFileEvents: after each file event (an import added or
// removed, a package file created or deleted, a one-file package created),
// FilesChanged brings the index to the answer of a fresh Discover, without
// a new walk.
func TestIndexFollowsFileEvents(t *testing.T) {
	root := t.TempDir()
	testutil.CopyTree(t, filepath.Join("testdata", "repo"), root)
	repo, err := Discover(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"models/app/util.k", "models/app/app.k", "models/app/extra.k", "models/render.k",
		"models/solo.k", "beta/test/a.k", "alpha/base/base.k", "alpha/dev/kcl.yaml"}
	write := func(rel, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, rel), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, changed ...string) {
		t.Helper()
		var abs []string
		for _, c := range changed {
			abs = append(abs, filepath.Join(root, c))
		}
		if err := repo.FilesChanged(context.Background(), abs, nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fresh(t, root, files), includers(t, repo, files)); diff != "" {
			t.Errorf("%s: index differs from a fresh Discover (-fresh +index):\n%s", step, diff)
		}
	}
	check("initial")
	if !repo.IndexReady() {
		t.Fatal("the index is not built after a query")
	}
	write("beta/test/a.k", "import models.app\na = 1\n")
	check("import added", "beta/test/a.k")
	write("models/app/extra.k", "import models.solo\nx = 1\n")
	check("package file created", "models/app/extra.k")
	write("models/solo.k", "s = 1\n")
	check("one-file package created", "models/solo.k")
	if err := os.Remove(filepath.Join(root, "models/app/extra.k")); err != nil {
		t.Fatal(err)
	}
	check("package file deleted", "models/app/extra.k")
	write("beta/test/a.k", "a = 1\n")
	check("import removed", "beta/test/a.k")
}
