package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store/messagefile"
)

// queuePath returns a fresh queue file path (no file is written: the rows
// do not look at the file).
func queuePath(t *testing.T) string {
	t.Helper()
	rel, err := messagefile.QueuePath(messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func mustEnqueue(t *testing.T, s *Store, rcpts ...QueuedRecipient) QueuedMessage {
	t.Helper()
	if len(rcpts) == 0 {
		rcpts = []QueuedRecipient{{Address: "someone@example.net", OriginalAddress: "someone@example.net"}}
	}
	m, err := s.Enqueue(context.Background(), QueuedMessage{Path: queuePath(t), Size: 42, From: "sender@example.org", Recipients: rcpts})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mustLocalAccount creates user@example.com in its domain.
func mustLocalAccount(t *testing.T, s *Store) Account {
	t.Helper()
	mustDomain(t, s, Domain{Name: "example.com"})
	return mustAccount(t, s, "user@example.com", 0)
}

// fakeClock makes s see the time the returned pointer holds.
func fakeClock(s *Store) *time.Time {
	now := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { return now }
	return &now
}

func TestEnqueueRecordsTheMessageAndItsRecipients(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		a := mustLocalAccount(t, s)
		path := queuePath(t)
		m, err := s.Enqueue(ctx, QueuedMessage{Path: path, Size: 1234, From: "Sender@Example.org", Recipients: []QueuedRecipient{
			{Address: "user@example.com", OriginalAddress: "Info@Example.com", AccountID: a.ID},
			{Address: "friend@example.net", OriginalAddress: "friend@example.net"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 || m.Recipients[0].ID == 0 || m.Recipients[1].ID == 0 || m.Recipients[0].ID == m.Recipients[1].ID {
			t.Fatalf("ids not filled in: %+v", m)
		}
		if m.CreatedAt != clock.Unix() || m.NextTryAt != clock.Unix() {
			t.Errorf("created %d, next try %d; want both %d (due at once)", m.CreatedAt, m.NextTryAt, clock.Unix())
		}
		got, err := s.QueuedMessage(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := QueuedMessage{ID: m.ID, Path: path, Size: 1234, From: "Sender@Example.org", NextTryAt: clock.Unix(), CreatedAt: clock.Unix(),
			Recipients: []QueuedRecipient{
				{ID: m.Recipients[0].ID, Address: "user@example.com", OriginalAddress: "Info@Example.com", AccountID: a.ID, Status: RecipientPending},
				{ID: m.Recipients[1].ID, Address: "friend@example.net", OriginalAddress: "friend@example.net", Status: RecipientPending},
			}}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("read back\n %+v\nwant\n %+v", got, want)
		}
		list, err := s.QueuedMessages(ctx)
		if err != nil || len(list) != 1 || list[0].ID != m.ID || list[0].Path != path {
			t.Errorf("QueuedMessages = %+v, %v; want the one message", list, err)
		}
		// A queued message is in no folder.
		inbox, err := s.Inbox(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if msgs, err := s.FolderMessages(ctx, inbox.ID); err != nil || len(msgs) != 0 {
			t.Errorf("INBOX holds %v (%v) before delivery", msgs, err)
		}
	})
}

func TestEnqueueRejectsWhatCannotBeDelivered(t *testing.T) {
	s := openSQLite(t)
	ok := []QueuedRecipient{{Address: "a@example.com"}}
	tests := []struct {
		name  string
		m     QueuedMessage
		field string
	}{
		{"no recipients", QueuedMessage{Path: queuePath(t)}, "recipients"},
		{"empty recipient address", QueuedMessage{Path: queuePath(t), Recipients: []QueuedRecipient{{Address: ""}}}, "recipients"},
		{"recipient longer than its column", QueuedMessage{Path: queuePath(t), Recipients: []QueuedRecipient{{Address: strings.Repeat("a", 250) + "@example.com"}}}, "recipients"},
		{"file outside the queue directory", QueuedMessage{Path: "example.com/user/00/" + strings.Repeat("0", 32) + ".eml", Recipients: ok}, "path"},
		{"path escaping the data directory", QueuedMessage{Path: "queue/../../etc/passwd", Recipients: ok}, "path"},
		{"negative size", QueuedMessage{Path: queuePath(t), Size: -1, Recipients: ok}, "size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Enqueue(context.Background(), tt.m)
			wantValidation(t, err, tt.field)
		})
	}
	if list, _ := s.QueuedMessages(context.Background()); len(list) != 0 {
		t.Errorf("rejected messages were queued: %+v", list)
	}
}

// Two (and more) workers claiming at once, each in small batches, end up
// with every message exactly once between them.
func TestClaimQueuedNeverHandsOneMessageToTwoWorkers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const messages = 60
		for range messages {
			mustEnqueue(t, s)
		}
		for _, workers := range []int{2, 4} {
			// Each round re-queues everything by ending the leases.
			if _, err := s.exec(ctx, s.db, "UPDATE messages SET locked_by = '', locked_until = 0"); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			claimedBy := map[int64][]string{}
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				name := fmt.Sprintf("node%d/%d", workers, w)
				wg.Go(func() {
					for range 10 * messages { // bounded: stops once a claim comes back empty
						got, err := s.ClaimQueued(ctx, name, 3, time.Hour)
						if err != nil {
							errs <- err
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, m := range got {
							claimedBy[m.ID] = append(claimedBy[m.ID], name)
							if m.LockedBy != name || len(m.Recipients) != 1 {
								errs <- fmt.Errorf("claimed %+v: want it leased to %s with its recipient", m, name)
							}
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if len(claimedBy) != messages {
				t.Errorf("%d workers claimed %d distinct messages, want all %d", workers, len(claimedBy), messages)
			}
			for id, names := range claimedBy {
				if len(names) != 1 {
					t.Errorf("%d workers: message %d was claimed by %v", workers, id, names)
				}
			}
		}
	})
}

func TestClaimQueuedHandsAMessageOverWhenItsLeaseExpires(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		m := mustEnqueue(t, s)

		first, err := s.ClaimQueued(ctx, "a", 10, time.Minute)
		if err != nil || len(first) != 1 || first[0].ID != m.ID {
			t.Fatalf("first claim = %+v, %v; want the message", first, err)
		}
		if first[0].LockedUntil != clock.Unix()+60 {
			t.Errorf("lease until %d, want %d", first[0].LockedUntil, clock.Unix()+60)
		}
		*clock = clock.Add(59 * time.Second)
		if got, err := s.ClaimQueued(ctx, "b", 10, time.Minute); err != nil || len(got) != 0 {
			t.Fatalf("claim during the lease = %+v, %v; want nothing", got, err)
		}
		*clock = clock.Add(2 * time.Second)
		second, err := s.ClaimQueued(ctx, "b", 10, time.Minute)
		if err != nil || len(second) != 1 || second[0].ID != m.ID || second[0].LockedBy != "b" {
			t.Fatalf("claim after the lease expired = %+v, %v; want the message for b", second, err)
		}
		// The first worker's token is stale now: it cannot end b's lease.
		stale := first[0]
		stale.NextTryAt = clock.Unix() + 3600
		if err := s.ReleaseQueued(ctx, stale); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("release with an expired lease: %v, want ErrLeaseLost", err)
		}
		if err := s.RenewLease(ctx, &stale, time.Hour); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("renew of an expired lease: %v, want ErrLeaseLost", err)
		}
		if got, _ := s.QueuedMessage(ctx, m.ID); got.LockedBy != "b" || got.NextTryAt != m.NextTryAt {
			t.Errorf("after the stale release the row is %+v, want b's lease untouched", got)
		}
	})
}

func TestReleaseQueuedSchedulesTheNextTry(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		m := mustEnqueue(t, s)
		claimed, err := s.ClaimQueued(ctx, "w", 1, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %+v, %v", claimed, err)
		}
		c := claimed[0]
		*clock = clock.Add(30 * time.Second)
		if err := s.RenewLease(ctx, &c, time.Minute); err != nil {
			t.Fatal(err)
		}
		if c.LockedUntil != clock.Unix()+60 {
			t.Errorf("renewed lease ends %d, want %d", c.LockedUntil, clock.Unix()+60)
		}
		c.TryCount++
		c.NextTryAt = clock.Unix() + 600
		if err := s.ReleaseQueued(ctx, c); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimQueued(ctx, "w", 1, time.Minute); err != nil || len(got) != 0 {
			t.Fatalf("claim before the next try = %+v, %v; want nothing", got, err)
		}
		*clock = clock.Add(600 * time.Second)
		got, err := s.ClaimQueued(ctx, "w", 1, time.Minute)
		if err != nil || len(got) != 1 || got[0].ID != m.ID || got[0].TryCount != 1 {
			t.Fatalf("claim at the next try = %+v, %v; want the message with try count 1", got, err)
		}
	})
}

func TestReleaseLeasesEndsTheLeasesOfOneNode(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		holders := []string{"node1", "node1/0", "node1/1", "node10/0", "node_/0", "other/1"}
		for range holders {
			mustEnqueue(t, s)
		}
		for _, h := range holders {
			if got, err := s.ClaimQueued(ctx, h, 1, time.Hour); err != nil || len(got) != 1 {
				t.Fatalf("claim for %s = %+v, %v", h, got, err)
			}
		}
		n, err := s.ReleaseLeases(ctx, "node1")
		if err != nil || n != 3 {
			t.Fatalf("ReleaseLeases(node1) = %d, %v; want 3 (node1, node1/0, node1/1)", n, err)
		}
		got, err := s.ClaimQueued(ctx, "new", 10, time.Hour)
		if err != nil || len(got) != 3 {
			t.Fatalf("claim after the release = %d messages (%v), want the 3 released", len(got), err)
		}
		list, _ := s.QueuedMessages(ctx)
		var still []string
		for _, m := range list {
			if m.LockedBy != "new" {
				still = append(still, m.LockedBy)
			}
		}
		if fmt.Sprint(still) != "[node10/0 node_/0 other/1]" {
			t.Errorf("leases left: %v, want node10/0, node_/0 and other/1 (a LIKE wildcard in the name must not match)", still)
		}
	})
}

