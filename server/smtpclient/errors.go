package smtpclient

import (
	"errors"
	"fmt"

	"github.com/mailwright/mailwright/server/smtpreply"
)

// Stages of a delivery, as Error.Stage names them.
const (
	StageSetup     = "setup"       // the arguments, before any connection
	StageConnect   = "connect"     // TCP connect, and the handshake of implicit TLS
	StageGreeting  = "greeting"    // the server's 220
	StageHello     = "EHLO"        // EHLO, or HELO after a 5xx to EHLO
	StageSTARTTLS  = "STARTTLS"    // the command and the TLS handshake after it
	StageAuth      = "AUTH"        // authentication
	StageSize      = "SIZE"        // the message against the server's SIZE limit
	StageMail      = "MAIL"        // MAIL FROM, and the checks that precede it
	StageRcpt      = "RCPT"        // a connection failure or a 421 while recipients were given
	StageData      = "DATA"        // the DATA command
	StageMessage   = "message"     // sending the message itself
	StageEndOfData = "end of data" // the reply to the final "."
)

// Reasons for refusals the client decides on its own; an Error holding one
// of them in Err also holds, in Reply, the reply a bounce should quote.
var (
	ErrMessageTooLarge   = errors.New("the message is larger than the receiving server accepts")
	ErrNeeds8BitMIME     = errors.New("the message contains 8-bit data and the receiving server does not accept it")
	ErrNeedsSMTPUTF8     = errors.New("the address is not ASCII and the receiving server does not offer SMTPUTF8")
	ErrTLSNotOffered     = errors.New("TLS is required but the server does not offer STARTTLS")
	ErrAuthNotOffered    = errors.New("the server offers neither AUTH PLAIN nor AUTH LOGIN")
	ErrAuthWithoutTLS    = errors.New("credentials are not sent over a connection without TLS")
	ErrTooManyRecipients = errors.New("more recipients than Options.MaxRecipients allows")
	ErrInvalidAddress    = errors.New("the address contains control characters")
)

// Error is a delivery that failed as a whole: the connection, or the
// transaction before any recipient could be delivered.
//
// With Reply set and Err nil, Reply is what the server said. With both set,
// Err is a refusal of the client's own (one of the Err... values above) and
// Reply the reply it composed for it. With Err alone, the failure is the
// network's or TLS's (a timeout, a refused connection, a failed handshake).
type Error struct {
	Reply     *smtpreply.Reply
	Temporary bool   // try again later; false: the recipients fail now
	Stage     string // one of the Stage... constants
	Err       error
}

func (e *Error) Error() string {
	switch {
	case e.Reply != nil && e.Err == nil:
		return fmt.Sprintf("%s: the server replied %s", e.Stage, e.Reply)
	case e.Reply != nil:
		return fmt.Sprintf("%s: %s", e.Stage, e.Reply)
	default:
		return fmt.Sprintf("%s: %v", e.Stage, e.Err)
	}
}

// Unwrap lets errors.As find the Reply (smtpreply.As) and errors.Is the
// Err.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Reply != nil {
		out = append(out, e.Reply)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// replyError is a 4xx or 5xx from the server that ends the delivery.
func replyError(stage string, reply *smtpreply.Reply) *Error {
	return &Error{Reply: reply, Temporary: reply.Code < 500, Stage: stage}
}

// localError is a refusal the client makes itself, with the reply it
// stands for.
func localError(stage string, reason error, reply *smtpreply.Reply) *Error {
	return &Error{Reply: reply, Temporary: reply.Code < 500, Stage: stage, Err: reason}
}

// networkError is a failure of the connection; those are always worth
// another try.
func networkError(stage string, err error) *Error {
	return &Error{Temporary: true, Stage: stage, Err: err}
}
