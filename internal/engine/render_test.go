package engine_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/engine"
	"github.com/konfig-lsp/konfig-lsp/internal/spec"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

func TestStepDiff(t *testing.T) {
	files, err := filepath.Glob("testdata/diff/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var in struct {
				ID     string         `yaml:"id"`
				Type   string         `yaml:"type"` // default Kubernetes
				Action engine.Action  `yaml:"action"`
				From   map[string]any `yaml:"from"`
				To     map[string]any `yaml:"to"`
				Ignore []string       `yaml:"ignore"`
			}
			wantIdx := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "step.yaml":
					if err := yaml.Unmarshal(f.Data, &in); err != nil {
						t.Fatal(err)
					}
				case "want":
					wantIdx = i
				}
			}
			if wantIdx < 0 {
				t.Fatal("no want section")
			}
			if in.Type == "" {
				in.Type = spec.Kubernetes
			}
			got, err := engine.StepDiff(engine.NewStepForTest(in.ID, in.Type, in.Action, in.From, in.To, in.Ignore), false)
			if err != nil {
				t.Fatal(err)
			}
			testutil.GoldenSection(t, file, ar, "want", []byte(got))
		})
	}
}
