package eval

import (
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// convert checks v against the type t (resolved in sc) and converts dicts
// to schema instances where the type asks for a schema. A mismatch is an
// EvaluationError `expect T, got U` at n.
func (e *evaluator) convert(sc *scope, v value.Value, t *syntax.TypeExpr, f *syntax.File, n syntax.Node) value.Value {
	if t == nil {
		return v
	}
	e.convDetail = ""
	r, ok := e.match(sc, v, t, false)
	if !ok {
		if e.convDetail != "" && t.Kind == syntax.NamedType {
			e.failCode(diag.TypeMismatch, typeArgs(t, v), diag.EvaluationError, f, n, "expect %s, got %s. For details:%s", typeText(t), value.TypeName(v), e.convDetail)
		}
		e.failCode(diag.TypeMismatch, typeArgs(t, v), diag.EvaluationError, f, n, "expect %s, got %s", typeText(t), value.TypeName(v))
	}
	return r
}

// convertStrict is convert for `as` casts.
func (e *evaluator) convertStrict(sc *scope, v value.Value, t *syntax.TypeExpr, n syntax.Node) value.Value {
	e.convDetail = ""
	r, ok := e.match(sc, v, t, false)
	if !ok {
		got := value.TypeName(v)
		if s, isS := v.(*value.Schema); isS && s.PkgPath != "__main__" && s.PkgPath != "" {
			got = s.PkgPath + "." + s.Name
		}
		if e.convDetail != "" {
			e.fail(diag.EvaluationError, sc.file, n, "expect %s, got %s. For details:%s", typeText(t), got, e.convDetail)
		}
		e.fail(diag.EvaluationError, sc.file, n, "expect %s, got %s", typeText(t), got)
	}
	return r
}

// typeText renders a type as KCL prints it in runtime errors.
func typeText(t *syntax.TypeExpr) string {
	if t == nil {
		return "any"
	}
	switch t.Kind {
	case syntax.AnyType:
		return "any"
	case syntax.BasicType, syntax.NamedType:
		if t.Name != "" {
			return t.Name
		}
	case syntax.ListType:
		if t.Elem == nil {
			return "[]"
		}
		return "[" + typeText(t.Elem) + "]"
	case syntax.DictType:
		if t.Key != nil && t.Value != nil {
			return "{" + typeText(t.Key) + ":" + typeText(t.Value) + "}"
		}
	case syntax.UnionType:
		parts := make([]string, len(t.Union))
		for i, m := range t.Union {
			parts[i] = typeText(m)
		}
		return strings.Join(parts, " | ")
	}
	s := t.Text
	if s == "" {
		s = t.Name
	}
	return strings.Join(strings.Fields(s), " ")
}

// match reports whether v fits t, returning the converted value.
func (e *evaluator) match(sc *scope, v value.Value, t *syntax.TypeExpr, nested bool) (value.Value, bool) {
	e.tick(e.stmtFile, e.stmtNode)
	switch v.(type) {
	case nil:
		return value.Undefined, true
	case value.NoneType, value.UndefinedType:
		return v, true
	}
	switch t.Kind {
	case syntax.AnyType:
		return v, true
	case syntax.BasicType:
		switch t.Name {
		case "str":
			_, ok := v.(value.Str)
			return v, ok
		case "int":
			_, ok := v.(value.Int)
			return v, ok
		case "float":
			switch x := v.(type) {
			case value.Float:
				return v, true
			case value.Int:
				return value.Float(float64(x)), true
			}
			return v, false
		case "bool":
			_, ok := v.(value.Bool)
			return v, ok
		case "any":
			return v, true
		case "list":
			_, ok := v.(*value.List)
			return v, ok
		case "dict":
			_, ok := v.(*value.Dict)
			return v, ok
		}
		return v, true
	case syntax.ListType:
		l, ok := v.(*value.List)
		if !ok {
			return v, false
		}
		if t.Elem == nil || t.Elem.Kind == syntax.AnyType {
			return v, true
		}
		for i, it := range l.Items {
			r, ok := e.match(sc, it, t.Elem, true)
			if !ok {
				return v, false
			}
			l.Items[i] = r
		}
		return l, true
	case syntax.DictType:
		var d *value.Dict
		switch x := v.(type) {
		case *value.Dict:
			d = x
		case *value.Schema:
			return v, true
		default:
			return v, false
		}
		if t.Value == nil || t.Value.Kind == syntax.AnyType {
			return v, true
		}
		for _, en := range d.Entries() {
			r, ok := e.match(sc, en.Value, t.Value, true)
			if !ok {
				return v, false
			}
			if r != en.Value {
				en.Value = r
				d.SetEntry(en)
			}
		}
		return d, true
	case syntax.UnionType:
		// Prefer an exact (non-converting) match, then a conversion.
		for _, m := range t.Union {
			if e.isExact(sc, v, m) {
				return v, true
			}
		}
		for _, m := range t.Union {
			if r, ok := e.tryMatch(sc, v, m); ok {
				return r, true
			}
		}
		return v, false
	case syntax.LiteralType:
		lv := e.expr(&scope{kind: frLocal}, t.Literal)
		return v, value.Equal(lv, v) && sameKind(lv, v)
	case syntax.FunctionType:
		_, ok := v.(*value.Func)
		return v, ok
	case syntax.NamedType:
		return e.matchNamed(sc, v, t, nested)
	}
	return v, true
}

func sameKind(a, b value.Value) bool {
	switch a.(type) {
	case value.Bool:
		_, ok := b.(value.Bool)
		return ok
	case value.Str:
		_, ok := b.(value.Str)
		return ok
	case value.Int:
		_, ok := b.(value.Int)
		return ok
	case value.Float:
		_, ok := b.(value.Float)
		return ok
	case value.Unit:
		_, ok := b.(value.Unit)
		return ok
	}
	return true
}

// tryMatch is match that turns a conversion failure into a mismatch.
func (e *evaluator) tryMatch(sc *scope, v value.Value, t *syntax.TypeExpr) (r value.Value, ok bool) {
	defer func() {
		if rec := recover(); rec != nil {
			if _, isK := rec.(kclError); isK {
				r, ok = v, false
				return
			}
			panic(rec)
		}
	}()
	return e.match(sc, e.copy(v, nil, nil), t, true)
}

// isExact reports whether v already has type t without conversion.
func (e *evaluator) isExact(sc *scope, v value.Value, t *syntax.TypeExpr) bool {
	switch t.Kind {
	case syntax.NamedType:
		sd, alias := e.resolveNamed(sc, t)
		if alias != nil {
			return e.isExact(alias.pkg.scopeFor(alias.file), v, alias.t)
		}
		if sd != nil {
			s, ok := v.(*value.Schema)
			if !ok {
				return false
			}
			d, _ := s.Def.(*schemaDef)
			return d != nil && d.isSubOf(sd)
		}
		return false
	case syntax.UnionType:
		for _, m := range t.Union {
			if e.isExact(sc, v, m) {
				return true
			}
		}
		return false
	case syntax.ListType, syntax.DictType:
		if _, ok := v.(*value.Dict); ok && t.Kind == syntax.DictType && !typeHasSchema(t) {
			return true
		}
		if _, ok := v.(*value.List); ok && t.Kind == syntax.ListType && !typeHasSchema(t) {
			_, ok2 := e.match(sc, v, t, true)
			return ok2
		}
		return false
	}
	_, ok := e.match(sc, v, t, true)
	if ok {
		if _, isInt := v.(value.Int); isInt && t.Kind == syntax.BasicType && t.Name == "float" {
			return false
		}
	}
	return ok
}

func typeHasSchema(t *syntax.TypeExpr) bool {
	if t == nil {
		return false
	}
	switch t.Kind {
	case syntax.NamedType:
		return true
	case syntax.ListType:
		return typeHasSchema(t.Elem)
	case syntax.DictType:
		return typeHasSchema(t.Value)
	case syntax.UnionType:
		for _, m := range t.Union {
			if typeHasSchema(m) {
				return true
			}
		}
	}
	return false
}

// resolveNamed resolves a named type to a schema definition or a type alias.
func (e *evaluator) resolveNamed(sc *scope, t *syntax.TypeExpr) (*schemaDef, *aliasDef) {
	names := strings.Split(t.Name, ".")
	if len(names) == 1 {
		for s := sc; s != nil; s = s.parent {
			if s.kind == frPkg {
				if a, ok := s.pkg.aliases[names[0]]; ok {
					return nil, a
				}
				break
			}
		}
		v, ok := e.lookup(sc, names[0])
		if !ok {
			if sc.file != nil && sc.pkg != nil {
				var cands []string
				for _, en := range sc.pkg.lz.vals.Entries() {
					if f, isF := en.Value.(*value.Func); isF {
						if _, isS := f.Def.(*schemaDef); isS {
							cands = append(cands, en.Key)
						}
					}
				}
				e.failCol(diag.CompileError, sc.file, t, "name '%s' is not defined%s", names[0], suggestion(names[0], cands))
			}
			return nil, nil
		}
		if f, ok := v.(*value.Func); ok {
			if sd, ok := f.Def.(*schemaDef); ok {
				return sd, nil
			}
		}
		return nil, nil
	}
	v, ok := e.lookup(sc, names[0])
	if !ok {
		return nil, nil
	}
	for i, n := range names[1:] {
		m, isMod := v.(*module)
		if !isMod {
			return nil, nil
		}
		if m.pkg != nil && i == len(names)-2 {
			if a, ok := m.pkg.aliases[n]; ok {
				return nil, a
			}
		}
		if m.sys != nil {
			v = m.sys[n]
		} else {
			e.setup(m.pkg)
			if m.pkg.lz.has(n) {
				v = m.pkg.lz.read(n)
			} else {
				var found bool
				v, found = m.pkg.lz.vals.Get(n)
				if !found && sc.file != nil {
					e.failCol(diag.TypeError, sc.file, t, "attribute '%s' not found in 'module '%s''", n, m.path)
				}
			}
		}
	}
	if f, ok := v.(*value.Func); ok {
		if sd, ok := f.Def.(*schemaDef); ok {
			return sd, nil
		}
	}
	return nil, nil
}

func (e *evaluator) matchNamed(sc *scope, v value.Value, t *syntax.TypeExpr, nested bool) (value.Value, bool) {
	if t.Name == "units.NumberMultiplier" || t.Name == "NumberMultiplier" {
		_, ok := v.(value.Unit)
		return v, ok
	}
	sd, alias := e.resolveNamed(sc, t)
	if alias != nil {
		return e.match(alias.pkg.scopeFor(alias.file), v, alias.t, nested)
	}
	if sd == nil {
		return v, true
	}
	switch x := v.(type) {
	case *value.Schema:
		d, _ := x.Def.(*schemaDef)
		if d != nil && (d.isSubOf(sd) || sd.isProto) {
			return v, true
		}
		// An instance of another schema converts through its attributes.
		cfg := value.NewDict()
		for _, en := range x.Attrs.Entries() {
			if _, undef := en.Value.(value.UndefinedType); !undef {
				cfg.Set(en.Key, en.Value)
			}
		}
		if d := e.schemaMismatch(sd, cfg); d != "" {
			e.convDetail = d
			return v, false
		}
		return e.tryInstantiate(sd, cfg)
	case *value.Dict:
		if sd.isProto {
			return v, true
		}
		if d := e.schemaMismatch(sd, x); d != "" {
			e.convDetail = d
			return v, false
		}
		return e.instantiate(sd, nil, nil, x, nil, nil, nil, false), true
	}
	return v, false
}

// schemaMismatch describes why the dict cfg cannot become an instance of sd
// (unknown keys; then missing required attributes), or "".
func (e *evaluator) schemaMismatch(sd *schemaDef, cfg *value.Dict) string {
	e.resolveSchema(sd)
	chain := sd.chain()
	var mixins []*schemaDef
	for _, d := range chain {
		mixins = append(mixins, d.mixins...)
	}
	if sig, _ := indexSignature(chain, mixins); sig != nil {
		return ""
	}
	known := map[string]bool{}
	for _, d := range append(chain, mixins...) {
		for _, n := range d.names {
			known[n] = true
		}
	}
	var b strings.Builder
	for _, k := range cfg.Keys() {
		if !known[k] {
			b.WriteString("\nSchema " + sd.name + " does not contain attribute " + k)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	for _, d := range chain {
		for _, a := range d.attrs {
			if a.optional {
				continue
			}
			if _, ok := cfg.Get(a.name); !ok {
				b.WriteString("\nSchema " + sd.name + "'s attribute " + a.name + " is missing")
			}
		}
	}
	return b.String()
}

// tryInstantiate instantiates sd from cfg, reporting failure instead of
// raising it.
func (e *evaluator) tryInstantiate(sd *schemaDef, cfg *value.Dict) (r value.Value, ok bool) {
	defer func() {
		if rec := recover(); rec != nil {
			if _, isK := rec.(kclError); isK {
				r, ok = nil, false
				return
			}
			panic(rec)
		}
	}()
	return e.instantiate(sd, nil, nil, cfg, nil, nil, nil, false), true
}

// aliasSchema follows type aliases from a to a schema definition (nil when
// the alias does not name a schema).
func (e *evaluator) aliasSchema(a *aliasDef) *schemaDef {
	for i := 0; a != nil && i < 32; i++ {
		if a.t.Kind != syntax.NamedType {
			return nil
		}
		sd, next := e.resolveNamed(a.pkg.scopeFor(a.file), a.t)
		if sd != nil {
			return sd
		}
		a = next
	}
	return nil
}
