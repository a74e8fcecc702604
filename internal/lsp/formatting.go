package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/format"
)

// Formatting answers textDocument/formatting with one edit replacing the
// whole document by its formatted text, or no edit when it is already
// formatted. A document that does not parse is left alone (no edits): its
// syntax errors are already shown as diagnostics.
func (s *server) Formatting(ctx context.Context, params *protocol.DocumentFormattingParams) ([]protocol.TextEdit, error) {
	_, path, t, err := s.document(params.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	out, err := format.Source(path, []byte(t.src))
	if err != nil {
		s.log.Debug("formatting skipped", "path", path, "error", err)
		return []protocol.TextEdit{}, nil
	}
	if string(out) == t.src {
		return []protocol.TextEdit{}, nil
	}
	return []protocol.TextEdit{{
		Range:   lspRange(protocol.Position{}, t.position(len(t.src))),
		NewText: string(out),
	}}, nil
}
