// Package smtpclient owns sending one message to one SMTP server: the
// client side of RFC 5321 with the extensions outbound delivery needs —
// STARTTLS (RFC 3207) opportunistic or required, implicit TLS, AUTH PLAIN
// and LOGIN (RFC 4954), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8
// (RFC 6531), PIPELINING (RFC 2920) and enhanced status codes (RFC 2034,
// RFC 3463) — with the per-command timeouts of RFC 5321 4.5.3.2.
//
// It does not decide where to send (routes, relayer, MX records), when to
// try again, or what to tell the sender: those belong to the delivery
// queue, which reads the per-recipient replies and the transcript this
// package returns.
package smtpclient

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/mailwright/mailwright/server/smtpreply"
)

// Security says how a connection uses TLS.
type Security int

const (
	// Opportunistic uses STARTTLS when the server offers it and sends in
	// the clear when it does not.
	Opportunistic Security = iota
	// RequireTLS uses STARTTLS and fails when the server does not offer it
	// or the handshake fails.
	RequireTLS
	// ImplicitTLS speaks TLS from the first byte (SMTPS, port 465).
	ImplicitTLS
	// NoTLS never uses TLS.
	NoTLS
)

func (s Security) String() string {
	switch s {
	case Opportunistic:
		return "opportunistic STARTTLS"
	case RequireTLS:
		return "required STARTTLS"
	case ImplicitTLS:
		return "implicit TLS"
	case NoTLS:
		return "no TLS"
	}
	return fmt.Sprintf("Security(%d)", int(s))
}

// Timeouts bound each step of the conversation. A zero field takes the
// default of RFC 5321 4.5.3.2.
type Timeouts struct {
	Connect   time.Duration // TCP connect and the handshake of implicit TLS: 5 minutes
	Greeting  time.Duration // the initial 220 (4.5.3.2.1): 5 minutes
	Command   time.Duration // EHLO, HELO, STARTTLS, AUTH, QUIT: 5 minutes, as for MAIL
	Mail      time.Duration // MAIL (4.5.3.2.2): 5 minutes
	Rcpt      time.Duration // each RCPT (4.5.3.2.3): 5 minutes
	DataInit  time.Duration // the DATA command (4.5.3.2.4): 2 minutes
	DataBlock time.Duration // each write of message data (4.5.3.2.5): 3 minutes
	DataEnd   time.Duration // the reply to the final "." (4.5.3.2.6): 10 minutes
}

func (t Timeouts) withDefaults() Timeouts {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&t.Connect, 5*time.Minute)
	set(&t.Greeting, 5*time.Minute)
	set(&t.Command, 5*time.Minute)
	set(&t.Mail, 5*time.Minute)
	set(&t.Rcpt, 5*time.Minute)
	set(&t.DataInit, 2*time.Minute)
	set(&t.DataBlock, 3*time.Minute)
	set(&t.DataEnd, 10*time.Minute)
	return t
}

// Options are the settings of one delivery, named as the manual names
// them.
type Options struct {
	HeloName  string   // "Host name" (Settings → SMTP → Delivery of e-mail); empty: the local IP address as a literal
	LocalAddr net.Addr // "Bind to local IP address"; nil: any
	Security  Security

	// VerifyCertificate is "Verify remote server certificate". When false,
	// any certificate is accepted, and an opportunistic STARTTLS whose
	// handshake fails is retried on a new connection without TLS.
	VerifyCertificate bool
	ServerName        string         // the name the certificate must carry (the MX host name); empty: the host of addr
	RootCAs           *x509.CertPool // the authorities to verify against; nil: the system's

	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN when the server offers it, else AUTH LOGIN; only over TLS unless
	// AllowPlainAuthWithoutTLS.
	Username, Password       string
	AllowPlainAuthWithoutTLS bool

	Timeouts Timeouts

	// MaxRecipients is "Maximum number of recipients in batch". The caller
	// splits its recipients into batches; Deliver refuses more than this.
	// 0: no limit.
	MaxRecipients int
}

