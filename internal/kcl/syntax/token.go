package syntax

// Token is the kind of a lexical token produced by the scanner.
type Token uint8

// The token kinds. Operators are named after their spelling; keywords are the
// upper-case keyword.
const (
	ILLEGAL Token = iota
	EOF
	NEWLINE
	INDENT
	DEDENT
	COMMENT

	// Literals and names.
	IDENT  // name (or $name)
	INT    // 1, 0x1F, 1Ki
	FLOAT  // 1.5, 1e3
	STRING // 'a', "a", '''a''', r"a" (interpolation is parsed from the token text)

	// Operators and delimiters.
	ADD             // +
	SUB             // -
	MUL             // *
	DIV             // /
	MOD             // %
	POW             // **
	FLOORDIV        // //
	SHL             // <<
	SHR             // >>
	AND             // &
	OR              // |
	XOR             // ^
	INV             // ~
	LT              // <
	GT              // >
	LE              // <=
	GE              // >=
	EQ              // ==
	NE              // !=
	ASSIGN          // =
	ADD_ASSIGN      // +=
	SUB_ASSIGN      // -=
	MUL_ASSIGN      // *=
	DIV_ASSIGN      // /=
	MOD_ASSIGN      // %=
	POW_ASSIGN      // **=
	FLOORDIV_ASSIGN // //=
	SHL_ASSIGN      // <<=
	SHR_ASSIGN      // >>=
	AND_ASSIGN      // &=
	OR_ASSIGN       // |=
	XOR_ASSIGN      // ^=
	LPAREN          // (
	RPAREN          // )
	LBRACK          // [
	RBRACK          // ]
	LBRACE          // {
	RBRACE          // }
	COMMA           // ,
	COLON           // :
	DOT             // .
	ELLIPSIS        // ...
	SEMICOLON       // ;
	AT              // @
	ARROW           // ->
	QUESTION        // ?
	QDOT            // ?.
	QLBRACK         // ?[
	NOT_IN          // not in (synthesised by the parser for CompareExpr.Ops)
	IS_NOT          // is not (synthesised by the parser for CompareExpr.Ops)

	keywordBeg
	// Keywords.
	TRUE      // True
	FALSE     // False
	NONE      // None
	UNDEFINED // Undefined
	IMPORT    // import
	AS        // as
	KW_AND    // and
	KW_OR     // or
	KW_NOT    // not
	IN        // in
	IS        // is
	IF        // if
	ELIF      // elif
	ELSE      // else
	FOR       // for
	SCHEMA    // schema
	MIXIN     // mixin
	PROTOCOL  // protocol
	CHECK     // check
	ASSERT    // assert
	ALL       // all
	ANY       // any
	MAP       // map
	FILTER    // filter
	LAMBDA    // lambda
	RULE      // rule
	keywordEnd

	numTokens
)

