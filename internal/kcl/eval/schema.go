package eval

import (
	"fmt"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// schemaDef is a schema, mixin, protocol or rule definition.
type schemaDef struct {
	name      string
	pkg       *pkg
	file      *syntax.File
	stmt      *syntax.SchemaStmt
	rule      *syntax.RuleStmt
	resolved  bool
	resolving bool
	inCycle   bool
	parent    *schemaDef
	parents   []*schemaDef // rules
	mixins    []*schemaDef
	isMixin   bool
	isProto   bool
	isRule    bool
	// attrs are the attributes declared by this definition, in order.
	attrs []*attrInfo
	// names are all attribute names this definition sets (declared and
	// assigned), in order.
	names []string
	val   *value.Func
}

type attrInfo struct {
	name     string
	optional bool
	typ      *syntax.TypeExpr
	def      *schemaDef
	decl     *syntax.SchemaAttr
}

func schemaValue(sd *schemaDef) *value.Func { return sd.val }

func (e *evaluator) newSchemaDef(p *pkg, f *syntax.File, st *syntax.SchemaStmt, rule *syntax.RuleStmt) *schemaDef {
	sd := &schemaDef{pkg: p, file: f, stmt: st, rule: rule}
	if st != nil {
		sd.name = st.Name.Name
		sd.isMixin = st.IsMixin
		sd.isProto = st.IsProtocol
		seen := map[string]bool{}
		add := func(n string) {
			if !seen[n] {
				seen[n] = true
				sd.names = append(sd.names, n)
			}
		}
		for _, b := range st.Body {
			if a, ok := b.(*syntax.SchemaAttr); ok {
				sd.attrs = append(sd.attrs, &attrInfo{name: a.Name.Name, optional: a.Optional, typ: a.Type, def: sd, decl: a})
				add(a.Name.Name)
				continue
			}
			for _, n := range schemaTargets(b) {
				add(n)
			}
		}
	} else {
		sd.name = rule.Name.Name
		sd.isRule = true
	}
	// The order of parameters (a default followed by none) is a static
	// error: the resolver reports it (sema), before or instead of the run.
	sd.val = &value.Func{Name: sd.name, Def: sd}
	sd.val.Call = func(args []value.Value, kwargs []value.Entry) (res value.Value, err error) {
		defer e.catchInto(&err)
		return e.instantiate(sd, args, kwargs, value.NewDict(), nil, nil, nil, true), nil
	}
	return sd
}

// schemaTargets lists the attribute names a schema-body statement assigns
// (top-level identifier targets only).
func schemaTargets(st syntax.Stmt) []string {
	var names []string
	var walk func(st syntax.Stmt)
	walk = func(st syntax.Stmt) {
		switch s := st.(type) {
		case *syntax.AssignStmt:
			for _, t := range s.Targets {
				if id, ok := t.(*syntax.Ident); ok {
					names = append(names, id.Name)
				}
			}
		case *syntax.AugAssignStmt:
			if id, ok := s.Target.(*syntax.Ident); ok {
				names = append(names, id.Name)
			}
		case *syntax.UnificationStmt:
			if id, ok := s.Target.(*syntax.Ident); ok {
				names = append(names, id.Name)
			}
		case *syntax.IfStmt:
			for _, b := range s.Body {
				walk(b)
			}
			for _, b := range s.Else {
				walk(b)
			}
		}
	}
	walk(st)
	return names
}

// catchInto converts a kclError panic into an error for callers outside the
// evaluator's panic discipline (value.Func.Call).
func (e *evaluator) catchInto(err *error) {
	if r := recover(); r != nil {
		if ke, ok := r.(kclError); ok {
			*err = &kclErr{ke.d}
			return
		}
		panic(r)
	}
}

// resolveSchema resolves the parent and mixins of sd.
func (e *evaluator) resolveSchema(sd *schemaDef) {
	if sd.resolved {
		return
	}
	if sd.resolving {
		e.reportCycle(sd)
		return
	}
	sd.resolving = true
	e.resolveStack = append(e.resolveStack, sd)
	defer func() { e.resolveStack = e.resolveStack[:len(e.resolveStack)-1] }()
	sc := sd.pkg.scopeFor(sd.file)
	get := func(x syntax.Expr) *schemaDef {
		v := e.expr(sc, x)
		f, ok := v.(*value.Func)
		var p *schemaDef
		if ok {
			p, ok = f.Def.(*schemaDef)
		}
		if !ok {
			e.failCol(diag.IllegalInheritError, sd.file, x, "invalid schema inherit object type, expect schema, got '%s'", value.TypeName(v))
		}
		return p
	}
	if sd.stmt != nil {
		if sd.stmt.Parent != nil {
			p := get(sd.stmt.Parent)
			e.resolveSchema(p)
			if !p.inCycle {
				sd.parent = p
			}
		}
		for _, m := range sd.stmt.Mixins {
			md := get(m)
			e.resolveSchema(md)
			sd.mixins = append(sd.mixins, md)
		}
	} else {
		for _, px := range sd.rule.Parents {
			pd := get(px)
			e.resolveSchema(pd)
			sd.parents = append(sd.parents, pd)
		}
	}
	sd.resolving = false
	sd.resolved = true
	if sd.stmt != nil && sd.stmt.IndexSignature != nil {
		e.checkIndexSignature(sd)
	}
}

// checkIndexSignature reports attributes that conflict with the schema's
// index signature (name clash with the key alias, or a basic type other
// than the signature's value type).
func (e *evaluator) checkIndexSignature(sd *schemaDef) {
	sig := sd.stmt.IndexSignature
	if sig.KeyName != nil {
		for _, a := range sd.attrs {
			if a.name == sig.KeyName.Name {
				e.failCol(diag.IndexSignatureError, sd.file, sig, "index signature attribute name '%s' cannot have the same name as schema attributes", a.name)
			}
		}
	}
	vt := sig.ValueType
	if vt == nil || vt.Kind != syntax.BasicType || sig.AnyOther {
		return
	}
	for _, a := range sd.attrs {
		if a.typ == nil || a.typ.Kind != syntax.BasicType || a.typ.Name == vt.Name {
			continue
		}
		if a.typ.Name == "int" && vt.Name == "float" {
			continue
		}
		sigText := "[" + typeText(sig.KeyType) + "]: " + typeText(vt)
		if sig.KeyName != nil {
			sigText = "[" + sig.KeyName.Name + ": " + typeText(sig.KeyType) + "]: " + typeText(vt)
		}
		e.failCol(diag.IndexSignatureError, sd.file, a.decl, "the type '%s' of schema attribute '%s' does not meet the index signature definition %s", typeText(a.typ), a.name, sigText)
	}
}

// reportCycle records an error at every schema of the inheritance cycle
// that reaches sd again, and marks them so the cycle is cut.
func (e *evaluator) reportCycle(sd *schemaDef) {
	start := -1
	for i, d := range e.resolveStack {
		if d == sd {
			start = i
		}
	}
	if start < 0 {
		return
	}
	cycle := e.resolveStack[start:]
	names := make([]string, len(cycle))
	for i, d := range cycle {
		names[i] = d.qualName()
	}
	msg := "There is a circular reference between schemas " + strings.Join(names, ", ")
	for _, d := range cycle {
		d.inCycle = true
		var at syntax.Node = d.stmt
		if d.stmt != nil && d.stmt.Name != nil {
			at = d.stmt.Name
		}
		e.pending = append(e.pending, e.diagAt(diag.CompileError, d.file, at, true, "%s", msg))
	}
}

// qualName is the schema name qualified with its package path outside the
// main package.
func (sd *schemaDef) qualName() string {
	if sd.pkg == nil || sd.pkg.isMain {
		return sd.name
	}
	return sd.pkg.path + "." + sd.name
}

// chain returns sd's ancestors, root first, ending with sd.
func (sd *schemaDef) chain() []*schemaDef {
	var out []*schemaDef
	for d := sd; d != nil; d = d.parent {
		out = append(out, d)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// isSubOf reports whether sd is base or derives from it.
func (sd *schemaDef) isSubOf(base *schemaDef) bool {
	for d := sd; d != nil; d = d.parent {
		if d == base || (d.stmt != nil && d.stmt == base.stmt) || (d.rule != nil && d.rule == base.rule) {
			return true
		}
	}
	return false
}

// attr returns the declaration of an attribute, searching the chain and
// mixins (latest declaration wins).
func (in *instance) attr(name string) *attrInfo {
	return in.attrMap[name]
}

// instance is a schema instance under construction.
type instance struct {
	siteFile *syntax.File
	site     syntax.Node
	def      *schemaDef
	lz       *lazy
	cfg      *value.Dict
	attrMap  map[string]*attrInfo
	// cfgApplied tracks config keys applied by an attribute statement.
	relaxed map[string]bool
}

// read returns the value of an attribute of the instance.
func (in *instance) read(name string) (value.Value, bool) {
	if in.lz.has(name) {
		return in.lz.read(name), true
	}
	if in.attrMap[name] != nil || in.relaxed[name] {
		v, _ := in.lz.vals.Get(name)
		if v == nil {
			v = value.Undefined
		}
		return v, true
	}
	return nil, false
}

// schemaExpr evaluates `S(args) {config}`.
func (e *evaluator) schemaExpr(sc *scope, n *syntax.SchemaExpr) value.Value {
	var sv value.Value
	if id, isID := n.Name.(*syntax.Ident); isID {
		if _, found := e.lookup(sc, id.Name); !found {
			// A type alias naming a schema.
			if a, ok := sc.pkg.aliases[id.Name]; ok {
				if sd := e.aliasSchema(a); sd != nil {
					sv = sd.val
				}
			}
		}
	}
	if sv == nil {
		sv = e.expr(sc, n.Name)
	}
	f, ok := sv.(*value.Func)
	var sd *schemaDef
	if ok {
		sd, ok = f.Def.(*schemaDef)
	}
	if !ok {
		// A config expression applied to a non-schema value: union.
		cfg := e.config(sc, n.Config)
		if si, isSchema := sv.(*value.Schema); isSchema {
			r, err := value.Union(e.copy(si, nil, nil), cfg, &value.UnionOptions{Schema: e.reinstantiate, Budget: e.budget})
			e.check(err, sc.file, n)
			return r
		}
		if d, isDict := sv.(*value.Dict); isDict {
			r, err := value.Union(e.copy(d, nil, nil), cfg, &value.UnionOptions{Schema: e.reinstantiate, Budget: e.budget})
			e.check(err, sc.file, n)
			return r
		}
		e.failCol(diag.CompileError, sc.file, n.Name, "name '%s' is not a schema", exprText(n.Name))
	}
	args, kwargs := e.callArgs(sc, n.Args, n.Kwargs)
	cfg := e.configExpr(sc, n.Config, true)
	_ = cfg
	return e.instantiate(sd, args, kwargs, cfg, sc.file, n, n.Config, !nestedScope(sc) && e.inSchema == 0)
}

// nestedScope reports whether code runs inside a schema body or a config
// value, where instances are not outermost (no required check of their own).
func nestedScope(sc *scope) bool {
	for s := sc; s != nil; s = s.parent {
		if s.kind == frSchema || s.kind == frConfig {
			return true
		}
	}
	return false
}

func exprText(x syntax.Expr) string {
	if names, ok := syntax.DottedName(x); ok {
		return strings.Join(names, ".")
	}
	return fmt.Sprintf("%T", x)
}

// reinstantiate is the union hook: it builds a new instance of s's schema
// from the merged config.
func (e *evaluator) reinstantiate(s *value.Schema, cfg *value.Dict) (value.Value, error) {
	sd, ok := s.Def.(*schemaDef)
	if !ok {
		return nil, fmt.Errorf("cannot re-instantiate schema %s", s.Name)
	}
	var err error
	var out value.Value
	sf, sn := e.stmtFile, e.stmtNode
	if sr, ok := s.Site.(siteRec); ok && e.inSchema > 0 {
		sf, sn = sr.file, sr.node
	}
	func() {
		defer e.catchInto(&err)
		out = e.instantiate(sd, s.Args, s.Kwargs, cfg, sf, sn, nil, e.inSchema == 0)
	}()
	return out, err
}

// instantiate builds an instance of sd from the config cfg. site/siteFile
// locate the instantiation for errors; outer enables the required check.
func (e *evaluator) instantiate(sd *schemaDef, args []value.Value, kwargs []value.Entry, cfg *value.Dict, siteFile *syntax.File, site syntax.Node, cfgNode *syntax.ConfigExpr, outer bool) *value.Schema {
	e.enter(siteFile, site)
	defer e.leave()
	e.inSchema++
	defer func() { e.inSchema-- }()
	e.resolveSchema(sd)
	if cfg == nil {
		cfg = value.NewDict()
	}
	if sd.stmt != nil {
		e.checkArgs(sd, args, kwargs, siteFile, site)
		e.checkArity(sd.stmt.Params, args, kwargs, siteFile, site)
	}
	if sd.isRule {
		return e.runRule(sd, args, kwargs, cfg, siteFile, site)
	}
	chain := sd.chain()
	var mixins []*schemaDef
	for _, d := range chain {
		mixins = append(mixins, d.mixins...)
	}
	in := &instance{def: sd, lz: newLazy(), cfg: cfg, attrMap: map[string]*attrInfo{}, relaxed: map[string]bool{}, siteFile: siteFile, site: site}
	for _, d := range append(append([]*schemaDef{}, chain...), mixins...) {
		for _, a := range d.attrs {
			in.attrMap[a.name] = a
		}
		for _, n := range d.names {
			if _, ok := in.lz.vals.Get(n); !ok {
				in.lz.vals.Set(n, value.Undefined)
			}
		}
	}
	// Deprecated schema (or parent).
	for _, d := range chain {
		if d.stmt != nil {
			e.checkDeprecated(d.stmt.Decorators, d.name, d.file, siteFile, site)
		}
	}
	// Parameters: each definition binds the arguments to its own parameters.
	for _, d := range append(append([]*schemaDef{}, chain...), mixins...) {
		ps := e.bindParams(d, args, kwargs, siteFile, site)
		dsc := d.pkg.scopeFor(d.file).local(ps)
		isc := dsc.child(frSchema)
		isc.inst = in
		for _, b := range d.stmt.Body {
			var names []string
			if a, ok := b.(*syntax.SchemaAttr); ok {
				names = []string{a.Name.Name}
			} else {
				names = schemaTargets(b)
			}
			in.lz.add(&lstmt{stmt: b, sc: isc}, names)
		}
	}
	in.lz.run = func(i int) {
		st := in.lz.stmts[i]
		e.execStmt(st.sc, st.stmt, false)
	}
	// Relaxed config keys (not attributes): index signature or error.
	idx, idxDef := indexSignature(chain, mixins)
	if idx == nil && !sd.isProto && !sd.isMixin && cfgNode != nil && siteFile != nil {
		var bad diag.List
		e.checkLiteralKeys(sd, in, siteFile, cfgNode.Entries, &bad)
		if len(bad) == 1 {
			panic(kclError{bad[0]})
		} else if len(bad) > 1 {
			panic(bad)
		}
	}
	if idx == nil && !sd.isProto && !sd.isMixin {
		var bad []string
		for _, en := range cfg.Entries() {
			if in.attrMap[en.Key] == nil && !in.lz.has(en.Key) {
				bad = append(bad, en.Key)
			}
		}
		if len(bad) > 0 {
			e.cannotAddAll(sd, bad, siteFile, site, cfgNode)
		}
	}
	for _, en := range cfg.Entries() {
		if in.attrMap[en.Key] != nil || in.lz.has(en.Key) {
			continue
		}
		if idx == nil {
			if sd.isProto || sd.isMixin {
				continue
			}
			e.cannotAdd(sd, en.Key, siteFile, site, cfgNode)
		}
		if kt := idx.KeyType; kt != nil && !(kt.Kind == syntax.BasicType && kt.Name == "str") && kt.Kind != syntax.AnyType {
			ksc := idxDef.pkg.scopeFor(idxDef.file)
			if _, ok := e.tryMatch(ksc, value.Str(en.Key), kt); !ok {
				cands := append(sd.allNames(), e.literalStrings(ksc, kt)...)
				msg := fmt.Sprintf("Cannot add member '%s' to schema '%s'%s", en.Key, sd.name, suggestion(en.Key, cands))
				if siteFile != nil {
					e.failCol(diag.CompileError, siteFile, site, "%s", msg)
				}
				panic(kclError{diag.New(diag.CompileError, diag.Pos{}, "%s", msg)})
			}
		}
		var v value.Value = value.Undefined
		isc := idxDef.pkg.scopeFor(idxDef.file)
		if idx.KeyName != nil {
			isc = isc.local(map[string]value.Value{idx.KeyName.Name: value.Str(en.Key)})
		}
		if idx.Value != nil {
			v = e.expr(isc, idx.Value)
		}
		v = e.applyEntry(v, en, siteFile, site)
		v = e.convert(idxDef.pkg.scopeFor(idxDef.file), v, idx.ValueType, siteFile, site)
		in.relaxed[en.Key] = true
		in.lz.vals.Set(en.Key, v)
	}
	in.lz.runAll()
	// Config keys for attributes that no statement applied (e.g. only
	// declared in a protocol) were handled by the attribute statements.
	inst := &value.Schema{Name: sd.name, PkgPath: sd.pkg.path, Attrs: in.lz.vals, Def: sd, Config: cfg, Args: args, Kwargs: kwargs}
	e.charge(value.SizeOf(inst), siteFile, site)
	if siteFile != nil {
		inst.Site = siteRec{siteFile, site}
	}
	e.inSchema--
	defer func() { e.inSchema++ }()
	if outer {
		e.requiredCheck(inst, siteFile, site)
	}
	// Checks: parent, own, mixins.
	for _, d := range append(append([]*schemaDef{}, chain...), mixins...) {
		if len(d.stmt.Checks) == 0 {
			continue
		}
		ps := e.bindParams(d, args, kwargs, siteFile, site)
		csc := d.pkg.scopeFor(d.file).local(ps).child(frSchema)
		csc.inst = in
		if idx != nil && idx.KeyName != nil {
			for k := range in.relaxed {
				ksc := csc.local(map[string]value.Value{idx.KeyName.Name: value.Str(k)})
				e.runChecks(ksc, d, d.stmt.Checks, siteFile, site)
			}
			if len(in.relaxed) > 0 {
				continue
			}
		}
		e.runChecks(csc, d, d.stmt.Checks, siteFile, site)
	}
	e.instances = append(e.instances, instRecord{def: sd, v: inst, pkg: e.curPkgPath(siteFile)})
	return inst
}

func (e *evaluator) curPkgPath(f *syntax.File) string {
	if f == nil {
		return "__main__"
	}
	for _, p := range e.pkgs {
		for _, pf := range p.files {
			if pf == f {
				return p.path
			}
		}
	}
	return "__main__"
}

func indexSignature(chain, mixins []*schemaDef) (*syntax.IndexSignature, *schemaDef) {
	var sig *syntax.IndexSignature
	var def *schemaDef
	for _, d := range append(append([]*schemaDef{}, chain...), mixins...) {
		if d.stmt.IndexSignature != nil {
			sig, def = d.stmt.IndexSignature, d
		}
	}
	return sig, def
}

// checkLiteralKeys reports literal keys of a schema config (including those
// inside `if` entries, whatever the condition) that are not attributes.
func (e *evaluator) checkLiteralKeys(sd *schemaDef, in *instance, f *syntax.File, entries []*syntax.ConfigEntry, bad *diag.List) {
	for _, en := range entries {
		if en.Op == syntax.IF {
			for it, _ := en.Value.(*syntax.ConfigIfEntry); it != nil; it = it.Else {
				e.checkLiteralKeys(sd, in, f, it.Entries, bad)
			}
			continue
		}
		if en.Key == nil {
			continue
		}
		var key string
		switch k := en.Key.(type) {
		case *syntax.StringLit:
			key = k.Value
		default:
			names, ok := syntax.DottedName(en.Key)
			if !ok {
				if ix, isIdx := en.Key.(*syntax.IndexExpr); isIdx {
					names, ok = syntax.DottedName(ix.X)
				}
			}
			if !ok {
				continue
			}
			key = names[0]
		}
		if in.attrMap[key] != nil || in.lz.has(key) {
			continue
		}
		*bad = append(*bad, e.diagAt(diag.CompileError, f, en.Key, true, "Cannot add member '%s' to schema '%s'%s", key, sd.name, suggestion(key, sd.allNames())))
	}
}

// cannotAddAll reports every config key that is not an attribute.
func (e *evaluator) cannotAddAll(sd *schemaDef, keys []string, f *syntax.File, site syntax.Node, cfgNode *syntax.ConfigExpr) {
	if len(keys) == 1 || f == nil {
		e.cannotAdd(sd, keys[0], f, site, cfgNode)
	}
	var l diag.List
	for _, k := range keys {
		func() {
			defer func() {
				if r := recover(); r != nil {
					if ke, ok := r.(kclError); ok {
						l = append(l, ke.d)
						return
					}
					panic(r)
				}
			}()
			e.cannotAdd(sd, k, f, site, cfgNode)
		}()
	}
	panic(l)
}

func (e *evaluator) cannotAdd(sd *schemaDef, key string, f *syntax.File, site syntax.Node, cfgNode *syntax.ConfigExpr) {
	var at syntax.Node = site
	if cfgNode != nil {
		for _, en := range cfgNode.Entries {
			if en.Key == nil {
				continue
			}
			if names, ok := syntax.DottedName(en.Key); ok && names[0] == key {
				at = en.Key
				break
			}
			if s, ok := en.Key.(*syntax.StringLit); ok && s.Value == key {
				at = en.Key
				break
			}
		}
	}
	if f == nil {
		if e.stmtFile != nil {
			e.fail(diag.EvaluationError, e.stmtFile, e.stmtNode, "Cannot add member '%s' to schema '%s'", key, sd.name)
		}
		panic(kclError{diag.New(diag.EvaluationError, diag.Pos{}, "Cannot add member '%s' to schema '%s'", key, sd.name)})
	}
	e.failCol(diag.CompileError, f, at, "Cannot add member '%s' to schema '%s'%s", key, sd.name, suggestion(key, sd.allNames()))
}

// applyEntry applies a config entry (with its operator) to v.
func (e *evaluator) applyEntry(v value.Value, en value.Entry, f *syntax.File, site syntax.Node) value.Value {
	d := value.NewDict()
	d.Set(en.Key, v)
	en.Value = e.copy(en.Value, nil, nil)
	err := value.UnionEntry(d, en, &value.UnionOptions{Schema: e.reinstantiate, Budget: e.budget}, "")
	if err != nil {
		e.check(err, f, site)
	}
	r, _ := d.Get(en.Key)
	return r
}

func (e *evaluator) bindParams(d *schemaDef, args []value.Value, kwargs []value.Entry, f *syntax.File, site syntax.Node) map[string]value.Value {
	var params []*syntax.Param
	if d.stmt != nil {
		params = d.stmt.Params
	} else {
		params = d.rule.Params
	}
	vars := map[string]value.Value{}
	if len(params) == 0 {
		return vars
	}
	if len(args) > len(params) {
		e.failCol(diag.CompileError, f, site, "\"%s\" takes %d positional argument but %d were given", d.name, len(params), len(args))
	}
	sc := d.pkg.scopeFor(d.file)
	for i, p := range params {
		var v value.Value = value.Undefined
		set := false
		if i < len(args) {
			v, set = args[i], true
		}
		for _, kw := range kwargs {
			if kw.Key == p.Name.Name {
				v, set = kw.Value, true
			}
		}
		if !set && p.Default != nil {
			v = e.expr(sc, p.Default)
		}
		if p.Type != nil {
			e.checkParamDict(sc, v, p.Type)
			v = e.convert(sc, v, p.Type, f, site)
		}
		vars[p.Name.Name] = v
	}
	return vars
}

// execSchemaAttr runs an attribute declaration in a schema body.
func (e *evaluator) execSchemaAttr(sc *scope, a *syntax.SchemaAttr) {
	in := sc.inst
	name := a.Name.Name
	ce, inCfg := in.cfg.Lookup(name)
	var v value.Value = value.Undefined
	if inCfg {
		e.checkDeprecated(a.Decorators, name, sc.file, in.siteFile, in.site)
	}
	if inCfg && ce.Op == value.OpOverride && ce.Index == nil {
		v = e.copy(ce.Value, nil, nil)
	} else {
		if a.Value != nil {
			dv := e.expr(sc, a.Value)
			if isUnifyAttr(a) {
				if prev, _ := in.read(name); value.Truthy(prev) {
					r, err := value.Union(e.copy(prev, nil, nil), dv, &value.UnionOptions{Schema: e.reinstantiate, Budget: e.budget})
					e.check(err, sc.file, a)
					dv = r
				}
			}
			if a.Op == syntax.OR_ASSIGN {
				prev, _ := in.read(name)
				r, err := value.Union(e.copy(prev, nil, nil), e.copy(dv, nil, nil), &value.UnionOptions{Schema: e.reinstantiate, Budget: e.budget})
				e.check(err, sc.file, a)
				v = r
			} else if isFresh(a.Value) {
				v = dv
			} else {
				v = e.copy(dv, nil, nil)
			}
		} else if a.Type != nil && a.Type.Kind == syntax.LiteralType {
			v = e.expr(sc, a.Type.Literal)
		} else {
			prev, _ := in.read(name)
			v = prev
		}
		if inCfg {
			v = e.applyEntry(v, ce, sc.file, a)
		}
	}
	if a.Type != nil {
		v = e.convert(sc, v, a.Type, sc.file, a)
	}
	in.lz.store(name, v)
}

// isUnifyAttr reports whether a is written `name: S {…}` (a unification
// of the attribute rather than a default).
func isUnifyAttr(a *syntax.SchemaAttr) bool {
	se, ok := a.Value.(*syntax.SchemaExpr)
	return ok && a.Type != nil && se.Pos() == a.Type.Pos()
}

// storeAttr stores an assignment to a schema attribute; the config value
// of the key still wins.
func (e *evaluator) storeAttr(sc *scope, name string, v value.Value, n syntax.Node) {
	in := sc.inst
	if ce, ok := in.cfg.Lookup(name); ok {
		v = e.applyEntry(v, ce, sc.file, n)
	}
	if a := in.attr(name); a != nil && a.typ != nil {
		asc := a.def.pkg.scopeFor(a.def.file)
		v = e.convert(asc, v, a.typ, sc.file, n)
	}
	in.lz.store(name, v)
}

// siteRec is where an instance was created.
type siteRec struct {
	file *syntax.File
	node syntax.Node
}

// requiredCheck reports the first required attribute that is None or
// Undefined, recursively into nested instances.
func (e *evaluator) requiredCheck(s *value.Schema, f *syntax.File, site syntax.Node) {
	sd, ok := s.Def.(*schemaDef)
	if !ok {
		return
	}
	if sr, ok := s.Site.(siteRec); ok {
		f, site = sr.file, sr.node
	}
	var defs []*schemaDef
	defs = append(defs, sd.chain()...)
	for _, d := range sd.chain() {
		defs = append(defs, d.mixins...)
	}
	seen := map[string]bool{}
	for _, d := range defs {
		for _, a := range d.attrs {
			if seen[a.name] {
				continue
			}
			seen[a.name] = true
		}
	}
	optional := map[string]bool{}
	for _, d := range defs {
		for _, a := range d.attrs {
			optional[a.name] = a.optional
		}
	}
	for _, d := range defs {
		if d.isProto {
			continue
		}
		for _, a := range d.attrs {
			if optional[a.name] {
				continue
			}
			v, _ := s.Attrs.Get(a.name)
			switch v.(type) {
			case nil, value.NoneType, value.UndefinedType:
				e.failCode(diag.MissingAttribute, &diag.Args{Schema: sd.name, Missing: []string{a.name}}, diag.EvaluationError, f, site, "attribute '%s' of %s is required and can't be None or Undefined", a.name, sd.name)
			}
		}
	}
	for _, en := range s.Attrs.Entries() {
		e.requiredNested(en.Value, f, site)
	}
}

// requiredNestedAt is requiredNested that reports a dict entry's nested
// instance at the entry of the config literal x it came from.
func (e *evaluator) requiredNestedAt(v value.Value, f *syntax.File, site syntax.Node, x syntax.Expr) {
	if le, isList := x.(*syntax.ListExpr); isList {
		if l, ok := v.(*value.List); ok && len(le.Elts) == len(l.Items) {
			for i, it := range l.Items {
				e.requiredNestedAt(it, f, site, le.Elts[i])
			}
			return
		}
	}
	cfg, ok := x.(*syntax.ConfigExpr)
	d, isDict := v.(*value.Dict)
	if !ok || !isDict {
		e.requiredNested(v, f, site)
		return
	}
	for _, en := range d.Entries() {
		var at syntax.Node = site
		var sub syntax.Expr
		for _, ce := range cfg.Entries {
			if ce.Key == nil {
				continue
			}
			if names, ok := syntax.DottedName(ce.Key); ok && names[0] == en.Key {
				at, sub = ce, ce.Value
			} else if sl, ok := ce.Key.(*syntax.StringLit); ok && sl.Value == en.Key {
				at, sub = ce, ce.Value
			}
		}
		e.requiredNestedAt(en.Value, f, at, sub)
	}
}

func (e *evaluator) requiredNested(v value.Value, f *syntax.File, site syntax.Node) {
	e.tick(f, site)
	switch x := v.(type) {
	case *value.Schema:
		e.requiredCheck(x, f, site)
	case *value.List:
		for _, it := range x.Items {
			e.requiredNested(it, f, site)
		}
	case *value.Dict:
		for _, en := range x.Entries() {
			e.requiredNested(en.Value, f, site)
		}
	}
}

// runChecks evaluates check expressions; a false one fails with the
// two-block layout.
func (e *evaluator) runChecks(sc *scope, d *schemaDef, checks []*syntax.CheckExpr, f *syntax.File, site syntax.Node) {
	for _, c := range checks {
		if c.IfCond != nil && !value.Truthy(e.expr(sc, c.IfCond)) {
			continue
		}
		if value.Truthy(e.expr(sc, c.Test)) {
			continue
		}
		text := "Check failed on the condition"
		if c.Msg != nil {
			msg := e.expr(sc, c.Msg)
			text += ": " + value.ToStr(msg)
		}
		dg := &diag.Diagnostic{Kind: diag.EvaluationError, Code: diag.PolicyCheck, Args: e.policyArgs(sc, d, c.Test)}
		if f != nil {
			dg.Messages = append(dg.Messages, diag.Message{Pos: nodePos(f, site, true), Text: "Instance check failed"})
		}
		var at syntax.Node = c
		if c.Test != nil {
			at = endNode{c.Test.End()}
		}
		dg.Messages = append(dg.Messages, diag.Message{Pos: nodePos(sc.file, at, false), Text: text})
		panic(kclError{dg})
	}
}

// runRule instantiates a rule: its checks (and its parents') run.
func (e *evaluator) runRule(sd *schemaDef, args []value.Value, kwargs []value.Entry, cfg *value.Dict, f *syntax.File, site syntax.Node) *value.Schema {
	in := &instance{def: sd, lz: newLazy(), cfg: cfg, attrMap: map[string]*attrInfo{}, relaxed: map[string]bool{}}
	for _, en := range cfg.Entries() {
		in.relaxed[en.Key] = true
		in.lz.vals.Set(en.Key, en.Value)
	}
	var run func(d *schemaDef)
	run = func(d *schemaDef) {
		for _, p := range d.parents {
			run(p)
		}
		ps := e.bindParams(d, args, kwargs, f, site)
		csc := d.pkg.scopeFor(d.file).local(ps).child(frSchema)
		csc.inst = in
		e.runChecks(csc, d, d.rule.Checks, f, site)
	}
	run(sd)
	inst := &value.Schema{Name: sd.name, PkgPath: sd.pkg.path, Attrs: in.lz.vals, Def: sd, Config: cfg}
	e.instances = append(e.instances, instRecord{def: sd, v: inst, pkg: e.curPkgPath(f)})
	return inst
}

// checkDeprecated reports use of a @deprecated schema or attribute.
func (e *evaluator) checkDeprecated(decos []*syntax.Decorator, name string, defFile, f *syntax.File, site syntax.Node) {
	for _, d := range decos {
		names, _ := syntax.DottedName(d.Name)
		if len(names) != 1 {
			continue
		}
		switch names[0] {
		case "deprecated":
		case "info":
			continue
		default:
			e.failCol(diag.CompileError, defFile, d.Name, "UnKnown decorator %s", names[0])
		}
		sc := &scope{kind: frLocal, vars: map[string]value.Value{}}
		var version, reason string
		strict := true
		for _, kw := range d.Kwargs {
			v := e.expr(sc, kw.Value)
			switch kw.Name.Name {
			case "version":
				version = value.ToStr(v)
			case "reason":
				reason = value.ToStr(v)
			case "strict":
				strict = value.Truthy(v)
			}
		}
		for i, a := range d.Args {
			v := e.expr(sc, a)
			switch i {
			case 0:
				version = value.ToStr(v)
			case 1:
				reason = value.ToStr(v)
			case 2:
				strict = value.Truthy(v)
			}
		}
		if !strict {
			continue
		}
		msg := name + " was deprecated "
		if version != "" {
			msg += "since version " + version + ", "
		}
		msg += reason
		if f == nil {
			panic(kclError{diag.New(diag.EvaluationError, diag.Pos{}, "%s", msg)})
		}
		e.fail(diag.EvaluationError, f, site, "%s", msg)
	}
}

// instancesFunc returns S.instances.
func (e *evaluator) instancesFunc(sd *schemaDef) *value.Func {
	return &value.Func{Name: "instances", Call: func(args []value.Value, kwargs []value.Entry) (value.Value, error) {
		full := false
		if len(args) > 0 {
			full = value.Truthy(args[0])
		}
		for _, kw := range kwargs {
			if kw.Key == "full_pkg" {
				full = value.Truthy(kw.Value)
			}
		}
		l := &value.List{}
		for _, r := range e.instances {
			if r.def.isSubOf(sd) && (full || r.pkg == "__main__") {
				l.Items = append(l.Items, r.v)
			}
		}
		return l, nil
	}}
}

// endNode is a Node positioned at the end of another node.
type endNode struct{ p syntax.Pos }

func (n endNode) Pos() syntax.Pos { return n.p }
func (n endNode) End() syntax.Pos { return n.p }

// checkArity reports a call that leaves a parameter without a default
// unset.
func (e *evaluator) checkArity(params []*syntax.Param, args []value.Value, kwargs []value.Entry, f *syntax.File, site syntax.Node) {
	required, provided := 0, 0
	missing := false
	for i, p := range params {
		if p.Default != nil {
			continue
		}
		required++
		if i < len(args) {
			provided++
			continue
		}
		found := false
		for _, kw := range kwargs {
			if kw.Key == p.Name.Name {
				found = true
			}
		}
		if found {
			provided++
		} else {
			missing = true
		}
	}
	if !missing || f == nil {
		return
	}
	plural := "s"
	if required == 1 {
		plural = ""
	}
	e.failCol(diag.CompileError, f, site, "expected %d positional argument%s, found %d", required, plural, provided)
}

// allNames lists the attribute names of sd with its parents and mixins, in
// declaration order.
func (sd *schemaDef) allNames() []string {
	var out []string
	seen := map[string]bool{}
	chain := sd.chain()
	var defs []*schemaDef
	defs = append(defs, chain...)
	for _, d := range chain {
		defs = append(defs, d.mixins...)
	}
	for _, d := range defs {
		for _, n := range d.names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// hasIndexSignature reports whether sd, a parent or a mixin declares an
// index signature.
func (sd *schemaDef) hasIndexSignature() bool {
	chain := sd.chain()
	var mixins []*schemaDef
	for _, d := range chain {
		mixins = append(mixins, d.mixins...)
	}
	sig, _ := indexSignature(chain, mixins)
	return sig != nil
}

// checkArgs reports surplus positional arguments and unknown keyword
// arguments of a schema instantiation, at the offending argument.
func (e *evaluator) checkArgs(sd *schemaDef, args []value.Value, kwargs []value.Entry, f *syntax.File, site syntax.Node) {
	if f == nil {
		return
	}
	params := sd.stmt.Params
	var argNodes []syntax.Expr
	var kwNodes []*syntax.Keyword
	switch n := site.(type) {
	case *syntax.SchemaExpr:
		argNodes, kwNodes = n.Args, n.Kwargs
	case *syntax.CallExpr:
		argNodes, kwNodes = n.Args, n.Kwargs
	}
	if len(args) > len(params) {
		var at syntax.Node = site
		if len(params) < len(argNodes) {
			at = argNodes[len(params)]
		}
		e.failCol(diag.CompileError, f, at, "\"%s\" takes %d positional argument but %d were given", sd.name, len(params), len(args))
	}
	for _, kw := range kwargs {
		known := false
		for _, p := range params {
			if p.Name.Name == kw.Key {
				known = true
			}
		}
		if known {
			continue
		}
		var at syntax.Node = site
		for _, kn := range kwNodes {
			if kn.Name.Name == kw.Key {
				at = kn
			}
		}
		names := make([]string, len(params))
		for i, p := range params {
			names[i] = p.Name.Name
		}
		e.failCol(diag.CompileError, f, at, "\"%s\" got an unexpected keyword argument '%s'%s", sd.name, kw.Key, suggestion(kw.Key, names))
	}
}

// literalStrings lists the string literals of a (literal or union) type,
// following aliases.
func (e *evaluator) literalStrings(sc *scope, t *syntax.TypeExpr) []string {
	var out []string
	switch t.Kind {
	case syntax.LiteralType:
		if s, ok := t.Literal.(*syntax.StringLit); ok {
			out = append(out, s.Value)
		}
	case syntax.UnionType:
		for _, m := range t.Union {
			out = append(out, e.literalStrings(sc, m)...)
		}
	case syntax.NamedType:
		if _, a := e.resolveNamed(sc, t); a != nil {
			out = append(out, e.literalStrings(a.pkg.scopeFor(a.file), a.t)...)
		}
	}
	return out
}

// checkParamDict reports a dict argument for a schema-typed parameter that
// lacks a required attribute (one without a default): arguments are
// checked strictly, unlike configs.
func (e *evaluator) checkParamDict(sc *scope, v value.Value, t *syntax.TypeExpr) {
	d, ok := v.(*value.Dict)
	if !ok || t.Kind != syntax.NamedType {
		return
	}
	sd, _ := e.resolveNamed(sc, t)
	if sd == nil || sd.isProto {
		return
	}
	e.resolveSchema(sd)
	for _, def := range sd.chain() {
		for _, a := range def.attrs {
			if a.optional || a.decl.Value != nil || (a.typ != nil && a.typ.Kind == syntax.LiteralType) {
				continue
			}
			if _, ok := d.Get(a.name); ok {
				continue
			}
			detail := e.schemaMismatch(sd, d)
			if detail == "" {
				detail = "\nSchema " + sd.name + "'s attribute " + a.name + " is missing"
			}
			e.fail(diag.EvaluationError, def.file, a.decl, "expect %s, got dict. For details:%s", typeText(t), detail)
		}
	}
}
