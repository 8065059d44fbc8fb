package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/mailwright/mailwright/server/smtpclient"
)

// A worker keeps the SMTP sessions of its last deliveries open and sends
// its next messages for the same server on them (smtpclient.Conn), rather
// than connecting, greeting, saying EHLO (and STARTTLS, AUTH) again for
// each: with many small messages to one server, the setup was most of the
// conversation. A session is kept only after a transaction that went
// through; at most maxOpenSessions per worker, each for at most
// maxMessagesPerSession messages, and all are closed when the worker
// finds nothing more to do. A kept session the server has closed in the
// meantime shows at MAIL, before the server took anything: the message
// then goes at once on a new connection, so reuse never turns into a
// deferral.
const (
	maxOpenSessions       = 4
	maxMessagesPerSession = 100
)

// smtpSessions are one worker's open sessions, by sessionKey. Not safe
// for concurrent use: each worker has its own.
type smtpSessions struct {
	open  map[string]*smtpclient.Conn
	order []string // keys, least recently used first
}

func newSMTPSessions() *smtpSessions {
	return &smtpSessions{open: map[string]*smtpclient.Conn{}}
}

// sessionKey tells sessions apart: one is reused only for the same server
// reached with the same options — TLS, certificate name and verification,
// credentials, the HELO name, the local address and the recipients' limit.
func sessionKey(addr string, o smtpclient.Options) string {
	return fmt.Sprintf("%s|%d|%v|%s|%p|%q|%q|%v|%q|%v|%d|%+v", addr, o.Security, o.VerifyCertificate, o.ServerName, o.RootCAs,
		o.Username, o.Password, o.AllowPlainAuthWithoutTLS, o.HeloName, o.LocalAddr, o.MaxRecipients, o.Timeouts)
}

// deliver sends the message that open opens, from from to to, at addr:
// on a kept session when there is one (unless fresh asks for a new
// connection), else on a new one, which it keeps for the next message if
// the transaction went through. It returns what smtpclient.Deliver would.
func (s *smtpSessions) deliver(ctx context.Context, addr string, opts smtpclient.Options, fresh bool, from string, to []string, size int64, open func() (io.ReadCloser, error)) (smtpclient.Result, error) {
	key := sessionKey(addr, opts)
	conn := s.take(key)
	if conn != nil && fresh {
		conn.Close()
		conn = nil
	}
	reused := conn != nil
	for {
		if conn == nil {
			var err error
			var transcript []string
			if conn, transcript, err = smtpclient.Dial(ctx, addr, opts); err != nil {
				return failedResult(to, transcript, err), err
			}
		}
		body, err := open()
		if err != nil {
			s.keep(key, conn)
			err = &smtpclient.Error{Temporary: true, Stage: smtpclient.StageSetup, Err: fmt.Errorf("opening the queued message: %w", err)}
			return failedResult(to, nil, err), err
		}
		res, err := conn.Send(ctx, from, to, body, size)
		body.Close()
		if err != nil && reused && ctx.Err() == nil && smtpclient.Stale(err) {
			conn.Close()
			conn, reused = nil, false
			continue
		}
		if conn.Open() && conn.Transactions < maxMessagesPerSession {
			s.keep(key, conn)
		} else {
			conn.Close()
		}
		return res, err
	}
}

// failedResult is the result of a delivery that failed as a whole before
// any recipient was given: each recipient gets the reply that ended it.
func failedResult(to []string, transcript []string, err error) smtpclient.Result {
	res := smtpclient.Result{Recipients: make([]smtpclient.RecipientResult, len(to)), Transcript: transcript}
	var failure *smtpclient.Error
	errors.As(err, &failure)
	for i, rcpt := range to {
		res.Recipients[i].Address = rcpt
		if failure != nil {
			res.Recipients[i].Reply = failure.Reply
		}
	}
	return res
}

// take removes and returns the kept session for key, if any.
func (s *smtpSessions) take(key string) *smtpclient.Conn {
	conn := s.open[key]
	if conn != nil {
		delete(s.open, key)
		s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
	}
	return conn
}

// keep keeps conn for key, closing the least recently used session when
// there are too many.
func (s *smtpSessions) keep(key string, conn *smtpclient.Conn) {
	if old := s.open[key]; old != nil && old != conn {
		old.Close()
		s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
	}
	s.open[key] = conn
	s.order = append(s.order, key)
	for len(s.order) > maxOpenSessions {
		oldest := s.order[0]
		s.order = s.order[1:]
		s.open[oldest].Close()
		delete(s.open, oldest)
	}
}

// closeAll ends every kept session with QUIT.
func (s *smtpSessions) closeAll() {
	for _, key := range s.order {
		s.open[key].Close()
	}
	clear(s.open)
	s.order = s.order[:0]
}
