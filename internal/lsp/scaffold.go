package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
)

// cmdNewStack scaffolds a stack or a project ("New stack…" in the editors):
// the server plans the files as `konfig-lsp init` does and asks the client
// to create them with workspace/applyEdit, so that the user sees them and
// can undo.
const cmdNewStack = "konfig.newStack"

// newStackArgs is the argument of konfig.newStack.
type newStackArgs struct {
	// Dir is the new stack's (or project's) directory: absolute, or
	// relative to the first workspace folder.
	Dir string `json:"dir"`
	// Kind is "stack" (default) or "project".
	Kind string `json:"kind,omitempty"`
	// From names the sibling stack (kind stack) or project (kind project)
	// to copy; "" takes the first.
	From string `json:"from,omitempty"`
	// Stack is the first stack's name of a new project (default dev).
	Stack string `json:"stack,omitempty"`
}

// newStackResult is what konfig.newStack returns: the files created.
type newStackResult struct {
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
}

func (s *server) newStackCommand(ctx context.Context, params *protocol.ExecuteCommandParams) (protocol.LSPAny, error) {
	if len(params.Arguments) != 1 {
		return nil, fmt.Errorf("%s takes one argument ({dir, kind, from, stack}), got %d", cmdNewStack, len(params.Arguments))
	}
	var a newStackArgs
	if err := json.Unmarshal(params.Arguments[0], &a); err != nil || a.Dir == "" {
		return nil, fmt.Errorf("%s: the argument must be an object with a dir: %v", cmdNewStack, err)
	}
	roots := s.session.snapshot().roots
	if len(roots) == 0 {
		return nil, fmt.Errorf("%s: no workspace folder to create the stack in", cmdNewStack)
	}
	dir := a.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(roots[0], dir)
	}
	dir = filepath.Clean(dir)
	inside := false
	for _, r := range roots {
		if rel, err := filepath.Rel(r, dir); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			inside = true
		}
	}
	if !inside {
		return nil, fmt.Errorf("%s: %s is outside the workspace folders", cmdNewStack, dir)
	}
	var files []konfig.ScaffoldFile
	var err error
	switch a.Kind {
	case "", "stack":
		files, err = konfig.ScaffoldStack(dir, a.From)
	case "project":
		stack := a.Stack
		if stack == "" {
			stack = "dev"
		}
		files, err = konfig.ScaffoldProject(dir, a.From, stack)
	default:
		return nil, fmt.Errorf("%s: kind %q: want stack or project", cmdNewStack, a.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmdNewStack, err)
	}
	edit := protocol.WorkspaceEdit{}
	res := newStackResult{Dir: dir}
	no := false
	for _, f := range files {
		u := pathURI(f.Path)
		edit.DocumentChanges = append(edit.DocumentChanges,
			&protocol.CreateFile{Kind: "create", URI: u, Options: &protocol.CreateFileOptions{Overwrite: &no}},
			&protocol.TextDocumentEdit{
				TextDocument: protocol.OptionalVersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}},
				Edits:        []protocol.TextDocumentEditElement{&protocol.TextEdit{Range: lspRange(protocol.Position{}, protocol.Position{}), NewText: string(f.Data)}},
			})
		res.Files = append(res.Files, f.Path)
	}
	label := "New stack " + filepath.Base(dir)
	if a.Kind == "project" {
		label = "New project " + filepath.Base(dir)
	}
	applied, err := s.client.ApplyEdit(ctx, &protocol.ApplyWorkspaceEditParams{Label: &label, Edit: edit})
	if err != nil {
		return nil, fmt.Errorf("%s: the editor could not create the files: %w", cmdNewStack, err)
	}
	if applied == nil || !applied.Applied {
		reason := "it declined"
		if applied != nil && applied.FailureReason != nil {
			reason = *applied.FailureReason
		}
		return nil, fmt.Errorf("%s: the editor did not create the files: %s", cmdNewStack, reason)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	return b, nil
}
