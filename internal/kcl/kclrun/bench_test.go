package kclrun

import (
	"context"
	"io"
	"io/fs"
	"path/filepath"
	"testing"
)

// BenchmarkGrammarCorpus runs every case of corpus/kcl-grammar once per
// iteration (sequentially, through Main), whatever its verdict: the figure
// is the cost of parsing, evaluating and printing the whole corpus.
func BenchmarkGrammarCorpus(b *testing.B) {
	benchDirs(b, "kcl-grammar", func(dir string) []string {
		argv, err := grammarArgv(dir)
		if err != nil {
			b.Fatal(err)
		}
		return argv
	})
}

// BenchmarkEvaluatorSnapshots runs the 94 evaluator snapshot programs once
// per iteration.
func BenchmarkEvaluatorSnapshots(b *testing.B) {
	benchDirs(b, "kcl-evaluator-snapshots", func(string) []string { return []string{"main.k"} })
}

func benchDirs(b *testing.B, corpus string, argvOf func(dir string) []string) {
	root := corpusDir(b, corpus)
	type run struct {
		dir  string
		argv []string
	}
	var runs []run
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "main.k" {
			dir := filepath.Dir(path)
			runs = append(runs, run{dir, argvOf(dir)})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range runs {
			runArgv(ctx, r.argv, r.dir, io.Discard, io.Discard)
		}
	}
	b.ReportMetric(float64(len(runs)), "programs/op")
}
