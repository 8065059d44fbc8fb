package queue

import (
	"bytes"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"
)

// The format of a bounce: a delivery status notification (RFC 3464) in a
// multipart/report (RFC 6522) with three parts — a text for people, the
// machine-readable message/delivery-status, and the undelivered message's
// header section as text/rfc822-headers. Building one is a pure function
// of a bounce value; finding the failed recipients and queueing the bounce
// is the worker's (worker.go).

// Defaults for the server messages a bounce is made of, when the database
// has none (manual: Settings → Advanced → Server messages).
const (
	defaultUndeliverableSubject = "Message undeliverable"
	defaultSendFailedText       = "Your message did not reach some or all of the intended recipients.\r\n\r\n" +
		"   Sent: %MACRO_SENT%\r\n   Subject: %MACRO_SUBJECT%\r\n\r\n" +
		"The following recipient(s) could not be reached:\r\n\r\n%MACRO_RECIPIENTS%\r\n\r\nMailwright\r\n"
)

// maxBounceHeaders bounds the original header section a bounce returns.
const maxBounceHeaders = 64 << 10

// bounce is what a delivery status notification says.
type bounce struct {
	Host      string    // this server's name: Reporting-MTA and the mailer-daemon's domain
	To        string    // the undelivered message's envelope sender
	Subject   string    // the MESSAGE_UNDELIVERABLE text
	Text      string    // the SEND_FAILED_NOTIFICATION text, with its %MACRO_...% names
	QueueID   string    // the undelivered message's queue id
	Arrival   time.Time // when the undelivered message was accepted
	Date      time.Time // when the bounce is made
	MessageID string    // the bounce's Message-ID, without angle brackets
	Boundary  string    // the multipart boundary; it must not occur in the content
	Failed    []failedRecipient
	Headers   []byte // the undelivered message's header section (headerSection)
}

// failedRecipient is one recipient a bounce reports.
type failedRecipient struct {
	Address         string // the address delivery was attempted to
	OriginalAddress string // the RCPT TO address it came from
	Reply           string // the reply, e.g. "552 5.2.2 Inbox is full"

	// For a recipient on another server, what the last attempt found
	// (recipientReport): the tries made, the server, whether Reply is its
	// own and the command it answered.
	Tries  int
	Host   string
	Addr   string
	Remote bool
	Sent   string
}

// failedFromStored is the failed recipient r as a bounce reports it, its
// stored reply read back (parseReport).
func failedFromStored(address, original, stored string) failedRecipient {
	rep := parseReport(stored)
	return failedRecipient{Address: address, OriginalAddress: original, Reply: rep.Reply,
		Tries: rep.Tries, Host: rep.Host, Addr: rep.Addr, Remote: rep.Remote, Sent: rep.Sent}
}

// buildBounce renders b as a complete message, with CRLF line endings.
func buildBounce(b bounce) []byte {
	host := oneLine(b.Host)
	subject := oneLine(b.Subject)
	if subject == "" {
		subject = defaultUndeliverableSubject
	}
	subject = mime.QEncoding.Encode("utf-8", subject)
	if original := headerField(b.Headers, "Subject"); original != "" {
		subject += ": " + original
	}

	text := []byte(crlf(b.sendFailedText()))
	report := b.deliveryStatus(host)
	headers := crlf(string(b.Headers))
	if headers != "" && !strings.HasSuffix(headers, "\r\n") {
		headers += "\r\n"
	}
	outer := transferEncoding(text, report, []byte(headers))

	var m bytes.Buffer
	fmt.Fprintf(&m, "Date: %s\r\n", b.Date.Format(time.RFC1123Z))
	fmt.Fprintf(&m, "From: Mail Delivery System <mailer-daemon@%s>\r\n", host)
	fmt.Fprintf(&m, "To: <%s>\r\n", oneLine(b.To))
	fmt.Fprintf(&m, "Subject: %s\r\n", subject)
	fmt.Fprintf(&m, "Message-ID: <%s>\r\n", oneLine(b.MessageID))
	// RFC 3834 5: a DSN is "auto-replied", so responders do not answer it.
	m.WriteString("Auto-Submitted: auto-replied\r\n")
	m.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&m, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n", b.Boundary)
	fmt.Fprintf(&m, "Content-Transfer-Encoding: %s\r\n", outer)
	m.WriteString("\r\nThis is a delivery status notification in MIME format.\r\n")

	part := func(contentType, description string, body []byte) {
		fmt.Fprintf(&m, "\r\n--%s\r\n", b.Boundary)
		fmt.Fprintf(&m, "Content-Type: %s\r\n", contentType)
		fmt.Fprintf(&m, "Content-Description: %s\r\n", description)
		fmt.Fprintf(&m, "Content-Transfer-Encoding: %s\r\n\r\n", transferEncoding(body))
		m.Write(body)
	}
	part("text/plain; charset=utf-8", "Notification", text)
	part("message/delivery-status", "Delivery report", report)
	part("text/rfc822-headers", "Undelivered message headers", []byte(headers))
	fmt.Fprintf(&m, "\r\n--%s--\r\n", b.Boundary)
	return m.Bytes()
}