func TestDeliverLocalIsIdempotent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustLocalAccount(t, s)
		inbox, err := s.Inbox(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := mustEnqueue(t, s,
			QueuedRecipient{Address: "user@example.com", AccountID: a.ID},
			QueuedRecipient{Address: "remote@example.net"})
		local := m.Recipients[0]
		rel, err := AccountMessagePath(a.Address, messagefile.NewID())
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := s.DeliverLocal(ctx, m.ID, local.ID, rel, m.Size); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := s.FolderMessages(ctx, inbox.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 {
			t.Fatalf("INBOX holds %d messages after three deliveries of one recipient, want 1", len(msgs))
		}
		if got := msgs[0]; got.UID != 1 || got.Path != rel || got.Size != m.Size || got.InternalDate != m.CreatedAt || got.Flags != FlagRecent {
			t.Errorf("stored %+v, want UID 1, path %s, size %d, internal date %d, \\Recent", got, rel, m.Size, m.CreatedAt)
		}
		q, err := s.QueuedMessage(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if q.Recipients[0].Status != RecipientDelivered || q.Recipients[1].Status != RecipientPending {
			t.Errorf("recipients %+v, want the local one delivered and the remote one pending", q.Recipients)
		}

		// Many workers delivering one recipient at once: one row.
		m2 := mustEnqueue(t, s, QueuedRecipient{Address: "user@example.com", AccountID: a.ID})
		rel2, _ := AccountMessagePath(a.Address, messagefile.NewID())
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				if err := s.DeliverLocal(ctx, m2.ID, m2.Recipients[0].ID, rel2, m2.Size); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		msgs, _ = s.FolderMessages(ctx, inbox.ID)
		if len(msgs) != 2 || msgs[1].UID != 2 || msgs[1].Path != rel2 {
			t.Errorf("after concurrent deliveries the INBOX holds %+v, want a second message with UID 2", msgs)
		}
	})
}

