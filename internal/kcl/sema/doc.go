// Package sema is the static semantic model of a KCL program: it loads the
// main-package files and every package they import, and resolves them
// without evaluating anything. It builds scopes (package, file, schema,
// lambda, comprehension, config, check), symbols (definitions and the
// references to them, per file sorted by position, with a reverse index),
// schema descriptions (attributes through inheritance, mixins and
// protocols), inferred types, and the compile-time diagnostics of the
// official resolver (TypeError, CompileError, ImmutableError, …) with
// KCL's messages.
//
// Construct a Program with Load, then derive new versions with Update:
//
//	prog, err := sema.Load(ctx, sema.Config{ModRoot: root, Files: files})
//	occ := prog.SymbolAt(file, line, col)   // 1-based line, 1-based byte column
//	locs := prog.DefinitionOf(occ.Sym)
//	refs := prog.References(occ.Sym)
//	next, err := prog.Update(ctx, map[string][]byte{file: newSrc})
//
// Programs are immutable and safe for concurrent queries; Update re-resolves
// only the packages whose files changed and the packages that import them,
// sharing the others. Config.Reuse shares the unchanged packages of another
// Program of the same module (another stack). For completion, ScopeAt,
// TypeAt, TypeEndingAt and Members answer "what is visible here" and "what
// does `x.` offer"; ExpectedSchemaAt gives the schema a config block
// expects (package schema builds the editor's catalog on top of it).
package sema
