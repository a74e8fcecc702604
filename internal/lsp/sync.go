package lsp

import (
	"context"
	"fmt"

	"go.lsp.dev/protocol"
)

func (s *server) DidOpen(ctx context.Context, params *protocol.DidOpenTextDocumentParams) error {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return err
	}
	snap, err := s.session.update(func(docs map[string]*document, _ *[]string) error {
		docs[path] = &document{uri: params.TextDocument.URI, path: path, version: params.TextDocument.Version, text: newText(params.TextDocument.Text)}
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
	snap, err := s.session.update(func(docs map[string]*document, _ *[]string) error {
		old := docs[path]
		if old == nil {
			return fmt.Errorf("didChange for %s, which is not open", path)
		}
		src, err := applyChanges(old.text.src, params.ContentChanges)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		docs[path] = &document{uri: old.uri, path: path, version: params.TextDocument.Version, text: newText(src)}
		return nil
	})
	if err != nil {
		return err
	}
	s.changed(ctx, snap, path)
	return nil
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
