package pop3

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/mailwright/mailwright/store"
)

// state is a session's state of RFC 1939 3.
type state int

const (
	stateAuthorization state = iota
	stateTransaction
)

// session is one client connection. Each command has its own handler that
// writes its reply.
type session struct {
	srv      *Server
	conn     net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	id       string
	remote   netip.Addr
	settings store.Settings
	security store.ConnectionSecurity
	tls      bool
	log      *slog.Logger // conversation log; nil when off

	state          state
	user           string // from USER, waiting for PASS
	invalid        int    // invalid commands so far
	tooManyInvalid bool
	closeAfter     bool // close after this command's reply

	// The TRANSACTION state: the account, its lock, the INBOX as it was at
	// login (RFC 1939 5: the numbering holds for the session) and the
	// messages marked deleted.
	account     store.Account
	lock        store.POP3Lock
	locked      bool
	lockChecked time.Time
	messages    []store.StoredMessage
	deleted     []bool
}

func (s *session) serve(ctx context.Context) {
	defer s.conn.Close()
	// A session that ends without QUIT (dropped, timed out, shut down)
	// commits no deletions and releases the lock (RFC 1939 6).
	defer s.releaseLock()
	if s.srv.opts.OnConnect != nil {
		s.srv.opts.OnConnect(s.remote)
	}
	s.reply("+OK " + s.greeting())
	for !s.closeAfter {
		if err := s.flush(); err != nil {
			return
		}
		s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.CommandTimeout))
		// Checked after setting the deadline: a shutdown that came while
		// the last command ran would otherwise have its deadline replaced.
		if ctx.Err() != nil {
			s.reply(replyShuttingDown)
			break
		}
		line, err := readCommandLine(s.r)
		switch {
		case errors.Is(err, errLineTooLong):
			s.logRecv("<line too long>")
			s.reply(replyLineTooLong)
			s.countInvalid()
		case errors.Is(err, errExcessiveData):
			s.reply(replyLineTooLong)
			s.closeAfter = true
		case isTimeout(err) && ctx.Err() != nil:
			s.reply(replyShuttingDown)
			s.closeAfter = true
		case isTimeout(err):
			s.reply(replyTimeout)
			s.closeAfter = true
		case err != nil:
			return
		default:
			s.handle(ctx, line)
		}
		if s.tooManyInvalid && !s.closeAfter {
			s.reply(replyTooManyInvalid)
			s.closeAfter = true
		}
	}
	s.flush()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// greeting is the "Welcome message" (WelcomePOP3), else the host name.
func (s *session) greeting() string {
	if text := s.settings["WelcomePOP3"]; text != "" {
		return text
	}
	if h := s.settings["HostName"]; h != "" {
		return h + " POP3"
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h + " POP3"
	}
	return "POP3"
}

// handle dispatches one command line.
func (s *session) handle(ctx context.Context, line string) {
	cmd, err := ParseCommand(line)
	if err != nil {
		s.logRecv(line)
		s.reply(replyUnknownCommand)
		s.countInvalid()
		return
	}
	s.logRecv(s.maskForLog(cmd, line))
	// RFC 2595 4: on a port that requires it, no credentials travel
	// before STLS.
	if s.security == store.SecuritySTARTTLSRequired && !s.tls {
		switch cmd.Verb {
		case "USER", "PASS", "AUTH", "APOP":
			s.reply(replySTLSRequired)
			return
		}
	}
	if s.state == stateTransaction && !s.keepLock(ctx) {
		return
	}
	switch cmd.Verb {
	case "CAPA":
		s.capa()
	case "QUIT":
		s.quit(ctx)
	case "STLS":
		s.stls()
	case "USER":
		s.userCommand(cmd.Arg)
	case "PASS":
		s.pass(ctx, cmd.Arg)
	case "AUTH":
		s.auth(ctx, cmd.Arg)
	case "STAT":
		s.inTransaction(s.stat)
	case "LIST":
		s.inTransaction(func() { s.list(cmd.Arg) })
	case "UIDL":
		s.inTransaction(func() { s.uidl(cmd.Arg) })
	case "RETR":
		s.inTransaction(func() { s.retr(cmd.Arg) })
	case "TOP":
		s.inTransaction(func() { s.top(cmd.Arg) })
	case "DELE":
		s.inTransaction(func() { s.dele(cmd.Arg) })
	case "RSET":
		s.inTransaction(s.rset)
	case "NOOP":
		s.inTransaction(func() { s.reply(replyOK) })
	default:
		s.reply(replyUnknownCommand)
		s.countInvalid()
	}
}

