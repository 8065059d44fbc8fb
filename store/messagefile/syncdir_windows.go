//go:build windows

package messagefile

import "os"

// syncDir does nothing on Windows. There is no directory fsync there: the
// os package cannot open a directory for FlushFileBuffers, so the
// durability of a new name rests on NTFS's own metadata journal.
func syncDir(fsys *os.Root, dir string) error {
	return nil
}
