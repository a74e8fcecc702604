package lsp

import (
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
		// Too large to parse (see syntaxDiagnostics): an empty file,
		// not cached.
		f, _ := syntax.ParseFile(path, nil)
		return &parsed{file: f}
	}
	return s.session.store.parse(path, src)
}

// parseSlot holds the parses of the latest two contents of a path, so
// that requests on the snapshots before and after an edit do not parse by
// turns.
type parseSlot struct{ cur, prev *parsed }

func (p *parsed) cost() int64 {
	if p == nil {
		return 0
	}
	return int64(len(p.file.Src)) * parseCostFactor
}

// parse returns the parse of src as the content of path, from the store
// when that content was parsed before (one of the path's latest two).
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
	f, ds := syntax.ParseFile(path, []byte(src))
	p := &parsed{file: f, diags: ds}
	st.modify(key, func(old any) (any, int64, bool) {
		sl := &parseSlot{cur: p}
		if o, _ := old.(*parseSlot); o != nil {
			sl.prev = o.cur
		}
		return sl, sl.cur.cost() + sl.prev.cost(), true
	})
	return p
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
