package syntax

import (
	"unicode/utf8"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
)

// ---------------------------------------------------------------------------
// Positions

// Pos is a position in a source file. Offset is the 0-based byte offset, Line
// is 1-based and Col is the 1-based column counted in bytes. The zero Pos
// (Line 0) means "no position".
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Before reports whether p is strictly before q.
func (p Pos) Before(q Pos) bool { return p.Offset < q.Offset }

// CharCol returns the 1-based column of p counted in characters (runes), as KCL
// prints columns, given the source the position refers to.
func (p Pos) CharCol(src []byte) int {
	if !p.IsValid() {
		return 0
	}
	start := p.Offset - (p.Col - 1)
	if start < 0 || p.Offset > len(src) || start > p.Offset {
		return p.Col
	}
	return utf8.RuneCount(src[start:p.Offset]) + 1
}

// Span is the source range of a node: Start is the first byte, Stop the
// position just after the last byte. Every node embeds a Span, which gives it
// the Pos and End methods of Node.
type Span struct {
	Start Pos
	Stop  Pos
}

// Pos returns the start of the node.
func (s Span) Pos() Pos { return s.Start }

// End returns the position just after the node.
func (s Span) End() Pos { return s.Stop }

// Node is implemented by every AST node.
type Node interface {
	Pos() Pos // first byte of the node
	End() Pos // position just after the node
}

// Expr is an expression node.
type Expr interface {
	Node
	exprNode()
}

// Stmt is a statement node.
type Stmt interface {
	Node
	stmtNode()
}

// ---------------------------------------------------------------------------
// File and comments

// File is a parsed KCL source file (a module). ParseFile always returns a
// non-nil File, even for broken input.
type File struct {
	Span
	Filename string
	Src      []byte // the source the positions refer to
	// Doc is the module docstring (the first statement when it is a lone
	// string literal); that statement is also kept in Stmts.
	Doc      *StringLit
	Stmts    []Stmt
	Comments []*Comment // every comment of the file, in source order
}

// DiagPos converts p into a diagnostic position of this file (1-based
// character column).
func (f *File) DiagPos(p Pos) diag.Pos {
	return diag.Pos{File: f.Filename, Line: p.Line, Col: p.CharCol(f.Src), Offset: p.Offset}
}

// Text returns the source text of n in f ("" when f is nil or n has no
// valid span in f's source).
func (f *File) Text(n Node) string {
	if f == nil || n == nil {
		return ""
	}
	a, b := n.Pos().Offset, n.End().Offset
	if a < 0 || b > len(f.Src) || a > b {
		return ""
	}
	return string(f.Src[a:b])
}

// Comment is a `# …` comment; Text includes the leading '#'.
type Comment struct {
	Span
	Text string
}

// ---------------------------------------------------------------------------
// Statements

// ExprStmt is an expression used as a statement (e.g. a top-level `print(x)`
// or a bare string literal docstring).
type ExprStmt struct {
	Span
	X Expr
}

// AssignStmt is `a = b = value` or `a: T = value`. Targets are *Ident,
// *SelectorExpr or *IndexExpr chains. Type is nil when not annotated.
type AssignStmt struct {
	Span
	Targets []Expr
	Type    *TypeExpr
	Value   Expr
}

// AugAssignStmt is `target op= value`; Op is one of ADD_ASSIGN … XOR_ASSIGN
// (use Op.BinaryOf() for the binary operator).
type AugAssignStmt struct {
	Span
	Target Expr
	Op     Token
	Value  Expr
}

// UnificationStmt is `target: Schema {…}` (Target is usually an *Ident).
type UnificationStmt struct {
	Span
	Target Expr
	Value  *SchemaExpr
}

// ImportStmt is `import a.b.c [as d]`, or relative `import .a` / `import ..a`.
type ImportStmt struct {
	Span
	// Path is the dotted path without leading dots ("a.b.c").
	Path string
	// Rawpath is the path as written, including leading dots ("..a.b").
	Rawpath string
	// Dots is the number of leading dots (0 for an absolute import).
	Dots int
	// PathPos/PathEnd delimit Rawpath in the source.
	PathPos, PathEnd Pos
	// AsName is the `as` alias, nil when absent.
	AsName *Ident
	// Name is the name bound in the module: AsName, else the last path element.
	Name string
}

