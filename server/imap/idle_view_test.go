package imap

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/store"
)

// fetchSizeLine is FETCH's answer to (UID RFC822.SIZE FLAGS).
func fetchSizeLine(seq int, uid uint32, content, flags string) string {
	return "* " + strconv.Itoa(seq) + " FETCH (UID " + strconv.FormatUint(uint64(uid), 10) +
		" RFC822.SIZE " + strconv.Itoa(len(content)) + " FLAGS (" + flags + "))"
}

// expectBodies fetches each message's body and fails unless it is want[i].
func (c *conv) expectBodies(want ...string) {
	c.t.Helper()
	for i, w := range want {
		tag := "body" + strconv.Itoa(i+1)
		got := c.cmd(tag, "FETCH "+strconv.Itoa(i+1)+" BODY.PEEK[]")
		prefix := "* " + strconv.Itoa(i+1) + " FETCH (BODY[] {" + strconv.Itoa(len(w)) + "}\r\n"
		if len(got) != 2 || got[0] != prefix+w+")" || got[1] != tag+" OK FETCH completed" {
			c.t.Fatalf("body of message %d: %q, want %q", i+1, got, prefix+w+")")
		}
	}
}

func TestIdleCompactViewAfterDone(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	one, two, three := simpleMessage("one"), simpleMessage("two, a longer one"), simpleMessage("three")
	ts.appendTo(inbox, one, 0)
	ts.appendTo(inbox, two, store.FlagSeen)
	ts.appendTo(inbox, three, 0)
	a := ts.login("user@example.com")
	b := ts.login("user@example.com")
	a.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	b.expectLast("b", "SELECT INBOX", "b OK [READ-WRITE] SELECT completed")

	a.startIdle("i")
	four := simpleMessage("four, appended while idle")
	if got := b.cmd("c", "APPEND INBOX {"+strconv.Itoa(len(four))+"+}\r\n"+four); !strings.HasPrefix(got[len(got)-1], "c OK [APPENDUID ") {
		t.Fatalf("APPEND: %q", got)
	}
	a.awaitLines("APPEND", "* 4 EXISTS")
	// Which session claims message 4's \Recent is a race between them.
	fourFlags := ""
	switch got := a.line(); got {
	case "* 3 RECENT":
	case "* 4 RECENT":
		fourFlags = `\Recent`
	default:
		t.Fatalf("after EXISTS: %q", got)
	}
	b.expectLast("d", `STORE 2 +FLAGS.SILENT (\Flagged $Label)`, "d OK STORE completed")
	a.awaitLines("STORE", `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label \*)] Flags permitted`,
		`* 2 FETCH (FLAGS (\Flagged \Seen \Recent $Label))`)
	b.expectLast("e", `STORE 1 +FLAGS.SILENT (\Deleted)`, "e OK STORE completed")
	a.awaitLines("STORE of \\Deleted", `* 1 FETCH (FLAGS (\Deleted \Recent))`)
	b.expectLast("f", "EXPUNGE", "f OK EXPUNGE completed")
	a.awaitLines("EXPUNGE", "* 1 EXPUNGE")
	a.stopIdle("i")

	a.expect("g", "FETCH 1:* (UID RFC822.SIZE FLAGS)",
		fetchSizeLine(1, 2, two, `\Flagged \Seen \Recent $Label`),
		fetchSizeLine(2, 3, three, `\Recent`),
		fetchSizeLine(3, 4, four, fourFlags),
		"g OK FETCH completed")
	a.expectBodies(two, three, four)
	a.expect("h", "UID FETCH 3 (FLAGS)", `* 2 FETCH (UID 3 FLAGS (\Recent))`, "h OK FETCH completed")

	// A second IDLE with nothing happening keeps the view as it was.
	a.startIdle("j")
	a.stopIdle("j")
	a.expect("k", "FETCH 1:* (UID RFC822.SIZE FLAGS)",
		fetchSizeLine(1, 2, two, `\Flagged \Seen \Recent $Label`),
		fetchSizeLine(2, 3, three, `\Recent`),
		fetchSizeLine(3, 4, four, fourFlags),
		"k OK FETCH completed")
	a.expectBodies(two, three, four)
}

func TestIdleKeepsRecent(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	ts.appendTo(inbox, simpleMessage("one"), 0)
	ts.appendTo(inbox, simpleMessage("two"), 0)
	a := ts.login("user@example.com")
	if got := a.cmd("a", "SELECT INBOX"); !slices.Contains(got, "* 2 RECENT") {
		t.Fatalf("SELECT: %q", got)
	}
	a.startIdle("i")
	ts.appendTo(inbox, simpleMessage("three"), store.FlagSeen)
	a.awaitLines("an append through the store", "* 3 EXISTS", "* 3 RECENT")
	a.stopIdle("i")
	a.expect("b", "FETCH 1:* FLAGS", `* 1 FETCH (FLAGS (\Recent))`, `* 2 FETCH (FLAGS (\Recent))`,
		`* 3 FETCH (FLAGS (\Seen \Recent))`, "b OK FETCH completed")

	// The session claimed them: another one finds none \Recent, and the
	// first keeps them through another IDLE.
	b := ts.login("user@example.com")
	if got := b.cmd("c", "SELECT INBOX"); !slices.Contains(got, "* 0 RECENT") {
		t.Fatalf("SELECT by another session: %q", got)
	}
	a.startIdle("j")
	a.stopIdle("j")
	a.expect("d", "FETCH 1:* FLAGS", `* 1 FETCH (FLAGS (\Recent))`, `* 2 FETCH (FLAGS (\Recent))`,
		`* 3 FETCH (FLAGS (\Seen \Recent))`, "d OK FETCH completed")
}

