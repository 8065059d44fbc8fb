//go:build linux

package messagefile

import (
	"container/list"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// maxOpenDirs bounds the directories a fastFS keeps open. Deliveries and
// expunges go again and again to the same few hundred directories (the
// queue's buckets, the active accounts' buckets); a directory beyond that
// costs one openat2 more.
const maxOpenDirs = 256

// fastFS does a Store's frequent file operations on Linux in few system
// calls. Where os.Root opens and closes every directory on a path in turn,
// fastFS resolves a whole relative path with one openat2 whose
// RESOLVE_BENEATH makes the kernel refuse, as os.Root does, absolute paths,
// absolute symlinks and ".." or symlinks leading out of the data
// directory; RESOLVE_NO_MAGICLINKS also refuses /proc-style links. It
// keeps the directories it opened in a small cache, and then works on
// single names relative to them (openat, linkat, unlinkat, mkdirat, fsync).
//
// A cached directory handle stays valid only while its directory keeps its
// name, so whoever removes or renames a directory — Remove and RemoveTree,
// holding Store.mu exclusively — calls forgetTree. Directories changed
// behind the Store's back (an administrator moving an account's directory
// while the server runs) may be found under their old handle until it is
// evicted; writes that find their directory deleted open it afresh.
type fastFS struct {
	rootPath string // the data directory, absolute

	// namedTemp is set when O_TMPFILE cannot be used, so that Write falls
	// back to temporary files with names, created, linked and unlinked
	// relative to the cached directory handle.
	namedTemp atomic.Bool
	// linkProc is set when linkat(AT_EMPTY_PATH) is refused (kernels before
	// 6.10 without CAP_DAC_READ_SEARCH), so that an O_TMPFILE gets its name
	// through /proc/self/fd. Both flags are decided by probeTmpfile, once.
	linkProc  bool
	probeOnce sync.Once

	mu     sync.Mutex
	closed bool
	root   *dirHandle            // the data directory itself, never evicted
	dirs   map[string]*dirHandle // open directories by relative path
	lru    list.List             // of *dirHandle, most recently used first
	gen    uint64                // counts forgetTree calls
}

// dirHandle is an open directory. It is closed when it has left the cache
// (cached is false) and nobody uses it any more (refs is 0).
type dirHandle struct {
	fd     int
	dir    string // relative path
	refs   int
	cached bool
	elem   *list.Element
}

// newFastFS returns a fastFS for the data directory that fsys holds, or
// nil if the kernel has no openat2 (before Linux 5.6, or refused by a
// seccomp filter), in which case the Store keeps using fsys. namedTemp
// turns O_TMPFILE off, as tests of that fallback want.
func newFastFS(fsys *os.Root, rootPath string, namedTemp bool) (*fastFS, error) {
	// Take the descriptor from fsys, so that both are the same directory.
	rootDir, err := fsys.Open(".")
	if err != nil {
		return nil, err
	}
	fd, err := unix.FcntlInt(rootDir.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	_ = rootDir.Close()
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	probe, err := openBeneath(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		_ = unix.Close(fd)
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
			return nil, nil
		}
		return nil, os.NewSyscallError("openat2", err)
	}
	_ = unix.Close(probe)
	f := &fastFS{
		rootPath: rootPath,
		root:     &dirHandle{fd: fd, dir: ".", cached: true},
		dirs:     make(map[string]*dirHandle),
	}
	f.namedTemp.Store(namedTemp)
	if namedTemp {
		f.probeOnce.Do(func() {})
	}
	return f, nil
}

// openBeneath opens name relative to directory dirfd with openat2,
// refusing to leave dirfd's tree. O_CLOEXEC is added to flags.
func openBeneath(dirfd int, name string, flags int) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(dirfd, name, &how)
		// EAGAIN: a concurrent rename made the kernel unsure the lookup
		// stayed beneath dirfd; it asks to try again.
		if (err == unix.EINTR || err == unix.EAGAIN) && tries < 16 {
			continue
		}
		return fd, err
	}
}

// acquire returns the open directory dir (a relative path, "." for the
// data directory), opening it if it is not in the cache. The caller must
// release it.
func (f *fastFS) acquire(dir string) (*dirHandle, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, os.ErrClosed
	}
	if dir == "." {
		f.root.refs++
		f.mu.Unlock()
		return f.root, nil
	}
	if h, ok := f.dirs[dir]; ok {
		h.refs++
		f.lru.MoveToFront(h.elem)
		f.mu.Unlock()
		return h, nil
	}
	f.root.refs++
	gen := f.gen
	f.mu.Unlock()

	fd, err := openBeneath(f.root.fd, dir, unix.O_RDONLY|unix.O_DIRECTORY)

	f.mu.Lock()
	defer f.mu.Unlock()
	f.releaseLocked(f.root)
	if err != nil {
		return nil, &fs.PathError{Op: "openat2", Path: dir, Err: err}
	}
	h := &dirHandle{fd: fd, dir: dir, refs: 1}
	if f.closed || f.gen != gen {
		// The directory may have been removed or renamed while it was
		// being opened: use the handle this once, but do not keep it.
		return h, nil
	}
	if other, ok := f.dirs[dir]; ok {
		// Opened concurrently by somebody else: use theirs.
		_ = unix.Close(fd)
		other.refs++
		f.lru.MoveToFront(other.elem)
		return other, nil
	}
	h.cached = true
	h.elem = f.lru.PushFront(h)
	f.dirs[dir] = h
	if f.lru.Len() > maxOpenDirs {
		f.evictLocked(f.lru.Back().Value.(*dirHandle))
	}
	return h, nil
}

