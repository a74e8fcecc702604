package sema

import (
	"sort"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// SymbolKind classifies a Symbol.
type SymbolKind int

// The symbol kinds.
const (
	SymVar       SymbolKind = iota // a package-level or local variable
	SymSchema                      // a schema, mixin or protocol
	SymRule                        // a rule
	SymAttr                        // a schema attribute
	SymParam                       // a lambda or schema parameter
	SymLoopVar                     // a comprehension or quantifier variable
	SymTypeAlias                   // `type X = …`
	SymPackage                     // an imported package (the import binding)
	SymBuiltin                     // a builtin function, system module member or str method
	SymKey                         // a key of a plain (dict) config literal
)

var symbolKindNames = [...]string{"variable", "schema", "rule", "attribute", "parameter", "loop variable",
	"type alias", "package", "builtin", "key"}

// String returns a lower-case description of the kind.
func (k SymbolKind) String() string {
	if int(k) < len(symbolKindNames) {
		return symbolKindNames[k]
	}
	return "symbol"
}

// Location is a source range in a file.
type Location struct {
	File       string
	Start, End syntax.Pos
}

// Symbol is a definition: a named entity that references point to.
type Symbol struct {
	Name string
	Kind SymbolKind
	// Loc is where the name is defined; File is "" for builtins.
	Loc Location
	// PkgPath is the package the symbol belongs to.
	PkgPath string
	// Type is the (declared or inferred) type.
	Type *Type
	// Doc is the documentation: docstring for schemas, description for
	// attributes.
	Doc string
	// Schema is set for SymSchema/SymRule.
	Schema *SchemaInfo
	// Attr is set for SymAttr.
	Attr *AttrInfo
	// Target is the imported package path for SymPackage.
	Target string
	// Global reports a package-level definition.
	Global bool

	decl syntax.Node // the defining statement (for lazy typing)
	pkg  *pkgState   // the package that defined it, while resolving
}

// Occurrence is one appearance of a name in a file: either the definition of
// its symbol or a reference to it.
type Occurrence struct {
	Location
	Name string
	// Sym is the symbol the name denotes; nil when unresolved.
	Sym *Symbol
	// Def reports the defining occurrence.
	Def bool
	// Role says what kind of syntax the name is.
	Role Role
}

// Role says where an occurrence stands.
type Role int

// The occurrence roles.
const (
	RoleName   Role = iota // an identifier expression
	RoleAttr               // the name of a selector `x.name`
	RoleKey                // a config key
	RoleType               // a name in a type annotation
	RoleImport             // an import path
	RoleDecl               // a declaration name
)

// Unresolved is a name that could not be resolved, with why.
type Unresolved struct {
	Location
	Name string
	Role Role
	// Dynamic reports a name whose meaning depends on runtime values
	// (an attribute of an untyped value, a key of an untyped dict).
	Dynamic bool
	Reason  string
}

// fileIndex holds the occurrences of one file sorted by position.
type fileIndex struct {
	occ []*Occurrence
}

func (fi *fileIndex) sort() {
	sort.SliceStable(fi.occ, func(i, j int) bool {
		a, b := fi.occ[i], fi.occ[j]
		if a.Start.Offset != b.Start.Offset {
			return a.Start.Offset < b.Start.Offset
		}
		return a.End.Offset < b.End.Offset
	})
}

// at returns the innermost occurrence containing offset (start <= off <= end).
func (fi *fileIndex) at(off int) *Occurrence {
	i := sort.Search(len(fi.occ), func(i int) bool { return fi.occ[i].Start.Offset > off })
	var best *Occurrence
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		o := fi.occ[j]
		if o.Start.Offset <= off && off <= o.End.Offset {
			if best == nil || o.End.Offset-o.Start.Offset < best.End.Offset-best.Start.Offset {
				best = o
			}
		}
	}
	return best
}
