package lsp

import (
	"context"
	"errors"
	"fmt"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/index"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sema"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// renamable reports whether the occurrence names a symbol defined in a
// source file (not a builtin, system module or package import path).
func renamable(o *sema.Occurrence) bool {
	return o != nil && o.Sym != nil && o.Sym.Loc.File != "" && o.Sym.Kind != sema.SymBuiltin &&
		o.Sym.Kind != sema.SymPackage && o.Role != sema.RoleImport
}

// local reports a symbol visible only inside its file's program (a
// parameter, a loop variable, a local of a lambda, a dict key): the
// program of the document sees all its uses.
func local(sym *sema.Symbol) bool {
	switch sym.Kind {
	case sema.SymParam, sema.SymLoopVar, sema.SymKey:
		return true
	case sema.SymVar:
		return !sym.Global
	}
	return false
}

// renameTarget is what a rename at a position changes: a symbol of the
// workspace index (every package and stack), or a local symbol of the
// document's program.
type renameTarget struct {
	ix   *index.Index
	tg   index.Target
	a    *at // the program's view (nil when the index answers alone)
	name string
	rng  protocol.Range
}

// waitIndex waits (boundedly) for the index of path to be built.
func (s *server) waitIndex(ctx context.Context, snap *snapshot, path string) {
	ix := s.indexFor(snap, path)
	if ix == nil || ix.Ready() {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, indexWait)
	defer cancel()
	_ = ix.WaitReady(wctx)
}

// renameTargetAt finds what a rename at the position would change, or an
// error saying why it cannot update every use.
func (s *server) renameTargetAt(ctx context.Context, u uri.URI, pos protocol.Position) (*renameTarget, error) {
	snap, path, t, err := s.document(ctx, u)
	if err != nil {
		return nil, err
	}
	s.waitIndex(ctx, snap, path)
	if ix, tg, ok := s.indexTarget(snap, path, t, pos); ok {
		// The programs of the document's stacks: a top-level name's uses
		// in the other files of its stacks (a stack's main package spans
		// directories), and an attribute's reads that only types reveal
		// (through a typed parameter), which the index cannot resolve.
		var a *at
		if tg.Kind == index.DeclVar || tg.Key.Attr != "" {
			if pa, err := s.at(ctx, u, pos); err == nil && renamable(pa.occ) {
				a = pa
			}
		}
		var known func(string, index.Span) bool
		if a != nil && tg.Key.Attr != "" {
			locs := map[protocol.Location]bool{}
			for _, o := range a.prog.References(a.occ.Sym) {
				if loc, ok := s.location(a.snap, o.Location); ok {
					locs[loc] = true
				}
			}
			known = func(p string, sp index.Span) bool {
				return locs[protocol.Location{URI: pathURI(p), Range: indexRange(sp)}]
			}
		}
		if err := ix.CheckRenameKnown(tg.Key, known); err != nil {
			return nil, err
		}
		r := &renameTarget{ix: ix, tg: tg, name: tg.Key.Name, rng: indexRange(tg.Span), a: a}
		if tg.Key.Attr != "" {
			r.name = tg.Key.Attr
		}
		return r, nil
	}
	a, err := s.at(ctx, u, pos)
	if err != nil {
		return nil, err
	}
	if !renamable(a.occ) {
		return nil, fmt.Errorf("there is no renamable name at this position")
	}
	if !local(a.occ.Sym) {
		if ix := s.indexFor(snap, path); ix != nil && !ix.Ready() {
			return nil, index.ErrNotReady
		}
		return nil, fmt.Errorf("cannot rename %s: the workspace index does not know all its uses", a.occ.Name)
	}
	rng := lspRange(a.text.lineColPosition(a.occ.Start.Line, a.occ.Start.Col), a.text.lineColPosition(a.occ.End.Line, a.occ.End.Col))
	return &renameTarget{a: a, name: a.occ.Name, rng: rng}, nil
}

// PrepareRename answers textDocument/prepareRename with the range of the
// name under the cursor, or an error saying why it cannot be renamed:
// nothing renamable there, or some use cannot be updated (a file that may
// use it has syntax errors, an attribute read from a value of unknown
// type, the workspace index still being built).
func (s *server) PrepareRename(ctx context.Context, params *protocol.PrepareRenameParams) (protocol.PrepareRenameResult, error) {
	r, err := s.renameTargetAt(ctx, params.TextDocument.URI, params.Position)
	if err != nil {
		return nil, err
	}
	return &protocol.PrepareRenamePlaceholder{Range: r.rng, Placeholder: r.name}, nil
}

// Rename answers textDocument/rename with the edits of every use of the
// symbol in the workspace (every file, through the workspace index), or
// an error when some use cannot be updated.
func (s *server) Rename(ctx context.Context, params *protocol.RenameParams) (*protocol.WorkspaceEdit, error) {
	r, err := s.renameTargetAt(ctx, params.TextDocument.URI, params.Position)
	if err != nil {
		return nil, err
	}
	if !validName(params.NewName) {
		return nil, fmt.Errorf("%q is not a valid KCL name", params.NewName)
	}
	if r.ix != nil {
		if err := r.ix.CheckNewName(r.tg.Key, params.NewName); err != nil {
			return nil, err
		}
	}
	changes := map[uri.URI][]protocol.TextEdit{}
	seen := map[protocol.Location]bool{}
	add := func(loc protocol.Location) {
		if !seen[loc] {
			seen[loc] = true
			changes[loc.URI] = append(changes[loc.URI], protocol.TextEdit{Range: loc.Range, NewText: params.NewName})
		}
	}
	if r.ix != nil {
		for _, l := range r.ix.References(r.tg.Key) {
			add(indexLocation(l))
		}
	}
	if r.a != nil {
		for _, o := range r.a.prog.References(r.a.occ.Sym) {
			if loc, ok := s.location(r.a.snap, o.Location); ok {
				add(loc)
			}
		}
	}
	if len(changes) == 0 {
		return nil, errors.New("no use of the name was found")
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
