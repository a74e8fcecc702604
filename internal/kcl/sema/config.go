package sema

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// configCtx is what a config literal is checked against.
type configCtx struct {
	schema *SchemaInfo
	union  []*SchemaInfo // all candidates when none of a union's schemas fits
	nested bool          // the literal is the value of a config entry
	noDef  bool          // report type errors without the declaration site
	dict   *Type         // the dict type expected, when not a schema
	defLoc Location      // where the expected type was declared (for messages)
}

// configTarget picks what a config literal with the given entries is
// checked against, from the expected type.
func configTarget(expected *Type, e *syntax.ConfigExpr) configCtx {
	if expected == nil {
		return configCtx{}
	}
	switch expected.Kind {
	case KSchema:
		return configCtx{schema: expected.Schema}
	case KDict:
		return configCtx{dict: expected}
	case KUnion:
		keys := configKeys(e)
		var schemas []*SchemaInfo
		var dicts []*Type
		for _, m := range expected.Members {
			switch m.Kind {
			case KSchema:
				schemas = append(schemas, m.Schema)
			case KDict:
				dicts = append(dicts, m)
			}
		}
		for _, s := range schemas {
			fits := true
			for _, k := range keys {
				if s.Attr(k) == nil && s.IndexSig() == nil {
					fits = false
					break
				}
			}
			if fits {
				return configCtx{schema: s}
			}
		}
		if len(dicts) > 0 {
			var ks, vs []*Type
			for _, d := range dicts {
				ks = append(ks, d.Key)
				vs = append(vs, d.Elem)
			}
			return configCtx{dict: DictOf(Union(ks...), Union(vs...))}
		}
		if len(schemas) > 1 {
			return configCtx{schema: schemas[0], union: schemas}
		}
		if len(schemas) > 0 {
			return configCtx{schema: schemas[0]}
		}
	}
	return configCtx{}
}

// configKeys returns the first names of the identifier and string keys.
func configKeys(e *syntax.ConfigExpr) []string {
	var out []string
	var walk func(entries []*syntax.ConfigEntry)
	walk = func(entries []*syntax.ConfigEntry) {
		for _, en := range entries {
			if en == nil {
				continue
			}
			if en.Key == nil {
				if ci, ok := en.Value.(*syntax.ConfigIfEntry); ok {
					for c := ci; c != nil; c = c.Else {
						walk(c.Entries)
					}
				}
				continue
			}
			if n := keyName(en.Key); n != "" {
				out = append(out, n)
			}
		}
	}
	walk(e.Entries)
	return out
}

// keyName returns the first name of a simple key (identifier, dotted name,
// string literal, or indexed identifier).
func keyName(k syntax.Expr) string {
	switch k := k.(type) {
	case *syntax.Ident:
		return k.Name
	case *syntax.StringLit:
		return k.Value
	case *syntax.SelectorExpr:
		if names, ok := syntax.DottedName(k); ok {
			return names[0]
		}
	case *syntax.IndexExpr:
		return keyName(k.X)
	}
	return ""
}

// config resolves a config literal against the expected type.
func (st *pkgState) config(e *syntax.ConfigExpr, ev env, expected *Type) *Type {
	return st.configWith(e, ev, configTarget(expected, e), expected)
}

func (st *pkgState) configWith(e *syntax.ConfigExpr, ev env, cc configCtx, expected *Type) *Type {
	f := ev.file
	st.pkg.configs[f.Filename] = append(st.pkg.configs[f.Filename], e)
	switch {
	case cc.schema != nil:
		st.pkg.expected[e] = InstanceOf(cc.schema)
	case cc.dict != nil:
		st.pkg.expected[e] = cc.dict
	}
	cs := newScope(ScopeConfig, ev.scope)
	cs.File, cs.Start, cs.End = f.Filename, e.Start, e.Stop
	cev := ev.with(cs)
	cev.schema = ev.schema
	var keys, vals []*Type
	unpacked := map[string]*Symbol{}
	for _, en := range e.Entries {
		if en != nil && en.Key == nil && en.Op == syntax.POW && en.Value != nil {
			ut := st.expr(en.Value, cev, nil)
			if ut.Kind == KDict && ut.Fields != nil {
				for n, sym := range ut.Fields {
					if _, ok := unpacked[n]; !ok {
						unpacked[n] = sym
					}
				}
				if cc.schema != nil {
					st.checkUnpack(f, en.Value, ut, cc.schema, map[*Type]bool{})
				}
			}
			continue
		}
		if en != nil && en.Key == nil {
			if ci, ok := en.Value.(*syntax.ConfigIfEntry); ok {
				ks, vs := st.configIf(ci, cev, nil, &cc)
				st.pkg.types[ci] = TDictAny
				keys = append(keys, ks...)
				vals = append(vals, vs...)
				continue
			}
		}
		k, v := st.entry(en, ev, cev, cs, cc)
		if k != nil {
			keys = append(keys, k)
			vals = append(vals, v)
		}
	}
	if cc.schema != nil {
		return InstanceOf(cc.schema)
	}
	var fields map[string]*Symbol
	for n, sym := range cs.Names {
		if sym.Kind == SymKey && sym.Attr == nil {
			if fields == nil {
				fields = map[string]*Symbol{}
			}
			fields[n] = sym
		}
	}
	for n, sym := range unpacked {
		if fields == nil {
			fields = map[string]*Symbol{}
		}
		if _, ok := fields[n]; !ok {
			fields[n] = sym
		}
	}
	if len(keys) == 0 {
		if cc.dict != nil {
			return cc.dict
		}
		if fields != nil {
			return &Type{Kind: KDict, Key: TAny, Elem: TAny, Fields: fields}
		}
		return TDictAny
	}
	d := DictOf(Union(keys...), Union(vals...))
	d.Fields = fields
	return d
}