// RecipientResult is what became of one recipient.
type RecipientResult struct {
	Address string
	// Reply is the server's reply to RCPT when it refused the recipient,
	// else the reply to the end of data; when the delivery failed as a
	// whole, the reply that ended it (nil when the network failed). A
	// refusal the client made itself (such as SMTPUTF8 missing) is a reply
	// it composed.
	Reply    *smtpreply.Reply
	Accepted bool // the server answered 2xx to the end of data
}

// Result is the outcome of a delivery.
type Result struct {
	// Recipients has one entry per recipient given to Deliver, in the same
	// order, whether or not Deliver returns an error.
	Recipients []RecipientResult
	// Transcript is the conversation, one line each: "C: " what the client
	// sent, "S: " what the server replied, "* " what happened otherwise.
	// Credentials are masked and the message itself is summarised, so it
	// can go into bounces and logs.
	Transcript []string
}

// Deliver sends the message body (size bytes, or <= 0 when unknown) from
// the envelope sender from to the recipients to, at the SMTP server addr
// (host:port).
//
// It says EHLO (HELO when EHLO gets a 5xx), upgrades with STARTTLS as
// opts.Security asks and says EHLO again, authenticates when asked, checks
// the message against the server's SIZE and 8BITMIME, gives MAIL FROM (with
// SIZE= and BODY=8BITMIME as they apply), the recipients and DATA —
// pipelined when the server offers PIPELINING — then the message with CRLF
// line endings and dot-stuffing, reads the reply to its end and says QUIT.
//
// The error is an *Error when the delivery failed as a whole: the
// connection, the greeting, EHLO, STARTTLS, AUTH, the size or 8-bit checks,
// MAIL, DATA or the end of data. A recipient the server refused at RCPT is
// not an error: its reply is in Result.Recipients, which always holds every
// recipient.
func Deliver(ctx context.Context, addr string, from string, to []string, body io.Reader, size int64, opts Options) (Result, error) {
	d, failure := prepare(addr, from, to, body, size, opts)
	if failure != nil {
		return d.fail(failure)
	}
	failure = d.run(ctx, opts.Security)
	if failure != nil && d.retryWithoutTLS {
		d.note("retrying on a new connection without TLS")
		failure = d.run(ctx, NoTLS)
	}
	if failure != nil {
		return d.fail(failure)
	}
	return *d.res, nil
}

// prepare checks a delivery's arguments and reads the message through
// once (its size, its 8-bit data); the failure is a refusal without a
// connection.
func prepare(addr string, from string, to []string, body io.Reader, size int64, opts Options) (*delivery, *Error) {
	res := &Result{Recipients: make([]RecipientResult, len(to))}
	for i, rcpt := range to {
		res.Recipients[i].Address = rcpt
	}
	opts.Timeouts = opts.Timeouts.withDefaults()
	if opts.ServerName == "" {
		opts.ServerName, _, _ = net.SplitHostPort(addr)
	}
	d := &delivery{addr: addr, from: from, opts: opts, res: res}
	switch {
	case len(to) == 0:
		return d, &Error{Stage: StageSetup, Err: fmt.Errorf("no recipients")}
	case opts.MaxRecipients > 0 && len(to) > opts.MaxRecipients:
		return d, &Error{Stage: StageSetup, Err: fmt.Errorf("%w: %d recipients, at most %d", ErrTooManyRecipients, len(to), opts.MaxRecipients)}
	case hasControl(from):
		return d, localError(StageMail, ErrInvalidAddress, &smtpreply.Reply{Code: 553, Enhanced: "5.1.7", Text: "The sender address contains control characters."})
	}
	msg, err := scanMessage(body, size)
	if err != nil {
		return d, &Error{Stage: StageSetup, Err: err}
	}
	d.msg = msg
	return d, nil
}

// fail ends a delivery with failure: every recipient without a reply of
// its own gets the one that ended it.
func (d *delivery) fail(failure *Error) (Result, error) {
	for i := range d.res.Recipients {
		if rr := &d.res.Recipients[i]; !rr.Accepted && (rr.Reply == nil || rr.Reply.Code < 400) {
			rr.Reply = failure.Reply
		}
	}
	return *d.res, failure
}

// hasControl reports whether an address holds a character that would end
// or change the command it is sent in.
func hasControl(address string) bool {
	return strings.ContainsFunc(address, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// isASCII reports whether an address can go without SMTPUTF8.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
