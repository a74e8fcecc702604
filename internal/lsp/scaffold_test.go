package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/konfig-lsp/konfig-lsp/internal/konfig"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
)

// TestNewStackCommand: konfig.newStack creates a stack through the
// client's workspace edit (the files the CLI's init would write), and
// refuses a directory outside the workspace or one that exists.
func TestNewStackCommand(t *testing.T) {
	root := filepath.Join(t.TempDir(), "konfig")
	testutil.CopyTree(t, filepath.Join(testutil.CorpusDir(t), "konfig"), root)
	s := startSession(t, root, Options{})
	run := func(arg string) (json.RawMessage, error) {
		res, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: cmdNewStack, Arguments: []protocol.LSPAny{protocol.LSPAny(arg)}})
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(res)
		return b, nil
	}
	res, err := run(`{"dir": "appops/wordpress/staging", "from": "dev"}`)
	if err != nil {
		t.Fatal(err)
	}
	var got newStackResult
	if err := json.Unmarshal(res, &got); err != nil || len(got.Files) < 4 {
		t.Fatalf("result %s: %v", res, err)
	}
	staging := filepath.Join(root, "appops", "wordpress", "staging")
	for _, f := range got.Files {
		if !strings.HasPrefix(f, staging) {
			t.Errorf("file %s outside the new stack", f)
		}
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s was not created by the client: %v", f, err)
		}
	}
	if len(s.client.Edited()) != len(got.Files) {
		t.Errorf("the client edited %d files, the server planned %d", len(s.client.Edited()), len(got.Files))
	}
	st, err := konfig.LoadStack(staging)
	if err != nil || st.Name != "staging" {
		t.Fatalf("the new stack: %v, %+v", err, st)
	}
	if _, err := konfig.Compile(s.ctx, st, konfig.CompileOptions{}); err != nil {
		t.Errorf("the new stack does not compile: %v", err)
	}
	for arg, want := range map[string]string{
		`{"dir": "appops/wordpress/staging"}`: "already exists",
		`{"dir": "/tmp/elsewhere"}`:           "outside the workspace folders",
		`{"dir": "../outside"}`:               "outside the workspace folders",
		`{"dir": "x", "kind": "repo"}`:        `kind "repo"`,
		`"appops/x"`:                          "must be an object with a dir",
	} {
		if _, err := run(arg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("newStack %s: %v, want an error with %q", arg, err, want)
		}
	}
}
