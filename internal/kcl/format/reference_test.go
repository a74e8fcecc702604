package format

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReference formats the `.input` files of the official formatter's test
// data and compares each with its `.golden` file, byte for byte. It runs only
// when KCL_FMT_TESTDATA names that directory (format_data of kcl-lang/kcl's
// crates/tools/src/format/test_data); the data is never part of this
// repository. It prints `N passed, M failed`.
//
//	KCL_FMT_TESTDATA=/path/to/format_data go test ./internal/kcl/format -run TestReference -v
func TestReference(t *testing.T) {
	dir := os.Getenv("KCL_FMT_TESTDATA")
	if dir == "" {
		t.Skip("KCL_FMT_TESTDATA is not set (the format_data directory of kcl-lang/kcl's formatter tests)")
	}
	inputs, err := filepath.Glob(filepath.Join(dir, "*.input"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no .input files in %s: %v", dir, err)
	}
	sort.Strings(inputs)
	passed, failed := 0, 0
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input")
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(in, ".input") + ".golden")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			failed++
			continue
		}
		got, err := Source(name+".k", src)
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
			failed++
		case string(got) != string(want):
			t.Errorf("%s differs (-golden +ours):\n%s", name, cmp.Diff(string(want), string(got)))
			failed++
		default:
			passed++
		}
	}
	t.Logf("%d passed, %d failed", passed, failed)
	fmt.Printf("format reference: %d passed, %d failed\n", passed, failed)
}
