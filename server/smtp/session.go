package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/server/recipients"
	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// session is one client connection. Each verb has its own handler that
// returns the reply; the loop writes it.
type session struct {
	srv      *Server
	conn     net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	id       string
	remote   netip.Addr
	ipRange  store.IPRange
	settings store.Settings
	security store.ConnectionSecurity
	tls      bool
	log      *slog.Logger // conversation log; nil when off

	helo           string
	esmtp          bool
	invalid        int // invalid commands so far
	tooManyInvalid bool

	// Authentication.
	authAccount store.Account
	authStamp   string
	authed      bool

	// The transaction in progress.
	inMail     bool
	from       string
	rcpts      []queue.Recipient
	seen       map[string]bool
	sizeLimit  int64 // bytes; the smallest limit of the global and the recipients' domains
	declared   int64 // SIZE= of MAIL FROM
	quit       bool
	closeAfter bool
}

func (s *session) serve(ctx context.Context) {
	defer s.conn.Close()
	if s.srv.opts.OnConnect != nil {
		s.srv.opts.OnConnect(s.remote)
	}
	s.reply(s.greeting())
	for !s.quit && !s.closeAfter {
		if err := s.w.Flush(); err != nil {
			return
		}
		s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.CommandTimeout))
		// The shutdown's deadline may have been overwritten just now.
		if ctx.Err() != nil {
			s.reply(smtpreply.ShuttingDown)
			s.w.Flush()
			return
		}
		line, err := readCommandLine(s.r)
		switch {
		case errors.Is(err, errLineTooLong):
			s.logRecv("<line too long>")
			s.reply(smtpreply.LineTooLong)
			s.countInvalid()
			if s.tooManyInvalid {
				s.reply(smtpreply.TooManyInvalidCommands)
				s.w.Flush()
				return
			}
			continue
		case errors.Is(err, errExcessiveData):
			s.reply(smtpreply.ExcessiveData)
			s.w.Flush()
			return
		case isTimeout(err):
			s.reply(smtpreply.ConnectionTimeout)
			s.w.Flush()
			return
		case err != nil:
			return
		}
		s.handle(ctx, line)
		if s.tooManyInvalid {
			s.reply(smtpreply.TooManyInvalidCommands)
			break
		}
	}
	s.w.Flush()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *session) greeting() *smtpreply.Reply {
	text := s.settings["WelcomeSMTP"]
	if text == "" {
		text = s.srv.hostName(s.settings) + " ESMTP"
	}
	return &smtpreply.Reply{Code: 220, Text: text}
}

// handle dispatches one command line.
func (s *session) handle(ctx context.Context, line string) {
	cmd, err := ParseCommand(line)
	if err != nil {
		s.logRecv(line)
		s.reply(smtpreply.UnimplementedCommand)
		s.countInvalid()
		return
	}
	if cmd.Verb == "AUTH" {
		s.logRecv(maskAuthLine(line, s.settings))
	} else {
		s.logRecv(line)
	}
	if s.security == store.SecuritySTARTTLSRequired && !s.tls {
		switch cmd.Verb {
		case "EHLO", "HELO", "STARTTLS", "NOOP", "RSET", "QUIT":
		default:
			s.reply(smtpreply.TLSRequired)
			return
		}
	}
	var r *smtpreply.Reply
	switch cmd.Verb {
	case "EHLO":
		r = s.ehlo(cmd.Arg, true)
	case "HELO":
		r = s.ehlo(cmd.Arg, false)
	case "STARTTLS":
		r = s.starttls()
	case "AUTH":
		r = s.auth(ctx, cmd.Arg)
	case "MAIL":
		r = s.mail(ctx, cmd.Arg)
	case "RCPT":
		r = s.rcpt(ctx, cmd.Arg)
	case "DATA":
		r = s.data(ctx)
	case "RSET":
		s.resetTransaction()
		r = &smtpreply.Reply{Code: 250, Enhanced: "2.0.0", Text: "OK"}
	case "NOOP":
		r = &smtpreply.Reply{Code: 250, Enhanced: "2.0.0", Text: "OK"}
	case "QUIT":
		s.quit = true
		r = &smtpreply.Reply{Code: 221, Enhanced: "2.0.0", Text: "goodbye"}
	case "VRFY":
		r = smtpreply.VrfyDisallowed
	case "TURN":
		r = smtpreply.TurnDisallowed
	default:
		r = smtpreply.UnimplementedCommand
		s.countInvalid()
	}
	if r != nil {
		s.reply(r)
	}
}

// countInvalid counts toward "Disconnect client after too many invalid
// commands"; the session says goodbye after the command's own reply.
func (s *session) countInvalid() {
	s.invalid++
	if s.settings.Bool("DisconnectInvalidClients") && s.invalid > s.settings.Int("MaxNumberOfInvalidCommands") {
		s.tooManyInvalid = true
	}
}

