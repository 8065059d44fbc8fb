package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/mailwright/mailwright/server/listener"
	"github.com/mailwright/mailwright/store"
)

// The commands of any state (CAPABILITY, NOOP, LOGOUT, ID) and of the
// not-authenticated state (STARTTLS, AUTHENTICATE, LOGIN), and ENABLE.

// credentialsAllowed reports whether credentials may be sent now: not
// before STARTTLS on a port that requires it.
func (s *session) credentialsAllowed() bool {
	return s.tls || s.security != store.SecuritySTARTTLSRequired
}

// startTLSOffered reports whether STARTTLS can be used now.
func (s *session) startTLSOffered() bool {
	return s.srv.tlsConfig != nil && !s.tls && s.state == stateNotAuthenticated &&
		(s.security == store.SecuritySTARTTLSOptional || s.security == store.SecuritySTARTTLSRequired)
}

// capabilities is the CAPABILITY list for the session's state: the
// extension switches of the IMAP settings (IMAPIdleEnabled,
// IMAPSortEnabled, IMAPQuotaEnabled, IMAPACLEnabled) decide four of them;
// STARTTLS and the login mechanisms are only offered before login.
func (s *session) capabilities() string {
	caps := []string{"IMAP4rev1", "LITERAL+", "SASL-IR"}
	if s.settings.Bool("IMAPIdleEnabled") {
		caps = append(caps, "IDLE")
	}
	caps = append(caps, "NAMESPACE", "UIDPLUS", "MOVE", "CHILDREN", "SPECIAL-USE", "ENABLE", "ID", "UNSELECT")
	if s.settings.Bool("IMAPSortEnabled") {
		caps = append(caps, "SORT")
	}
	if s.settings.Bool("IMAPQuotaEnabled") {
		caps = append(caps, "QUOTA")
	}
	if s.settings.Bool("IMAPACLEnabled") {
		caps = append(caps, "ACL", "RIGHTS=texk")
	}
	if s.state == stateNotAuthenticated {
		if s.startTLSOffered() {
			caps = append(caps, "STARTTLS")
		}
		if s.credentialsAllowed() {
			caps = append(caps, "AUTH=PLAIN")
		} else {
			// RFC 3501 6.2.3: LOGIN is refused until TLS.
			caps = append(caps, "LOGINDISABLED")
		}
	}
	return strings.Join(caps, " ")
}

// cmdCapability is CAPABILITY (RFC 3501 6.1.1).
func (s *session) cmdCapability(ctx context.Context, c *Command) {
	s.untagged("CAPABILITY " + s.capabilities())
	s.ok(ctx, c.Tag, "", "CAPABILITY completed")
}

// cmdNoop is NOOP (RFC 3501 6.1.2): its use is the updates of the
// selected mailbox.
func (s *session) cmdNoop(ctx context.Context, c *Command) {
	s.ok(ctx, c.Tag, "", "NOOP completed")
}

// cmdLogout is LOGOUT (RFC 3501 6.1.3).
func (s *session) cmdLogout(ctx context.Context, c *Command) {
	s.untagged(replyLogout)
	s.closeSelected()
	s.state = stateLogout
	s.tagged(c.Tag, "OK", "", "LOGOUT completed")
	s.closeAfter = true
}

// cmdID is ID (RFC 2971): the client's fields are logged, the server
// names itself.
func (s *session) cmdID(ctx context.Context, c *Command) {
	if len(c.IDParams) > 0 {
		args := make([]any, 0, 2*len(c.IDParams)+2)
		args = append(args, "session", s.id)
		for k, v := range c.IDParams {
			args = append(args, "client_"+k, v)
		}
		s.srv.log.Debug("IMAP client identified itself", args...)
	}
	b := []byte("* ID (")
	b = appendString(b, []byte("name"))
	b = append(b, ' ')
	b = appendString(b, []byte("Mailwright"))
	b = append(b, ' ')
	b = appendString(b, []byte("version"))
	b = append(b, ' ')
	b = appendString(b, []byte(s.srv.opts.Version))
	b = append(b, ")\r\n"...)
	s.writeRaw(b)
	s.ok(ctx, c.Tag, "", "ID completed")
}

// cmdEnable is ENABLE (RFC 5161). None of the extensions offered needs
// enabling, so the ENABLED list is always empty.
func (s *session) cmdEnable(ctx context.Context, c *Command) {
	s.untagged("ENABLED")
	s.ok(ctx, c.Tag, "", "ENABLE completed")
}

