package smtpclient

import (
	"context"
	"errors"
	"io"
	"net"
)

// Conn is a session with one SMTP server kept open for several messages:
// RFC 5321 3.3 lets a session hold any number of mail transactions, and
// the delivery queue sends the messages it has for one server one after
// the other on one connection, without a new connect, greeting, EHLO,
// STARTTLS and AUTH for each. It is not safe for concurrent use.
type Conn struct {
	d *delivery
	// Open says the session is still usable: the last transaction ended
	// with the message accepted (or never began), and no error or QUIT
	// ended the connection.
	open bool
	// Transactions counts the messages sent on the connection.
	Transactions int
}

// Dial connects to the SMTP server addr and readies the session as
// Deliver does — greeting, EHLO, STARTTLS and AUTH as opts asks, on a new
// connection without TLS when an opportunistic STARTTLS handshake fails
// and certificates are not verified — for Send. The transcript tells what
// happened; the error is an *Error.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, []string, error) {
	opts.Timeouts = opts.Timeouts.withDefaults()
	if opts.ServerName == "" {
		opts.ServerName, _, _ = net.SplitHostPort(addr)
	}
	d := &delivery{addr: addr, opts: opts, res: &Result{}, keepOpen: true}
	failure := d.open(ctx, d.opts.Security)
	if failure != nil && d.retryWithoutTLS {
		d.note("retrying on a new connection without TLS")
		failure = d.open(ctx, NoTLS)
	}
	if failure != nil {
		return nil, d.res.Transcript, failure
	}
	d.stopWatch()
	d.stopWatch = nil
	return &Conn{d: d, open: true}, d.res.Transcript, nil
}

// Send is Deliver on the open session: one transaction, after which the
// session stays open for the next unless it failed. Its arguments and
// results are Deliver's; the transcript starts where the session is.
// The options given to Dial apply; the recipients' limit is
// opts.MaxRecipients of Dial.
func (c *Conn) Send(ctx context.Context, from string, to []string, body io.Reader, size int64) (Result, error) {
	if !c.open {
		return Result{Recipients: make([]RecipientResult, len(to))}, &Error{Temporary: true, Stage: StageSetup, Err: ErrConnectionClosed}
	}
	next, failure := prepare(c.d.addr, from, to, body, size, c.d.opts)
	if failure != nil {
		return next.fail(failure)
	}
	d := c.d
	d.from, d.msg, d.res = next.from, next.msg, next.res
	d.ctx = ctx
	conn := d.conn
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c.Transactions++
	if c.Transactions > 1 {
		d.note("reusing the connection to %s (message %d on it)", conn.RemoteAddr(), c.Transactions)
	}
	failure = d.transaction()
	if failure != nil || d.quitSent {
		c.open = false
		d.close()
	}
	if failure != nil {
		return d.fail(failure)
	}
	return *d.res, nil
}

// Open reports whether the session can take another message.
func (c *Conn) Open() bool { return c.open }

// Close ends the session with QUIT and closes the connection.
func (c *Conn) Close() {
	if !c.open {
		return
	}
	c.open = false
	d := c.d
	d.ctx = context.Background()
	d.res = &Result{}
	d.quit()
	d.close()
}

// ErrConnectionClosed is Send's error on a Conn whose session has ended.
var ErrConnectionClosed = errors.New("smtpclient: the connection is closed")

// Stale reports whether a failed Send on a reused connection failed
// before the server accepted anything of the transaction in a way that
// says the server had closed the idle connection (the connection
// dropped, or a 421, at MAIL): the message may be sent again at once on
// a new connection.
func Stale(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Stage != StageMail {
		return false
	}
	return e.Reply == nil || e.Reply.Code == 421
}
