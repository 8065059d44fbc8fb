package imap

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// IDLE's wait is a read of the connection that the folder's watch ends by
// setting its read deadline to now (idleWaker); these tests check that
// such a wake loses nothing the client sends, works through TLS, and that
// an idle connection costs one goroutine.

// TestIdleWakesOverTLS: on the implicit-TLS port and after STARTTLS, the
// watch's wake (a read deadline of now under crypto/tls) reports changes
// again and again, and the connection still reads DONE and the next
// command afterwards.
func TestIdleWakesOverTLS(t *testing.T) {
	ts := startServer(t)
	for _, sec := range []store.ConnectionSecurity{store.SecurityTLS, store.SecuritySTARTTLSOptional} {
		c := ts.dial(sec)
		if sec == store.SecuritySTARTTLSOptional {
			c.startTLS("s")
		}
		c.login("user@example.com")
		got := c.cmd("a", "SELECT INBOX")
		// The messages of the first round are not \Recent for the second
		// session: the first took that.
		n, recent := 0, 0
		for _, l := range got {
			var k int
			var what string
			if _, err := fmt.Sscanf(l, "* %d %s", &k, &what); err == nil && what == "EXISTS" {
				n = k
			} else if err == nil && what == "RECENT" {
				recent = k
			}
		}
		c.startIdle("i")
		for range 3 {
			n++
			recent++
			ts.deliver("user@example.com", simpleMessage("woken "+strconv.Itoa(n)))
			c.awaitLines("a delivery over TLS", "* "+strconv.Itoa(n)+" EXISTS", "* "+strconv.Itoa(recent)+" RECENT")
		}
		c.stopIdle("i")
		c.expect("b", "NOOP", "b OK NOOP completed")
	}
}

// TestIdleDoneInPiecesAcrossAWake: the first bytes of DONE end the wait;
// a change that comes before the rest of the line does not cut the read
// (its update follows DONE), and nothing of the line is lost.
func TestIdleDoneInPiecesAcrossAWake(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	c.startIdle("i")
	c.writeRaw("DO")
	time.Sleep(100 * time.Millisecond)
	ts.deliver("user@example.com", simpleMessage("between the pieces"))
	time.Sleep(100 * time.Millisecond)
	c.writeRaw("NE\r\n")
	got := c.until("i")
	want := []string{"* 1 EXISTS", "* 1 RECENT", "i OK IDLE terminated"}
	if !equalLines(got, want) {
		t.Fatalf("DONE in two pieces around a delivery: %s\nwant %s", quoteLines(got), quoteLines(want))
	}
	c.expect("b", "NOOP", "b OK NOOP completed")
}

// TestIdleDonePipelined: a command sent with DONE in one packet is read
// after IDLE ends, from what the wait read.
func TestIdleDonePipelined(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	c.startIdle("i")
	c.writeRaw("DONE\r\nb NOOP\r\nc IDLE\r\n")
	if got := c.until("i"); !equalLines(got, []string{"i OK IDLE terminated"}) {
		t.Fatalf("DONE: %s", quoteLines(got))
	}
	if got := c.until("b"); !equalLines(got, []string{"b OK NOOP completed"}) {
		t.Fatalf("NOOP after DONE: %s", quoteLines(got))
	}
	if got := c.line(); got != "+ idling" {
		t.Fatalf("IDLE after NOOP: %q", got)
	}
	ts.deliver("user@example.com", simpleMessage("after the pipeline"))
	c.awaitLines("a delivery", "* 1 EXISTS", "* 1 RECENT")
	c.stopIdle("c")
}

// TestIdleIsOneGoroutine: an idle connection is its session's goroutine
// and nothing else (no reader of DONE beside a watcher of the folder).
func TestIdleIsOneGoroutine(t *testing.T) {
	ts := startServer(t)
	warm := ts.login("user@example.com")
	warm.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	before := settledGoroutines()
	const n = 20
	for i := range n {
		c := ts.login("user@example.com")
		c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
		c.startIdle("i" + strconv.Itoa(i))
	}
	after := settledGoroutines()
	if per := float64(after-before) / n; per > 1.2 {
		t.Errorf("%d idle connections added %d goroutines (%.2f each), want 1 each", n, after-before, per)
	}
}

// settledGoroutines is the number of goroutines once it stopped changing
// (connections' setup finishing).
func settledGoroutines() int {
	last := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		now := runtime.NumGoroutine()
		if now == last {
			return now
		}
		last = now
	}
	return last
}

// TestIdleSeesAnotherNode: a change made through another Store on the same
// database (another node, no watch here) reaches an idling session at the
// next FolderVersion check, which ends the wait as the watch would.
func TestIdleSeesAnotherNode(t *testing.T) {
	ts := startServer(t)
	other := openSecondStore(t, ts)
	inbox := ts.inbox("user@example.com")
	c := ts.login("user@example.com")
	c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	c.startIdle("i")
	if _, _, err := other.AppendMessage(context.Background(), inbox.ID, []byte(simpleMessage("elsewhere")), 0, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	c.awaitLines("an append on another node", "* 1 EXISTS", "* 1 RECENT")
	c.stopIdle("i")
}
