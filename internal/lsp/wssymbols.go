package lsp

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.lsp.dev/protocol"
)

// Symbols answers workspace/symbol: the schemas, rules, type aliases and
// top-level names of every .k file under the workspace roots whose name
// contains the query (case-insensitive), schemas first: from the workspace
// index, or while it is being built by parsing the files (through the
// parse cache).
func (s *server) Symbols(ctx context.Context, params *protocol.WorkspaceSymbolParams) (protocol.WorkspaceSymbolResult, error) {
	snap := s.session.snapshot()
	if out, ok := s.indexSymbols(ctx, snap, params.Query); ok {
		return out, nil
	}
	q := strings.ToLower(params.Query)
	out := protocol.SymbolInformationSlice{}
	for _, root := range snap.roots {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() {
				if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".k") {
				return nil
			}
			t, err := s.sandboxedText(snap, root, p)
			if err != nil {
				return nil
			}
			f := s.parse(p, t.src).file
			for _, sym := range outline(t, f.Stmts) {
				if sym.Kind == protocol.SymbolKindNamespace || !strings.Contains(strings.ToLower(sym.Name), q) {
					continue
				}
				container := strings.TrimSuffix(filepath.Base(p), ".k")
				out = append(out, protocol.SymbolInformation{
					BaseSymbolInformation: protocol.BaseSymbolInformation{Name: sym.Name, Kind: sym.Kind, ContainerName: &container},
					Location:              protocol.Location{URI: pathURI(p), Range: sym.SelectionRange},
				})
			}
			return nil
		})
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	rank := func(k protocol.SymbolKind) int {
		switch k {
		case protocol.SymbolKindStruct, protocol.SymbolKindInterface:
			return 0
		case protocol.SymbolKindFunction, protocol.SymbolKindTypeParameter:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := rank(out[i].Kind), rank(out[j].Kind); ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > maxWorkspaceSymbols {
		out = out[:maxWorkspaceSymbols]
	}
	return out, nil
}

// maxWorkspaceSymbols bounds a workspace/symbol answer.
const maxWorkspaceSymbols = 500

// indexSymbols answers workspace/symbol from the workspace indexes; false
// while one is being built.
func (s *server) indexSymbols(ctx context.Context, snap *snapshot, query string) (protocol.SymbolInformationSlice, bool) {
	out := protocol.SymbolInformationSlice{}
	for _, root := range snap.roots {
		ix := s.readyIndex(snap, root)
		if ix == nil {
			return nil, false
		}
		for _, sym := range ix.Symbols(ctx, query, maxWorkspaceSymbols) {
			container := strings.TrimSuffix(filepath.Base(sym.Path), ".k")
			out = append(out, protocol.SymbolInformation{
				BaseSymbolInformation: protocol.BaseSymbolInformation{Name: sym.Name, Kind: symbolKind(sym.Kind), ContainerName: &container},
				Location:              protocol.Location{URI: pathURI(sym.Path), Range: indexRange(sym.Span)},
			})
		}
	}
	if len(out) > maxWorkspaceSymbols {
		out = out[:maxWorkspaceSymbols]
	}
	return out, true
}
