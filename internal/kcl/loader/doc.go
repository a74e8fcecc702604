// Package loader is the one way KCL code is found and read: the module root
// (FindModRoot, ModRoot), the source-file filter (IsSource), input
// expansion (ExpandFiles), the mapping from an import to the files of a
// package (Loader.Import, Loader.PackageFiles, external packages included)
// and one content-addressed parse cache (Cache) that the resolver (sema),
// the evaluator (eval), `run` (kclrun), konfig and the language server
// share.
//
// Every file is reached through an FS — in practice the run's sandbox
// (*sandbox.FS), which keeps every read beneath the repository root — and
// an Overlay, the editor's open buffers, is consulted first:
//
//	l := &loader.Loader{Root: modRoot, External: ext, FS: fsys, Overlay: loader.Buffers(open), Cache: cache}
//	imp := l.Import("/repo/app/main.k", 0, "base.pkg")
//	files, err := l.PackageFiles(imp.Base)
//	pf, err := l.Parse(files[0])
//
// The module root follows `kcl run`: the directory of the nearest kcl.mod
// at or above the inputs (when every input agrees), else the nearest
// kcl.mod of the working directory, else the working directory itself — a
// directory without kcl.mod is its own root. The language server, which
// has no working directory, passes the opened file's directory.
package loader
