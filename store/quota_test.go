package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/store/messagefile"
)

func TestAccountSizeSumsTheAccountsStoredMessagesInEveryFolder(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustLocalAccount(t, s)
		other := mustAccount(t, s, "other@example.com", 0)
		if size, err := s.AccountSize(ctx, a.ID); err != nil || size != 0 {
			t.Fatalf("AccountSize of an empty account = %d, %v; want 0", size, err)
		}
		inbox, err := s.Inbox(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		sent, err := s.createFolder(ctx, s.db, a.ID, 0, "Archive")
		if err != nil {
			t.Fatal(err)
		}
		otherInbox, err := s.Inbox(ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Sizes past 2^31 must add up: a large mailbox is not an int32.
		for _, m := range []StoredMessage{
			{AccountID: a.ID, FolderID: inbox.ID, Size: 3 << 30},
			{AccountID: a.ID, FolderID: inbox.ID, Size: 1000},
			{AccountID: a.ID, FolderID: sent.ID, Size: 234},
			{AccountID: other.ID, FolderID: otherInbox.ID, Size: 99999},
		} {
			m.Path, _ = AccountMessagePath("user@example.com", messagefile.NewID())
			if _, err := s.AddToFolder(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		// A queued message to the account does not count until delivered.
		mustEnqueue(t, s, QueuedRecipient{Address: a.Address, AccountID: a.ID})
		if size, err := s.AccountSize(ctx, a.ID); err != nil || size != 3<<30+1234 {
			t.Errorf("AccountSize = %d, %v; want %d", size, err, int64(3<<30+1234))
		}
		if got := (Account{MaxSizeMB: 3}).MaxSizeBytes(); got != 3<<20 {
			t.Errorf("MaxSizeBytes of 3 MB = %d", got)
		}
	})
}

func TestFinishQueuedAndEnqueueQueuesTheNextMessageExactlyWhenTheFirstLeaves(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustLocalAccount(t, s)
		m := mustEnqueue(t, s, QueuedRecipient{Address: "gone@example.com", AccountID: a.ID})
		next := QueuedMessage{Path: queuePath(t), Size: 7, From: "", Recipients: []QueuedRecipient{
			{Address: a.Address, OriginalAddress: "sender@example.org", AccountID: a.ID}}}

		if _, _, err := s.FinishQueuedAndEnqueue(ctx, m.ID, next); !errors.Is(err, ErrRecipientsPending) {
			t.Fatalf("with a pending recipient: %v, want ErrRecipientsPending", err)
		}
		if list, _ := s.QueuedMessages(ctx); len(list) != 1 {
			t.Fatalf("the next message was queued although the first stayed: %+v", list)
		}
		if _, _, err := s.FinishQueuedAndEnqueue(ctx, m.ID, QueuedMessage{Path: next.Path}); err == nil {
			t.Fatal("a next message without recipients was accepted")
		}
		if err := s.FailRecipient(ctx, m.ID, m.Recipients[0].ID, "552 5.2.2 Inbox is full"); err != nil {
			t.Fatal(err)
		}

		// Workers racing to finish one message: one wins and queues the
		// next message, the others find it gone and queue nothing.
		var wg sync.WaitGroup
		results := make(chan error, 6)
		for range 6 {
			wg.Go(func() {
				path, queued, err := s.FinishQueuedAndEnqueue(ctx, m.ID, next)
				if err == nil && (path != m.Path || queued.ID == 0 || queued.Recipients[0].Status != RecipientPending) {
					t.Errorf("FinishQueuedAndEnqueue = %q, %+v", path, queued)
				}
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
			case !errors.Is(err, ErrNotFound):
				t.Errorf("a losing finish failed with %v, want ErrNotFound", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d finishes succeeded, want 1", won)
		}
		list, err := s.QueuedMessages(ctx)
		if err != nil || len(list) != 1 || list[0].Path != next.Path || list[0].From != "" || list[0].Size != 7 {
			t.Fatalf("queue holds %+v (%v), want only the next message", list, err)
		}
		q, err := s.QueuedMessage(ctx, list[0].ID)
		if err != nil || len(q.Recipients) != 1 || q.Recipients[0].AccountID != a.ID || q.Recipients[0].OriginalAddress != "sender@example.org" {
			t.Errorf("next message's recipients: %+v, %v", q.Recipients, err)
		}
		if n, _ := s.count(ctx, s.db, "SELECT COUNT(*) FROM message_recipients WHERE message_id = ?", m.ID); n != 0 {
			t.Errorf("%d recipient rows of the finished message left", n)
		}
	})
}
