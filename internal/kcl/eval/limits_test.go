package eval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

// TestLimits runs the programs in testdata/limits: each must end with an
// EvaluationError containing the `want` text, not a crash or a hang.
func TestLimits(t *testing.T) {
	files, err := filepath.Glob("testdata/limits/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var src []byte
			var want string
			for _, f := range ar.Files {
				switch f.Name {
				case "main.k":
					src = f.Data
				case "want":
					want = strings.TrimSpace(string(f.Data))
				}
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "main.k")
			if err := os.WriteFile(path, src, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err = Run(ctx, Config{Files: []string{path}, WorkDir: dir, MaxDepth: 500, MaxOutput: 1_000_000})
			if err == nil {
				t.Fatalf("no error; want %q", want)
			}
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "EvaluationError") {
				t.Fatalf("error %q does not contain %q", err.Error(), want)
			}
		})
	}
}
