package value

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// corpusDir returns ../shared/corpus beside the module, or skips.
func corpusDir(t *testing.T) string { return testutil.CorpusDir(t) }

// Floors for the YAML round-trip over the byte-exact goldens: decoding the
// golden with DecodeYAMLAll and printing it again with EncodeYAMLStream must
// give the same bytes.
const (
	roundTripSnapshotFloor  = 93
	roundTripManifestsFloor = 7
	roundTripGrammarFloor   = 918
)

func roundTrip(data []byte) ([]byte, error) {
	docs, err := DecodeYAMLAll(data)
	if err != nil {
		return nil, err
	}
	return EncodeYAMLStream(docs, YAMLOptions{}, "---"), nil
}

func checkRoundTrip(t *testing.T, name string, files []string, floor int, strict bool) {
	t.Helper()
	passed, failed := 0, 0
	var failures []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		want := string(data)
		if !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		got, err := roundTrip(data)
		if err != nil {
			failed++
			failures = append(failures, f+": "+err.Error())
			continue
		}
		if string(got) != want {
			failed++
			failures = append(failures, f+"\n"+cmp.Diff(want, string(got)))
			continue
		}
		passed++
	}
	t.Logf("%s: %d passed, %d failed", name, passed, failed)
	fmt.Printf("%s round trip: %d passed, %d failed\n", name, passed, failed)
	for i, f := range failures {
		if i >= 10 && !testing.Verbose() {
			break
		}
		if strict || testing.Verbose() {
			t.Logf("round-trip mismatch: %s", f)
		}
	}
	if passed < floor {
		t.Errorf("%s: %d passed, below the floor %d", name, passed, floor)
	}
}

func TestYAMLRoundTripSnapshots(t *testing.T) {
	c := corpusDir(t)
	all, _ := filepath.Glob(filepath.Join(c, "kcl-evaluator-snapshots", "*", "stdout.golden"))
	// A MODE file marks a case whose golden is not YAML output (the
	// to_string of the last expression).
	var files []string
	for _, f := range all {
		if _, err := os.Stat(filepath.Join(filepath.Dir(f), "MODE")); err == nil {
			continue
		}
		files = append(files, f)
	}
	checkRoundTrip(t, "kcl-evaluator-snapshots", files, roundTripSnapshotFloor, true)
}

func TestYAMLRoundTripManifests(t *testing.T) {
	c := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(c, "kcl-manifests", "*.stdout.golden"))
	checkRoundTrip(t, "kcl-manifests", files, roundTripManifestsFloor, true)
}

// The grammar goldens are compared semantically by the runner, so many were
// produced by older printers (no quotes on number-like strings such as
// 0.3.0 or 1000K, exponents like 1.024e-06); this only guards the count.
func TestYAMLRoundTripGrammar(t *testing.T) {
	c := corpusDir(t)
	var files []string
	_ = filepath.WalkDir(filepath.Join(c, "kcl-grammar"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "stdout.golden" {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	checkRoundTrip(t, "kcl-grammar stdout", files, roundTripGrammarFloor, false)
}