// inTransaction runs a TRANSACTION-state command, or refuses it before
// login.
func (s *session) inTransaction(handler func()) {
	if s.state != stateTransaction {
		s.reply(replyBadState)
		return
	}
	handler()
}

// countInvalid counts toward "Disconnect client after too many invalid
// commands"; the session says goodbye after the command's own reply.
func (s *session) countInvalid() {
	s.invalid++
	if s.settings.Bool("DisconnectInvalidClients") && s.invalid > s.settings.Int("MaxNumberOfInvalidCommands") {
		s.tooManyInvalid = true
	}
}

// reply writes one reply line. It goes out before the server waits for
// the next command; pipelined commands (RFC 2449 6.6) share a flush.
func (s *session) reply(line string) {
	s.w.WriteString(line)
	s.w.WriteString("\r\n")
	if s.log != nil {
		s.log.Info("SENT: " + line)
	}
}

// replyLines writes a multi-line response (RFC 1939 3): the status line,
// the lines (dot-stuffed), and the terminating ".".
func (s *session) replyLines(status string, lines []string) {
	s.reply(status)
	for _, l := range lines {
		if len(l) > 0 && l[0] == '.' {
			s.w.WriteByte('.')
		}
		s.w.WriteString(l)
		s.w.WriteString("\r\n")
	}
	s.w.WriteString(".\r\n")
}

// flush sends what is buffered, unless more commands are already waiting.
func (s *session) flush() error {
	if s.r != nil && s.r.Buffered() > 0 && !s.closeAfter {
		return nil
	}
	return s.w.Flush()
}

func (s *session) logRecv(line string) {
	if s.log != nil {
		s.log.Info("RECEIVED: " + line)
	}
}

// maskForLog hides credentials from the conversation log when "Mask
// passwords" (MaskPasswordsInLog) is on.
func (s *session) maskForLog(cmd Command, line string) string {
	if !s.settings.Bool("MaskPasswordsInLog") {
		return line
	}
	switch cmd.Verb {
	case "PASS":
		return "PASS ***"
	case "AUTH":
		if mech, _, hasInitial, err := ParseAuth(cmd.Arg); err == nil && hasInitial {
			return "AUTH " + mech + " ***"
		}
	}
	return line
}

// keepLock refreshes the session's POP3 lock now and then. A lock that
// was cleared (the Administrator's "Unlock") or taken over ends the
// session without committing anything.
func (s *session) keepLock(ctx context.Context) bool {
	if time.Since(s.lockChecked) < s.srv.opts.LockRefreshInterval {
		return true
	}
	err := s.srv.store.RefreshPOP3Lock(ctx, s.lock)
	switch {
	case err == nil:
		s.lockChecked = time.Now()
		return true
	case errors.Is(err, store.ErrPOP3LockLost):
		s.srv.log.Warn("POP3 lock lost", "session", s.id, "account", s.account.Address)
		s.locked = false
		s.reply(replyLockLost)
	default:
		s.srv.log.Error("refreshing the POP3 lock", "session", s.id, "error", err)
		s.reply(replyTemporaryFailure)
	}
	s.closeAfter = true
	return false
}

// releaseLock gives the lock back without deleting anything.
func (s *session) releaseLock() {
	if !s.locked {
		return
	}
	s.locked = false
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.srv.store.UnlockPOP3(ctx, s.lock); err != nil {
		s.srv.log.Error("releasing the POP3 lock", "session", s.id, "account", s.account.Address, "error", err)
	}
}