func (st *pkgState) configIf(ci *syntax.ConfigIfEntry, ev env, expected *Type, cc *configCtx) (keys, vals []*Type) {
	f := ev.file
	ctx := configCtx{}
	if cc != nil {
		ctx = *cc
	}
	for c := ci; c != nil; c = c.Else {
		if c.Cond != nil {
			st.expr(c.Cond, ev, nil)
		}
		// entries of an if block belong to the enclosing config literal
		cs := ev.scope
		if cs.Kind != ScopeConfig {
			cs = newScope(ScopeConfig, ev.scope)
			cs.File, cs.Start, cs.End = f.Filename, c.Start, c.Stop
		}
		cev := ev.with(cs)
		cev.schema = ev.schema
		for _, en := range c.Entries {
			if k, v := st.entry(en, ev, cev, cs, ctx); k != nil {
				keys = append(keys, k)
				vals = append(vals, v)
			}
		}
	}
	return keys, vals
}

// entry resolves one config entry; it returns the key and value types for
// the literal's dict type (nil key for unpacking and if entries).
func (st *pkgState) entry(en *syntax.ConfigEntry, outer, cev env, cs *Scope, cc configCtx) (*Type, *Type) {
	if en == nil {
		return nil, nil
	}
	f := cev.file
	if en.Key == nil {
		switch v := en.Value.(type) {
		case *syntax.ConfigIfEntry:
			st.configIf(v, cev, nil, &cc)
			st.pkg.types[v] = TDictAny
		default:
			if en.Value != nil {
				st.expr(en.Value, cev, nil)
			}
		}
		return nil, nil
	}
	var names []*syntax.Ident
	var nameStr []string
	var index syntax.Expr
	keyExpr := en.Key
	if ix, ok := keyExpr.(*syntax.IndexExpr); ok {
		if id, ok := ix.X.(*syntax.Ident); ok {
			if sym := cev.scope.Lookup(id.Name); sym != nil && sym.Kind == SymLoopVar {
				// `v[...]: …` with a loop variable: a computed key
				kt := st.expr(en.Key, cev, nil)
				vt := TAny
				if en.Value != nil {
					vt = st.expr(en.Value, cev, nil)
				}
				return kt, vt
			}
		}
		index = ix.Index
		keyExpr = ix.X
	}
	switch k := keyExpr.(type) {
	case *syntax.Ident:
		if sym := cev.scope.Lookup(k.Name); sym != nil && sym.Kind == SymLoopVar && index == nil {
			// a comprehension variable as a key is evaluated
			st.occur(f, k, k.Name, sym, false, RoleName)
			kt := sym.Type
			st.pkg.types[k] = kt
			if kt != nil && !kt.IsAny() && !kt.IsStrLike() {
				st.errorf(diag.IllegalAttributeError, f, k, "A attribute must be string type, got '%s'", kt).WithCode(diag.IllegalKey, nil)
			}
			vt := TAny
			if en.Value != nil {
				var exp *Type
				if cc.dict != nil {
					exp = cc.dict.Elem
				}
				vt = st.expr(en.Value, cev, exp)
			}
			return TStr, vt
		}
		names = []*syntax.Ident{k}
		nameStr = []string{k.Name}
	case *syntax.StringLit:
		names = []*syntax.Ident{{Span: k.Span, Name: k.Value}}
		nameStr = []string{k.Value}
	case *syntax.SelectorExpr:
		if ns, ok := syntax.DottedName(k); ok {
			nameStr = ns
			names = dottedIdents(k)
		}
	}
	if index != nil {
		st.expr(index, cev, nil)
	}
	if len(names) == 0 {
		// computed key
		kt := st.expr(en.Key, cev, nil)
		vt := TAny
		if en.Value != nil {
			var exp *Type
			if cc.dict != nil {
				exp = cc.dict.Elem
			} else if cc.schema != nil {
				if ix := cc.schema.IndexSig(); ix != nil {
					exp = ix.Value
				}
			}
			if ce, ok := en.Value.(*syntax.ConfigExpr); ok && exp != nil {
				vt = st.configWithLoc(ce, cev, configTarget(exp, ce), exp, cc.defLoc)
			} else {
				vt = st.expr(en.Value, cev, exp)
			}
		}
		if !kt.IsAny() && !kt.IsStrLike() && kt.Kind != KUnion {
			st.errorf(diag.IllegalAttributeError, f, en.Key, "A attribute must be string type, got '%s'", kt).WithCode(diag.IllegalKey, nil)
		}
		return kt, vt
	}
	// walk the key path; the first name becomes visible to later entries
	var bind *Symbol
	var bindType *Type
	defer func() {
		if bind != nil {
			if bind.Kind == SymKey && bind.Attr == nil && bindType != nil {
				bind.Type = bindType.Widen()
			}
			if _, ok := cs.Names[bind.Name]; !ok {
				cs.Names[bind.Name] = bind
			}
		}
	}()
	cur := cc
	var attrType *Type
	var defLoc Location
	var keyType *Type = StrLit(nameStr[0])
	failedAt := -1
	for i, id := range names {
		n := nameStr[i]
		switch {
		case cur.schema != nil:
			a := cur.schema.Attr(n)
			if a == nil || a.Sym == nil {
				if ix := cur.schema.IndexSig(); ix != nil {
					st.occur(f, id, n, nil, false, RoleKey)
					attrType = ix.Value
					defLoc = cur.defLoc
				} else {
					var cands []string
					for _, x := range cur.schema.AllAttrs() {
						if x.Declared {
							cands = append(cands, x.Name)
						}
					}
					st.unresolved(f, id, n, RoleKey, false, "not an attribute of "+cur.schema.Name)
					if len(cur.union) > 1 {
						qs := make([]string, len(cur.union))
						for k, u := range cur.union {
							qs[k] = fmt.Sprintf("%q", u.Name)
						}
						st.errorf(diag.CompileError, f, id, "Cannot add member '%s' to 'schemas [%s]'", n, strings.Join(qs, ", ")).
							WithCode(diag.UnknownAttribute, &diag.Args{Name: n, Schema: cur.schema.Name})
					} else {
						d := st.errorf(diag.CompileError, f, id, "Cannot add member '%s' to schema '%s'%s", n, cur.schema.Name, didYouMean(n, cands))
						sugg := suggestNames(n, cands)
						d.WithCode(diag.UnknownAttribute, &diag.Args{Name: n, Schema: cur.schema.Name, Suggestions: sugg})
						addRenameFixes(d, f, id, n, sugg)
					}
					attrType = nil
					failedAt = i
				}
			} else {
				st.occur(f, id, n, a.Sym, false, RoleKey)
				attrType = a.Type
				defLoc = a.Sym.Loc
				if i == 0 {
					bind = &Symbol{Name: n, Kind: SymKey, Loc: st.loc(f, id), PkgPath: st.pkg.PkgPath, Type: a.Type, Attr: a, Doc: a.Doc}
				}
			}
		case cur.dict != nil:
			attrType = cur.dict.Elem
			defLoc = cur.defLoc
			if i == 0 {
				keyType = StrLit(n)
				if cur.nested && !Assignable(keyType, cur.dict.Key) {
					d := st.errorf(diag.TypeError, f, id, "expected %s, got %s", cur.dict, keyType)
					typeMismatch(d, f, nil, cur.dict, keyType, n)
					st.addMsg(d, cur.defLoc, fmt.Sprintf("variable is defined here, its type is %s, but got %s", cur.dict, keyType))
					failedAt = i
				}
			}
			if ks := st.keySym(f, id, n, cs, i == 0); ks != nil {
				bind = ks
			}
		default:
			attrType = nil
			if ks := st.keySym(f, id, n, cs, i == 0); ks != nil {
				bind = ks
			}
		}
		if failedAt >= 0 {
			break
		}
		if i < len(names)-1 {
			if attrType == nil {
				cur = configCtx{}
				continue
			}
			next := configTargetForPath(attrType, nameStr[i+1])
			if next.schema == nil && next.dict == nil && !attrType.IsAny() {
				// a dotted key into a non-config type: check the nested value
				vt := TAny
				if en.Value != nil {
					vt = st.expr(en.Value, cev, nil)
				}
				nested := vt
				for j := len(nameStr) - 1; j > i; j-- {
					nested = DictOf(StrLit(nameStr[j]), nested)
				}
				st.checkAssignable(f, en.Key, nested, attrType, defLoc)
				return keyType, nested
			}
			next.defLoc = defLoc
			cur = next
		}
	}
	if en.Value == nil {
		return keyType, TAny
	}
	exp := attrType
	if index != nil && attrType != nil {
		exp = listElemExpected(attrType)
	}
	var vt *Type
	if ce, ok := en.Value.(*syntax.ConfigExpr); ok && exp != nil {
		tgt := configTarget(exp, ce)
		vt = st.configWithLoc(ce, cev, tgt, exp, defLoc)
	} else {
		vt = st.expr(en.Value, cev, exp)
	}
	bindType = vt
	for j := len(nameStr) - 1; j >= 1; j-- {
		bindType = DictOf(StrLit(nameStr[j]), bindType)
	}
	if failedAt >= 0 || attrType == nil {
		return keyType, vt
	}
	check := attrType
	if index != nil {
		if en.Op == syntax.ADD_ASSIGN {
			check = attrType
		} else {
			check = listElemExpected(attrType)
		}
	}
	if check == nil {
		return keyType, vt
	}
	loc := defLoc
	if cc.noDef {
		loc = Location{}
	}
	if en.Op == syntax.ADD_ASSIGN && check.Kind != KList {
		return keyType, vt
	}
	st.checkValueAssignable(f, en.Key, en.Value, strings.Join(nameStr, "."), vt, check, loc)
	return keyType, vt
}

