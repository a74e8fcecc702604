package diag

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/konfig-lsp/konfig-lsp/internal/testutil"
	"golang.org/x/tools/txtar"
)

// TestRender renders the diagnostic of each testdata/render/*.txtar case
// (diag.json, with the other sections as source files) and compares the text
// with the case's want section.
func TestRender(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "render", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no render cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			src := FileSource{Overlay: map[string][]byte{}}
			var d Diagnostic
			wantIdx := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "diag.json":
					if err := json.Unmarshal(f.Data, &d); err != nil {
						t.Fatalf("diag.json: %v", err)
					}
				case "want":
					wantIdx = i
				default:
					src.Overlay[f.Name] = f.Data
				}
			}
			if wantIdx < 0 {
				t.Fatal("no want section")
			}
			var got bytes.Buffer
			Render(&got, &d, src)
			testutil.GoldenSection(t, file, ar, "want", got.Bytes())
		})
	}
}

func TestRenderError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", errors.New("boom"), "error[E3M38]: EvaluationError\nboom\n"},
		{"list", List{
			New(CompileError, Pos{}, "first"),
			New(NameError, Pos{}, "second"),
		}, "error[E2L23]: CompileError\nfirst\nerror[E1001]: NameError\nsecond\n"},
		{"wrapped", errors.Join(New(TypeError, Pos{}, "x")), "error[E2G22]: TypeError\nx\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			RenderError(&b, tt.err, nil)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("RenderError mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
