package store

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestAuthenticate(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := mustDomain(t, s, Domain{Name: "example.com"})
		if _, err := s.AddDomainAlias(ctx, d.ID, "example.net"); err != nil {
			t.Fatal(err)
		}
		a := mustAccount(t, s, "User@example.com", 0)

		t.Run("right_password_logs_in_and_records_the_logon", func(t *testing.T) {
			got, err := s.Authenticate(ctx, "user@EXAMPLE.com", "secret-User@example.com", "192.0.2.7")
			if err != nil || got.ID != a.ID {
				t.Fatalf("got %v, %v", got.ID, err)
			}
			again, _ := s.Account(ctx, a.ID)
			if again.LastLogonIP != "192.0.2.7" || again.LastLogonAt == 0 {
				t.Errorf("last logon not recorded: %q %d", again.LastLogonIP, again.LastLogonAt)
			}
		})
		t.Run("domain_alias_name_logs_in_to_the_same_account", func(t *testing.T) {
			got, err := s.Authenticate(ctx, "user@example.net", "secret-User@example.com", "::1")
			if err != nil || got.ID != a.ID {
				t.Fatalf("got %v, %v", got.ID, err)
			}
		})
		t.Run("wrong_password_and_unknown_user_look_the_same", func(t *testing.T) {
			_, err1 := s.Authenticate(ctx, "user@example.com", "wrong", "::1")
			_, err2 := s.Authenticate(ctx, "nobody@example.com", "wrong", "::1")
			if !errors.Is(err1, ErrBadCredentials) || !errors.Is(err2, ErrBadCredentials) {
				t.Fatalf("got %v and %v, want ErrBadCredentials twice", err1, err2)
			}
		})
		t.Run("disabled_account_is_refused_even_with_the_right_password", func(t *testing.T) {
			b := mustAccount(t, s, "off@example.com", 0)
			b.Active = false
			if err := s.UpdateAccount(ctx, b); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, "off@example.com", "secret-off@example.com", "::1"); !errors.Is(err, ErrAccountDisabled) {
				t.Fatalf("got %v, want ErrAccountDisabled", err)
			}
		})
		t.Run("changed_password_replaces_the_old_one", func(t *testing.T) {
			c := mustAccount(t, s, "change@example.com", 0)
			if err := s.SetAccountPassword(ctx, c.ID, "new password"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, "change@example.com", "secret-change@example.com", "::1"); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("old password still works: %v", err)
			}
			if _, err := s.Authenticate(ctx, "change@example.com", "new password", "::1"); err != nil {
				t.Errorf("new password refused: %v", err)
			}
		})
	})
}

// Accounts imported from hMailServer keep their passwords, and the first
// successful login replaces the legacy hash with argon2id.
func TestImportedHMailServerPasswordsAreRehashedAtFirstLogin(t *testing.T) {
	md5hex := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	sha := func(salt, s string) string {
		h := sha256.Sum256([]byte(salt + s))
		return salt + hex.EncodeToString(h[:])
	}
	cases := []struct {
		name       string
		encryption int
		stored     string
	}{
		{"plain_text", 0, "hunter2"},
		{"md5_hex", 2, md5hex("hunter2")},
		{"salted_sha256", 3, sha("0a1b2c", "hunter2")},
	}
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				addr := c.name + "@example.com"
				a, err := s.ImportAccount(ctx, Account{Address: addr, Active: true}, c.encryption, c.stored)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Authenticate(ctx, addr, "wrong", "::1"); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("wrong password: %v", err)
				}
				if after, _ := s.Account(ctx, a.ID); !strings.HasPrefix(after.passwordHash, "{") {
					t.Fatalf("a failed login changed the stored hash to %q", after.passwordHash)
				}
				if _, err := s.Authenticate(ctx, addr, "hunter2", "::1"); err != nil {
					t.Fatalf("imported password refused: %v", err)
				}
				after, _ := s.Account(ctx, a.ID)
				if !strings.HasPrefix(after.passwordHash, "$argon2id$") {
					t.Fatalf("hash after login is %q, want argon2id", after.passwordHash)
				}
				if _, err := s.Authenticate(ctx, addr, "hunter2", "::1"); err != nil {
					t.Fatalf("rehashed password refused: %v", err)
				}
			})
		}
		_, err := s.ImportAccount(ctx, Account{Address: "bad@example.com"}, 2, "not-hex")
		wantValidation(t, err, "password")
	})
}

func TestAccountsPageAndFilter(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := mustDomain(t, s, Domain{Name: "example.com"})
		for i := range 25 {
			mustAccount(t, s, fmt.Sprintf("user%02d@example.com", i), 0)
		}
		mustAccount(t, s, "under_score@example.com", 0)
		page, err := s.Accounts(ctx, d.ID, "", 10, 20)
		if err != nil {
			t.Fatal(err)
		}
		// "under_score" sorts before "user00", so the third page starts at user19.
		if page.Total != 26 || len(page.Accounts) != 6 || page.Accounts[0].Address != "user19@example.com" {
			t.Fatalf("page 3 of 10: total %d, %d rows, first %q", page.Total, len(page.Accounts), first(page))
		}
		page, _ = s.Accounts(ctx, d.ID, "USER1", 100, 0)
		if page.Total != 10 {
			t.Errorf("filter user1 matched %d, want 10", page.Total)
		}
		page, _ = s.Accounts(ctx, d.ID, "_", 100, 0)
		if page.Total != 1 || first(page) != "under_score@example.com" {
			t.Errorf("filter _ is a wildcard: matched %d (%q)", page.Total, first(page))
		}
	})
}

func first(p AccountPage) string {
	if len(p.Accounts) == 0 {
		return ""
	}
	return p.Accounts[0].Address
}

// Eight writers at once on the embedded SQLite store: no "database is
// locked" errors, no lost rows, and an intact file afterwards.
func TestConcurrentWritersOnSQLite(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	d := mustDomain(t, s, Domain{Name: "example.com"})
	const writers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*3)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				addr := fmt.Sprintf("w%d-%d@example.com", w, i)
				a, err := s.CreateAccount(ctx, Account{Address: addr, Active: true}, "pw")
				if err != nil {
					errs <- err
					continue
				}
				inbox, err := s.Inbox(ctx, a.ID)
				if err != nil {
					errs <- err
					continue
				}
				if _, err := s.AddToFolder(ctx, StoredMessage{AccountID: a.ID, FolderID: inbox.ID, Path: "example.com/x/00/" + strings.Repeat("0", 30) + fmt.Sprintf("%02d", i) + ".eml", Size: 1}); err != nil {
					errs <- err
				}
				if err := s.SetSetting(ctx, "MaxSMTPConnections", fmt.Sprint(w*100+i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	page, err := s.Accounts(ctx, d.ID, "", 1, 0)
	if err != nil || page.Total != writers*each {
		t.Fatalf("%d accounts (%v), want %d", page.Total, err, writers*each)
	}
	var check string
	if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
}