func (s *session) reply(r *smtpreply.Reply) {
	for _, line := range r.Lines() {
		s.w.WriteString(line)
		s.w.WriteString("\r\n")
		if s.log != nil {
			s.log.Info("SENT: " + line)
		}
	}
	// RFC 2920 3.2: a reply may wait while more commands are already in
	// the buffer; it must go out before the server waits for input.
	if s.r.Buffered() == 0 {
		s.w.Flush()
	}
}

func (s *session) logRecv(line string) {
	if s.log != nil {
		s.log.Info("RECEIVED: " + line)
	}
}

// ehlo handles EHLO and HELO (RFC 5321 4.1.1.1).
func (s *session) ehlo(arg string, extended bool) *smtpreply.Reply {
	domain, err := ParseHelloDomain(arg)
	if err != nil {
		s.countInvalid()
		if extended {
			return smtpreply.EhloInvalidDomain
		}
		return smtpreply.HeloInvalidDomain
	}
	s.helo, s.esmtp = domain, extended
	s.resetTransaction()
	host := s.srv.hostName(s.settings)
	if !extended {
		return &smtpreply.Reply{Code: 250, Text: host + " Hello " + domain}
	}
	lines := []string{host + " Hello " + domain, "SIZE " + fmt.Sprint(int64(s.settings.Int("MaxMessageSizeKB"))*1024), "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES"}
	if s.srv.tlsConfig != nil && !s.tls && s.security != store.SecurityNone && s.security != store.SecurityTLS {
		lines = append(lines, "STARTTLS")
	}
	if mechs := s.authMechanisms(); len(mechs) > 0 {
		lines = append(lines, "AUTH "+strings.Join(mechs, " "))
	}
	return &smtpreply.Reply{Code: 250, Text: strings.Join(lines, "\n")}
}

// authMechanisms: LOGIN always, PLAIN when "Allow plain text
// authentication" is on or the connection is encrypted; none before
// STARTTLS on a port that requires it.
func (s *session) authMechanisms() []string {
	if s.security == store.SecuritySTARTTLSRequired && !s.tls {
		return nil
	}
	mechs := []string{"LOGIN"}
	if s.tls || s.settings.Bool("AllowPlainTextAuthentication") {
		mechs = append(mechs, "PLAIN")
	}
	return mechs
}

func (s *session) starttls() *smtpreply.Reply {
	switch {
	case s.tls:
		return smtpreply.AlreadyTLS
	case s.srv.tlsConfig == nil || s.security == store.SecurityNone:
		return smtpreply.TLSNotAvailable
	}
	s.reply(&smtpreply.Reply{Code: 220, Enhanced: "2.0.0", Text: "Ready to start TLS"})
	s.w.Flush()
	// RFC 3207 4.2: forget everything learnt before TLS, including any
	// commands a client pipelined after STARTTLS.
	if s.r.Buffered() > 0 {
		s.closeAfter = true
		return nil
	}
	tc := tls.Server(s.conn, s.srv.tlsConfig)
	s.conn.SetDeadline(time.Now().Add(s.srv.opts.CommandTimeout))
	if err := tc.Handshake(); err != nil {
		s.srv.log.Info("STARTTLS handshake failed", "session", s.id, "remote", s.remote, "error", err)
		s.closeAfter = true
		return nil
	}
	s.conn.SetDeadline(time.Time{})
	s.conn, s.tls = tc, true
	s.r.Reset(tc)
	s.w.Reset(tc)
	s.helo, s.esmtp, s.authed = "", false, false
	s.resetTransaction()
	return nil
}

func (s *session) resetTransaction() {
	s.inMail, s.from, s.rcpts, s.seen, s.sizeLimit, s.declared = false, "", nil, nil, 0, 0
}

// mail handles MAIL FROM (RFC 5321 4.1.1.2).
func (s *session) mail(ctx context.Context, arg string) *smtpreply.Reply {
	switch {
	case s.helo == "":
		return smtpreply.UseHeloFirst
	case s.inMail:
		return smtpreply.IssueResetFirst
	}
	from, params, err := ParsePath(arg, "FROM:")
	if err != nil {
		s.countInvalid()
		return smtpreply.InvalidMailSyntax
	}
	if s.authed {
		if r := s.recheckCredentials(ctx); r != nil {
			return r
		}
	}
	if from == "" && !s.settings.Bool("AllowEmptySender") {
		return smtpreply.SenderAddressRequired
	}
	if from != "" {
		if _, _, err := store.SplitAddress("from", from); err != nil {
			return smtpreply.InvalidSenderAddress
		}
	}
	size, err := ParseSize(params)
	if err != nil {
		return smtpreply.UnsupportedParameter
	}
	for k, v := range params {
		switch {
		case k == "SIZE":
		case k == "BODY" && (strings.EqualFold(v, "7BIT") || strings.EqualFold(v, "8BITMIME")):
		case k == "AUTH": // RFC 4954 5: accepted and ignored
		default:
			return smtpreply.UnsupportedParameter
		}
	}
	limit := int64(s.settings.Int("MaxMessageSizeKB")) * 1024
	if limit > 0 && size > limit {
		return smtpreply.MessageTooLarge(kb(size), limit/1024)
	}
	s.inMail, s.from, s.declared, s.sizeLimit = true, from, size, limit
	s.seen = map[string]bool{}
	return &smtpreply.Reply{Code: 250, Enhanced: "2.1.0", Text: "OK"}
}