// configWithLoc resolves a nested config whose dict entries report type
// errors against the declaration at defLoc.
func (st *pkgState) configWithLoc(ce *syntax.ConfigExpr, ev env, tgt configCtx, exp *Type, defLoc Location) *Type {
	tgt.defLoc = defLoc
	tgt.nested = true
	t := st.configWith(ce, ev, tgt, exp)
	st.pkg.types[ce] = t
	return t
}

func configTargetForPath(t *Type, next string) configCtx {
	switch t.Kind {
	case KSchema:
		return configCtx{schema: t.Schema}
	case KDict:
		return configCtx{dict: t}
	case KUnion:
		var schemas []*SchemaInfo
		for _, m := range t.Members {
			if m.Kind == KSchema {
				if m.Schema.Attr(next) != nil {
					return configCtx{schema: m.Schema}
				}
				schemas = append(schemas, m.Schema)
			}
		}
		if len(schemas) > 1 {
			return configCtx{schema: schemas[0], union: schemas}
		}
		if len(schemas) == 1 {
			return configCtx{schema: schemas[0]}
		}
		for _, m := range t.Members {
			if m.Kind == KDict {
				return configCtx{dict: m}
			}
		}
	}
	return configCtx{}
}

// keySym records a key of a plain dict literal: the first occurrence in the
// literal defines it, later ones refer to it.
func (st *pkgState) keySym(f *syntax.File, id *syntax.Ident, n string, cs *Scope, first bool) *Symbol {
	if !first {
		st.occur(f, id, n, nil, false, RoleKey)
		return nil
	}
	if sym, ok := cs.Names[n]; ok && sym.Kind == SymKey {
		st.occur(f, id, n, sym, false, RoleKey)
		return nil
	}
	sym := &Symbol{Name: n, Kind: SymKey, Loc: st.loc(f, id), PkgPath: st.pkg.PkgPath, Type: TAny}
	st.occur(f, id, n, sym, true, RoleKey)
	return sym
}

