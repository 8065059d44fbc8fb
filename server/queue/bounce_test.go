package queue

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func testBounce() bounce {
	return bounce{
		Host:      "mx.example.com",
		To:        "sender@example.org",
		Subject:   "Message undeliverable",
		Text:      defaultSendFailedText,
		QueueID:   "0123456789abcdef0123456789abcdef",
		Arrival:   time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		Date:      time.Date(2026, 3, 1, 10, 0, 5, 0, time.UTC),
		MessageID: "abc@mx.example.com",
		Boundary:  "=_mw_test",
		Failed: []failedRecipient{
			{Address: "alice@example.com", OriginalAddress: "alice@example.com", Reply: replyInboxFull},
			{Address: "bob@example.com", OriginalAddress: "sales@example.com", Reply: replyAccountGone},
		},
		Headers: []byte("From: sender@example.org\r\nSubject: Quarterly\r\n figures\r\n"),
	}
}

func TestBuildBounceIsAMultipartReportThatTheStandardLibraryReads(t *testing.T) {
	b := testBounce()
	out := buildBounce(b)
	if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("the bounce has a line ending that is not CRLF:\n%q", out)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{
		"Subject":        "Message undeliverable: Quarterly figures",
		"From":           "Mail Delivery System <mailer-daemon@mx.example.com>",
		"To":             "<sender@example.org>",
		"Message-ID":     "<abc@mx.example.com>",
		"Date":           "Sun, 01 Mar 2026 10:00:05 +0000",
		"Auto-Submitted": "auto-replied",
		"MIME-Version":   "1.0",
	} {
		if got := msg.Header.Get(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/report" || params["report-type"] != "delivery-status" || params["boundary"] != b.Boundary {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		bodies = append(bodies, string(body))
	}
	if strings.Join(types, " ") != "text/plain message/delivery-status text/rfc822-headers" {
		t.Fatalf("parts %q", types)
	}
	for _, want := range []string{
		"   Sent: Sun, 01 Mar 2026 10:00:00 +0000\r\n   Subject: Quarterly figures\r\n",
		"alice@example.com\r\n   Inbox is full\r\n",
		"bob@example.com (sent to sales@example.com)\r\n   the recipient's account no longer exists\r\n",
	} {
		if !strings.Contains(bodies[0], want) {
			t.Errorf("the text part lacks %q:\n%s", want, bodies[0])
		}
	}
	wantStatus := "Reporting-MTA: dns; mx.example.com\r\n" +
		"X-Mailwright-Queue-ID: 0123456789abcdef0123456789abcdef\r\n" +
		"Arrival-Date: Sun, 01 Mar 2026 10:00:00 +0000\r\n" +
		"\r\n" +
		"Final-Recipient: rfc822; alice@example.com\r\n" +
		"Action: failed\r\n" +
		"Status: 5.2.2\r\n" +
		"Diagnostic-Code: smtp; 552 5.2.2 Inbox is full\r\n" +
		"\r\n" +
		"Original-Recipient: rfc822; sales@example.com\r\n" +
		"Final-Recipient: rfc822; bob@example.com\r\n" +
		"Action: failed\r\n" +
		"Status: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 the recipient's account no longer exists\r\n"
	if bodies[1] != wantStatus {
		t.Errorf("delivery-status part:\n%s\nwant:\n%s", bodies[1], wantStatus)
	}
	if bodies[2] != string(b.Headers) {
		t.Errorf("headers part = %q, want %q", bodies[2], b.Headers)
	}
}

func TestBuildBounceKeepsHeaderInjectionOut(t *testing.T) {
	b := testBounce()
	b.To = "evil@example.org>\r\nBcc: <victim@example.net"
	b.Subject = "Undeliverable\r\nX-Injected: yes"
	b.Headers = []byte("Subject: hi\r\n\tthere\r\n")
	b.Failed[0].Address = "a@example.com\r\nAction: delivered"
	msg, err := mail.ReadMessage(bytes.NewReader(buildBounce(b)))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Injected") != "" {
		t.Errorf("a field got into the header: %v", msg.Header)
	}
	if got := msg.Header.Get("Subject"); got != "Undeliverable  X-Injected: yes: hi\tthere" {
		t.Errorf("Subject = %q", got)
	}
	if bytes.Contains(buildBounce(b), []byte("\r\nAction: delivered")) {
		t.Error("a recipient address added a field to the delivery-status part")
	}
}

