package sema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// corpusDir returns ../shared/corpus beside the module, or skips.
func corpusDir(tb testing.TB) string { return testutil.CorpusDir(tb) }

// stackFiles reads a Konfig stack's kcl.yaml and returns its file list with
// ${KCL_MOD} expanded and relative paths made absolute.
func stackFiles(stackDir, modRoot string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(stackDir, "kcl.yaml"))
	if err != nil {
		return nil, err
	}
	return stackFilesYAML(b, stackDir, modRoot)
}

// stackFilesYAML reads kcl_cli_configs.file of a settings file.
func stackFilesYAML(b []byte, stackDir, modRoot string) ([]string, error) {
	var doc struct {
		Configs struct {
			File []string `yaml:"file"`
		} `yaml:"kcl_cli_configs"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range doc.Configs.File {
		f = strings.ReplaceAll(f, "${KCL_MOD}", modRoot)
		if !filepath.IsAbs(f) {
			f = filepath.Join(stackDir, f)
		}
		out = append(out, filepath.Clean(f))
	}
	return out, nil
}

// konfigStacks returns the stack directories of the Konfig corpus (those
// with a kcl.yaml), sorted.
func konfigStacks(tb testing.TB, root string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "kcl.yaml" {
			out = append(out, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
