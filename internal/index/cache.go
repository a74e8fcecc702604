package index

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"
)

// cacheMagic and cacheVersion head every cache file; a file with another
// magic or version is ignored. Bump the version with any change of Facts.
const (
	cacheMagic   = "konfig-lsp workspace index"
	cacheVersion = 5
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
	// SavedAt (Unix ns) is when the cache was written: a stamp this close
	// to it is not trusted (the file may have changed again within the
	// clock's granularity), so such a file is read and hashed.
	SavedAt int64
}

// cacheEntry is one distinct content's facts.
type cacheEntry struct {
	Hash  [32]byte
	Facts *Facts
}

// cacheStamp records the stamp a path had when its content had Hash.
type cacheStamp struct {
	Path  string // relative to the root, slash-separated
	Size  int64
	MTime int64
	Hash  [32]byte
}

// racyWindow is how close to SavedAt a stamp must not be to be trusted.
const racyWindow = int64(2e9)

// cache is a loaded cache file.
type cache struct {
	facts   map[[32]byte]*Facts
	stamps  map[string]cacheStamp
	savedAt int64
}

func (c *cache) get(h [32]byte) *Facts {
	if c == nil {
		return nil
	}
	return c.facts[h]
}

// stamped returns the content hash recorded for rel when its stamp was st.
func (c *cache) stamped(rel string, st stamp) ([32]byte, bool) {
	if c == nil || st.Size <= 0 {
		return [32]byte{}, false
	}
	s, ok := c.stamps[rel]
	if !ok || s.Size != st.Size || s.MTime != st.MTime || c.savedAt-st.MTime < racyWindow {
		return [32]byte{}, false
	}
	return s.Hash, true
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
func (ix *Index) loadCache() (out *cache) {
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
	out = &cache{facts: make(map[[32]byte]*Facts, min(n, 1<<20)), savedAt: h.SavedAt}
	for range n {
		var e cacheEntry
		if dec.Decode(&e) != nil {
			return nil
		}
		if e.Facts != nil {
			out.facts[e.Hash] = e.Facts
		}
	}
	var stamps []cacheStamp
	if dec.Decode(&stamps) != nil {
		return nil
	}
	out.stamps = make(map[string]cacheStamp, len(stamps))
	for _, s := range stamps {
		out.stamps[s.Path] = s
	}
	// In use: not stale (see prune).
	now := time.Now()
	_ = os.Chtimes(p, now, now)
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
	var stamps []cacheStamp
	seen := map[[32]byte]bool{}
	var all []*file
	for _, f := range ix.files {
		all = append(all, f)
		if f.disk != nil {
			all = append(all, f.disk)
		}
	}
	for _, f := range all {
		if f.unreadable {
			continue
		}
		if f.stamp.Size > 0 {
			stamps = append(stamps, cacheStamp{Path: ix.rel(f.path), Size: f.stamp.Size, MTime: f.stamp.MTime, Hash: f.hash})
		}
		if seen[f.hash] {
			continue
		}
		seen[f.hash] = true
		entries = append(entries, cacheEntry{Hash: f.hash, Facts: f.facts})
	}
	ix.mu.RUnlock()
	ix.mu.Lock()
	ix.dirty = false
	ix.mu.Unlock()
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
	err = enc.Encode(cacheHeader{Magic: cacheMagic, Version: cacheVersion, Root: ix.root, SavedAt: time.Now().UnixNano()})
	if err == nil {
		err = enc.Encode(len(entries))
	}
	for i := 0; err == nil && i < len(entries); i++ {
		err = enc.Encode(&entries[i])
	}
	if err == nil {
		err = enc.Encode(stamps)
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
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	prune(filepath.Dir(p))
	return nil
}

// staleAfter is the age after which another root's cache file is removed.
const staleAfter = 30 * 24 * time.Hour

// prune removes the cache files of the directory not written for
// staleAfter (roots gone or not opened for a month).
func prune(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || filepath.Ext(e.Name()) != ".gob" {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleAfter {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
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
		if u.Role > UseMemberOfType || !name(u.Name) || !span(u.Span) || u.Owner < -1 || u.Owner >= nd || len(u.Path) > 256 {
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
	for _, w := range f.Words {
		if len(w) > size {
			return false
		}
	}
	return true
}