// dottedIdents returns the identifiers of a dotted name, left to right.
func dottedIdents(e syntax.Expr) []*syntax.Ident {
	var rev []*syntax.Ident
	for {
		switch x := e.(type) {
		case *syntax.Ident:
			rev = append(rev, x)
			out := make([]*syntax.Ident, len(rev))
			for i := range rev {
				out[i] = rev[len(rev)-1-i]
			}
			return out
		case *syntax.SelectorExpr:
			rev = append(rev, x.Name)
			e = x.X
		default:
			return nil
		}
	}
}

// schemaExpr resolves `S(args) {config}`.
func (st *pkgState) schemaExpr(e *syntax.SchemaExpr, ev env) *Type {
	f := ev.file
	t := st.expr(e.Name, ev, nil)
	var si *SchemaInfo
	if t.Kind == KSchemaDef {
		si = t.Schema
	} else if t.Kind == KSchema {
		si = t.Schema
	}
	var ptypes []*Type
	if si != nil {
		for _, p := range si.Params {
			ptypes = append(ptypes, p.Type)
		}
	}
	var argTypes []*Type
	for i, a := range e.Args {
		var exp *Type
		if i < len(ptypes) {
			exp = ptypes[i]
		}
		argTypes = append(argTypes, st.expr(a, ev, exp))
	}
	for _, k := range e.Kwargs {
		var exp *Type
		if si != nil && k.Name != nil {
			for _, p := range si.Params {
				if p.Name == k.Name.Name {
					exp = p.Type
				}
			}
		}
		if k.Value != nil {
			st.expr(k.Value, ev, exp)
		}
	}
	if si != nil && (e.HasParens || len(si.Params) > 0) {
		sig := &FuncType{Params: si.Params, Name: si.Name}
		st.checkArgList(f, e.Name, e.Args, e.Kwargs, sig, si.Name, argTypes)
	}
	if e.Config == nil {
		if si != nil {
			return InstanceOf(si)
		}
		return TAny
	}
	if si == nil {
		st.configWith(e.Config, ev, configCtx{}, nil)
		st.pkg.types[e.Config] = TAny
		return TAny
	}
	ct := st.configWith(e.Config, ev, configCtx{schema: si}, InstanceOf(si))
	st.pkg.types[e.Config] = ct
	return InstanceOf(si)
}

