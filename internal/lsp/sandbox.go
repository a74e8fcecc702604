package lsp

import (
	"errors"
	"slices"
	"sync"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/sandbox"
)

// evalDenyReason is the reason a write by KCL code fails in the server.
const evalDenyReason = "the language server evaluates without side effects"

// evalPolicy is the sandbox policy of every evaluation the server runs
// (policy diagnostics, hover previews, engine commands): no file writes
// (file.write/append/delete/mkdir/cp/mv fail with an EvaluationError giving
// evalDenyReason), reads only beneath the stack's root, and read_env sees
// only the variables of the `allowedEnv` setting.
func (s *server) evalPolicy() sandbox.Policy {
	s.mu.Lock()
	env := slices.Clone(s.settings().AllowedEnv)
	s.mu.Unlock()
	return sandbox.Policy{DenyReason: evalDenyReason, AllowEnv: env}
}

// readDenyReason is the reason a write through the resolver's sandbox
// fails (the resolver never writes).
const readDenyReason = "the language server's resolver only reads KCL files"

// readSandboxes are the read-only sandboxes of the resolver's loads (sema
// Programs), one per root. A Program reads through its sandbox for as long
// as it is updated (program.go), so they stay open until the server ends.
type readSandboxes struct {
	mu     sync.Mutex
	byRoot map[string]*sandbox.FS
}

// readSandbox returns the read-only sandbox rooted at root, opening it on
// first use.
func (s *server) readSandbox(root string) (*sandbox.FS, error) {
	rs := &s.readFS
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if f := rs.byRoot[root]; f != nil {
		return f, nil
	}
	f, err := sandbox.Open(root, sandbox.Policy{DenyReason: readDenyReason})
	if err != nil {
		return nil, err
	}
	if rs.byRoot == nil {
		rs.byRoot = map[string]*sandbox.FS{}
	}
	rs.byRoot[root] = f
	return f, nil
}

// closeReadSandboxes closes the resolver's sandboxes (the server ends).
func (s *server) closeReadSandboxes() {
	rs := &s.readFS
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, f := range rs.byRoot {
		f.Close()
	}
	rs.byRoot = nil
}

// sandboxRoot is the root of the resolver's sandbox for u: the stack's
// evaluation root (konfig.Stack.Root) for a stack's unit, the module root
// for a package's (as its evaluation would have).
func sandboxRoot(u unit) string {
	if u.stack != nil && u.stack.Root != "" {
		return u.stack.Root
	}
	return u.modRoot
}

// readable drops from files those the sandbox refuses (a symbolic link
// leading outside its root), except open buffers (overlay): the editor
// holds their text.
func readable(fsys *sandbox.FS, files []string, overlay map[string][]byte) []string {
	out := files[:0:0]
	for _, f := range files {
		if _, open := overlay[f]; !open {
			var refused *sandbox.Error
			if _, err := fsys.Stat(f); errors.As(err, &refused) {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// sandboxedRead returns a reader of snap's files for the features that read
// files beyond the resolver (problem locations, merged declarations,
// workspace symbols, the stacks including a file): an open buffer, else the
// file on disk read through the read-only sandbox at root, so that a link
// leading outside is refused there too.
func (s *server) sandboxedRead(snap *snapshot, root string) func(string) ([]byte, error) {
	fsys, err := s.readSandbox(root)
	return func(p string) ([]byte, error) {
		if d := snap.doc(p); d != nil {
			return d.data, nil
		}
		if err != nil {
			return nil, err
		}
		return fsys.ReadFile(p)
	}
}

// sandboxedText is sandboxedRead's text of path.
func (s *server) sandboxedText(snap *snapshot, root, path string) (*text, error) {
	if d := snap.doc(path); d != nil {
		return d.text, nil
	}
	b, err := s.sandboxedRead(snap, root)(path)
	if err != nil {
		return nil, err
	}
	return newText(string(b)), nil
}
