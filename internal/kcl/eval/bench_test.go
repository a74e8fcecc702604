package eval

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// konfigStack is one Konfig stack as its kcl.yaml and ci-test/settings.yaml
// describe it.
type konfigStack struct {
	dir     string
	files   []string
	options []Option
	modRoot string
}

// loadKonfigStacks reads the 28 stacks of the corpus Konfig (files from
// kcl.yaml, options from ci-test/settings.yaml).
func loadKonfigStacks(tb testing.TB) []konfigStack {
	root := filepath.Join(corpusDir(tb), "konfig")
	var stacks []konfigStack
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "stack.yaml" {
			return nil
		}
		dir := filepath.Dir(p)
		st := konfigStack{dir: dir, modRoot: root}
		if v, err := readYAML(filepath.Join(dir, "kcl.yaml")); err == nil {
			if cfg, ok := getKey(v, "kcl_cli_configs").(*value.Dict); ok {
				files, _ := cfg.Get("file")
				if files == nil {
					files, _ = cfg.Get("files")
				}
				if l, ok := files.(*value.List); ok {
					for _, f := range l.Items {
						s := strings.ReplaceAll(value.ToStr(f), "${KCL_MOD}", root)
						if !filepath.IsAbs(s) {
							s = filepath.Join(dir, s)
						}
						st.files = append(st.files, s)
					}
				}
			}
		}
		if v, err := readYAML(filepath.Join(dir, "ci-test", "settings.yaml")); err == nil {
			if l, ok := getKey(v, "kcl_options").(*value.List); ok {
				for _, it := range l.Items {
					st.options = append(st.options, Option{Key: value.ToStr(getKey(it, "key")), Value: getKey(it, "value")})
				}
			}
		}
		if len(st.files) > 0 {
			stacks = append(stacks, st)
		}
		return nil
	})
	sort.Slice(stacks, func(i, j int) bool { return stacks[i].dir < stacks[j].dir })
	return stacks
}

func readYAML(path string) (value.Value, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return value.DecodeYAML(b)
}

func getKey(v value.Value, k string) value.Value {
	if d, ok := v.(*value.Dict); ok {
		r, _ := d.Get(k)
		return r
	}
	return nil
}

func runStack(ctx context.Context, st konfigStack, cache *Cache) (*Result, error) {
	return Run(ctx, Config{Files: st.files, WorkDir: st.dir, ModRoot: st.modRoot, Options: st.options, Stdout: io.Discard, Cache: cache})
}

// TestKonfigStacksEvaluate checks that every corpus Konfig stack evaluates
// and produces its manifests stream (the YAML comparison with the goldens is
// done by package konfig).
func TestKonfigStacksEvaluate(t *testing.T) {
	stacks := loadKonfigStacks(t)
	ok := 0
	var most int64
	for _, st := range stacks {
		res, err := runStack(context.Background(), st, nil)
		rel, _ := filepath.Rel(st.modRoot, st.dir)
		switch {
		case err != nil:
			t.Errorf("%s: %v", rel, err)
		case res.Stream == nil:
			t.Errorf("%s: no manifests.yaml_stream output", rel)
		default:
			ok++
			most = max(most, res.Budget.Used())
		}
	}
	t.Logf("%d of %d stacks evaluate; the largest used %s of the default memory budget of %s", ok, len(stacks),
		value.FormatBytes(most), value.FormatBytes(value.DefaultMaxMemory))
}

// BenchmarkEvalKonfig evaluates all corpus Konfig stacks once per iteration.
func BenchmarkEvalKonfig(b *testing.B) {
	stacks := loadKonfigStacks(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, st := range stacks {
			if _, err := runStack(context.Background(), st, nil); err != nil {
				b.Fatalf("%s: %v", st.dir, err)
			}
		}
	}
}

// BenchmarkEvalKonfigCached is BenchmarkEvalKonfig with a parse cache
// shared by the stacks (as a compile of several stacks in one process or
// the language server does).
func BenchmarkEvalKonfigCached(b *testing.B) {
	stacks := loadKonfigStacks(b)
	cache := NewCache()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, st := range stacks {
			if _, err := runStack(context.Background(), st, cache); err != nil {
				b.Fatalf("%s: %v", st.dir, err)
			}
		}
	}
}

// BenchmarkEvalGrammar evaluates every kcl-grammar case that expects
// stdout once per iteration.
func BenchmarkEvalGrammar(b *testing.B) {
	root := filepath.Join(corpusDir(b), "kcl-grammar")
	var dirs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "stdout.golden" {
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), "main.k")); err == nil {
				dirs = append(dirs, filepath.Dir(p))
			}
		}
		return nil
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, dir := range dirs {
			Run(context.Background(), Config{Files: []string{"main.k"}, WorkDir: dir, ModRoot: loader.ModRoot(nil, dir), Stdout: io.Discard})
		}
	}
}
