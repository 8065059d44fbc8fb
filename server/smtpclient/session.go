package smtpclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mailwright/mailwright/server/smtpreply"
)

// quitTimeout bounds the wait for the reply to QUIT, which changes nothing
// about the delivery.
const quitTimeout = 30 * time.Second

// delivery is one Deliver call; run is one connection of it (a second one
// follows only when opportunistic STARTTLS failed its handshake).
type delivery struct {
	addr, from string
	msg        *message
	opts       Options
	res        *Result

	retryWithoutTLS bool

	// The connection run has open.
	ctx          context.Context
	conn         net.Conn
	r            *bufio.Reader
	w            *bufio.Writer
	writeTimeout time.Duration
	tls          bool
	caps         capabilities
	stopWatch    func() bool // ends the watch that closes the connection when ctx ends
	// keepOpen leaves the session open after a successful transaction,
	// for the next (Conn); quitSent says QUIT ended it.
	keepOpen, quitSent bool
}

func (d *delivery) note(format string, args ...any) {
	d.res.Transcript = append(d.res.Transcript, "* "+fmt.Sprintf(format, args...))
}

// run makes one connection and, unless it fails, one transaction on it.
func (d *delivery) run(ctx context.Context, security Security) *Error {
	failure := d.open(ctx, security)
	if failure != nil {
		return failure
	}
	defer d.close()
	return d.transaction()
}

// open connects and readies the session for a transaction: the greeting,
// EHLO, STARTTLS and AUTH as the options ask. On failure the connection
// is closed.
func (d *delivery) open(ctx context.Context, security Security) (failure *Error) {
	d.ctx, d.retryWithoutTLS, d.tls, d.caps, d.quitSent = ctx, false, false, nil, false
	t := d.opts.Timeouts
	if err := ctx.Err(); err != nil {
		return networkError(StageConnect, err)
	}
	dialer := net.Dialer{Timeout: t.Connect, LocalAddr: tcpAddr(d.opts.LocalAddr)}
	conn, err := dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return d.networkError(StageConnect, err)
	}
	d.note("connected to %s from %s (%s)", conn.RemoteAddr(), conn.LocalAddr(), security)
	d.stopWatch = context.AfterFunc(ctx, func() { conn.Close() })
	d.setConn(conn)
	defer func() {
		if failure != nil {
			d.close()
		}
	}()

	if security == ImplicitTLS {
		if err := d.handshake(t.Connect); err != nil {
			return d.networkError(StageConnect, err)
		}
	}
	greeting, failure := d.read(StageGreeting, t.Greeting)
	if failure != nil {
		return failure
	}
	if greeting.Code != 220 {
		// RFC 5321 3.1: after a 554 greeting the client should say QUIT.
		d.quit()
		return unexpected(StageGreeting, greeting)
	}
	if failure := d.hello(); failure != nil {
		return failure
	}
	if failure := d.startTLS(security); failure != nil {
		return failure
	}
	return d.authenticate()
}

// close drops the connection (after QUIT, or without it).
func (d *delivery) close() {
	if d.stopWatch != nil {
		d.stopWatch()
		d.stopWatch = nil
	}
	d.conn.Close()
}

// tcpAddr makes "Bind to local IP address" usable by a TCP dialer, which
// wants a *net.TCPAddr.
func tcpAddr(addr net.Addr) net.Addr {
	switch a := addr.(type) {
	case nil:
		return nil
	case *net.IPAddr:
		return &net.TCPAddr{IP: a.IP, Zone: a.Zone}
	case *net.TCPAddr:
		return a
	}
	if ip := net.ParseIP(addr.String()); ip != nil {
		return &net.TCPAddr{IP: ip}
	}
	return addr
}

func (d *delivery) setConn(conn net.Conn) {
	d.conn = conn
	d.r = bufio.NewReader(conn)
	d.w = bufio.NewWriter(timedWriter{d})
}

// timedWriter gives every write to the connection its own deadline: the
// current command's timeout, or for message data "data block" (RFC 5321
// 4.5.3.2.5: each TCP SEND).
type timedWriter struct{ d *delivery }

func (t timedWriter) Write(p []byte) (int, error) {
	t.d.conn.SetWriteDeadline(time.Now().Add(t.d.writeTimeout))
	return t.d.conn.Write(p)
}

func (d *delivery) networkError(stage string, err error) *Error {
	if cause := context.Cause(d.ctx); cause != nil {
		err = fmt.Errorf("%w (%w)", cause, err)
	}
	return networkError(stage, err)
}

// unexpected is a reply other than the one the step needs: a 4xx or 5xx
// ends the delivery as the server asked; anything else is a confused
// server, worth another try later.
func unexpected(stage string, reply *smtpreply.Reply) *Error {
	if reply.Code >= 400 {
		return replyError(stage, reply)
	}
	return &Error{Reply: reply, Temporary: true, Stage: stage}
}

// write buffers one command line; shown is what the transcript says
// instead when it must not show the line (credentials).
func (d *delivery) write(line, shown string) {
	if shown == "" {
		shown = line
	}
	d.res.Transcript = append(d.res.Transcript, "C: "+shown)
	d.w.WriteString(line)
	d.w.WriteString("\r\n")
}

