//go:build !linux

package messagefile

import (
	"io"
	"os"
)

// fastFS exists only on Linux (see dircache_linux.go). Elsewhere New
// leaves Store.fast nil, so none of these methods is ever called.
type fastFS struct{}

// newFastFS returns nil: the Store uses its os.Root.
func newFastFS(*os.Root, string, bool) (*fastFS, error) { return nil, nil }

const noFastFS = "messagefile: no fast file operations on this system"

func (*fastFS) close()                                    { panic(noFastFS) }
func (*fastFS) forgetTree(string)                         { panic(noFastFS) }
func (*fastFS) open(string) (*os.File, error)             { panic(noFastFS) }
func (*fastFS) syncDir(string) error                      { panic(noFastFS) }
func (*fastFS) mkdir(string) error                        { panic(noFastFS) }
func (*fastFS) removeFile(string) error                   { panic(noFastFS) }
func (*fastFS) removeEmptyDir(string) error               { panic(noFastFS) }
func (*fastFS) link(string, string) error                 { panic(noFastFS) }
func (*Store) writeFast(string, io.Reader) (int64, error) { panic(noFastFS) }