// recheckCredentials is hMailServer's re-authentication before each new
// message: a disabled account or a changed password ends the session.
func (s *session) recheckCredentials(ctx context.Context) *smtpreply.Reply {
	stamp, err := s.srv.store.CredentialStamp(ctx, s.authAccount.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.srv.log.Error("re-checking credentials", "session", s.id, "error", err)
		return smtpreply.TemporaryLookupFailed
	}
	if err != nil || stamp != s.authStamp {
		s.authed = false
		s.closeAfter = true
		return smtpreply.CredentialsNoLongerOK
	}
	return nil
}

func kb(n int64) int64 { return (n + 1023) / 1024 }

// rcpt handles RCPT TO (RFC 5321 4.1.1.3): the relay rules of the client's
// IP range, then recipient resolution.
func (s *session) rcpt(ctx context.Context, arg string) *smtpreply.Reply {
	if !s.inMail {
		return smtpreply.MustHaveSenderFirst
	}
	to, _, err := ParsePath(arg, "TO:")
	if err != nil || to == "" {
		s.countInvalid()
		return smtpreply.InvalidRcptSyntax
	}
	if max := s.settings.Int("MaxRecipients"); max > 0 && len(s.rcpts) >= max {
		return smtpreply.TooManyRecipients
	}
	if _, _, err := store.SplitAddress("to", to); err != nil {
		return smtpreply.ValidAddressRequired
	}
	res := s.srv.resolver
	senderLocal, err := res.SenderIsLocal(ctx, s.from)
	if err != nil {
		return s.lookupFailed(err)
	}
	recipientLocal, err := res.RecipientIsLocal(ctx, to)
	if err != nil {
		return s.lookupFailed(err)
	}
	if err := checkRelay(s.ipRange, senderLocal, recipientLocal, s.authed); err != nil {
		return s.replyFor(err)
	}
	sender := recipients.Sender{Address: s.from, Authenticated: s.authed}
	if s.authed {
		sender.AuthAddress = s.authAccount.Address
	}
	targets, err := res.Resolve(ctx, to, sender)
	if err != nil {
		return s.replyFor(err)
	}
	if recipientLocal {
		if limit := s.domainSizeLimit(ctx, to); limit > 0 && (s.sizeLimit == 0 || limit < s.sizeLimit) {
			if s.declared > limit {
				return smtpreply.MessageTooLarge(kb(s.declared), limit/1024)
			}
			s.sizeLimit = limit
		}
	}
	for _, t := range targets {
		key := store.Lower(t.Address)
		if s.seen[key] {
			continue
		}
		s.seen[key] = true
		s.rcpts = append(s.rcpts, queue.Recipient{Address: t.Address, OriginalAddress: to, AccountID: t.AccountID})
	}
	return &smtpreply.Reply{Code: 250, Enhanced: "2.1.5", Text: "OK"}
}

// domainSizeLimit is the recipient domain's "Maximum message size" in bytes.
func (s *session) domainSizeLimit(ctx context.Context, address string) int64 {
	_, domain, _ := store.SplitAddress("to", address)
	d, err := s.srv.store.DomainByName(ctx, domain)
	if err != nil {
		return 0
	}
	return int64(d.MaxMessageSizeKB) * 1024
}

// replyFor passes a check's reply through and turns other errors into a
// temporary failure.
func (s *session) replyFor(err error) *smtpreply.Reply {
	if r, ok := smtpreply.As(err); ok {
		return r
	}
	return s.lookupFailed(err)
}

func (s *session) lookupFailed(err error) *smtpreply.Reply {
	s.srv.log.Error("recipient lookup failed", "session", s.id, "error", err)
	return smtpreply.TemporaryLookupFailed
}

