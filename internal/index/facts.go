package index

import (
	"sort"
	"unicode/utf8"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// Pos is a position in a file: byte offset, 1-based line, and the 0-based
// column in UTF-16 code units (the LSP's unit), so answers need no text.
type Pos struct {
	Off, Line, U16 int32
}

// Span is the source range of a name.
type Span struct {
	Start, End Pos
}

// DeclKind classifies a declaration.
type DeclKind uint8

// The declaration kinds.
const (
	DeclSchema DeclKind = iota
	DeclMixin
	DeclProtocol
	DeclRule
	DeclVar   // a top-level name
	DeclAlias // `type X = …`
	DeclAttr  // a schema attribute
)

// IsSchemaLike reports a schema, mixin, protocol or rule.
func (k DeclKind) IsSchemaLike() bool { return k <= DeclRule }

// Ref names a symbol as written: Qual is the import alias ("" for a bare
// name), Name the name in that package.
type Ref struct {
	Qual, Name string
}

// TypeRef is the schema type of an attribute or a typed name, as written:
// the schema Ref, and Dict when it is the value type of a dict (the config
// below it has one level of free keys first).
type TypeRef struct {
	Ref  Ref
	Dict bool
}

// Decl is a declaration of the file.
type Decl struct {
	Kind DeclKind
	Name string
	// Schema is, for DeclAttr, the index in Facts.Decls of the schema
	// declaring it; -1 otherwise.
	Schema int32
	Span   Span
	// Type is the schema type of an attribute or top-level name (zero when
	// not a schema).
	Type TypeRef
}

// UseRole says how a name is used.
type UseRole uint8

// The use roles.
const (
	UseName        UseRole = iota // an expression `X` or `pkg.X`
	UseType                       // a type annotation
	UseInstantiate                // `X {…}`, `pkg.X(…) {…}`
	UseInherit                    // `schema C(X)`, `rule R(X)`
	UseMixin                      // `mixin [X]`
	UseKey                        // a config key: an attribute of Ref's schema, below Path
	UseSelf                       // a bare name in a schema body: an attribute of Owner or a top-level name
	UseString                     // `typeof(x) == "X"`: a schema named by a string
	// UseMember is `v.p1.….Name` with v a bare name (an attribute of
	// Owner, or a top-level name: Ref.Name): an attribute reached through
	// the declared types of v and Path; unresolved, a dynamic use.
	UseMember
	// UseMemberOfType is `v.p1.….Name` with v a local whose type is
	// written (a parameter): Ref is that schema.
	UseMemberOfType
)

var roleNames = [...]string{"name", "type", "instantiation", "inheritance", "mixin", "config key", "name", "string", "member", "member"}

// String describes the role.
func (r UseRole) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "use"
}

// Use is one use of a name.
type Use struct {
	Role UseRole
	// Ref is the symbol used; for UseKey, the schema of the config.
	Ref Ref
	// Name is the attribute for UseKey and UseSelf, else Ref.Name.
	Name string
	// Path are the keys between the schema and this key (UseKey).
	Path []string
	// Owner is the index in Facts.Decls of the schema whose parent,
	// mixin, protocol (UseType of `for P`) or body this is (UseInherit,
	// UseMixin, UseType, UseSelf, UseMember); -1 else.
	Owner int32
	Span  Span
}

// Import is an import statement.
type Import struct {
	Name string // the bound name
	Path string // dotted, without leading dots
	Dots int32
}

// Dynamic is `x.name` on a value whose type the index does not know: a
// possible use of any attribute called Name.
type Dynamic struct {
	Name string
	Span Span
}

// Facts is what the index knows of one file: a function of its content
// only (so it is cached by content hash).
type Facts struct {
	Imports []Import
	Decls   []Decl
	Uses    []Use
	Dynamic []Dynamic
	// Broken reports syntax errors: uses in the file may be missing.
	Broken bool
	// Words are, for a broken file only, the distinct identifier-like
	// words of its text: a name that is not among them is used nowhere in
	// the file, whatever the parser made of it.
	Words []string
	// Size is the length of the content, for validating a cached entry.
	Size int32
}