func TestIdleExpungeSequenceNumbers(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	for i := 1; i <= 5; i++ {
		ts.appendTo(inbox, simpleMessage("message "+strconv.Itoa(i)), store.FlagSeen)
	}
	a := ts.login("user@example.com")
	b := ts.login("user@example.com")
	a.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	b.expectLast("b", "SELECT INBOX", "b OK [READ-WRITE] SELECT completed")
	a.startIdle("i")
	b.expectLast("c", `STORE 2,4 +FLAGS.SILENT (\Deleted)`, "c OK STORE completed")
	a.awaitLines("STORE", `* 2 FETCH (FLAGS (\Deleted \Seen \Recent))`, `* 4 FETCH (FLAGS (\Deleted \Seen \Recent))`)
	b.expectLast("d", "EXPUNGE", "d OK EXPUNGE completed")
	// From the highest down, so each number is right when it is read.
	a.awaitLines("EXPUNGE", "* 4 EXPUNGE", "* 2 EXPUNGE")
	b.expectLast("e", `STORE 3 +FLAGS.SILENT (\Deleted)`, "e OK STORE completed")
	a.awaitLines("STORE", `* 3 FETCH (FLAGS (\Deleted \Seen \Recent))`)
	b.expectLast("f", "EXPUNGE", "f OK EXPUNGE completed")
	a.awaitLines("EXPUNGE of the last", "* 3 EXPUNGE")
	a.stopIdle("i")
	a.expect("g", "FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (Subject)])",
		"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (Subject)] {22}\r\nSubject: message 1\r\n\r\n)",
		"* 2 FETCH (UID 3 BODY[HEADER.FIELDS (Subject)] {22}\r\nSubject: message 3\r\n\r\n)",
		"g OK FETCH completed")
}

// TestExpandIdleViewKeepsWhatTheClientWasTold rebuilds a compact view
// after changes the session did not report yet: the view keeps the flags
// and messages the client knows, with sizes and paths from the store, and
// the next update reports the rest.
func TestExpandIdleViewKeepsWhatTheClientWasTold(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	inbox := ts.inbox("user@example.com")
	for i, flags := range []int{0, store.FlagFlagged, 0} {
		ts.appendTo(inbox, simpleMessage("message "+strconv.Itoa(i+1)), flags)
	}
	st := ts.st
	rows, err := st.IMAPMessages(ctx, inbox.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetFlags(ctx, inbox.ID, []uint32{rows[0].UID}, store.FlagsAdd, 0, []string{"$Told"}); err != nil {
		t.Fatal(err)
	}
	if rows, err = st.IMAPMessages(ctx, inbox.ID, false); err != nil {
		t.Fatal(err)
	}
	sel := &selected{folder: inbox}
	for i := range rows {
		sel.appendMessage(&rows[i]).recent = i != 1
	}
	before := slices.Clone(sel.msgs)
	var paths []string
	for i := range sel.msgs {
		paths = append(paths, sel.path(&sel.msgs[i]))
	}
	s := &session{srv: ts.srv, sel: sel}

	sel.shrinkForIdle()
	if sel.msgs != nil || sel.idle == nil || len(sel.idle.flags) != 3 || !slices.Equal(sel.idle.uids, []uidRun{{rows[0].UID, 3}}) || !slices.Equal(sel.idle.recent, []uint32{rows[0].UID, rows[2].UID}) {
		t.Fatalf("compact view: msgs %v, idle %+v", sel.msgs, sel.idle)
	}
	// Changes the session has not reported: message 2's flags, message 3
	// expunged, a new message.
	if _, err := st.SetFlags(ctx, inbox.ID, []uint32{rows[1].UID}, store.FlagsReplace, store.FlagSeen, []string{"$New"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetFlags(ctx, inbox.ID, []uint32{rows[2].UID}, store.FlagsAdd, store.FlagDeleted, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Expunge(ctx, inbox.ID, nil); err != nil {
		t.Fatal(err)
	}
	ts.appendTo(inbox, simpleMessage("message 4"), 0)

	if err := s.expandIdleView(ctx); err != nil {
		t.Fatal(err)
	}
	if sel.idle != nil || len(sel.msgs) != 3 {
		t.Fatalf("expanded view: %+v", sel.msgs)
	}
	for i := range 2 {
		got, want := sel.msgs[i], before[i]
		if got.uid != want.uid || got.flags != want.flags || got.recent != want.recent || got.expunged ||
			!slices.Equal(got.keywords, want.keywords) || got.size != want.size || got.date != want.date {
			t.Errorf("message %d: %+v, want %+v", i+1, got, want)
		}
		if p := sel.path(&sel.msgs[i]); p != paths[i] {
			t.Errorf("message %d: path %q, want %q", i+1, p, paths[i])
		}
	}
	if m := sel.msgs[2]; m.uid != rows[2].UID || !m.expunged || !m.recent {
		t.Errorf("message 3: %+v, want it expunged and \\Recent", m)
	}
}

func TestAppendUID(t *testing.T) {
	var runs []uidRun
	for _, u := range []uint32{1, 2, 3, 5, 7, 8, 100} {
		runs = appendUID(runs, u)
	}
	if want := []uidRun{{1, 3}, {5, 1}, {7, 2}, {100, 1}}; !slices.Equal(runs, want) {
		t.Errorf("runs %v, want %v", runs, want)
	}
}
