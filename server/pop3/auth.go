package pop3

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"time"

	"github.com/mailwright/mailwright/server/listener"
	"github.com/mailwright/mailwright/store"
)

// The AUTHORIZATION state: CAPA, STLS, USER and PASS, AUTH, and the login
// that takes the POP3 lock.

// credentialsAllowed reports whether credentials may be sent now: not
// before STLS on a port that requires it.
func (s *session) credentialsAllowed() bool {
	return s.tls || s.security != store.SecuritySTARTTLSRequired
}

// stlsOffered reports whether STLS can be used now.
func (s *session) stlsOffered() bool {
	return s.srv.tlsConfig != nil && !s.tls && s.state == stateAuthorization &&
		(s.security == store.SecuritySTARTTLSOptional || s.security == store.SecuritySTARTTLSRequired)
}

// capa lists the capabilities (RFC 2449 5); those of the AUTHORIZATION
// state go once the client is in.
func (s *session) capa() {
	caps := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"}
	if s.state == stateAuthorization && s.credentialsAllowed() {
		caps = append(caps, "USER", "SASL PLAIN")
	}
	if s.stlsOffered() {
		caps = append(caps, "STLS")
	}
	caps = append(caps, "IMPLEMENTATION Mailwright")
	s.replyLines(replyCapabilityList, caps)
}

// stls starts TLS (RFC 2595 4).
func (s *session) stls() {
	switch {
	case s.state != stateAuthorization:
		s.reply(replyBadState)
		return
	case s.tls:
		s.reply(replyAlreadyTLS)
		return
	case !s.stlsOffered():
		s.reply(replyTLSNotAvailable)
		return
	}
	s.reply(replyBeginTLS)
	// Commands pipelined after STLS would have been sent in the clear:
	// RFC 2595 4 lets nothing from before TLS count, so such a client is
	// cut off rather than answered.
	if s.r.Buffered() > 0 {
		s.closeAfter = true
		return
	}
	if err := s.w.Flush(); err != nil {
		s.closeAfter = true
		return
	}
	tc := tls.Server(s.conn, s.srv.tlsConfig)
	s.conn.SetDeadline(time.Now().Add(s.srv.opts.CommandTimeout))
	if err := tc.Handshake(); err != nil {
		s.srv.log.Info("STLS handshake failed", "session", s.id, "remote", s.remote, "error", err)
		s.closeAfter = true
		return
	}
	s.conn.SetDeadline(time.Time{})
	s.conn, s.tls = tc, true
	s.r.Reset(tc)
	s.w.Reset(listener.DeadlineWriter{Conn: tc, Timeout: s.srv.opts.CommandTimeout})
	s.user = ""
}

// userCommand handles USER (RFC 1939 7).
func (s *session) userCommand(arg string) {
	if s.state != stateAuthorization {
		s.reply(replyBadState)
		return
	}
	name := strings.TrimSpace(arg)
	if name == "" {
		s.reply(replySyntax)
		return
	}
	s.user = name
	s.reply(replySendPassword)
}

// pass handles PASS (RFC 1939 7). The password is the rest of the line,
// spaces and all.
func (s *session) pass(ctx context.Context, arg string) {
	switch {
	case s.state != stateAuthorization:
		s.reply(replyBadState)
		return
	case s.user == "":
		s.reply(replyUserFirst)
		return
	}
	user := s.user
	s.user = ""
	s.login(ctx, user, arg)
}

// auth handles AUTH (RFC 5034). Without an argument it lists the
// mechanisms, as clients from before RFC 5034 expect.
func (s *session) auth(ctx context.Context, arg string) {
	if s.state != stateAuthorization {
		s.reply(replyBadState)
		return
	}
	if strings.TrimSpace(arg) == "" {
		s.replyLines(replyAuthMechanismsList, []string{"PLAIN"})
		return
	}
	mech, initial, hasInitial, err := ParseAuth(arg)
	if err != nil {
		s.reply(replySyntax)
		return
	}
	if mech != "PLAIN" {
		s.reply(replyAuthMechanism)
		return
	}
	if !hasInitial {
		line, ok := s.challenge()
		if !ok {
			return
		}
		initial = line
	}
	user, pass, err := DecodePlain(initial)
	if err != nil {
		s.reply(replyAuthInvalid)
		return
	}
	s.login(ctx, user, pass)
}

// challenge sends the empty server challenge of RFC 5034 4 and reads the
// client's response; "*" cancels.
func (s *session) challenge() (string, bool) {
	s.reply("+ ")
	if err := s.w.Flush(); err != nil {
		s.closeAfter = true
		return "", false
	}
	s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.CommandTimeout))
	line, err := readCommandLine(s.r)
	switch {
	case errors.Is(err, errLineTooLong):
		s.reply(replyLineTooLong)
		return "", false
	case isTimeout(err):
		s.reply(replyTimeout)
		s.closeAfter = true
		return "", false
	case err != nil:
		s.closeAfter = true
		return "", false
	}
	if s.settings.Bool("MaskPasswordsInLog") {
		s.logRecv("***")
	} else {
		s.logRecv(line)
	}
	if strings.TrimSpace(line) == "*" {
		s.reply(replyAuthCancelled)
		return "", false
	}
	return line, true
}

// login checks the credentials (failures count toward auto-ban), takes the
// account's POP3 lock and reads its INBOX.
func (s *session) login(ctx context.Context, user, pass string) {
	account, err := s.srv.store.Authenticate(ctx, user, pass, s.remote.String())
	if err != nil {
		if !errors.Is(err, store.ErrBadCredentials) && !errors.Is(err, store.ErrAccountDisabled) {
			s.srv.log.Error("authentication failed with an error", "session", s.id, "error", err)
			s.reply(replyTemporaryFailure)
			return
		}
		s.srv.log.Info("POP3 authentication failed", "session", s.id, "remote", s.remote, "user", user)
		if s.srv.autoBan != nil {
			if banned, err := s.srv.autoBan.Failed(ctx, s.remote, user); err == nil && banned {
				s.closeAfter = true
			}
		}
		s.reply(replyLoginFailed)
		return
	}
	if s.srv.autoBan != nil {
		s.srv.autoBan.Succeeded(s.remote)
	}
	lock, err := s.srv.store.LockPOP3(ctx, account.ID, s.srv.opts.LockStaleAfter)
	if errors.Is(err, store.ErrMailboxLocked) {
		s.srv.log.Info("POP3 mailbox locked", "session", s.id, "remote", s.remote, "account", account.Address)
		s.reply(replyMailboxLocked)
		return
	}
	if err != nil {
		s.srv.log.Error("taking the POP3 lock", "session", s.id, "error", err)
		s.reply(replyTemporaryFailure)
		return
	}
	s.account, s.lock, s.locked, s.lockChecked = account, lock, true, time.Now()
	inbox, err := s.srv.store.Inbox(ctx, account.ID)
	var messages []store.StoredMessage
	if err == nil {
		messages, err = s.srv.store.FolderMessages(ctx, inbox.ID)
	}
	if err != nil {
		s.srv.log.Error("reading the INBOX", "session", s.id, "account", account.Address, "error", err)
		s.releaseLock()
		s.reply(replyTemporaryFailure)
		return
	}
	s.messages, s.deleted = messages, make([]bool, len(messages))
	s.state = stateTransaction
	s.srv.log.Info("POP3 login", "session", s.id, "remote", s.remote, "account", account.Address, "messages", len(messages))
	s.reply(replyMailboxReady)
}
