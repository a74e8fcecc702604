package kclrun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/override"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
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
	// Root is the sandbox root: every file the evaluation, the resolver and
	// the error renderer read (and file.* writes) lies beneath it. It is the
	// module root, widened to hold the paths named on the command line
	// (inputs, -Y files, -E packages); never by what a settings file lists.
	Root string
	// Policy is the sandbox policy of the evaluation.
	Policy sandbox.Policy
	// Sandbox, when set, is used instead of opening one at Root with Policy
	// (the caller closes it).
	Sandbox *sandbox.FS
	// OutputFromSettings is set when Output came from a settings file
	// (untrusted): it is written through the sandbox.
	OutputFromSettings bool
	MaxMemory          int64 // eval.Config.MaxMemory
	// Cache is the parse cache the resolver and the evaluator share (an
	// editor's or CompileAll's, kept between runs); nil makes one per
	// evaluation, so each file is parsed once.
	Cache *loader.Cache
}

// RunPolicy is the sandbox policy of `run`, as `kcl run`: writes beneath
// the root (never under .git or the state directory) and every environment
// variable.
func RunPolicy() sandbox.Policy { return sandbox.Policy{AllowWrites: true, AllEnv: true} }

// settingsPolicy reads settings files only.
var settingsPolicy = sandbox.Policy{DenyReason: "settings files are only read"}

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
	// Paths named on the command line are trusted: they widen the sandbox
	// root. What settings files list is not.
	var trusted []string
	for _, y := range a.Settings {
		trusted = append(trusted, filepath.Dir(absIn(workDir, y)))
	}
	setRoot := commonRoot(loader.ModRoot(nil, workDir), trusted...)
	sfs, err := sandbox.Open(setRoot, settingsPolicy)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	defer sfs.Close()
	s, err := LoadSettingsFS(sfs, workDir, a.Overlay, settingsFiles...)
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
		Policy:       RunPolicy(),
		MaxMemory:    a.MaxMemory,
	}
	if a.Policy != nil {
		cfg.Policy = *a.Policy
	}
	cfg.OutputFromSettings = s.Output != ""
	if cfg.Format == "" {
		cfg.Format = "yaml"
	}
	if cfg.Format != "yaml" && cfg.Format != "json" {
		return nil, fmt.Errorf("unknown output format %q, want yaml or json", a.Format)
	}
	if a.Output != "" {
		cfg.Output = absIn(workDir, a.Output)
		cfg.OutputFromSettings = false
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
		trusted = append(trusted, cfg.External[name])
	}
	for _, d := range a.Arguments {
		opt, err := ParseArgument(d)
		if err != nil {
			return nil, err
		}
		cfg.Options = append(cfg.Options, opt)
	}
	inputs := s.Files
	var named []string // inputs named on the command line
	if len(a.Files) > 0 {
		inputs = nil
		for _, f := range a.Files {
			p := resolvePath(workDir, f)
			inputs = append(inputs, p)
			if !loader.HasModVar(p) {
				named = append(named, p)
			}
		}
	}
	if len(inputs) == 0 {
		return nil, &diag.Diagnostic{Kind: diag.CompileError, Messages: []diag.Message{{
			Text: "No input KCL files or paths"}}}
	}
	cfg.ModRoot = loader.ModRoot(inputs, workDir)
	if len(a.Files) == 0 && !within(setRoot, cfg.ModRoot) {
		// Files a settings file lists do not choose a module root outside
		// the repository (a kcl.mod elsewhere on the machine).
		cfg.ModRoot = loader.ModRoot(nil, workDir)
	}
	cfg.Root = sandboxRoot(cfg.ModRoot, named, trusted)
	efs, err := sandbox.Open(cfg.Root, settingsPolicy)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer efs.Close()
	cfg.Files, err = loader.ExpandFiles(efs, inputs, workDir, cfg.ModRoot, a.Recursive)
	if err != nil {
		return nil, err
	}
	if err := applyOverrides(efs, cfg, append(append([]string(nil), s.Overrides...), a.Overrides...)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applyOverrides rewrites the main package's files with the -O specs (those
// of settings files first) and puts the results in cfg.Overlay, as
// `kcl run -O` does; the files on disk are not touched.
func applyOverrides(fsys *sandbox.FS, cfg *Config, raw []string) error {
	if len(raw) == 0 {
		return nil
	}
	overlay, err := override.Overlay(raw, cfg.Files, cfg.Overlay, fsys.ReadFile)
	var serr *override.SpecError
	if errors.As(err, &serr) {
		return &diag.Diagnostic{Kind: diag.IllegalArgumentError, Messages: []diag.Message{{Text: err.Error()}}}
	}
	if err != nil {
		return err
	}
	cfg.Overlay = overlay
	return nil
}

// sandboxRoot is the module root widened to hold the inputs named on the
// command line and the other trusted paths (-Y directories, -E packages).
// When no named input lies beneath the module root (inputs named from a
// directory without kcl.mod), the root is the inputs' common directory
// rather than an ancestor of both.
func sandboxRoot(modRoot string, named, trusted []string) string {
	var dirs []string
	holds := len(named) == 0
	for _, n := range named {
		dirs = append(dirs, n)
		if within(modRoot, n) {
			holds = true
		}
	}
	if !holds {
		first := filepath.Dir(named[0])
		return commonRoot(first, append(dirs, trusted...)...)
	}
	return commonRoot(modRoot, append(dirs, trusted...)...)
}

func absIn(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}
