package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"unsafe"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// DidOpen opens a document from typed params (in-process callers); the
// wire goes through didOpenRaw, which decodes the text once.
func (s *server) DidOpen(ctx context.Context, params *protocol.DidOpenTextDocumentParams) error {
	return s.openDocument(ctx, params.TextDocument.URI, params.TextDocument.Version, []byte(params.TextDocument.Text))
}

// didOpenRaw decodes a didOpen notification's params in one pass, the text
// straight into the buffer the document keeps (a didOpen can carry tens of
// megabytes), and opens the document.
//
// raw is the frame's own memory (wire.go reads each frame into a buffer of
// its own and never reuses it), so the text is unquoted in place and the
// document keeps that part of the frame: no copy of the text at all.
func (s *server) didOpenRaw(ctx context.Context, raw []byte) error {
	u, version, data, err := decodeDidOpen(raw, true)
	if err != nil {
		return fmt.Errorf("didOpen: %w", err)
	}
	return s.openDocument(ctx, u, version, data)
}

// decodeDidOpen decodes didOpen params: textDocument's uri (required),
// version (an integer in the int32 range, 0 when missing) and text (empty
// when missing) are read; other members are validated and skipped. With
// own, raw is the caller's to give: the text is unquoted into it, and raw
// must not be used afterwards.
func decodeDidOpen(raw []byte, own bool) (u uri.URI, version int32, text []byte, err error) {
	r := &jsonReader{b: raw, inPlace: own}
	var haveURI, haveDoc bool
	err = r.object(func(key string) error {
		if key != "textDocument" {
			return r.skip()
		}
		haveDoc = true
		return r.object(func(key string) error {
			switch key {
			case "uri":
				s, err := r.str()
				u, haveURI = uri.URI(s), true
				return err
			case "version":
				if r.null() {
					return nil
				}
				v, err := r.int()
				if err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
					err = fmt.Errorf("version %d out of range", v)
				}
				version = int32(v)
				return err
			case "text":
				if r.null() {
					return nil
				}
				b, err := r.bigStrBytes()
				text = b
				return err
			}
			return r.skip()
		})
	})
	if err == nil {
		err = r.end()
	}
	switch {
	case err != nil:
		return "", 0, nil, fmt.Errorf("malformed params: %w", err)
	case !haveDoc || !haveURI:
		return "", 0, nil, errors.New("no textDocument.uri")
	}
	return u, version, text, nil
}

// openDocument makes data (which it keeps: the caller must not modify it)
// the text of the open document u.
func (s *server) openDocument(ctx context.Context, u uri.URI, version int32, data []byte) error {
	path, err := uriPath(u)
	if err != nil {
		return err
	}
	snap, err := s.session.update(func(docs map[string]*document, _ *[]string) error {
		docs[path] = newDocumentBytes(u, path, version, data)
		return nil
	})
	if err != nil {
		return err
	}
	if s.docSync.resync(path) {
		s.log.Info("document back in sync (reopened)", "path", path)
	}
	s.changed(ctx, snap, path)
	return nil
}

// DidChange applies a typed didChange (in-process callers); the wire goes
// through didChangeRaw, which validates the JSON itself.
func (s *server) DidChange(ctx context.Context, params *protocol.DidChangeTextDocumentParams) error {
	changes, err := changesOf(params.ContentChanges)
	return s.applyDidChange(ctx, params.TextDocument.URI, params.TextDocument.Version, changes, err)
}

// didChangeRaw decodes a didChange notification's params strictly (the
// protocol package would decode a change with a malformed range as a
// whole-document change) and applies it.
func (s *server) didChangeRaw(ctx context.Context, raw []byte) error {
	u, version, changes, err := decodeDidChange(raw)
	if u == "" {
		return fmt.Errorf("didChange: %w", err)
	}
	return s.applyDidChange(ctx, u, version, changes, err)
}

