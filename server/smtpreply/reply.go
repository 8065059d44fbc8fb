// Package smtpreply holds SMTP replies as values that are also errors: a
// check anywhere in the server (IP ranges, relay rules, recipient
// resolution, size limits) returns the reply it wants the client to see,
// and the SMTP session writes it unchanged. The texts are those of the
// hMailServer manual's error catalogue (Troubleshooting → SMTP error
// messages), with RFC 3463 enhanced status codes.
package smtpreply

import (
	"errors"
	"fmt"
	"strings"
)

// Reply is one SMTP reply.
type Reply struct {
	Code     int    // e.g. 550
	Enhanced string // RFC 3463 class.subject.detail, e.g. "5.7.1"; empty for greetings
	Text     string
}

func (r *Reply) Error() string { return r.String() }

// String renders the reply as one line without CRLF.
func (r *Reply) String() string {
	if r.Enhanced == "" {
		return fmt.Sprintf("%d %s", r.Code, r.Text)
	}
	return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text)
}

// Lines renders a reply that may hold several lines of text (separated by
// "\n") as SMTP reply lines without CRLF: "250-first", ..., "250 last".
func (r *Reply) Lines() []string {
	parts := strings.Split(r.Text, "\n")
	out := make([]string, len(parts))
	for i, p := range parts {
		sep := " "
		if i < len(parts)-1 {
			sep = "-"
		}
		if r.Enhanced != "" {
			p = r.Enhanced + " " + p
		}
		out[i] = fmt.Sprintf("%d%s%s", r.Code, sep, p)
	}
	return out
}

// Temporary reports whether the reply is a 4xx.
func (r *Reply) Temporary() bool { return r.Code >= 400 && r.Code < 500 }

// As returns the Reply inside err, if any.
func As(err error) (*Reply, bool) {
	var r *Reply
	ok := errors.As(err, &r)
	return r, ok
}

func reply(code int, enhanced, text string) *Reply {
	return &Reply{Code: code, Enhanced: enhanced, Text: text}
}

// The catalogue. Callers must not modify these values.
var (
	// Session and syntax.
	UseHeloFirst            = reply(502, "5.5.1", "Use HELO/EHLO first.")
	HeloInvalidDomain       = reply(501, "5.5.2", "HELO Invalid domain address.")
	EhloInvalidDomain       = reply(501, "5.5.2", "EHLO Invalid domain address.")
	UnimplementedCommand    = reply(502, "5.5.1", "Unimplemented command.")
	VrfyDisallowed          = reply(502, "5.5.1", "VRFY disallowed.")
	TurnDisallowed          = reply(502, "5.5.1", "TURN disallowed.")
	LineTooLong             = reply(500, "5.5.2", "Line too long.")
	ExcessiveData           = reply(421, "4.5.2", "Excessive amounts of data sent to server.")
	ConnectionTimeout       = reply(421, "4.4.2", "Connection timeout.")
	TooManyInvalidCommands  = reply(421, "4.7.0", "Too many invalid commands. Bye.")
	MustHaveSenderFirst     = reply(503, "5.5.1", "Must have sender first.")
	MustHaveSenderAndRcpt   = reply(503, "5.5.1", "Must have sender and recipient first.")
	IssueResetFirst         = reply(503, "5.5.1", "Issue a reset if you want to start over")
	InvalidMailSyntax       = reply(550, "5.5.4", "Invalid syntax. Syntax should be MAIL FROM:<userdomain>[crlf]")
	InvalidRcptSyntax       = reply(550, "5.5.4", "Invalid syntax. Syntax should be RCPT TO:<userdomain>[crlf]")
	TooManyRecipients       = reply(452, "4.5.3", "Too many recipients.")
	ShuttingDown            = reply(421, "4.3.2", "Service not available, closing transmission channel")
	ServerBusy              = reply(421, "4.3.2", "Too many connections. Try again later.")
	TLSRequired             = reply(530, "5.7.0", "Must issue a STARTTLS command first.")
	TLSNotAvailable         = reply(454, "4.7.0", "TLS not available.")
	AlreadyTLS              = reply(503, "5.5.1", "Already running TLS.")
	SenderAddressRequired   = reply(550, "5.1.7", "Sender address must be specified.")
	InvalidSenderAddress    = reply(550, "5.1.7", "The address is not valid.")
	ValidAddressRequired    = reply(550, "5.1.3", "A valid address is required.")
	RejectedBareLF          = reply(554, "5.6.0", "Rejected message using bare LF's")
	RejectedNoDataSaved     = reply(554, "5.3.0", "Rejected - No data saved")
	ReceivedButNotSaved     = reply(550, "5.3.0", "Your message was received but it could not be saved. Please retry later.")
	MessageTooLargeAtRcpt   = reply(552, "5.3.4", "Message size exceeds fixed maximum message size.")
	UnsupportedParameter    = reply(555, "5.5.4", "Unsupported parameter.")
	Rejected                = reply(554, "5.7.1", "Rejected")
	TooManyHops             = reply(554, "5.4.6", "Too many hops: the message is in a mail loop.")
	MessageNeeds8BitTransit = reply(554, "5.6.3", "Message contains 8-bit data but BODY=8BITMIME was not given.")

	// Authentication.
	AuthMethodNotSupported = reply(504, "5.5.4", "Authentication method not supported.")
	AuthTypeNotSupported   = reply(504, "5.5.4", "Authentication type not supported.")
	AuthFailed             = reply(535, "5.7.8", "Authentication failed. Restarting authentication process.")
	AuthRequired           = reply(530, "5.7.0", "SMTP authentication is required.")
	AuthCancelled          = reply(501, "5.0.0", "Authentication cancelled.")
	AuthSucceeded          = reply(235, "2.7.0", "authenticated.")
	AlreadyAuthenticated   = reply(503, "5.5.1", "Already authenticated.")
	PlainTextAuthDisabled  = reply(538, "5.7.11", "Plain text authentication is not allowed on an unencrypted connection. Use STARTTLS first.")
	CredentialsNoLongerOK  = reply(550, "5.7.1", "Login credentials no longer valid")

	// Relay and recipients.
	DeliveryNotAllowed    = reply(550, "5.7.1", "Delivery is not allowed to this address.")
	UnknownUser           = reply(550, "5.1.1", "Unknown user")
	AccountNotActive      = reply(550, "5.2.1", "Account is not active.")
	AliasNotActive        = reply(550, "5.2.1", "Alias is not active.")
	ListNotActive         = reply(550, "5.2.1", "Distribution list is not active.")
	DomainDisabled        = reply(550, "5.2.1", "Domain has been disabled.")
	NotAuthorized         = reply(550, "5.7.1", "Not authorized.")
	TooManyForwards       = reply(550, "5.4.6", "Mail server configuration error. Too many recursive forwards.")
	RecipientNotInRoute   = reply(550, "5.1.1", "Recipient not in route list.")
	TemporaryLookupFailed = reply(451, "4.3.0", "Temporary error looking up the recipient. Please try again later.")
)

// MessageTooLarge is the reply to a message over the size limit, with the
// message's and the limit's size in KB as the manual shows them.
func MessageTooLarge(sizeKB, maxKB int64) *Reply {
	return reply(552, "5.3.4", fmt.Sprintf("Message size exceeds fixed maximum message size. Size: %d KB, Max size: %d KB", sizeKB, maxKB))
}

// Queued is the reply to a message that is on disk and in the queue.
func Queued(id string) *Reply {
	return reply(250, "2.0.0", "Queued ("+id+")")
}