var (
	memberSymsOnce sync.Once
	instancesSymV  *Symbol
	strMethodSymsV map[string]*Symbol
)

func initMemberSyms() {
	memberSymsOnce.Do(func() {
		b := sharedBuiltins()
		instancesSymV = &Symbol{Name: "instances", Kind: SymBuiltin, Global: true, Doc: "instances(full_pkg=False) returns the instances of the schema"}
		strMethodSymsV = map[string]*Symbol{}
		for n, t := range b.StrMethods {
			strMethodSymsV[n] = &Symbol{Name: n, Kind: SymBuiltin, Type: t, Global: true}
		}
	})
}

func (p *Program) instancesSym() *Symbol {
	initMemberSyms()
	return instancesSymV
}

func (p *Program) strMethodSym(n string) *Symbol {
	initMemberSyms()
	return strMethodSymsV[n]
}

// checkUnpack checks the keys of a dict literal unpacked with `**` into a
// config of schema s (recursively for nested schema attributes).
func (st *pkgState) checkUnpack(f *syntax.File, at syntax.Node, dt *Type, s *SchemaInfo, seen map[*Type]bool) {
	if seen[dt] {
		return
	}
	seen[dt] = true
	fields := make([]*Symbol, 0, len(dt.Fields))
	for _, sym := range dt.Fields {
		fields = append(fields, sym)
	}
	sort.Slice(fields, func(i, j int) bool {
		a, b := fields[i].Loc, fields[j].Loc
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Start.Offset < b.Start.Offset
	})
	for _, fs := range fields {
		a := s.Attr(fs.Name)
		if a == nil {
			if s.IndexSig() != nil {
				continue
			}
			var cands []string
			for _, x := range s.AllAttrs() {
				if x.Declared {
					cands = append(cands, x.Name)
				}
			}
			d := st.errorf(diag.CompileError, f, at, "Cannot add member '%s' to schema '%s'%s", fs.Name, s.Name, didYouMean(fs.Name, cands))
			d.WithCode(diag.UnknownAttribute, &diag.Args{Name: fs.Name, Schema: s.Name, Suggestions: suggestNames(fs.Name, cands)})
			st.addMsg(d, fs.Loc, "config attribute is defined here")
			continue
		}
		ft := fs.Type
		if ft == nil || ft.IsAny() || a.Type == nil {
			continue
		}
		if a.Type.Kind == KSchema && ft.Kind == KDict && ft.Fields != nil {
			st.checkUnpack(f, at, ft, a.Type.Schema, seen)
			continue
		}
		if !Assignable(ft, a.Type) {
			d := st.errorf(diag.TypeError, f, at, "expected %s, got %s", a.Type, ft)
			typeMismatch(d, f, nil, a.Type, ft, fs.Name)
			st.addMsg(d, a.Sym.Loc, fmt.Sprintf("variable is defined here, its type is %s, but got %s", a.Type, ft))
			st.addMsg(d, fs.Loc, "config attribute is defined here")
		}
	}
}
