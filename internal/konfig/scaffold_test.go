package konfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScaffoldReadsThroughTheSandbox: a sibling stack whose file is a link
// to a file outside the repository is not copied into the new stack (its
// content would land in the workspace): the scaffold is refused.
func TestScaffoldReadsThroughTheSandbox(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "credentials")
	files := map[string]string{
		"kcl.mod":            "[package]\n",
		"app/project.yaml":   "name: app\n",
		"app/dev/stack.yaml": "name: dev\n",
		"app/dev/settings.k": "a = 1\n",
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(secret, []byte("token-c0ffee"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(root, "app", "dev", "main.k")); err != nil {
		t.Fatal(err)
	}
	planned, err := ScaffoldStack(filepath.Join(root, "app", "staging"), "dev")
	for _, f := range planned {
		if strings.Contains(string(f.Data), "token-c0ffee") {
			t.Fatalf("the scaffold copied the linked file's content into %s", f.Path)
		}
	}
	if err == nil {
		t.Fatalf("ScaffoldStack copied a stack holding a link out of the repository: %d files planned", len(planned))
	}
	t.Logf("refused: %v", err)
}
