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
// the disk, and the settings) that every edit, file event and settings
// change replaces; notifications are applied in wire order, requests run
// concurrently on the snapshot current when they arrive. Each LSP feature
// lives in a file of its own.
//
// # Snapshots and derived state
//
// The message loop takes a request's snapshot when it reads the request,
// before releasing it to run concurrently (conn.go): the request sees every
// notification read before it and none read after, however late its
// goroutine runs. A feature is a function of its context, that snapshot and
// a position (requestSnapshot, document, at).
//
// What is derived from a snapshot is asked of it and cached by content in
// the session's store (store.go), shared by every snapshot: parses (the KCL
// loader's content-addressed cache, one for the features, the resolver and
// stack evaluation, with the snapshot as the overlay of open buffers; the
// store keeps each path's latest two in front of it) and resolved programs
// by unit (a stack's main package, or a file's package directory). A
// program records the buffers and the disk events it was built from: the
// next snapshot uses it as it is when nothing it reads changed, updates it
// (only the packages touched are resolved again) when something did, and
// builds it afresh — sharing the unchanged packages of a program of the
// same module — when the store dropped it. The store is bounded: past the
// `cacheMemoryMiB` budget (an estimate from the sources' size) the least
// recently used entries are dropped.
//
// # Lifecycle
//
// The server follows the LSP lifecycle (lifecycle.go, enforced on the read
// loop in wire order by the handler in conn.go):
//
//   - Before initialize, a request is answered ServerNotInitialized (-32002)
//     and a notification is dropped with a log line, except exit.
//     initialize is handled inline: nothing else runs before its result. A
//     second initialize is InvalidRequest (-32600); a failed one may be
//     retried.
//   - After shutdown, every request (shutdown included) is answered
//     InvalidRequest (-32600) and notifications other than exit are dropped.
//   - exit ends Serve. Serve returns nil after shutdown, and
//     ErrExitWithoutShutdown without it; the serve command exits with
//     status 0 and 1 respectively. The input ending without exit ends Serve
//     with nil.
//
// # Malformed messages
//
// The server reads LSP frames itself (wire.go) so that no input ends or
// desynchronises it; every event below is logged:
//
//   - A body that is not JSON, or not a complete JSON object within its
//     Content-Length, is answered ParseError (-32700) with id null. A JSON
//     body that is not a request is answered InvalidRequest (-32600), with
//     its id when that is an integer or a string, else null; a malformed
//     response from the client is dropped; a batch (array) is InvalidRequest,
//     as the LSP does not use batches.
//   - The frame's body is the JSON object after the header: a Content-Length
//     larger than the object does not swallow the next message; one shorter
//     leaves an incomplete body (ParseError).
//   - Bytes that are not a header block (a line that is not `Name: value`, a
//     missing, non-numeric, zero, over-256-MiB or conflicting Content-Length)
//     and broken bodies are skipped up to the next `Content-Length: <digits>`
//     line, which no JSON text can contain: the stream resynchronises there.
//   - `$/cancelRequest` cancels the running request with its integer or
//     string id; a null, missing, otherwise typed or unknown id is ignored
//     with a log line. A notification whose params do not decode is logged
//     and dropped; a request's is answered with an error.
//
// # Document synchronisation
//
// Lines end at CR, LF or CRLF in every LSP position (text.go), with columns
// in UTF-16 code units; the KCL packages' own line:column positions (lines
// ending at LF only) are converted through their byte offsets.
//
// A didChange is applied only as a whole: it is rejected, and the text stays
// as it was, when its params are malformed (a range that is not two
// positions of non-negative integers, a missing text or version), when a
// range does not fit the text (a line past the end, a character past its
// line's end or inside a surrogate pair, a start after the end) or when the
// version does not increase. Positions in requests keep the LSP's leniency
// (a character past the line end means the line end); in an edit such a
// position means the editor's text and ours differ.
//
// A rejected change puts the document out of sync: its diagnostics are
// withdrawn (an empty publishDiagnostics) and held back, requests naming it
// are answered ContentModified (-32801), incremental changes to it are
// ignored, and the user gets one window/showMessage warning asking to reopen
// the file (the LSP has no way to ask the client to resend a document). A
// didChange holding a whole-document change (applied from the last one), a
// didOpen or a didClose brings it back in sync.
package lsp
