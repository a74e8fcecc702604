package lsp

import (
	"context"
	"path/filepath"
	"strings"

	"go.lsp.dev/protocol"
)

// maxWorkspaceSymbols bounds a workspace/symbol answer.
const maxWorkspaceSymbols = 500

// Symbols answers workspace/symbol from the workspace index: the schemas,
// rules, type aliases and top-level names of every .k file under the
// workspace roots whose name contains the query (case-insensitive),
// schemas first. While an index is being built the request waits for it
// (boundedly), then answers from the indexes that are ready: no file is
// parsed for it, nor kept in memory beyond the index's facts.
func (s *server) Symbols(ctx context.Context, params *protocol.WorkspaceSymbolParams) (protocol.WorkspaceSymbolResult, error) {
	snap := s.requestSnapshot(ctx)
	out := protocol.SymbolInformationSlice{}
	for _, root := range snap.roots {
		s.waitIndex(ctx, snap, root)
		ix := s.readyIndex(snap, root)
		if ix == nil {
			s.log.Info("workspace/symbol: the workspace index is still being built", "root", root)
			continue
		}
		for _, sym := range ix.Symbols(ctx, params.Query, maxWorkspaceSymbols) {
			container := strings.TrimSuffix(filepath.Base(sym.Path), ".k")
			out = append(out, protocol.SymbolInformation{
				BaseSymbolInformation: protocol.BaseSymbolInformation{Name: sym.Name, Kind: symbolKind(sym.Kind), ContainerName: &container},
				Location:              protocol.Location{URI: pathURI(sym.Path), Range: indexRange(sym.Span)},
			})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(out) > maxWorkspaceSymbols {
		out = out[:maxWorkspaceSymbols]
	}
	return out, nil
}
