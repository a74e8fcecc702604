package sandbox

import (
	"os"
	"syscall"
)

// renameAt moves the last component of src's directory to the last
// component of dest's (renameat on the opened directories: nothing on
// either path is looked up again).
func renameAt(src, dest *parent, rs, rd string, _ *os.Root) error {
	if err := syscall.Renameat(int(src.dir.Fd()), src.base, int(dest.dir.Fd()), dest.base); err != nil {
		return &os.LinkError{Op: "rename", Old: rs, New: rd, Err: err}
	}
	return nil
}