// sendFailedText is the text for people: the SEND_FAILED_NOTIFICATION
// server message with its macros replaced, one pass, so that a subject
// holding a macro name stays as it is.
func (b bounce) sendFailedText() string {
	text := b.Text
	if strings.TrimSpace(text) == "" {
		text = defaultSendFailedText
	}
	var rcpts strings.Builder
	for i, r := range b.Failed {
		if i > 0 {
			rcpts.WriteString("\r\n")
		}
		rcpts.WriteString(oneLine(r.Address))
		if r.OriginalAddress != "" && !strings.EqualFold(r.OriginalAddress, r.Address) {
			fmt.Fprintf(&rcpts, " (sent to %s)", oneLine(r.OriginalAddress))
		}
		rcpts.WriteString("\r\n")
		r.describe(&rcpts)
	}
	text = strings.NewReplacer(
		"%MACRO_SENT%", b.Arrival.Format(time.RFC1123Z),
		"%MACRO_SUBJECT%", headerField(b.Headers, "Subject"),
		"%MACRO_RECIPIENTS%", strings.TrimSuffix(rcpts.String(), "\r\n"),
	).Replace(text)
	if !strings.HasSuffix(text, "\n") {
		text += "\r\n"
	}
	return text
}

// describe writes what happened to r for people, each line indented:
// for a reply of another server, the server, what was sent and what it
// replied (as hMailServer's bounces say it); for a server that could not
// be reached, which and why; else the reason alone. Then, for deliveries
// to other servers, how often they were tried.
func (r failedRecipient) describe(w *strings.Builder) {
	_, _, reason := parseReply(r.Reply)
	host := oneLine(r.Host)
	if r.Addr != "" {
		host += " (" + oneLine(r.Addr) + ")"
	}
	switch {
	case r.Host != "" && r.Remote:
		fmt.Fprintf(w, "   Remote server %s issued an error.\r\n", host)
		if r.Sent != "" {
			fmt.Fprintf(w, "   Mailwright sent: %s\r\n", oneLine(r.Sent))
		}
		fmt.Fprintf(w, "   Remote server replied: %s\r\n", strings.TrimSpace(oneLine(r.Reply)))
	case r.Host != "":
		fmt.Fprintf(w, "   Delivery to the recipient's server %s failed: %s\r\n", host, reason)
	default:
		fmt.Fprintf(w, "   %s\r\n", reason)
	}
	if r.Tries > 0 {
		fmt.Fprintf(w, "   Tried %d time(s)\r\n", r.Tries)
	}
}

