package eval

import (
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// Statement states of a lazy scope.
const (
	stPending uint8 = iota
	stRunning
	stDone
)

// lstmt is one statement of a lazy scope with the scope it runs in.
type lstmt struct {
	stmt  syntax.Stmt
	sc    *scope
	state uint8
}

// lazy is a scope whose names are set by statements (setters) that run on
// demand: reading a name whose last setter has not run yet runs it first,
// so a read sees the final value whatever the source order. It is used for
// the top level of a package and for the attributes of a schema instance.
type lazy struct {
	stmts   []*lstmt
	setters map[string][]int
	vals    *value.Dict
	maxIdx  map[string]int
	cur     int // index of the statement being run, -1 when none
	rerun   bool
	run     func(i int)
}

func newLazy() *lazy {
	return &lazy{setters: map[string][]int{}, vals: value.NewDict(), maxIdx: map[string]int{}, cur: -1}
}

// add appends a statement and registers it as a setter of names.
func (l *lazy) add(st *lstmt, names []string) {
	i := len(l.stmts)
	l.stmts = append(l.stmts, st)
	for _, n := range names {
		s := l.setters[n]
		if len(s) == 0 || s[len(s)-1] != i {
			l.setters[n] = append(s, i)
		}
		if _, ok := l.vals.Get(n); !ok {
			l.vals.Set(n, value.Undefined)
		}
	}
}

// has reports whether name is set by a statement of l.
func (l *lazy) has(name string) bool {
	_, ok := l.setters[name]
	return ok
}

// exec runs statement i if it is pending.
func (l *lazy) exec(i int) {
	st := l.stmts[i]
	if st.state != stPending {
		return
	}
	st.state = stRunning
	old := l.cur
	l.cur = i
	defer func() { l.cur = old }()
	l.run(i)
	st.state = stDone
}

// runAll runs every statement in order; with rerun, statements already
// run on demand run again (as KCL's main pass does).
func (l *lazy) runAll() {
	for i := range l.stmts {
		if l.rerun && l.stmts[i].state == stDone {
			l.stmts[i].state = stPending
		}
		l.exec(i)
	}
}

// read returns the value of name, running setters as needed.
func (l *lazy) read(name string) value.Value {
	set := l.setters[name]
	start := len(set) - 1
	for k := start; k >= 0; k-- {
		if l.stmts[set[k]].state == stRunning {
			start = k - 1
			break
		}
	}
	for k := start; k >= 0; k-- {
		i := set[k]
		st := l.stmts[i]
		if st.state == stPending {
			l.exec(i)
		}
		if st.state == stRunning {
			continue
		}
		if l.maxIdx[name] >= i+1 {
			v, _ := l.vals.Get(name)
			return v
		}
	}
	v, ok := l.vals.Get(name)
	if !ok {
		return value.Undefined
	}
	return v
}

// store sets name from the running statement unless a later setter already
// stored a value. It reports whether the value was stored.
func (l *lazy) store(name string, v value.Value) bool {
	idx := l.cur + 1 // 0 = outside any statement
	if idx < l.maxIdx[name] {
		return false
	}
	l.maxIdx[name] = idx
	l.vals.Set(name, v)
	return true
}

// frame kinds.
const (
	frLocal  = iota // lambda parameters and locals, loop variables
	frConfig        // a config literal being built: earlier keys are visible
	frSchema        // a schema instance body
	frPkg           // a package's top level
)

// scope is one frame of the name lookup chain.
type scope struct {
	parent *scope
	kind   int
	vars   map[string]value.Value // frLocal
	cfg    *value.Dict            // frConfig
	// cfgNames are the identifier keys written in the config so far (visible
	// to later entries).
	cfgNames map[string]bool
	// schemaCfg marks a schema expression's config: its keys are visible
	// only at its own level, not in nested configs.
	schemaCfg bool
	inst      *instance    // frSchema
	pkg       *pkg         // frPkg (and every frame: the package of the code)
	file      *syntax.File // the file of the code running in this frame
	// assign is true for frames that take assignments (lambda bodies).
	assign bool
	// comp marks comprehension and quantifier frames (their variables are
	// evaluated as config keys).
	comp bool
}

func (s *scope) child(kind int) *scope {
	return &scope{parent: s, kind: kind, pkg: s.pkg, file: s.file}
}

func (s *scope) local(vars map[string]value.Value) *scope {
	c := s.child(frLocal)
	c.vars = vars
	return c
}
