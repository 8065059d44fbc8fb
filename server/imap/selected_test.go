package imap

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// simpleMessage is a small one-part message with a subject.
func simpleMessage(subject string) string {
	return "From: Alice <alice@example.com>\r\nTo: user@example.com\r\nSubject: " + subject +
		"\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\nHello " + subject + ".\r\n"
}

// selectLines are the untagged responses of SELECT on a mailbox without
// keywords.
func selectLines(exists, recent, unseen int, validity, uidNext uint32) []string {
	out := []string{
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted`,
		fmt.Sprintf("* %d EXISTS", exists),
		fmt.Sprintf("* %d RECENT", recent),
	}
	if unseen > 0 {
		out = append(out, fmt.Sprintf("* OK [UNSEEN %d] First unseen message", unseen))
	}
	return append(out,
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", validity),
		fmt.Sprintf("* OK [UIDNEXT %d] Predicted next UID", uidNext))
}

func TestSelectAndExamine(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	ts.appendTo(inbox, simpleMessage("one"), store.FlagSeen)
	ts.deliver("user@example.com", simpleMessage("two"))
	ts.deliver("user@example.com", simpleMessage("three"))
	v := inbox.UIDValidity

	a := ts.login("user@example.com")
	a.expect("a", "SELECT INBOX", append(selectLines(3, 3, 2, v, 4), "a OK [READ-WRITE] SELECT completed")...)

	// Another session finds them no longer \Recent (RFC 3501 2.3.2).
	b := ts.login("user@example.com")
	b.expect("b", "EXAMINE inbox",
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS ()] Flags permitted`,
		"* 3 EXISTS", "* 0 RECENT", "* OK [UNSEEN 2] First unseen message",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", v), "* OK [UIDNEXT 4] Predicted next UID",
		"b OK [READ-ONLY] EXAMINE completed")

	// A keyword in use is a defined flag.
	a.expectLast("c", `STORE 1 +FLAGS.SILENT ($Forwarded)`, "c OK STORE completed")
	b.expect("d", "SELECT INBOX",
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted`,
		"* 3 EXISTS", "* 0 RECENT", "* OK [UNSEEN 2] First unseen message",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", v), "* OK [UIDNEXT 4] Predicted next UID",
		"d OK [READ-WRITE] SELECT completed")

	// A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1).
	b.expect("e", "SELECT Nowhere", "e NO [NONEXISTENT] Mailbox does not exist")
	b.expect("f", "FETCH 1 FLAGS", "f BAD Command not valid in this state")

	// An empty folder has no UNSEEN.
	f := ts.createFolder(ts.users["user@example.com"].ID, "Empty")
	b.expect("g", "SELECT Empty", append(selectLines(0, 0, 0, f.UIDValidity, 1), "g OK [READ-WRITE] SELECT completed")...)
}

func TestRecentIsSeenByOneSession(t *testing.T) {
	ts := startServer(t)
	a := ts.login("user@example.com")
	b := ts.login("user@example.com")
	a.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	b.expectLast("b", "SELECT INBOX", "b OK [READ-WRITE] SELECT completed")
	ts.deliver("user@example.com", simpleMessage("new"))

	recent := 0
	for i, c := range []*conv{a, b} {
		got := c.expectLast("n", "NOOP", "n OK NOOP completed")
		if len(got) != 2 || got[0] != "* 1 EXISTS" || (got[1] != "* 0 RECENT" && got[1] != "* 1 RECENT") {
			t.Fatalf("session %d NOOP: %q", i, got)
		}
		if got[1] == "* 1 RECENT" {
			recent++
		}
		flags := c.expectLast("f", "FETCH 1 FLAGS", "f OK FETCH completed")
		if want := got[1] == "* 1 RECENT"; strings.Contains(flags[0], `\Recent`) != want {
			t.Errorf("session %d: %q after %q", i, flags, got[1])
		}
	}
	if recent != 1 {
		t.Errorf("%d sessions saw the new message as \\Recent, want 1", recent)
	}
}

func TestStore(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	for _, s := range []string{"one", "two", "three"} {
		ts.appendTo(inbox, simpleMessage(s), 0)
	}
	c := ts.login("user@example.com")
	c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")

	c.expect("a", `STORE 1 +FLAGS (\Flagged \Seen)`,
		`* 1 FETCH (FLAGS (\Flagged \Seen \Recent))`, "a OK STORE completed")
	c.expect("b", `STORE 1:2 +FLAGS ($Label1)`,
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label1)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label1 \*)] Flags permitted`,
		`* 1 FETCH (FLAGS (\Flagged \Seen \Recent $Label1))`,
		`* 2 FETCH (FLAGS (\Recent $Label1))`,
		"b OK STORE completed")
	c.expect("c", `STORE 1 -FLAGS (\Seen $Label1)`, `* 1 FETCH (FLAGS (\Flagged \Recent))`, "c OK STORE completed")
	c.expect("d", `STORE 2 FLAGS (\Answered)`, `* 2 FETCH (FLAGS (\Answered \Recent))`, "d OK STORE completed")
	c.expect("e", `STORE 3 +FLAGS.SILENT (\Deleted)`, "e OK STORE completed")
	c.expect("f", `UID STORE 2:3 -FLAGS (\Deleted)`,
		`* 2 FETCH (UID 2 FLAGS (\Answered \Recent))`, `* 3 FETCH (UID 3 FLAGS (\Recent))`, "f OK STORE completed")
	c.expect("g", `UID STORE 9 +FLAGS (\Seen)`, "g OK STORE completed")
	c.expect("h", `STORE 4 +FLAGS (\Seen)`, "h BAD Invalid sequence set")
	c.expect("i", `FETCH 1:3 FLAGS`,
		`* 1 FETCH (FLAGS (\Flagged \Recent))`, `* 2 FETCH (FLAGS (\Answered \Recent))`, `* 3 FETCH (FLAGS (\Recent))`,
		"i OK FETCH completed")

	// The store kept them.
	msgs, err := ts.st.IMAPMessages(context.Background(), inbox.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].Flags&^store.FlagRecent != store.FlagFlagged || msgs[1].Flags&^store.FlagRecent != store.FlagAnswered {
		t.Errorf("stored: %+v", msgs)
	}

	c.expectLast("x", "EXAMINE INBOX", "x OK [READ-ONLY] EXAMINE completed")
	c.expect("y", `STORE 1 +FLAGS (\Seen)`, "y NO Mailbox is read-only")
}

