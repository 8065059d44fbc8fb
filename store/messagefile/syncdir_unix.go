//go:build !windows

package messagefile

import "os"

// syncDir fsyncs directory dir (relative to fsys), making the names
// created in it durable.
func syncDir(fsys *os.Root, dir string) error {
	d, err := fsys.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}
