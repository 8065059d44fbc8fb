// Package messagefile owns the message files below the data directory —
// one .eml file per message, written durably — and not the database rows
// that point at them.
//
// The rule it implements: a 250 means the bytes are on disk. Write copies a
// message into a temporary file in the final directory, fsyncs and closes
// it, moves it to its final name without ever replacing an existing file,
// and fsyncs the directory (and the parents of any directory it had to
// create). Only then does it return, so a crash at any moment leaves either
// a complete file under the final name or no file under that name; left
// over temporary files are removed by SweepTemporary at the next start.
//
// Paths are relative to the data directory, use "/" as separator on every
// platform, and are what the database stores, so an installation can move.
// Mailbox messages live at "<domain>/<local-part>/<xx>/<id>.eml" (see
// AccountPath) and queued messages at "queue/<xx>/<id>.eml" (see
// QueuePath). Domains and local parts come from e-mail addresses that
// attackers control, so every relative path is validated (see ValidateRel)
// and all file operations refuse to follow anything out of the data
// directory: they go through an os.Root, or on Linux through openat2 with
// RESOLVE_BENEATH relative to the data directory (see fastFS), which costs
// one system call where os.Root opens and closes every directory on the
// way.
package messagefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Store reads and writes message files below one data directory.
// Its methods are safe for concurrent use.
type Store struct {
	root string   // data directory, absolute and clean
	fsys *os.Root // all file operations go through it, unless fast is set

	// fast, when not nil, does the frequent operations — Open, Write,
	// SyncDirs, Remove — with openat2 and cached directory handles instead
	// of fsys. It is nil on systems other than Linux and on kernels without
	// openat2.
	fast *fastFS

	// mu orders directory creation against directory removal: Write holds
	// it shared while it makes directories and creates its temporary file
	// (and, with O_TMPFILE, which is no directory entry, while it links it),
	// Remove and RemoveTree hold it exclusively while they delete
	// directories. So a directory Write has just made cannot vanish before
	// the temporary file is in it.
	mu sync.RWMutex

	// durable holds directories (relative paths) whose entry in their parent
	// directory this process has fsynced, so Write need not fsync the
	// parents of an existing directory again for every message.
	durableMu sync.Mutex
	durable   map[string]struct{}
}

// New returns a Store for the data directory root, which must be an
// absolute path. It creates root if missing (mode 0700 on Unix).
// Close the Store when done.
func New(root string) (*Store, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("messagefile: data directory %q is not an absolute path", root)
	}
	root = filepath.Clean(root)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("messagefile: creating data directory: %w", err)
	}
	fsys, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("messagefile: opening data directory: %w", err)
	}
	s := &Store{root: root, fsys: fsys, durable: make(map[string]struct{})}
	if forcedIO != ioOSRoot {
		s.fast, err = newFastFS(fsys, root, forcedIO == ioNamedTemp)
		if err != nil {
			_ = fsys.Close()
			return nil, fmt.Errorf("messagefile: opening data directory: %w", err)
		}
	}
	return s, nil
}

// ioMode names a way of doing the file operations; tests set forcedIO to
// run the code that other systems or older kernels use.
type ioMode int

const (
	ioBest      ioMode = iota // the fastest this system supports
	ioOSRoot                  // os.Root only, as on systems without openat2
	ioNamedTemp               // openat2, but temporary files with names, as without O_TMPFILE
)

// forcedIO is the ioMode of the Stores New returns. Only tests change it.
var forcedIO = ioBest

// Close releases the handles on the data directory and its
// subdirectories.
func (s *Store) Close() error {
	if s.fast != nil {
		s.fast.close()
	}
	return s.fsys.Close()
}

// Root returns the absolute data directory.
func (s *Store) Root() string {
	return s.root
}

// Abs returns the absolute path of rel, after validating it.
func (s *Store) Abs(rel string) (string, error) {
	if err := ValidateRel(rel); err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(rel)), nil
}

// Open opens the message file rel for reading.
func (s *Store) Open(rel string) (*os.File, error) {
	if err := ValidateRel(rel); err != nil {
		return nil, err
	}
	if s.fast != nil {
		return s.fast.open(rel)
	}
	return s.fsys.Open(rel)
}

// Write copies r into the new file rel and returns the number of bytes
// written. It returns only after the content and the file's name are on
// disk: the bytes go to a temporary file in the same directory, which is
// fsynced and then given its final name (a hard link, falling back
// to a rename on file systems without links), after which the directory is
// fsynced (not on Windows, which has no directory fsync). On Linux the
// temporary file is an unnamed O_TMPFILE, so a crash leaves nothing behind;
// elsewhere it is named ".<name>.<random>.tmp".
//
// Write refuses to replace an existing file: the error then wraps
// fs.ErrExist. If anything fails — including r returning an error — the
// temporary file is removed and no file appears under rel.
func (s *Store) Write(rel string, r io.Reader) (int64, error) {
	n, err := s.WriteBeforeDirSync(rel, r)
	if err != nil {
		return n, err
	}
	if err := s.SyncDirs(rel); err != nil {
		// The file is complete under its final name but its name may not be
		// durable, so the write has failed; take the name away again.
		_ = s.removeFile(rel)
		return n, err
	}
	return n, nil
}