func TestSearchAndSort(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	ts.appendTo(inbox, simpleMessage("banana"), store.FlagSeen)
	ts.appendTo(inbox, simpleMessage("apple"), store.FlagFlagged)
	ts.appendTo(inbox, simpleMessage("cherry"), 0)
	c := ts.login("user@example.com")
	c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")

	c.expect("a", "SEARCH UNSEEN", "* SEARCH 2 3", "a OK SEARCH completed")
	c.expect("b", "UID SEARCH FLAGGED", "* SEARCH 2", "b OK SEARCH completed")
	c.expect("c", "SEARCH SUBJECT cherry", "* SEARCH 3", "c OK SEARCH completed")
	c.expect("d", "SEARCH CHARSET UTF-8 BODY apple", "* SEARCH 2", "d OK SEARCH completed")
	c.expect("e", "SEARCH DELETED", "* SEARCH", "e OK SEARCH completed")
	c.expect("f", "SEARCH CHARSET KOI8-R ALL", "f NO [BADCHARSET (US-ASCII UTF-8)] Charset not supported")
	c.expect("g", "SORT (SUBJECT) UTF-8 ALL", "* SORT 2 1 3", "g OK SORT completed")
	c.expect("h", "UID SORT (REVERSE SUBJECT) UTF-8 NOT FLAGGED", "* SORT 3 1", "h OK SORT completed")

	ts.set("IMAPSortEnabled", "0")
	d := ts.login("user@example.com")
	d.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")
	d.expect("a", "SORT (SUBJECT) UTF-8 ALL", "a BAD SORT is disabled")
}

