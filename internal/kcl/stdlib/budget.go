package stdlib

import "github.com/konfig-lsp/konfig-lsp/internal/kcl/value"

// Budgeter may be implemented by an Env to bound what the library builds:
// the decoders (json.decode, yaml.decode, yaml.decode_all), the encoders
// (json.encode, yaml.encode, yaml.encode_all, manifests.yaml_stream) and
// str() / print() charge the Budget, and a refused charge ends the call
// with the budget's error. Without it (or with a nil Budget) only the
// decoders' alias-expansion limit applies.
type Budgeter interface {
	Budget() *value.Budget
}

// budgetOf returns env's budget, or nil.
func budgetOf(env Env) *value.Budget {
	if b, ok := env.(Budgeter); ok {
		return b.Budget()
	}
	return nil
}
