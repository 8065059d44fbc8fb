package messagefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LinkBeforeDirSync gives a file a second name in another, new directory:
// both names are the same file with the same bytes, the second survives
// the first's removal, and an existing name or a missing source is an
// error of the right kind.
func TestLinkBeforeDirSync(t *testing.T) {
	s := newStore(t)
	const from, to = "queue/ab/abcdef.eml", "example.com/user/cd/cdef01.eml"
	const text = "Return-Path: <a@example.org>\r\n\r\nbody\r\n"
	if _, err := s.Write(from, strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkBeforeDirSync(from, to); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDirs(to); err != nil {
		t.Fatal(err)
	}
	a, err := os.Stat(filepath.Join(s.Root(), from))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(filepath.Join(s.Root(), to))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Fatal("the two names are not the same file")
	}
	if err := s.Remove(from); err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(to)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(got) != text {
		t.Fatalf("the linked name holds %q (%v), want %q", got, err, text)
	}

	if _, err := s.Write(from, strings.NewReader("other")); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkBeforeDirSync(from, to); !errors.Is(err, fs.ErrExist) {
		t.Errorf("linking onto an existing name: %v, want fs.ErrExist", err)
	}
	if err := s.LinkBeforeDirSync("queue/ab/missing.eml", "example.com/user/cd/other.eml"); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrLinkUnsupported) {
		t.Errorf("linking a missing file: %v, want fs.ErrNotExist", err)
	}
	if err := s.LinkBeforeDirSync("../outside.eml", "example.com/user/cd/x.eml"); err == nil {
		t.Error("a path out of the data directory was accepted")
	}
}
