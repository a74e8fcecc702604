package lsp

import (
	"unsafe"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// parsed is the result of parsing one file content.
type parsed struct {
	file  *syntax.File
	diags []*diag.Diagnostic
}

// parse returns the parse of src as the content of path. Parses are kept
// in the session's store by path and content, so a snapshot parses again
// only the files whose content changed.
func (s *server) parse(path, src string) *parsed {
	if int64(len(src)) > parseFactor*s.maxFileSize() {
		return tooLargeToParse(path)
	}
	return s.session.store.parse(path, src)
}

// tooLargeToParse is the parse of a file too large to parse (see
// syntaxDiagnostics): an empty file, not cached.
func tooLargeToParse(path string) *parsed {
	f, _ := syntax.ParseFile(path, nil)
	return &parsed{file: f}
}

// parseSlot holds the parses of the latest two contents of a path, so
// that requests on the snapshots before and after an edit do not parse by
// turns; it spares hashing a content already seen (a string comparison
// instead).
type parseSlot struct{ cur, prev *parsed }

func (p *parsed) cost() int64 {
	if p == nil {
		return 0
	}
	return int64(len(p.file.Src)) * parseCostFactor
}

// parse returns the parse of src as the content of path: one of the
// path's latest two when src is one of them, else the loader cache's
// (parsing there when no program or evaluation parsed that content yet).
func (st *store) parse(path, src string) *parsed {
	key := storeKey{kind: kindParse, name: path}
	if v, ok := st.get(key); ok {
		sl := v.(*parseSlot)
		for _, p := range []*parsed{sl.cur, sl.prev} {
			if p != nil && string(p.file.Src) == src {
				return p
			}
		}
	}
	// The loader keeps the bytes as the tree's source: they are src's,
	// which is as immutable as a string.
	f := st.files.Parse(path, unsafe.Slice(unsafe.StringData(src), len(src)))
	p := &parsed{file: f.AST, diags: f.Diags}
	st.remember(key, p)
	return p
}

// remember makes p the latest parse of key's path.
func (st *store) remember(key storeKey, p *parsed) {
	st.modify(key, func(old any) (any, int64, bool) {
		sl := &parseSlot{cur: p}
		if o, _ := old.(*parseSlot); o != nil && o.cur != nil && o.cur.file != p.file {
			sl.prev = o.cur
		}
		return sl, sl.cur.cost() + sl.prev.cost(), true
	})
}

// parseFile returns the parse of the file at path in snap — its open
// buffer, else the file on disk read through the read-only sandbox at
// root — from the loader cache, with the snapshot as its overlay: a file
// on disk is read and hashed again only when its modification time or
// size changed.
func (s *server) parseFile(snap *snapshot, root, path string) (*parsed, error) {
	if d := snap.doc(path); d != nil {
		return s.parse(path, d.text.src), nil
	}
	fsys, err := s.readSandbox(root)
	if err != nil {
		return nil, err
	}
	if fi, err := fsys.Stat(path); err == nil && fi.Size() > parseFactor*s.maxFileSize() {
		return tooLargeToParse(path), nil
	}
	f, err := snap.store.files.ParseFile(fsys, snap, path)
	if err != nil {
		return nil, err
	}
	return &parsed{file: f.AST, diags: f.Diags}, nil
}

// lastGood returns the last AST of the open document path that parsed
// without errors before its current text, or nil.
func (s *server) lastGood(snap *snapshot, path string) *syntax.File {
	if d := snap.doc(path); d != nil {
		return d.lastGood
	}
	return nil
}

// goodAST returns d's AST when its text parses without errors, else the
// last good one before it (nil when none).
func (s *server) goodAST(d *document) *syntax.File {
	if p := s.parse(d.path, d.text.src); len(p.diags) == 0 && p.file.Src != nil {
		return p.file
	}
	return d.lastGood
}
