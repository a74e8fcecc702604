package lsp

import (
	"context"
	"fmt"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

func (s *server) DidOpen(ctx context.Context, params *protocol.DidOpenTextDocumentParams) error {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return err
	}
	snap, err := s.session.update(func(docs map[string]*document, _ *[]string) error {
		docs[path] = newDocument(params.TextDocument.URI, path, params.TextDocument.Version, params.TextDocument.Text)
		return nil
	})
	if err != nil {
		return err
	}
	s.changed(ctx, snap, path)
	return nil
}

func (s *server) DidChange(ctx context.Context, params *protocol.DidChangeTextDocumentParams) error {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return err
	}
	var before string
	snap, err := s.session.update(func(docs map[string]*document, _ *[]string) error {
		old := docs[path]
		if old != nil {
			before = old.text.src
		}
		if old == nil {
			return fmt.Errorf("didChange for %s, which is not open", path)
		}
		src, err := applyChanges(old.text.src, params.ContentChanges)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		docs[path] = newDocument(old.uri, path, params.TextDocument.Version, src)
		return nil
	})
	if err != nil {
		return err
	}
	if s.importsOf(path, before) != s.importsOf(path, snap.doc(path).text.src) {
		s.forgetIncludes()
	}
	s.changed(ctx, snap, path)
	return nil
}

// importsOf returns the import paths of src, one per line.
func (s *server) importsOf(path, src string) string {
	var b strings.Builder
	for _, st := range s.parse(path, src).file.Stmts {
		if im, ok := st.(*syntax.ImportStmt); ok {
			b.WriteString(im.Rawpath)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (s *server) DidClose(ctx context.Context, params *protocol.DidCloseTextDocumentParams) error {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return err
	}
	snap, err := s.session.update(func(docs map[string]*document, _ *[]string) error {
		delete(docs, path)
		return nil
	})
	if err != nil {
		return err
	}
	s.forgetIncludes()
	// The file's own diagnostics go with the buffer; stacks re-evaluate
	// against the disk content.
	s.diags.clear(path)
	s.publish(ctx, snap, path)
	s.scheduleDiagnostics(snap, path)
	return nil
}

func (s *server) DidSave(ctx context.Context, params *protocol.DidSaveTextDocumentParams) error {
	return nil
}

func (s *server) DidChangeWatchedFiles(ctx context.Context, params *protocol.DidChangeWatchedFilesParams) error {
	var paths []string
	for _, ev := range params.Changes {
		if p, err := uriPath(ev.URI); err == nil {
			paths = append(paths, p)
		}
	}
	s.filesChanged(paths)
	return nil
}

// changed reacts to a change of path in snap: syntax diagnostics at once,
// the rest debounced in the background.
func (s *server) changed(ctx context.Context, snap *snapshot, path string) {
	s.syntaxDiagnostics(snap, path)
	s.publish(ctx, snap, path)
	s.scheduleDiagnostics(snap, path)
}
