package eval

import (
	"slices"

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
//
// A frLocal frame holds its variables in slots: names is the frame's
// layout (shared by every frame of the same construct, never modified in
// place) and vals the values, nil for a name not set yet (a lambda local
// before its first assignment). owner is the construct the frame belongs
// to (the *syntax.LambdaExpr of a call, the *syntax.CompClause or
// *syntax.QuantExpr of a loop iteration, the schema or rule statement of
// schema parameters): a resolver binding (sema.Binding) names the owner
// and the slot, and the evaluator reads the slot without comparing names.
type scope struct {
	parent *scope
	kind   int
	owner  syntax.Node   // frLocal
	names  []string      // frLocal: slot names
	vals   []value.Value // frLocal: slot values
	cfg    *value.Dict   // frConfig
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

// local returns a frLocal child frame of owner with the slot layout names
// and fresh (unset) values.
func (s *scope) local(owner syntax.Node, names []string) *scope {
	c := s.child(frLocal)
	c.owner = owner
	c.names = names
	c.vals = make([]value.Value, len(names))
	return c
}

// slot returns the index of name in a frLocal frame's layout, -1 when the
// frame has no such slot.
func (s *scope) slot(name string) int {
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}

// get returns the value of name in a frLocal frame (nil when unset).
func (s *scope) get(name string) value.Value {
	if i := s.slot(name); i >= 0 {
		return s.vals[i]
	}
	return nil
}

// set stores name in a frLocal frame; a name outside the layout gets a
// slot of its own (the layout is copied, not changed in place).
func (s *scope) set(name string, v value.Value) {
	if i := s.slot(name); i >= 0 {
		s.vals[i] = v
		return
	}
	s.names = append(s.names[:len(s.names):len(s.names)], name)
	s.vals = append(s.vals, v)
}

// uniqueNames returns the names of ids in order without repetitions.
func uniqueNames(ids []*syntax.Ident) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == nil || slices.Contains(out, id.Name) {
			continue
		}
		out = append(out, id.Name)
	}
	return out
}
