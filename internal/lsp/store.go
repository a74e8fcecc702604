package lsp

import (
	"container/list"
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/loader"
)

// store caches the state derived from snapshots, for every snapshot of a
// session: parses keyed by path and content hash (parse.go) and resolved
// programs keyed by unit (program.go), whose entries record the contents
// they were built from, so an unchanged file's parse and an untouched
// unit's program carry over from one snapshot to the next.
//
// It is bounded: every entry has an estimated memory cost, and the least
// recently used entries are dropped once their sum passes the budget (the
// `cacheMemoryMiB` setting). A dropped entry is only forgotten by the
// store: a snapshot or request holding it keeps using it, and it is
// derived again when next asked for.
type store struct {
	mu     sync.Mutex
	budget int64
	used   int64
	lru    list.List // of *storeEntry; front: most recently used
	index  map[storeKey]*list.Element
	// flights are the programs being built, by unit key and snapshot: the
	// requests that ask for the same one wait for one build.
	flights map[string]*progFlight

	// files is the KCL loader's content-addressed parse cache, bounded by
	// source bytes: the one cache of parsed files of the server's features,
	// its resolved programs and its stack evaluations, so that a content
	// is parsed once for all of them.
	files *loader.Cache
}

// storeKey identifies an entry: a kind and a path (parses) or unit key
// (programs).
type storeKey struct {
	kind byte
	name string
}

const (
	kindParse byte = iota
	kindProgram
)

type storeEntry struct {
	key  storeKey
	cost int64
	val  any
}

// Memory estimates, in bytes per byte of source: a syntax tree is about
// five times its source; a resolved program (syntax trees, scopes, types,
// symbol index, schema catalog) about fifteen. They only rank and bound
// entries; measured on the corpus Konfig (BenchmarkCostFactors).
const (
	parseCostFactor   = 5
	programCostFactor = 15
)

// defaultCacheMemory is the store's budget without the cacheMemoryMiB
// setting.
const defaultCacheMemory = 256 << 20

func newStore(budget int64) *store {
	return &store{budget: budget, index: map[storeKey]*list.Element{}, flights: map[string]*progFlight{}, files: loader.NewCache()}
}

// setBudget sets the memory budget in bytes and drops entries over it.
func (st *store) setBudget(budget int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.budget = budget
	st.evict()
}

// get returns the value of key, marking it most recently used.
func (st *store) get(key storeKey) (any, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	el := st.index[key]
	if el == nil {
		return nil, false
	}
	st.lru.MoveToFront(el)
	return el.Value.(*storeEntry).val, true
}

// modify replaces the value under key (old: nil when none) with the one f
// returns and its estimated cost, unless f declines (ok false), then drops
// the least recently used entries past the budget (never the one just
// stored). f runs under the store's lock: it must be quick.
func (st *store) modify(key storeKey, f func(old any) (val any, cost int64, ok bool)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	el := st.index[key]
	var old any
	if el != nil {
		old = el.Value.(*storeEntry).val
	}
	val, cost, ok := f(old)
	if !ok {
		return
	}
	if el != nil {
		e := el.Value.(*storeEntry)
		st.used += cost - e.cost
		e.cost, e.val = cost, val
		st.lru.MoveToFront(el)
	} else {
		st.index[key] = st.lru.PushFront(&storeEntry{key: key, cost: cost, val: val})
		st.used += cost
	}
	st.evict()
}

// evict drops least recently used entries while the store is over its
// budget, keeping the most recent one. The caller holds st.mu.
func (st *store) evict() {
	for st.used > st.budget && st.lru.Len() > 1 {
		el := st.lru.Back()
		e := el.Value.(*storeEntry)
		st.lru.Remove(el)
		delete(st.index, e.key)
		st.used -= e.cost
	}
}

// each calls f on the entries of kind, most recently used first, until f
// returns false.
func (st *store) each(kind byte, f func(val any) bool) {
	st.mu.Lock()
	var vals []any
	for el := st.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*storeEntry); e.key.kind == kind {
			vals = append(vals, e.val)
		}
	}
	st.mu.Unlock()
	for _, v := range vals {
		if !f(v) {
			return
		}
	}
}

// stats returns the number of entries and their estimated cost.
func (st *store) stats() (entries int, used int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.lru.Len(), st.used
}

// progFlight is one build under way; e and err are set before done is closed.
type progFlight struct {
	done chan struct{}
	e    *programEntry
	err  error
}

// once runs build for the program of unit key on snapshot snapID, or
// waits for the build another request started. A waiter whose leader was
// cancelled builds again with its own context.
func (st *store) once(ctx context.Context, key string, snapID uint64, build func(context.Context) (*programEntry, error)) (*programEntry, error) {
	fk := key + "@" + strconv.FormatUint(snapID, 10)
	for {
		st.mu.Lock()
		f := st.flights[fk]
		leader := f == nil
		if leader {
			f = &progFlight{done: make(chan struct{})}
			st.flights[fk] = f
		}
		st.mu.Unlock()
		if leader {
			f.e, f.err = build(ctx)
			st.mu.Lock()
			delete(st.flights, fk)
			st.mu.Unlock()
			close(f.done)
			return f.e, f.err
		}
		select {
		case <-f.done:
			if f.err != nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue // the leader was cancelled, not this request
			}
			return f.e, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
