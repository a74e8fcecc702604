// Package hostile is the acceptance suite of workspace trust (issue 12): a
// set of hostile Konfig workspaces, each run through every CLI command that
// evaluates (run, compile, check, preview) and through the language server
// over JSON-RPC, with the built konfig-lsp binary as a subprocess.
//
// Each case is a txtar archive in testdata/ layered over testdata/_base.txtar
// (a small Konfig: kcl.mod, a fake .git, project app with stack app/dev and
// a model library). The archive comment holds directives, one a line:
//
//	stack: app/dev                    stack directory (default app/dev)
//	open: app/dev/main.k              file the server opens (default <stack>/main.k);
//	                                  more open lines: files opened after it
//	hover: web                        hover at the first occurrence of this word in the opened file
//	symlink: app/dev/x.k -> ${OUTSIDE}/secret.txt
//	generate: app/dev/big.k 50MB      a KCL file of about this size, written at test time
//	timeout: 3s                       --timeout for the CLI, evalTimeoutMs for the server
//	settings: {"trusted": false}      merged into the server's initializationOptions
//	env-visible: run                  modes in which the env canary may appear (read_env in run)
//	secret: VALUE [mode...]           another string that must not appear (in these modes; default all)
//	modes: compile lsp                the modes to run (default run compile check preview lsp)
//	flags: compile --allow-file-writes   more flags of one mode's command
//
// ${OUTSIDE} (a directory beside the workspace holding a sentinel and a
// secret file) and ${ROOT} (the workspace) are substituted in file contents
// and symlink targets. The file "expect" is not written: its lines
// "mode: text|other text" (mode "*" for every mode without lines of its
// own) say which text the command's output (CLI: stdout and stderr, with a
// non-zero exit status; server: the diagnostics, shown messages and
// answers it sends, not its log) must contain; several lines of a mode
// must all match, in this order (for the server: in the order it sent
// them). "ok" asks for exit status 0 instead, and "ok text" for exit
// status 0 with text in the output.
//
// Every run asserts, whatever the case: nothing changed outside the allowed
// places (the whole workspace and the outside directory are hashed before
// and after; the CLI's run may change files of the workspace except under
// .git/ and a .konfig state directory; no other mode may change anything),
// the env canary KONFIG_HOSTILE_CANARY (set in the child's environment, also
// base64-encoded) and the outside secret never appear in any output, the
// process ends within its bound, and its peak RSS stays under 512 MB (CLI)
// or 1 GiB (server).
package hostile
