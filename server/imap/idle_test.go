package imap

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// idleBound is how long a test waits for an update during IDLE before it
// fails: a bound against hanging, not a timing requirement (the delay is
// logged).
const idleBound = 5 * time.Second

// startIdle sends IDLE and reads the continuation.
func (c *conv) startIdle(tag string) {
	c.t.Helper()
	c.write(tag + " IDLE")
	if got := c.line(); got != "+ idling" {
		c.t.Fatalf("IDLE: %q", got)
	}
}

// awaitLines reads lines until it has read want (in order, nothing else
// between them), within idleBound, and logs how long it took.
func (c *conv) awaitLines(what string, want ...string) {
	c.t.Helper()
	start := time.Now()
	c.conn.SetReadDeadline(start.Add(idleBound))
	defer c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i, w := range want {
		got := c.line()
		if got == "" {
			c.t.Fatalf("%s: no %q within %v", what, w, idleBound)
		}
		if got != w {
			c.t.Fatalf("%s: line %d is %q, want %q", what, i, got, w)
		}
	}
	c.t.Logf("%s reached the idling session after %v", what, time.Since(start))
}

// stopIdle sends DONE and expects the tagged OK.
func (c *conv) stopIdle(tag string) {
	c.t.Helper()
	c.write("DONE")
	if got := c.until(tag); len(got) != 1 || got[0] != tag+" OK IDLE terminated" {
		c.t.Fatalf("DONE: %q", got)
	}
}

func TestIdleSeesOtherSessions(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	ts.appendTo(inbox, simpleMessage("one"), 0)
	a := ts.login("user@example.com")
	b := ts.login("user@example.com")
	a.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	b.expectLast("b", "SELECT INBOX", "b OK [READ-WRITE] SELECT completed")

	a.startIdle("i")
	// APPEND by another session.
	msg := simpleMessage("two")
	got := b.cmd("c", "APPEND INBOX {"+strconv.Itoa(len(msg))+"+}\r\n"+msg)
	if !strings.HasPrefix(got[len(got)-1], "c OK [APPENDUID ") {
		t.Fatalf("APPEND: %q", got)
	}
	// a took message 1's \Recent when it selected; which of the two
	// sessions takes message 2's is a race between them, and RECENT counts
	// all of a's recent messages (RFC 3501 7.3.2).
	a.awaitLines("APPEND", "* 2 EXISTS")
	if got := a.line(); got != "* 1 RECENT" && got != "* 2 RECENT" {
		t.Fatalf("after EXISTS: %q", got)
	}

	// STORE by another session.
	b.expectLast("d", `STORE 1 +FLAGS (\Flagged)`, "d OK STORE completed")
	a.awaitLines("STORE", `* 1 FETCH (FLAGS (\Flagged \Recent))`)

	// EXPUNGE by another session.
	b.expectLast("e", `STORE 1 +FLAGS.SILENT (\Deleted)`, "e OK STORE completed")
	a.awaitLines("STORE of \\Deleted", `* 1 FETCH (FLAGS (\Flagged \Deleted \Recent))`)
	b.expect("f", "EXPUNGE", "* 1 EXPUNGE", "f OK EXPUNGE completed")
	a.awaitLines("EXPUNGE", "* 1 EXPUNGE")

	a.stopIdle("i")
	if got := a.expectLast("g", "FETCH 1 (UID FLAGS)", "g OK FETCH completed"); len(got) != 1 || !strings.HasPrefix(got[0], "* 1 FETCH (UID 2 FLAGS (") {
		t.Fatalf("FETCH after IDLE: %q", got)
	}
}

func TestIdleSeesDelivery(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	c.startIdle("i")
	// Local delivery's way (the file, then the row).
	ts.deliver("user@example.com", simpleMessage("delivered"))
	c.awaitLines("a delivery", "* 1 EXISTS", "* 1 RECENT")
	// The store's APPEND, from another goroutine.
	inbox := ts.inbox("user@example.com")
	errc := make(chan error, 1)
	go func() {
		_, _, err := ts.st.AppendMessage(context.Background(), inbox.ID, []byte(simpleMessage("appended")), store.FlagSeen, nil, time.Now())
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	c.awaitLines("an append through the store", "* 2 EXISTS", "* 2 RECENT")
	c.stopIdle("i")
	c.expect("b", "FETCH 1:2 FLAGS", `* 1 FETCH (FLAGS (\Recent))`, `* 2 FETCH (FLAGS (\Seen \Recent))`, "b OK FETCH completed")
}

func TestIdleWithoutMailboxAndDisabled(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	c.startIdle("a")
	c.stopIdle("a")
	c.startIdle("b")
	c.write("NOT DONE")
	if got := c.until("b"); len(got) != 1 || got[0] != "b BAD Expected DONE" {
		t.Fatalf("IDLE ended by another line: %q", got)
	}
	c.expect("c", "NOOP", "c OK NOOP completed")

	ts.set("IMAPIdleEnabled", "0")
	d := ts.login("user@example.com")
	d.expect("d", "IDLE", "d BAD IDLE is disabled")
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, withIdleTimeout(300*time.Millisecond))
	c := ts.login("user@example.com")
	c.write("a IDLE")
	if got := c.line(); got != "+ idling" {
		t.Fatalf("IDLE: %q", got)
	}
	if got := c.line(); got != "* "+replyAutologout {
		t.Fatalf("after the idle timeout: %q", got)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
}

func TestIdleShutdown(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	c.startIdle("i")
	ts.stop()
	if got := c.line(); got != "* "+replyShuttingDown {
		t.Fatalf("at shutdown: %q", got)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
}
