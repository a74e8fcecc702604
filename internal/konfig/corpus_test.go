package konfig

import (
	"bytes"
	"context"
	"fmt"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/eval"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Floors: the number of stacks that must compile and equal their goldens.
// Raise them as the KCL implementation improves; never lower them.
const (
	corpusFloor   = 27 // of the 28 corpus Konfig stacks
	examplesFloor = 4  // of the 4 examples/ stacks
)

// compileAgainstGoldens compiles every stack below dir and compares each
// with its ci-test/stdout.golden.yaml, ignoring key and list order. It logs
// the first error or the diff of each failing stack, prints
// `N passed, M failed` and fails when fewer than floor pass.
func compileAgainstGoldens(t *testing.T, name, dir string, floor int) {
	repo, err := Discover(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Stacks) == 0 {
		t.Fatalf("no stacks below %s", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results := CompileAll(ctx, repo.Stacks, CompileAllOptions{Golden: true})
	passed := 0
	for _, r := range results {
		rel := filepath.ToSlash(RelPath(r.Stack.Dir, repo.Root))
		switch {
		case r.Err != nil:
			t.Logf("FAIL %s: %s", rel, firstLine(r.Err.Error()))
		case r.GoldenDiff != "":
			t.Logf("FAIL %s: differs from its golden (-golden +got):\n%s", rel, clip(r.GoldenDiff, 40))
		default:
			passed++
		}
	}
	fmt.Printf("%s: %d passed, %d failed\n", name, passed, len(results)-passed)
	if passed < floor {
		t.Errorf("%s: %d stacks pass, below the floor of %d", name, passed, floor)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// clip keeps the first n lines of s.
func clip(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n... (%d more lines)", len(lines)-n)
}

// TestKonfigCorpus compiles the 28 stacks of the corpus Konfig
// (../shared/corpus/konfig) and compares each with its golden.
func TestKonfigCorpus(t *testing.T) {
	compileAgainstGoldens(t, "konfig corpus", corpusKonfig(t), corpusFloor)
}

// TestExamples compiles the stacks of our own example Konfig (examples/)
// and compares each with its hand-written golden.
func TestExamples(t *testing.T) {
	compileAgainstGoldens(t, "examples", filepath.Join(moduleRoot(t), "examples"), examplesFloor)
}

// BenchmarkCompileKonfig compiles all the corpus stacks, one after the
// other; see the sub-benchmarks for cold, warm and parallel.
func BenchmarkCompileKonfig(b *testing.B) {
	dir := corpusKonfig(b)
	repo, err := Discover(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, cache *eval.Cache) {
		for _, st := range repo.Stacks {
			if _, err := Compile(context.Background(), st, CompileOptions{Cache: cache}); err != nil {
				b.Logf("%s: %s", RelPath(st.Dir, dir), firstLine(err.Error()))
			}
		}
	}
	// cold: every round starts from an empty parse cache (shared by the
	// round's 28 stacks, as `check` shares it).
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			run(b, eval.NewCache())
		}
	})
	// warm: one cache across rounds, as the language server keeps it.
	b.Run("warm", func(b *testing.B) {
		cache := eval.NewCache()
		run(b, cache)
		b.ResetTimer()
		for b.Loop() {
			run(b, cache)
		}
	})
	// parallel: CompileAll on all cores, cold.
	b.Run("parallel", func(b *testing.B) {
		for b.Loop() {
			CompileAll(context.Background(), repo.Stacks, CompileAllOptions{})
		}
	})
}

// TestExamplesExact checks that `compile` prints each example stack exactly
// as its golden file is written (same resource order, same bytes): the
// example goldens are in our own output form.
func TestExamplesExact(t *testing.T) {
	repo, err := Discover(context.Background(), filepath.Join(moduleRoot(t), "examples"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range repo.Stacks {
		t.Run(filepath.ToSlash(RelPath(st.Dir, repo.Root)), func(t *testing.T) {
			sp, err := Compile(context.Background(), st, CompileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteSpec(&buf, sp); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(st.GoldenPath())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("compile output differs from %s (-golden +got):\n%s", st.GoldenPath(), diff)
			}
		})
	}
}