// cmdStartTLS is STARTTLS (RFC 3501 6.2.1).
func (s *session) cmdStartTLS(ctx context.Context, c *Command) {
	if s.tls {
		s.tagged(c.Tag, "BAD", "", "TLS is already active")
		return
	}
	if !s.startTLSOffered() {
		s.tagged(c.Tag, "BAD", "", "STARTTLS is not available")
		return
	}
	s.tagged(c.Tag, "OK", "", "Begin TLS negotiation now")
	// Commands pipelined after STARTTLS were sent in the clear; RFC 3501
	// 6.2.1 lets nothing of them count, so such a client is cut off.
	if s.r.Buffered() > 0 {
		s.closeAfter = true
		return
	}
	if err := s.w.Flush(); err != nil {
		s.closeAfter = true
		return
	}
	tc := tls.Server(s.conn, s.srv.tlsConfig)
	s.conn.SetDeadline(time.Now().Add(s.srv.opts.IdleTimeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		s.srv.log.Info("STARTTLS handshake failed", "session", s.id, "remote", s.remote, "error", err)
		s.closeAfter = true
		return
	}
	s.conn.SetDeadline(time.Time{})
	s.conn, s.tls = tc, true
	s.r.Reset(tc)
	s.w.Reset(listener.DeadlineWriter{Conn: tc, Timeout: s.srv.opts.IdleTimeout})
}

// cmdLogin is LOGIN (RFC 3501 6.2.3).
func (s *session) cmdLogin(ctx context.Context, c *Command) {
	s.login(ctx, c.Tag, "LOGIN", c.User, c.Password)
}

// cmdAuthenticate is AUTHENTICATE (RFC 3501 6.2.2) with PLAIN (RFC 4616),
// the initial response on the command line (SASL-IR, RFC 4959) or after
// an empty challenge.
func (s *session) cmdAuthenticate(ctx context.Context, c *Command) {
	if c.Mechanism != "PLAIN" {
		s.tagged(c.Tag, "NO", "", replyAuthMechanism)
		return
	}
	response := c.InitialResponse
	if !c.HasInitialResponse {
		line, ok := s.challenge(c.Tag)
		if !ok {
			return
		}
		response = line
	}
	if response == "=" { // RFC 4959: an empty initial response
		response = ""
	}
	user, pass, err := decodePlain(response)
	if err != nil {
		s.tagged(c.Tag, "BAD", "", replyAuthInvalid)
		return
	}
	s.login(ctx, c.Tag, "AUTHENTICATE", user, pass)
}

// challenge sends the empty challenge and reads the client's response;
// "*" cancels (RFC 3501 6.2.2).
func (s *session) challenge(tag string) (string, bool) {
	s.w.WriteString("+ \r\n")
	if err := s.w.Flush(); err != nil {
		s.closeAfter = true
		return "", false
	}
	s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout))
	line, err := ReadLine(s.r, maxLineLength)
	switch {
	case errors.Is(err, ErrLineTooLong):
		s.tagged(tag, "BAD", "", "Line too long")
		return "", false
	case isTimeout(err):
		s.untagged(replyAutologout)
		s.closeAfter = true
		return "", false
	case err != nil:
		s.closeAfter = true
		return "", false
	}
	if s.settings.Bool("MaskPasswordsInLog") {
		s.logRecv("***")
	} else {
		s.logRecv(string(line))
	}
	if string(bytes.TrimSpace(line)) == "*" {
		s.tagged(tag, "BAD", "", replyAuthCancelled)
		return "", false
	}
	return string(line), true
}

// decodePlain decodes a PLAIN response (RFC 4616): authzid NUL authcid
// NUL passwd, base64. Acting as another user (an authzid other than the
// authcid) is not supported.
func decodePlain(b64 string) (user, pass string, err error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", "", err
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[1] == "" {
		return "", "", errors.New("malformed PLAIN response")
	}
	if parts[0] != "" && parts[0] != parts[1] {
		return "", "", errors.New("PLAIN authorization identity differs")
	}
	return parts[1], parts[2], nil
}

// login checks the credentials; failures count toward auto-ban, and a
// client banned by this failure is disconnected.
func (s *session) login(ctx context.Context, tag, command, user, pass string) {
	account, err := s.srv.store.Authenticate(ctx, user, pass, s.remote.String())
	if err != nil {
		if !errors.Is(err, store.ErrBadCredentials) && !errors.Is(err, store.ErrAccountDisabled) {
			s.srv.log.Error("authentication failed with an error", "session", s.id, "error", err)
			s.tagged(tag, "NO", "UNAVAILABLE", "Temporary failure. Try again later")
			return
		}
		s.srv.log.Info("IMAP authentication failed", "session", s.id, "remote", s.remote, "user", user)
		banned := false
		if s.srv.autoBan != nil {
			banned, _ = s.srv.autoBan.Failed(ctx, s.remote, user)
		}
		s.tagged(tag, "NO", "AUTHENTICATIONFAILED", replyLoginFailed)
		if banned {
			s.untagged(replyAutoBanned)
			s.closeAfter = true
		}
		return
	}
	if s.srv.autoBan != nil {
		s.srv.autoBan.Succeeded(s.remote)
	}
	if _, err := s.srv.store.Inbox(ctx, account.ID); err != nil {
		s.serverError(tag, "reading the INBOX at login", err)
		return
	}
	s.account = account
	s.state = stateAuthenticated
	s.srv.log.Info("IMAP login", "session", s.id, "remote", s.remote, "account", account.Address)
	s.tagged(tag, "OK", "CAPABILITY "+s.capabilities(), command+" completed")
}
