// Package diag holds the diagnostics that every stage of the KCL
// implementation reports (scanner, parser, resolver, evaluator), with KCL's
// error kinds and codes, and renders them in the official compiler's layout.
//
// Construct a diagnostic directly:
//
//	d := &diag.Diagnostic{Kind: diag.TypeError, Messages: []diag.Message{{
//		Pos: diag.Pos{File: "main.k", Line: 3, Col: 5}, Text: "expected int, got str"}}}
//
// A *Diagnostic is an error; a List collects several.
//
// Besides the text, a diagnostic carries data for tools: a stable machine
// Code ("unknown-name", "policy-check" …), structured Args (the unknown
// name, the schema, the missing attributes, the expected and actual types,
// the allowed values) and suggested Fixes as text edits. The language
// server passes them on as the protocol diagnostic's code and data and
// builds its quick fixes from them; the rendered text never changes with
// them.
package diag

import (
	"fmt"
	"strings"
)

// Kind is an error kind as KCL prints it in the header (`error[E2G22]: TypeError`).
type Kind string

// The error kinds used by KCL.
const (
	InvalidSyntax         Kind = "InvalidSyntax"
	TabError              Kind = "TabError"
	IndentationError      Kind = "IndentationError"
	IllegalArgumentSyntax Kind = "IllegalArgumentSyntax"
	TypeError             Kind = "TypeError"
	CannotFindModule      Kind = "CannotFindModule"
	CompileError          Kind = "CompileError"
	IllegalAttributeError Kind = "IllegalAttributeError"
	UniqueKeyError        Kind = "UniqueKeyError"
	IllegalInheritError   Kind = "IllegalInheritError"
	EvaluationError       Kind = "EvaluationError"
	ImmutableError        Kind = "ImmutableError"
	IllegalParameterError Kind = "IllegalParameterError"
	NameError             Kind = "NameError"
	IndexSignatureError   Kind = "IndexSignatureError"
	RecursionError        Kind = "RecursionError"
	CompilerWarning       Kind = "CompilerWarning"
	ReferenceError        Kind = "ReferenceError"
	AttributeError        Kind = "AttributeError"
	ValueError            Kind = "ValueError"
	IllegalArgumentError  Kind = "IllegalArgumentError"
	AssertionError        Kind = "AssertionError"
	SchemaCheckFailure    Kind = "SchemaCheckFailure"
	DeprecatedWarning     Kind = "DeprecatedWarning"
	CannotAddMembersError Kind = "CannotAddMembersError"
)

// Code returns the code KCL prints for the kind; kinds without a code of their
// own fall back to E1001.
func (k Kind) Code() string {
	switch k {
	case TabError:
		return "E1002"
	case IndentationError:
		return "E1003"
	case IllegalArgumentSyntax:
		return "E1I37"
	case TypeError:
		return "E2G22"
	case CannotFindModule:
		return "E2F04"
	case CompileError:
		return "E2L23"
	case IllegalAttributeError:
		return "E2A31"
	case UniqueKeyError:
		return "E2L28"
	case IllegalInheritError:
		return "E2D34"
	case EvaluationError:
		return "E3M38"
	case CompilerWarning:
		return "W1001"
	}
	return "E1001"
}

// Pos is a source position: Line is 1-based; Col is the 1-based column in
// characters (runes), 0 when unknown (runtime errors print no caret).
// Offset is the 0-based byte offset, -1 when unknown.
type Pos struct {
	File   string
	Line   int
	Col    int
	Offset int
}

// String returns file:line:col (col 1 when unknown).
func (p Pos) String() string {
	col := p.Col
	if col <= 0 {
		col = 1
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, col)
}

// Message is one located message of a diagnostic; a diagnostic's first
// message is its primary one.
type Message struct {
	Pos  Pos
	End  Pos // optional end of the range (zero when unknown)
	Text string
	// Note is printed after the block as `note: …` (optional).
	Note string
	// Suggestions are printed after the note, one `suggestion: …` line
	// each (optional), e.g. for CannotFindModule.
	Suggestions []string
}

