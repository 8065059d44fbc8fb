package queue

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// writeQueueFile writes a queue file that has no row, as a crash between
// the write and the commit leaves it, modified age ago.
func writeQueueFile(t *testing.T, st *store.Store, age time.Duration) string {
	t.Helper()
	rel, err := messagefile.QueuePath(messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Files().Write(rel, strings.NewReader("Subject: never acknowledged\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	abs, _ := st.Files().Abs(rel)
	then := time.Now().Add(-age)
	if err := os.Chtimes(abs, then, then); err != nil {
		t.Fatal(err)
	}
	return rel
}

func exists(t *testing.T, st *store.Store, rel string) bool {
	t.Helper()
	abs, err := st.Files().Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Lstat(abs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestReconcileRemovesQueueFilesWithoutARowOnceOlderThanTheGrace(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	var logs logBuffer
	q := New(st, Options{Worker: "node", Log: logs.logger()}) // the default grace: 10 minutes
	ctx := context.Background()
	old := writeQueueFile(t, st, time.Hour)
	young := writeQueueFile(t, st, time.Minute)
	id, _, err := q.Accept(ctx, "s@example.org", []Recipient{rcpt(accounts[0])}, strings.NewReader("Subject: queued\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	queued, _ := messagefile.QueuePath(id)
	// Something that is not a queue file: not the queue's to remove.
	stray := filepath.Join(st.Files().Root(), messagefile.QueueDir, "ab", "README.txt")
	os.MkdirAll(filepath.Dir(stray), 0o700)
	if err := os.WriteFile(stray, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-time.Hour)
	os.Chtimes(stray, then, then)

	if err := q.reconcile(ctx, true); err != nil {
		t.Fatal(err)
	}
	if exists(t, st, old) {
		t.Errorf("the hour-old queue file without a row is still there")
	}
	if !exists(t, st, young) {
		t.Errorf("a minute-old queue file without a row was removed: another node may still be committing its row")
	}
	if !exists(t, st, queued) {
		t.Errorf("the file of a queued message was removed")
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("a file that is not a queue file was removed: %v", err)
	}
	log := logs.String()
	for _, want := range []string{"never acknowledged", old, "kept queue files", "unexpected file in the queue directory"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// A file between its write and its row's commit has no row yet; a
// reconciliation running just then must leave it alone.
func TestReconcileNeverRemovesAFileBeingAccepted(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	q := New(st, Options{Worker: "node", Log: slog.New(slog.DiscardHandler), OrphanGrace: time.Nanosecond})
	ctx := context.Background()
	ran := false
	testHookAfterWrite = func(rel string) {
		time.Sleep(5 * time.Millisecond) // older than the grace
		if err := q.reconcile(ctx, false); err != nil {
			t.Error(err)
		}
		if !exists(t, st, rel) {
			t.Errorf("reconciliation removed %s while it was being accepted", rel)
		}
		ran = true
	}
	t.Cleanup(func() { testHookAfterWrite = nil })
	if _, _, err := q.Accept(ctx, "s@example.org", []Recipient{rcpt(accounts[0])}, strings.NewReader("Subject: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if !ran {
		t.Fatal("the hook did not run")
	}
	rows, err := st.QueuedMessages(ctx)
	if err != nil || len(rows) != 1 || !exists(t, st, rows[0].Path) {
		t.Fatalf("after Accept: rows %+v (%v), want one with its file", rows, err)
	}
}

func TestReconcileFailsTheRecipientsOfARowWithoutAFile(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	var logs logBuffer
	q := New(st, Options{Worker: "node", Log: logs.logger()})
	ctx := context.Background()
	rel, _ := messagefile.QueuePath(messagefile.NewID())
	m, err := st.Enqueue(ctx, store.QueuedMessage{Path: rel, Size: 10, From: "s@example.org", Recipients: []store.QueuedRecipient{
		{Address: accounts[0].Address, AccountID: accounts[0].ID},
		{Address: "friend@example.net"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.reconcile(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.QueuedMessage(ctx, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the row without a file is still queued: %v", err)
	}
	if msgs, _ := inbox(t, st, accounts[0].ID); len(msgs) != 0 {
		t.Errorf("a message without a file was delivered: %+v", msgs)
	}
	log := logs.String()
	for _, want := range []string{"level=ERROR", "queued message has no file", rel, "failed_recipients=2", "rows_without_file=1"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// After a crash the node's own leases would hold its messages until they
// expire; Run ends them at once, and leaves other nodes' leases alone.
func TestRunEndsTheLeasesThisNodeHeldBeforeACrash(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	alice := accounts[0]
	ctx := context.Background()
	q := New(st, Options{Workers: 2, Worker: "node", Log: slog.New(slog.DiscardHandler), Lease: time.Hour})
	for _, subject := range []string{"mine", "theirs"} {
		if _, _, err := q.Accept(ctx, "s@example.org", []Recipient{rcpt(alice)}, strings.NewReader("Subject: "+subject+"\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	for _, worker := range []string{"node/1", "other/0"} {
		if got, err := st.ClaimQueued(ctx, worker, 1, time.Hour); err != nil || len(got) != 1 {
			t.Fatalf("claim for %s: %+v, %v", worker, got, err)
		}
	}
	r := start(t, q)
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs, _ := inbox(t, st, alice.ID)
		if len(msgs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message leased by this node before the crash was not delivered; INBOX holds %d", len(msgs))
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.stop(t)
	rows, err := st.QueuedMessages(ctx)
	if err != nil || len(rows) != 1 || rows[0].LockedBy != "other/0" {
		t.Errorf("queue holds %+v (%v), want only the message other/0 leased", rows, err)
	}
	_, contents := inbox(t, st, alice.ID)
	if len(contents) != 1 || !strings.Contains(contents[0], "Subject: mine") {
		t.Errorf("delivered %q, want the message this node had leased", contents)
	}
}
