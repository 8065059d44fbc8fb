package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLoginCache(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		a := mustAccount(t, s, "user@example.com", 0)
		const right = "secret-user@example.com"
		stored := func() string {
			t.Helper()
			got, err := s.AccountByAddress(ctx, "user@example.com")
			if err != nil {
				t.Fatal(err)
			}
			return got.passwordHash
		}
		ttl := s.loginTTL(ctx)
		if ttl != 60*time.Second {
			t.Fatalf("login TTL under the default settings = %v, want AccountCacheTTL's 60s", ttl)
		}

		if _, err := s.Authenticate(ctx, "user@example.com", right, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		now := s.now()
		if !s.logins.passed(a.ID, stored(), right, now, ttl) {
			t.Fatal("a successful login was not remembered")
		}
		if s.logins.passed(a.ID, stored(), right+"x", now, ttl) {
			t.Error("another password matched the remembered one")
		}
		if s.logins.passed(a.ID, stored(), right, now.Add(ttl), ttl) {
			t.Error("the entry was used after AccountCacheTTL")
		}
		// A remembered login still checks the rest: a wrong password is
		// refused with the entry present, and so is a disabled account.
		if _, err := s.Authenticate(ctx, "user@example.com", "wrong", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password with a remembered login: %v", err)
		}
		if _, err := s.Authenticate(ctx, "user@example.com", right, "192.0.2.1"); err != nil {
			t.Fatalf("remembered login: %v", err)
		}

		// A new password makes the remembered one useless at once: the
		// entry is tied to the stored hash.
		if err := s.SetAccountPassword(ctx, a.ID, "new-password-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "user@example.com", right, "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("old password after a password change: %v, want ErrBadCredentials", err)
		}
		if _, err := s.Authenticate(ctx, "user@example.com", "new-password-1", "192.0.2.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}

		// With the cache off nothing is remembered.
		if err := s.SetSetting(ctx, "CacheEnabled", "0"); err != nil {
			t.Fatal(err)
		}
		s.logins.forget()
		if got := s.loginTTL(ctx); got != 0 {
			t.Fatalf("login TTL with CacheEnabled 0 = %v", got)
		}
		if _, err := s.Authenticate(ctx, "user@example.com", "new-password-1", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if s.logins.passed(a.ID, stored(), "new-password-1", s.now(), time.Minute) {
			t.Error("a login was remembered with CacheEnabled 0")
		}
	})
}
