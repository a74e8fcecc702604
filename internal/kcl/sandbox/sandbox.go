// Package sandbox is the one door through which KCL evaluation and the KCL
// loader touch the file system and the environment. Workspace code is
// untrusted (a cloned repository, a pull request from a stranger): every
// file it names is opened beneath one root directory through an os.Root
// (openat-based, symlink-safe), so neither an absolute path, nor `..`, nor
// a symbolic link (to a file, to a directory, dangling, or through a parent
// directory) can leave the root, and there is no check-then-open race on
// the containment. Writes happen only when the policy allows them, never
// under `.git` or the engine's state directory (`.konfig`), and read_env
// sees only the variables the policy lists.
//
// Construct one FS per evaluation (or per command) and close it after:
//
//	fsys, err := sandbox.Open(modRoot, sandbox.Policy{
//		DenyReason: "the language server evaluates without side effects",
//		AllowEnv:   []string{"HOME"},
//	})
//	if err != nil { … }
//	defer fsys.Close()
//	data, err := fsys.ReadFile(filepath.Join(modRoot, "main.k"))
//
// Paths given to the methods are absolute (and must lie beneath the root)
// or relative to the root. A refused access returns an *Error whose text
// names the path, the root and what would allow it; errors.Is matches it
// against ErrOutside, ErrWriteDenied, ErrProtected or ErrTooLarge. Other
// failures are the operating system's errors (*fs.PathError), so callers
// keep printing them as before.
package sandbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// StateDirName is the name of the engine's per-stack state directory
// (internal/engine/state keeps state.json and the lock there). Evaluation
// never writes under it.
const StateDirName = ".konfig"

// DefaultMaxFileSize bounds a file read when Policy.MaxFileSize is 0.
const DefaultMaxFileSize = 32 << 20

// maxLinkHops bounds the symbolic links followed while resolving one path.
const maxLinkHops = 40

// Refusal kinds, for errors.Is on an *Error.
var (
	// ErrOutside: the path, or a symbolic link on it, leads outside the
	// root.
	ErrOutside = errors.New("outside the sandbox root")
	// ErrWriteDenied: the policy does not allow writes.
	ErrWriteDenied = errors.New("file writes are not allowed")
	// ErrProtected: the path is under a protected directory (.git, the
	// state directory, Policy.Protected).
	ErrProtected = errors.New("protected path")
	// ErrTooLarge: the file is larger than Policy.MaxFileSize.
	ErrTooLarge = errors.New("file too large")
	// ErrNotRegular: a read of something that is not a regular file (a
	// device, a FIFO, a socket).
	ErrNotRegular = errors.New("not a regular file")
)

// Policy says what evaluation may do beneath the root.
type Policy struct {
	// AllowWrites allows file.write/append/delete/mkdir/cp/mv beneath the
	// root (never under Protected).
	AllowWrites bool
	// DenyReason explains, in the error of a refused write, why writes are
	// not allowed (and what would allow them), e.g. "the language server
	// evaluates without side effects".
	DenyReason string
	// Protected are more paths never written in any mode: a name without a
	// slash matches a path component anywhere (like ".git"), a path with a
	// slash is relative to the root, an absolute path names a directory
	// beneath it (one outside cannot be written anyway). `.git` and
	// StateDirName are always protected.
	Protected []string
	// AllowEnv are the environment variables read_env may see.
	AllowEnv []string
	// AllEnv lets read_env see every environment variable (`run`, as
	// `kcl run`).
	AllEnv bool
	// MaxFileSize bounds every file read, in bytes; 0 is
	// DefaultMaxFileSize, negative is no bound.
	MaxFileSize int64
}

// FS is a sandboxed view of one directory tree. Its methods are safe for
// concurrent use. Close it when done.
type FS struct {
	dir       string // absolute, cleaned root
	real      string // dir with symbolic links resolved ("" when the same)
	root      *os.Root
	policy    Policy
	protected []string

	// realDirs are root-relative directories seen to be directories with
	// no symbolic link on their path, for Stat's fast path; cleared by
	// every write.
	mu       sync.Mutex
	realDirs map[string]bool
}

