package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// loginCache remembers, for AccountCacheTTL, the password that last passed
// an account's password check, so that a mail client logging in again and
// again (every POP3 poll, every new IMAP connection) does not pay the
// argon2id check (about 60 ms of a core and 19 MiB) each time. hMailServer
// keeps accounts in its cache for the same TTL (manual: Settings →
// Advanced → Performance → Cache); Dovecot offers the same as auth_cache.
//
// What is kept is not the password but an HMAC of it under a key made at
// start and held only in memory, together with the stored hash it was
// checked against: a new password, set here or on another node, changes
// the stored hash, so the entry no longer applies. Only successful checks
// are kept, so a wrong password always costs the full check, and guessing
// is as slow as without the cache. With CacheEnabled 0 or an
// AccountCacheTTL of 0 nothing is kept.
type loginCache struct {
	mu      sync.Mutex
	key     []byte
	entries map[int64]loginEntry
}

type loginEntry struct {
	storedHash string
	mac        [sha256.Size]byte
	checkedAt  time.Time
}

// maxLoginEntries bounds the cache; when it is full the entries are
// dropped and it fills again.
const maxLoginEntries = 10000

func (c *loginCache) mac(plain string) [sha256.Size]byte {
	if c.key == nil {
		c.key = make([]byte, 32)
		rand.Read(c.key)
	}
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(plain))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// passed reports whether plain passed the check against storedHash for
// account id within ttl.
func (c *loginCache) passed(id int64, storedHash, plain string, now time.Time, ttl time.Duration) bool {
	if ttl <= 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || e.storedHash != storedHash || !fresh(e.checkedAt, now, ttl) {
		return false
	}
	mac := c.mac(plain)
	return hmac.Equal(mac[:], e.mac[:])
}

// remember records that plain passed the check against storedHash.
func (c *loginCache) remember(id int64, storedHash, plain string, now time.Time, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxLoginEntries {
		c.entries = make(map[int64]loginEntry)
	}
	c.entries[id] = loginEntry{storedHash: storedHash, mac: c.mac(plain), checkedAt: now}
}

// forget drops every entry (an account was deleted or changed).
func (c *loginCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

// loginTTL is how long a passed check is kept under the current settings:
// AccountCacheTTL, 0 when the cache is off.
func (s *Store) loginTTL(ctx context.Context) time.Duration {
	ttls, err := s.lookupTTLs(ctx)
	if err != nil {
		return 0
	}
	return ttls.account
}