// IfStmt is `if Cond: Body [elif …] [else: Else]`. An `elif` is represented as
// a single *IfStmt in Else with IsElif set.
type IfStmt struct {
	Span
	Cond   Expr
	Body   []Stmt
	Else   []Stmt
	IsElif bool // this IfStmt was written as `elif`
}

// AssertStmt is `assert Test [if IfCond][, Msg]`.
type AssertStmt struct {
	Span
	Test   Expr
	IfCond Expr // nil when absent
	Msg    Expr // nil when absent
}

// TypeAliasStmt is `type Name = Type`.
type TypeAliasStmt struct {
	Span
	Name *Ident
	Type *TypeExpr
}

// SchemaStmt is a `schema`, `mixin` or `protocol` definition.
//
//	@deco(...)
//	schema Name[params](Parent) for Protocol:
//	    """Doc"""
//	    mixin [M1, M2]
//	    attr?: T = default        # SchemaAttr in Body
//	    stmts…                   # other statements in Body
//	    [...key: str]: T = value  # IndexSignature
//	    check:
//	        test if cond, "msg"   # Checks
type SchemaStmt struct {
	Span
	Name        *Ident
	Params      []*Param // nil when there is no `[...]`
	Parent      Expr     // *Ident or *SelectorExpr; nil when absent
	ForProtocol Expr     // `for P` (mixins); nil when absent
	IsMixin     bool     // defined with `mixin`
	IsProtocol  bool     // defined with `protocol`
	Decorators  []*Decorator
	Doc         string     // decoded docstring ("" when absent)
	DocLit      *StringLit // the docstring literal, nil when absent
	Mixins      []Expr     // `mixin [...]` entries (*Ident or *SelectorExpr)
	Body        []Stmt     // *SchemaAttr and ordinary statements, in source order
	// IndexSignature is the `[key: K]: V` declaration, nil when absent.
	IndexSignature *IndexSignature
	Checks         []*CheckExpr
}

// SchemaAttr is a schema attribute declaration `[@deco] name[?]: T [= value]`
// (or `|=`). It only appears in SchemaStmt.Body.
type SchemaAttr struct {
	Span
	Doc        string // attribute doc collected from the schema docstring (optional, may be "")
	Name       *Ident // the attribute name; for `"quoted-name": T` Name.Name is the unquoted text
	NameQuoted bool   // written as a string literal
	Optional   bool   // `name?: T`
	Type       *TypeExpr
	Op         Token // ASSIGN or an augmented assignment (usually OR_ASSIGN `|=`); ILLEGAL (0) when there is no value
	Value      Expr  // nil when there is no default
	Decorators []*Decorator
}

// IndexSignature is `[[KeyName:] [...] KeyType]: ValueType [= Value]` in a schema.
type IndexSignature struct {
	Span
	KeyName   *Ident // nil when absent
	AnyOther  bool   // `...` present
	KeyType   *TypeExpr
	ValueType *TypeExpr
	Op        Token // ASSIGN when Value is present
	Value     Expr  // nil when absent
}

// RuleStmt is `[@deco] rule Name[params](Parent, …) for Protocol: checks`.
type RuleStmt struct {
	Span
	Name        *Ident
	Params      []*Param
	Parents     []Expr // *Ident or *SelectorExpr
	ForProtocol Expr   // nil when absent
	Decorators  []*Decorator
	Doc         string
	DocLit      *StringLit
	Checks      []*CheckExpr
}

// CheckExpr is one entry of a `check:` block (or a rule body):
// `Test [if IfCond][, Msg]`. It is a Node but neither an Expr nor a Stmt.
type CheckExpr struct {
	Span
	Test   Expr
	IfCond Expr // nil when absent
	Msg    Expr // nil when absent
}

// Decorator is `@Name` or `@Name(args)` before a schema, rule or attribute.
type Decorator struct {
	Span
	Name      Expr // *Ident or *SelectorExpr
	HasParens bool
	Args      []Expr
	Kwargs    []*Keyword
}

