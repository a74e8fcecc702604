package loader

import (
	"container/list"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// File is one parsed source file: the syntax tree and the parse
// diagnostics of one content of one path. Files are shared by every
// caller of a Cache and must not be modified.
type File struct {
	Path  string
	Hash  [32]byte // SHA-256 of the content
	AST   *syntax.File
	Diags []*diag.Diagnostic
	size  int64
}

// DefaultCacheBytes bounds the source bytes whose parses a NewCache keeps:
// 64 MiB of source, about 1.5 million lines of KCL.
const DefaultCacheBytes = 64 << 20

// Cache holds parsed files keyed by path and content hash, so a content
// is parsed once however many programs, evaluations and snapshots read
// it. It is safe for concurrent use and bounded: past its byte budget the
// least recently used parses are dropped. For files read from disk it also
// remembers the modification time and size, so that an unchanged file is
// neither read nor hashed again, and it remembers directory listings by
// the directory's modification time. A nil *Cache parses every time.
type Cache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	lru   list.List // of *File, most recent at the front
	byKey map[fileKey]*list.Element
	disk  map[string]diskEntry
	dirs  map[string]dirEntry
}

type fileKey struct {
	path string
	hash [32]byte
}

type diskEntry struct {
	mod  time.Time
	size int64
	key  fileKey
}

type dirEntry struct {
	mod   time.Time
	names []string
}

// NewCache returns an empty cache bounded by DefaultCacheBytes.
func NewCache() *Cache { return NewCacheSize(DefaultCacheBytes) }

// NewCacheSize returns an empty cache that keeps the parses of at most
// maxBytes bytes of source (at least the most recent parse is kept).
func NewCacheSize(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, byKey: map[fileKey]*list.Element{}, disk: map[string]diskEntry{}, dirs: map[string]dirEntry{}}
}

// Len returns the number of parses the cache holds.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Parse returns the parse of src as the content of path.
func (c *Cache) Parse(path string, src []byte) *File {
	k := fileKey{path: path, hash: sha256.Sum256(src)}
	if f := c.lookup(k); f != nil {
		return f
	}
	ast, diags := syntax.ParseFile(path, src)
	f := &File{Path: path, Hash: k.hash, AST: ast, Diags: diags, size: int64(len(src))}
	return c.add(k, f)
}

func (c *Cache) lookup(k fileKey) *File {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recent(k)
}

// recent returns the parse under k, now the most recently used (nil when
// absent). c.mu is held.
func (c *Cache) recent(k fileKey) *File {
	el, ok := c.byKey[k]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*File)
}

// add stores f under k and returns the stored parse (another goroutine's,
// when it parsed the same content first).
func (c *Cache) add(k fileKey, f *File) *File {
	if c == nil {
		return f
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.recent(k); old != nil {
		return old
	}
	c.byKey[k] = c.lru.PushFront(f)
	c.size += f.size
	for c.size > c.max && c.lru.Len() > 1 {
		el := c.lru.Back()
		old := el.Value.(*File)
		c.lru.Remove(el)
		ok := fileKey{path: old.Path, hash: old.Hash}
		delete(c.byKey, ok)
		if d, hit := c.disk[old.Path]; hit && d.key == ok {
			delete(c.disk, old.Path)
		}
		c.size -= old.size
	}
	return f
}

// ParseFile returns the parse of the file at path: its buffer in ov when
// it has one (ov may be nil), else the file read through fsys (nil: the
// disk), read again only when its modification time or size changed since
// the cache last read it.
func (c *Cache) ParseFile(fsys FS, ov Overlay, path string) (*File, error) {
	if ov != nil {
		if src, ok := ov.Read(path); ok {
			return c.Parse(path, src), nil
		}
	}
	if fsys == nil {
		fsys = OS()
	}
	if c == nil {
		src, err := fsys.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return c.Parse(path, src), nil
	}
	st, err := fsys.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("is a directory")}
	}
	if f := c.unchanged(path, st); f != nil {
		return f, nil
	}
	src, err := fsys.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := c.Parse(path, src)
	if st.Size() == int64(len(src)) {
		c.mu.Lock()
		if _, live := c.byKey[fileKey{path: path, hash: f.Hash}]; live {
			c.disk[path] = diskEntry{mod: st.ModTime(), size: st.Size(), key: fileKey{path: path, hash: f.Hash}}
		}
		c.mu.Unlock()
	}
	return f, nil
}

// unchanged returns the parse of the disk file path when it still has the
// modification time and size of the cache's last read (nil otherwise).
func (c *Cache) unchanged(path string, st fs.FileInfo) *File {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, hit := c.disk[path]; hit && d.mod.Equal(st.ModTime()) && d.size == st.Size() {
		return c.recent(d.key)
	}
	return nil
}

// Sources returns the names of the source files (IsSource) of directory
// dir in name order, listing it again only when its modification time
// changed; ok is false when dir is not a directory (err says why, a
// sandbox refusal included).
func (c *Cache) Sources(fsys FS, dir string) (names []string, ok bool, err error) {
	if fsys == nil {
		fsys = OS()
	}
	st, err := fsys.Stat(dir)
	if err != nil {
		return nil, false, err
	}
	if !st.IsDir() {
		return nil, false, nil
	}
	if c != nil {
		c.mu.Lock()
		e, hit := c.dirs[dir]
		c.mu.Unlock()
		if hit && e.mod.Equal(st.ModTime()) {
			return e.names, true, nil
		}
	}
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, true, err
	}
	for _, en := range ents {
		if !en.IsDir() && IsSource(en.Name()) {
			names = append(names, en.Name())
		}
	}
	sort.Strings(names)
	if c != nil {
		c.mu.Lock()
		c.dirs[dir] = dirEntry{mod: st.ModTime(), names: names}
		c.mu.Unlock()
	}
	return names, true, nil
}

// Overlay is the editor's open buffers: Read returns the content of path
// when a buffer replaces the file on disk. Paths are absolute and clean.
type Overlay interface {
	Read(path string) ([]byte, bool)
}

// DirOverlay is an Overlay that can also list its buffers in a directory,
// so that a new file not yet saved counts as a file of its package.
type DirOverlay interface {
	Overlay
	FilesIn(dir string) []string
}

// Buffers is an Overlay (and DirOverlay) held in a map from absolute path
// to content. A nil Buffers holds nothing.
type Buffers map[string][]byte

// Read returns the buffer of path.
func (b Buffers) Read(path string) ([]byte, bool) {
	src, ok := b[path]
	return src, ok
}

// FilesIn returns the paths of the buffers directly in dir, in name order.
func (b Buffers) FilesIn(dir string) []string {
	var out []string
	for p := range b {
		if filepath.Dir(p) == dir {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
