package index

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// cacheMagic and cacheVersion head every cache file; a file with another
// magic or version is ignored. Bump the version with any change of Facts.
const (
	cacheMagic   = "konfig-lsp workspace index"
	cacheVersion = 1
	// maxCacheFile bounds the cache file read.
	maxCacheFile = 1 << 30
)

// DefaultCacheDir returns os.UserCacheDir()/konfig-lsp/index ("" when
// there is no user cache directory).
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "konfig-lsp", "index")
}

type cacheHeader struct {
	Magic   string
	Version int
	Root    string
}

type cacheEntry struct {
	Hash  [32]byte
	Facts *Facts
}

// CachePath returns the cache file of the index ("" without a cache
// directory): one per workspace root.
func (ix *Index) CachePath() string {
	if ix.cacheDir == "" {
		return ""
	}
	h := sha256.Sum256([]byte(ix.root))
	return filepath.Join(ix.cacheDir, hex.EncodeToString(h[:12])+".gob")
}

// loadCache reads the persisted entries; any problem (missing, foreign,
// corrupt, too large) gives none.
func (ix *Index) loadCache() (out map[[32]byte]*Facts) {
	p := ix.CachePath()
	if p == "" {
		return nil
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxCacheFile {
		return nil
	}
	fd, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer fd.Close()
	defer func() {
		// gob reports corrupt input as errors, but be safe with any panic
		// from hostile input.
		if recover() != nil {
			out = nil
		}
	}()
	dec := gob.NewDecoder(bufio.NewReader(io.LimitReader(fd, maxCacheFile)))
	var h cacheHeader
	if dec.Decode(&h) != nil || h.Magic != cacheMagic || h.Version != cacheVersion || h.Root != ix.root {
		return nil
	}
	var n int
	if dec.Decode(&n) != nil || n < 0 {
		return nil
	}
	out = make(map[[32]byte]*Facts, min(n, 1<<20))
	for range n {
		var e cacheEntry
		if dec.Decode(&e) != nil {
			return nil
		}
		if e.Facts != nil {
			out[e.Hash] = e.Facts
		}
	}
	return out
}

// Save writes the index to its cache file (atomically: a temporary file
// renamed into place).
func (ix *Index) Save() error {
	p := ix.CachePath()
	if p == "" {
		return nil
	}
	ix.flush()
	ix.mu.RLock()
	entries := make([]cacheEntry, 0, len(ix.files))
	seen := map[[32]byte]bool{}
	for _, f := range ix.files {
		if f.unreadable || seen[f.hash] {
			continue
		}
		seen[f.hash] = true
		entries = append(entries, cacheEntry{Hash: f.hash, Facts: f.facts})
	}
	ix.dirty = false
	ix.mu.RUnlock()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".index-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	enc := gob.NewEncoder(w)
	err = enc.Encode(cacheHeader{Magic: cacheMagic, Version: cacheVersion, Root: ix.root})
	if err == nil {
		err = enc.Encode(len(entries))
	}
	for i := 0; err == nil && i < len(entries); i++ {
		err = enc.Encode(&entries[i])
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// valid checks that cached facts fit a file of size bytes: every span
// inside it, every index in range, every kind known.
func valid(f *Facts, size int) bool {
	if f == nil || int(f.Size) != size {
		return false
	}
	span := func(s Span) bool {
		return s.Start.Off >= 0 && s.Start.Off <= s.End.Off && int(s.End.Off) <= size &&
			s.Start.Line >= 1 && s.End.Line >= s.Start.Line && s.Start.U16 >= 0 && s.End.U16 >= 0
	}
	name := func(n string) bool { return n != "" && len(n) <= 4096 && utf8.ValidString(n) }
	nd := int32(len(f.Decls))
	for _, im := range f.Imports {
		if im.Dots < 0 || im.Dots > 64 || len(im.Path) > 4096 {
			return false
		}
	}
	for _, d := range f.Decls {
		if d.Kind > DeclAttr || !name(d.Name) || !span(d.Span) {
			return false
		}
		if d.Kind == DeclAttr {
			if d.Schema < 0 || d.Schema >= nd || !f.Decls[d.Schema].Kind.IsSchemaLike() {
				return false
			}
		} else if d.Schema != -1 {
			return false
		}
	}
	for _, u := range f.Uses {
		if u.Role > UseString || !name(u.Name) || !span(u.Span) || u.Owner < -1 || u.Owner >= nd || len(u.Path) > 256 {
			return false
		}
		if u.Owner >= 0 && !f.Decls[u.Owner].Kind.IsSchemaLike() {
			return false
		}
	}
	for _, d := range f.Dynamic {
		if !name(d.Name) || !span(d.Span) {
			return false
		}
	}
	return true
}
