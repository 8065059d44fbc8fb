//go:build linux

package messagefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// tempFile is a file being written by writeFast: an O_TMPFILE, which has
// no name until it is linked to its final one, or, where O_TMPFILE is not
// available, a file with a temporary name in the final directory.
type tempFile struct {
	fd   int        // -1 once closed
	dir  *dirHandle // the directory it is in, acquired
	name string     // the temporary name; "" for an O_TMPFILE
}

func (t *tempFile) closeFD() error {
	err := unix.Close(t.fd)
	t.fd = -1
	return err
}

// writeFast is WriteBeforeDirSync with fastFS. The content goes to an
// O_TMPFILE in the final directory, is fsynced, and the file is then
// linked to its final name: one new directory entry, where a named
// temporary file costs a create, a link and an unlink. A crash before the
// link leaves only an unnamed inode, which the file system frees.
func (s *Store) writeFast(rel string, r io.Reader) (n int64, err error) {
	dir, base := path.Dir(rel), path.Base(rel)
	s.mu.RLock()
	t, exists, err := s.createTempFast(dir, base)
	s.mu.RUnlock()
	if exists {
		return 0, existError(rel)
	}
	if err != nil {
		return 0, fmt.Errorf("messagefile: write %s: %w", rel, err)
	}
	defer func() {
		if err != nil {
			s.fast.discard(t)
		} else {
			s.fast.release(t.dir)
		}
	}()

	n, err = copyBuffered(fdWriter(t.fd), r)
	if err != nil {
		return n, fmt.Errorf("messagefile: write %s: %w", rel, err)
	}
	if err = fsyncFD(t.fd, rel); err != nil {
		return n, fmt.Errorf("messagefile: write %s: %w", rel, err)
	}
	if t.name != "" {
		if err = t.closeFD(); err != nil {
			return n, fmt.Errorf("messagefile: write %s: close: %w", rel, err)
		}
	}
	s.mu.RLock()
	err = s.publishFast(t, rel)
	s.mu.RUnlock()
	if err != nil {
		return n, err
	}
	if t.fd >= 0 {
		// The content was fsynced before the link, so an error closing
		// cannot mean lost data.
		_ = t.closeFD()
	}
	return n, nil
}

// createTempFast makes directory dir (with parents) and creates a new
// temporary file in it for the final name base. It reports exists, and
// creates nothing, if base exists already. The caller holds s.mu shared.
func (s *Store) createTempFast(dir, base string) (t *tempFile, exists bool, err error) {
	t, exists, err = s.createTempIn(dir, base)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errDirDeleted) {
		// The directory, or one of its parents, was deleted behind the
		// Store's back while its handle was cached or it was known to
		// exist: make them again.
		top, _, _ := strings.Cut(dir, "/")
		s.forget(top)
		t, exists, err = s.createTempIn(dir, base)
	}
	return t, exists, err
}

