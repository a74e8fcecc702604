package lsp

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// document is an open editor buffer: immutable once made.
type document struct {
	uri     uri.URI
	path    string
	version int32
	text    *text
	data    []byte // text.src's bytes (the same memory), shared by every snapshot's overlay: read-only
}

// newDocument makes a document of src. Its bytes share src's memory (see
// newDocumentBytes).
func newDocument(u uri.URI, path string, version int32, src string) *document {
	return &document{uri: u, path: path, version: version, text: newText(src), data: unsafe.Slice(unsafe.StringData(src), len(src))}
}

// newDocumentBytes makes a document of data, which it keeps. The text's
// string and the bytes share one buffer (a document can be tens of
// megabytes): neither the caller nor any reader of document.data (the
// snapshot's overlay, readFile) may modify it — it is as immutable as a
// string.
func newDocumentBytes(u uri.URI, path string, version int32, data []byte) *document {
	return &document{uri: u, path: path, version: version, text: newText(unsafe.String(unsafe.SliceData(data), len(data))), data: data}
}

// snapshot is an immutable view of the workspace: the workspace roots and
// the open buffers over the disk. Every edit makes a new one.
type snapshot struct {
	id    uint64
	roots []string
	docs  map[string]*document // by absolute path

	overlayOnce sync.Once
	overlayMap  map[string][]byte
}

// doc returns the open document for path, or nil.
func (s *snapshot) doc(path string) *document { return s.docs[path] }

// readFile returns the content of path: the open buffer if there is one,
// else the file on disk.
func (s *snapshot) readFile(path string) ([]byte, error) {
	if d := s.docs[path]; d != nil {
		return d.data, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

// textOf returns the indexed text of path (buffer or disk).
func (s *snapshot) textOf(path string) (*text, error) {
	if d := s.docs[path]; d != nil {
		return d.text, nil
	}
	b, err := s.readFile(path)
	if err != nil {
		return nil, err
	}
	return newText(string(b)), nil
}

// overlay returns the open buffers keyed by absolute path, for the KCL
// packages that read files.
// The map is made once per snapshot and must not be modified.
func (s *snapshot) overlay() map[string][]byte {
	s.overlayOnce.Do(func() {
		s.overlayMap = make(map[string][]byte, len(s.docs))
		for p, d := range s.docs {
			s.overlayMap[p] = d.data
		}
	})
	return s.overlayMap
}

// session owns the current snapshot and makes new ones on edits.
type session struct {
	log *slog.Logger

	mu      sync.Mutex
	current *snapshot
}

func newSession(log *slog.Logger) *session {
	return &session{log: log, current: &snapshot{docs: map[string]*document{}}}
}

// snapshot returns the current snapshot.
func (s *session) snapshot() *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// update makes a new snapshot from the current one with f applied to a copy
// of its documents and roots.
func (s *session) update(f func(docs map[string]*document, roots *[]string) error) (*snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	docs := make(map[string]*document, len(s.current.docs)+1)
	for k, v := range s.current.docs {
		docs[k] = v
	}
	roots := append([]string(nil), s.current.roots...)
	if err := f(docs, &roots); err != nil {
		return nil, err
	}
	s.current = &snapshot{id: s.current.id + 1, roots: roots, docs: docs}
	return s.current, nil
}

// uriPath converts a file URI into a clean absolute path.
func uriPath(u uri.URI) (string, error) {
	p := u.FsPath()
	if p == "" {
		return "", fmt.Errorf("not a file URI: %q", u)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("uri %s: %w", u, err)
	}
	return abs, nil
}

// pathURI converts an absolute path into a file URI.
func pathURI(path string) uri.URI { return uri.File(path) }

// lspRange builds a protocol range.
func lspRange(start, end protocol.Position) protocol.Range {
	return protocol.Range{Start: start, End: end}
}
