package engine

// NewStepForTest builds a Step the way Preview does: ignored fields removed
// and Secret values masked.
func NewStepForTest(id string, action Action, from, to map[string]any, ignore []string) *Step {
	s := &Step{ID: id, Action: action, From: ignoreFields(from, ignore), To: ignoreFields(to, ignore)}
	maskSecret(s)
	return s
}
