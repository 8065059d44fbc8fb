package messagefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// tree lists every file and directory below root as slash-separated
// relative paths, directories with a trailing "/".
func tree(t *testing.T, root string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func mustWrite(t *testing.T, s *Store, rel, content string) {
	t.Helper()
	n, err := s.Write(rel, strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(content)) {
		t.Fatalf("Write(%q) = %d bytes, want %d", rel, n, len(content))
	}
}

func mustAccountPath(t *testing.T, domain, local, id string) string {
	t.Helper()
	rel, err := AccountPath(domain, local, id)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func TestNewCreatesMissingDataDirectory(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "data")
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(root)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		t.Fatalf("%s is not a directory", root)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode = %v, want 0700", fi.Mode().Perm())
	}
	if s.Root() != root {
		t.Errorf("Root() = %q, want %q", s.Root(), root)
	}
}

func TestNewRejectsRelativeDataDirectory(t *testing.T) {
	for _, root := range []string{"", "data", "./data", "../data"} {
		if s, err := New(root); err == nil {
			s.Close()
			t.Errorf("New(%q) succeeded, want error", root)
		}
	}
}

func TestWriteThenOpenReturnsTheSameBytes(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef\r\n"), 100_000)
	tests := []struct {
		name    string
		content []byte
	}{
		{"empty", nil},
		{"small", []byte("Subject: hi\r\n\r\nhello\r\n")},
		{"binary", []byte{0, 1, 2, 0xff, '\r', '\n', 0}},
		{"larger than a copy buffer", big},
	}
	s := newStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := mustAccountPath(t, "example.com", "alice", NewID())
			n, err := s.Write(rel, bytes.NewReader(tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(tt.content)) {
				t.Errorf("Write returned %d, want %d", n, len(tt.content))
			}
			f, err := s.Open(rel)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.content) {
				t.Errorf("read back %d bytes that differ from the %d written", len(got), len(tt.content))
			}
		})
	}
}

func TestWriteStoresFilesAtTheirRelativePathsBelowRoot(t *testing.T) {
	s := newStore(t)
	id1 := "0123456789abcdef0123456789abcdef"
	id2 := "fedcba9876543210fedcba9876543210"
	acct := mustAccountPath(t, "Example.COM", "Alice", id1)
	queue, err := QueuePath(id2)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, acct, "a")
	mustWrite(t, s, queue, "q")

	want := []string{
		"example.com/",
		"example.com/alice/",
		"example.com/alice/01/",
		"example.com/alice/01/" + id1 + ".eml",
		"queue/",
		"queue/fe/",
		"queue/fe/" + id2 + ".eml",
	}
	if got := tree(t, s.Root()); !slices.Equal(got, want) {
		t.Errorf("tree after two writes:\n got %q\nwant %q", got, want)
	}
	abs, err := s.Abs(acct)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Root(), "example.com", "alice", "01", id1+".eml"); abs != want {
		t.Errorf("Abs(%q) = %q, want %q", acct, abs, want)
	}
}

func TestWriteCreatesFilesReadableOnlyByOwner(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits do not apply on Windows")
	}
	s := newStore(t)
	rel := mustAccountPath(t, "example.com", "alice", NewID())
	mustWrite(t, s, rel, "x")
	abs, _ := s.Abs(rel)
	for p := abs; p != s.Root(); p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := fs.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}

func TestWriteRefusesToOverwriteAnExistingFile(t *testing.T) {
	s := newStore(t)
	rel := mustAccountPath(t, "example.com", "alice", NewID())
	mustWrite(t, s, rel, "first")

	n, err := s.Write(rel, strings.NewReader("second"))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Write error = %v, want one wrapping fs.ErrExist", err)
	}
	if n != 0 {
		t.Errorf("second Write returned %d bytes, want 0", n)
	}
	abs, _ := s.Abs(rel)
	got, err := os.ReadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "first" {
		t.Errorf("file content = %q after refused overwrite, want %q", got, "first")
	}
	assertNoTempFiles(t, s.Root())
}

