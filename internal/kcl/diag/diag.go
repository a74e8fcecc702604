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
type Diagnostic struct {
	Kind     Kind
	Warning  bool
	Messages []Message
	// Backtrace lines for -d (optional).
	Backtrace []Pos
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
