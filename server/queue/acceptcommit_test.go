package queue

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mailwright/mailwright/store"
)

// holdFirstRound makes the first round of q's accept committer wait until
// want more Accepts are waiting behind it, so that they all join the
// second round, whatever the scheduling. It records the size of every
// round and calls then (when set) before the second round commits.
func holdFirstRound(t *testing.T, q *Queue, want int, then func()) *[]int {
	t.Helper()
	var (
		mu     sync.Mutex
		rounds []int
	)
	testHookAcceptRound = func(n int) {
		mu.Lock()
		rounds = append(rounds, n)
		round := len(rounds)
		mu.Unlock()
		switch round {
		case 1:
			for {
				q.committer.mu.Lock()
				waiting := len(q.committer.waiting)
				q.committer.mu.Unlock()
				if waiting >= want {
					return
				}
				runtime.Gosched()
			}
		case 2:
			if then != nil {
				then()
			}
		}
	}
	t.Cleanup(func() { testHookAcceptRound = nil })
	return &rounds
}

func TestAcceptConcurrentAcceptsShareARoundAndAllAreDurableAndQueued(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	q := New(st, Options{Log: (&logBuffer{}).logger()})
	const n = 40
	rounds := holdFirstRound(t, q, n-1, nil)

	type accepted struct {
		id, body string
	}
	results := make([]accepted, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b := fmt.Sprintf("Subject: %d\r\n\r\n%s", i, body(1+i))
			id, size, err := q.Accept(context.Background(), "sender@example.net", []Recipient{rcpt(accounts[0])}, strings.NewReader(b))
			if err == nil && size != int64(len(b)) {
				err = fmt.Errorf("size %d, want %d", size, len(b))
			}
			results[i], errs[i] = accepted{id, b}, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Accept %d: %v", i, err)
		}
	}
	if got := *rounds; !slices.Equal(got, []int{1, n - 1}) {
		t.Errorf("rounds of %v, want one of 1 (the first leader) and one of %d (all the others)", got, n-1)
	}

	queued, err := st.QueuedMessages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != n {
		t.Fatalf("%d messages queued, want %d", len(queued), n)
	}
	byPath := map[string]store.QueuedMessage{}
	for _, m := range queued {
		byPath[m.Path] = m
	}
	for i, r := range results {
		row, ok := byPath["queue/"+r.id[:2]+"/"+r.id+".eml"]
		if !ok {
			t.Errorf("Accept %d: no queue row for id %s", i, r.id)
			continue
		}
		m, err := st.QueuedMessage(context.Background(), row.ID)
		if err != nil {
			t.Fatal(err)
		}
		// A message only for local accounts is queued as it will be
		// stored: with its Return-Path line first.
		want := "Return-Path: <sender@example.net>\r\n" + r.body
		if len(m.Recipients) != 1 || m.Recipients[0].AccountID != accounts[0].ID || m.Size != int64(len(want)) {
			t.Errorf("Accept %d: row %+v", i, m)
		}
		f, err := st.Files().Open(m.Path)
		if err != nil {
			t.Errorf("Accept %d: %v", i, err)
			continue
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || string(got) != want {
			t.Errorf("Accept %d: the queue file holds %d bytes (%v), not the message", i, len(got), err)
		}
	}
	if files := filesUnder(t, st.Files().Root()+"/queue"); len(files) != n {
		t.Errorf("%d files under queue/, want %d: %v", len(files), n, files)
	}
}

func TestAcceptAFailedRoundFailsEveryAcceptInItAndQueuesNoneOfThem(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	q := New(st, Options{Log: (&logBuffer{}).logger()})
	const n = 12
	ctx := context.Background()
	// A real database error in the middle of the round's transaction: the
	// recipients' table is gone when the second round inserts, after its
	// messages rows.
	breakTable := func() {
		if _, err := st.DB().ExecContext(ctx, "ALTER TABLE message_recipients RENAME TO message_recipients_away"); err != nil {
			t.Error(err)
		}
	}
	rounds := holdFirstRound(t, q, n-1, breakTable)

	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ids[i], _, errs[i] = q.Accept(ctx, "sender@example.net", []Recipient{rcpt(accounts[0])}, strings.NewReader(body(20)))
		})
	}
	wg.Wait()
	if _, err := st.DB().ExecContext(ctx, "ALTER TABLE message_recipients_away RENAME TO message_recipients"); err != nil {
		t.Fatal(err)
	}
	if got := *rounds; !slices.Equal(got, []int{1, n - 1}) {
		t.Fatalf("rounds of %v, want 1 and %d", got, n-1)
	}
	var ok, failed int
	for i, err := range errs {
		if err == nil {
			ok++
		} else {
			failed++
			if !strings.Contains(err.Error(), "message_recipients") {
				t.Errorf("Accept %d failed with %v, not the database's error", i, err)
			}
		}
	}
	if ok != 1 || failed != n-1 {
		t.Fatalf("%d accepted and %d failed, want the first round's 1 accepted and the second round's %d failed", ok, failed, n-1)
	}
	queued, err := st.QueuedMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 {
		t.Fatalf("queued after the failed round: %+v, want only the first round's message", queued)
	}
	if m, err := st.QueuedMessage(ctx, queued[0].ID); err != nil || len(m.Recipients) != 1 {
		t.Fatalf("the first round's message: %+v, %v; want its one recipient", m, err)
	}
	if files := filesUnder(t, st.Files().Root()+"/queue"); len(files) != 1 || "queue/"+files[0] != queued[0].Path {
		t.Errorf("files under queue/: %v, want only %s", files, queued[0].Path)
	}
	var messages, recipients int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM messages").Scan(&messages); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM message_recipients").Scan(&recipients); err != nil {
		t.Fatal(err)
	}
	if messages != 1 || recipients != 1 {
		t.Errorf("%d messages rows and %d recipient rows, want 1 each: the failed round was not rolled back", messages, recipients)
	}

	// The committer works on after a failed round.
	testHookAcceptRound = nil
	if _, _, err := q.Accept(ctx, "sender@example.net", []Recipient{rcpt(accounts[0])}, strings.NewReader(body(1))); err != nil {
		t.Fatalf("Accept after the failed round: %v", err)
	}
}

func TestAcceptLeadershipPassesOnUnderSteadyLoad(t *testing.T) {
	// Many sessions accepting in a loop: every Accept returns, each
	// message is queued once, whichever Accept happened to lead.
	st, accounts := newTestStore(t, "alice")
	q := New(st, Options{Log: (&logBuffer{}).logger()})
	const sessions, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, sessions*each)
	for range sessions {
		wg.Go(func() {
			for range each {
				if _, _, err := q.Accept(context.Background(), "sender@example.net", []Recipient{rcpt(accounts[0])}, strings.NewReader(body(5))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	queued, err := st.QueuedMessages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != sessions*each {
		t.Errorf("%d queued, want %d", len(queued), sessions*each)
	}
	q.committer.mu.Lock()
	defer q.committer.mu.Unlock()
	if q.committer.leading || len(q.committer.waiting) != 0 {
		t.Errorf("after the load the committer is leading=%v with %d waiting, want idle", q.committer.leading, len(q.committer.waiting))
	}
}
