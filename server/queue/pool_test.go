package queue

import (
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

func TestAWorkerSendsAClaimedBatchToOneServerOnOneConnection(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	q := w.queue("node", Options{Workers: 1})
	for _, to := range []string{"a@example.net", "b@example.org", "c@example.net"} {
		w.accept(q, w.accounts[0].Address, []Recipient{external(to)}, remoteText)
	}
	r := start(t, q)
	waitDrained(t, w.st, 20*time.Second)
	r.stop(t)
	if n, sessions := len(w.peer.Messages()), w.peer.Sessions(); n != 3 || sessions != 1 {
		t.Errorf("the peer got %d messages in %d sessions, want 3 in 1:\n%s", n, sessions, w.logs.String())
	}
}

func TestAStoppedQueueLeavesNoMessageLeased(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	q := w.queue("node", Options{Workers: 2})
	for range 6 {
		w.accept(q, w.accounts[0].Address, []Recipient{external("a@example.net")}, remoteText)
	}
	r := start(t, q)
	waitFor(t, "a first delivery", func() bool { return len(w.peer.Messages()) > 0 })
	r.stop(t) // claimed messages may still wait in the pool
	queued, err := w.st.QueuedMessages(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, m := range queued {
		if m.LockedBy != "" {
			t.Errorf("message %d is still leased to %s after the queue stopped", m.ID, m.LockedBy)
		}
		full, err := w.st.QueuedMessage(t.Context(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if full.Recipients[0].Status == store.RecipientPending {
			pending++
		}
	}
	// A message the peer took as the queue stopped stays queued, its
	// recipient recorded as delivered, for the next run to finish.
	if delivered := len(w.peer.Messages()); delivered+pending < 6 {
		t.Errorf("%d delivered and %d still to send, want 6 in all", delivered, pending)
	}
}
