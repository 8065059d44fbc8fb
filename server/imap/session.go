package imap

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/mailwright/mailwright/server/listener"
	"github.com/mailwright/mailwright/store"
)

// state is a session's state of RFC 3501 3.
type state int

const (
	stateNotAuthenticated state = iota
	stateAuthenticated
	stateSelected
	stateLogout
)

// Limits of what a client may send in one command.
const (
	maxLineLength    = 64 * 1024 // a command line without its literals
	maxLiteralLength = 64 * 1024 // a literal of a command other than APPEND
)

// session is one client connection. The core (this file, auth.go,
// mailbox.go, ...) reads commands, keeps the state and answers the commands
// of the not-selected state; the handlers of the selected state live in
// selected.go and its siblings.
type session struct {
	srv  *Server
	conn net.Conn
	// r and w are taken from pools for the time the session has work
	// (buffers.go) and are nil while it waits for the client with nothing
	// buffered, as most connections do most of the time (IDLE).
	r          *bufio.Reader
	w          *bufio.Writer
	src        firstReader             // what r reads: the bytes of the wait, then conn
	dw         listener.DeadlineWriter // what w writes to
	firstBytes [firstReadSize]byte     // what a wait reads (waitInput)
	id         string
	remote     netip.Addr
	settings   store.Settings // snapshot at connect (store.AllSettings)
	state      state
	account    store.Account
	sel        *selected // the selected mailbox; nil unless stateSelected

	security       store.ConnectionSecurity
	tls            bool
	log            *slog.Logger // conversation log; nil when off
	invalid        int          // invalid commands so far
	tooManyInvalid bool
	closeAfter     bool // close after this command's reply

	idling *idling   // the IDLE command under way; nil when none
	idle   idleWaker // ends IDLE's wait when the selected folder changes
}

// errNoSuchMailbox is resolveMailbox's answer for a name that is no folder
// the account can see.
var errNoSuchMailbox = errors.New("no such mailbox")

// untagged writes "* " + line.
func (s *session) untagged(line string) {
	s.w.WriteString("* ")
	s.w.WriteString(line)
	s.w.WriteString("\r\n")
	if s.log != nil {
		s.log.Info("SENT: * " + line)
	}
}

// writeRaw writes b as is: responses built with wire.go's append helpers,
// literals included, ending with their own CRLF.
func (s *session) writeRaw(b []byte) {
	s.w.Write(b)
	if s.log != nil {
		line := b
		if len(line) > 1000 {
			line = line[:1000]
		}
		s.log.Info("SENT: " + strings.TrimRight(string(line), "\r\n"))
	}
}

// tagged writes a command's completion: "tag OK [code] text"; status is OK,
// NO or BAD, code "" gives no brackets.
func (s *session) tagged(tag, status, code, text string) {
	var b strings.Builder
	b.WriteString(tag)
	b.WriteByte(' ')
	b.WriteString(status)
	b.WriteByte(' ')
	if code != "" {
		b.WriteByte('[')
		b.WriteString(code)
		b.WriteString("] ")
	}
	b.WriteString(text)
	line := b.String()
	s.w.WriteString(line)
	s.w.WriteString("\r\n")
	if s.log != nil {
		s.log.Info("SENT: " + line)
	}
}

// flush sends what is buffered.
func (s *session) flush() error {
	return s.w.Flush()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// serve runs the conversation: the greeting, then one command after
// another until LOGOUT, a timeout, the server's shutdown or a broken
// connection.
//
// The loop is kept shallow on purpose: the session's goroutine waits for
// the client in waitInput called from here (IDLE too: cmdIdle only starts
// the idle state, and the waits and updates run from this loop), with
// the command handlers' frames gone, so that the runtime can shrink an
// idle connection's stack to 4 KiB at the next GC.
func (s *session) serve(ctx context.Context) {
	defer s.end()
	s.greet()
	for !s.closeAfter {
		if s.readyToWait(ctx) {
			s.afterWait(ctx, s.waitInput())
		}
	}
	s.flush()
}

// greet sends the greeting.
func (s *session) greet() {
	if s.srv.opts.OnConnect != nil {
		s.srv.opts.OnConnect(s.remote)
	}
	s.untagged("OK [CAPABILITY " + s.capabilities() + "] " + s.greeting())
}

// end releases what the session holds and closes its connection.
func (s *session) end() {
	s.stopIdle()
	s.dropBuffers()
	s.closeSelected()
	s.conn.Close()
}

// readyToWait sends what is buffered and sets the read deadline for the
// wait for the client: the autologout timer, or IDLE's (armIdle). It
// returns false when there is no wait this time: the connection failed,
// the server is shutting down, or IDLE has updates to send first.
func (s *session) readyToWait(ctx context.Context) bool {
	if err := s.flush(); err != nil {
		s.closeAfter = true
		return false
	}
	if s.idling != nil {
		return s.armIdle(ctx)
	}
	s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout))
	// Checked after setting the deadline: a shutdown that came while
	// the last command ran would otherwise have its deadline replaced.
	if ctx.Err() != nil {
		s.untagged(replyShuttingDown)
		s.closeAfter = true
		return false
	}
	return true
}

