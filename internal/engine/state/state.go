// Package state keeps the per-stack record of what the engine applied: a
// State (a serial, the resources as applied, timestamps) and a lock that stops
// two operations on one stack, behind the Backend interface. Store is the
// local backend: a JSON file (by default .konfig/state.json in the stack
// directory) written atomically (temp file, fsync, rename), plus a lock file;
// package kubestate keeps them in the cluster.
//
// Construct a Store for a stack directory and take its lock first:
//
//	st := state.NewStore(filepath.Join(stackDir, ".konfig"))
//	lock, err := st.Lock("apply", false)
//	defer lock.Release()
//	s, err := st.Load()   // an empty State when there is no file yet
//	s.Put(res); err = st.Save(s)
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/konfig-lsp/konfig-lsp/internal/spec"
)

// Version is the format version written in every state file.
const Version = 1

// File names inside the state directory.
const (
	StateFile = "state.json"
	LockFile  = "state.lock"
)

// Resource is one resource as applied.
type Resource struct {
	spec.Resource
	// AppliedAt is when the resource was last applied.
	AppliedAt time.Time `json:"appliedAt"`
}

// State is the content of a state file.
type State struct {
	Version   int        `json:"version"`
	Serial    int        `json:"serial"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	Resources []Resource `json:"resources"`
}

// Get returns the resource with id, or nil.
func (s *State) Get(id string) *Resource {
	for i := range s.Resources {
		if s.Resources[i].ID == id {
			return &s.Resources[i]
		}
	}
	return nil
}

// Put adds or replaces the resource with r's id, keeping the position of a
// replaced one.
func (s *State) Put(r Resource) {
	for i := range s.Resources {
		if s.Resources[i].ID == r.ID {
			s.Resources[i] = r
			return
		}
	}
	s.Resources = append(s.Resources, r)
}

// Remove drops the resource with id; it reports whether there was one.
func (s *State) Remove(id string) bool {
	for i := range s.Resources {
		if s.Resources[i].ID == id {
			s.Resources = append(s.Resources[:i], s.Resources[i+1:]...)
			return true
		}
	}
	return false
}

// Clone returns a deep enough copy of s for concurrent marshalling: the
// resource list is copied, the attribute maps are shared (they are never
// mutated after Put).
func (s *State) Clone() *State {
	c := *s
	c.Resources = append([]Resource(nil), s.Resources...)
	return &c
}

// Backend keeps one stack's state and its lock. Load gives an empty State
// (serial 0) when nothing was saved yet; Save increments the serial; Lock
// fails with a *LockedError naming the holder when another operation has the
// lock (unless force), and the lock lasts until Release.
type Backend interface {
	Load() (*State, error)
	Save(s *State) error
	Lock(operation string, force bool) (*Lock, error)
	ForceUnlock() error
	// String says where the state is kept, for messages.
	String() string
}

var _ Backend = (*Store)(nil)

// Store reads and writes the state of one stack in a directory.
type Store struct {
	dir string
	enc encoder
}

// NewStore returns the store kept in dir (created on first write).
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Dir returns the directory of the store.
func (st *Store) Dir() string { return st.dir }

// String names the state file.
func (st *Store) String() string { return "local state " + st.Path() }

// Path returns the path of the state file.
func (st *Store) Path() string { return filepath.Join(st.dir, StateFile) }

// Load reads the state file; a missing file gives an empty state with serial 0.
func (st *Store) Load() (*State, error) {
	data, err := os.ReadFile(st.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: Version}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return Decode(data, st.Path())
}

// Stamp prepares s for saving: the version, the next serial and the times.
// Every backend's Save calls it.
func Stamp(s *State) {
	now := time.Now().UTC()
	s.Version = Version
	s.Serial++
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	s.UpdatedAt = now
}

// Decode parses a saved state; where names it in errors.
func Decode(data []byte, where string) (*State, error) {
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse state %s: %w", where, err)
	}
	if s.Version > Version {
		return nil, fmt.Errorf("state %s has version %d, newer than this program's %d", where, s.Version, Version)
	}
	return &s, nil
}

// Save increments s.Serial, stamps the times and writes s atomically: a temp
// file in the same directory, fsync, rename, fsync of the directory.
func (st *Store) Save(s *State) error {
	Stamp(s)
	data, err := st.enc.encode(s)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(st.dir, 0o755); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	if err := ensureGitignore(st.dir); err != nil {
		return err
	}
	return writeAtomic(st.Path(), data)
}

// ensureGitignore keeps the state directory out of git.
func ensureGitignore(dir string) error {
	p := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.WriteFile(p, []byte("*\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace state: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Holder describes who holds a lock.
type Holder struct {
	PID       int       `json:"pid"`
	Host      string    `json:"host"`
	User      string    `json:"user,omitempty"`
	Operation string    `json:"operation"`
	Since     time.Time `json:"since"`
}

// Me is this process as the holder of a lock for operation.
func Me(operation string) Holder {
	host, _ := os.Hostname()
	return Holder{PID: os.Getpid(), Host: host, User: os.Getenv("USER"), Operation: operation, Since: time.Now().UTC()}
}

func (h Holder) String() string {
	s := fmt.Sprintf("%s (pid %d on %s", h.Operation, h.PID, h.Host)
	if h.User != "" {
		s += ", user " + h.User
	}
	return s + ", since " + h.Since.Format(time.RFC3339) + ")"
}

// LockedError is returned by Lock when another operation holds the lock.
type LockedError struct {
	// Where names the lock: "lock file PATH" or "Lease NS/NAME".
	Where  string
	Holder Holder
	// Expires, when set, is when the holder's lock lapses unless renewed.
	Expires time.Time
}

func (e *LockedError) Error() string {
	msg := fmt.Sprintf("stack is locked by %s: %s", e.Holder, e.Where)
	if !e.Expires.IsZero() {
		msg += fmt.Sprintf(", which lapses at %s unless its holder renews it", e.Expires.Format(time.RFC3339))
	}
	return msg + " (use --force-unlock if that operation is gone)"
}

// Lock is a held lock; Release it when the operation ends.
type Lock struct {
	release func() error
}

// NewLock returns a held lock that release gives back (for backends).
func NewLock(release func() error) *Lock { return &Lock{release: release} }

// Release gives the lock back.
func (l *Lock) Release() error {
	if l == nil || l.release == nil {
		return nil
	}
	return l.release()
}

// Lock takes the stack's lock for operation. When another holder has it,
// Lock fails with a *LockedError naming it, unless force is set or the holder
// is a process of this host that no longer exists (a stale lock, e.g. after
// kill -9), in which case the lock is taken over.
func (st *Store) Lock(operation string, force bool) (*Lock, error) {
	if err := os.MkdirAll(st.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	if err := ensureGitignore(st.dir); err != nil {
		return nil, err
	}
	path := filepath.Join(st.dir, LockFile)
	me := Me(operation)
	host := me.Host
	data, err := json.Marshal(me)
	if err != nil {
		return nil, fmt.Errorf("encode lock: %w", err)
	}
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(data)
			cerr := f.Close()
			if werr != nil || cerr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("write lock %s: %w", path, errors.Join(werr, cerr))
			}
			return NewLock(func() error {
				if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("release lock: %w", err)
				}
				return nil
			}), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create lock %s: %w", path, err)
		}
		holder, rerr := readHolder(path)
		if !force && rerr == nil && !(holder.Host == host && !processAlive(holder.PID)) {
			return nil, &LockedError{Where: "lock file " + path, Holder: holder}
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("remove stale lock %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("could not take lock %s", path)
}

// ForceUnlock removes the lock file whoever holds it.
func (st *Store) ForceUnlock() error {
	err := os.Remove(filepath.Join(st.dir, LockFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("force unlock: %w", err)
	}
	return nil
}

func readHolder(path string) (Holder, error) {
	var h Holder
	data, err := os.ReadFile(path)
	if err != nil {
		return h, fmt.Errorf("read lock: %w", err)
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return h, fmt.Errorf("parse lock %s: %w", path, err)
	}
	return h, nil
}

// processAlive reports whether a process with pid exists on this host.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	if err == nil || errors.Is(err, syscall.EPERM) {
		// A zombie still answers; look at /proc when it is there.
		if data, rerr := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); rerr == nil {
			if f := strings.Fields(string(data)); len(f) > 2 && f[2] == "Z" {
				return false
			}
		}
		return true
	}
	return false
}

// SortByID sorts resources by id (for stable output).
func SortByID(rs []Resource) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
}
