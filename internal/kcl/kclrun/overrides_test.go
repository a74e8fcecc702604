package kclrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunOverrides runs programs with -O: the result changes as kcl run -O
// changes it, the file on disk does not, and a bad spec is an error.
func TestRunOverrides(t *testing.T) {
	dir := t.TempDir()
	src := "schema App:\n    name: str\n    replicas: int = 1\n    labels?: {str:str}\n\napp = App {\n    name = \"web\"\n}\n"
	main := filepath.Join(dir, "main.k")
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		overrides []string
		code      int
		stdout    string
		stderr    string
	}{
		{[]string{"app.replicas=5", `:app.name="api"`}, 0, "app:\n  name: api\n  replicas: 5\n", ""},
		{[]string{`app.labels.team="a"`}, 0, "app:\n  name: web\n  replicas: 1\n  labels:\n    team: a\n", ""},
		{[]string{"app.name-"}, 1, "", "attribute 'name' of App is required"},
		{[]string{"extra=[1]"}, 0, "app:\n  name: web\n  replicas: 1\nextra:\n- 1\n", ""},
		{[]string{"app.replicas"}, 1, "", `invalid override "app.replicas"`},
		{[]string{"pkg:app.replicas=2"}, 1, "", "only the main package"},
		{[]string{"nothing.x=1"}, 1, "", "no top-level nothing"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.overrides, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), Args{Files: []string{main}, WorkDir: dir, Overrides: tt.overrides}, &stdout, &stderr)
			if code != tt.code || stdout.String() != tt.stdout && tt.code == 0 || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("run -O %q: exit %d (want %d)\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant containing %q", tt.overrides, code, tt.code, stdout.String(), tt.stdout, stderr.String(), tt.stderr)
			}
		})
	}
	if got, _ := os.ReadFile(main); string(got) != src {
		t.Errorf("-O changed the file on disk:\n%s", got)
	}
}