func TestDeliverLocalLeavesTheRecipientPendingWhenItCannot(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustLocalAccount(t, s)
		m := mustEnqueue(t, s,
			QueuedRecipient{Address: "user@example.com", AccountID: a.ID},
			QueuedRecipient{Address: "remote@example.net"})
		rel, _ := AccountMessagePath(a.Address, messagefile.NewID())

		if err := s.DeliverLocal(ctx, m.ID, m.Recipients[1].ID, rel, 1); err == nil {
			t.Error("DeliverLocal of an external recipient succeeded")
		}
		if err := s.DeliverLocal(ctx, m.ID, m.Recipients[0].ID, "../escape.eml", 1); err == nil {
			t.Error("DeliverLocal with an invalid path succeeded")
		}
		if err := s.DeleteAccount(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeliverLocal(ctx, m.ID, m.Recipients[0].ID, rel, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeliverLocal to a deleted account: %v, want ErrNotFound", err)
		}
		q, err := s.QueuedMessage(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range q.Recipients {
			if r.Status != RecipientPending {
				t.Errorf("recipient %s is %d after failed deliveries, want pending", r.Address, r.Status)
			}
		}
		if n, _ := s.count(ctx, s.db, "SELECT COUNT(*) FROM messages WHERE state = ?", MessageStored); n != 0 {
			t.Errorf("%d stored messages after failed deliveries, want 0", n)
		}
	})
}