// wireDidChange is DidChangeTextDocumentParams as sent, with every field
// optional so that missing ones can be told apart.
type wireDidChange struct {
	TextDocument *struct {
		URI     *string `json:"uri"`
		Version *int64  `json:"version"`
	} `json:"textDocument"`
	ContentChanges *[]struct {
		Range json.RawMessage `json:"range"`
		Text  *wireText       `json:"text"`
	} `json:"contentChanges"`
}

// wireText is a change's text, unquoted in one pass into a buffer that the
// text keeps (encoding/json would copy a whole document's text twice).
type wireText struct{ s string }

func (t *wireText) UnmarshalJSON(raw []byte) error {
	r := &jsonReader{b: raw}
	b, err := r.bigStrBytes()
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return fmt.Errorf("text: %w", err)
	}
	t.s = unsafe.String(unsafe.SliceData(b), len(b)) // b is not used elsewhere
	return nil
}

type wirePosition struct {
	Line      *int64 `json:"line"`
	Character *int64 `json:"character"`
}

// decodeDidChange decodes didChange params. A change with a `range` member is
// incremental, and its range must be two positions of non-negative integers
// below 2^31; a change without one replaces the document. The URI is
// returned, when it can be read, even with an error.
func decodeDidChange(raw []byte) (u uri.URI, version int32, changes []textChange, err error) {
	var p wireDidChange
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", 0, nil, fmt.Errorf("malformed params: %w", err)
	}
	if p.TextDocument == nil || p.TextDocument.URI == nil {
		return "", 0, nil, errors.New("no textDocument.uri")
	}
	u = uri.URI(*p.TextDocument.URI)
	switch {
	case p.TextDocument.Version == nil:
		return u, 0, nil, errors.New("no textDocument.version")
	case *p.TextDocument.Version < math.MinInt32 || *p.TextDocument.Version > math.MaxInt32:
		return u, 0, nil, fmt.Errorf("version %d out of range", *p.TextDocument.Version)
	case p.ContentChanges == nil:
		return u, 0, nil, errors.New("no contentChanges")
	}
	version = int32(*p.TextDocument.Version)
	for i, c := range *p.ContentChanges {
		if c.Text == nil {
			return u, version, nil, fmt.Errorf("change %d has no text", i)
		}
		if c.Range == nil {
			changes = append(changes, textChange{whole: true, text: c.Text.s})
			continue
		}
		var r struct{ Start, End *wirePosition }
		if err := json.Unmarshal(c.Range, &r); err != nil {
			return u, version, nil, fmt.Errorf("change %d: malformed range %s: %w", i, c.Range, err)
		}
		start, ok1 := r.Start.position()
		end, ok2 := r.End.position()
		if !ok1 || !ok2 {
			return u, version, nil, fmt.Errorf("change %d: malformed range %s", i, c.Range)
		}
		changes = append(changes, textChange{rng: protocol.Range{Start: start, End: end}, text: c.Text.s})
	}
	return u, version, changes, nil
}

func (p *wirePosition) position() (protocol.Position, bool) {
	ok := func(v *int64) bool { return v != nil && *v >= 0 && *v <= math.MaxInt32 }
	if p == nil || !ok(p.Line) || !ok(p.Character) {
		return protocol.Position{}, false
	}
	return protocol.Position{Line: uint32(*p.Line), Character: uint32(*p.Character)}, true
}

