package lsp

import (
	"context"

	"go.lsp.dev/protocol"
)

// Implementation answers textDocument/implementation on a schema (its
// declaration or a use): the schemas that inherit from it or mix it in,
// directly or not, and the configs that instantiate it, across the
// workspace (from the workspace index).
func (s *server) Implementation(ctx context.Context, params *protocol.ImplementationParams) (protocol.DefinitionResult, error) {
	snap, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return protocol.LocationSlice{}, err
	}
	s.waitIndex(ctx, snap, path)
	ix, tg, ok := s.indexTarget(snap, path, t, params.Position)
	if !ok || !tg.Kind.IsSchemaLike() {
		return protocol.LocationSlice{}, nil
	}
	out := protocol.LocationSlice{}
	for _, l := range ix.Implementations(tg.Key) {
		out = append(out, indexLocation(l))
	}
	return out, nil
}
