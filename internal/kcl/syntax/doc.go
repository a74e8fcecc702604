// Package syntax is the front end of the KCL implementation: tokens, a
// scanner, the AST with source positions, and an error-tolerant parser.
//
// Parse a file with ParseFile, which always returns a non-nil *File together
// with the syntax errors found (as *diag.Diagnostic values, kind
// InvalidSyntax as the official compiler reports them, message texts in its
// wording where the conformance corpus shows them):
//
//	f, errs := syntax.ParseFile("main.k", src)
//
// Parse a single expression (for -D values and editor features) with
// ParseExpr, and a type annotation with ParseType. Traverse trees with Walk
// or Inspect, and print them for tests and debugging with Dump.
//
// AST conventions: every node embeds a Span (Start and Stop positions; Pos
// has a byte offset, a 1-based line and a 1-based byte column; Pos.CharCol
// and File.DiagPos give KCL's character column). Identifiers are single
// names (*Ident); dotted names are *SelectorExpr chains (see DottedName).
// Missing or broken expressions are *BadExpr, broken statements *BadStmt.
// Comments are collected in File.Comments; docstrings are kept in File.Doc,
// SchemaStmt.DocLit and RuleStmt.DocLit.
//
// Error recovery: the parser never panics (a recover turns an unexpected
// failure into a diagnostic) and bounds nesting at MaxNesting. It resumes at
// statement boundaries (an unexpected token is reported and skipped, and the
// next statement may start on the same line), at list items and config
// entries (a broken entry is skipped up to a comma, a line break or the
// closing bracket), and after unclosed brackets: a line inside brackets that
// starts a new statement (a name or decorator indented no deeper than the
// line that opened the outermost bracket) closes them, so an unfinished
// `frontend.Server {` followed by a half-typed name yields a config with a
// partial entry (Key set, Value nil) and the rest of the file parses.
//
// Lists and configs accept items separated by line breaks; there a line
// break ends an item's expression, so an operator or `(`/`[` at the start of
// the next line begins a new item. Lambda bodies are scanned in block mode:
// inside `lambda … { … }` NEWLINE/INDENT/DEDENT tokens are produced as at
// the top level.
package syntax