// Diagnostic is one error or warning with one or more located messages.
//
// Kind and the messages make the text KCL prints; Code, Args and Fixes are
// the same facts as data for tools (the language server's quick fixes),
// so that no one has to parse the text back.
type Diagnostic struct {
	Kind     Kind
	Warning  bool
	Messages []Message
	// Backtrace lines for -d (optional).
	Backtrace []Pos

	// Code is the stable machine code of what went wrong ("" when the
	// emitter gives none). Unlike Kind, it names one kind of problem.
	Code Code
	// Args are the structured arguments of the problem (nil when none).
	Args *Args
	// Fixes are suggested edits that would remove the problem.
	Fixes []Fix
}

// Error returns `file:line:col: Kind: text` of the primary message.
func (d *Diagnostic) Error() string {
	if len(d.Messages) == 0 {
		return string(d.Kind)
	}
	m := d.Messages[0]
	return fmt.Sprintf("%s: %s: %s", m.Pos, d.Kind, m.Text)
}

// Primary returns the first message (zero Message if none).
func (d *Diagnostic) Primary() Message {
	if len(d.Messages) == 0 {
		return Message{}
	}
	return d.Messages[0]
}

// Code is a stable machine-readable identifier of a diagnostic: tools key
// on it, never on the message text. Codes are kebab-case and never change
// meaning; new problems get new codes.
type Code string

// The diagnostic codes.
const (
	// UnknownName: a name used but not defined (Args.Name, Suggestions).
	UnknownName Code = "unknown-name"
	// UnknownAttribute: an attribute that the schema (Args.Schema) or
	// module (Args.Module) does not have (Args.Name, Suggestions).
	UnknownAttribute Code = "unknown-attribute"
	// UnknownArgument: a keyword argument the function (Args.Name is the
	// argument, Args.Schema the function) does not take.
	UnknownArgument Code = "unknown-argument"
	// MissingAttribute: required attributes (Args.Missing) of a schema
	// (Args.Schema) left None or Undefined.
	MissingAttribute Code = "missing-attribute"
	// UnusedImport: an import (Args.Name, Args.Module) that is never used.
	UnusedImport Code = "unused-import"
	// TypeMismatch: a value of type Args.Actual where Args.Expected is
	// wanted (Args.Name the attribute when known; Args.Allowed the values
	// of a literal-union type).
	TypeMismatch Code = "type-mismatch"
	// PolicyCheck: a schema's `check:` condition failed (Args.Schema,
	// Args.Attribute, Args.Value, Args.Bound, Args.Allowed where known).
	PolicyCheck Code = "policy-check"
	// AssertFailed: an `assert` statement failed.
	AssertFailed Code = "assert-failed"
	// Immutable: a value declared immutable is changed (Args.Name).
	Immutable Code = "immutable"
	// ModuleNotFound: an import that names no module (Args.Module).
	ModuleNotFound Code = "module-not-found"
	// DuplicateName: a name defined twice where KCL forbids it (Args.Name).
	DuplicateName Code = "duplicate-name"
	// SyntaxError: the scanner or parser could not read the source.
	SyntaxError Code = "syntax-error"
	// IllegalKey: a config key that is not a string.
	IllegalKey Code = "illegal-key"
	// UnsupportedOperand: an operator applied to types it does not take.
	UnsupportedOperand Code = "unsupported-operand"
	// ArgumentCount: a call with too many or too few positional arguments
	// (Args.Name the function when known).
	ArgumentCount Code = "argument-count"
	// InvalidConversion: an `as` conversion between unrelated types
	// (Args.Expected, Args.Actual).
	InvalidConversion Code = "invalid-conversion"
	// InvalidFormatSpec: a bad `${x: spec}` format spec.
	InvalidFormatSpec Code = "invalid-format-spec"
	// LoopVariables: a comprehension with a wrong number of variables.
	LoopVariables Code = "loop-variables"
	// InvalidInherit: a parent, mixin or protocol that cannot be one
	// (Args.Name).
	InvalidInherit Code = "invalid-inherit"
	// FieldOverride: a schema attribute redeclared incompatibly with its
	// parent's (Args.Name).
	FieldOverride Code = "field-override"
	// ImportCycle: modules that import each other.
	ImportCycle Code = "import-cycle"
	// InheritCycle: schemas that inherit from each other.
	InheritCycle Code = "inherit-cycle"
	// ParameterOrder: a parameter without default after one with.
	ParameterOrder Code = "parameter-order"
	// IndexSignature: an attribute in conflict with the schema's index
	// signature (Args.Name).
	IndexSignature Code = "index-signature"
	// UnknownDecorator: a decorator KCL does not have (Args.Name).
	UnknownDecorator Code = "unknown-decorator"
)

