package testutil

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// update is the one -update flag of the module's tests: `go test ./... -update`
// makes every golden test rewrite its expected output instead of comparing.
var update = flag.Bool("update", false, "rewrite golden files and golden sections of txtar archives instead of comparing")

// Update reports whether the tests run with -update.
func Update() bool { return *update }

// Golden compares got with the content of the golden file at path; with
// -update it writes got there instead.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// GoldenSection compares got with the section name of the archive ar, read
// from the file path; with -update it sets the section (appending it when
// missing) and writes the archive back to path.
func GoldenSection(t testing.TB, path string, ar *txtar.Archive, name string, got []byte) {
	t.Helper()
	if *update {
		SetSection(ar, name, got)
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, ok := Section(ar, name)
	if !ok {
		t.Errorf("%s: no %q section (run with -update to add it); got:\n%s", path, name, got)
		return
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s: section %s mismatch (-want +got):\n%s", path, name, diff)
	}
}

// Section returns the data of the archive's section name.
func Section(ar *txtar.Archive, name string) ([]byte, bool) {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// SetSection sets the data of the archive's section name, appending the
// section when the archive has none of that name.
func SetSection(ar *txtar.Archive, name string, data []byte) {
	for i, f := range ar.Files {
		if f.Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}