// createTempIn is one attempt of createTempFast.
func (s *Store) createTempIn(dir, base string) (t *tempFile, exists bool, err error) {
	if err := s.makeDirs(dir); err != nil {
		return nil, false, err
	}
	h, err := s.fast.acquire(dir)
	if err != nil {
		return nil, false, err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(h.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		s.fast.release(h)
		return nil, true, nil
	} else if err != unix.ENOENT {
		s.fast.release(h)
		return nil, false, &fs.PathError{Op: "fstatat", Path: path.Join(dir, base), Err: err}
	}
	fd, name, err := s.fast.createIn(h, base)
	if err != nil {
		if isDeleted(h) {
			err = errDirDeleted
		}
		s.fast.release(h)
		return nil, false, err
	}
	return &tempFile{fd: fd, dir: h, name: name}, false, nil
}

// errDirDeleted says that a directory handle refers to a directory that
// no longer exists.
var errDirDeleted = errors.New("directory deleted")

// isDeleted reports whether the directory h has been removed: a removed
// directory has no links.
func isDeleted(h *dirHandle) bool {
	var st unix.Stat_t
	return unix.Fstat(h.fd, &st) == nil && st.Nlink == 0
}

// publishFast gives the complete, fsynced temporary file t the name rel,
// refusing to replace an existing file. The caller holds s.mu shared.
func (s *Store) publishFast(t *tempFile, rel string) error {
	if t.name != "" {
		return s.fast.publishNamed(t, rel)
	}
	dir, base := path.Dir(rel), path.Base(rel)
	err := s.fast.linkTmpfile(t.fd, t.dir.fd, base)
	if err != nil && err != unix.EEXIST && isDeleted(t.dir) {
		// An O_TMPFILE is no directory entry, so a Remove may have found
		// the directory empty and deleted it while the content was being
		// copied. Make it again and link the file there.
		s.forget(dir)
		if merr := s.makeDirs(dir); merr != nil {
			return fmt.Errorf("messagefile: write %s: %w", rel, merr)
		}
		h, aerr := s.fast.acquire(dir)
		if aerr != nil {
			return fmt.Errorf("messagefile: write %s: %w", rel, aerr)
		}
		s.fast.release(t.dir)
		t.dir = h
		err = s.fast.linkTmpfile(t.fd, t.dir.fd, base)
	}
	if err == unix.EEXIST {
		return existError(rel)
	}
	if err != nil {
		return fmt.Errorf("messagefile: write %s: linkat: %w", rel, err)
	}
	return nil
}

// createIn creates a new temporary file in directory h for the final name
// base: an O_TMPFILE when it can, else a file named by tempName, whose
// name it returns.
func (f *fastFS) createIn(h *dirHandle, base string) (fd int, name string, err error) {
	f.probeOnce.Do(f.probeTmpfile)
	if !f.namedTemp.Load() {
		fd, err := unix.Openat(h.fd, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
		if err == nil {
			return fd, "", nil
		}
		if !tmpfileUnsupported(err) {
			return -1, "", &fs.PathError{Op: "openat O_TMPFILE", Path: h.dir, Err: err}
		}
		f.namedTemp.Store(true)
	}
	for range 10 {
		name := tempName(base)
		fd, err := unix.Openat(h.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return -1, "", &fs.PathError{Op: "openat", Path: path.Join(h.dir, name), Err: err}
		}
		return fd, name, nil
	}
	return -1, "", errors.New("cannot find an unused temporary file name")
}

// tmpfileUnsupported reports whether err from an O_TMPFILE open means the
// kernel (before 3.11: EISDIR) or the file system (EOPNOTSUPP) has none.
func tmpfileUnsupported(err error) bool {
	return err == unix.EOPNOTSUPP || err == unix.EISDIR || err == unix.EINVAL
}

// probeTmpfile decides, once, how Write names its files: it creates an
// O_TMPFILE in the data directory and links it to a temporary name, with
// linkat(AT_EMPTY_PATH), else through /proc/self/fd, and removes the name
// again. If neither works, Write uses named temporary files.
func (f *fastFS) probeTmpfile() {
	root, err := f.acquire(".")
	if err != nil {
		return // closed: nothing will be written
	}
	defer f.release(root)
	fd, err := unix.Openat(root.fd, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		f.namedTemp.Store(true)
		return
	}
	defer unix.Close(fd)
	name := ".probe-" + randomHex(8) + ".tmp"
	if err := unix.Linkat(fd, "", root.fd, name, unix.AT_EMPTY_PATH); err == nil {
		_ = unix.Unlinkat(root.fd, name, 0)
		return
	}
	if err := unix.Linkat(unix.AT_FDCWD, procFDPath(fd), root.fd, name, unix.AT_SYMLINK_FOLLOW); err == nil {
		_ = unix.Unlinkat(root.fd, name, 0)
		f.linkProc = true
		return
	}
	f.namedTemp.Store(true)
}

func procFDPath(fd int) string {
	return "/proc/self/fd/" + strconv.Itoa(fd)
}

// linkTmpfile gives the O_TMPFILE fd the name base in directory dirfd.
// It fails with EEXIST if base exists.
func (f *fastFS) linkTmpfile(fd, dirfd int, base string) error {
	if f.linkProc {
		return unix.Linkat(unix.AT_FDCWD, procFDPath(fd), dirfd, base, unix.AT_SYMLINK_FOLLOW)
	}
	return unix.Linkat(fd, "", dirfd, base, unix.AT_EMPTY_PATH)
}

// publishNamed gives the named temporary file t the name rel, as
// Store.publish does: a hard link, which fails if rel exists, and a rename
// only on file systems without hard links.
func (f *fastFS) publishNamed(t *tempFile, rel string) error {
	base := path.Base(rel)
	err := unix.Linkat(t.dir.fd, t.name, t.dir.fd, base, 0)
	if err == nil {
		// A temporary name left behind by a failed unlink is only a second
		// name, swept at the next start.
		_ = unix.Unlinkat(t.dir.fd, t.name, 0)
		t.name = ""
		return nil
	}
	if err == unix.EEXIST {
		return existError(rel)
	}
	var st unix.Stat_t
	if unix.Fstatat(t.dir.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		return existError(rel)
	}
	if rerr := unix.Renameat(t.dir.fd, t.name, t.dir.fd, base); rerr != nil {
		return fmt.Errorf("messagefile: write %s: rename: %w (after link: %v)", rel, rerr, err)
	}
	t.name = ""
	return nil
}

// discard throws away the temporary file t of a failed write.
func (f *fastFS) discard(t *tempFile) {
	if t.fd >= 0 {
		_ = t.closeFD()
	}
	if t.name != "" {
		_ = unix.Unlinkat(t.dir.fd, t.name, 0)
	}
	f.release(t.dir)
}

// fdWriter writes to a file descriptor, all of each buffer.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := unix.Write(int(w), p[written:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return written, &fs.PathError{Op: "write", Path: "temporary file", Err: err}
		}
		if n == 0 {
			return written, io.ErrShortWrite
		}
		written += n
	}
	return written, nil
}
