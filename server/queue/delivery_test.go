package queue

import (
	"bufio"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// deliverAll accepts each message, runs the queue until it has drained,
// and returns the queue's log.
func deliverAll(t *testing.T, st *store.Store, sends ...func(q *Queue)) string {
	t.Helper()
	var logs logBuffer
	q := New(st, Options{Workers: 2, Worker: "node", Log: logs.logger()})
	for _, send := range sends {
		send(q)
	}
	r := start(t, q)
	waitDrained(t, st, 20*time.Second)
	r.stop(t)
	return logs.String()
}

func accept(t *testing.T, from string, rcpts []Recipient, text string) func(q *Queue) {
	return func(q *Queue) {
		t.Helper()
		if _, _, err := q.Accept(context.Background(), from, rcpts, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeliveredCopiesStartWithReturnPathAndOptionallyDeliveredTo(t *testing.T) {
	const text = "From: someone@example.org\r\nSubject: hello\r\n\r\nbody\r\n"
	for _, c := range []struct {
		name, from, deliveredTo, want string
	}{
		{"sender_in_return_path", "someone@example.org", "0", "Return-Path: <someone@example.org>\r\n" + text},
		{"null_sender_gives_empty_return_path", "", "0", "Return-Path: <>\r\n" + text},
		{"delivered_to_follows_with_the_setting_on", "someone@example.org", "1",
			"Return-Path: <someone@example.org>\r\nDelivered-To: alice@example.com\r\n" + text},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, accounts := newTestStore(t, "alice")
			alice := accounts[0]
			if err := st.SetSetting(context.Background(), "AddDeliveredToHeader", c.deliveredTo); err != nil {
				t.Fatal(err)
			}
			log := deliverAll(t, st, accept(t, c.from, []Recipient{rcpt(alice)}, text))
			msgs, contents := inbox(t, st, alice.ID) // also checks the sizes stored
			if len(msgs) != 1 || contents[0] != c.want {
				t.Fatalf("INBOX holds %q, want %q", contents, c.want)
			}
			if !strings.Contains(log, `level=INFO msg="message delivered"`) || !strings.Contains(log, "account=alice@example.com") ||
				!strings.Contains(log, "size="+strconv.Itoa(len(c.want))) || !strings.Contains(log, "queue_id=") {
				t.Errorf("no log line for the delivery with queue id, recipient, account and size:\n%s", log)
			}
		})
	}
}

// bouncePart is one part of a parsed bounce.
type bouncePart struct {
	contentType string
	body        string
}

// parseBounce parses a delivered bounce with the standard library and
// returns its header and its parts, failing the test if it is not a
// multipart/report of report-type delivery-status.
func parseBounce(t *testing.T, text string) (mail.Header, []bouncePart) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the bounce does not parse: %v\n%s", err, text)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("the bounce's Content-Type is %q (%v), want multipart/report; report-type=delivery-status", msg.Header.Get("Content-Type"), err)
	}
	var parts []bouncePart
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the bounce's parts: %v", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts = append(parts, bouncePart{ct, string(b)})
	}
	if len(parts) != 3 || parts[0].contentType != "text/plain" || parts[1].contentType != "message/delivery-status" || parts[2].contentType != "text/rfc822-headers" {
		t.Fatalf("the bounce's parts are %+v, want text/plain, message/delivery-status, text/rfc822-headers", parts)
	}
	return msg.Header, parts
}

// recipientReports parses the per-recipient blocks of a
// message/delivery-status part (RFC 3464 2.1: blocks of header fields
// separated by blank lines, the first one per message).
func recipientReports(t *testing.T, status string) (perMessage textproto.MIMEHeader, perRecipient []textproto.MIMEHeader) {
	t.Helper()
	blocks := strings.Split(strings.TrimSpace(status), "\r\n\r\n")
	for i, block := range blocks {
		h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(block + "\r\n\r\n"))).ReadMIMEHeader()
		if err != nil {
			t.Fatalf("delivery-status block %d does not parse: %v\n%s", i, err, block)
		}
		if i == 0 {
			perMessage = h
		} else {
			perRecipient = append(perRecipient, h)
		}
	}
	return perMessage, perRecipient
}

