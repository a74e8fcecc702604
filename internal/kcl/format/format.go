// Package format prints KCL syntax trees in the official KCL code style
// (kcl-lang.io "Code Style"): 4-space indentation, single spaces around
// binary operators and after commas and colons, at most one blank line
// between statements, one blank line after the import block and around
// top-level schema definitions, and every comment kept where it was written
// (own-line comments before the code they precede, trailing comments at the
// end of their line).
//
// Format a source file with Source, which parses it first:
//
//	out, err := format.Source("main.k", src)
//
// A syntax error yields a *SyntaxError ("file:line:col: message") and no
// output. Print an already parsed file with File, or any single node
// (expression, statement, type) without comments with Node (on as few lines
// as the syntax allows) or NodeSource (laid out as in its source).
//
// Layout decisions follow the source where the style leaves a choice: a
// bracketed construct (config, list, call arguments) is printed one item per
// line when its items were on separate lines in the source, and on one line
// otherwise; string and number literals are printed exactly as written.
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
