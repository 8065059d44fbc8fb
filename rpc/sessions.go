package rpc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// maxSessions bounds the logins kept in memory; when it is reached the
// least recently used session is forgotten, so a flood of logins cannot
// grow the table without end.
const maxSessions = 10_000

// sessions is the table of logged-in callers: an opaque random token maps
// to its Principal. A session expires when it has not been used for ttl;
// each use pushes the expiry back. It is safe for concurrent use.
type sessions struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	// byKey is keyed by the SHA-256 of the token, so the map's lookup
	// does not compare secrets byte by byte.
	byKey     map[[sha256.Size]byte]*session
	lastSweep time.Time
}

type session struct {
	principal Principal
	// stamp is the account's store.CredentialStamp at login ("" for the
	// main administrator): when it changes the session ends.
	stamp   string
	lastUse time.Time
}

func newSessions(ttl time.Duration, max int) *sessions {
	return &sessions{ttl: ttl, max: max, now: time.Now, byKey: map[[sha256.Size]byte]*session{}}
}

// create starts a session for p, whose credentials have the given stamp,
// and returns its token and when it expires if not used.
func (s *sessions) create(p Principal, stamp string) (token string, expires time.Time) {
	raw := make([]byte, 32)
	rand.Read(raw) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(raw)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	for len(s.byKey) >= s.max {
		s.evictLeastRecentLocked()
	}
	s.byKey[sha256.Sum256([]byte(token))] = &session{principal: p, stamp: stamp, lastUse: now}
	return token, now.Add(s.ttl)
}

// lookup returns the session's caller and credential stamp and pushes its
// expiry back; ok is false for an unknown or expired token.
func (s *sessions) lookup(token string) (p Principal, stamp string, ok bool) {
	if token == "" {
		return Principal{}, "", false
	}
	key := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	sess, found := s.byKey[key]
	if !found {
		return Principal{}, "", false
	}
	if s.expired(sess, now) {
		delete(s.byKey, key)
		return Principal{}, "", false
	}
	sess.lastUse = now
	return sess.principal, sess.stamp, true
}

// remove ends a session (logout). An unknown token is ignored.
func (s *sessions) remove(token string) {
	key := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, key)
}

// count reports how many sessions are open (expired ones not yet swept
// included).
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byKey)
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return now.Sub(sess.lastUse) >= s.ttl
}

// sweepLocked drops the expired sessions, at most once per ttl (or per
// minute, whichever is shorter), so the table stays small without a
// background goroutine. s.mu must be held.
func (s *sessions) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < min(s.ttl, time.Minute) {
		return
	}
	s.lastSweep = now
	for key, sess := range s.byKey {
		if s.expired(sess, now) {
			delete(s.byKey, key)
		}
	}
}

// evictLeastRecentLocked forgets the session used longest ago. s.mu must
// be held.
func (s *sessions) evictLeastRecentLocked() {
	var oldestKey [sha256.Size]byte
	var oldest *session
	for key, sess := range s.byKey {
		if oldest == nil || sess.lastUse.Before(oldest.lastUse) {
			oldestKey, oldest = key, sess
		}
	}
	if oldest != nil {
		delete(s.byKey, oldestKey)
	}
}
