package engine

import "github.com/konfig-lsp/konfig-lsp/internal/spec"

// NewStepForTest builds a Step of a resource of type typ the way Preview
// does: ignored fields removed and sensitive values masked (default names).
func NewStepForTest(id, typ string, action Action, from, to map[string]any, ignore []string) *Step {
	s := &Step{ID: id, Action: action, From: ignoreFields(from, ignore), To: ignoreFields(to, ignore), res: spec.Resource{ID: id, Type: typ}}
	(&Engine{}).mask(s)
	return s
}