// applyDidChange applies changes (or the error decoding them) to the open
// document u at version. An invalid change leaves the text as it was and
// puts the document out of sync (see docSync); while it is, incremental
// changes are ignored and a whole-document change brings it back.
func (s *server) applyDidChange(ctx context.Context, u uri.URI, version int32, changes []textChange, cerr error) error {
	path, err := uriPath(u)
	if err != nil {
		return err
	}
	var rejected error
	outOfSync := s.docSync.outOfSync(path)
	// The last good syntax tree goes on from the text before the change
	// (found outside the session's lock: parsing reads the settings).
	cur := s.session.snapshot().doc(path)
	var good *syntax.File
	if cur != nil && cerr == nil {
		good = s.goodAST(cur)
	}
	snap, err := s.session.update(func(docs map[string]*document, _ *[]string) error {
		old := docs[path]
		if old == nil {
			return fmt.Errorf("didChange for %s, which is not open", path)
		}
		if cerr != nil {
			rejected = cerr
			return errUnchanged
		}
		from := 0
		switch {
		case outOfSync:
			from = lastWhole(changes)
			if from < 0 {
				return errUnchanged // still out of sync
			}
		case version <= old.version:
			rejected = fmt.Errorf("version %d does not follow %d", version, old.version)
			return errUnchanged
		}
		src, err := applyChanges(old.text.src, changes[from:])
		if err != nil {
			rejected = err
			return errUnchanged
		}
		nd := newDocument(old.uri, path, version, src)
		if old == cur {
			nd.lastGood = good
		}
		docs[path] = nd
		return nil
	})
	switch {
	case rejected != nil:
		s.rejectChange(ctx, u, path, version, rejected)
		return nil
	case errors.Is(err, errUnchanged):
		s.log.Debug("incremental change ignored: the document is out of sync", "path", path, "version", version)
		return nil
	case err != nil:
		return err
	}
	if outOfSync && s.docSync.resync(path) {
		s.log.Info("document back in sync (whole text received)", "path", path, "version", version)
	}
	s.changed(ctx, snap, path)
	return nil
}

// errUnchanged makes session.update keep the current snapshot.
var errUnchanged = errors.New("document unchanged")

// lastWhole returns the index of the last whole-document change, or -1.
func lastWhole(changes []textChange) int {
	for i := len(changes) - 1; i >= 0; i-- {
		if changes[i].whole {
			return i
		}
	}
	return -1
}

// rejectChange handles a didChange that cannot be applied: the text stays as
// it was, the document goes out of sync, its diagnostics are withdrawn (an
// empty list) and held back until it is back in sync, and the user is told
// once to reopen the file.
func (s *server) rejectChange(ctx context.Context, u uri.URI, path string, version int32, reason error) {
	s.log.Warn("didChange rejected: the document is out of sync until it is reopened or sent whole", "path", path, "version", version, "reason", reason)
	if !s.docSync.markOutOfSync(path) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.client.PublishDiagnostics(ctx, &protocol.PublishDiagnosticsParams{URI: u, Diagnostics: []protocol.Diagnostic{}}); err != nil {
		s.log.Warn("withdrawing diagnostics", "path", path, "error", err)
	}
	msg := fmt.Sprintf("konfig-lsp could not apply an edit to %s (%v): its diagnostics are paused. Close and reopen the file to resume.", filepath.Base(path), reason)
	if err := s.client.ShowMessage(ctx, &protocol.ShowMessageParams{Type: protocol.MessageTypeWarning, Message: msg}); err != nil {
		s.log.Warn("showing the out-of-sync warning", "path", path, "error", err)
	}
}

// docSync records the open documents whose text is out of sync with the
// editor's, after a rejected didChange. Their diagnostics are not published
// (syncClient drops them) and requests about them answer ContentModified.
type docSync struct {
	mu  sync.Mutex
	out map[string]bool // by path
}

// markOutOfSync reports whether path was in sync until now.
func (d *docSync) markOutOfSync(path string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.out[path] {
		return false
	}
	if d.out == nil {
		d.out = map[string]bool{}
	}
	d.out[path] = true
	return true
}

// resync reports whether path was out of sync until now.
func (d *docSync) resync(path string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	was := d.out[path]
	delete(d.out, path)
	return was
}

func (d *docSync) outOfSync(path string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out[path]
}

func (d *docSync) any() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.out) > 0
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
	s.docSync.resync(path)
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
