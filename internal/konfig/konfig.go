// Package konfig is the repository model of a KusionStack Konfig monorepo:
// the projects (directories with `project.yaml`), their stacks (directories
// with `stack.yaml`), how each stack is compiled (its ordered KCL file list
// and options, from `kcl.yaml` then `ci-test/settings.yaml`), which stacks
// include a given file, and the compile of a stack into a spec.Spec (the
// resource list that Kusion's goldens and our engine use).
//
// Discover a repository, or load one stack directly:
//
//	repo, err := konfig.Discover(ctx, "/path/to/konfig")
//	st, err := konfig.LoadStack("/path/to/konfig/appops/wordpress/dev")
//	sp, err := konfig.Compile(ctx, st, konfig.CompileOptions{})
//
// CompileAll compiles many stacks in parallel (the `check` command);
// Stack.Problems turns a compile error into located problems, placing a
// failed `check:` or `assert` at the developer's value; Repo.StacksIncluding
// answers which stacks read a file (listed, or reached through imports).
//
// A Repo is a snapshot: it does not watch the file system; discover again
// after projects or stacks are added or removed.
package konfig

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/kclrun"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
)

// File names of the Konfig layout.
const (
	ProjectFile  = "project.yaml"
	StackFile    = "stack.yaml"
	KCLFile      = "kcl.yaml"
	CITestDir    = "ci-test"
	SettingsFile = "settings.yaml"
	GoldenFile   = "stdout.golden.yaml"
	CRDDir       = "crd"
	ModFile      = loader.ModFile
)

// Project is a Konfig project: a directory holding `project.yaml`.
type Project struct {
	// Name is project.yaml's name (the directory name when it is empty).
	Name string `json:"name"`
	// Tenant is project.yaml's optional tenant.
	Tenant string `json:"tenant,omitempty"`
	// Dir is the absolute project directory.
	Dir string `json:"dir"`
	// Stacks are the project's stacks, sorted by directory.
	Stacks []*Stack `json:"-"`
}

// Option is one KCL top-level option (`kcl_options` entry or `-D k=v`). The
// value is a plain Go value as YAML decodes it (string, int, float64, bool,
// nil, []any, map[string]any).
type Option struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Stack is a Konfig stack: a directory holding `stack.yaml`, compiled from an
// ordered list of KCL files with options.
type Stack struct {
	// Name is stack.yaml's name (the directory name when it is empty).
	Name string `json:"name"`
	// Dir is the absolute stack directory.
	Dir string `json:"dir"`
	// Project is the nearest enclosing project, nil when there is none.
	Project *Project `json:"-"`
	// ModRoot is the directory of the nearest kcl.mod (the value of
	// ${KCL_MOD} and the root of absolute imports); Dir when there is none.
	ModRoot string `json:"modRoot"`
	// Root is the sandbox root of the stack's evaluation: ModRoot, widened
	// to hold the project directory (its crd/). Every file the compile
	// reads lies beneath it.
	Root string `json:"root"`
	// Files are the absolute KCL files of the main package, in order.
	Files []string `json:"files"`
	// Options are the settings files' kcl_options in order (later keys win),
	// with `app` and `env` defaulted to the project and stack names when the
	// stack has no ci-test/settings.yaml.
	Options []Option `json:"options,omitempty"`
	// Settings are the settings files that were read, in order.
	Settings []string `json:"settings"`
	// DisableNone is kcl_cli_configs.disable_none of the settings.
	DisableNone bool `json:"disableNone,omitempty"`

	// kclOptions are Options as KCL values, for the evaluator.
	kclOptions []kclrun.Option
}

// ProjectName returns the name of the stack's project, "" when it has none.
func (s *Stack) ProjectName() string {
	if s.Project == nil {
		return ""
	}
	return s.Project.Name
}

// GoldenPath returns the path of the stack's golden output,
// `ci-test/stdout.golden.yaml` (it may not exist).
func (s *Stack) GoldenPath() string {
	return joinPath(s.Dir, CITestDir, GoldenFile)
}