// afterWait goes on from what the wait for the client got: err is nil
// when the client sent something.
func (s *session) afterWait(ctx context.Context, err error) {
	if s.idling != nil {
		s.afterIdleWait(ctx, err)
		return
	}
	var raw []byte
	if err == nil {
		raw, err = ReadCommand(s.r, s.limits(), s.continueLiteral)
	}
	var tooLarge *LiteralTooLargeError
	var parseErr *ParseError
	switch {
	case errors.As(err, &tooLarge):
		s.literalTooLarge(tooLarge)
	case errors.As(err, &parseErr):
		s.logRecv("<unparsable command>")
		s.badCommand(parseErr)
	case errors.Is(err, ErrLineTooLong):
		s.logRecv("<line too long>")
		s.untagged(replyLineTooLong)
		s.countInvalid()
	case isTimeout(err) && ctx.Err() != nil:
		s.untagged(replyShuttingDown)
		s.closeAfter = true
	case isTimeout(err):
		s.untagged(replyAutologout)
		s.closeAfter = true
	case err != nil:
		// The connection is broken: nothing more to say.
		s.closeAfter = true
		return
	default:
		s.handle(ctx, raw)
	}
	if s.tooManyInvalid && !s.closeAfter {
		s.untagged(replyTooManyInvalid)
		s.closeAfter = true
	}
}

// limits are ReadCommand's: APPEND's literal may be as large as "Max
// message size" (MaxMessageSizeKB, 0: no limit).
func (s *session) limits() Limits {
	return Limits{MaxLine: maxLineLength, MaxLiteral: maxLiteralLength,
		MaxAppend: int64(s.settings.Int("MaxMessageSizeKB")) * 1024}
}

// continueLiteral asks the client for a synchronizing literal (RFC 3501
// 7.5).
func (s *session) continueLiteral() error {
	s.w.WriteString(replyContinueLiteral + "\r\n")
	return s.w.Flush()
}

// literalTooLarge answers a literal over its limit. The client of a
// synchronizing literal waits for a continuation and gets the refusal
// instead (RFC 7888 4 with RFC 7889's TOOBIG wording); a LITERAL+ literal
// is already on its way and the stream cannot be resynchronised.
func (s *session) literalTooLarge(e *LiteralTooLargeError) {
	s.logRecv("<literal too large>")
	tag := e.Tag
	if tag == "" {
		tag = "*"
	}
	if e.Sync {
		s.tagged(tag, "NO", "TOOBIG", "Message too large")
		return
	}
	s.tagged(tag, "BAD", "TOOBIG", "Literal too large")
	s.untagged(replyLiteralTooLargeBye)
	s.closeAfter = true
}

// greeting is the "Welcome message" (WelcomeIMAP), else the host name.
func (s *session) greeting() string {
	if text := s.settings["WelcomeIMAP"]; text != "" {
		return text
	}
	host := s.settings["HostName"]
	if host == "" {
		host, _ = os.Hostname()
	}
	if host == "" {
		return "IMAP4rev1 ready"
	}
	return host + " IMAP4rev1 ready"
}

// countInvalid counts toward "Disconnect client after too many invalid
// commands"; the session says goodbye after the command's own reply.
func (s *session) countInvalid() {
	s.invalid++
	if s.settings.Bool("DisconnectInvalidClients") && s.invalid > s.settings.Int("MaxNumberOfInvalidCommands") {
		s.tooManyInvalid = true
	}
}