// WriteBeforeDirSync is Write up to, and without, the fsync of the
// directory: the content is durable and the file has its final name, but
// the name itself may not survive a crash until SyncDirs(rel) has
// returned nil. It lets a caller that writes several files at once — the
// queue's group commit — fsync each directory once for all of them. If
// SyncDirs fails, the caller must not rely on the file and should remove
// it.
func (s *Store) WriteBeforeDirSync(rel string, r io.Reader) (n int64, err error) {
	if err := ValidateRel(rel); err != nil {
		return 0, err
	}
	if s.fast != nil {
		return s.writeFast(rel, r)
	}
	dir := path.Dir(rel)
	if _, err := s.fsys.Lstat(rel); err == nil {
		return 0, existError(rel)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("messagefile: write %s: %w", rel, err)
	}

	s.mu.RLock()
	f, tmp, err := s.createTemp(dir, path.Base(rel))
	s.mu.RUnlock()
	if err != nil {
		return 0, fmt.Errorf("messagefile: write %s: %w", rel, err)
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = s.fsys.Remove(tmp)
		}
	}()

	n, err = copyBuffered(f, r)
	if err != nil {
		return n, fmt.Errorf("messagefile: write %s: %w", rel, err)
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("messagefile: write %s: fsync: %w", rel, err)
	}
	closed = true
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("messagefile: write %s: %w", rel, err)
	}
	if err = s.publish(tmp, rel); err != nil {
		return n, err
	}
	return n, nil
}

// SyncDirs fsyncs the directory of each of the files rels, each directory
// once, making the names WriteBeforeDirSync gave them durable. It goes on
// after a failure and returns the first error; a caller should then treat
// every one of the files as not written.
func (s *Store) SyncDirs(rels ...string) error {
	var first error
	done := make(map[string]struct{}, len(rels))
	for _, rel := range rels {
		dir := path.Dir(rel)
		if _, ok := done[dir]; ok {
			continue
		}
		done[dir] = struct{}{}
		if err := s.syncDir(dir); err != nil && first == nil {
			first = fmt.Errorf("messagefile: write %s: fsync directory: %w", rel, err)
		}
	}
	return first
}

// copyBufferSize is the size of the chunks Write hands to the file: a
// message reader that returns a line at a time would otherwise cost a
// system call per line.
const copyBufferSize = 64 << 10

// syncDir fsyncs directory dir, making the names created in it durable.
func (s *Store) syncDir(dir string) error {
	if s.fast != nil {
		return s.fast.syncDir(dir)
	}
	return syncDir(s.fsys, dir)
}

