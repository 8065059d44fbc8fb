package messagefile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// benchMessage is a typical small message: 4 KiB.
var benchMessage = bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop\r\n"), 64)

// benchPaths returns n new mailbox paths spread over one account's
// directories, as delivery produces them.
func benchPaths(b *testing.B, n int) []string {
	b.Helper()
	rels := make([]string, n)
	for i := range rels {
		rel, err := AccountPath("example.com", "alice", NewID())
		if err != nil {
			b.Fatal(err)
		}
		rels[i] = rel
	}
	return rels
}

func newBenchStore(b *testing.B) *Store {
	b.Helper()
	s, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkWriteBeforeDirSync measures a write up to a durable file under
// its final name, the part of a delivery done for every message.
func BenchmarkWriteBeforeDirSync(b *testing.B) {
	s := newBenchStore(b)
	rels := benchPaths(b, b.N)
	b.SetBytes(int64(len(benchMessage)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.WriteBeforeDirSync(rels[i], bytes.NewReader(benchMessage)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteSyncDirs measures a complete durable Write: the file and
// its directory fsynced.
func BenchmarkWriteSyncDirs(b *testing.B) {
	s := newBenchStore(b)
	rels := benchPaths(b, b.N)
	b.SetBytes(int64(len(benchMessage)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Write(rels[i], bytes.NewReader(benchMessage)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen measures opening and closing an existing message file, as
// an IMAP FETCH of a body does.
func BenchmarkOpen(b *testing.B) {
	s := newBenchStore(b)
	rels := benchPaths(b, 256)
	for _, rel := range rels {
		if _, err := s.WriteBeforeDirSync(rel, bytes.NewReader(benchMessage)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f, err := s.Open(rels[i%len(rels)])
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemove measures deleting a message file whose directory keeps
// other messages, as expunge does.
func BenchmarkRemove(b *testing.B) {
	s := newBenchStore(b)
	rels := benchPaths(b, b.N+256)
	// Made with plain os calls, so that the setup costs the same system
	// calls whatever Write does.
	for _, rel := range rels {
		abs, _ := s.Abs(rel)
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(abs, nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Remove(rels[i]); err != nil {
			b.Fatal(err)
		}
	}
}