func TestPublishRefusesToReplaceAFileThatAppearedDuringTheWrite(t *testing.T) {
	s := newStore(t)
	rel := mustAccountPath(t, "example.com", "alice", NewID())
	// The file appears while the message is being copied, after Write's
	// early existence check: the final step must still refuse.
	r := &hookReader{r: strings.NewReader("late"), hook: func() {
		abs, _ := s.Abs(rel)
		if err := os.WriteFile(abs, []byte("early"), 0o600); err != nil {
			t.Error(err)
		}
	}}
	if _, err := s.Write(rel, r); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Write error = %v, want one wrapping fs.ErrExist", err)
	}
	abs, _ := s.Abs(rel)
	if got, _ := os.ReadFile(abs); string(got) != "early" {
		t.Errorf("file content = %q, want the earlier file's %q", got, "early")
	}
	assertNoTempFiles(t, s.Root())
}

// hookReader calls hook once, before its first read.
type hookReader struct {
	r    io.Reader
	hook func()
	done bool
}

func (h *hookReader) Read(p []byte) (int, error) {
	if !h.done {
		h.done = true
		h.hook()
	}
	return h.r.Read(p)
}

// failingReader returns n bytes, then err.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range k {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func TestWriteWithFailingReaderLeavesNeitherTempNorFinalFile(t *testing.T) {
	errBroken := errors.New("connection reset")
	tests := []struct {
		name   string
		before int
	}{
		{"fails at once", 0},
		{"fails mid-way", 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			rel := mustAccountPath(t, "example.com", "alice", NewID())
			n, err := s.Write(rel, &failingReader{n: tt.before, err: errBroken})
			if !errors.Is(err, errBroken) {
				t.Fatalf("Write error = %v, want one wrapping %v", err, errBroken)
			}
			if n != int64(tt.before) {
				t.Errorf("Write returned %d bytes, want %d", n, tt.before)
			}
			for _, p := range tree(t, s.Root()) {
				if !strings.HasSuffix(p, "/") {
					t.Errorf("file %s left behind by a failed write", p)
				}
			}
		})
	}
}

func assertNoTempFiles(t *testing.T, root string) {
	t.Helper()
	for _, p := range tree(t, root) {
		if isTempName(filepath.Base(strings.TrimSuffix(p, "/"))) {
			t.Errorf("temporary file %s left behind", p)
		}
	}
}

func TestRemoveDeletesFileAndEmptyParentsButNotRoot(t *testing.T) {
	s := newStore(t)
	rel := mustAccountPath(t, "example.com", "alice", NewID())
	mustWrite(t, s, rel, "x")
	if err := s.Remove(rel); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, s.Root()); len(got) != 0 {
		t.Errorf("after removing the only message the data directory holds %q, want nothing", got)
	}
	if _, err := os.Stat(s.Root()); err != nil {
		t.Errorf("data directory itself was removed: %v", err)
	}
	// The store keeps working after its directories were removed.
	mustWrite(t, s, rel, "again")
}

func TestRemoveKeepsParentsThatAreNotEmpty(t *testing.T) {
	s := newStore(t)
	id1 := "aa" + strings.Repeat("0", 30)
	id2 := "aa" + strings.Repeat("1", 30)
	id3 := "bb" + strings.Repeat("2", 30)
	a1 := mustAccountPath(t, "example.com", "alice", id1)
	a2 := mustAccountPath(t, "example.com", "alice", id2)
	a3 := mustAccountPath(t, "example.com", "alice", id3)
	for _, rel := range []string{a1, a2, a3} {
		mustWrite(t, s, rel, "x")
	}
	if err := s.Remove(a1); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(a3); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"example.com/",
		"example.com/alice/",
		"example.com/alice/aa/",
		"example.com/alice/aa/" + id2 + ".eml",
	}
	if got := tree(t, s.Root()); !slices.Equal(got, want) {
		t.Errorf("tree:\n got %q\nwant %q", got, want)
	}
}

func TestRemoveOfMissingFileIsNotAnError(t *testing.T) {
	s := newStore(t)
	if err := s.Remove(mustAccountPath(t, "example.com", "alice", NewID())); err != nil {
		t.Errorf("Remove of a missing file: %v", err)
	}
}

