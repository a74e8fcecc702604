// Package format prints KCL syntax trees as the official formatter (`kcl
// fmt`) does, byte for byte on its own test data (see TestReference): the
// official code style (kcl-lang.io "Code Style": 4-space indentation, single
// spaces around binary operators and after commas and colons), and the
// official formatter's layout rules:
//
//   - a comment written at the end of the first line of a statement, schema
//     attribute, config entry or list element is printed on a line of its
//     own above it; a comment inside an expression printed on one line waits
//     for the next such place; a comment before an else, elif or check:
//     header goes inside its block; every comment is kept, in order;
//   - a blank line between two statements where the source had two lines or
//     more between them, or one empty line (dropped when the next statement's
//     first line carries a comment); one after the import block, after every
//     schema definition and after an if statement without else; none between
//     config entries or list elements;
//   - a list or config is printed one item per line when an item starts on
//     another line than its opening bracket (or is an if entry, or is a
//     single nested config), without commas; calls, comprehensions and line
//     continuations on one line; lambdas with a block body, their parameters
//     one per line past 80 columns.
//
// Where the official formatter is not idempotent (it adds a blank line or
// breaks a list on its second run), we print its second run's result at
// once; where it would change a program's meaning or lose a comment's place
// (a float literal rewritten through its value, a comment among call
// arguments or beside a comprehension's element, a comment after the last
// statement of an indented block, which it would move to the next
// statement), we keep the source's spelling, lines or place. Each rule has
// a case of its own in testdata/.
//
// Format a source file with Source, which parses it first:
//
//	out, err := format.Source("main.k", src)
//
// A syntax error yields a *SyntaxError ("file:line:col: message") and no
// output. Print an already parsed file with File, or any single node
// (expression, statement, type) without comments with Node (on as few lines
// as the syntax allows) or NodeSource (laid out as in its source).
package format

import (
	"errors"
	"fmt"
	"strings"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/diag"
	"github.com/konfig-lsp/konfig-lsp/internal/kcl/syntax"
)

// SyntaxError reports that a file could not be formatted because it does not
// parse. Its message lists each error as `file:line:col: message`.
type SyntaxError struct {
	Diags []*diag.Diagnostic
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	for i, d := range e.Diags {
		if i > 0 {
			b.WriteByte('\n')
		}
		m := d.Primary()
		fmt.Fprintf(&b, "%s: %s", m.Pos, m.Text)
	}
	return b.String()
}

// Unwrap returns the diagnostics as errors.
func (e *SyntaxError) Unwrap() []error {
	errs := make([]error, len(e.Diags))
	for i, d := range e.Diags {
		errs[i] = d
	}
	return errs
}

// Source parses src as the KCL file filename and returns it formatted. On a
// syntax error it returns a *SyntaxError and no output.
func Source(filename string, src []byte) ([]byte, error) {
	f, diags := syntax.ParseFile(filename, src)
	var errs []*diag.Diagnostic
	for _, d := range diags {
		if d != nil && !d.Warning {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		return nil, &SyntaxError{Diags: errs}
	}
	return File(f)
}

// File prints a parsed file with its comments. The file must be free of
// syntax errors (no *BadStmt or *BadExpr); f.Src must be the source its
// positions refer to.
func File(f *syntax.File) ([]byte, error) {
	if f == nil {
		return nil, errors.New("format: nil file")
	}
	comments := f.Comments
	if f.Src != nil {
		// The printer finds the comments in the source itself, so that it
		// does not depend on the parser having recorded every one of them.
		comments = scanComments(f.Src)
	}
	p := newPrinter(f.Src, comments)
	if err := p.file(f); err != nil {
		return nil, fmt.Errorf("format %s: %w", f.Filename, err)
	}
	return p.bytes(), nil
}

// Node prints a single node (a *File, a statement, an expression, a
// *TypeExpr, or one of the auxiliary nodes such as *ConfigEntry) in the
// official style, without comments (except for a *File, whose comments are
// printed). Layout choices that depend on the source (one item per line)
// use the node's positions when it has them; a node built by hand prints on
// as few lines as the syntax allows.
func Node(node syntax.Node) (string, error) {
	if f, ok := node.(*syntax.File); ok {
		out, err := File(f)
		return string(out), err
	}
	p := newPrinter(nil, nil)
	if err := p.node(node); err != nil {
		return "", fmt.Errorf("format: %w", err)
	}
	return strings.TrimSuffix(string(p.bytes()), "\n"), nil
}

// NodeSource prints a node of a tree parsed from src like Node, but lays out
// bracketed constructs as the source did (one item per line where the source
// had line breaks), for previews of multi-line code. Comments are not printed.
func NodeSource(node syntax.Node, src []byte) (string, error) {
	if f, ok := node.(*syntax.File); ok {
		out, err := File(f)
		return string(out), err
	}
	p := newPrinter(src, nil)
	if err := p.node(node); err != nil {
		return "", fmt.Errorf("format: %w", err)
	}
	return strings.TrimSuffix(string(p.bytes()), "\n"), nil
}
