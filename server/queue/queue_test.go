package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// openStore opens (or creates) the SQLite store of dir, with the DSN
// parameters mailwrightd uses, and the message files under dir/data.
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	dsn := "file:" + filepath.Join(dir, "mailwright.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"
	st, err := store.Open(context.Background(), store.Options{Type: "sqlite", DSN: dsn, DataDir: filepath.Join(dir, "data"), Connections: 8})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newTestStore opens a fresh store with the domain example.com and the
// accounts named, returned in order.
func newTestStore(t *testing.T, locals ...string) (*store.Store, []store.Account) {
	t.Helper()
	st := openStore(t, t.TempDir())
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if _, err := st.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true}); err != nil {
		t.Fatal(err)
	}
	var accounts []store.Account
	for _, local := range locals {
		a, err := st.CreateAccount(ctx, store.Account{Address: local + "@example.com", Active: true}, "secret")
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a)
	}
	return st, accounts
}

// logBuffer collects a queue's log for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// running is a queue whose Run goroutine a test can stop.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, q *Queue) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- q.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends Run and waits for its workers, for at most 10 seconds.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.done == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of its context ending")
	}
	r.done = nil
}

// waitDrained waits until the queue has neither rows nor files.
func waitDrained(t *testing.T, st *store.Store, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rows, err := st.QueuedMessages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		files := filesUnder(t, filepath.Join(st.Files().Root(), messagefile.QueueDir))
		if len(rows) == 0 && len(files) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained after %v: %d rows %+v, files %q", timeout, len(rows), rows, files)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// filesUnder lists the regular files below dir (slash-separated, relative
// to dir), temporary ones included; a missing dir has none.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// inbox returns an account's INBOX messages with their contents, and
// checks that their UIDs run 1..n.
func inbox(t *testing.T, st *store.Store, accountID int64) ([]store.StoredMessage, []string) {
	t.Helper()
	ctx := context.Background()
	f, err := st.Inbox(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.FolderMessages(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	contents := make([]string, len(msgs))
	for i, m := range msgs {
		if m.UID != uint32(i+1) {
			t.Errorf("account %d: message %d has UID %d, want UIDs 1..%d", accountID, i, m.UID, len(msgs))
		}
		file, err := st.Files().Open(m.Path)
		if err != nil {
			t.Fatalf("account %d: message UID %d: %v", accountID, m.UID, err)
		}
		b, err := io.ReadAll(file)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != m.Size {
			t.Errorf("account %d: UID %d is %d bytes, its row says %d", accountID, m.UID, len(b), m.Size)
		}
		contents[i] = string(b)
	}
	return msgs, contents
}

// assertNoStrayMailboxFiles checks that every file below the domain's
// directory belongs to a stored message: no mailbox file was left without
// its row.
func assertNoStrayMailboxFiles(t *testing.T, st *store.Store, accounts []store.Account) {
	t.Helper()
	referenced := map[string]bool{}
	for _, a := range accounts {
		msgs, _ := inbox(t, st, a.ID)
		for _, m := range msgs {
			referenced[m.Path] = true
		}
	}
	for _, rel := range filesUnder(t, filepath.Join(st.Files().Root(), "example.com")) {
		if !referenced["example.com/"+rel] {
			t.Errorf("mailbox file example.com/%s belongs to no stored message", rel)
		}
	}
}

func body(n int) string {
	return fmt.Sprintf("From: sender@example.org\r\nSubject: message %d\r\n\r\n%s\r\n", n, strings.Repeat(fmt.Sprintf("line %d\r\n", n), n*100))
}

func rcpt(a store.Account) Recipient {
	return Recipient{Address: a.Address, OriginalAddress: a.Address, AccountID: a.ID}
}

func TestAcceptThenRunDeliversEveryLocalRecipientOnce(t *testing.T) {
	st, accounts := newTestStore(t, "alice", "bob")
	alice, bob := accounts[0], accounts[1]
	external := Recipient{Address: "friend@example.net", OriginalAddress: "friend@example.net"}
	var logs logBuffer
	// An hour between polls: only Accept's wake-up can start the workers.
	q := New(st, Options{Workers: 3, Worker: "node", Log: logs.logger(), PollInterval: time.Hour})
	r := start(t, q)

	sends := [][]Recipient{
		{rcpt(alice)},
		{rcpt(alice), rcpt(bob)},
		{rcpt(bob), external},
		{rcpt(alice)},
		{rcpt(bob), rcpt(alice)},
	}
	wantAlice, wantBob := map[string]int{}, map[string]int{}
	ctx := context.Background()
	for i, rcpts := range sends {
		text := body(i)
		id, size, err := q.Accept(ctx, "sender@example.org", rcpts, strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 32 || size != int64(len(text)) {
			t.Errorf("Accept = %q, %d; want a 32-character id and size %d", id, size, len(text))
		}
		delivered := "Return-Path: <sender@example.org>\r\n" + text
		for _, rc := range rcpts {
			switch rc.AccountID {
			case alice.ID:
				wantAlice[delivered]++
			case bob.ID:
				wantBob[delivered]++
			}
		}
	}
	waitDrained(t, st, 20*time.Second)
	r.stop(t)

	for _, c := range []struct {
		account store.Account
		want    map[string]int
	}{{alice, wantAlice}, {bob, wantBob}} {
		msgs, contents := inbox(t, st, c.account.ID)
		got := map[string]int{}
		for _, text := range contents {
			got[text]++
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s's INBOX holds %d messages, not byte for byte the ones sent to it", c.account.Address, len(msgs))
		}
		for _, m := range msgs {
			if m.Flags != store.FlagRecent {
				t.Errorf("%s UID %d has flags %d, want \\Recent", c.account.Address, m.UID, m.Flags)
			}
		}
	}

	assertNoStrayMailboxFiles(t, st, accounts)
	log := logs.String()
	if n := strings.Count(log, "msg=\"message delivered\""); n != 7 {
		t.Errorf("the log has %d lines for delivered recipients, want 7:\n%s", n, log)
	}
	if !strings.Contains(log, "level=INFO msg=\"delivery failed\"") || !strings.Contains(log, replyRemoteUnavailable) {
		t.Errorf("the external recipient's failure is not logged:\n%s", log)
	}
	if strings.Contains(log, "bounce queued") {
		t.Errorf("a bounce was queued for an external recipient:\n%s", log)
	}
}

func TestAcceptWithoutRecipientsOrWithFailingBodyQueuesNothing(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	q := New(st, Options{Log: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if _, _, err := q.Accept(ctx, "s@example.org", nil, strings.NewReader("x")); err == nil {
		t.Error("Accept without recipients succeeded")
	}
	broken := io.MultiReader(strings.NewReader("Subject: half\r\n"), iotestErrReader{})
	if _, _, err := q.Accept(ctx, "s@example.org", []Recipient{rcpt(accounts[0])}, broken); err == nil {
		t.Error("Accept with a body that fails half-way succeeded")
	}
	bad := Recipient{Address: strings.Repeat("x", 300) + "@example.com", AccountID: accounts[0].ID}
	if _, _, err := q.Accept(ctx, "s@example.org", []Recipient{bad}, strings.NewReader("x")); err == nil {
		t.Error("Accept with a recipient the queue cannot hold succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := q.Accept(cancelled, "s@example.org", []Recipient{rcpt(accounts[0])}, strings.NewReader("x")); err == nil {
		t.Error("Accept with a cancelled context succeeded")
	}
	if rows, _ := st.QueuedMessages(ctx); len(rows) != 0 {
		t.Errorf("rows queued: %+v", rows)
	}
	if files := filesUnder(t, filepath.Join(st.Files().Root(), messagefile.QueueDir)); len(files) != 0 {
		t.Errorf("files left in the queue: %q", files)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestDeliveryToAnAccountDeletedAfterAcceptFailsAndLeavesNoFile(t *testing.T) {
	st, accounts := newTestStore(t, "alice", "carol")
	alice, carol := accounts[0], accounts[1]
	var logs logBuffer
	q := New(st, Options{Workers: 2, Worker: "node", Log: logs.logger()})
	ctx := context.Background()
	if _, _, err := q.Accept(ctx, "s@example.org", []Recipient{rcpt(alice), rcpt(carol)}, strings.NewReader(body(1))); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAccount(ctx, carol.ID); err != nil {
		t.Fatal(err)
	}
	r := start(t, q)
	waitDrained(t, st, 20*time.Second)
	r.stop(t)
	if msgs, _ := inbox(t, st, alice.ID); len(msgs) != 1 {
		t.Errorf("alice has %d messages, want 1", len(msgs))
	}
	if _, err := os.Stat(filepath.Join(st.Files().Root(), "example.com", "carol")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a mailbox directory was made for the deleted account: %v", err)
	}
	if !strings.Contains(logs.String(), "no longer exists") {
		t.Errorf("the failed recipient is not logged:\n%s", logs.String())
	}
}

// A crash between writing a mailbox file and committing its row leaves the
// file behind; the retry must use it, not deliver a second copy or leave
// the first as an orphan — even if the account has filled up meanwhile:
// the quota was checked when the file was written.
func TestRetryAfterAMailboxFileWithoutCommitUsesTheFile(t *testing.T) {
	st, accounts := newTestStore(t, "alice")
	alice := accounts[0]
	ctx := context.Background()
	q := New(st, Options{Workers: 1, Worker: "node", Log: slog.New(slog.DiscardHandler)})
	text := body(7)
	if _, _, err := q.Accept(ctx, "s@example.org", []Recipient{rcpt(alice)}, strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	// What the crashed attempt did: claim, write the mailbox file, and
	// nothing more.
	claimed, err := st.ClaimQueued(ctx, "node/0", 1, time.Hour)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %+v, %v", claimed, err)
	}
	m := claimed[0]
	rel, err := store.AccountMessagePath(alice.Address, localFileID(m, m.Recipients[0]))
	if err != nil {
		t.Fatal(err)
	}
	want := "Return-Path: <s@example.org>\r\n" + text
	// The message is only for a local account, so its queue file already
	// begins with the Return-Path line and the mailbox file is a link to it.
	if n, err := q.linkMailboxFile(m, rel); err != nil || n != int64(len(want)) {
		t.Fatalf("linkMailboxFile = %d, %v; want %d bytes", n, err, len(want))
	}
	// The account is full now, and the setting that adds Delivered-To on.
	alice.MaxSizeMB = 1
	if err := st.UpdateAccount(ctx, alice); err != nil {
		t.Fatal(err)
	}
	fillInbox(t, st, alice, 1<<20)
	if err := st.SetSetting(ctx, "AddDeliveredToHeader", "1"); err != nil {
		t.Fatal(err)
	}

	r := start(t, q) // ends node's leases, then delivers
	waitDrained(t, st, 20*time.Second)
	r.stop(t)
	msgs, contents := inbox(t, st, alice.ID)
	if len(msgs) != 2 || msgs[1].Path != rel || contents[1] != want {
		t.Fatalf("INBOX holds %+v, want the filler and the message at %s, as written", msgs, rel)
	}
	assertNoStrayMailboxFiles(t, st, accounts)
}

// fillInbox stores a message of size bytes in the account's INBOX.
func fillInbox(t *testing.T, st *store.Store, a store.Account, size int) {
	t.Helper()
	ctx := context.Background()
	rel, err := store.AccountMessagePath(a.Address, messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	filler := "Subject: filler\r\n\r\n"
	filler += strings.Repeat("x", max(size-len(filler), 0))
	if _, err := st.Files().Write(rel, strings.NewReader(filler)); err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Inbox(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddToFolder(ctx, store.StoredMessage{AccountID: a.ID, FolderID: inbox.ID, Path: rel, Size: int64(len(filler))}); err != nil {
		t.Fatal(err)
	}
}

func TestLocalFileIDIsStablePerRecipientAndDiffersBetweenThem(t *testing.T) {
	m := store.QueuedMessage{ID: 5, Path: "queue/ab/ab000000000000000000000000000000.eml"}
	r1, r2 := store.QueuedRecipient{ID: 1}, store.QueuedRecipient{ID: 2}
	a, b := localFileID(m, r1), localFileID(m, r2)
	if a != localFileID(m, r1) {
		t.Error("localFileID is not deterministic")
	}
	if a == b {
		t.Error("two recipients of one message get one file name")
	}
	other := m
	other.Path = "queue/cd/cd000000000000000000000000000000.eml"
	if localFileID(other, r1) == a {
		t.Error("a message with the same row ids but another queue file gets the same file name (ids can be reused)")
	}
	if _, err := messagefile.AccountPath("example.com", "alice", a); err != nil {
		t.Errorf("localFileID gives an id the file store refuses: %v", err)
	}
}

func TestRunReturnsPromptlyWhenItsContextEnds(t *testing.T) {
	st, _ := newTestStore(t)
	q := New(st, Options{Workers: 4, Worker: "node", Log: slog.New(slog.DiscardHandler), PollInterval: 50 * time.Millisecond})
	r := start(t, q)
	time.Sleep(300 * time.Millisecond)
	r.stop(t)
}

func TestRetryDelayGrowsToAnHour(t *testing.T) {
	want := []time.Duration{time.Minute, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for tries, w := range want {
		if got := retryDelay(tries); got != w {
			t.Errorf("retryDelay(%d) = %v, want %v", tries, got, w)
		}
	}
	if got := retryDelay(1000); got != time.Hour {
		t.Errorf("retryDelay(1000) = %v, want an hour", got)
	}
}