// data handles DATA (RFC 5321 4.1.1.4). The 250 goes out only after the
// queue has the file fsynced and the rows committed.
func (s *session) data(ctx context.Context) *smtpreply.Reply {
	if !s.inMail || len(s.rcpts) == 0 {
		return smtpreply.MustHaveSenderAndRcpt
	}
	s.reply(&smtpreply.Reply{Code: 354, Text: "OK, send."})
	s.w.Flush()
	s.conn.SetReadDeadline(time.Time{})
	dr := newDataReader(s.r, s.sizeLimit)
	body := &deadlineReader{dataReader: dr, conn: s.conn, timeout: s.srv.opts.DataTimeout, ctx: ctx}
	defer s.resetTransaction()

	bareLFAllowed := s.settings.Bool("AllowIncorrectLineEndings")
	check := &checkedBody{dr: dr, bareLFAllowed: bareLFAllowed}
	id, size, err := s.srv.queue.Accept(ctx, s.from, s.rcpts, io.MultiReader(strings.NewReader(s.receivedHeader()), readerFunc(func(p []byte) (int, error) {
		n, err := body.Read(p)
		if err == io.EOF {
			if cerr := check.atEnd(); cerr != nil {
				return n, cerr
			}
		}
		return n, err
	})))
	if err != nil {
		drainErr := dr.drain()
		switch {
		case errors.Is(err, errTooLarge) || dr.tooLarge:
			return smtpreply.MessageTooLarge(kb(dr.n), s.sizeLimit/1024)
		case errors.Is(err, errBareLF):
			return smtpreply.RejectedBareLF
		case errors.Is(err, errTooManyHops):
			s.srv.log.Warn("message refused: mail loop", "session", s.id, "remote", s.remote, "from", s.from, "received_headers", dr.received)
			return smtpreply.TooManyHops
		case errors.Is(err, errExcessiveData) || errors.Is(drainErr, errExcessiveData):
			s.closeAfter = true
			return smtpreply.ExcessiveData
		case isTimeout(err) || isTimeout(drainErr):
			s.closeAfter = true
			return smtpreply.ConnectionTimeout
		case drainErr != nil:
			s.closeAfter = true
			return nil // the connection is gone
		}
		s.srv.log.Error("message could not be saved", "session", s.id, "remote", s.remote, "error", err)
		return smtpreply.RejectedNoDataSaved
	}
	s.srv.accepted.Add(1)
	s.srv.log.Info("message accepted", "session", s.id, "remote", s.remote, "id", id, "from", s.from, "recipients", len(s.rcpts), "size", size)
	return smtpreply.Queued(id)
}

var errBareLF = errors.New("bare LF")

// checkedBody applies the end-of-data checks.
type checkedBody struct {
	dr            *dataReader
	bareLFAllowed bool
}

func (c *checkedBody) atEnd() error {
	if c.dr.bareLF > 0 && !c.bareLFAllowed {
		return errBareLF
	}
	// RFC 5321 6.3: a message that has passed this many servers is in a
	// loop (two servers forwarding or mirroring to each other).
	if c.dr.received >= maxHops {
		return errTooManyHops
	}
	return nil
}

// maxHops is the most "Received:" fields a message may arrive with (the
// one this server adds comes on top). Postfix and Exim use 50 and 100.
const maxHops = 50

var errTooManyHops = errors.New("too many hops")

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// deadlineReader gives each read of a DATA section its own deadline, so a
// long upload that keeps moving is not cut off, but a stalled one is.
type deadlineReader struct {
	*dataReader
	conn    net.Conn
	timeout time.Duration
	ctx     context.Context // a shutdown ends the upload at once
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.ctx.Err() != nil {
		d.conn.SetReadDeadline(time.Now())
	} else {
		d.conn.SetReadDeadline(time.Now().Add(d.timeout))
	}
	return d.dataReader.Read(p)
}

// receivedHeader is the trace line of RFC 5321 4.4 ("with" values of RFC
// 3848), with the TLS version and cipher when the connection is encrypted,
// and X-AuthUser when "AddXAuthUserHeader" is on and the client logged in.
func (s *session) receivedHeader() string {
	with := "SMTP"
	if s.esmtp {
		with = "ESMTP"
		if s.tls {
			with += "S"
		}
		if s.authed {
			with += "A"
		}
	}
	tlsInfo := ""
	if tc, ok := s.conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		tlsInfo = fmt.Sprintf("\r\n\t(using %s with cipher %s)", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	}
	h := fmt.Sprintf("Received: from %s ([%s])\r\n\tby %s with %s id %s%s;\r\n\t%s\r\n",
		s.helo, s.remote, s.srv.hostName(s.settings), with, s.id, tlsInfo, time.Now().Format(time.RFC1123Z))
	if s.authed && s.settings.Bool("AddXAuthUserHeader") {
		h += "X-AuthUser: " + s.authAccount.Address + "\r\n"
	}
	return h
}

// hostName is the "Host name" setting, else the machine's name.
func (srv *Server) hostName(settings store.Settings) string {
	if h := settings["HostName"]; h != "" {
		return h
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}
