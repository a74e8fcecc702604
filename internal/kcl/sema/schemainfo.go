package sema

// SchemaKind says what a schema-like declaration is.
type SchemaKind int

// The schema-like declarations.
const (
	SchemaPlain SchemaKind = iota
	SchemaMixin
	SchemaProtocol
	SchemaRule
)

// SchemaInfo is the resolved form of a schema, mixin, protocol or rule.
type SchemaInfo struct {
	Name    string
	PkgPath string // "__main__" for the main package
	Kind    SchemaKind
	Doc     string
	// Sym is the definition symbol of the schema name.
	Sym *Symbol
	// Parent is the base schema (nil when none).
	Parent *SchemaInfo
	// Mixins in declaration order.
	Mixins []*SchemaInfo
	// Protocol is the `for` host protocol of a mixin or rule.
	Protocol *SchemaInfo
	// Attrs are the attributes declared in this schema's body, in order.
	Attrs []*AttrInfo
	attrs map[string]*AttrInfo
	// Index is the index signature, if any (own or inherited through Lookup).
	Index *IndexSignature
	// Params are the schema arguments (`schema S[a: int]`).
	Params []Param
	// Checks are the check expressions as source text.
	Checks []string
	// Decorators are the decorator names on the schema.
	Decorators []string

	broken bool // on an inheritance cycle
}

// AttrInfo is one attribute declared in a schema body.
type AttrInfo struct {
	Name     string
	Type     *Type
	Optional bool
	// TypeText is the annotation as written ("" when absent).
	TypeText string
	// HasDefault reports whether the declaration has `= expr` / `|= expr`.
	HasDefault bool
	// Default is the default expression as source text.
	Default string
	// Doc is the attribute's description from the schema docstring.
	Doc string
	// Owner is the schema declaring it.
	Owner *SchemaInfo
	// Sym is the definition symbol.
	Sym *Symbol
	// Decorators are the decorator names on the attribute.
	Decorators []string
	// Declared is false for names only assigned in the body (`x = 1` without a
	// type annotation that was not declared elsewhere).
	Declared bool
}

// IndexSignature is `[key: K]: V` in a schema.
type IndexSignature struct {
	KeyName  string
	Key      *Type
	Value    *Type
	AnyOther bool // `[...str]`
	// Loc is the range of the declaration.
	Loc Location
}

// FQN returns the fully qualified name pkgpath.Name (just Name in __main__).
func (s *SchemaInfo) FQN() string {
	if s.PkgPath == "" || s.PkgPath == MainPkg {
		return s.Name
	}
	return s.PkgPath + "." + s.Name
}

// IsSubOf reports whether s is o or inherits from it (also through mixins
// and protocols, which KCL treats as compatible for checking).
func (s *SchemaInfo) IsSubOf(o *SchemaInfo) bool {
	seen := map[*SchemaInfo]bool{}
	for c := s; c != nil && !seen[c]; c = c.Parent {
		seen[c] = true
		if c.same(o) {
			return true
		}
	}
	return false
}

// OwnAttr returns the attribute declared in this schema body.
func (s *SchemaInfo) OwnAttr(name string) *AttrInfo {
	if s.attrs == nil {
		return nil
	}
	return s.attrs[name]
}

func (s *SchemaInfo) addAttr(a *AttrInfo) {
	if s.attrs == nil {
		s.attrs = map[string]*AttrInfo{}
	}
	if old, ok := s.attrs[a.Name]; ok {
		// A later statement may only re-assign; keep the declared one.
		if old.Declared || !a.Declared {
			return
		}
		for i, x := range s.Attrs {
			if x == old {
				s.Attrs[i] = a
			}
		}
		s.attrs[a.Name] = a
		return
	}
	s.attrs[a.Name] = a
	s.Attrs = append(s.Attrs, a)
}

// Attr looks name up in s, its mixins, its protocol and its ancestors, the
// nearest declaration first (own body, mixins, protocol, then parent).
func (s *SchemaInfo) Attr(name string) *AttrInfo {
	seen := map[*SchemaInfo]bool{}
	var find func(c *SchemaInfo) *AttrInfo
	find = func(c *SchemaInfo) *AttrInfo {
		if c == nil || seen[c] {
			return nil
		}
		seen[c] = true
		if a := c.OwnAttr(name); a != nil && a.Declared {
			return a
		}
		for _, m := range c.Mixins {
			if a := find(m); a != nil {
				return a
			}
		}
		if a := find(c.Protocol); a != nil {
			return a
		}
		if a := find(c.Parent); a != nil {
			return a
		}
		if a := c.OwnAttr(name); a != nil {
			return a
		}
		return nil
	}
	return find(s)
}

// AllAttrs returns every attribute visible on instances of s: parents
// first, then own, then mixins (the output order of KCL), one per name.
func (s *SchemaInfo) AllAttrs() []*AttrInfo {
	var out []*AttrInfo
	idx := map[string]int{}
	seen := map[*SchemaInfo]bool{}
	var walk func(c *SchemaInfo)
	walk = func(c *SchemaInfo) {
		if c == nil || seen[c] {
			return
		}
		seen[c] = true
		walk(c.Parent)
		walk(c.Protocol)
		for _, a := range c.Attrs {
			if i, ok := idx[a.Name]; ok {
				if a.Declared {
					out[i] = a
				}
				continue
			}
			idx[a.Name] = len(out)
			out = append(out, a)
		}
		for _, m := range c.Mixins {
			walk(m)
		}
	}
	walk(s)
	return out
}

// IndexSig returns the index signature of s or of its nearest ancestor.
func (s *SchemaInfo) IndexSig() *IndexSignature {
	seen := map[*SchemaInfo]bool{}
	for c := s; c != nil && !seen[c]; c = c.Parent {
		seen[c] = true
		if c.Index != nil {
			return c.Index
		}
		if c.Protocol != nil && c.Protocol.Index != nil {
			return c.Protocol.Index
		}
	}
	return nil
}

// same reports whether s and o are the same declaration (a file can belong
// to two packages, e.g. `frontend` and `frontend.server`).
func (s *SchemaInfo) same(o *SchemaInfo) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil || s.Name != o.Name {
		return false
	}
	if s.PkgPath == o.PkgPath {
		return true
	}
	return s.Sym != nil && o.Sym != nil && s.Sym.Loc.File == o.Sym.Loc.File && s.Sym.Loc.Start.Offset == o.Sym.Loc.Start.Offset
}
