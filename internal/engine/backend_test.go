package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadBackendConfig(t *testing.T) {
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root := t.TempDir()
	proj := filepath.Join(root, "shop")
	write(filepath.Join(proj, "project.yaml"), "name: shop-app\nbackend:\n  type: kubernetes\n  namespace: team-state\n")
	write(filepath.Join(proj, "dev", "stack.yaml"), "name: dev\n")
	write(filepath.Join(proj, "prod", "stack.yaml"), "name: prod\nbackend:\n  type: local\n")
	write(filepath.Join(proj, "bad", "stack.yaml"), "backend:\n  type: s3\n")
	write(filepath.Join(root, "solo", "stack.yaml"), "")

	tests := []struct {
		dir  string
		want BackendConfig
		err  string
	}{
		{dir: filepath.Join(proj, "dev"), want: BackendConfig{Type: BackendKubernetes, Namespace: "team-state", Stack: "shop-app/dev", From: filepath.Join(proj, "project.yaml")}},
		{dir: filepath.Join(proj, "prod"), want: BackendConfig{Type: BackendLocal, Stack: "shop-app/prod", From: filepath.Join(proj, "prod", "stack.yaml")}},
		{dir: filepath.Join(root, "solo"), want: BackendConfig{Type: BackendLocal, Stack: filepath.Base(root) + "/solo"}},
		{dir: filepath.Join(proj, "bad"), err: `backend type "s3" (` + filepath.Join(proj, "bad", "stack.yaml") + `): want local or kubernetes`},
	}
	for _, tt := range tests {
		got, err := ReadBackendConfig(tt.dir)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.dir, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.dir, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.dir, diff)
		}
	}
}
