package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestPOP3Lock(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		a := mustAccount(t, s, "alice@example.com", 0)
		now := time.Unix(1_700_000_000, 0)
		s.now = func() time.Time { return now }

		first, err := s.LockPOP3(ctx, a.ID, 30*time.Minute)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("second_lock_is_refused_while_held", func(t *testing.T) {
			if _, err := s.LockPOP3(ctx, a.ID, 30*time.Minute); !errors.Is(err, ErrMailboxLocked) {
				t.Fatalf("second LockPOP3 = %v, want ErrMailboxLocked", err)
			}
		})

		t.Run("refresh_keeps_a_held_lock", func(t *testing.T) {
			if err := s.RefreshPOP3Lock(ctx, first); err != nil {
				t.Fatalf("refresh in the same second: %v", err)
			}
			now = now.Add(20 * time.Minute)
			if err := s.RefreshPOP3Lock(ctx, first); err != nil {
				t.Fatal(err)
			}
			now = now.Add(20 * time.Minute) // 40 minutes after taking, 20 after refreshing
			if _, err := s.LockPOP3(ctx, a.ID, 30*time.Minute); !errors.Is(err, ErrMailboxLocked) {
				t.Fatalf("LockPOP3 of a refreshed lock = %v, want ErrMailboxLocked", err)
			}
		})

		var second POP3Lock
		t.Run("stale_lock_is_taken_over", func(t *testing.T) {
			now = now.Add(31 * time.Minute)
			second, err = s.LockPOP3(ctx, a.ID, 30*time.Minute)
			if err != nil {
				t.Fatalf("LockPOP3 of a stale lock: %v", err)
			}
			if second.Token == first.Token {
				t.Fatal("the new holder has the old token")
			}
			if err := s.RefreshPOP3Lock(ctx, first); !errors.Is(err, ErrPOP3LockLost) {
				t.Fatalf("old holder's refresh = %v, want ErrPOP3LockLost", err)
			}
		})

		t.Run("old_holder_cannot_release_the_new_lock", func(t *testing.T) {
			if err := s.UnlockPOP3(ctx, first); err != nil {
				t.Fatal(err)
			}
			if _, err := s.LockPOP3(ctx, a.ID, 30*time.Minute); !errors.Is(err, ErrMailboxLocked) {
				t.Fatalf("LockPOP3 after the old holder's unlock = %v, want ErrMailboxLocked", err)
			}
		})

		t.Run("unlock_frees_the_mailbox", func(t *testing.T) {
			if err := s.UnlockPOP3(ctx, second); err != nil {
				t.Fatal(err)
			}
			l, err := s.LockPOP3(ctx, a.ID, 30*time.Minute)
			if err != nil {
				t.Fatalf("LockPOP3 after unlock: %v", err)
			}
			if err := s.UnlockAccount(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.RefreshPOP3Lock(ctx, l); !errors.Is(err, ErrPOP3LockLost) {
				t.Fatalf("refresh after the administrator's unlock = %v, want ErrPOP3LockLost", err)
			}
		})

		t.Run("unknown_account_is_not_found", func(t *testing.T) {
			if _, err := s.LockPOP3(ctx, 999999, time.Minute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("LockPOP3(unknown) = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestPOP3LockRaceHasOneWinner(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		a := mustAccount(t, s, "alice@example.com", 0)
		const racers = 8
		var wg sync.WaitGroup
		results := make(chan error, racers)
		for range racers {
			wg.Go(func() {
				_, err := s.LockPOP3(ctx, a.ID, 30*time.Minute)
				results <- err
			})
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrMailboxLocked):
				t.Errorf("racer: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d sessions hold the lock, want 1", won)
		}
	})
}

func TestCommitPOP3(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDomain(t, s, Domain{Name: "example.com"})
		a := mustAccount(t, s, "alice@example.com", 0)
		b := mustAccount(t, s, "bob@example.com", 0)
		for range 3 {
			storeMessage(t, s, a)
		}
		storeMessage(t, s, b)
		inbox, _ := s.Inbox(ctx, a.ID)
		msgs, err := s.FolderMessages(ctx, inbox.ID)
		if err != nil || len(msgs) != 3 {
			t.Fatalf("FolderMessages = %d, %v", len(msgs), err)
		}
		bobInbox, _ := s.Inbox(ctx, b.ID)
		bobMsgs, _ := s.FolderMessages(ctx, bobInbox.ID)

		t.Run("lost_lock_deletes_nothing", func(t *testing.T) {
			lost := POP3Lock{AccountID: a.ID, Token: "not-the-holder"}
			if _, err := s.CommitPOP3(ctx, lost, []int64{msgs[0].ID}); !errors.Is(err, ErrPOP3LockLost) {
				t.Fatalf("CommitPOP3 without the lock = %v, want ErrPOP3LockLost", err)
			}
			if left, _ := s.FolderMessages(ctx, inbox.ID); len(left) != 3 {
				t.Fatalf("%d messages left, want 3", len(left))
			}
		})

		t.Run("deletes_rows_and_files_and_releases_the_lock", func(t *testing.T) {
			lock, err := s.LockPOP3(ctx, a.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			// Bob's message and an unknown id are not alice's: skipped.
			n, err := s.CommitPOP3(ctx, lock, []int64{msgs[0].ID, msgs[2].ID, bobMsgs[0].ID, 999999})
			if err != nil || n != 2 {
				t.Fatalf("CommitPOP3 = %d, %v; want 2 deleted", n, err)
			}
			left, _ := s.FolderMessages(ctx, inbox.ID)
			if len(left) != 1 || left[0].ID != msgs[1].ID {
				t.Fatalf("left %+v, want only message %d", left, msgs[1].ID)
			}
			for _, m := range []StoredMessage{msgs[0], msgs[2]} {
				if f, err := s.files.Open(m.Path); err == nil {
					f.Close()
					t.Errorf("the file %s of a deleted message is still there", m.Path)
				}
			}
			if f, err := s.files.Open(msgs[1].Path); err != nil {
				t.Errorf("the kept message's file: %v", err)
			} else {
				f.Close()
			}
			if bobLeft, _ := s.FolderMessages(ctx, bobInbox.ID); len(bobLeft) != 1 {
				t.Errorf("bob has %d messages, want 1", len(bobLeft))
			}
			if l, err := s.LockPOP3(ctx, a.ID, time.Hour); err != nil {
				t.Fatalf("the lock was not released: %v", err)
			} else {
				s.UnlockPOP3(ctx, l)
			}
		})

		t.Run("delete_messages_in_batches", func(t *testing.T) {
			ids := make([]int64, 0, 2*deleteBatch+2)
			for i := range 2*deleteBatch + 1 {
				ids = append(ids, int64(1_000_000+i))
			}
			ids = append(ids, msgs[1].ID)
			n, err := s.DeleteMessages(ctx, a.ID, ids)
			if err != nil || n != 1 {
				t.Fatalf("DeleteMessages = %d, %v; want 1", n, err)
			}
		})
	})
}

func TestPOP3UIDIsTheRowID(t *testing.T) {
	if got := POP3UID(StoredMessage{ID: 42, UID: 7}); got != "42" {
		t.Fatalf("POP3UID = %q, want 42", got)
	}
}