// Open opens the sandbox rooted at dir with policy p.
func Open(dir string, p Policy) (*FS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("sandbox root %s: %w", dir, err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sandbox root: %w", err)
	}
	// A root that does not exist holds no files: every access beneath it
	// is "not found" (programs that live only in an editor overlay).
	f := &FS{dir: abs, root: r, policy: p}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		f.real = real
	}
	f.protected = append([]string{".git", StateDirName}, p.Protected...)
	f.policy.AllowEnv = slices.Clone(p.AllowEnv)
	f.policy.Protected = slices.Clone(f.protected)
	return f, nil
}

// Close releases the root directory.
func (f *FS) Close() error {
	if f.root == nil {
		return nil
	}
	return f.root.Close()
}

// missing is the error of an access beneath a root that does not exist.
func missing(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// Root returns the absolute root directory.
func (f *FS) Root() string { return f.dir }

// Policy returns the policy (Protected includes the names always
// protected).
func (f *FS) Policy() Policy { return f.policy }

// Error is a refused access.
type Error struct {
	Op     string // "read", "write", "append", "delete", "create directory", "copy", "move", "list", "stat"
	Path   string // the path as given
	Root   string // the sandbox root
	Kind   error  // ErrOutside, ErrWriteDenied, ErrProtected, ErrTooLarge, ErrNotRegular
	Detail string // the explanation
}

func (e *Error) Error() string {
	return fmt.Sprintf("cannot %s '%s': %s", e.Op, e.Path, e.Detail)
}

// Is matches the refusal kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (f *FS) outside(op, name, detail string) *Error {
	return &Error{Op: op, Path: name, Root: f.dir, Kind: ErrOutside, Detail: detail +
		" (evaluation may only access files beneath the sandbox root " + f.dir +
		": the module root, widened by `run` to the paths named on its command line; place the file beneath it)"}
}

// Within reports whether path (absolute, or relative to the root) names a
// place beneath the root lexically (symbolic links are not followed).
func (f *FS) Within(path string) bool {
	_, ok := f.lexical(path)
	return ok
}

// lexical turns path into a cleaned root-relative path ("." for the root).
func (f *FS) lexical(path string) (string, bool) {
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.dir, p)
	}
	p = filepath.Clean(p)
	for _, base := range []string{f.dir, f.real} {
		if base == "" {
			continue
		}
		if r, err := filepath.Rel(base, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return r, true
		}
	}
	return "", false
}

// resolve returns the root-relative path of name with every symbolic link
// followed (links must stay beneath the root). A missing component ends
// the resolution: the rest is joined lexically, so a path to be created
// resolves too. With keepLast, a link in the last component is not
// followed (delete and move act on the link itself).
func (f *FS) resolve(op, name string, keepLast bool) (string, error) {
	rel, ok := f.lexical(name)
	if !ok {
		return "", f.outside(op, name, "the path is outside the sandbox root")
	}
	parts := splitPath(rel)
	var out []string
	hops := 0
	for len(parts) > 0 {
		c := parts[0]
		parts = parts[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(out) == 0 {
				return "", f.outside(op, name, "the path leads outside the sandbox root")
			}
			out = out[:len(out)-1]
			continue
		}
		cur := filepath.Join(append(slices.Clone(out), c)...)
		if keepLast && len(parts) == 0 {
			out = append(out, c)
			break
		}
		// The walk looks at each component once by its absolute path (one
		// lstat each; os.Root would walk the prefix again per component).
		// It finds the canonical path for the protection check and the
		// messages; containment itself is os.Root's, when the file is
		// opened.
		fi, err := os.Lstat(filepath.Join(f.dir, cur))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				out = append(out, c)
				for _, rest := range parts {
					switch rest {
					case "", ".":
					case "..":
						if len(out) == 0 {
							return "", f.outside(op, name, "the path leads outside the sandbox root")
						}
						out = out[:len(out)-1]
					default:
						out = append(out, rest)
					}
				}
				return joinRel(out), nil
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			out = append(out, c)
			continue
		}
		hops++
		if hops > maxLinkHops {
			return "", &fs.PathError{Op: op, Path: name, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(filepath.Join(f.dir, cur))
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			r, ok := f.lexical(target)
			if !ok {
				return "", f.outside(op, name, fmt.Sprintf("the symbolic link %s points to %s, outside the sandbox root", cur, target))
			}
			out = nil
			parts = append(splitPath(r), parts...)
			continue
		}
		// A relative target resolves against the link's directory; check
		// that it does not climb above the root.
		depth := len(out)
		for _, t := range splitPath(target) {
			switch t {
			case "", ".":
			case "..":
				depth--
				if depth < 0 {
					return "", f.outside(op, name, fmt.Sprintf("the symbolic link %s points to %s, outside the sandbox root", cur, target))
				}
			default:
				depth++
			}
		}
		parts = append(splitPath(target), parts...)
	}
	return joinRel(out), nil
}

