package imap

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailwright/mailwright/store"
)

// idleEventBound is how long TestIdleSeesOtherSessionChanges waits for an
// update: a bound against hanging on a loaded machine, not the requirement
// ("within a second"), which is logged for each change.
const idleEventBound = 10 * time.Second

// idleEvent is one unilateral response seen by the idling client.
type idleEvent struct {
	kind  string // "exists", "fetch" or "expunge"
	num   uint32 // the message count (exists) or the sequence number
	flags []imap.Flag
}

func (e idleEvent) String() string {
	return fmt.Sprintf("%s %d %v", e.kind, e.num, e.flags)
}

// TestIdleSeesOtherSessionChanges runs two go-imap v2 clients: one idles
// on INBOX while the other appends, stores a flag and expunges; the idling
// one must be told of each change (EXISTS, FETCH FLAGS, EXPUNGE).
func TestIdleSeesOtherSessionChanges(t *testing.T) {
	ts := startServer(t)
	ts.appendTo(ts.inbox("user@example.com"), simpleMessage("first"), 0)

	events := make(chan idleEvent, 64)
	idler, err := imapclient.DialInsecure(ts.addrs[store.SecurityNone], &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Expunge: func(seq uint32) { events <- idleEvent{kind: "expunge", num: seq} },
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					events <- idleEvent{kind: "exists", num: *d.NumMessages}
				}
			},
			Fetch: func(m *imapclient.FetchMessageData) {
				buf, err := m.Collect()
				if err != nil {
					t.Errorf("unilateral FETCH: %v", err)
					return
				}
				events <- idleEvent{kind: "fetch", num: buf.SeqNum, flags: buf.Flags}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer idler.Close()
	writer, err := imapclient.DialInsecure(ts.addrs[store.SecurityNone], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	for _, c := range []*imapclient.Client{idler, writer} {
		if err := c.Login("user@example.com", "secret").Wait(); err != nil {
			t.Fatal(err)
		}
		if d, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		} else if d.NumMessages != 1 {
			t.Fatalf("SELECT INBOX: %d messages, want 1", d.NumMessages)
		}
	}
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}

	// await waits for an event matching want, skipping others the server
	// may send in between (e.g. a FETCH of \Recent), and logs the delay.
	await := func(what string, start time.Time, want func(idleEvent) bool) {
		t.Helper()
		deadline := time.After(idleEventBound)
		var seen []idleEvent
		for {
			select {
			case e := <-events:
				if want(e) {
					t.Logf("%s reached the idling client after %v (other events before it: %v)", what, time.Since(start), seen)
					return
				}
				seen = append(seen, e)
			case <-deadline:
				t.Fatalf("%s: not seen by the idling client within %v; saw %v", what, idleEventBound, seen)
			}
		}
	}

	// APPEND → * 2 EXISTS.
	msg := simpleMessage("second")
	start := time.Now()
	app := writer.Append("INBOX", int64(len(msg)), nil)
	if _, err := app.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Wait(); err != nil {
		t.Fatal(err)
	}
	await("APPEND", start, func(e idleEvent) bool { return e.kind == "exists" && e.num == 2 })

	// STORE +FLAGS (\Flagged) on message 1 → * 1 FETCH (FLAGS (... \Flagged ...)).
	start = time.Now()
	if err := writer.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	await("STORE", start, func(e idleEvent) bool {
		return e.kind == "fetch" && e.num == 1 && slices.Contains(e.flags, imap.FlagFlagged)
	})

	// STORE \Deleted and EXPUNGE of message 1 → * 1 EXPUNGE.
	if err := writer.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := writer.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	await("EXPUNGE", start, func(e idleEvent) bool { return e.kind == "expunge" && e.num == 1 })

	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("IDLE ended with %v", err)
	}
	// After IDLE the idler's view is one message, the appended one (UID 2).
	msgs, err := idler.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{UID: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].UID != 2 {
		t.Fatalf("after IDLE: %+v, want message 1 with UID 2", msgs)
	}
	if err := idler.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
}
