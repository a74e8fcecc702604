package konfig

import (
	"context"
	"io"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/kclrun"
)

// NewKCLEvaluator returns the Evaluator backed by our KCL implementation:
// the pipeline of `konfig-lsp run` (kclrun.Evaluate: resolve as
// Program.Resolve says, evaluate, plan, print). It returns the
// manifests.yaml_stream text when the program calls it, and otherwise the
// program's top-level YAML (a top-level list of configs as a stream).
func NewKCLEvaluator() Evaluator {
	return EvaluatorFunc(evalKCL)
}

func evalKCL(ctx context.Context, p *Program) ([]byte, error) {
	return kclrun.Evaluate(ctx, p.runConfig(), io.Discard)
}

// runConfig is the `run` configuration of the stack's program: YAML out,
// None dropped as the stack's settings say, the program's sandbox, cache
// and budget.
func (p *Program) runConfig() *kclrun.Config {
	return &kclrun.Config{
		Files:       p.Files,
		WorkDir:     p.WorkDir,
		ModRoot:     p.ModRoot,
		Root:        p.Root,
		Policy:      p.Policy,
		Options:     p.Options,
		Overlay:     p.Overlay,
		DisableNone: p.DisableNone,
		Format:      "yaml",
		Resolve:     p.Resolve,
		Cache:       p.Cache,
		MaxMemory:   p.MaxMemory,
	}
}
