package imap

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// appendLiteral sends APPEND of msg to mailbox with a non-synchronizing
// literal and returns every response up to the tagged one.
func (c *conv) appendLiteral(tag, mailbox, msg string) []string {
	c.t.Helper()
	c.write(tag + " APPEND " + mailbox + " {" + strconv.Itoa(len(msg)) + "+}")
	c.writeRaw(msg + "\r\n")
	return c.until(tag)
}

// TestOwnAppendIsInTheViewAndRecentOnlyForItsSession checks APPEND into
// the selected mailbox: the session is told EXISTS and RECENT at once, the
// message is \Recent for it, and for no other session.
func TestOwnAppendIsInTheViewAndRecentOnlyForItsSession(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	ts.appendTo(inbox, simpleMessage("one"), store.FlagSeen)
	v := inbox.UIDValidity
	a := ts.login("user@example.com")
	a.expect("a", "SELECT INBOX", append(selectLines(1, 1, 0, v, 2), "a OK [READ-WRITE] SELECT completed")...)
	got := a.appendLiteral("b", "INBOX", simpleMessage("two"))
	want := []string{"* 2 EXISTS", "* 2 RECENT", fmt.Sprintf("b OK [APPENDUID %d 2] APPEND completed", v)}
	if !equalLines(got, want) {
		t.Fatalf("APPEND:\n got: %s\nwant: %s", quoteLines(got), quoteLines(want))
	}
	a.expect("c", "FETCH 2 (UID FLAGS)", `* 2 FETCH (UID 2 FLAGS (\Recent))`, "c OK FETCH completed")
	a.expect("d", "NOOP", "d OK NOOP completed")

	// With a keyword new to the mailbox, FLAGS comes first.
	a.write(`e APPEND INBOX ($Work) {` + strconv.Itoa(len(simpleMessage("three"))) + "+}")
	a.writeRaw(simpleMessage("three") + "\r\n")
	got = a.until("e")
	want = []string{`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work \*)] Flags permitted`,
		"* 3 EXISTS", "* 3 RECENT", fmt.Sprintf("e OK [APPENDUID %d 3] APPEND completed", v)}
	if !equalLines(got, want) {
		t.Fatalf("APPEND with a keyword:\n got: %s\nwant: %s", quoteLines(got), quoteLines(want))
	}

	b := ts.login("user@example.com")
	b.expectLast("f", "EXAMINE INBOX", "f OK [READ-ONLY] EXAMINE completed")
	b.expect("g", "SEARCH RECENT", "* SEARCH", "g OK SEARCH completed")

	// An EXAMINE session appending sees the message \Recent, and leaves
	// it \Recent for the next session to select the mailbox.
	got = b.appendLiteral("h", "INBOX", simpleMessage("four"))
	want = []string{"* 4 EXISTS", "* 1 RECENT", fmt.Sprintf("h OK [APPENDUID %d 4] APPEND completed", v)}
	if !equalLines(got, want) {
		t.Fatalf("APPEND while examining:\n got: %s\nwant: %s", quoteLines(got), quoteLines(want))
	}
	a.expect("i", "NOOP", "* 4 EXISTS", "* 4 RECENT", "i OK NOOP completed")
}