// Param is a schema, rule or lambda parameter `name[: T][= default]`.
type Param struct {
	Span
	Name    *Ident
	Type    *TypeExpr // nil when absent
	Default Expr      // nil when absent
}

// BadStmt is a placeholder for a statement that could not be parsed.
type BadStmt struct {
	Span
}

// ---------------------------------------------------------------------------
// Expressions

// Ident is a single identifier. Dotted names (`a.b.c`) are represented as
// *SelectorExpr chains over an *Ident; see DottedName.
type Ident struct {
	Span
	Name   string // without a `$` escape
	Dollar bool   // written with a leading `$`
}

// SelectorExpr is `X.Name`, or `X?.Name` when Optional.
type SelectorExpr struct {
	Span
	X        Expr
	Name     *Ident
	Optional bool
}

// IndexExpr is `X[Index]`, or `X?[Index]` when Optional.
type IndexExpr struct {
	Span
	X        Expr
	Index    Expr
	Optional bool
}

// SliceExpr is `X[Lo:Hi:Step]` (each part may be nil), `X?[…]` when Optional.
type SliceExpr struct {
	Span
	X            Expr
	Lo, Hi, Step Expr
	Optional     bool
}

// CallExpr is `Func(Args…, Kwargs…)`. Args may contain *StarredExpr for
// `*x` and `**x` arguments.
type CallExpr struct {
	Span
	Func   Expr
	Args   []Expr
	Kwargs []*Keyword
}

// Keyword is a keyword argument `Name = Value`.
type Keyword struct {
	Span
	Name  *Ident
	Value Expr // nil when missing in broken input
}

// StarredExpr is `*X` (Op MUL) or `**X` (Op POW) in a list or call arguments.
type StarredExpr struct {
	Span
	Op Token
	X  Expr
}

// UnaryExpr is `Op X` with Op one of ADD, SUB, INV, KW_NOT.
type UnaryExpr struct {
	Span
	Op Token
	X  Expr
}

// BinaryExpr is `X Op Y` for arithmetic, bitwise and logical (KW_AND, KW_OR)
// operators. Comparisons are *CompareExpr.
type BinaryExpr struct {
	Span
	Op    Token
	OpPos Pos
	X, Y  Expr
}

// CompareExpr is a comparison chain `Left Ops[0] Comparators[0] Ops[1] …`.
// Ops are EQ, NE, LT, LE, GT, GE, IN, NOT_IN, IS, IS_NOT.
type CompareExpr struct {
	Span
	Left        Expr
	Ops         []Token
	Comparators []Expr
}

// AsExpr is the type cast `X as Type`.
type AsExpr struct {
	Span
	X    Expr
	Type *TypeExpr
}

// IfExpr is the ternary `Body if Cond else Else`.
type IfExpr struct {
	Span
	Body, Cond, Else Expr
}

// ParenExpr is `(X)`.
type ParenExpr struct {
	Span
	X Expr
}

// NumberKind tells integer from float literals.
type NumberKind uint8

// The number kinds.
const (
	IntNumber NumberKind = iota
	FloatNumber
)

// NumberLit is an int or float literal with an optional unit suffix
// (`1Ki`, `500m`). Int holds the value of integer literals without the suffix
// applied; Float holds the value of float literals. IntOverflow is set when
// the integer does not fit in int64 (Raw still holds the text).
type NumberLit struct {
	Span
	Raw         string
	Kind        NumberKind
	Int         int64
	Float       float64
	Suffix      string // "", "n", "u", "m", "k", "K", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "Pi"
	IntOverflow bool
}

// StringLit is a string literal without interpolation. Value is decoded
// (escapes processed, triple-quoted strings dedented as KCL does).
type StringLit struct {
	Span
	Raw    string // source text including prefix and quotes
	Value  string
	IsRaw  bool // r"…" prefix
	Triple bool // '''…''' or """…"""
	Quote  byte // '"' or '\''
}

// JoinedString is a string literal with `${…}` interpolation. Parts are
// *StringLit (literal segments; only Value and Span are meaningful) and
// *FormattedValue, in order.
type JoinedString struct {
	Span
	Raw    string
	Parts  []Expr
	Triple bool
	Quote  byte
}

