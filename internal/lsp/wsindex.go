package lsp

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/index"
)

// indexCacheDir is where the workspace indexes persist (tests turn it off).
var indexCacheDir = index.DefaultCacheDir

// indexWait bounds how long rename waits for the workspace index being
// built before refusing.
const indexWait = 10 * time.Second

// wsIndexes holds the workspace index of each root (internal/index),
// built in the background at start with $/progress and kept up to date
// from open buffers (synced at each query) and watched-file events.
type wsIndexes struct {
	mu     sync.Mutex
	byRoot map[string]*index.Index
	// synced are the open buffers given to the index, by path, with their
	// version.
	synced map[string]int32
}

// startIndex builds the index of every workspace root in the background,
// reporting through $/progress, and saves it when the server stops.
func (s *server) startIndex() {
	snap := s.session.snapshot()
	w := &s.wsindex
	w.mu.Lock()
	if w.byRoot != nil {
		w.mu.Unlock()
		return
	}
	w.byRoot = map[string]*index.Index{}
	w.synced = map[string]int32{}
	var started []*index.Index
	for _, r := range snap.roots {
		if w.byRoot[r] == nil {
			ix := index.New(r, indexCacheDir())
			// One parser: the build is background work, and the first
			// diagnostics and requests keep the other cores.
			ix.Workers = 1
			w.byRoot[r] = ix
			started = append(started, ix)
		}
	}
	w.mu.Unlock()
	for _, ix := range started {
		s.goBackground(func(bg context.Context) {
			start := time.Now()
			// Progress once there are files to index (none for an empty
			// workspace).
			var p *progress
			last := time.Now()
			err := ix.Build(bg, func(done, total int) {
				if p == nil {
					p = s.startProgress(bg, nil, "Indexing workspace")
				}
				if time.Since(last) > 200*time.Millisecond || done == total {
					last = time.Now()
					p.report(fmt.Sprintf("%d of %d files", done, total), uint32(done*100/max(total, 1)))
				}
			})
			msg := fmt.Sprintf("%d files indexed in %.1fs (%d parsed, %d from the cache)", ix.Files(), time.Since(start).Seconds(), ix.Parses(), ix.CacheHits())
			if err != nil {
				msg = "indexing failed: " + err.Error()
				s.log.Warn("workspace index", "root", ix.Root(), "error", err)
			} else {
				s.log.Info("workspace index", "root", ix.Root(), "files", ix.Files(), "parsed", ix.Parses(), "cached", ix.CacheHits(), "elapsed", time.Since(start))
			}
			if p != nil {
				p.end(msg)
			}
			<-bg.Done()
			// Keep the edits made since the build for the next start.
			if ix.Dirty() {
				if err := ix.Save(); err != nil {
					s.log.Warn("workspace index: save", "error", err)
				}
			}
		})
	}
}

// indexFor returns the index of the root holding path (nil when none),
// after giving it the open buffers of snap.
func (s *server) indexFor(snap *snapshot, path string) *index.Index {
	s.startIndex()
	w := &s.wsindex
	w.mu.Lock()
	defer w.mu.Unlock()
	var best *index.Index
	for r, ix := range w.byRoot {
		if (path == r || strings.HasPrefix(path, r+string(filepath.Separator))) && (best == nil || len(r) > len(best.Root())) {
			best = ix
		}
	}
	// Open buffers: changed ones to the index, closed ones back to disk.
	for p, d := range snap.docs {
		if v, ok := w.synced[p]; !ok || v != d.version {
			w.synced[p] = d.version
			for _, ix := range w.byRoot {
				ix.Update(p, d.data)
			}
		}
	}
	for p := range w.synced {
		if snap.docs[p] == nil {
			delete(w.synced, p)
			for _, ix := range w.byRoot {
				ix.Changed(p)
			}
		}
	}
	return best
}

// readyIndex is indexFor, nil while the index is being built.
func (s *server) readyIndex(snap *snapshot, path string) *index.Index {
	ix := s.indexFor(snap, path)
	if ix == nil || !ix.Ready() {
		return nil
	}
	return ix
}

// indexFilesChanged passes files changed on disk to the indexes.
func (s *server) indexFilesChanged(paths []string) {
	w := &s.wsindex
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ix := range w.byRoot {
		for _, p := range paths {
			if _, open := w.synced[p]; !open {
				ix.Changed(p)
			}
		}
	}
}

// indexTarget returns the index and the symbol at the position of path
// (the name just before the cursor too).
func (s *server) indexTarget(snap *snapshot, path string, t *text, pos protocol.Position) (*index.Index, index.Target, bool) {
	ix := s.readyIndex(snap, path)
	if ix == nil {
		return nil, index.Target{}, false
	}
	off, err := t.offset(pos)
	if err != nil {
		return nil, index.Target{}, false
	}
	tg, ok := ix.At(path, off)
	if !ok && off > 0 {
		tg, ok = ix.At(path, off-1)
	}
	return ix, tg, ok
}

// indexLocation converts an index location.
func indexLocation(l index.Location) protocol.Location {
	return protocol.Location{URI: pathURI(l.Path), Range: indexRange(l.Span)}
}

func indexRange(sp index.Span) protocol.Range {
	return protocol.Range{
		Start: protocol.Position{Line: uint32(max(sp.Start.Line-1, 0)), Character: uint32(sp.Start.U16)},
		End:   protocol.Position{Line: uint32(max(sp.End.Line-1, 0)), Character: uint32(sp.End.U16)},
	}
}

// symbolKind maps a declaration kind to an LSP symbol kind (as the
// document outline does).
func symbolKind(k index.DeclKind) protocol.SymbolKind {
	switch k {
	case index.DeclSchema, index.DeclMixin:
		return protocol.SymbolKindStruct
	case index.DeclProtocol:
		return protocol.SymbolKindInterface
	case index.DeclRule:
		return protocol.SymbolKindFunction
	case index.DeclAlias:
		return protocol.SymbolKindTypeParameter
	case index.DeclAttr:
		return protocol.SymbolKindProperty
	}
	return protocol.SymbolKindVariable
}
