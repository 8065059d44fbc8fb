package imap

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

const multipartHeader = "From: Alice <alice@example.com>\r\n" +
	"To: user@example.com\r\n" +
	"Subject: Parts\r\n" +
	"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n" +
	"Message-ID: <parts@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
	"\r\n"

const multipartText = "--b1\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"First part.\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=us-ascii\r\n" +
	"\r\n" +
	"<p>Second part.</p>\r\n" +
	"--b1--\r\n"

const multipartMessage = multipartHeader + multipartText

// literal is a FETCH value as the harness's response() returns it.
func literal(s string) string {
	if s == "" {
		return `""`
	}
	return fmt.Sprintf("{%d}\r\n%s", len(s), s)
}

func TestFetchItems(t *testing.T) {
	ts := startServer(t)
	inbox := ts.inbox("user@example.com")
	date := time.Date(2026, 3, 2, 10, 0, 5, 0, time.UTC)
	for range 2 {
		if _, _, err := ts.st.AppendMessage(context.Background(), inbox.ID, []byte(multipartMessage), 0, nil, date); err != nil {
			t.Fatal(err)
		}
	}
	c := ts.login("user@example.com")
	c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")
	msg := ParseMessage([]byte(multipartMessage))
	size := len(multipartMessage)

	// INTERNALDATE is the stored instant, in the layout of RFC 3501 9.
	got := c.expectLast("a", "FETCH 1 INTERNALDATE", "a OK FETCH completed")
	var quoted string
	if _, err := fmt.Sscanf(got[0], "* 1 FETCH (INTERNALDATE %q)", &quoted); err != nil {
		t.Fatalf("INTERNALDATE response %q: %v", got[0], err)
	}
	if d, err := time.Parse(internalDateLayout, quoted); err != nil || !d.Equal(date) {
		t.Errorf("INTERNALDATE %q is %v (%v), want %v", quoted, d, err, date)
	}

	envelope := `("Mon, 02 Mar 2026 10:00:00 +0000" "Parts" (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) ((NIL NIL "user" "example.com")) NIL NIL NIL "<parts@example.com>")`
	for _, tc := range []struct {
		name, command string
		want          []string
	}{
		{"uid_fetch_includes_uid_first", "UID FETCH 1 (FLAGS RFC822.SIZE)",
			[]string{fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS (\Recent) RFC822.SIZE %d)`, size)}},
		{"uid_asked_for_is_not_repeated", "UID FETCH 2 (RFC822.SIZE UID)",
			[]string{fmt.Sprintf(`* 2 FETCH (RFC822.SIZE %d UID 2)`, size)}},
		{"envelope", "FETCH 1 ENVELOPE", []string{"* 1 FETCH (ENVELOPE " + envelope + ")"}},
		{"body", "FETCH 1 BODY", []string{"* 1 FETCH (BODY " + string(msg.BodyStructure(false)) + ")"}},
		{"bodystructure", "FETCH 1 BODYSTRUCTURE", []string{"* 1 FETCH (BODYSTRUCTURE " + string(msg.BodyStructure(true)) + ")"}},
		{"rfc822_header", "FETCH 1 RFC822.HEADER", []string{"* 1 FETCH (RFC822.HEADER " + literal(multipartHeader) + ")"}},
		{"peek_part", "FETCH 1 BODY.PEEK[1]", []string{"* 1 FETCH (BODY[1] " + literal("First part.") + ")"}},
		{"peek_part_mime", "FETCH 1 BODY.PEEK[2.MIME]",
			[]string{"* 1 FETCH (BODY[2.MIME] " + literal("Content-Type: text/html; charset=us-ascii\r\n\r\n") + ")"}},
		{"peek_header_fields", "FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]",
			[]string{"* 1 FETCH (BODY[HEADER.FIELDS (Subject)] " + literal("Subject: Parts\r\n\r\n") + ")"}},
		{"peek_partial_names_the_origin", "FETCH 1 BODY.PEEK[]<0.4>", []string{"* 1 FETCH (BODY[]<0> " + literal("From") + ")"}},
		{"peek_partial_past_the_end_is_empty", fmt.Sprintf("FETCH 1 BODY.PEEK[]<%d.10>", size+5),
			[]string{fmt.Sprintf(`* 1 FETCH (BODY[]<%d> "")`, size+5)}},
		{"missing_part_is_empty", "FETCH 1 BODY.PEEK[3]", []string{`* 1 FETCH (BODY[3] "")`}},
		{"several_items_in_order", "FETCH 1:2 (FLAGS BODY.PEEK[1])", []string{
			`* 1 FETCH (FLAGS (\Recent) BODY[1] ` + literal("First part.") + ")",
			`* 2 FETCH (FLAGS (\Recent) BODY[1] ` + literal("First part.") + ")"}},
		{"peek_leaves_seen_unset", "FETCH 1 FLAGS", []string{`* 1 FETCH (FLAGS (\Recent))`}},
		// Non-peek reads set \Seen and say so.
		{"body_text_sets_seen", "FETCH 1 BODY[TEXT]", []string{`* 1 FETCH (BODY[TEXT] ` + literal(multipartText) + ` FLAGS (\Seen \Recent))`}},
		{"already_seen_adds_no_flags", "FETCH 1 RFC822.TEXT", []string{"* 1 FETCH (RFC822.TEXT " + literal(multipartText) + ")"}},
		{"rfc822_sets_seen", "FETCH 2 (FLAGS RFC822)", []string{`* 2 FETCH (FLAGS (\Seen \Recent) RFC822 ` + literal(multipartMessage) + ")"}},
		{"uid_fetch_of_missing_uids_is_nothing", "UID FETCH 5:9 FLAGS", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.cmd("f", tc.command)
			want := append(tc.want, "f OK FETCH completed")
			if !equalLines(got, want) {
				t.Errorf("%s\n got: %s\nwant: %s", tc.command, quoteLines(got), quoteLines(want))
			}
		})
	}
	c.expect("b", "FETCH 3 FLAGS", "b BAD Invalid sequence set")
	c.expect("c", "FETCH 1:* UID", "* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "c OK FETCH completed")

	// Read-only: no \Seen.
	c.expect("d", `STORE 1:2 -FLAGS.SILENT (\Seen)`, "d OK STORE completed")
	c.expectLast("e", "EXAMINE INBOX", "e OK [READ-ONLY] EXAMINE completed")
	c.expect("f", "FETCH 1 BODY[1]", "* 1 FETCH (BODY[1] "+literal("First part.")+")", "f OK FETCH completed")
	c.expect("g", "FETCH 1 FLAGS", "* 1 FETCH (FLAGS ())", "g OK FETCH completed")
}

// TestFetchLargeMessage checks that a body larger than the write buffer
// arrives whole.
func TestFetchLargeMessage(t *testing.T) {
	ts := startServer(t)
	var b strings.Builder
	b.WriteString("Subject: big\r\n\r\n")
	for i := 0; b.Len() < 300*1024; i++ {
		fmt.Fprintf(&b, "line %d of a large message\r\n", i)
	}
	big := b.String()
	ts.appendTo(ts.inbox("user@example.com"), big, store.FlagSeen)
	c := ts.login("user@example.com")
	c.expectLast("s", "SELECT INBOX", "s OK [READ-WRITE] SELECT completed")
	c.expect("a", "FETCH 1 (UID BODY.PEEK[] RFC822.SIZE)",
		fmt.Sprintf("* 1 FETCH (UID 1 BODY[] %s RFC822.SIZE %d)", literal(big), len(big)), "a OK FETCH completed")
	c.expect("b", "FETCH 1 BODY.PEEK[TEXT]<10.20>",
		"* 1 FETCH (BODY[TEXT]<10> "+literal(big[len("Subject: big\r\n\r\n")+10:][:20])+")", "b OK FETCH completed")
}