// Extract parses src and gathers its facts.
func Extract(filename string, src []byte) *Facts {
	f, errs := syntax.ParseFile(filename, src)
	x := &extractor{src: src, facts: &Facts{Broken: len(errs) > 0, Size: int32(len(src))}, imports: map[string]bool{}}
	for _, st := range f.Stmts {
		if im, ok := st.(*syntax.ImportStmt); ok {
			x.facts.Imports = append(x.facts.Imports, Import{Name: im.Name, Path: im.Path, Dots: int32(im.Dots)})
			x.imports[im.Name] = true
		}
	}
	x.topDecls = map[string]bool{}
	x.stmts(f.Stmts, &scope{kind: scopeTop, owner: -1})
	if x.facts.Broken {
		x.facts.Words = words(src)
	}
	return x.facts
}

// words returns the distinct identifier-like words of src, sorted.
func words(src []byte) []string {
	seen := map[string]bool{}
	for i := 0; i < len(src); {
		if !isWordByte(src[i]) {
			i++
			continue
		}
		j := i
		for j < len(src) && isWordByte(src[j]) {
			j++
		}
		seen[string(src[i:j])] = true
		i = j
	}
	out := make([]string, 0, len(seen))
	for w := range seen {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

type extractor struct {
	src      []byte
	facts    *Facts
	imports  map[string]bool
	topDecls map[string]bool
}

type scopeKind uint8

const (
	scopeTop    scopeKind = iota
	scopeSchema           // a schema body: bare names may be attributes
	scopeLocal            // a lambda, comprehension, rule: bare names are local or global
)

// scope is a set of local names; owner is the schema of a schema body.
type scope struct {
	parent *scope
	kind   scopeKind
	owner  int32
	names  map[string]bool
	attrs  map[string]bool // scopeSchema: the attributes declared so far
	// types are the schema types written for locals (parameters).
	types map[string]TypeRef
}

func (s *scope) local(name string) bool {
	for ; s != nil; s = s.parent {
		if s.names[name] {
			return true
		}
	}
	return false
}

// localType returns the written schema type of a local (zero when none).
func (s *scope) localType(name string) TypeRef {
	for ; s != nil; s = s.parent {
		if s.names[name] {
			return s.types[name]
		}
	}
	return TypeRef{}
}

// schemaOwner returns the innermost schema body's owner, or -1.
func (s *scope) schemaOwner() int32 {
	for ; s != nil; s = s.parent {
		if s.kind == scopeSchema {
			return s.owner
		}
	}
	return -1
}

func (s *scope) child(kind scopeKind, names ...string) *scope {
	c := &scope{parent: s, kind: kind, owner: s.owner, names: map[string]bool{}}
	for _, n := range names {
		c.names[n] = true
	}
	return c
}

func (x *extractor) pos(p syntax.Pos) Pos {
	line := p.Offset - (p.Col - 1)
	if line < 0 || p.Offset > len(x.src) || line > p.Offset {
		return Pos{Off: int32(p.Offset), Line: int32(p.Line), U16: int32(p.Col - 1)}
	}
	n := 0
	for _, r := range string(x.src[line:p.Offset]) {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return Pos{Off: int32(p.Offset), Line: int32(p.Line), U16: int32(n)}
}

func (x *extractor) span(n syntax.Node) Span {
	return Span{Start: x.pos(n.Pos()), End: x.pos(n.End())}
}

func (x *extractor) decl(kind DeclKind, id *syntax.Ident, schema int32, t TypeRef) int32 {
	if id.Name == "" {
		// broken input: keep the index (an owner) valid with a name
		// nothing can use
		id = &syntax.Ident{Span: id.Span, Name: "?"}
	}
	x.facts.Decls = append(x.facts.Decls, Decl{Kind: kind, Name: id.Name, Schema: schema, Span: x.span(id), Type: t})
	return int32(len(x.facts.Decls) - 1)
}

func (x *extractor) use(u Use) {
	if u.Name == "" {
		u.Name = u.Ref.Name
	}
	if u.Name == "" {
		return
	}
	x.facts.Uses = append(x.facts.Uses, u)
}

// ref returns the Ref of a name expression `X` or `alias.X` (ok false for
// anything else, or a local X).
func (x *extractor) ref(e syntax.Expr, sc *scope) (Ref, *syntax.Ident, bool) {
	switch e := e.(type) {
	case *syntax.Ident:
		if sc.local(e.Name) {
			return Ref{}, nil, false
		}
		return Ref{Name: e.Name}, e, true
	case *syntax.SelectorExpr:
		if id, ok := e.X.(*syntax.Ident); ok && e.Name != nil && !e.Optional && x.imports[id.Name] && !sc.local(id.Name) {
			return Ref{Qual: id.Name, Name: e.Name.Name}, e.Name, true
		}
	}
	return Ref{}, nil, false
}

// typeRef returns the schema a type annotation names, seen through lists
// and optional dict values.
func (x *extractor) typeRef(t *syntax.TypeExpr, sc *scope) TypeRef {
	dict := false
	for t != nil {
		switch t.Kind {
		case syntax.NamedType:
			if r, _, ok := x.ref(t.NameExpr, sc); ok {
				return TypeRef{Ref: r, Dict: dict}
			}
			return TypeRef{}
		case syntax.ListType:
			t = t.Elem
		case syntax.DictType:
			if dict {
				return TypeRef{}
			}
			dict = true
			t = t.Value
		default:
			return TypeRef{}
		}
	}
	return TypeRef{}
}

func (x *extractor) typeUses(t *syntax.TypeExpr, sc *scope) {
	if t == nil {
		return
	}
	switch t.Kind {
	case syntax.NamedType:
		if r, id, ok := x.ref(t.NameExpr, sc); ok {
			x.use(Use{Role: UseType, Ref: r, Owner: -1, Span: x.span(id)})
		}
	case syntax.ListType:
		x.typeUses(t.Elem, sc)
	case syntax.DictType:
		x.typeUses(t.Key, sc)
		x.typeUses(t.Value, sc)
	case syntax.UnionType:
		for _, u := range t.Union {
			x.typeUses(u, sc)
		}
	case syntax.FunctionType:
		for _, p := range t.Params {
			x.typeUses(p, sc)
		}
		x.typeUses(t.Ret, sc)
	}
}

// assigned returns the names a block of statements assigns (for the locals
// of a lambda body).
func assigned(stmts []syntax.Stmt) []string {
	var out []string
	for _, st := range stmts {
		switch st := st.(type) {
		case *syntax.AssignStmt:
			for _, t := range st.Targets {
				if id, ok := t.(*syntax.Ident); ok {
					out = append(out, id.Name)
				}
			}
		case *syntax.UnificationStmt:
			if id, ok := st.Target.(*syntax.Ident); ok {
				out = append(out, id.Name)
			}
		case *syntax.IfStmt:
			out = append(out, assigned(st.Body)...)
			out = append(out, assigned(st.Else)...)
		}
	}
	return out
}

func (x *extractor) stmts(list []syntax.Stmt, sc *scope) {
	for _, st := range list {
		x.stmt(st, sc)
	}
}

// target handles an assignment target: a declaration at the top level or
// in a schema body, else a use.
func (x *extractor) target(e syntax.Expr, sc *scope, t TypeRef) {
	id, ok := e.(*syntax.Ident)
	if !ok {
		x.expr(e, sc, nil)
		return
	}
	switch sc.kind {
	case scopeTop:
		if !x.topDecls[id.Name] {
			x.topDecls[id.Name] = true
			x.decl(DeclVar, id, -1, t)
			return
		}
		x.use(Use{Role: UseName, Ref: Ref{Name: id.Name}, Owner: -1, Span: x.span(id)})
	case scopeSchema:
		if !sc.attrs[id.Name] {
			sc.attrs[id.Name] = true
			x.decl(DeclAttr, id, sc.owner, t)
			return
		}
		x.use(Use{Role: UseSelf, Name: id.Name, Owner: sc.owner, Span: x.span(id)})
	}
}

func (x *extractor) stmt(st syntax.Stmt, sc *scope) {
	switch st := st.(type) {
	case *syntax.ExprStmt:
		x.expr(st.X, sc, nil)
	case *syntax.AssignStmt:
		t := x.typeRef(st.Type, sc)
		x.typeUses(st.Type, sc)
		for _, tg := range st.Targets {
			x.target(tg, sc, t)
		}
		x.value(st.Value, sc, t)
	case *syntax.AugAssignStmt:
		x.target(st.Target, sc, TypeRef{})
		x.expr(st.Value, sc, nil)
	case *syntax.UnificationStmt:
		var t TypeRef
		if st.Value != nil {
			if r, _, ok := x.ref(st.Value.Name, sc); ok {
				t.Ref = r
			}
		}
		x.target(st.Target, sc, t)
		if st.Value != nil {
			x.expr(st.Value, sc, nil)
		}
	case *syntax.IfStmt:
		x.expr(st.Cond, sc, nil)
		x.stmts(st.Body, sc)
		x.stmts(st.Else, sc)
	case *syntax.AssertStmt:
		x.expr(st.Test, sc, nil)
		x.expr(st.IfCond, sc, nil)
		x.expr(st.Msg, sc, nil)
	case *syntax.TypeAliasStmt:
		if st.Name != nil && sc.kind == scopeTop {
			x.decl(DeclAlias, st.Name, -1, x.typeRef(st.Type, sc))
		}
		x.typeUses(st.Type, sc)
	case *syntax.SchemaStmt:
		x.schema(st, sc)
	case *syntax.RuleStmt:
		if st.Name == nil {
			return
		}
		owner := x.decl(DeclRule, st.Name, -1, TypeRef{})
		x.decorators(st.Decorators, sc)
		for _, p := range st.Parents {
			if r, id, ok := x.ref(p, sc); ok {
				x.use(Use{Role: UseInherit, Ref: r, Owner: owner, Span: x.span(id)})
			}
		}
		if st.ForProtocol != nil {
			if r, id, ok := x.ref(st.ForProtocol, sc); ok {
				x.use(Use{Role: UseType, Ref: r, Owner: owner, Span: x.span(id)})
			}
		}
		inner := x.params(st.Params, sc)
		for _, c := range st.Checks {
			x.expr(c.Test, inner, nil)
			x.expr(c.IfCond, inner, nil)
			x.expr(c.Msg, inner, nil)
		}
	case *syntax.SchemaAttr:
		// only in schema bodies (schema handles them)
	}
}

func (x *extractor) decorators(ds []*syntax.Decorator, sc *scope) {
	for _, d := range ds {
		x.args(d.Args, d.Kwargs, sc)
	}
}

// args walks the arguments of a call, decorator or schema instantiation.
func (x *extractor) args(args []syntax.Expr, kwargs []*syntax.Keyword, sc *scope) {
	for _, a := range args {
		x.expr(a, sc, nil)
	}
	for _, k := range kwargs {
		x.expr(k.Value, sc, nil)
	}
}

// params opens a local scope holding params (their types and defaults are
// uses in sc).
func (x *extractor) params(ps []*syntax.Param, sc *scope) *scope {
	inner := sc.child(scopeLocal)
	for _, p := range ps {
		x.typeUses(p.Type, sc)
		x.expr(p.Default, sc, nil)
		if p.Name != nil {
			inner.names[p.Name.Name] = true
			if t := x.typeRef(p.Type, sc); t.Ref.Name != "" {
				if inner.types == nil {
					inner.types = map[string]TypeRef{}
				}
				inner.types[p.Name.Name] = t
			}
		}
	}
	return inner
}

func (x *extractor) schema(st *syntax.SchemaStmt, sc *scope) {
	if st.Name == nil {
		return
	}
	kind := DeclSchema
	switch {
	case st.IsMixin:
		kind = DeclMixin
	case st.IsProtocol:
		kind = DeclProtocol
	}
	owner := x.decl(kind, st.Name, -1, TypeRef{})
	x.decorators(st.Decorators, sc)
	if st.Parent != nil {
		if r, id, ok := x.ref(st.Parent, sc); ok {
			x.use(Use{Role: UseInherit, Ref: r, Owner: owner, Span: x.span(id)})
		}
	}
	if st.ForProtocol != nil {
		if r, id, ok := x.ref(st.ForProtocol, sc); ok {
			// `mixin M for P`: M implements P (Owner set, unlike other
			// type uses)
			x.use(Use{Role: UseType, Ref: r, Owner: owner, Span: x.span(id)})
		}
	}
	for _, m := range st.Mixins {
		if r, id, ok := x.ref(m, sc); ok {
			x.use(Use{Role: UseMixin, Ref: r, Owner: owner, Span: x.span(id)})
		}
	}
	inner := x.params(st.Params, sc)
	body := inner.child(scopeSchema)
	body.owner = owner
	body.attrs = map[string]bool{}
	// Attributes first, so a use before the declaration still resolves.
	for _, b := range st.Body {
		if a, ok := b.(*syntax.SchemaAttr); ok && a.Name != nil && !body.attrs[a.Name.Name] {
			body.attrs[a.Name.Name] = true
			x.decl(DeclAttr, a.Name, owner, x.typeRef(a.Type, sc))
		}
	}
	for _, b := range st.Body {
		if a, ok := b.(*syntax.SchemaAttr); ok {
			x.decorators(a.Decorators, body)
			x.typeUses(a.Type, sc)
			x.value(a.Value, body, x.typeRef(a.Type, sc))
			continue
		}
		x.stmt(b, body)
	}
	if is := st.IndexSignature; is != nil {
		x.typeUses(is.KeyType, sc)
		x.typeUses(is.ValueType, sc)
		x.expr(is.Value, body, nil)
	}
	for _, c := range st.Checks {
		x.expr(c.Test, body, nil)
		x.expr(c.IfCond, body, nil)
		x.expr(c.Msg, body, nil)
	}
}

// keyCtx is the schema whose attributes the keys of a config are, with the
// keys from that schema down to the config.
type keyCtx struct {
	schema Ref
	dict   bool // the first key below the schema is a free dict key
	path   []string
}

// value walks the value of a declaration of type t: a config literal's
// keys are then attributes of t's schema.
func (x *extractor) value(e syntax.Expr, sc *scope, t TypeRef) {
	if t.Ref.Name == "" {
		x.expr(e, sc, nil)
		return
	}
	x.expr(e, sc, &keyCtx{schema: t.Ref, dict: t.Dict})
}

// expr walks an expression; kc is the key context a config literal here
// belongs to (nil when unknown).
func (x *extractor) expr(e syntax.Expr, sc *scope, kc *keyCtx) {
	switch e := e.(type) {
	case nil:
	case *syntax.Ident:
		if sc.local(e.Name) {
			return
		}
		if owner := sc.schemaOwner(); owner >= 0 {
			x.use(Use{Role: UseSelf, Name: e.Name, Owner: owner, Span: x.span(e)})
			return
		}
		x.use(Use{Role: UseName, Ref: Ref{Name: e.Name}, Owner: -1, Span: x.span(e)})
	case *syntax.SelectorExpr:
		if r, id, ok := x.ref(e, sc); ok && r.Qual != "" {
			x.use(Use{Role: UseName, Ref: r, Owner: -1, Span: x.span(id)})
			return
		}
		x.expr(e.X, sc, nil)
		if e.Name != nil && e.Name.Name != "" {
			x.member(e, sc)
		}
	case *syntax.SchemaExpr:
		r, id, ok := x.ref(e.Name, sc)
		if ok {
			x.use(Use{Role: UseInstantiate, Ref: r, Owner: -1, Span: x.span(id)})
		} else {
			x.expr(e.Name, sc, nil)
		}
		x.args(e.Args, e.Kwargs, sc)
		var inner *keyCtx
		if ok {
			inner = &keyCtx{schema: r}
		}
		x.config(e.Config, sc, inner)
	case *syntax.ConfigExpr:
		x.config(e, sc, kc)
	case *syntax.ListExpr:
		for _, el := range e.Elts {
			x.expr(el, sc, kc)
		}
	case *syntax.ListIfItem:
		x.expr(e.Cond, sc, nil)
		for _, el := range e.Elts {
			x.expr(el, sc, kc)
		}
		if e.Else != nil {
			x.expr(e.Else, sc, kc)
		}
	case *syntax.ParenExpr:
		x.expr(e.X, sc, kc)
	case *syntax.IfExpr:
		x.expr(e.Cond, sc, nil)
		x.expr(e.Body, sc, kc)
		x.expr(e.Else, sc, kc)
	case *syntax.BinaryExpr:
		x.expr(e.X, sc, kc)
		x.expr(e.Y, sc, kc)
	case *syntax.UnaryExpr:
		x.expr(e.X, sc, nil)
	case *syntax.CompareExpr:
		x.typeofString(e)
		x.expr(e.Left, sc, nil)
		for _, c := range e.Comparators {
			x.expr(c, sc, nil)
		}
	case *syntax.CallExpr:
		x.expr(e.Func, sc, nil)
		x.args(e.Args, e.Kwargs, sc)
	case *syntax.IndexExpr:
		x.expr(e.X, sc, nil)
		x.expr(e.Index, sc, nil)
	case *syntax.SliceExpr:
		x.expr(e.X, sc, nil)
		x.expr(e.Lo, sc, nil)
		x.expr(e.Hi, sc, nil)
		x.expr(e.Step, sc, nil)
	case *syntax.StarredExpr:
		x.expr(e.X, sc, nil)
	case *syntax.AsExpr:
		x.expr(e.X, sc, nil)
		x.typeUses(e.Type, sc)
	case *syntax.JoinedString:
		for _, p := range e.Parts {
			x.expr(p, sc, nil)
		}
	case *syntax.FormattedValue:
		x.expr(e.X, sc, nil)
	case *syntax.ListComp:
		inner := x.clauses(e.Clauses, sc)
		x.expr(e.Elt, inner, kc)
	case *syntax.DictComp:
		inner := x.clauses(e.Clauses, sc)
		x.expr(e.Key, inner, nil)
		x.expr(e.Value, inner, nil)
	case *syntax.QuantExpr:
		x.expr(e.Target, sc, nil)
		inner := sc.child(scopeLocal)
		for _, v := range e.Vars {
			inner.names[v.Name] = true
		}
		x.expr(e.Test, inner, nil)
		x.expr(e.IfCond, inner, nil)
	case *syntax.LambdaExpr:
		inner := x.params(e.Params, sc)
		x.typeUses(e.ReturnType, sc)
		for _, n := range assigned(e.Body) {
			inner.names[n] = true
		}
		// Assignments in a lambda body are locals, not declarations.
		body := inner.child(scopeLocal)
		for _, st := range e.Body {
			x.localStmt(st, body)
		}
	case *syntax.ConfigIfEntry:
		x.expr(e.Cond, sc, nil)
		x.entries(e.Entries, sc, kc)
		if e.Else != nil {
			x.expr(e.Else, sc, kc)
		}
	}
}

// member records the attribute of a selector `v.p1.….name`: through the
// declared types when v is a name or a typed local, else as dynamic.
func (x *extractor) member(e *syntax.SelectorExpr, sc *scope) {
	var path []string
	base := e.X
	for {
		s, ok := base.(*syntax.SelectorExpr)
		if !ok || s.Name == nil {
			break
		}
		path = append(path, s.Name.Name)
		base = s.X
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	if id, ok := base.(*syntax.Ident); ok && !x.imports[id.Name] {
		u := Use{Name: e.Name.Name, Path: path, Owner: -1, Span: x.span(e.Name)}
		switch {
		case !sc.local(id.Name):
			u.Role, u.Ref, u.Owner = UseMember, Ref{Name: id.Name}, sc.schemaOwner()
			x.use(u)
			return
		case sc.localType(id.Name).Ref.Name != "" && !sc.localType(id.Name).Dict:
			u.Role, u.Ref = UseMemberOfType, sc.localType(id.Name).Ref
			x.use(u)
			return
		}
	}
	x.facts.Dynamic = append(x.facts.Dynamic, Dynamic{Name: e.Name.Name, Span: x.span(e.Name)})
}

// localStmt walks a statement of a lambda body, where assignment targets
// are locals.
func (x *extractor) localStmt(st syntax.Stmt, sc *scope) {
	switch st := st.(type) {
	case *syntax.AssignStmt:
		x.typeUses(st.Type, sc)
		for _, t := range st.Targets {
			if _, ok := t.(*syntax.Ident); !ok {
				x.expr(t, sc, nil)
			}
		}
		x.value(st.Value, sc, x.typeRef(st.Type, sc))
	case *syntax.UnificationStmt:
		if st.Value != nil {
			x.expr(st.Value, sc, nil)
		}
	case *syntax.IfStmt:
		x.expr(st.Cond, sc, nil)
		for _, b := range st.Body {
			x.localStmt(b, sc)
		}
		for _, b := range st.Else {
			x.localStmt(b, sc)
		}
	default:
		x.stmt(st, sc)
	}
}

func (x *extractor) clauses(cs []*syntax.CompClause, sc *scope) *scope {
	inner := sc.child(scopeLocal)
	for _, c := range cs {
		x.expr(c.Iter, inner, nil)
		for _, t := range c.Targets {
			inner.names[t.Name] = true
		}
		for _, i := range c.Ifs {
			x.expr(i, inner, nil)
		}
	}
	return inner
}

func (x *extractor) config(c *syntax.ConfigExpr, sc *scope, kc *keyCtx) {
	if c == nil {
		return
	}
	x.entries(c.Entries, sc, kc)
}

func (x *extractor) entries(es []*syntax.ConfigEntry, sc *scope, kc *keyCtx) {
	for _, en := range es {
		if en == nil {
			continue
		}
		if en.Key == nil {
			// `**x` or an `if` entry
			x.expr(en.Value, sc, kc)
			continue
		}
		keys := x.keyNames(en.Key, sc)
		var below *keyCtx
		if kc != nil && keys != nil {
			path := kc.path
			for i, k := range keys {
				if kc.dict && len(path) == 0 && i == 0 {
					// a free key of a dict of schemas
				} else {
					x.use(Use{Role: UseKey, Ref: kc.schema, Name: k.name, Path: append([]string(nil), path...), Owner: -1, Span: k.span})
				}
				path = append(path[:len(path):len(path)], k.name)
			}
			below = &keyCtx{schema: kc.schema, dict: kc.dict, path: path}
		}
		x.expr(en.Value, sc, below)
	}
}

type keyName struct {
	name string
	span Span
}

// keyNames returns the names of a literal config key (`a`, `a.b.c`,
// `"a"`), nil for a computed key (whose expression it walks).
func (x *extractor) keyNames(k syntax.Expr, sc *scope) []keyName {
	switch k := k.(type) {
	case *syntax.Ident:
		return []keyName{{k.Name, x.span(k)}}
	case *syntax.SelectorExpr:
		if names, ok := syntax.DottedName(k); ok {
			var out []keyName
			var walk func(e syntax.Expr)
			walk = func(e syntax.Expr) {
				switch e := e.(type) {
				case *syntax.Ident:
					out = append(out, keyName{e.Name, x.span(e)})
				case *syntax.SelectorExpr:
					walk(e.X)
					out = append(out, keyName{e.Name.Name, x.span(e.Name)})
				}
			}
			walk(k)
			if len(out) == len(names) {
				return out
			}
		}
	case *syntax.StringLit:
		if sp, ok := x.stringContent(k); ok {
			return []keyName{{k.Value, sp}}
		}
		return nil
	case *syntax.IndexExpr:
		x.expr(k.Index, sc, nil)
		return nil
	}
	x.expr(k, sc, nil)
	return nil
}

// stringContent returns the span of a plain one-line string literal's
// content (between the quotes), when it is written as its value.
func (x *extractor) stringContent(s *syntax.StringLit) (Span, bool) {
	if s.Triple || len(s.Raw) < 2 || s.Raw[0] != s.Quote || s.Raw[1:len(s.Raw)-1] != s.Value || !utf8.ValidString(s.Value) {
		return Span{}, false
	}
	sp := x.span(s)
	sp.Start.Off++
	sp.Start.U16++
	sp.End.Off--
	sp.End.U16--
	return sp, true
}

// typeofString records `typeof(x) == "Name"` (either side) as a use of
// the schemas called Name.
func (x *extractor) typeofString(e *syntax.CompareExpr) {
	if len(e.Comparators) != 1 || len(e.Ops) != 1 || (e.Ops[0] != syntax.EQ && e.Ops[0] != syntax.NE) {
		return
	}
	l, r := syntax.Unparen(e.Left), syntax.Unparen(e.Comparators[0])
	if isTypeof(r) {
		l, r = r, l
	}
	s, ok := r.(*syntax.StringLit)
	if !isTypeof(l) || !ok {
		return
	}
	if sp, ok := x.stringContent(s); ok && s.Value != "" {
		x.use(Use{Role: UseString, Ref: Ref{Name: s.Value}, Owner: -1, Span: sp})
	}
}

func isTypeof(e syntax.Expr) bool {
	c, ok := e.(*syntax.CallExpr)
	if !ok {
		return false
	}
	id, ok := c.Func.(*syntax.Ident)
	return ok && id.Name == "typeof" && len(c.Args) >= 1
}