func TestCopyMoveExpunge(t *testing.T) {
	ts := startServer(t)
	user := ts.users["user@example.com"]
	inbox := ts.inbox("user@example.com")
	for _, s := range []string{"one", "two", "three", "four"} {
		ts.appendTo(inbox, simpleMessage(s), 0)
	}
	archive := ts.createFolder(user.ID, "Archive")
	v := archive.UIDValidity
	c := ts.login("user@example.com")
	c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")

	c.expect("a", "COPY 1:2 Archive", fmt.Sprintf("a OK [COPYUID %d 1:2 1:2] COPY completed", v))
	c.expect("b", "UID COPY 4,3 Archive", fmt.Sprintf("b OK [COPYUID %d 3:4 3:4] COPY completed", v))
	c.expect("c", "COPY 1 Nowhere", "c NO [TRYCREATE] Mailbox does not exist")
	c.expect("d", "COPY 5 Archive", "d BAD Invalid sequence set")

	c.expect("e", "MOVE 2 Archive", fmt.Sprintf("* OK [COPYUID %d 2 5] Moved", v), "* 2 EXPUNGE", "e OK MOVE completed")
	// INBOX now holds UIDs 1, 3, 4 as 1, 2, 3.
	c.expect("f", "UID MOVE 3:4 Archive", fmt.Sprintf("* OK [COPYUID %d 3:4 6:7] Moved", v), "* 3 EXPUNGE", "* 2 EXPUNGE", "f OK MOVE completed")
	c.expect("g", "FETCH 1:* UID", "* 1 FETCH (UID 1)", "g OK FETCH completed")

	c.expectLast("h", "SELECT Archive", "h OK [READ-WRITE] SELECT completed")
	c.expect("i", `STORE 2,4,5 +FLAGS.SILENT (\Deleted)`, "i OK STORE completed")
	// Each number counts after the ones before it went.
	c.expect("j", "EXPUNGE", "* 5 EXPUNGE", "* 4 EXPUNGE", "* 2 EXPUNGE", "j OK EXPUNGE completed")
	c.expect("k", "UID FETCH 1:* UID", "* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "* 3 FETCH (UID 6)", "* 4 FETCH (UID 7)", "k OK FETCH completed")

	// UID EXPUNGE removes only the named \Deleted messages (RFC 4315 2.1).
	c.expect("l", `STORE 1:4 +FLAGS.SILENT (\Deleted)`, "l OK STORE completed")
	c.expect("m", "UID EXPUNGE 3:6", "* 3 EXPUNGE", "* 2 EXPUNGE", "m OK EXPUNGE completed")
	c.expect("n", "UID SEARCH ALL", "* SEARCH 1 7", "n OK SEARCH completed")

	// CLOSE expunges silently; EXAMINE + CLOSE does not.
	c.expect("o", "CLOSE", "o OK CLOSE completed")
	c.expect("p", "FETCH 1 UID", "p BAD Command not valid in this state")
	c.expectLast("q", "SELECT Archive", "q OK [READ-WRITE] SELECT completed")
	c.expect("r", "UID SEARCH ALL", "* SEARCH", "r OK SEARCH completed")

	c.expectLast("t", "EXAMINE INBOX", "t OK [READ-ONLY] EXAMINE completed")
	c.expect("u", "EXPUNGE", "u NO Mailbox is read-only")
	c.expect("v", "MOVE 1 Archive", "v NO Mailbox is read-only")
	c.expect("w", "UNSELECT", "w OK UNSELECT completed")
	c.expect("x", "CHECK", "x BAD Command not valid in this state")
}

func TestCopyOverQuota(t *testing.T) {
	ts := startServer(t)
	user := ts.users["user@example.com"]
	inbox := ts.inbox("user@example.com")
	ts.appendTo(inbox, simpleMessage("big")+strings.Repeat("x", 800*1024)+"\r\n", 0)
	user.MaxSizeMB = 1
	if err := ts.st.UpdateAccount(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	ts.createFolder(user.ID, "Archive")
	c := ts.login("user@example.com")
	c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")
	c.expect("a", "COPY 1 Archive", "a NO [OVERQUOTA] Quota exceeded")
}

// TestExpungeByOtherWaitsDuringFetch checks RFC 3501 7.4.1: no EXPUNGE
// during FETCH, STORE or SEARCH; it comes with the next command that
// allows it.
func TestExpungeByOtherWaitsDuringFetch(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	for _, s := range []string{"one", "two", "three"} {
		ts.appendTo(inbox, simpleMessage(s), 0)
	}
	a := ts.login("user@example.com")
	b := ts.login("user@example.com")
	a.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	b.expectLast("b", "SELECT INBOX", "b OK [READ-WRITE] SELECT completed")
	b.expect("c", `STORE 2 +FLAGS.SILENT (\Deleted)`, "c OK STORE completed")
	b.expect("d", "EXPUNGE", "* 2 EXPUNGE", "d OK EXPUNGE completed")

	a.expect("e", "FETCH 3 UID", "* 3 FETCH (UID 3)", "e OK FETCH completed")
	a.expect("f", "FETCH 2 UID", "f NO Some of the requested messages no longer exist")
	a.expect("g", "SEARCH ALL", "* SEARCH 1 3", "g OK SEARCH completed")
	// UID FETCH may carry the EXPUNGE, after its own responses.
	a.expect("h", "UID FETCH 3 FLAGS", `* 3 FETCH (UID 3 FLAGS (\Recent))`, "* 2 EXPUNGE", "h OK FETCH completed")
	a.expect("i", "FETCH 2 UID", "* 2 FETCH (UID 3)", "i OK FETCH completed")
	b.expect("j", `STORE 1 +FLAGS.SILENT (\Deleted)`, "j OK STORE completed")
	b.expect("k", "EXPUNGE", "* 1 EXPUNGE", "k OK EXPUNGE completed")
	a.expect("l", "CHECK", "* 1 EXPUNGE", "l OK CHECK completed")
	a.expect("m", "FETCH 1:* UID", "* 1 FETCH (UID 3)", "m OK FETCH completed")
}

// TestChangesFromAnotherNode checks that a change made through another
// Store on the same database (another node) reaches a session through
// FolderVersion.
func TestChangesFromAnotherNode(t *testing.T) {
	ts := startServer(t)
	other := openSecondStore(t, ts)
	inbox := ts.inbox("user@example.com")
	c := ts.login("user@example.com")
	c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")
	if _, _, err := other.AppendMessage(context.Background(), inbox.ID, []byte(simpleMessage("elsewhere")), 0, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	// FolderVersion is asked at most every few seconds; NOOP until it is.
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := c.expectLast("n", "NOOP", "n OK NOOP completed")
		if len(got) > 0 {
			if got[0] != "* 1 EXISTS" {
				t.Fatalf("NOOP: %q", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the message appended on the other node did not show within 15s")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// openSecondStore opens another Store on the test server's database and
// data directory, as a second node of a cluster would.
func openSecondStore(t *testing.T, ts *testServer) *store.Store {
	t.Helper()
	dir := filepath.Dir(ts.st.Files().Root())
	if _, err := os.Stat(filepath.Join(dir, "mw.db")); err != nil {
		t.Fatalf("the harness keeps its database elsewhere than expected: %v", err)
	}
	st, err := store.Open(context.Background(), store.Options{Type: "sqlite",
		DSN:     "file:" + dir + "/mw.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate",
		DataDir: dir + "/data"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestPublicFolderRights checks RFC 4314's rights in the selected state: a
// folder without write rights opens read-only, and STORE needs the right
// of each kind of flag it changes.
func TestPublicFolderRights(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	readOnly := ts.createFolder(0, "Notices")
	seenOnly := ts.createFolder(0, "Board")
	for _, f := range []store.Folder{readOnly, seenOnly} {
		ts.appendTo(f, simpleMessage("notice"), 0)
	}
	if err := ts.st.SetFolderACL(ctx, readOnly.ID, "anyone", "lr"); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.SetFolderACL(ctx, seenOnly.ID, "anyone", "lrs"); err != nil {
		t.Fatal(err)
	}
	c := ts.login("user@example.com")
	// Opened read-only, the session reports \Recent without taking it
	// (RFC 3501 6.3.2).
	c.expect("a", "SELECT #Public.Notices",
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS ()] Flags permitted`,
		"* 1 EXISTS", "* 1 RECENT", "* OK [UNSEEN 1] First unseen message",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", readOnly.UIDValidity), "* OK [UIDNEXT 2] Predicted next UID",
		"a OK [READ-ONLY] SELECT completed")
	c.expect("b", `STORE 1 +FLAGS (\Seen)`, "b NO Mailbox is read-only")

	c.expect("c", "SELECT #Public.Board",
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS (\Seen)] Flags permitted`,
		"* 1 EXISTS", "* 1 RECENT", "* OK [UNSEEN 1] First unseen message",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", seenOnly.UIDValidity), "* OK [UIDNEXT 2] Predicted next UID",
		"c OK [READ-WRITE] SELECT completed")
	c.expect("d", `STORE 1 +FLAGS (\Seen)`, `* 1 FETCH (FLAGS (\Seen \Recent))`, "d OK STORE completed")
	c.expect("e", `STORE 1 +FLAGS (\Flagged)`, "e NO [NOPERM] Changing these flags needs the right w")
	c.expect("f", `STORE 1 +FLAGS (\Deleted)`, "f NO [NOPERM] Changing these flags needs the right t")
	c.expect("g", "EXPUNGE", "g NO [NOPERM] Permission denied")
	c.expect("h", "COPY 1 #Public.Notices", "h NO [NOPERM] Permission denied")
}