// deliveryStatus is the message/delivery-status part: the per-message
// fields, then a block for each failed recipient (RFC 3464 2.2, 2.3).
func (b bounce) deliveryStatus(host string) []byte {
	var d bytes.Buffer
	fmt.Fprintf(&d, "Reporting-MTA: dns; %s\r\n", host)
	if b.QueueID != "" {
		fmt.Fprintf(&d, "X-Mailwright-Queue-ID: %s\r\n", oneLine(b.QueueID))
	}
	if !b.Arrival.IsZero() {
		fmt.Fprintf(&d, "Arrival-Date: %s\r\n", b.Arrival.Format(time.RFC1123Z))
	}
	for _, r := range b.Failed {
		code, status, _ := parseReply(r.Reply)
		d.WriteString("\r\n")
		if r.OriginalAddress != "" && !strings.EqualFold(r.OriginalAddress, r.Address) {
			fmt.Fprintf(&d, "Original-Recipient: rfc822; %s\r\n", oneLine(r.OriginalAddress))
		}
		fmt.Fprintf(&d, "Final-Recipient: rfc822; %s\r\n", oneLine(r.Address))
		d.WriteString("Action: failed\r\n")
		fmt.Fprintf(&d, "Status: %s\r\n", status)
		if r.Host != "" {
			// RFC 3464 2.3.5: the server that was tried.
			fmt.Fprintf(&d, "Remote-MTA: dns; %s\r\n", oneLine(r.Host))
		}
		if code != 0 {
			fmt.Fprintf(&d, "Diagnostic-Code: smtp; %s\r\n", oneLine(r.Reply))
		}
	}
	return d.Bytes()
}

// parseReply splits a stored reply such as "552 5.2.2 Inbox is full" into
// its code, its RFC 3463 status and its text. A reply without a code has
// code 0, one without a status the generic "5.0.0"; a status of class 4
// becomes class 5 (RFC 3463 2: class 5 is a permanent failure, which a
// recipient given up on is).
func parseReply(reply string) (code int, status, text string) {
	text = strings.TrimSpace(oneLine(reply))
	status = "5.0.0"
	first, rest, _ := strings.Cut(text, " ")
	if n, err := strconv.Atoi(first); err == nil && len(first) == 3 && n >= 200 && n <= 599 {
		code, text = n, strings.TrimSpace(rest)
		first, rest, _ = strings.Cut(text, " ")
	}
	if isEnhancedStatus(first) {
		status = "5" + first[1:]
		text = strings.TrimSpace(rest)
	}
	if text == "" {
		text = "delivery failed"
	}
	return code, status, text
}

// isEnhancedStatus reports whether s is an RFC 3463 status code:
// class.subject.detail, class 2, 4 or 5, subject up to 3 digits, detail up
// to 3 digits.
func isEnhancedStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// headerSection returns a message's header section, up to the blank line
// that ends it (excluded) or the end of msg, cut after its last complete
// line within limit bytes if it is longer. Both CRLF and bare LF end lines.
func headerSection(msg []byte, limit int) []byte {
	end := len(msg)
	for i := 0; i < len(msg); {
		j := bytes.IndexByte(msg[i:], '\n')
		if j < 0 {
			break
		}
		if len(bytes.TrimRight(msg[i:i+j], "\r")) == 0 {
			end = i
			break
		}
		i += j + 1
	}
	section := msg[:end]
	if len(section) <= limit {
		return section
	}
	section = section[:limit]
	return section[:bytes.LastIndexByte(section, '\n')+1]
}

// headerField returns the unfolded value of the first field called name
// in a header section, or "" (RFC 5322 2.2.3: unfolding removes the line
// breaks before the whitespace of continuation lines).
func headerField(section []byte, name string) string {
	var value strings.Builder
	found := false
	for line := range strings.SplitSeq(string(section), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if found {
			if line != "" && (line[0] == ' ' || line[0] == '\t') {
				value.WriteString(line)
				continue
			}
			break
		}
		field, rest, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimRight(field, " \t"), name) {
			found = true
			value.WriteString(rest)
		}
	}
	return strings.TrimSpace(oneLine(value.String()))
}

// oneLine makes s safe inside one header line: CR and LF become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// crlf gives every line of s a CRLF ending, whatever it had.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// transferEncoding is "8bit" when any of the parts holds a byte outside
// US-ASCII, else "7bit" (RFC 2045 6.2).
func transferEncoding(parts ...[]byte) string {
	for _, p := range parts {
		for _, c := range p {
			if c >= 0x80 {
				return "8bit"
			}
		}
	}
	return "7bit"
}