func (s *session) logRecv(line string) {
	if s.log != nil {
		s.log.Info("RECEIVED: " + line)
	}
}

// logCommand writes a command to the conversation log, credentials hidden
// when "Mask passwords" (MaskPasswordsInLog) is on, and long commands
// (APPEND's message) cut short.
func (s *session) logCommand(c *Command, raw []byte) {
	if s.log == nil {
		return
	}
	if s.settings.Bool("MaskPasswordsInLog") {
		switch c.Name {
		case "LOGIN":
			s.logRecv(c.Tag + " LOGIN " + c.User + " ***")
			return
		case "AUTHENTICATE":
			if c.HasInitialResponse {
				s.logRecv(c.Tag + " AUTHENTICATE " + c.Mechanism + " ***")
				return
			}
		}
	}
	line := raw
	if len(line) > 1000 {
		line = line[:1000]
	}
	s.logRecv(strings.TrimRight(string(line), "\r\n"))
}

// commandStates are the states each command is valid in (RFC 3501 6).
var commandStates = map[string][]state{
	"CAPABILITY": {stateNotAuthenticated, stateAuthenticated, stateSelected},
	"NOOP":       {stateNotAuthenticated, stateAuthenticated, stateSelected},
	"LOGOUT":     {stateNotAuthenticated, stateAuthenticated, stateSelected},
	"ID":         {stateNotAuthenticated, stateAuthenticated, stateSelected},

	"STARTTLS":     {stateNotAuthenticated},
	"AUTHENTICATE": {stateNotAuthenticated},
	"LOGIN":        {stateNotAuthenticated},

	"SELECT": {stateAuthenticated, stateSelected}, "EXAMINE": {stateAuthenticated, stateSelected},
	"CREATE": {stateAuthenticated, stateSelected}, "DELETE": {stateAuthenticated, stateSelected},
	"RENAME": {stateAuthenticated, stateSelected}, "SUBSCRIBE": {stateAuthenticated, stateSelected},
	"UNSUBSCRIBE": {stateAuthenticated, stateSelected}, "LIST": {stateAuthenticated, stateSelected},
	"LSUB": {stateAuthenticated, stateSelected}, "STATUS": {stateAuthenticated, stateSelected},
	"APPEND": {stateAuthenticated, stateSelected}, "NAMESPACE": {stateAuthenticated, stateSelected},
	"IDLE": {stateAuthenticated, stateSelected},
	// RFC 5161 3.1: before a mailbox is selected.
	"ENABLE":       {stateAuthenticated},
	"GETQUOTAROOT": {stateAuthenticated, stateSelected}, "GETQUOTA": {stateAuthenticated, stateSelected},
	"SETQUOTA": {stateAuthenticated, stateSelected}, "GETACL": {stateAuthenticated, stateSelected},
	"SETACL": {stateAuthenticated, stateSelected}, "DELETEACL": {stateAuthenticated, stateSelected},
	"LISTRIGHTS": {stateAuthenticated, stateSelected}, "MYRIGHTS": {stateAuthenticated, stateSelected},

	"CHECK": {stateSelected}, "CLOSE": {stateSelected}, "UNSELECT": {stateSelected},
	"EXPUNGE": {stateSelected}, "SEARCH": {stateSelected}, "SORT": {stateSelected},
	"FETCH": {stateSelected}, "STORE": {stateSelected}, "COPY": {stateSelected},
	"MOVE": {stateSelected},
}

