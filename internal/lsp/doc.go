// Package lsp is konfig-lsp's language server: it serves the Language Server
// Protocol over a stream (stdio in the binary, an in-process pipe in tests)
// on top of the KCL packages, the schema catalog, the Konfig repository model
// and the engine.
//
// Serve is the entry point:
//
//	err := lsp.Serve(ctx, stdioReadWriteCloser, lsp.Options{Logger: logger})
//
// The server keeps an immutable snapshot of the workspace (open buffers over
// the disk) that every edit replaces; notifications are applied in wire
// order, requests run concurrently on the snapshot current when they
// arrive. Each LSP feature lives in a file of its own.
package lsp
