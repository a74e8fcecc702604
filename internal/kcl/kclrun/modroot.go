package kclrun

import (
	"path/filepath"
	"strings"
)

// The module root, ${KCL_MOD} and directory inputs are package loader's
// (loader.ModRoot, loader.ExpandFiles); what stays here is the sandbox
// root of a run.

// commonRoot returns the deepest directory that holds root and every path
// of more (files stand for their directory).
func commonRoot(root string, more ...string) string {
	for _, m := range more {
		m = filepath.Clean(m)
		for root != filepath.Dir(root) && !within(root, m) {
			root = filepath.Dir(root)
		}
	}
	return root
}

// within reports whether p is root or beneath it, lexically.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