func TestBuildBounceEncodesANonASCIISubjectText(t *testing.T) {
	b := testBounce()
	b.Subject = "Nicht zustellbar"
	b.Headers = nil
	msg, err := mail.ReadMessage(bytes.NewReader(buildBounce(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != "Nicht zustellbar" {
		t.Errorf("Subject without an original subject = %q", got)
	}
	b.Subject = "Unzustellbare Nachricht ü"
	raw := buildBounce(b)
	msg, _ = mail.ReadMessage(bytes.NewReader(raw))
	got := msg.Header.Get("Subject")
	if !strings.HasPrefix(got, "=?utf-8?q?") {
		t.Errorf("a non-ASCII server message text is not an encoded word: %q", got)
	}
	if decoded, err := new(mime.WordDecoder).DecodeHeader(got); err != nil || decoded != b.Subject {
		t.Errorf("Subject decodes to %q, %v", decoded, err)
	}
	if !bytes.Contains(raw, []byte("Content-Transfer-Encoding: 7bit\r\n\r\nThis is")) {
		t.Errorf("an ASCII-only bounce is not marked 7bit")
	}
}

func TestSendFailedTextReplacesEachMacroOnce(t *testing.T) {
	b := testBounce()
	b.Text = "%MACRO_SUBJECT%|%MACRO_RECIPIENTS%"
	b.Headers = []byte("Subject: %MACRO_RECIPIENTS%\r\n")
	b.Failed = b.Failed[:1]
	if got, want := b.sendFailedText(), "%MACRO_RECIPIENTS%|alice@example.com\r\n   Inbox is full\r\n"; got != want {
		t.Errorf("sendFailedText = %q, want %q", got, want)
	}
	b.Text = "   \r\n"
	if got := b.sendFailedText(); !strings.HasPrefix(got, "Your message did not reach") {
		t.Errorf("an empty server message does not fall back to the default: %q", got)
	}
}

func TestParseReply(t *testing.T) {
	for _, c := range []struct {
		reply, status, text string
		code                int
	}{
		{"552 5.2.2 Inbox is full", "5.2.2", "Inbox is full", 552},
		{"550 5.1.1 the recipient's account no longer exists", "5.1.1", "the recipient's account no longer exists", 550},
		{"452 4.2.2 mailbox full, try later", "5.2.2", "mailbox full, try later", 452},
		{"554 transaction failed", "5.0.0", "transaction failed", 554},
		{"remote delivery is not available in this version", "5.0.0", "remote delivery is not available in this version", 0},
		{"5.7.1 refused", "5.7.1", "refused", 0},
		{"999 5.1.1 x", "5.0.0", "999 5.1.1 x", 0},
		{"550 5.1.1", "5.1.1", "delivery failed", 550},
		{"", "5.0.0", "delivery failed", 0},
		{"550 5.1234.1 odd", "5.0.0", "5.1234.1 odd", 550},
	} {
		code, status, text := parseReply(c.reply)
		if code != c.code || status != c.status || text != c.text {
			t.Errorf("parseReply(%q) = %d, %q, %q; want %d, %q, %q", c.reply, code, status, text, c.code, c.status, c.text)
		}
	}
}

func TestHeaderSection(t *testing.T) {
	for _, c := range []struct {
		name, msg, want string
		limit           int
	}{
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", "A: 1\r\nB: 2\r\n", 100},
		{"bare_lf", "A: 1\nB: 2\n\nbody", "A: 1\nB: 2\n", 100},
		{"no_body", "A: 1\r\nB: 2\r\n", "A: 1\r\nB: 2\r\n", 100},
		{"no_final_line_end", "A: 1\r\nB: 2", "A: 1\r\nB: 2", 100},
		{"no_headers", "\r\nbody", "", 100},
		{"cut_after_the_last_whole_line", "A: 1\r\nB: 22222\r\n\r\nbody", "A: 1\r\n", 10},
		{"one_line_longer_than_the_limit", "A: 1111111111\r\n\r\n", "", 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(headerSection([]byte(c.msg), c.limit)); got != c.want {
				t.Errorf("headerSection(%q, %d) = %q, want %q", c.msg, c.limit, got, c.want)
			}
		})
	}
}

func TestHeaderField(t *testing.T) {
	section := []byte("From: a@example.org\r\nsubject :  first\r\n\tline\r\n  two \r\nX-Subject: no\r\nSubject: second\r\n")
	if got := headerField(section, "Subject"); got != "first\tline  two" {
		t.Errorf("headerField = %q", got)
	}
	if got := headerField(section, "To"); got != "" {
		t.Errorf("headerField of a missing field = %q", got)
	}
	if got := headerField([]byte("Subject: bare\nX: y\n"), "subject"); got != "bare" {
		t.Errorf("headerField with bare LF = %q", got)
	}
}

func TestDeliveryHeaders(t *testing.T) {
	for _, c := range []struct {
		from, account string
		deliveredTo   bool
		want          string
	}{
		{"s@example.org", "a@example.com", false, "Return-Path: <s@example.org>\r\n"},
		{"", "a@example.com", false, "Return-Path: <>\r\n"},
		{"s@example.org", "a@example.com", true, "Return-Path: <s@example.org>\r\nDelivered-To: a@example.com\r\n"},
		{"s@example.org>\r\nX: y", "a@example.com", false, "Return-Path: <s@example.org>  X: y>\r\n"},
	} {
		if got := string(deliveryHeaders(c.from, c.account, c.deliveredTo)); got != c.want {
			t.Errorf("deliveryHeaders(%q, %q, %v) = %q, want %q", c.from, c.account, c.deliveredTo, got, c.want)
		}
	}
}

// FuzzBuildBounce builds bounces for arbitrary original headers, subject
// texts and replies: the standard library must read every one as a
// multipart/report with the three parts, and no input may add a field to
// the bounce's header. The seed corpus is in testdata/fuzz/FuzzBuildBounce.
func FuzzBuildBounce(f *testing.F) {
	f.Add([]byte("Subject: hello\r\n\r\nbody"), "Message undeliverable", "552 5.2.2 Inbox is full", "sender@example.org")
	f.Fuzz(func(t *testing.T, message []byte, subject, reply, to string) {
		b := testBounce()
		b.Headers = headerSection(message, maxBounceHeaders)
		b.Subject = subject
		b.Failed[0].Reply = reply
		b.To = to
		if bytes.Contains(b.Headers, []byte(b.Boundary)) {
			return // the caller picks another boundary
		}
		out := buildBounce(b)
		msg, err := mail.ReadMessage(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("the bounce does not parse: %v\n%q", err, out)
		}
		for field := range msg.Header {
			switch field {
			case "Date", "From", "To", "Subject", "Message-Id", "Auto-Submitted", "Mime-Version", "Content-Type", "Content-Transfer-Encoding":
			default:
				t.Fatalf("unexpected field %q in the bounce's header", field)
			}
		}
		_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		n := 0
		for {
			_, err := mr.NextPart()
			if err != nil {
				break
			}
			n++
		}
		if n != 3 {
			t.Fatalf("%d parts, want 3\n%q", n, out)
		}
	})
}