func (d *delivery) flush(stage string, timeout time.Duration) *Error {
	d.writeTimeout = timeout
	if err := d.w.Flush(); err != nil {
		return d.networkError(stage, err)
	}
	return nil
}

// read reads one reply within timeout.
func (d *delivery) read(stage string, timeout time.Duration) (*smtpreply.Reply, *Error) {
	d.conn.SetReadDeadline(time.Now().Add(timeout))
	reply, lines, err := ReadReply(d.r)
	for _, line := range lines {
		d.res.Transcript = append(d.res.Transcript, "S: "+line)
	}
	if err != nil {
		return nil, d.networkError(stage, err)
	}
	return reply, nil
}

// command sends one line and reads its reply.
func (d *delivery) command(stage string, timeout time.Duration, line, shown string) (*smtpreply.Reply, *Error) {
	d.write(line, shown)
	if failure := d.flush(stage, timeout); failure != nil {
		return nil, failure
	}
	return d.read(stage, timeout)
}

// quit ends a conversation that is still in step; its outcome changes
// nothing.
func (d *delivery) quit() {
	d.quitSent = true
	timeout := min(d.opts.Timeouts.Command, quitTimeout)
	d.command("QUIT", timeout, "QUIT", "")
}

// heloName is "Host name", or else the local address as an address
// literal (RFC 5321 4.1.3, 4.1.4).
func (d *delivery) heloName() string {
	if d.opts.HeloName != "" {
		return d.opts.HeloName
	}
	host, _, _ := net.SplitHostPort(d.conn.LocalAddr().String())
	if strings.Contains(host, ":") {
		return "[IPv6:" + host + "]"
	}
	return "[" + host + "]"
}

// hello says EHLO, and HELO when the server answers EHLO with a 5xx
// (RFC 5321 3.2); after HELO no extension is known.
func (d *delivery) hello() *Error {
	t := d.opts.Timeouts
	reply, failure := d.command(StageHello, t.Command, "EHLO "+d.heloName(), "")
	if failure != nil {
		return failure
	}
	if reply.Code/100 == 2 {
		d.caps = parseCapabilities(reply)
		return nil
	}
	if reply.Code < 500 {
		d.quit()
		return unexpected(StageHello, reply)
	}
	reply, failure = d.command(StageHello, t.Command, "HELO "+d.heloName(), "")
	if failure != nil {
		return failure
	}
	if reply.Code/100 != 2 {
		d.quit()
		return unexpected(StageHello, reply)
	}
	d.caps = capabilities{}
	return nil
}

func (d *delivery) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         d.opts.ServerName,
		InsecureSkipVerify: !d.opts.VerifyCertificate,
		RootCAs:            d.opts.RootCAs,
	}
}

// handshake turns the connection into a TLS client connection.
func (d *delivery) handshake(timeout time.Duration) error {
	tc := tls.Client(d.conn, d.tlsConfig())
	tc.SetDeadline(time.Now().Add(timeout))
	if err := tc.HandshakeContext(d.ctx); err != nil {
		return err
	}
	tc.SetDeadline(time.Time{})
	state := tc.ConnectionState()
	verified := "not verified"
	if d.opts.VerifyCertificate {
		verified = "verified for " + d.opts.ServerName
	}
	d.note("%s established, %s, certificate %s", tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite), verified)
	d.setConn(tc)
	d.tls = true
	return nil
}

// startTLS upgrades the connection as security asks (RFC 3207) and says
// EHLO again, since what the server offered in the clear no longer holds
// (RFC 3207 4.2).
func (d *delivery) startTLS(security Security) *Error {
	if security != Opportunistic && security != RequireTLS {
		return nil
	}
	if !d.caps.has("STARTTLS") {
		if security == RequireTLS {
			d.quit()
			return &Error{Temporary: true, Stage: StageSTARTTLS, Err: ErrTLSNotOffered}
		}
		d.note("the server does not offer STARTTLS; sending without TLS")
		return nil
	}
	reply, failure := d.command(StageSTARTTLS, d.opts.Timeouts.Command, "STARTTLS", "")
	if failure != nil {
		return failure
	}
	if reply.Code != 220 {
		if security == RequireTLS {
			d.quit()
			return unexpected(StageSTARTTLS, reply)
		}
		// RFC 3207 4.1: the session goes on in the clear.
		d.note("STARTTLS refused; sending without TLS")
		return nil
	}
	if d.r.Buffered() > 0 {
		// Anything read before the handshake could be an attacker's
		// injection, to be taken as said over TLS (RFC 3207 6).
		return &Error{Temporary: true, Stage: StageSTARTTLS, Err: errors.New("the server sent data after its reply to STARTTLS")}
	}
	if err := d.handshake(d.opts.Timeouts.Command); err != nil {
		if security == Opportunistic && !d.opts.VerifyCertificate {
			d.retryWithoutTLS = true
		}
		d.note("TLS handshake failed: %v", err)
		return d.networkError(StageSTARTTLS, err)
	}
	return d.hello()
}
