// Package policy owns who may connect and relay: IP range matching, the
// relay matrix of the IP ranges, and auto-ban after failed logins. SMTP,
// POP3, IMAP and the administration RPC share it. It does not resolve
// recipients: whether an address is local is decided by the caller and
// handed in.
package policy

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/store"
)

// cacheLifetime is how long the ranges are trusted before they are read
// again, so that ranges added by other nodes (or by hand in the database)
// are seen without a restart.
const cacheLifetime = 30 * time.Second

// Ranges caches the IP ranges from the store (they are read for every
// connection). It is safe for concurrent use.
type Ranges struct {
	store *store.Store
	now   func() time.Time

	// generation counts Invalidate calls; a snapshot taken under an older
	// generation is stale.
	generation atomic.Uint64
	snapshot   atomic.Pointer[rangeSnapshot]
	// loading lets one caller read the database while the others wait.
	loading chan struct{}
}

type rangeSnapshot struct {
	ranges     []store.IPRange
	loadedAt   time.Time
	generation uint64
}

// NewRanges returns a cache over st's IP ranges; nothing is read until the
// first Match.
func NewRanges(st *store.Store) *Ranges {
	return &Ranges{store: st, now: time.Now, loading: make(chan struct{}, 1)}
}

// Match returns the range of highest priority containing ip that has not
// expired (store.MatchIPRange). IPv4-mapped IPv6 addresses match as IPv4,
// and a zone (fe80::1%eth0) is ignored. The ranges are read again when
// Invalidate was called or the cache is older than 30 seconds; when that
// read fails the error is returned rather than a stale answer.
func (r *Ranges) Match(ctx context.Context, ip netip.Addr) (store.IPRange, bool, error) {
	ranges, err := r.current(ctx)
	if err != nil {
		return store.IPRange{}, false, err
	}
	match, ok := store.MatchIPRange(ranges, ip.Unmap().WithZone(""), r.now().Unix())
	return match, ok, nil
}

// Invalidate makes the next Match read the ranges from the store. Call it
// after changing a range.
func (r *Ranges) Invalidate() { r.generation.Add(1) }

// current returns fresh ranges, reading them when the snapshot is stale.
func (r *Ranges) current(ctx context.Context) ([]store.IPRange, error) {
	if s, ok := r.fresh(); ok {
		return s.ranges, nil
	}
	select {
	case r.loading <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.loading }()
	// Another caller may have loaded them while this one waited.
	if s, ok := r.fresh(); ok {
		return s.ranges, nil
	}
	// Take the generation before reading, so an Invalidate during the read
	// leaves this snapshot stale.
	generation := r.generation.Load()
	loadedAt := r.now()
	ranges, err := r.store.IPRanges(ctx)
	if err != nil {
		return nil, err
	}
	r.snapshot.Store(&rangeSnapshot{ranges: ranges, loadedAt: loadedAt, generation: generation})
	return ranges, nil
}

func (r *Ranges) fresh() (*rangeSnapshot, bool) {
	s := r.snapshot.Load()
	if s == nil || s.generation != r.generation.Load() {
		return nil, false
	}
	age := r.now().Sub(s.loadedAt)
	// A clock that went backwards also means reading again.
	return s, age >= 0 && age < cacheLifetime
}
