//go:build !linux

package sandbox

import "os"

// renameAt moves rs to rd through os.Root (which keeps both beneath the
// root; the protection checks were made on the opened parents).
func renameAt(_, _ *parent, rs, rd string, root *os.Root) error {
	return root.Rename(rs, rd)
}