func TestOverQuotaRecipientGetsNothingAndTheLocalSenderABounce(t *testing.T) {
	st, accounts := newTestStore(t, "sender", "roomy")
	sender, roomy := accounts[0], accounts[1]
	ctx := context.Background()
	if err := st.SetSetting(ctx, "HostName", "mx.example.com"); err != nil {
		t.Fatal(err)
	}
	const text = "From: sender@example.com\r\nTo: full@example.com\r\nSubject: the\r\n report\r\nMessage-ID: <m1@example.com>\r\n\r\nbody\r\n"
	delivered := "Return-Path: <sender@example.com>\r\n" + text
	full := fillAccount(t, st, "full@example.com", 1)
	// An account with exactly the room the delivered copy takes.
	tight, err := st.CreateAccount(ctx, store.Account{Address: "tight@example.com", Active: true, MaxSizeMB: 1}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	fillInbox(t, st, tight, 1<<20-len(delivered))
	accounts = append(accounts, full, tight)

	log := deliverAll(t, st, accept(t, sender.Address, []Recipient{rcpt(full), rcpt(roomy), rcpt(tight)}, text))

	if msgs, _ := inbox(t, st, full.ID); len(msgs) != 1 {
		t.Errorf("the full account holds %d messages, want only the one that fills it", len(msgs))
	}
	for _, a := range []store.Account{roomy, tight} {
		if _, contents := inbox(t, st, a.ID); len(contents) == 0 || contents[len(contents)-1] != delivered {
			t.Errorf("%s did not get the message: %q", a.Address, contents)
		}
	}
	assertNoStrayMailboxFiles(t, st, accounts)

	_, bounces := inbox(t, st, sender.ID)
	if len(bounces) != 1 {
		t.Fatalf("the sender has %d messages, want one bounce", len(bounces))
	}
	if !strings.HasPrefix(bounces[0], "Return-Path: <>\r\n") {
		t.Errorf("the bounce was not sent with the null sender:\n%s", bounces[0])
	}
	header, parts := parseBounce(t, bounces[0])
	if got := header.Get("Subject"); got != "Message undeliverable: the report" {
		t.Errorf("Subject = %q", got)
	}
	if got := header.Get("From"); !strings.Contains(got, "<mailer-daemon@mx.example.com>") {
		t.Errorf("From = %q, want mailer-daemon@mx.example.com", got)
	}
	if got := header.Get("To"); got != "<sender@example.com>" {
		t.Errorf("To = %q", got)
	}
	if !strings.Contains(parts[0].body, "full@example.com") || !strings.Contains(parts[0].body, "Inbox is full") ||
		strings.Contains(parts[0].body, "roomy@") || strings.Contains(parts[0].body, "tight@") {
		t.Errorf("the text part does not name the failed recipient and why, and only it:\n%s", parts[0].body)
	}
	perMessage, reports := recipientReports(t, parts[1].body)
	if got := perMessage.Get("Reporting-MTA"); got != "dns; mx.example.com" {
		t.Errorf("Reporting-MTA = %q", got)
	}
	if len(reports) != 1 {
		t.Fatalf("the delivery-status part reports %d recipients, want 1", len(reports))
	}
	want := map[string]string{
		"Final-Recipient": "rfc822; full@example.com",
		"Action":          "failed",
		"Status":          "5.2.2",
		"Diagnostic-Code": "smtp; 552 5.2.2 Inbox is full",
	}
	for field, value := range want {
		if got := reports[0].Get(field); got != value {
			t.Errorf("%s = %q, want %q", field, got, value)
		}
	}
	if !strings.Contains(parts[2].body, "Message-ID: <m1@example.com>\r\n") || strings.Contains(parts[2].body, "body") {
		t.Errorf("the headers part is not the original's header section:\n%s", parts[2].body)
	}

	if !strings.Contains(log, `msg="delivery failed"`) || !strings.Contains(log, `reason="Inbox is full"`) || !strings.Contains(log, "recipient=full@example.com") {
		t.Errorf("the failure is not logged with its reason:\n%s", log)
	}
	if n := strings.Count(log, `msg="message delivered"`); n != 3 {
		t.Errorf("the log has %d delivered lines, want 3 (roomy, tight, the bounce):\n%s", n, log)
	}
}

func TestOverQuotaMessageFromTheNullSenderIsNotBounced(t *testing.T) {
	st, accounts := newTestStore(t, "roomy")
	full := fillAccount(t, st, "full@example.com", 1)
	log := deliverAll(t, st, accept(t, "", []Recipient{rcpt(full), rcpt(accounts[0])}, "Subject: x\r\n\r\nbody\r\n"))
	if strings.Contains(log, "bounce queued") {
		t.Errorf("a message from the null sender was bounced:\n%s", log)
	}
	if msgs, _ := inbox(t, st, full.ID); len(msgs) != 1 {
		t.Errorf("the full account holds %d messages, want 1", len(msgs))
	}
	if msgs, _ := inbox(t, st, accounts[0].ID); len(msgs) != 1 {
		t.Errorf("the other recipient holds %d messages, want 1", len(msgs))
	}
	var stored int
	if err := st.DB().QueryRow("SELECT COUNT(*) FROM messages").Scan(&stored); err != nil || stored != 2 {
		t.Errorf("%d messages stored (%v), want 2: the filler and the delivered copy", stored, err)
	}
}

func TestOneBounceListsEveryLocalRecipientThatFailed(t *testing.T) {
	st, accounts := newTestStore(t, "sender", "carol")
	sender, carol := accounts[0], accounts[1]
	ctx := context.Background()
	full := fillAccount(t, st, "full@example.com", 1)
	external := Recipient{Address: "friend@example.net", OriginalAddress: "friend@example.net"}
	alias := rcpt(full)
	alias.OriginalAddress = "info@example.com"
	send := accept(t, "Sender@Example.com", []Recipient{rcpt(carol), alias, external}, "Subject: two failures\r\n\r\nbody\r\n")
	log := deliverAll(t, st, send, func(*Queue) {
		if err := st.DeleteAccount(ctx, carol.ID); err != nil {
			t.Fatal(err)
		}
	})
	_, bounces := inbox(t, st, sender.ID)
	if len(bounces) != 1 {
		t.Fatalf("the sender has %d messages, want one bounce:\n%s", len(bounces), log)
	}
	_, parts := parseBounce(t, bounces[0])
	_, reports := recipientReports(t, parts[1].body)
	if len(reports) != 2 {
		t.Fatalf("the bounce reports %d recipients, want the two local ones:\n%s", len(reports), parts[1].body)
	}
	if got := reports[0].Get("Final-Recipient") + " " + reports[0].Get("Status"); got != "rfc822; carol@example.com 5.1.1" {
		t.Errorf("first report: %s", got)
	}
	if got := reports[1].Get("Final-Recipient") + " " + reports[1].Get("Status") + " " + reports[1].Get("Original-Recipient"); got != "rfc822; full@example.com 5.2.2 rfc822; info@example.com" {
		t.Errorf("second report: %s", got)
	}
	if !strings.Contains(parts[0].body, "no longer exists") || !strings.Contains(parts[0].body, "Inbox is full") {
		t.Errorf("the text part does not give both reasons:\n%s", parts[0].body)
	}
}

func TestBounceToAnExternalSenderFailsWithoutBouncingAgain(t *testing.T) {
	st, _ := newTestStore(t)
	full := fillAccount(t, st, "full@example.com", 1)
	log := deliverAll(t, st, accept(t, "someone@example.org", []Recipient{rcpt(full)}, "Subject: x\r\n\r\nbody\r\n"))
	if n := strings.Count(log, "bounce queued"); n != 1 {
		t.Errorf("%d bounces queued, want 1:\n%s", n, log)
	}
	if !strings.Contains(log, "recipient=someone@example.org") || !strings.Contains(log, replyRemoteUnavailable) {
		t.Errorf("the bounce did not go to the external sender:\n%s", log)
	}
}

func TestBounceUsesTheServerMessageTexts(t *testing.T) {
	st, accounts := newTestStore(t, "sender")
	ctx := context.Background()
	if err := st.SetServerMessage(ctx, "MESSAGE_UNDELIVERABLE", "Unzustellbar"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetServerMessage(ctx, "SEND_FAILED_NOTIFICATION", "Betreff: %MACRO_SUBJECT%\r\n%MACRO_RECIPIENTS%\r\n"); err != nil {
		t.Fatal(err)
	}
	full := fillAccount(t, st, "full@example.com", 1)
	deliverAll(t, st, accept(t, accounts[0].Address, []Recipient{rcpt(full)}, "Subject: Grüße\r\n\r\nbody\r\n"))
	_, bounces := inbox(t, st, accounts[0].ID)
	if len(bounces) != 1 {
		t.Fatalf("the sender has %d messages, want one bounce", len(bounces))
	}
	header, parts := parseBounce(t, bounces[0])
	if got := header.Get("Subject"); got != "Unzustellbar: Grüße" {
		t.Errorf("Subject = %q", got)
	}
	if want := "Betreff: Grüße\r\nfull@example.com\r\n   Inbox is full\r\n"; parts[0].body != want {
		t.Errorf("text part = %q, want %q", parts[0].body, want)
	}
}

// A message only for local accounts is queued with its Return-Path line,
// and each mailbox gets a link to that one file instead of a copy: the
// mailbox files are the same file, with the right bytes, and the queue
// keeps no name of it once delivered. A message that also has an external
// recipient is queued as received, and its local copy is written.
func TestLocalOnlyMessageIsLinkedIntoEveryMailbox(t *testing.T) {
	const text = "From: someone@example.org\r\nSubject: linked\r\n\r\nbody\r\n"
	const want = "Return-Path: <someone@example.org>\r\n" + text
	st, accounts := newTestStore(t, "alice", "bob")
	alice, bob := accounts[0], accounts[1]
	external := Recipient{Address: "friend@example.net", OriginalAddress: "friend@example.net"}
	deliverAll(t, st,
		accept(t, "someone@example.org", []Recipient{rcpt(alice), rcpt(bob)}, text),
		accept(t, "someone@example.org", []Recipient{rcpt(alice), external}, text))

	aliceMsgs, aliceContents := inbox(t, st, alice.ID)
	bobMsgs, bobContents := inbox(t, st, bob.ID)
	if len(aliceMsgs) != 2 || len(bobMsgs) != 1 {
		t.Fatalf("alice has %d messages, bob %d; want 2 and 1", len(aliceMsgs), len(bobMsgs))
	}
	for _, c := range append(aliceContents, bobContents...) {
		if c != want {
			t.Fatalf("a delivered message is %q, want %q", c, want)
		}
	}
	stat := func(rel string) os.FileInfo {
		t.Helper()
		abs, err := st.Files().Abs(rel)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	var linked, copied os.FileInfo
	for _, m := range aliceMsgs {
		if fi := stat(m.Path); os.SameFile(fi, stat(bobMsgs[0].Path)) {
			linked = fi
		} else {
			copied = fi
		}
	}
	if linked == nil || copied == nil {
		t.Fatalf("want one of alice's files to be bob's (the local-only message) and one her own copy (the message with an external recipient)")
	}
	if files := filesUnder(t, st.Files().Root()+"/queue"); len(files) != 0 {
		t.Errorf("files left under queue/: %v", files)
	}
}