// handle parses and dispatches one command.
func (s *session) handle(ctx context.Context, raw []byte) {
	c, err := ParseCommand(raw)
	if err != nil {
		s.logRecv(strings.TrimRight(string(raw[:min(len(raw), 1000)]), "\r\n"))
		var parseErr *ParseError
		if !errors.As(err, &parseErr) {
			parseErr = &ParseError{Msg: replySyntaxError}
		}
		s.badCommand(parseErr)
		return
	}
	s.logCommand(c, raw)
	// A bug in a handler ends this session with an answer rather than a
	// silently dropped connection; the session's state after a panic
	// cannot be trusted, so it does not go on.
	defer func() {
		if p := recover(); p != nil {
			s.srv.log.Error("IMAP command panicked", "session", s.id, "command", c.Name, "panic", p, "stack", string(debug.Stack()))
			s.tagged(c.Tag, "NO", "SERVERBUG", replyInternalError)
			s.untagged(replyInternalErrorBye)
			s.closeAfter = true
		}
	}()
	states, known := commandStates[c.Name]
	if !known {
		s.tagged(c.Tag, "BAD", "", replyUnknownCommand)
		s.countInvalid()
		return
	}
	if !slices.Contains(states, s.state) {
		s.tagged(c.Tag, "BAD", "", replyBadState)
		return
	}
	// RFC 3501 6.2.1 and the STARTTLS-required port: no credentials
	// travel before TLS.
	if (c.Name == "LOGIN" || c.Name == "AUTHENTICATE") && !s.credentialsAllowed() {
		s.tagged(c.Tag, "NO", "PRIVACYREQUIRED", replySTARTTLSRequired)
		return
	}
	switch c.Name {
	case "CAPABILITY":
		s.cmdCapability(ctx, c)
	case "NOOP":
		s.cmdNoop(ctx, c)
	case "LOGOUT":
		s.cmdLogout(ctx, c)
	case "ID":
		s.cmdID(ctx, c)
	case "STARTTLS":
		s.cmdStartTLS(ctx, c)
	case "AUTHENTICATE":
		s.cmdAuthenticate(ctx, c)
	case "LOGIN":
		s.cmdLogin(ctx, c)
	case "SELECT", "EXAMINE":
		s.cmdSelect(ctx, c)
	case "CREATE":
		s.cmdCreate(ctx, c)
	case "DELETE":
		s.cmdDelete(ctx, c)
	case "RENAME":
		s.cmdRename(ctx, c)
	case "SUBSCRIBE", "UNSUBSCRIBE":
		s.cmdSubscribe(ctx, c)
	case "LIST", "LSUB":
		s.cmdList(ctx, c)
	case "STATUS":
		s.cmdStatus(ctx, c)
	case "APPEND":
		s.cmdAppend(ctx, c)
	case "NAMESPACE":
		s.cmdNamespace(ctx, c)
	case "ENABLE":
		s.cmdEnable(ctx, c)
	case "IDLE":
		s.cmdIdle(ctx, c)
	case "GETQUOTAROOT":
		s.cmdGetQuotaRoot(ctx, c)
	case "GETQUOTA":
		s.cmdGetQuota(ctx, c)
	case "SETQUOTA":
		s.cmdSetQuota(ctx, c)
	case "GETACL":
		s.cmdGetACL(ctx, c)
	case "SETACL", "DELETEACL":
		s.cmdSetACL(ctx, c)
	case "LISTRIGHTS":
		s.cmdListRights(ctx, c)
	case "MYRIGHTS":
		s.cmdMyRights(ctx, c)
	case "CHECK":
		s.cmdCheck(ctx, c)
	case "CLOSE":
		s.cmdClose(ctx, c)
	case "UNSELECT":
		s.cmdUnselect(ctx, c)
	case "EXPUNGE":
		s.cmdExpunge(ctx, c)
	case "SEARCH":
		s.cmdSearch(ctx, c)
	case "SORT":
		s.cmdSort(ctx, c)
	case "FETCH":
		s.cmdFetch(ctx, c)
	case "STORE":
		s.cmdStore(ctx, c)
	case "COPY":
		s.cmdCopy(ctx, c)
	case "MOVE":
		s.cmdMove(ctx, c)
	}
}

// badCommand answers a command the grammar refuses, which counts as an
// invalid command.
func (s *session) badCommand(e *ParseError) {
	tag := e.Tag
	if tag == "" {
		tag = "*"
	}
	s.tagged(tag, "BAD", "", e.Msg)
	s.countInvalid()
}

// ok completes a command of the core successfully; while a mailbox is
// selected, what changed in it goes first (RFC 3501 7: any command may
// carry untagged updates; EXPUNGE is allowed after these commands).
func (s *session) ok(ctx context.Context, tag, code, text string) {
	s.writeUpdates(ctx, true)
	s.tagged(tag, "OK", code, text)
}

// serverError answers a command the store could not carry out, and logs
// why.
func (s *session) serverError(tag, doing string, err error) {
	s.srv.log.Error(doing, "session", s.id, "account", s.account.Address, "error", err)
	s.tagged(tag, "NO", "SERVERBUG", replyInternalError)
}
