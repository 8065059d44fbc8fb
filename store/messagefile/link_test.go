package messagefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func readRel(t *testing.T, s *Store, rel string) string {
	t.Helper()
	f, err := s.Open(rel)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func statRel(t *testing.T, s *Store, rel string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(filepath.Join(s.Root(), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestLinkGivesTheSameFileASecondNameInNewDirectories(t *testing.T) {
	s := newStore(t)
	queued, err := QueuePath(testID)
	if err != nil {
		t.Fatal(err)
	}
	const content = "Subject: linked\r\n\r\nhello\r\n"
	mustWrite(t, s, queued, content)
	to := mustAccountPath(t, "example.com", "alice", NewID())

	if err := s.Link(queued, to); err != nil {
		t.Fatal(err)
	}
	if got := readRel(t, s, to); got != content {
		t.Errorf("linked file holds %q, want %q", got, content)
	}
	if !os.SameFile(statRel(t, s, queued), statRel(t, s, to)) {
		t.Error("Link made a copy, want a hard link to the same file")
	}

	// Removing the queue's name leaves the mailbox's name intact.
	if err := s.Remove(queued); err != nil {
		t.Fatal(err)
	}
	if got := readRel(t, s, to); got != content {
		t.Errorf("after removing the source the link holds %q, want %q", got, content)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), QueueDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty queue directories left behind: %v", err)
	}
	assertNoTempFiles(t, s.Root())
}

func TestLinkRefusesToReplaceAnExistingFile(t *testing.T) {
	s := newStore(t)
	from := mustAccountPath(t, "example.com", "alice", NewID())
	to := mustAccountPath(t, "example.com", "alice", NewID())
	mustWrite(t, s, from, "new")
	mustWrite(t, s, to, "old")

	err := s.Link(from, to)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Link onto an existing file: error = %v, want fs.ErrExist", err)
	}
	if got := readRel(t, s, to); got != "old" {
		t.Errorf("existing file now holds %q, want it untouched", got)
	}

	// Linking twice to one name: the second finds the first.
	again := mustAccountPath(t, "example.com", "bob", NewID())
	if err := s.Link(from, again); err != nil {
		t.Fatal(err)
	}
	if err := s.Link(from, again); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Link to the same name: error = %v, want fs.ErrExist", err)
	}
}

func TestLinkOfAMissingFileFailsWithoutLeavingAName(t *testing.T) {
	s := newStore(t)
	from := mustAccountPath(t, "example.com", "alice", NewID())
	to := mustAccountPath(t, "example.com", "bob", NewID())
	err := s.Link(from, to)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Link of a missing file: error = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Open(to); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a name appeared for a missing file: %v", err)
	}
	for _, p := range tree(t, s.Root()) {
		if !strings.HasSuffix(p, "/") {
			t.Errorf("unexpected file %s", p)
		}
	}
}

func TestLinkRejectsInvalidPaths(t *testing.T) {
	s := newStore(t)
	good := mustAccountPath(t, "example.com", "alice", NewID())
	mustWrite(t, s, good, "x")
	for _, bad := range []string{"", "../outside.eml", "/etc/passwd", `a\..\b.eml`, "C:/x.eml", "con/x.eml", "a/.hidden.eml"} {
		if err := s.Link(bad, mustAccountPath(t, "example.com", "bob", NewID())); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("Link(%q, good) error = %v, want ErrInvalidPath", bad, err)
		}
		if err := s.Link(good, bad); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("Link(good, %q) error = %v, want ErrInvalidPath", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Root()), "outside.eml")); err == nil {
		t.Error("a name was made outside the data directory")
	}
}

// Links and removes racing in one shard directory: Remove deletes the
// directory whenever it empties, and Link must never lose its directory
// between making it and linking into it.
func TestConcurrentLinksAndRemovesInOneDirectoryAllSucceed(t *testing.T) {
	s := newStore(t)
	src, err := QueuePath(testID)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, src, "x")
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				id := fmt.Sprintf("cd%030x", w*rounds+i)
				rel, err := AccountPath("example.com", "alice", id)
				if err == nil {
					err = s.Link(src, rel)
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
	if err := s.Remove(src); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, s.Root()); len(got) != 0 {
		t.Errorf("left behind: %q", got)
	}
}