func TestRemoveTreeDeletesADomainOrAnAccount(t *testing.T) {
	tests := []struct {
		name   string
		remove string
		want   []string
	}{
		{"account", "example.com/alice", []string{"example.com/", "example.com/bob/", "example.org/", "example.org/alice/", "queue/"}},
		{"domain", "example.com", []string{"example.org/", "example.org/alice/", "queue/"}},
		{"missing account", "example.com/carol", []string{"example.com/", "example.com/alice/", "example.com/bob/", "example.org/", "example.org/alice/", "queue/"}},
		{"missing domain", "example.net", []string{"example.com/", "example.com/alice/", "example.com/bob/", "example.org/", "example.org/alice/", "queue/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			for _, addr := range [][2]string{{"example.com", "alice"}, {"example.com", "alice"}, {"example.com", "bob"}, {"example.org", "alice"}} {
				mustWrite(t, s, mustAccountPath(t, addr[0], addr[1], NewID()), "x")
			}
			q, _ := QueuePath(NewID())
			mustWrite(t, s, q, "x")

			if err := s.RemoveTree(tt.remove); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range tree(t, s.Root()) {
				// Only look two levels deep: domain/ and domain/account/.
				if strings.Count(p, "/") == 1 || (strings.Count(p, "/") == 2 && strings.HasSuffix(p, "/") && !strings.HasPrefix(p, "queue/")) {
					got = append(got, p)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("after RemoveTree(%q):\n got %q\nwant %q", tt.remove, got, tt.want)
			}
			assertNoTempFiles(t, s.Root())
			// Writing to the removed account recreates it.
			mustWrite(t, s, mustAccountPath(t, "example.com", "alice", NewID()), "x")
		})
	}
}

func TestSweepTemporaryRemovesLeftoversAndNothingElse(t *testing.T) {
	s := newStore(t)
	keep := mustAccountPath(t, "example.com", "alice", NewID())
	mustWrite(t, s, keep, "x")
	dir := filepath.Dir(filepath.Join(s.Root(), filepath.FromSlash(keep)))
	leftovers := []string{
		filepath.Join(dir, ".abc.eml.1234.tmp"),
		filepath.Join(s.Root(), "queue", "ab", ".x.tmp"),
		filepath.Join(s.Root(), ".rm-0011.tmp", "alice", "00", "y.eml"), // half-removed tree
	}
	for _, p := range leftovers {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Look-alikes that are not temporary files.
	others := []string{
		filepath.Join(dir, "notes.tmp"),
		filepath.Join(dir, ".hidden"),
	}
	for _, p := range others {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	n, err := s.SweepTemporary()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(leftovers) {
		t.Errorf("SweepTemporary removed %d, want %d", n, len(leftovers))
	}
	assertNoTempFiles(t, s.Root())
	for _, p := range append(others, filepath.Join(s.Root(), filepath.FromSlash(keep))) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("SweepTemporary removed %s, which is not a temporary file", p)
		}
	}
	if n, err := s.SweepTemporary(); n != 0 || err != nil {
		t.Errorf("second SweepTemporary = %d, %v; want 0, nil", n, err)
	}
}

func TestMethodsRejectInvalidPaths(t *testing.T) {
	s := newStore(t)
	outside := filepath.Join(filepath.Dir(s.Root()), "outside.eml")
	bad := []string{"", "../outside.eml", "/etc/passwd", "a//b.eml", `a\..\b.eml`, "a/./b.eml", "C:/x.eml", "con/x.eml"}
	ops := map[string]func(rel string) error{
		"Write":      func(rel string) error { _, err := s.Write(rel, strings.NewReader("x")); return err },
		"Open":       func(rel string) error { f, err := s.Open(rel); f.Close(); return err },
		"Remove":     s.Remove,
		"RemoveTree": s.RemoveTree,
		"Abs":        func(rel string) error { _, err := s.Abs(rel); return err },
	}
	for name, op := range ops {
		for _, rel := range bad {
			if err := op(rel); !errors.Is(err, ErrInvalidPath) {
				t.Errorf("%s(%q) error = %v, want ErrInvalidPath", name, rel, err)
			}
		}
	}
	if _, err := os.Stat(outside); err == nil {
		t.Errorf("a file was written outside the data directory")
	}
	if got := tree(t, s.Root()); len(got) != 0 {
		t.Errorf("invalid paths left %q in the data directory", got)
	}
}