// copyBuffered copies r to f in chunks of up to copyBufferSize: it fills
// the buffer before each write. Only io.EOF ends the copy without error.
func copyBuffered(f io.Writer, r io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	var n int64
	for {
		filled := 0
		var rerr error
		for filled < len(*buf) && rerr == nil {
			var got int
			got, rerr = r.Read((*buf)[filled:])
			filled += got
		}
		if filled > 0 {
			w, werr := f.Write((*buf)[:filled])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// createTemp makes directory dir (with parents) and creates a new
// temporary file in it for the final name base. The caller holds s.mu
// shared.
func (s *Store) createTemp(dir, base string) (*os.File, string, error) {
	if err := s.makeDirs(dir); err != nil {
		return nil, "", err
	}
	for range 10 {
		tmp := path.Join(dir, tempName(base))
		f, err := s.fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, tmp, err
	}
	return nil, "", errors.New("cannot find an unused temporary file name")
}

// tempName returns a new random temporary name for a file that will be
// named base: ".<base>.<random>.tmp", which SweepTemporary recognizes.
func tempName(base string) string {
	name := "." + base + "." + randomHex(8) + ".tmp"
	if len(name) > maxElement {
		name = "." + randomHex(16) + ".tmp"
	}
	return name
}

// makeDirs creates dir and its missing parents below the data directory
// and makes each one's entry in its parent durable. The caller holds s.mu
// shared.
func (s *Store) makeDirs(dir string) error {
	if dir == "." {
		return nil
	}
	parent := "."
	for elem := range strings.SplitSeq(dir, "/") {
		cur := path.Join(parent, elem)
		if !s.isDurable(cur) {
			if err := s.mkdir(cur); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			// Sync the parent even if the directory existed already: it may
			// have been made by a concurrent Write that has not synced yet,
			// or by a process that was killed before it could.
			if err := s.syncDir(parent); err != nil {
				return fmt.Errorf("fsync directory %s: %w", parent, err)
			}
			s.setDurable(cur)
		}
		parent = cur
	}
	return nil
}

// mkdir creates directory dir, whose parent exists, with mode 0700.
func (s *Store) mkdir(dir string) error {
	if s.fast != nil {
		return s.fast.mkdir(dir)
	}
	return s.fsys.Mkdir(dir, 0o700)
}

// publish gives the complete temporary file tmp the name rel, refusing to
// replace an existing file. A hard link fails atomically if rel exists;
// rename would silently replace it, so it is only the fallback for file
// systems without hard links.
func (s *Store) publish(tmp, rel string) error {
	err := s.fsys.Link(tmp, rel)
	if err == nil {
		// The content is reachable under rel; a temporary name left behind
		// by a failed Remove is only a second name, swept at the next start.
		_ = s.fsys.Remove(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return existError(rel)
	}
	if _, serr := s.fsys.Lstat(rel); serr == nil {
		return existError(rel)
	}
	if rerr := s.fsys.Rename(tmp, rel); rerr != nil {
		return fmt.Errorf("messagefile: write %s: %w (after link: %v)", rel, rerr, err)
	}
	return nil
}

func existError(rel string) error {
	return fmt.Errorf("messagefile: write %s: refusing to overwrite: %w", rel, fs.ErrExist)
}

// Remove deletes the file rel, then each parent directory that became
// empty, up to but not including the data directory. The queue directory
// and its subdirectories stay: there are at most 257 of them, and the
// queue is often empty, so removing them would cost each accepted message
// a directory creation and one more fsync (of the queue directory). A
// missing file is not an error.
func (s *Store) Remove(rel string) error {
	if err := ValidateRel(rel); err != nil {
		return err
	}
	if err := s.removeFile(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("messagefile: remove: %w", err)
	}
	if strings.HasPrefix(rel, QueueDir+"/") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
		// Fails, as wanted, once a directory is not empty.
		if err := s.removeEmptyDir(dir); err != nil {
			break
		}
		s.forget(dir)
	}
	return nil
}

// removeFile deletes the file rel.
func (s *Store) removeFile(rel string) error {
	if s.fast != nil {
		return s.fast.removeFile(rel)
	}
	return s.fsys.Remove(rel)
}

// removeEmptyDir deletes the directory dir if it is empty. The caller
// holds s.mu.
func (s *Store) removeEmptyDir(dir string) error {
	if s.fast != nil {
		return s.fast.removeEmptyDir(dir)
	}
	return s.fsys.Remove(dir)
}

// RemoveTree deletes rel and everything below it, for example "<domain>"
// or "<domain>/<local-part>" when a domain or an account is deleted. A
// missing rel is not an error. The tree is first renamed to a temporary
// name, so it disappears at once and writes into it fail rather than
// recreate parts of it; if deleting the renamed tree fails half-way,
// SweepTemporary finishes the job at the next start.
func (s *Store) RemoveTree(rel string) error {
	if err := ValidateRel(rel); err != nil {
		return err
	}
	trash := path.Join(path.Dir(rel), ".rm-"+randomHex(16)+".tmp")
	s.mu.Lock()
	err := s.fsys.Rename(rel, trash)
	if err == nil {
		s.forget(rel)
	}
	s.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("messagefile: remove tree: %w", err)
	}
	if err := s.fsys.RemoveAll(trash); err != nil {
		return fmt.Errorf("messagefile: remove tree %s: %w", rel, err)
	}
	return nil
}

// SweepTemporary removes what crashed or interrupted writes and tree
// removals left behind — every file or directory below the data directory
// whose name starts with "." and ends with ".tmp" — and returns how many it
// removed. (Writes with O_TMPFILE leave nothing; writes with named
// temporary files, on other systems or by an earlier version, do.) Call it at server start, before any Write: it would also remove
// the temporary files of writes in progress.
func (s *Store) SweepTemporary() (int, error) {
	removed := 0
	var errs []error
	walkErr := fs.WalkDir(s.fsys.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			return nil
		}
		if p == "." || !isTempName(d.Name()) {
			return nil
		}
		if d.IsDir() {
			if err := s.fsys.RemoveAll(p); err != nil {
				errs = append(errs, err)
			} else {
				removed++
			}
			return fs.SkipDir
		}
		if err := s.fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		} else {
			removed++
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, walkErr)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("messagefile: sweep temporary files: %w", err)
	}
	return removed, nil
}

// maxDurable bounds the number of directories Store remembers as durable.
const maxDurable = 1 << 16

func isTempName(name string) bool {
	return len(name) > len("..tmp") && strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp")
}

func (s *Store) isDurable(dir string) bool {
	s.durableMu.Lock()
	defer s.durableMu.Unlock()
	_, ok := s.durable[dir]
	return ok
}

func (s *Store) setDurable(dir string) {
	s.durableMu.Lock()
	defer s.durableMu.Unlock()
	if len(s.durable) >= maxDurable {
		// Forgetting costs only a few extra directory fsyncs; bounded memory
		// matters more on an installation with many accounts.
		clear(s.durable)
	}
	s.durable[dir] = struct{}{}
}

// forget drops dir and everything below it from the durable set and from
// the cache of open directories: they no longer exist under these names.
func (s *Store) forget(dir string) {
	if s.fast != nil {
		s.fast.forgetTree(dir)
	}
	s.durableMu.Lock()
	defer s.durableMu.Unlock()
	for d := range s.durable {
		if d == dir || strings.HasPrefix(d, dir+"/") {
			delete(s.durable, d)
		}
	}
}
