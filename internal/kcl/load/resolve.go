package load

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// Config is a fully resolved run: the merge of settings files and flags,
// with absolute input files, the module root and the options in order.
type Config struct {
	Files        []string
	WorkDir      string
	ModRoot      string
	Options      []Option
	External     map[string]string
	Output       string // absolute output file, "" for stdout
	Format       string // "yaml" or "json"
	PathSelector []string
	DisableNone  bool
	SortKeys     bool
	ShowHidden   bool
	StrictRange  bool
	Debug        bool
	Overlay      map[string][]byte
	Resolve      ResolveMode
	MaxMemory    int64 // eval.Config.MaxMemory
}

// Resolve merges the settings files named by a (kcl.yaml in the working
// directory when a names none) with a's flags the way the official CLI does:
// flags after files, positional inputs replacing the settings' files,
// options of settings files first and -D after. It finds the module root,
// expands ${KCL_MOD} and directory inputs, and parses -D and -E. Errors
// are diagnostics ready for rendering.
func Resolve(a Args) (*Config, error) {
	workDir := a.WorkDir
	if workDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("working directory: %w", err)
		}
		workDir = wd
	}
	workDir, err := filepath.Abs(workDir)
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	settingsFiles := a.Settings
	if len(settingsFiles) == 0 {
		if st, err := os.Stat(filepath.Join(workDir, "kcl.yaml")); err == nil && !st.IsDir() {
			settingsFiles = []string{"kcl.yaml"}
		}
	}
	s, err := LoadSettingsIn(workDir, a.Overlay, settingsFiles...)
	if err != nil {
		return nil, err
	}
	cfg := &Config{
		WorkDir:      workDir,
		Format:       strings.ToLower(a.Format),
		Output:       s.Output,
		PathSelector: s.PathSelector,
		DisableNone:  s.DisableNone || a.DisableNone,
		SortKeys:     s.SortKeys || a.SortKeys,
		ShowHidden:   s.ShowHidden || a.ShowHidden,
		StrictRange:  s.StrictRangeCheck || a.StrictRange,
		Debug:        s.Debug || a.Debug,
		Options:      append([]Option(nil), s.Options...),
		External:     map[string]string{},
		Overlay:      a.Overlay,
		Resolve:      a.Resolve,
		MaxMemory:    a.MaxMemory,
	}
	if cfg.Format == "" {
		cfg.Format = "yaml"
	}
	if cfg.Format != "yaml" && cfg.Format != "json" {
		return nil, fmt.Errorf("unknown output format %q, want yaml or json", a.Format)
	}
	if a.Output != "" {
		cfg.Output = absIn(workDir, a.Output)
	}
	if len(a.PathSelector) > 0 {
		cfg.PathSelector = a.PathSelector
	}
	for k, v := range s.PackageMaps {
		cfg.External[k] = v
	}
	for _, e := range a.External {
		name, path, ok := strings.Cut(e, "=")
		if !ok || name == "" || path == "" {
			return nil, &diag.Diagnostic{Kind: diag.EvaluationError, Messages: []diag.Message{{
				Text: fmt.Sprintf("Invalid value for external package: %q, want name=path", e)}}}
		}
		cfg.External[name] = absIn(workDir, path)
	}
	for _, d := range a.Arguments {
		opt, err := ParseArgument(d)
		if err != nil {
			return nil, err
		}
		cfg.Options = append(cfg.Options, opt)
	}
	inputs := s.Files
	if len(a.Files) > 0 {
		inputs = nil
		for _, f := range a.Files {
			inputs = append(inputs, resolvePath(workDir, f))
		}
	}
	if len(inputs) == 0 {
		return nil, &diag.Diagnostic{Kind: diag.CompileError, Messages: []diag.Message{{
			Text: "No input KCL files or paths"}}}
	}
	cfg.ModRoot = ModRoot(inputs, workDir)
	cfg.Files, err = ExpandFiles(inputs, workDir, cfg.ModRoot, a.Recursive)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

func absIn(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}
