package lsp

import (
	"hash/maphash"

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

// parse returns the parse of src as the content of path, from the store
// when that content was parsed before.
func (st *store) parse(path, src string) *parsed {
	key := storeKey{kind: kindParse, name: path, hash: maphash.String(st.seed, src)}
	if v, ok := st.get(key); ok {
		if p := v.(*parsed); string(p.file.Src) == src {
			return p
		}
	}
	f, ds := syntax.ParseFile(path, []byte(src))
	p := &parsed{file: f, diags: ds}
	st.put(key, p, int64(len(src))*parseCostFactor)
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