func splitPath(p string) []string {
	if p == "." || p == "" {
		return nil
	}
	return strings.Split(filepath.ToSlash(p), "/")
}

func joinRel(parts []string) string {
	if len(parts) == 0 {
		return "."
	}
	return filepath.Join(parts...)
}

func (f *FS) maxSize() int64 {
	switch {
	case f.policy.MaxFileSize == 0:
		return DefaultMaxFileSize
	case f.policy.MaxFileSize < 0:
		return -1
	}
	return f.policy.MaxFileSize
}

// beneath runs do on the root-relative path of name through os.Root,
// which keeps every component, links included, beneath the root. When do
// fails with an OS error, resolve explains a refusal (a link or `..` that
// leaves the root) or gives the canonical path (an absolute link that stays
// inside, which os.Root does not follow) to try once more. Refusals of the
// sandbox (*Error) are returned as they are.
func (f *FS) beneath(op, name string, do func(rel string) error) error {
	rel, ok := f.lexical(name)
	if !ok {
		return f.outside(op, name, "the path is outside the sandbox root")
	}
	if f.root == nil {
		return missing(op, name)
	}
	err := do(rel)
	var refused *Error
	if err == nil || errors.As(err, &refused) {
		return err
	}
	canon, rerr := f.resolve(op, name, false)
	if rerr != nil {
		return rerr
	}
	if canon != rel {
		err = do(canon)
		if err == nil || errors.As(err, &refused) {
			return err
		}
	}
	return rename(err, name)
}

