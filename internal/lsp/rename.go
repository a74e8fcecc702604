package lsp

import (
	"context"
	"fmt"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// renamable reports whether the occurrence names a symbol defined in a
// source file (not a builtin, system module or package import path).
func renamable(o *sema.Occurrence) bool {
	return o != nil && o.Sym != nil && o.Sym.Loc.File != "" && o.Sym.Kind != sema.SymBuiltin &&
		o.Sym.Kind != sema.SymPackage && o.Role != sema.RoleImport
}

// PrepareRename answers textDocument/prepareRename with the range of the
// name under the cursor, or an error saying why it cannot be renamed.
func (s *server) PrepareRename(ctx context.Context, params *protocol.PrepareRenameParams) (protocol.PrepareRenameResult, error) {
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil {
		return nil, err
	}
	if !renamable(a.occ) {
		return nil, fmt.Errorf("there is no renamable name at this position")
	}
	r := lspRange(a.text.lineColPosition(a.occ.Start.Line, a.occ.Start.Col), a.text.lineColPosition(a.occ.End.Line, a.occ.End.Col))
	return &protocol.PrepareRenamePlaceholder{Range: r, Placeholder: a.occ.Name}, nil
}

// Rename answers textDocument/rename with the edits of every occurrence of
// the symbol in the program of the document.
func (s *server) Rename(ctx context.Context, params *protocol.RenameParams) (*protocol.WorkspaceEdit, error) {
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil {
		return nil, err
	}
	if !renamable(a.occ) {
		return nil, fmt.Errorf("there is no renamable name at this position")
	}
	if !validName(params.NewName) {
		return nil, fmt.Errorf("%q is not a valid KCL name", params.NewName)
	}
	changes := map[uri.URI][]protocol.TextEdit{}
	for _, o := range a.prog.References(a.occ.Sym) {
		loc, ok := s.location(a.snap, o.Location)
		if !ok {
			continue
		}
		changes[loc.URI] = append(changes[loc.URI], protocol.TextEdit{Range: loc.Range, NewText: params.NewName})
	}
	return &protocol.WorkspaceEdit{Changes: changes}, nil
}

func validName(n string) bool {
	if n == "" || syntax.LookupKeyword(n) != syntax.IDENT {
		return false
	}
	for i, r := range n {
		ok := r == '_' || r == '$' && i == 0 || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}