func TestFinishQueuedWaitsForEveryRecipient(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustLocalAccount(t, s)
		m := mustEnqueue(t, s,
			QueuedRecipient{Address: "user@example.com", AccountID: a.ID},
			QueuedRecipient{Address: "remote@example.net"},
			QueuedRecipient{Address: "other@example.net"})
		other := mustEnqueue(t, s)

		if _, err := s.FinishQueued(ctx, m.ID); !errors.Is(err, ErrRecipientsPending) {
			t.Fatalf("finish with pending recipients: %v, want ErrRecipientsPending", err)
		}
		rel, _ := AccountMessagePath(a.Address, messagefile.NewID())
		if err := s.DeliverLocal(ctx, m.ID, m.Recipients[0].ID, rel, m.Size); err != nil {
			t.Fatal(err)
		}
		if err := s.FailRecipient(ctx, m.ID, m.Recipients[1].ID, "550 no such user"); err != nil {
			t.Fatal(err)
		}
		// Failing a delivered recipient changes nothing.
		if err := s.FailRecipient(ctx, m.ID, m.Recipients[0].ID, "late"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishQueued(ctx, m.ID); !errors.Is(err, ErrRecipientsPending) {
			t.Fatalf("finish with one pending recipient: %v, want ErrRecipientsPending", err)
		}
		if n, err := s.FailPending(ctx, m.ID, "remote delivery is not available"); err != nil || n != 1 {
			t.Fatalf("FailPending = %d, %v; want 1", n, err)
		}
		q, _ := s.QueuedMessage(ctx, m.ID)
		wantStatus := []int{RecipientDelivered, RecipientFailed, RecipientFailed}
		wantReply := []string{"", "550 no such user", "remote delivery is not available"}
		for i, r := range q.Recipients {
			if r.Status != wantStatus[i] || r.LastReply != wantReply[i] {
				t.Errorf("recipient %d: status %d reply %q, want %d %q", i, r.Status, r.LastReply, wantStatus[i], wantReply[i])
			}
		}

		path, err := s.FinishQueued(ctx, m.ID)
		if err != nil || path != m.Path {
			t.Fatalf("FinishQueued = %q, %v; want %q", path, err, m.Path)
		}
		if _, err := s.FinishQueued(ctx, m.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second FinishQueued: %v, want ErrNotFound", err)
		}
		if _, err := s.QueuedMessage(ctx, m.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("finished message still readable: %v", err)
		}
		if n, _ := s.count(ctx, s.db, "SELECT COUNT(*) FROM message_recipients WHERE message_id = ?", m.ID); n != 0 {
			t.Errorf("%d recipient rows left", n)
		}
		list, _ := s.QueuedMessages(ctx)
		if len(list) != 1 || list[0].ID != other.ID {
			t.Errorf("queue holds %+v, want only the other message", list)
		}
		inbox, _ := s.Inbox(ctx, a.ID)
		if msgs, _ := s.FolderMessages(ctx, inbox.ID); len(msgs) != 1 {
			t.Errorf("the delivered copy went with the queue row: INBOX holds %d", len(msgs))
		}
	})
}

