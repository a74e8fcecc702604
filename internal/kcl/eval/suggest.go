package eval

import "github.com/konfig-lsp/konfig-lsp/internal/kcl/suggest"

// suggestion returns `, did you mean '["a", "b"]'?` for the candidates
// similar to name, in the order given (package suggest), or "".
func suggestion(name string, candidates []string) string {
	return suggest.DidYouMean(name, candidates)
}
