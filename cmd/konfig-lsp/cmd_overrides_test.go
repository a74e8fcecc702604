package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompileOverrides: compile -O changes the compiled resources (never the
// files), and a bad spec fails with the spec named.
func TestCompileOverrides(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples", "shop", "dev")
	before, err := os.ReadFile(filepath.Join(dir, "main.k"))
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := execRoot(t, "compile", dir, "-O", `storefront.image="ghcr.io/acme/storefront:2.0.0"`)
	if code != 0 || !strings.Contains(out, "image: ghcr.io/acme/storefront:2.0.0") || strings.Contains(out, "storefront:1.4.0") {
		t.Errorf("compile -O image: exit %d, stderr %q; the output does not hold the overridden image", code, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "main.k")); string(after) != string(before) {
		t.Errorf("compile -O changed main.k")
	}
	if _, errOut, code := execRoot(t, "compile", dir, "-O", "nosuch.x=1"); code != 1 || !strings.Contains(errOut, `override "nosuch.x=1": no top-level nosuch`) {
		t.Errorf("compile -O nosuch.x=1: exit %d, stderr %q", code, errOut)
	}
}