func TestOpenRefusesSymlinkOutOfDataDirectory(t *testing.T) {
	s := newStore(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(s.Root(), "evil.eml")); err != nil {
		t.Skipf("cannot create symlink: %v", err)
	}
	if f, err := s.Open("evil.eml"); err == nil {
		f.Close()
		t.Errorf("Open followed a symlink out of the data directory")
	}
}

func TestConcurrentWritesAndRemovesInOneDirectoryAllSucceed(t *testing.T) {
	s := newStore(t)
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				// Same two-character directory for everybody, so removes
				// keep emptying and deleting directories writers need.
				id := fmt.Sprintf("ab%030x", w*rounds+i)
				rel, err := AccountPath("example.com", "alice", id)
				if err == nil {
					_, err = s.Write(rel, strings.NewReader("x"))
				}
				if err == nil {
					err = s.Remove(rel)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := tree(t, s.Root()); len(got) != 0 {
		t.Errorf("left behind: %q", got)
	}
}

func TestNewIDIsThirtyTwoLowercaseHexCharactersAndUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := NewID()
		if err := checkID(id); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("NewID returned %s twice", id)
		}
		seen[id] = true
	}
}

func TestRemoveKeepsTheQueueDirectories(t *testing.T) {
	s := newStore(t)
	rel, err := QueuePath(NewID())
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, rel, "x")
	if err := s.Remove(rel); err != nil {
		t.Fatal(err)
	}
	want := []string{QueueDir + "/", rel[:len(QueueDir)+3] + "/"}
	if got := tree(t, s.Root()); !slices.Equal(got, want) {
		t.Errorf("after removing the only queued message the tree is %q, want %q", got, want)
	}
}

func TestWriteBeforeDirSyncThenSyncDirsLeavesTheFilesInPlace(t *testing.T) {
	s := newStore(t)
	var rels []string
	for range 5 {
		rel, err := QueuePath(NewQueueID())
		if err != nil {
			t.Fatal(err)
		}
		content := "message " + rel
		if n, err := s.WriteBeforeDirSync(rel, strings.NewReader(content)); err != nil || n != int64(len(content)) {
			t.Fatalf("WriteBeforeDirSync(%s) = %d, %v", rel, n, err)
		}
		rels = append(rels, rel)
	}
	if err := s.SyncDirs(rels...); err != nil {
		t.Fatal(err)
	}
	for _, rel := range rels {
		got, err := fs.ReadFile(s.fsys.FS(), rel)
		if err != nil || string(got) != "message "+rel {
			t.Errorf("%s holds %q (%v)", rel, got, err)
		}
	}
	for _, p := range tree(t, s.Root()) {
		if isTempName(filepath.Base(strings.TrimSuffix(p, "/"))) {
			t.Errorf("temporary file %s left behind", p)
		}
	}
}

// lineReader returns its text a few bytes at a time, as a network
// connection does, then err.
type lineReader struct {
	text string
	err  error
}

func (r *lineReader) Read(p []byte) (int, error) {
	if r.text == "" {
		return 0, r.err
	}
	n := copy(p, r.text[:min(len(r.text), 7)])
	r.text = r.text[n:]
	return n, nil
}

func TestWriteCopiesSmallReadsWholeAndFailsOnAnyErrorButEOF(t *testing.T) {
	s := newStore(t)
	long := strings.Repeat("0123456789abcdef", 10000) // more than one buffer
	rel := mustAccountPath(t, "example.com", "alice", NewID())
	if n, err := s.Write(rel, &lineReader{text: long, err: io.EOF}); err != nil || n != int64(len(long)) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(long))
	}
	if got, err := fs.ReadFile(s.fsys.FS(), rel); err != nil || string(got) != long {
		t.Fatalf("the file holds %d bytes (%v), want the %d written", len(got), err, len(long))
	}
	// A connection that ends in the middle of a message is an error, even
	// when the reader calls it io.ErrUnexpectedEOF.
	for _, cause := range []error{io.ErrUnexpectedEOF, errors.New("connection reset")} {
		rel := mustAccountPath(t, "example.com", "alice", NewID())
		if _, err := s.Write(rel, &lineReader{text: "partial", err: cause}); !errors.Is(err, cause) {
			t.Errorf("Write with a reader failing with %v: %v", cause, err)
		}
		if _, err := s.fsys.Lstat(rel); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after a failed Write, %s exists (%v)", rel, err)
		}
	}
}
