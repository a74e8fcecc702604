// Package syntax is the front end of the KCL implementation: tokens, a
// scanner, the AST with source positions, and an error-tolerant parser.
//
// Parse a file with ParseFile, which always returns a non-nil *File together
// with the syntax errors found (as *diag.Diagnostic values):
//
//	f, errs := syntax.ParseFile("main.k", src)
//
// Parse a single expression (for -D values and editor features) with
// ParseExpr. Traverse trees with Walk or Inspect, and print them for tests
// and debugging with Dump.
//
// AST conventions: every node embeds a Span (Start and Stop positions; Pos
// has a byte offset, a 1-based line and a 1-based byte column; Pos.CharCol
// gives KCL's character column). Identifiers are single names (*Ident);
// dotted names are *SelectorExpr chains (see DottedName). Missing or broken
// expressions are *BadExpr, broken statements *BadStmt.
package syntax
