package lsp

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// document is an open editor buffer: immutable once made.
type document struct {
	uri     uri.URI
	path    string
	version int32
	text    *text
	data    []byte // text.src's bytes (the same memory), shared by every snapshot's overlay: read-only
	// lastGood is the last syntax tree of an earlier text of the document
	// that parsed without errors (nil when none): features use it while
	// the text does not parse.
	lastGood *syntax.File
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

// snapshot is an immutable view of the workspace: the workspace roots, the
// open buffers over the disk and the settings in force. Every edit, disk
// change and settings change makes a new one. A request takes the snapshot
// current when it is read (see requestSnapshot), so it sees every message
// before it and none after.
//
// State derived from a snapshot — parses, resolved programs — is asked of
// it (parse.go, program.go) and cached by content in the session's store,
// shared by every snapshot: an unchanged file's parse and an untouched
// unit's program carry over from one snapshot to the next.
type snapshot struct {
	id       uint64
	roots    []string
	docs     map[string]*document // by absolute path
	settings *initOptions         // never nil; must not be modified
	// disk lists the paths changed on disk (file events) up to this
	// snapshot: programs built on an earlier one re-read those.
	disk diskLog
	// store caches derived state by content, across snapshots.
	store *store

	overlayOnce sync.Once
	overlayMap  map[string][]byte
}

// diskLog is a window of the session's disk-change events: events first,
// first+1, … are paths[0], paths[1], …; events before first are forgotten
// (a program built before them is rebuilt). Snapshots share the backing
// array: it is only appended to past every snapshot's length.
type diskLog struct {
	first uint64
	paths []string
}

// end is the number of the next event.
func (l diskLog) end() uint64 { return l.first + uint64(len(l.paths)) }

// since returns the paths changed by events since (from on), and whether
// the window still holds them all.
func (l diskLog) since(from uint64) ([]string, bool) {
	if from < l.first {
		return nil, false
	}
	if from >= l.end() {
		return nil, true
	}
	return l.paths[from-l.first:], true
}

// maxDiskLog bounds the disk-change window (programs older than it are
// rebuilt rather than updated).
const maxDiskLog = 4096

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

// Read returns the open buffer of path, if any: the snapshot is the
// overlay of the KCL loader.
func (s *snapshot) Read(path string) ([]byte, bool) {
	if d := s.docs[path]; d != nil {
		return d.data, true
	}
	return nil, false
}

// session owns the current snapshot and makes new ones on edits, and the
// store of derived state they share.
type session struct {
	log   *slog.Logger
	store *store

	mu      sync.Mutex
	current *snapshot
}

func newSession(log *slog.Logger) *session {
	st := newStore(defaultCacheMemory)
	return &session{log: log, store: st, current: &snapshot{docs: map[string]*document{}, settings: &initOptions{}, store: st}}
}

// snapshot returns the current snapshot.
func (s *session) snapshot() *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// next makes the snapshot after the current one from a copy of it, with
// the id moved on; the caller holds s.mu and sets s.current.
func (s *session) next() *snapshot {
	c := s.current
	return &snapshot{id: c.id + 1, roots: c.roots, docs: c.docs, settings: c.settings, disk: c.disk, store: c.store}
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
	n := s.next()
	n.docs, n.roots = docs, roots
	s.current = n
	return n, nil
}

// filesChanged makes a new snapshot in which paths changed on disk.
func (s *session) filesChanged(paths []string) *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.next()
	if len(paths) > 0 {
		l := n.disk
		if len(l.paths)+len(paths) > maxDiskLog {
			// Start a new window: programs built before it are rebuilt.
			l = diskLog{first: l.end(), paths: make([]string, 0, len(paths))}
		}
		l.paths = append(l.paths, paths...)
		n.disk = l
	}
	s.current = n
	return n
}

// setSettings makes a new snapshot with settings o, and applies its cache
// budget to the store.
func (s *session) setSettings(o initOptions) *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.next()
	n.settings = &o
	s.current = n
	s.store.setBudget(o.cacheMemory())
	return n
}

// snapshotKey is the context key of a request's snapshot.
type snapshotKey struct{}

// withSnapshot returns ctx carrying snap, the snapshot a request is served
// on.
func withSnapshot(ctx context.Context, snap *snapshot) context.Context {
	return context.WithValue(ctx, snapshotKey{}, snap)
}

// requestSnapshot returns the snapshot of the request served under ctx:
// the one the message loop took when it read the request, before the
// request was released to run concurrently (conn.go), so that a request
// sees the effect of every notification read before it and of none read
// after. Without one (in-process callers of the server's methods), it is
// the current snapshot.
func (s *server) requestSnapshot(ctx context.Context) *snapshot {
	if snap, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		return snap
	}
	return s.session.snapshot()
}

// settings returns the settings in force: the current snapshot's.
func (s *server) settings() *initOptions { return s.session.snapshot().settings }

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
