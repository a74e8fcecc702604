package eval

import (
	"bytes"
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestPrograms evaluates each testdata/programs/*.txtar (main.k first, the
// other .k files after it in name order, option app=demo) and compares the
// planned YAML, or the rendered error, with its `want` section.
func TestPrograms(t *testing.T) {
	files, err := filepath.Glob("testdata/programs/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no programs: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := "/programs"
			overlay := map[string][]byte{}
			var names []string
			for _, f := range ar.Files {
				if strings.HasSuffix(f.Name, ".k") {
					p := filepath.Join(dir, f.Name)
					overlay[p] = f.Data
					if f.Name != "main.k" {
						names = append(names, p)
					}
				}
			}
			sort.Strings(names)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := Run(ctx, Config{
				Files:   append([]string{filepath.Join(dir, "main.k")}, names...),
				WorkDir: dir,
				Overlay: overlay,
				Options: []Option{{Key: "app", Value: value.Str("demo")}},
			})
			var got string
			if err != nil {
				var b bytes.Buffer
				diag.RenderError(&b, err, diag.FileSource{Overlay: overlay})
				got = b.String()
			} else {
				p := value.Plan(res.Value, value.PlanOptions{})
				got = string(value.EncodeYAML(p, value.YAMLOptions{}))
			}
			testutil.GoldenSection(t, file, ar, "want", []byte(got))
		})
	}
}