var tokenStrings = [numTokens]string{
	ILLEGAL: "ILLEGAL", EOF: "EOF", NEWLINE: "NEWLINE", INDENT: "INDENT", DEDENT: "DEDENT",
	COMMENT: "COMMENT", IDENT: "IDENT", INT: "INT", FLOAT: "FLOAT", STRING: "STRING",
	ADD: "+", SUB: "-", MUL: "*", DIV: "/", MOD: "%", POW: "**", FLOORDIV: "//",
	SHL: "<<", SHR: ">>", AND: "&", OR: "|", XOR: "^", INV: "~",
	LT: "<", GT: ">", LE: "<=", GE: ">=", EQ: "==", NE: "!=",
	ASSIGN: "=", ADD_ASSIGN: "+=", SUB_ASSIGN: "-=", MUL_ASSIGN: "*=", DIV_ASSIGN: "/=",
	MOD_ASSIGN: "%=", POW_ASSIGN: "**=", FLOORDIV_ASSIGN: "//=", SHL_ASSIGN: "<<=",
	SHR_ASSIGN: ">>=", AND_ASSIGN: "&=", OR_ASSIGN: "|=", XOR_ASSIGN: "^=",
	LPAREN: "(", RPAREN: ")", LBRACK: "[", RBRACK: "]", LBRACE: "{", RBRACE: "}",
	COMMA: ",", COLON: ":", DOT: ".", ELLIPSIS: "...", SEMICOLON: ";", AT: "@", ARROW: "->",
	QUESTION: "?", QDOT: "?.", QLBRACK: "?[", NOT_IN: "not in", IS_NOT: "is not",
	TRUE: "True", FALSE: "False", NONE: "None", UNDEFINED: "Undefined", IMPORT: "import",
	AS: "as", KW_AND: "and", KW_OR: "or", KW_NOT: "not", IN: "in", IS: "is", IF: "if",
	ELIF: "elif", ELSE: "else", FOR: "for", SCHEMA: "schema", MIXIN: "mixin",
	PROTOCOL: "protocol", CHECK: "check", ASSERT: "assert", ALL: "all", ANY: "any",
	MAP: "map", FILTER: "filter", LAMBDA: "lambda", RULE: "rule",
}

// String returns the spelling of an operator or keyword, or the kind's name.
func (t Token) String() string {
	if t < numTokens && tokenStrings[t] != "" {
		return tokenStrings[t]
	}
	return "Token(?)"
}

// IsKeyword reports whether t is a keyword.
func (t Token) IsKeyword() bool { return t > keywordBeg && t < keywordEnd }

// IsAugAssign reports whether t is an augmented assignment operator (+=, -=, …, excluding =).
func (t Token) IsAugAssign() bool { return t >= ADD_ASSIGN && t <= XOR_ASSIGN }

// BinaryOf returns the binary operator of an augmented assignment (ADD for
// ADD_ASSIGN, …), or ILLEGAL.
func (t Token) BinaryOf() Token {
	switch t {
	case ADD_ASSIGN:
		return ADD
	case SUB_ASSIGN:
		return SUB
	case MUL_ASSIGN:
		return MUL
	case DIV_ASSIGN:
		return DIV
	case MOD_ASSIGN:
		return MOD
	case POW_ASSIGN:
		return POW
	case FLOORDIV_ASSIGN:
		return FLOORDIV
	case SHL_ASSIGN:
		return SHL
	case SHR_ASSIGN:
		return SHR
	case AND_ASSIGN:
		return AND
	case OR_ASSIGN:
		return OR
	case XOR_ASSIGN:
		return XOR
	}
	return ILLEGAL
}

// keywords maps keyword spellings to their token.
var keywords = map[string]Token{
	"True": TRUE, "False": FALSE, "None": NONE, "Undefined": UNDEFINED, "import": IMPORT,
	"as": AS, "and": KW_AND, "or": KW_OR, "not": KW_NOT, "in": IN, "is": IS, "if": IF,
	"elif": ELIF, "else": ELSE, "for": FOR, "schema": SCHEMA, "mixin": MIXIN,
	"protocol": PROTOCOL, "check": CHECK, "assert": ASSERT, "all": ALL, "any": ANY,
	"map": MAP, "filter": FILTER, "lambda": LAMBDA, "rule": RULE,
}

// LookupKeyword returns the keyword token for name, or IDENT.
func LookupKeyword(name string) Token {
	if t, ok := keywords[name]; ok {
		return t
	}
	return IDENT
}

// reservedWords are words that KCL reserves and rejects as identifiers.
var reservedWords = map[string]bool{
	"pass": true, "return": true, "validate": true, "flow": true, "def": true, "del": true,
	"raise": true, "except": true, "try": true, "finally": true, "while": true, "from": true,
	"with": true, "yield": true, "global": true, "nonlocal": true, "struct": true,
	"class": true, "final": true,
}

// IsReserved reports whether name is a reserved word (not usable as a name unless $-escaped).
func IsReserved(name string) bool { return reservedWords[name] }
