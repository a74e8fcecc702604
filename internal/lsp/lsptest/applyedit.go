package lsptest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.lsp.dev/protocol"
)

// ApplyEdit applies a workspace/applyEdit on disk as an editor would: file
// creations (refused when the file exists, unless asked to overwrite) and
// text edits of files. It records each file changed (Edited).
func (c *Client) ApplyEdit(_ context.Context, p *protocol.ApplyWorkspaceEditParams) (*protocol.ApplyWorkspaceEditResult, error) {
	fail := func(err error) (*protocol.ApplyWorkspaceEditResult, error) {
		reason := err.Error()
		return &protocol.ApplyWorkspaceEditResult{Applied: false, FailureReason: &reason}, nil
	}
	for _, ch := range p.Edit.DocumentChanges {
		switch d := ch.(type) {
		case *protocol.CreateFile:
			path := d.URI.FsPath()
			if _, err := os.Stat(path); err == nil && (d.Options == nil || d.Options.Overwrite == nil || !*d.Options.Overwrite) {
				return fail(fmt.Errorf("%s exists", path))
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fail(err)
			}
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				return fail(err)
			}
		case *protocol.TextDocumentEdit:
			path := d.TextDocument.URI.FsPath()
			var edits []protocol.TextEdit
			for _, e := range d.Edits {
				if te, ok := e.(*protocol.TextEdit); ok {
					edits = append(edits, *te)
				}
			}
			if err := editFile(path, edits); err != nil {
				return fail(err)
			}
			c.mu.Lock()
			c.edited = append(c.edited, path)
			c.mu.Unlock()
		default:
			return fail(fmt.Errorf("unsupported document change %T", ch))
		}
	}
	for u, edits := range p.Edit.Changes {
		if err := editFile(u.FsPath(), edits); err != nil {
			return fail(err)
		}
		c.mu.Lock()
		c.edited = append(c.edited, u.FsPath())
		c.mu.Unlock()
	}
	return &protocol.ApplyWorkspaceEditResult{Applied: true}, nil
}

// Edited returns the files that workspace/applyEdit changed, in order.
func (c *Client) Edited() []string { return c.strings(&c.edited) }

// editFile applies text edits (positions in bytes of ASCII text) to a file,
// last first.
func editFile(path string, edits []protocol.TextEdit) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	src := string(data)
	offset := func(p protocol.Position) int {
		lines := strings.SplitAfter(src, "\n")
		off := 0
		for i := 0; i < int(p.Line) && i < len(lines); i++ {
			off += len(lines[i])
		}
		return min(off+int(p.Character), len(src))
	}
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		s, t := offset(e.Range.Start), offset(e.Range.End)
		src = src[:s] + e.NewText + src[t:]
	}
	return os.WriteFile(path, []byte(src), 0o644)
}