// TestOwnChangesStillReportAnotherNodesChanges checks that a change
// another node made before the session's own STORE, EXPUNGE or APPEND
// (which no watch announces here) is reported with it: the session's own
// change does not stand for the whole folder then.
func TestOwnChangesStillReportAnotherNodesChanges(t *testing.T) {
	ts := startServer(t)
	other := openSecondStore(t, ts)
	ctx := context.Background()
	inbox := ts.inbox("user@example.com")
	for _, s := range []string{"one", "two", "three"} {
		ts.appendTo(inbox, simpleMessage(s), 0)
	}
	v := inbox.UIDValidity
	a := ts.login("user@example.com")
	a.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")

	if _, err := other.SetFlags(ctx, inbox.ID, []uint32{2}, store.FlagsAdd, store.FlagFlagged, nil); err != nil {
		t.Fatal(err)
	}
	a.expect("b", `STORE 1 +FLAGS (\Seen)`,
		`* 1 FETCH (FLAGS (\Seen \Recent))`, `* 2 FETCH (FLAGS (\Flagged \Recent))`, "b OK STORE completed")

	if _, _, err := other.AppendMessage(ctx, inbox.ID, []byte(simpleMessage("elsewhere")), 0, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	got := a.appendLiteral("c", "INBOX", simpleMessage("here"))
	want := []string{"* 5 EXISTS", "* 5 RECENT", fmt.Sprintf("c OK [APPENDUID %d 5] APPEND completed", v)}
	if !equalLines(got, want) {
		t.Fatalf("APPEND after another node's:\n got: %s\nwant: %s", quoteLines(got), quoteLines(want))
	}
	a.expect("d", "FETCH 4:5 (UID FLAGS)", `* 4 FETCH (UID 4 FLAGS (\Recent))`, `* 5 FETCH (UID 5 FLAGS (\Recent))`, "d OK FETCH completed")

	if _, err := other.SetFlags(ctx, inbox.ID, []uint32{3}, store.FlagsAdd, store.FlagDeleted, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Expunge(ctx, inbox.ID, []uint32{3}); err != nil {
		t.Fatal(err)
	}
	a.expect("e", `STORE 1 +FLAGS.SILENT (\Deleted)`, "e OK STORE completed")
	a.expect("f", "EXPUNGE", "* 3 EXPUNGE", "* 1 EXPUNGE", "f OK EXPUNGE completed")
	a.expect("g", "FETCH 1:* UID", "* 1 FETCH (UID 2)", "* 2 FETCH (UID 4)", "* 3 FETCH (UID 5)", "g OK FETCH completed")

	// Nothing was left for a later update to report twice.
	a.expect("h", "NOOP", "h OK NOOP completed")
	b := ts.login("user@example.com")
	b.expectLast("i", "SELECT INBOX", "i OK [READ-WRITE] SELECT completed")
	b.expect("j", "SEARCH RECENT", "* SEARCH", "j OK SEARCH completed")
}

// TestSearchHeaderKeysReadOnlyTheHeader checks that the header keys find
// what is in the header and not what is only in the body, on the header
// sections the store keeps, and that BODY and TEXT still read the body.
func TestSearchHeaderKeysReadOnlyTheHeader(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	ts.appendTo(inbox, "Subject: apples\r\nFrom: a@example.com\r\n\r\nSubject: pears\r\n", 0)
	ts.appendTo(inbox, "Subject: pears\n\nnothing\n", 0)
	ts.appendTo(inbox, "Subject: no body, pears\r\n", 0)
	c := ts.login("user@example.com")
	c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	for range 2 { // read, then from the cache
		c.expect("b", `SEARCH HEADER Subject "pears"`, "* SEARCH 2 3", "b OK SEARCH completed")
		c.expect("c", `SEARCH SUBJECT apples`, "* SEARCH 1", "c OK SEARCH completed")
		c.expect("d", `SEARCH BODY pears`, "* SEARCH 1", "d OK SEARCH completed")
		c.expect("e", `SEARCH TEXT pears`, "* SEARCH 1 2 3", "e OK SEARCH completed")
		c.expect("f", `SEARCH OR SUBJECT apples BODY nothing`, "* SEARCH 1 2", "f OK SEARCH completed")
	}
}

// TestSelectingTheSelectedMailboxAgainAnswersAsAFreshSelect checks that a
// SELECT of the mailbox already selected, answered from the session's
// view when nothing changed, says what a fresh SELECT says: no \Recent
// left, messages expunged meanwhile gone, keywords no longer used not
// listed.
func TestSelectingTheSelectedMailboxAgainAnswersAsAFreshSelect(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	for _, s := range []string{"one", "two", "three"} {
		ts.appendTo(inbox, simpleMessage(s), 0)
	}
	v := inbox.UIDValidity
	a := ts.login("user@example.com")
	a.expect("a", "SELECT INBOX", append(selectLines(3, 3, 1, v, 4), "a OK [READ-WRITE] SELECT completed")...)
	a.expect("b", "SELECT INBOX", append(selectLines(3, 0, 1, v, 4), "b OK [READ-WRITE] SELECT completed")...)

	a.expect("c", `STORE 1 +FLAGS ($Gone \Seen)`,
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Gone)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Gone \*)] Flags permitted`,
		`* 1 FETCH (FLAGS (\Seen $Gone))`, "c OK STORE completed")
	a.expect("d", `STORE 1 -FLAGS.SILENT ($Gone)`, "d OK STORE completed")
	b := ts.login("user@example.com")
	b.expectLast("e", "SELECT INBOX", "e OK [READ-WRITE] SELECT completed")
	b.expect("f", `STORE 2 +FLAGS.SILENT (\Deleted)`, "f OK STORE completed")
	b.expect("g", "EXPUNGE", "* 2 EXPUNGE", "g OK EXPUNGE completed")
	// FETCH may not tell of the expunge (RFC 3501 7.4.1): it waits in the
	// view, which is as new as the folder now.
	a.expect("h", "FETCH 1 UID", "* 1 FETCH (UID 1)", "h OK FETCH completed")

	want := append(selectLines(2, 0, 2, v, 4), "i OK [READ-WRITE] SELECT completed")
	a.expect("i", "SELECT INBOX", want...)
	c := ts.login("user@example.com")
	c.expect("i", "SELECT INBOX", want...)
	a.expect("j", "FETCH 1:* UID", "* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "j OK FETCH completed")

	// EXAMINE of it is read-only, and SELECT afterwards reads afresh.
	a.expect("k", "EXAMINE INBOX",
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`, `* OK [PERMANENTFLAGS ()] Flags permitted`,
		"* 2 EXISTS", "* 0 RECENT", "* OK [UNSEEN 2] First unseen message",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", v), "* OK [UIDNEXT 4] Predicted next UID",
		"k OK [READ-ONLY] EXAMINE completed")
	a.expect("l", "STORE 1 +FLAGS (\\Flagged)", "l NO Mailbox is read-only")
	a.expect("m", "SELECT INBOX", append(selectLines(2, 0, 2, v, 4), "m OK [READ-WRITE] SELECT completed")...)

	// A change by another session since is read.
	ts.appendTo(inbox, simpleMessage("four"), 0)
	a.expect("n", "SELECT INBOX", append(selectLines(3, 1, 2, v, 5), "n OK [READ-WRITE] SELECT completed")...)
}
