package store

import (
	"context"
	"errors"
	"os"
	"testing"
)

func TestEmptyAccount(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		alice := mustAccount(t, s, "alice@example.com", 0)
		bob := mustAccount(t, s, "bob@example.com", 0)
		aliceFiles := []string{storeMessage(t, s, alice), storeMessage(t, s, alice)}
		bobFile := storeMessage(t, s, bob)
		inbox, err := s.Inbox(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("deletes_every_message_and_file_of_the_account_only", func(t *testing.T) {
			n, err := s.EmptyAccount(ctx, alice.ID)
			if err != nil || n != 2 {
				t.Fatalf("EmptyAccount = %d, %v; want 2 deleted", n, err)
			}
			if size, _ := s.AccountSize(ctx, alice.ID); size != 0 {
				t.Errorf("alice's size after emptying = %d, want 0", size)
			}
			for _, rel := range aliceFiles {
				if _, err := s.files.Open(rel); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("file %s still opens (%v), want it removed", rel, err)
				}
			}
			if f, err := s.files.Open(bobFile); err != nil {
				t.Errorf("bob's file is gone: %v", err)
			} else {
				f.Close()
			}
			if size, _ := s.AccountSize(ctx, bob.ID); size == 0 {
				t.Error("bob's messages were deleted too")
			}
		})

		t.Run("keeps_the_folders_and_never_reuses_a_uid", func(t *testing.T) {
			after, err := s.Inbox(ctx, alice.ID)
			if err != nil {
				t.Fatalf("INBOX gone: %v", err)
			}
			if after.UIDValidity != inbox.UIDValidity || after.UIDNext < 3 {
				t.Errorf("INBOX after emptying = validity %d next %d, want validity %d and next >= 3", after.UIDValidity, after.UIDNext, inbox.UIDValidity)
			}
		})

		t.Run("an_empty_account_deletes_nothing", func(t *testing.T) {
			if n, err := s.EmptyAccount(ctx, alice.ID); err != nil || n != 0 {
				t.Fatalf("EmptyAccount again = %d, %v; want 0, nil", n, err)
			}
		})

		t.Run("unknown_account_is_not_found", func(t *testing.T) {
			if _, err := s.EmptyAccount(ctx, 999999); !errors.Is(err, ErrNotFound) {
				t.Fatalf("EmptyAccount(unknown) = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestUnlockAccount(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		a := mustAccount(t, s, "alice@example.com", 0)
		if _, err := s.db.ExecContext(ctx, s.dialect.Rebind("UPDATE accounts SET pop3_lock = ?, pop3_lock_at = ? WHERE id = ?"), "session-1", 1700000000, a.ID); err != nil {
			t.Fatal(err)
		}

		t.Run("clears_the_lock", func(t *testing.T) {
			if err := s.UnlockAccount(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			var lock string
			var at int64
			if err := s.queryRow(ctx, s.db, "SELECT pop3_lock, pop3_lock_at FROM accounts WHERE id = ?", a.ID).Scan(&lock, &at); err != nil {
				t.Fatal(err)
			}
			if lock != "" || at != 0 {
				t.Errorf("lock after unlock = %q at %d, want none", lock, at)
			}
		})

		t.Run("unlocking_an_unlocked_account_succeeds", func(t *testing.T) {
			if err := s.UnlockAccount(ctx, a.ID); err != nil {
				t.Fatalf("second unlock: %v", err)
			}
		})

		t.Run("unknown_account_is_not_found", func(t *testing.T) {
			if err := s.UnlockAccount(ctx, 999999); !errors.Is(err, ErrNotFound) {
				t.Fatalf("UnlockAccount(unknown) = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestAccountSizesAndFolderMessageCounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := mustDomain(t, s, Domain{Name: "example.com"})
		mustDomain(t, s, Domain{Name: "other.example"})
		alice := mustAccount(t, s, "alice@example.com", 0)
		bob := mustAccount(t, s, "bob@example.com", 0)
		carol := mustAccount(t, s, "carol@other.example", 0)
		storeMessage(t, s, alice)
		storeMessage(t, s, alice)
		storeMessage(t, s, carol)

		sizes, err := s.AccountSizes(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := s.AccountSize(ctx, alice.ID)
		if sizes[alice.ID] != want || want == 0 {
			t.Errorf("AccountSizes[alice] = %d, want AccountSize's %d (non-zero)", sizes[alice.ID], want)
		}
		if _, ok := sizes[bob.ID]; ok {
			t.Error("an account without messages is listed")
		}
		if _, ok := sizes[carol.ID]; ok {
			t.Error("an account of another domain is listed")
		}

		counts, err := s.FolderMessageCounts(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		inbox, _ := s.Inbox(ctx, alice.ID)
		if counts[inbox.ID] != 2 || len(counts) != 1 {
			t.Errorf("FolderMessageCounts = %v, want {INBOX %d: 2}", counts, inbox.ID)
		}
	})
}
