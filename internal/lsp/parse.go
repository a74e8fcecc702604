package lsp

import (
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// parsed is the result of parsing one file content.
type parsed struct {
	file  *syntax.File
	diags []*diag.Diagnostic
}

// parseCache caches parse results by path and content, so that a snapshot
// re-parses only the files whose content changed. It keeps the last good
// AST of each path for features while the buffer is broken.
type parseCache struct {
	mu       sync.Mutex
	byPath   map[string]*cachedParse
	lastGood map[string]*syntax.File
}

type cachedParse struct {
	src string
	res *parsed
}

// parse returns the parse of src as the content of path, from the cache when
// the content is unchanged.
func (s *server) parse(path, src string) *parsed {
	c := &s.parses
	c.mu.Lock()
	if e := c.byPath[path]; e != nil && e.src == src {
		c.mu.Unlock()
		return e.res
	}
	c.mu.Unlock()
	if int64(len(src)) > parseFactor*s.maxFileSize() {
		// Too large to parse (see syntaxDiagnostics): an empty file,
		// not cached.
		f, _ := syntax.ParseFile(path, nil)
		return &parsed{file: f}
	}
	f, ds := syntax.ParseFile(path, []byte(src))
	res := &parsed{file: f, diags: ds}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byPath == nil {
		c.byPath = map[string]*cachedParse{}
		c.lastGood = map[string]*syntax.File{}
	}
	c.byPath[path] = &cachedParse{src: src, res: res}
	if len(ds) == 0 {
		c.lastGood[path] = f
	}
	return res
}

// lastGood returns the last AST of path that parsed without errors, or nil.
func (s *server) lastGood(path string) *syntax.File {
	c := &s.parses
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastGood[path]
}
