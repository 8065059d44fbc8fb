package store

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mailwright/mailwright/store/messagefile"
)

func TestSettleQueuedPutsLocalCopiesIntoTheirInboxesInTheRound(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustLocalAccount(t, s)
		gone := mustAccount(t, s, "gone@example.com", 0)
		inbox, err := s.Inbox(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		watch, stop := s.WatchFolder(inbox.ID)
		defer stop()

		delivered := mustEnqueue(t, s, QueuedRecipient{Address: "user@example.com", AccountID: a.ID})
		undeliverable := mustEnqueue(t, s, QueuedRecipient{Address: "gone@example.com", AccountID: gone.ID})
		kept := mustEnqueue(t, s,
			QueuedRecipient{Address: "user@example.com", AccountID: a.ID},
			QueuedRecipient{Address: "remote@example.net"})
		rel1, _ := AccountMessagePath(a.Address, messagefile.NewID())
		rel2, _ := AccountMessagePath(gone.Address, messagefile.NewID())
		rel3, _ := AccountMessagePath(a.Address, messagefile.NewID())
		if err := s.DeleteAccount(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}

		settlements := []Settlement{
			{MessageID: delivered.ID, Finish: true, KeepIfFailed: true,
				Deliveries: []LocalDelivery{{RecipientID: delivered.Recipients[0].ID, Path: rel1, Size: 10, GoneReply: "550 gone"}}},
			{MessageID: undeliverable.ID, Finish: true, KeepIfFailed: true,
				Deliveries: []LocalDelivery{{RecipientID: undeliverable.Recipients[0].ID, Path: rel2, Size: 10, GoneReply: "550 gone"}}},
			{MessageID: kept.ID, Finish: true,
				Deliveries: []LocalDelivery{{RecipientID: kept.Recipients[0].ID, Path: rel3, Size: 10, GoneReply: "550 gone"}}},
		}
		results, err := s.SettleQueued(ctx, settlements)
		if err != nil {
			t.Fatal(err)
		}

		if r := results[0]; r.Err != nil || r.Path != delivered.Path || !slices.Equal(r.Delivered, []int64{delivered.Recipients[0].ID}) || len(r.Undelivered) != 0 {
			t.Errorf("delivered and finished: %+v, want the queue file %s and the recipient delivered", r, delivered.Path)
		}
		if r := results[1]; !errors.Is(r.Err, ErrRecipientsFailed) || !slices.Equal(r.Undelivered, []string{rel2}) || len(r.Delivered) != 0 {
			t.Errorf("account gone: %+v, want ErrRecipientsFailed and %s undelivered", r, rel2)
		}
		if r := results[2]; !errors.Is(r.Err, ErrRecipientsPending) || len(r.Delivered) != 1 {
			t.Errorf("one recipient left pending: %+v, want ErrRecipientsPending and one delivered", r)
		}
		select {
		case <-watch:
		default:
			t.Error("the INBOX's watchers were not woken after the commit")
		}

		msgs, err := s.FolderMessages(ctx, inbox.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].Path != rel1 || msgs[1].Path != rel3 || msgs[0].UID != 1 || msgs[1].UID != 2 {
			t.Errorf("INBOX holds %+v, want %s (UID 1) and %s (UID 2)", msgs, rel1, rel3)
		}
		q, err := s.QueuedMessage(ctx, undeliverable.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := q.Recipients[0]; r.Status != RecipientFailed || r.LastReply != "550 gone" {
			t.Errorf("recipient whose account is gone: status %d reply %q, want failed with the GoneReply", r.Status, r.LastReply)
		}

		// The same copy settled again (a retry after a lost commit
		// answer, or a second worker): no second row.
		results, err = s.SettleQueued(ctx, settlements[2:])
		if err != nil {
			t.Fatal(err)
		}
		if len(results[0].Delivered) != 0 {
			t.Errorf("settling a delivered copy again: %+v, want nothing delivered", results[0])
		}
		if msgs, _ := s.FolderMessages(ctx, inbox.ID); len(msgs) != 2 {
			t.Errorf("after settling a copy twice the INBOX holds %d messages, want 2", len(msgs))
		}
	})
}
