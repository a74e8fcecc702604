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
// contains the query (case-insensitive), schemas first. Files are parsed
// through the parse cache, so only changed files are parsed again.
func (s *server) Symbols(ctx context.Context, params *protocol.WorkspaceSymbolParams) (protocol.WorkspaceSymbolResult, error) {
	snap := s.requestSnapshot(ctx)
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
	if len(out) > 500 {
		out = out[:500]
	}
	return out, nil
}
