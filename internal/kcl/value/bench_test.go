package value

import (
	"os"
	"path/filepath"
	"testing"
)

// benchValue decodes the largest Konfig golden (a list of resources) as a
// realistic printer input.
func benchValue(b *testing.B) (Value, int) {
	b.Helper()
	dir, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			b.Skip("go.mod not found")
		}
		dir = parent
	}
	files, _ := filepath.Glob(filepath.Join(dir, "..", "shared", "corpus", "konfig", "appops", "*", "*", "ci-test", "stdout.golden.yaml"))
	if len(files) == 0 {
		b.Skip("corpus konfig goldens not found")
	}
	var best []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil && len(data) > len(best) {
			best = data
		}
	}
	v, err := DecodeYAML(best)
	if err != nil {
		b.Fatal(err)
	}
	return v, len(best)
}

func BenchmarkEncodeYAML(b *testing.B) {
	v, n := benchValue(b)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeYAML(v, YAMLOptions{})
	}
}

func BenchmarkEncodeJSON(b *testing.B) {
	v, n := benchValue(b)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeJSON(v, JSONOptions{Indent: 4})
	}
}

func BenchmarkPlan(b *testing.B) {
	v, _ := benchValue(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = Plan(v, PlanOptions{SortKeys: true})
	}
}

func BenchmarkDecodeYAML(b *testing.B) {
	v, n := benchValue(b)
	data := EncodeYAML(v, YAMLOptions{})
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeYAML(data); err != nil {
			b.Fatal(err)
		}
	}
}
