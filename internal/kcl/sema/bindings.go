package sema

import (
	"slices"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// BindingKind says where the value of a name expression comes from at run
// time.
type BindingKind uint8

// The binding kinds. The evaluator reads a Local or CompVar binding from
// the slot of its owner's frame and a Global, Package or Builtin binding
// from the package's top level directly; the other kinds (and a name
// without a binding) are looked up by name at run time.
const (
	// BindUnresolved: the resolver found no definition (an error, unless
	// the evaluation never reaches the name).
	BindUnresolved BindingKind = iota
	// BindDynamic: what the name denotes depends on run-time values: a key
	// of an enclosing config literal (written in it, or merged into it from
	// another declaration), an attribute of the schema instance whose body
	// runs (a subclass's attributes, a mixin's host, the relaxed keys of an
	// index signature), or a name that the evaluator's frames may hold
	// where the resolver's scopes do not (an assignment in a lambda to a
	// name of an outer lambda).
	BindDynamic
	// BindSchemaAttr: an attribute, parameter or body name of the schema
	// whose body encloses the use; read from the instance by name.
	BindSchemaAttr
	// BindLocal: a lambda parameter or local variable: Owner is the
	// *syntax.LambdaExpr, Index the slot in LambdaSlots(Owner).
	BindLocal
	// BindCompVar: a comprehension or quantifier variable: Owner is the
	// *syntax.CompClause or *syntax.QuantExpr declaring it, Index its
	// position among the clause's targets.
	BindCompVar
	// BindGlobal: a package-level variable, schema, rule or type alias of
	// the package of the use.
	BindGlobal
	// BindPackage: an imported package (or system module).
	BindPackage
	// BindBuiltin: a builtin function.
	BindBuiltin
)

var bindingKindNames = [...]string{"unresolved", "dynamic", "schema attribute", "local", "loop variable",
	"global", "package", "builtin"}

// String returns a lower-case description of the kind.
func (k BindingKind) String() string {
	if int(k) < len(bindingKindNames) {
		return bindingKindNames[k]
	}
	return "binding"
}

// Binding is the resolution of one name expression (an identifier use),
// recorded by the resolver for the evaluator.
type Binding struct {
	Kind BindingKind
	// Index is the slot of a Local or CompVar binding, -1 otherwise.
	Index int32
	// Owner is the construct whose run-time frame holds the slot (Local,
	// CompVar), nil otherwise.
	Owner syntax.Node
	// Scope is the scope defining the name (nil when unresolved or
	// dynamic).
	Scope *Scope
	// Sym is the symbol the name resolves to statically (nil when
	// unresolved).
	Sym *Symbol
	// Instance reports a Global, Package or Builtin binding used in a
	// schema body (or check block) whose schema does not declare the name:
	// the instance running the body is asked first, by name, since a
	// subclass's attribute, a mixin's host attribute or a relaxed key of
	// an index signature may supply it.
	Instance bool
}

// Binding returns the binding recorded for the name expression id of the
// package's files.
func (p *Package) Binding(id *syntax.Ident) (Binding, bool) {
	b, ok := p.bindings[id]
	return b, ok
}

// Bindings returns the bindings of every name expression of the package's
// files. The map is shared: do not modify it.
func (p *Package) Bindings() map[*syntax.Ident]Binding { return p.bindings }

// EvalPackages returns the packages of the program, by path, whose files
// all parsed without errors: an evaluation may run on their syntax trees
// and read their bindings.
func (p *Program) EvalPackages() map[string]*Package {
	out := make(map[string]*Package, len(p.pkgs))
	for path, pkg := range p.pkgs {
		if len(pkg.ParseDiags) == 0 && !pkg.sysModule {
			out[path] = pkg
		}
	}
	return out
}

// LambdaSlots returns the slot layout of a lambda's frame: its parameter
// names, then the names its body assigns (identifier targets of
// assignments, augmented assignments and unifications, also under if
// statements, not in nested lambdas), each name once, in order of first
// appearance. The evaluator lays out a call's frame by it.
func LambdaSlots(lam *syntax.LambdaExpr) []string {
	var out []string
	add := func(id *syntax.Ident) {
		if id != nil && !slices.Contains(out, id.Name) {
			out = append(out, id.Name)
		}
	}
	for _, p := range lam.Params {
		if p != nil {
			add(p.Name)
		}
	}
	var walk func(stmts []syntax.Stmt)
	walk = func(stmts []syntax.Stmt) {
		for _, st := range stmts {
			switch s := st.(type) {
			case *syntax.AssignStmt:
				for _, t := range s.Targets {
					add(targetIdent(t))
				}
			case *syntax.AugAssignStmt:
				add(targetIdent(s.Target))
			case *syntax.UnificationStmt:
				add(targetIdent(s.Target))
			case *syntax.IfStmt:
				walk(s.Body)
				walk(s.Else)
			}
		}
	}
	walk(lam.Body)
	return out
}

// targetIdent returns the identifier an assignment target names (through
// parentheses), nil for other targets.
func targetIdent(t syntax.Expr) *syntax.Ident {
	for {
		switch x := t.(type) {
		case *syntax.Ident:
			return x
		case *syntax.ParenExpr:
			t = x.X
		default:
			return nil
		}
	}
}

// bind records the binding of the name expression id, resolved to sym
// (nil when not found) from scope sc.
func (st *pkgState) bind(id *syntax.Ident, sym *Symbol, sc *Scope) {
	if id == nil {
		return
	}
	b := st.bindingOf(id.Name, sym, sc)
	if st.pkg.bindings == nil {
		st.pkg.bindings = map[*syntax.Ident]Binding{}
	}
	if old, seen := st.pkg.bindings[id]; seen && old != b {
		// Resolved twice in different contexts: trust neither.
		b = Binding{Kind: BindDynamic, Index: -1, Sym: sym}
	}
	st.pkg.bindings[id] = b
}

// bindingOf computes the binding of name, resolved to sym from scope from.
// It walks the scopes the evaluator's frames mirror, from the use outwards,
// and gives up (BindDynamic) as soon as a frame on the way may hold the
// name at run time: a config literal with such a key, a schema body, a
// lambda or comprehension that declares the name without being its
// definition.
func (st *pkgState) bindingOf(name string, sym *Symbol, from *Scope) Binding {
	dynamic := Binding{Kind: BindDynamic, Index: -1, Sym: sym}
	instance := false
	for c := from; c != nil; c = c.Parent {
		own := sym != nil && c.Names[name] == sym
		if instance && c.Kind != ScopeFile && c.Kind != ScopePackage && c.Kind != ScopeBuiltin {
			// Only the top level is expected above a schema body.
			return dynamic
		}
		switch c.Kind {
		case ScopeConfig:
			if own || st.configHasKey(c, name) {
				return dynamic
			}
		case ScopeCheck:
			// The check block runs in a frame of the instance, as the
			// body does: the schema scope above decides.
			if own {
				return Binding{Kind: BindSchemaAttr, Index: -1, Scope: c, Sym: sym}
			}
			continue
		case ScopeSchema:
			if keyNamed(c.Schema, name, 0) {
				// The key name of an index signature is bound, in the
				// frame of each relaxed key's check, below the instance.
				return dynamic
			}
			if own || (c.Schema != nil && c.Schema.Attr(name) != nil) {
				return Binding{Kind: BindSchemaAttr, Index: -1, Scope: c, Sym: sym}
			}
			// A subclass's attribute, a mixin's host or a relaxed key
			// may supply the name when the body runs: the binding asks
			// the instance first.
			instance = true
		case ScopeLambda:
			lam, ok := c.Node.(*syntax.LambdaExpr)
			if !ok {
				return dynamic
			}
			if c.slots == nil {
				c.slots = LambdaSlots(lam)
			}
			i := slices.Index(c.slots, name)
			switch {
			case own && i >= 0:
				return Binding{Kind: BindLocal, Index: int32(i), Owner: lam, Scope: c, Sym: sym}
			case own || i >= 0:
				return dynamic
			}
		case ScopeComp:
			owner, i, n := compSlot(c, name)
			switch {
			case own && n == 1:
				return Binding{Kind: BindCompVar, Index: int32(i), Owner: owner, Scope: c, Sym: sym}
			case own || n > 0:
				return dynamic
			}
		case ScopeFile, ScopePackage:
			if own {
				if sym.Kind == SymPackage {
					return Binding{Kind: BindPackage, Index: -1, Scope: c, Sym: sym, Instance: instance}
				}
				return Binding{Kind: BindGlobal, Index: -1, Scope: c, Sym: sym, Instance: instance}
			}
		case ScopeBuiltin:
			if own {
				return Binding{Kind: BindBuiltin, Index: -1, Scope: c, Sym: sym, Instance: instance}
			}
		}
	}
	if sym == nil {
		return Binding{Kind: BindUnresolved, Index: -1}
	}
	return dynamic
}

// compSlot finds name among the loop variables of a comprehension or
// quantifier scope: the construct declaring it, its index there, and how
// many times the scope declares it.
func compSlot(c *Scope, name string) (owner syntax.Node, index, count int) {
	if q, ok := c.Node.(*syntax.QuantExpr); ok {
		for i, v := range q.Vars {
			if v != nil && v.Name == name {
				owner, index = q, i
				count++
			}
		}
		return owner, index, count
	}
	for _, cl := range c.clauses {
		if cl == nil {
			continue
		}
		for i, v := range cl.Targets {
			if v != nil && v.Name == name {
				owner, index = cl, i
				count++
			}
		}
	}
	return owner, index, count
}

// configHasKey reports whether a config scope's literal may make name
// visible as a key: an identifier, dotted-name root, indexed name or string
// key of its entries, also under if entries. The configs of top-level
// declarations hold any name: the evaluator merges repeated `x: S {…}`
// declarations into one literal.
func (st *pkgState) configHasKey(c *Scope, name string) bool {
	if c.keys == nil {
		c.keys = map[string]bool{}
		switch n := c.Node.(type) {
		case *syntax.ConfigExpr:
			c.open = st.mergeable()[n]
			addKeys(c.keys, n.Entries)
		case *syntax.ConfigIfEntry:
			for it := n; it != nil; it = it.Else {
				addKeys(c.keys, it.Entries)
			}
		default:
			c.open = true
		}
	}
	return c.open || c.keys[name]
}

func addKeys(keys map[string]bool, entries []*syntax.ConfigEntry) {
	for _, en := range entries {
		if en == nil {
			continue
		}
		if ci, ok := en.Value.(*syntax.ConfigIfEntry); ok && en.Key == nil {
			for it := ci; it != nil; it = it.Else {
				addKeys(keys, it.Entries)
			}
			continue
		}
		if k := keyName(syntax.Unparen(en.Key)); k != "" {
			keys[k] = true
		}
	}
}

// mergeable returns the configs of the package's top-level `x: S {…}` and
// `x = S {…}` declarations, which the evaluator may merge.
func (st *pkgState) mergeable() map[*syntax.ConfigExpr]bool {
	if st.merged != nil {
		return st.merged
	}
	st.merged = map[*syntax.ConfigExpr]bool{}
	for _, f := range st.pkg.Files {
		for _, s := range f.Stmts {
			var se *syntax.SchemaExpr
			switch s := s.(type) {
			case *syntax.UnificationStmt:
				se = s.Value
			case *syntax.AssignStmt:
				se, _ = s.Value.(*syntax.SchemaExpr)
			}
			if se != nil && se.Config != nil {
				st.merged[se.Config] = true
			}
		}
	}
	return st.merged
}

// keyNamed reports whether si, an ancestor or a mixin declares an index
// signature whose key is named name.
func keyNamed(si *SchemaInfo, name string, depth int) bool {
	if si == nil || depth > 32 {
		return false
	}
	if si.Index != nil && si.Index.KeyName == name {
		return true
	}
	if si.Protocol != nil && si.Protocol.Index != nil && si.Protocol.Index.KeyName == name {
		return true
	}
	for _, m := range si.Mixins {
		if keyNamed(m, name, depth+1) {
			return true
		}
	}
	return keyNamed(si.Parent, name, depth+1)
}
