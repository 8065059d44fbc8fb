package policy

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// openStore opens a fresh SQLite store with hMailServer's defaults, as a
// first start creates them.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	dir := t.TempDir()
	dsn := "file:" + dir + "/mailwright.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	st, err := store.Open(context.Background(), store.Options{Type: "sqlite", DSN: dsn, DataDir: dir + "/data", Connections: 4})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newRanges returns a range cache over st on clock.
func newRanges(st *store.Store, clock *fakeClock) *Ranges {
	r := NewRanges(st)
	r.now = clock.Now
	return r
}

// mustCreateRange adds a range or fails the test.
func mustCreateRange(t *testing.T, st *store.Store, r store.IPRange) store.IPRange {
	t.Helper()
	out, err := st.CreateIPRange(context.Background(), r)
	if err != nil {
		t.Fatalf("create range %q: %v", r.Name, err)
	}
	return out
}
