package store

import (
	"context"
	"testing"
)

func TestRecordOutcomesChangesOnlyPendingRecipients(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		m := mustEnqueue(t, s,
			QueuedRecipient{Address: "a@example.net", OriginalAddress: "a@example.net"},
			QueuedRecipient{Address: "b@example.net", OriginalAddress: "b@example.net"},
			QueuedRecipient{Address: "c@example.net", OriginalAddress: "c@example.net"},
			QueuedRecipient{Address: "d@example.net", OriginalAddress: "d@example.net"})
		a, b, c, d := m.Recipients[0].ID, m.Recipients[1].ID, m.Recipients[2].ID, m.Recipients[3].ID
		if err := s.FailRecipient(ctx, m.ID, d, "550 earlier"); err != nil {
			t.Fatal(err)
		}
		err := s.RecordOutcomes(ctx, m.ID, []RecipientOutcome{
			{RecipientID: a, Status: RecipientDelivered, Reply: "250 ok"},
			{RecipientID: b, Status: RecipientFailed, Reply: "550 no"},
			{RecipientID: c, Status: RecipientPending, Reply: "451 later"},
			{RecipientID: d, Status: RecipientDelivered, Reply: "250 too late"},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Recorded again, as a second worker would: nothing changes but
		// the pending recipient's reply.
		if err := s.RecordOutcomes(ctx, m.ID, []RecipientOutcome{
			{RecipientID: a, Status: RecipientFailed, Reply: "550 twice"},
			{RecipientID: c, Status: RecipientPending, Reply: "452 still later"},
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.QueuedMessage(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			status int
			reply  string
		}{{RecipientDelivered, "250 ok"}, {RecipientFailed, "550 no"}, {RecipientPending, "452 still later"}, {RecipientFailed, "550 earlier"}}
		for i, r := range got.Recipients {
			if r.Status != want[i].status || r.LastReply != want[i].reply {
				t.Errorf("%s: status %d reply %q, want %d %q", r.Address, r.Status, r.LastReply, want[i].status, want[i].reply)
			}
		}
		if err := s.RecordOutcomes(ctx, m.ID, []RecipientOutcome{{RecipientID: a, Status: 7}}); err == nil {
			t.Error("an unknown status was accepted")
		}
	})
}

func TestEnqueueAllQueuesAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rcpt := []QueuedRecipient{{Address: "a@example.net", OriginalAddress: "a@example.net"}}
		queued, err := s.EnqueueAll(ctx, []QueuedMessage{
			{Path: queuePath(t), Size: 1, From: "x@example.org", Recipients: rcpt},
			{Path: queuePath(t), Size: 2, From: "x@example.org", Recipients: rcpt},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) != 2 || queued[0].ID == 0 || queued[1].ID == queued[0].ID || queued[1].Recipients[0].ID == 0 {
			t.Fatalf("EnqueueAll returned %+v", queued)
		}
		// A message that cannot be queued keeps the others out too.
		if _, err := s.EnqueueAll(ctx, []QueuedMessage{
			{Path: queuePath(t), Size: 1, Recipients: rcpt},
			{Path: queuePath(t), Size: 1},
		}); err == nil {
			t.Fatal("EnqueueAll queued a message without recipients")
		}
		all, err := s.QueuedMessages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 {
			t.Errorf("%d messages queued after a failed EnqueueAll, want the 2 before", len(all))
		}
	})
}