// ReadFile reads a regular file beneath the root, at most
// Policy.MaxFileSize bytes.
func (f *FS) ReadFile(name string) ([]byte, error) {
	var data []byte
	err := f.beneath("read", name, func(rel string) error {
		// O_NONBLOCK: opening a FIFO must not wait for a writer; it is
		// refused below as not a regular file.
		file, err := f.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		defer file.Close()
		st, err := file.Stat()
		if err != nil {
			return err
		}
		if st.IsDir() {
			return &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
		}
		if !st.Mode().IsRegular() {
			return &Error{Op: "read", Path: name, Root: f.dir, Kind: ErrNotRegular, Detail: "not a regular file"}
		}
		limit := f.maxSize()
		if limit >= 0 && st.Size() > limit {
			return f.tooLarge(name, st.Size(), limit)
		}
		var r io.Reader = file
		if limit >= 0 {
			r = io.LimitReader(file, limit+1)
		}
		data, err = io.ReadAll(r)
		if err != nil {
			return err
		}
		if limit >= 0 && int64(len(data)) > limit {
			return f.tooLarge(name, int64(len(data)), limit)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

func (f *FS) tooLarge(name string, size, limit int64) *Error {
	return &Error{Op: "read", Path: name, Root: f.dir, Kind: ErrTooLarge,
		Detail: fmt.Sprintf("file too large (%d bytes; the limit is %d bytes)", size, limit)}
}

// rename gives an OS error the path as the caller named it.
func rename(err error, name string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

// Stat returns the file information of name, following links beneath the
// root.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	// Fast path (metadata only, no content): the parent directory is known
	// to be link-free beneath the root and the file itself is not a link.
	if rel, ok := f.lexical(name); ok && f.root != nil && rel != "." && f.dirIsReal(filepath.Dir(rel)) {
		fi, err := os.Lstat(filepath.Join(f.dir, rel))
		switch {
		case err == nil && fi.Mode()&fs.ModeSymlink == 0:
			return fi, nil
		case errors.Is(err, fs.ErrNotExist):
			return nil, rename(err, name)
		}
	}
	var st fs.FileInfo
	err := f.beneath("stat", name, func(rel string) error {
		var err error
		st, err = f.root.Stat(rel)
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// dirIsReal reports whether the root-relative dir is a directory with no
// symbolic link on its path, remembering the directories that are.
func (f *FS) dirIsReal(dir string) bool {
	if dir == "." {
		return true
	}
	f.mu.Lock()
	known := f.realDirs[dir]
	f.mu.Unlock()
	if known {
		return true
	}
	if !f.dirIsReal(filepath.Dir(dir)) {
		return false
	}
	fi, err := os.Lstat(filepath.Join(f.dir, dir))
	if err != nil || !fi.IsDir() {
		return false
	}
	f.mu.Lock()
	if f.realDirs == nil {
		f.realDirs = map[string]bool{}
	}
	f.realDirs[dir] = true
	f.mu.Unlock()
	return true
}

// forgetDirs drops what dirIsReal remembers (the tree may have changed).
func (f *FS) forgetDirs() {
	f.mu.Lock()
	f.realDirs = nil
	f.mu.Unlock()
}

// Lstat returns the file information of name without following a link in
// its last component.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	rel, err := f.resolve("stat", name, true)
	if err != nil {
		return nil, err
	}
	if f.root == nil {
		return nil, missing("lstat", name)
	}
	st, err := f.root.Lstat(rel)
	return st, rename(err, name)
}

// ReadDir lists a directory beneath the root, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	// Fast path (names only): the directory is known to be link-free
	// beneath the root.
	if rel, ok := f.lexical(name); ok && f.root != nil && f.dirIsReal(rel) {
		if ents, err := os.ReadDir(filepath.Join(f.dir, rel)); err == nil {
			return ents, nil
		}
	}
	var ents []fs.DirEntry
	err := f.beneath("list", name, func(rel string) error {
		d, err := f.root.Open(rel)
		if err != nil {
			return err
		}
		defer d.Close()
		ents, err = d.ReadDir(-1)
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	return ents, nil
}

// RealPath returns the absolute path of name with its symbolic links
// resolved; name must exist.
func (f *FS) RealPath(name string) (string, error) {
	rel, err := f.resolve("resolve", name, false)
	if err != nil {
		return "", err
	}
	if f.root == nil {
		return "", missing("lstat", name)
	}
	if _, err := f.root.Lstat(rel); err != nil {
		return "", rename(err, name)
	}
	return filepath.Join(f.dir, rel), nil
}

// Glob returns the absolute paths beneath the root that match pattern
// (absolute, or relative to the root; filepath.Match syntax), sorted. A
// pattern outside the root is refused.
func (f *FS) Glob(pattern string) ([]string, error) {
	rel, ok := f.lexical(pattern)
	if !ok {
		return nil, f.outside("glob", pattern, "the pattern is outside the sandbox root")
	}
	if f.root == nil {
		return nil, nil
	}
	matches, err := fs.Glob(f.root.FS(), filepath.ToSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("glob %s: %w", pattern, err)
	}
	out := make([]string, len(matches))
	for i, m := range matches {
		out[i] = filepath.Join(f.dir, filepath.FromSlash(m))
	}
	return out, nil
}

// writable checks that the policy allows op on name and returns the
// root-relative path to act on.
func (f *FS) writable(op, name string, keepLast bool) (string, error) {
	if !f.policy.AllowWrites {
		reason := f.policy.DenyReason
		if reason == "" {
			reason = "evaluation is read-only here"
		}
		return "", &Error{Op: op, Path: name, Root: f.dir, Kind: ErrWriteDenied, Detail: "file writes are not allowed: " + reason}
	}
	rel, err := f.resolve(op, name, keepLast)
	if err != nil {
		return "", err
	}
	lex, _ := f.lexical(name)
	for _, p := range []string{rel, lex} {
		if prot := f.protectedBy(p); prot != "" {
			return "", &Error{Op: op, Path: name, Root: f.dir, Kind: ErrProtected, Detail: fmt.Sprintf(
				"%s is protected: evaluation never writes under .git, the engine's state directory (%s) or a protected path, in any mode", prot, StateDirName)}
		}
	}
	if rel == "." {
		return "", &Error{Op: op, Path: name, Root: f.dir, Kind: ErrProtected, Detail: "the sandbox root itself cannot be replaced or removed"}
	}
	if f.root == nil {
		return "", missing(op, name)
	}
	f.forgetDirs()
	return rel, nil
}

// protectedBy returns the protected entry that rel (root-relative,
// resolved) falls under, or "".
func (f *FS) protectedBy(rel string) string {
	parts := splitPath(rel)
	slash := filepath.ToSlash(rel)
	for _, p := range f.protected {
		isPath := strings.ContainsAny(p, `/\`)
		if filepath.IsAbs(p) {
			r, ok := f.lexical(p)
			if !ok {
				continue
			}
			p = r
		}
		p = strings.Trim(filepath.ToSlash(filepath.Clean(p)), "/")
		if p == "" || p == "." {
			continue
		}
		if !isPath {
			for _, c := range parts {
				if strings.EqualFold(c, p) {
					return p
				}
			}
			continue
		}
		if slash == p || strings.HasPrefix(slash, p+"/") {
			return p
		}
	}
	return ""
}

// WriteFile creates or truncates name and writes data.
func (f *FS) WriteFile(name string, data []byte, perm fs.FileMode) error {
	return f.write("write", name, data, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
}

// Append appends data to name, creating it when missing.
func (f *FS) Append(name string, data []byte) error {
	return f.write("append", name, data, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

func (f *FS) write(op, name string, data []byte, flags int, perm fs.FileMode) error {
	rel, err := f.writable(op, name, false)
	if err != nil {
		return err
	}
	if afterCheck != nil {
		afterCheck(op, rel)
	}
	// Truncate only once the opened file is known not to be protected.
	file, err := f.root.OpenFile(rel, flags&^os.O_TRUNC, perm)
	if err != nil {
		return rename(err, name)
	}
	if err := f.checkOpened(op, name, file); err != nil {
		file.Close()
		return err
	}
	if flags&os.O_TRUNC != 0 {
		if err := file.Truncate(0); err != nil {
			file.Close()
			return rename(err, name)
		}
	}
	if _, err := file.Write(data); err != nil {
		file.Close()
		return rename(err, name)
	}
	return rename(file.Close(), name)
}

// checkOpened checks, after the open, where the file really is (Linux's
// /proc/self/fd): a path swapped for a link between the protection check
// and the open cannot make a write land under .git or the state
// directory. Where /proc is not available the check before the open
// stands alone.
func (f *FS) checkOpened(op, name string, file *os.File) error {
	real, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", file.Fd()))
	if err != nil {
		return nil
	}
	return f.checkReal(op, name, real)
}

// checkReal checks that the absolute path real, where an opened file or
// directory really is, lies beneath the root and under no protected path.
func (f *FS) checkReal(op, name, real string) error {
	rel, ok := f.lexical(real)
	if !ok {
		return f.outside(op, name, "the opened file is outside the sandbox root")
	}
	if prot := f.protectedBy(rel); prot != "" {
		return &Error{Op: op, Path: name, Root: f.dir, Kind: ErrProtected, Detail: fmt.Sprintf(
			"%s is protected: evaluation never writes under .git, the engine's state directory (%s) or a protected path, in any mode", prot, StateDirName)}
	}
	return nil
}

// afterCheck, when set (tests), runs between the checks of a mutation and
// the mutation itself: where a racing process would swap a path component
// for a symbolic link.
var afterCheck func(op, rel string)

// parent is the directory that holds the last component of a path being
// created, removed or moved, opened and checked: the mutation names only
// that last component, relative to the opened directory, so nothing
// swapped on the path after the check can redirect it.
type parent struct {
	root *os.Root // the directory, as a root (Mkdir, Remove)
	dir  *os.File // the same directory (its descriptor, for renameat)
	base string   // the last component
}

func (p *parent) close() {
	p.dir.Close()
	p.root.Close()
}

// openParent opens the parent directory of rel (root-relative, resolved
// by writable) through os.Root, which keeps the walk beneath the root, and
// checks where the opened directory really is (/proc/self/fd): beneath
// the root, and neither it nor the last component under a protected path.
func (f *FS) openParent(op, name, rel string) (*parent, error) {
	if afterCheck != nil {
		afterCheck(op, rel)
	}
	dir, base := filepath.Split(rel)
	if base == "" || base == "." || base == ".." {
		return nil, &Error{Op: op, Path: name, Root: f.dir, Kind: ErrProtected, Detail: "the sandbox root itself cannot be replaced or removed"}
	}
	if dir = filepath.Clean(dir); dir == "" {
		dir = "."
	}
	sub, err := f.root.OpenRoot(dir)
	if err != nil {
		return nil, rename(err, name)
	}
	d, err := sub.Open(".")
	if err != nil {
		sub.Close()
		return nil, rename(err, name)
	}
	p := &parent{root: sub, dir: d, base: base}
	if real, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", d.Fd())); err == nil {
		if err := f.checkReal(op, name, filepath.Join(real, base)); err != nil {
			p.close()
			return nil, err
		}
	}
	return p, nil
}

// mkdirAll creates rel (root-relative, resolved) and its missing parents,
// one component at a time through openParent.
func (f *FS) mkdirAll(op, name, rel string) error {
	parts := splitPath(rel)
	for i := range parts {
		p, err := f.openParent(op, name, filepath.Join(parts[:i+1]...))
		if err != nil {
			return err
		}
		err = p.root.Mkdir(p.base, 0o755)
		if err != nil && errors.Is(err, fs.ErrExist) {
			// An existing directory (or a link to one, which the next
			// component's openParent follows and checks) is fine.
			var st fs.FileInfo
			if st, err = p.root.Stat(p.base); err == nil && !st.IsDir() {
				err = &fs.PathError{Op: "mkdir", Path: name, Err: syscall.ENOTDIR}
			}
		}
		p.close()
		if err != nil {
			return rename(err, name)
		}
	}
	return nil
}

// MkdirAll creates the directory name and its missing parents.
func (f *FS) MkdirAll(name string) error {
	rel, err := f.writable("create directory", name, false)
	if err != nil {
		return err
	}
	return f.mkdirAll("create directory", name, rel)
}

// Remove removes the file or empty directory name (a link itself, not its
// target).
func (f *FS) Remove(name string) error {
	rel, err := f.writable("delete", name, true)
	if err != nil {
		return err
	}
	p, err := f.openParent("delete", name, rel)
	if err != nil {
		return err
	}
	defer p.close()
	return rename(p.root.Remove(p.base), name)
}

// Rename moves src to dest (a link itself, not its target).
func (f *FS) Rename(src, dest string) error {
	rs, err := f.writable("move", src, true)
	if err != nil {
		return err
	}
	rd, err := f.writable("move", dest, false)
	if err != nil {
		return err
	}
	ps, err := f.openParent("move", src, rs)
	if err != nil {
		return err
	}
	defer ps.close()
	pd, err := f.openParent("move", dest, rd)
	if err != nil {
		return err
	}
	defer pd.close()
	return renameAt(ps, pd, rs, rd, f.root)
}

// Copy copies the file or directory tree src to dest.
func (f *FS) Copy(src, dest string) error {
	rs, err := f.resolve("copy", src, false)
	if err != nil {
		return err
	}
	if f.root == nil {
		return missing("copy", src)
	}
	rd, err := f.writable("copy", dest, false)
	if err != nil {
		return err
	}
	if rd == rs || strings.HasPrefix(rd, rs+string(filepath.Separator)) {
		return fmt.Errorf("copy %s to %s: the destination is inside the source", src, dest)
	}
	return f.copyRel(dest, rs, rd, 0)
}

// maxCopyDepth bounds the directory nesting of one copy.
const maxCopyDepth = 64

func (f *FS) copyRel(name, src, dest string, depth int) error {
	if depth > maxCopyDepth {
		return fmt.Errorf("copy %s: directories nested too deep", src)
	}
	st, err := f.root.Stat(src)
	if err != nil {
		return err
	}
	if st.IsDir() {
		if err := f.mkdirAll("copy", name, dest); err != nil {
			return err
		}
		ents, err := f.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range ents {
			s, err := f.resolve("copy", filepath.Join(src, e.Name()), false)
			if err != nil {
				return err
			}
			d, err := f.writable("copy", filepath.Join(dest, e.Name()), false)
			if err != nil {
				return err
			}
			if err := f.copyRel(name, s, d, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	data, err := f.ReadFile(src)
	if err != nil {
		return err
	}
	p, err := f.openParent("copy", name, dest)
	if err != nil {
		return err
	}
	defer p.close()
	// Truncate only once the opened file is known not to be protected.
	file, err := p.root.OpenFile(p.base, os.O_CREATE|os.O_WRONLY, st.Mode().Perm())
	if err != nil {
		return err
	}
	if err := f.checkOpened("copy", name, file); err != nil {
		file.Close()
		return err
	}
	if err := file.Truncate(0); err != nil {
		file.Close()
		return err
	}
	if _, err := file.Write(data); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// Getenv returns the environment variable name when the policy lets
// evaluation see it (AllEnv, or listed in AllowEnv).
func (f *FS) Getenv(name string) (string, bool) {
	if !f.policy.AllEnv && !slices.Contains(f.policy.AllowEnv, name) {
		return "", false
	}
	return os.LookupEnv(name)
}
