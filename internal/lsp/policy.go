package lsp

import (
	"context"
)

// runDiagnostics computes the semantic and policy diagnostics that the
// changes of paths affect and publishes them. It returns false when ctx was
// cancelled before it finished.
func (s *server) runDiagnostics(ctx context.Context, snap *snapshot, paths []string) bool {
	for _, p := range paths {
		if ctx.Err() != nil {
			return false
		}
		if snap.doc(p) != nil {
			s.publish(ctx, snap, p)
		}
	}
	return ctx.Err() == nil
}