// Args are a diagnostic's structured arguments; every field is optional.
type Args struct {
	// Name is the unknown name, attribute, argument or import binding.
	Name string `json:"name,omitempty"`
	// Schema is the schema (or function) the problem is about.
	Schema string `json:"schema,omitempty"`
	// Module is the module (import path) the problem is about.
	Module string `json:"module,omitempty"`
	// Missing are the missing required attributes.
	Missing []string `json:"missing,omitempty"`
	// Expected and Actual are types (TypeMismatch).
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Suggestions are the spelling suggestions for Name, best first.
	Suggestions []string `json:"suggestions,omitempty"`
	// Attribute, Value and Bound describe a failed check: the attribute
	// checked, its value (KCL source text) and the bound it was held to.
	Attribute string `json:"attribute,omitempty"`
	Value     string `json:"value,omitempty"`
	Bound     string `json:"bound,omitempty"`
	// Allowed are the values allowed (KCL source text), e.g. of a literal
	// union type or an `in [...]` check.
	Allowed []string `json:"allowed,omitempty"`
}

// Fix is a suggested change that would remove a diagnostic's problem.
type Fix struct {
	Title string `json:"title"`
	Edits []Edit `json:"edits"`
	// Preferred marks the one fix a tool may apply on its own.
	Preferred bool `json:"preferred,omitempty"`
}

// Edit replaces the text from Pos to End (both in the same file; End == Pos
// inserts) with NewText. Positions are as in messages: 1-based line, 1-based
// rune column.
type Edit struct {
	Pos     Pos    `json:"pos"`
	End     Pos    `json:"end"`
	NewText string `json:"newText"`
}

// WithCode sets d's code and arguments and returns d, for chaining at an
// emission site.
func (d *Diagnostic) WithCode(c Code, args *Args) *Diagnostic {
	d.Code, d.Args = c, args
	return d
}

// MachineCode is d's Code or, for the scanner's and parser's diagnostics,
// which carry none, SyntaxError; "" when d has no code.
func (d *Diagnostic) MachineCode() Code {
	if d.Code != "" {
		return d.Code
	}
	switch d.Kind {
	case InvalidSyntax, TabError, IndentationError, IllegalArgumentSyntax:
		return SyntaxError
	}
	return ""
}

// AddFix appends a fix and returns d.
func (d *Diagnostic) AddFix(f Fix) *Diagnostic {
	d.Fixes = append(d.Fixes, f)
	return d
}

// New returns a diagnostic with one message.
func New(kind Kind, pos Pos, format string, args ...any) *Diagnostic {
	return &Diagnostic{Kind: kind, Messages: []Message{{Pos: pos, Text: fmt.Sprintf(format, args...)}}}
}

// List is a list of diagnostics; as an error it reports them all.
type List []*Diagnostic

// Error joins the diagnostics' Error texts with newlines.
func (l List) Error() string {
	parts := make([]string, len(l))
	for i, d := range l {
		parts[i] = d.Error()
	}
	return strings.Join(parts, "\n")
}

// Err returns l as an error, or nil when empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