// FormattedValue is one `${X}` or `${X: #json}` part of a JoinedString.
type FormattedValue struct {
	Span
	X    Expr
	Spec string // format spec without surrounding space, e.g. "#json"; "" when absent
}

// NameConstant is True, False, None or Undefined (Value is the token).
type NameConstant struct {
	Span
	Value Token
}

// ListExpr is `[Elts…]`. Elements may be *StarredExpr (`*x`) and *ListIfItem.
type ListExpr struct {
	Span
	Elts []Expr
}

// ListIfItem is an `if` entry in a list literal:
// `[if Cond: Elts… elif …: … else: …]`. Else is an elif (*ListIfItem with
// Cond set) or an else (*ListIfItem with Cond nil); nil when absent.
type ListIfItem struct {
	Span
	Cond Expr
	Elts []Expr
	Else *ListIfItem
}

// ListComp is `[Elt for … in … if …]`.
type ListComp struct {
	Span
	Elt     Expr
	Clauses []*CompClause
}

// DictComp is `{Key: Value for … in … if …}` (Op is COLON, ASSIGN or ADD_ASSIGN).
type DictComp struct {
	Span
	Key     Expr
	Value   Expr
	Op      Token
	Clauses []*CompClause
}

// CompClause is one `for Targets in Iter [if Ifs…]` clause of a comprehension.
type CompClause struct {
	Span
	Targets []*Ident
	Iter    Expr
	Ifs     []Expr
}

// ConfigExpr is a config (dict) literal `{entries}`.
type ConfigExpr struct {
	Span
	Entries []*ConfigEntry
}

// ConfigEntry is one entry of a ConfigExpr or ConfigIfEntry:
//
//   - `key: value`, `key = value`, `key += value`: Key set, Op COLON/ASSIGN/ADD_ASSIGN.
//     Key is an *Ident, a dotted *SelectorExpr chain (nested path `a.b.c`),
//     an *IndexExpr (`a[0] = v`), a *StringLit/*JoinedString, or any expression
//     in brackets for computed keys.
//   - `**value`: Key nil, Op POW.
//   - `if cond: entries`: Key nil, Op IF, Value a *ConfigIfEntry.
//
// In broken input Value may be nil (half-typed `name` with no operator) or a
// *BadExpr.
type ConfigEntry struct {
	Span
	Key   Expr
	Op    Token
	Value Expr
}

// ConfigIfEntry is `if Cond: Entries [elif …] [else: …]` inside a config.
// Else is an elif (Cond set) or an else (Cond nil); nil when absent.
type ConfigIfEntry struct {
	Span
	Cond    Expr
	Entries []*ConfigEntry
	Else    *ConfigIfEntry
}

// SchemaExpr is a schema instantiation `Name {…}` or `Name(args) {…}`.
type SchemaExpr struct {
	Span
	Name      Expr // *Ident or *SelectorExpr
	HasParens bool
	Args      []Expr
	Kwargs    []*Keyword
	Config    *ConfigExpr // never nil for a parsed SchemaExpr (may be empty or partial)
}

// LambdaExpr is `lambda params [-> Ret] { Body }`.
type LambdaExpr struct {
	Span
	Params     []*Param
	ReturnType *TypeExpr // nil when absent
	Body       []Stmt
}

// QuantExpr is a quantifier `Op Vars in Target { Test [if IfCond] }` with Op
// one of ALL, ANY, MAP, FILTER.
type QuantExpr struct {
	Span
	Op     Token
	Vars   []*Ident
	Target Expr
	Test   Expr
	IfCond Expr // nil when absent
}

// BadExpr is a placeholder for a missing or unparsable expression (KCL's
// MissingExpr). Its span is empty when the expression is missing.
type BadExpr struct {
	Span
}

// ---------------------------------------------------------------------------
// Types

// TypeKind classifies a TypeExpr.
type TypeKind uint8

// The type kinds.
const (
	AnyType      TypeKind = iota // any
	BasicType                    // str, int, float, bool (Name)
	NamedType                    // a schema or alias name, possibly dotted (Name, NameExpr)
	ListType                     // [Elem]  (Elem nil for `[]`)
	DictType                     // {Key:Value}
	UnionType                    // A | B   (Union)
	LiteralType                  // "a", 1, 1.5, True, None, … (Literal)
	FunctionType                 // (A, B) -> R  (Params, Ret)
)