// release ends a use of h that acquire began.
func (f *fastFS) release(h *dirHandle) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.releaseLocked(h)
}

func (f *fastFS) releaseLocked(h *dirHandle) {
	h.refs--
	if h.refs < 0 {
		panic("messagefile: directory handle released twice")
	}
	if h.refs == 0 && !h.cached {
		_ = unix.Close(h.fd)
	}
}

// evictLocked takes h out of the cache, closing it unless it is in use.
func (f *fastFS) evictLocked(h *dirHandle) {
	if !h.cached {
		return
	}
	h.cached = false
	if h.elem != nil {
		f.lru.Remove(h.elem)
		h.elem = nil
		delete(f.dirs, h.dir)
	}
	if h.refs == 0 {
		_ = unix.Close(h.fd)
	}
}

// forgetTree drops dir and every directory below it from the cache,
// because they have been removed or renamed.
func (f *fastFS) forgetTree(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	prefix := dir + "/"
	for name, h := range f.dirs {
		if name == dir || strings.HasPrefix(name, prefix) {
			f.evictLocked(h)
		}
	}
}

// close closes every cached directory and the data directory, each as
// soon as nobody uses it any more. Later operations fail with
// os.ErrClosed.
func (f *fastFS) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	for _, h := range f.dirs {
		f.evictLocked(h)
	}
	f.evictLocked(f.root)
}

// open opens the file rel for reading with one openat2.
func (f *fastFS) open(rel string) (*os.File, error) {
	root, err := f.acquire(".")
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
	fd, err := openBeneath(root.fd, rel, unix.O_RDONLY|unix.O_NOCTTY)
	f.release(root)
	if err != nil {
		return nil, &fs.PathError{Op: "openat2", Path: rel, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(f.rootPath, filepath.FromSlash(rel))), nil
}

// syncDir fsyncs directory dir.
func (f *fastFS) syncDir(dir string) error {
	h, err := f.acquire(dir)
	if err != nil {
		return err
	}
	defer f.release(h)
	return fsyncFD(h.fd, dir)
}

// mkdir creates directory dir, whose parent exists, with mode 0700.
func (f *fastFS) mkdir(dir string) error {
	h, err := f.acquire(path.Dir(dir))
	if err != nil {
		return err
	}
	defer f.release(h)
	if err := unix.Mkdirat(h.fd, path.Base(dir), 0o700); err != nil {
		return &fs.PathError{Op: "mkdirat", Path: dir, Err: err}
	}
	return nil
}

// removeFile deletes the file rel.
func (f *fastFS) removeFile(rel string) error {
	h, err := f.acquire(path.Dir(rel))
	if err != nil {
		return err
	}
	defer f.release(h)
	if err := unix.Unlinkat(h.fd, path.Base(rel), 0); err != nil {
		return &fs.PathError{Op: "unlinkat", Path: rel, Err: err}
	}
	return nil
}

// removeEmptyDir deletes directory dir if it is empty. The caller then
// calls forgetTree(dir).
func (f *fastFS) removeEmptyDir(dir string) error {
	h, err := f.acquire(path.Dir(dir))
	if err != nil {
		return err
	}
	defer f.release(h)
	if err := unix.Unlinkat(h.fd, path.Base(dir), unix.AT_REMOVEDIR); err != nil {
		return &fs.PathError{Op: "unlinkat", Path: dir, Err: err}
	}
	return nil
}

// fsyncFD fsyncs fd, which is the file or directory rel.
func fsyncFD(fd int, rel string) error {
	for {
		err := unix.Fsync(fd)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "fsync", Path: rel, Err: err}
		}
		return nil
	}
}

// link gives the file from the second name to (linkat relative to the two
// cached directories, without following a symlink at from).
func (f *fastFS) link(from, to string) error {
	hf, err := f.acquire(path.Dir(from))
	if err != nil {
		return err
	}
	defer f.release(hf)
	ht, err := f.acquire(path.Dir(to))
	if err != nil {
		return err
	}
	defer f.release(ht)
	if err := unix.Linkat(hf.fd, path.Base(from), ht.fd, path.Base(to), 0); err != nil {
		return &fs.PathError{Op: "linkat", Path: to, Err: err}
	}
	return nil
}