func TestClaimQueuedClaimsABatchOldestDueFirst(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		var queued []QueuedMessage
		for range 5 {
			queued = append(queued, mustEnqueue(t, s,
				QueuedRecipient{Address: "a@example.net", OriginalAddress: "a@example.net"},
				QueuedRecipient{Address: "b@example.net", OriginalAddress: "b@example.net"}))
			*clock = clock.Add(time.Second)
		}
		first, err := s.ClaimQueued(ctx, "w", 3, time.Minute)
		if err != nil || len(first) != 3 {
			t.Fatalf("ClaimQueued(3) = %d messages, %v", len(first), err)
		}
		for i, m := range first {
			if m.ID != queued[i].ID || m.LockedBy != "w" || len(m.Recipients) != 2 || m.Recipients[1].Address != "b@example.net" {
				t.Errorf("claimed #%d: %+v, want message %d leased to w with both recipients", i, m, queued[i].ID)
			}
		}
		rest, err := s.ClaimQueued(ctx, "v", 10, time.Minute)
		if err != nil || len(rest) != 2 || rest[0].ID != queued[3].ID || rest[1].ID != queued[4].ID {
			t.Fatalf("second ClaimQueued(10) = %+v, %v; want the last two", rest, err)
		}
		if none, err := s.ClaimQueued(ctx, "u", 10, time.Minute); err != nil || len(none) != 0 {
			t.Errorf("third ClaimQueued = %d messages, %v; want none", len(none), err)
		}
	})
}

func TestSettleQueued(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		two := func() QueuedMessage {
			return mustEnqueue(t, s,
				QueuedRecipient{Address: "a@example.net", OriginalAddress: "a@example.net"},
				QueuedRecipient{Address: "b@example.net", OriginalAddress: "b@example.net"})
		}
		delivered := func(m QueuedMessage, i int) RecipientOutcome {
			return RecipientOutcome{RecipientID: m.Recipients[i].ID, Status: RecipientDelivered, Reply: "250 ok"}
		}
		done, pending, failed, gone := two(), two(), two(), two()
		if _, err := s.FinishQueued(ctx, gone.ID); !errors.Is(err, ErrRecipientsPending) {
			t.Fatal(err)
		}
		if err := s.RecordOutcomes(ctx, gone.ID, []RecipientOutcome{delivered(gone, 0), delivered(gone, 1)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishQueued(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		results, err := s.SettleQueued(ctx, []Settlement{
			{MessageID: done.ID, Outcomes: []RecipientOutcome{delivered(done, 0), delivered(done, 1)}, Finish: true, KeepIfFailed: true},
			{MessageID: pending.ID, Outcomes: []RecipientOutcome{delivered(pending, 0)}, Finish: true},
			{MessageID: failed.ID, Outcomes: []RecipientOutcome{delivered(failed, 0), {RecipientID: failed.Recipients[1].ID, Status: RecipientFailed, Reply: "550 no"}},
				Finish: true, KeepIfFailed: true},
			{MessageID: gone.ID, Finish: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a_settled_message_leaves_the_queue", func(t *testing.T) {
			if results[0].Err != nil || results[0].Path != done.Path {
				t.Errorf("result %+v, want the path %s", results[0], done.Path)
			}
			if _, err := s.QueuedMessage(ctx, done.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("the message is still queued: %v", err)
			}
		})
		t.Run("a_message_with_a_pending_recipient_stays_with_its_outcomes_recorded", func(t *testing.T) {
			if !errors.Is(results[1].Err, ErrRecipientsPending) {
				t.Errorf("result %+v, want ErrRecipientsPending", results[1])
			}
			m, err := s.QueuedMessage(ctx, pending.ID)
			if err != nil || m.Recipients[0].Status != RecipientDelivered || m.Recipients[1].Status != RecipientPending {
				t.Errorf("message %+v, %v; want the first recipient delivered, the second pending", m, err)
			}
		})
		t.Run("a_message_with_a_failed_recipient_stays_for_its_bounce", func(t *testing.T) {
			if !errors.Is(results[2].Err, ErrRecipientsFailed) {
				t.Errorf("result %+v, want ErrRecipientsFailed", results[2])
			}
			m, err := s.QueuedMessage(ctx, failed.ID)
			if err != nil || m.Recipients[1].Status != RecipientFailed || m.Recipients[1].LastReply != "550 no" {
				t.Errorf("message %+v, %v; want the second recipient failed with its reply", m, err)
			}
		})
		t.Run("a_message_gone_from_the_queue_is_not_found", func(t *testing.T) {
			if !errors.Is(results[3].Err, ErrNotFound) {
				t.Errorf("result %+v, want ErrNotFound", results[3])
			}
		})
	})
}