var typeKindNames = [...]string{"any", "basic", "named", "list", "dict", "union", "literal", "function"}

// String returns the kind's name.
func (k TypeKind) String() string {
	if int(k) < len(typeKindNames) {
		return typeKindNames[k]
	}
	return "TypeKind(?)"
}

// String returns "int" or "float".
func (k NumberKind) String() string {
	if k == FloatNumber {
		return "float"
	}
	return "int"
}

// TypeExpr is a type annotation. Text is its source text with the spacing of
// the source (useful in error messages and hover).
type TypeExpr struct {
	Span
	Kind     TypeKind
	Text     string
	Name     string    // BasicType and NamedType: "str", "pkg.Schema"
	NameExpr Expr      // NamedType: *Ident or *SelectorExpr
	Elem     *TypeExpr // ListType
	Key      *TypeExpr // DictType (nil for `{}`)
	Value    *TypeExpr // DictType
	Union    []*TypeExpr
	Literal  Expr // LiteralType: *StringLit, *NumberLit, *NameConstant, or *UnaryExpr (-1)
	Params   []*TypeExpr
	Ret      *TypeExpr // FunctionType (nil when absent)
}

// ---------------------------------------------------------------------------
// Marker methods

func (*ExprStmt) stmtNode()        {}
func (*AssignStmt) stmtNode()      {}
func (*AugAssignStmt) stmtNode()   {}
func (*UnificationStmt) stmtNode() {}
func (*ImportStmt) stmtNode()      {}
func (*IfStmt) stmtNode()          {}
func (*AssertStmt) stmtNode()      {}
func (*TypeAliasStmt) stmtNode()   {}
func (*SchemaStmt) stmtNode()      {}
func (*SchemaAttr) stmtNode()      {}
func (*RuleStmt) stmtNode()        {}
func (*BadStmt) stmtNode()         {}

func (*Ident) exprNode()          {}
func (*SelectorExpr) exprNode()   {}
func (*IndexExpr) exprNode()      {}
func (*SliceExpr) exprNode()      {}
func (*CallExpr) exprNode()       {}
func (*StarredExpr) exprNode()    {}
func (*UnaryExpr) exprNode()      {}
func (*BinaryExpr) exprNode()     {}
func (*CompareExpr) exprNode()    {}
func (*AsExpr) exprNode()         {}
func (*IfExpr) exprNode()         {}
func (*ParenExpr) exprNode()      {}
func (*NumberLit) exprNode()      {}
func (*StringLit) exprNode()      {}
func (*JoinedString) exprNode()   {}
func (*FormattedValue) exprNode() {}
func (*NameConstant) exprNode()   {}
func (*ListExpr) exprNode()       {}
func (*ListIfItem) exprNode()     {}
func (*ListComp) exprNode()       {}
func (*DictComp) exprNode()       {}
func (*ConfigExpr) exprNode()     {}
func (*ConfigIfEntry) exprNode()  {}
func (*SchemaExpr) exprNode()     {}
func (*LambdaExpr) exprNode()     {}
func (*QuantExpr) exprNode()      {}
func (*BadExpr) exprNode()        {}

// ---------------------------------------------------------------------------
// Helpers

// DottedName returns the names of a dotted name expression (`a.b.c` as an
// *Ident or a chain of non-optional *SelectorExpr over an *Ident), and false
// for any other expression.
func DottedName(e Expr) ([]string, bool) {
	var rev []string
	for {
		switch x := e.(type) {
		case *Ident:
			rev = append(rev, x.Name)
			out := make([]string, len(rev))
			for i := range rev {
				out[i] = rev[len(rev)-1-i]
			}
			return out, true
		case *SelectorExpr:
			if x.Optional || x.Name == nil {
				return nil, false
			}
			rev = append(rev, x.Name.Name)
			e = x.X
		default:
			return nil, false
		}
	}
}

// Unparen strips any enclosing parentheses from e.
func Unparen(e Expr) Expr {
	for {
		p, ok := e.(*ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}
