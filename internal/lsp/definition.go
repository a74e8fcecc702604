package lsp

import (
	"context"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/schema"
)

// document returns the request's snapshot with the path and text of u.
func (s *server) document(ctx context.Context, u uri.URI) (*snapshot, string, *text, error) {
	snap := s.requestSnapshot(ctx)
	path, err := uriPath(u)
	if err != nil {
		return nil, "", nil, err
	}
	t, err := snap.textOf(path)
	if err != nil {
		return nil, "", nil, err
	}
	return snap, path, t, nil
}

// at resolves an LSP position of a document into its path, text, byte
// offset, program, schema catalog and the occurrence under the cursor (nil
// when none).
type at struct {
	snap *snapshot
	path string
	text *text
	off  int
	prog *sema.Program
	cat  *schema.Catalog
	occ  *sema.Occurrence
}

func (s *server) at(ctx context.Context, u uri.URI, pos protocol.Position) (*at, error) {
	snap, path, t, err := s.document(ctx, u)
	if err != nil {
		return nil, err
	}
	// The program first: a file over maxFileSize has none, and its error
	// comes without building the line index of a text of megabytes.
	prog, cat, err := s.program(ctx, snap, path)
	if err != nil {
		return nil, err
	}
	off, err := t.offset(pos)
	if err != nil {
		return nil, err
	}
	a := &at{snap: snap, path: path, text: t, off: off, prog: prog, cat: cat}
	a.occ = prog.SymbolAtOffset(path, off)
	if a.occ == nil && off > 0 {
		// The cursor just after a name (the usual place after typing).
		a.occ = prog.SymbolAtOffset(path, off-1)
	}
	return a, nil
}

// location converts a sema location into a protocol location.
func (s *server) location(snap *snapshot, l sema.Location) (protocol.Location, bool) {
	t, err := snap.textOf(l.File)
	if err != nil {
		return protocol.Location{}, false
	}
	return protocol.Location{URI: pathURI(l.File), Range: lspRange(t.lineColPosition(l.Start.Line, l.Start.Col), t.lineColPosition(l.End.Line, l.End.Col))}, true
}

// Definition answers textDocument/definition.
func (s *server) Definition(ctx context.Context, params *protocol.DefinitionParams) (protocol.DefinitionResult, error) {
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil || a.occ == nil || a.occ.Sym == nil {
		return protocol.LocationSlice{}, err
	}
	var out protocol.LocationSlice
	for _, l := range a.prog.DefinitionOf(a.occ.Sym) {
		if loc, ok := s.location(a.snap, l); ok {
			out = append(out, loc)
		}
	}
	return out, nil
}

// References answers textDocument/references: from the workspace index
// for a symbol of a package (every package and stack of the workspace),
// with the program of the document's stacks for a top-level name (whose
// uses in a stack's other files the index does not link) and for local
// names; from the program alone while the index is being built.
func (s *server) References(ctx context.Context, params *protocol.ReferenceParams) ([]protocol.Location, error) {
	snap, path, t, err := s.document(ctx, params.TextDocument.URI)
	if err != nil {
		return []protocol.Location{}, err
	}
	out := []protocol.Location{}
	s.waitIndex(ctx, snap, path)
	ix, tg, indexed := s.indexTarget(snap, path, t, params.Position)
	if indexed {
		for _, l := range ix.References(tg.Key) {
			if !l.Decl || params.Context.IncludeDeclaration {
				out = append(out, indexLocation(l))
			}
		}
	}
	// The programs of the open file's stacks add the uses that only types
	// reveal (an attribute read through a typed lambda parameter), which
	// the index, built from syntax, records as dynamic.
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil || a.occ == nil || a.occ.Sym == nil {
		if indexed {
			return out, nil
		}
		return []protocol.Location{}, err
	}
	seen := map[protocol.Location]bool{}
	for _, l := range out {
		seen[l] = true
	}
	for _, o := range a.prog.References(a.occ.Sym) {
		if o.Def && !params.Context.IncludeDeclaration {
			continue
		}
		if loc, ok := s.location(a.snap, o.Location); ok && !seen[loc] {
			seen[loc] = true
			out = append(out, loc)
		}
	}
	return out, nil
}

// DocumentHighlight answers textDocument/documentHighlight: the occurrences
// of the symbol under the cursor in the same file.
func (s *server) DocumentHighlight(ctx context.Context, params *protocol.DocumentHighlightParams) ([]protocol.DocumentHighlight, error) {
	a, err := s.at(ctx, params.TextDocument.URI, params.Position)
	if err != nil || a.occ == nil || a.occ.Sym == nil {
		return []protocol.DocumentHighlight{}, err
	}
	out := []protocol.DocumentHighlight{}
	for _, o := range a.prog.References(a.occ.Sym) {
		if o.File != a.path {
			continue
		}
		kind := protocol.DocumentHighlightKindRead
		if o.Def {
			kind = protocol.DocumentHighlightKindWrite
		}
		out = append(out, protocol.DocumentHighlight{
			Range: lspRange(a.text.lineColPosition(o.Start.Line, o.Start.Col), a.text.lineColPosition(o.End.Line, o.End.Col)),
			Kind:  kind,
		})
	}
	return out, nil
}
