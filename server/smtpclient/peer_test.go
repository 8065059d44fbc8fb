package smtpclient

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// peerScript is how a test SMTP server behaves. The zero value is a
// well-behaved ESMTP server with PIPELINING, SIZE, 8BITMIME and
// ENHANCEDSTATUSCODES that accepts everything.
type peerScript struct {
	greeting    string   // default "220 peer.test ESMTP ready"
	ehlo        []string // the extensions EHLO announces; nil: defaultExtensions
	ehloTLS     []string // the extensions after STARTTLS; nil: ehlo without STARTTLS
	ehloReply   string   // when set, the whole reply to EHLO (e.g. a 500)
	implicitTLS bool     // TLS from the first byte
	breakTLS    bool     // on the first connection, answer STARTTLS with 220 and then garbage
	injectTLS   bool     // send a second reply right behind the 220 to STARTTLS
	users       map[string]string
	// replies holds, by verb ("MAIL", "RCPT", "DATA", "." for the end of
	// data, "STARTTLS"), replies to give in turn before the defaults.
	replies map[string][]string
	stallAt string // the verb, or "greeting", at which the server stops answering
}

var defaultExtensions = []string{"PIPELINING", "SIZE 1000000", "8BITMIME", "ENHANCEDSTATUSCODES"}

// peer is a scriptable SMTP server on 127.0.0.1 that records what it
// receives.
type peer struct {
	t      testing.TB
	script peerScript
	addr   string
	tls    *tls.Config    // the server's certificate, self-signed for 127.0.0.1
	roots  *x509.CertPool // a pool that trusts it

	mu       sync.Mutex
	sessions []*peerSession
	wg       sync.WaitGroup
}

// peerSession is what one connection received.
type peerSession struct {
	commands []received // every line outside DATA, in order
	group    []string   // the pipelined group, MAIL through DATA, read before any reply to it
	data     []byte     // the raw DATA sections, each through its final ".\r\n"
	authUser string     // whom AUTH logged in
	problems []string   // protocol faults of the client
}

type received struct {
	line string
	tls  bool
}

func startPeer(t testing.TB, script peerScript) *peer {
	t.Helper()
	if script.greeting == "" {
		script.greeting = "220 peer.test ESMTP ready"
	}
	if script.ehlo == nil {
		script.ehlo = defaultExtensions
	}
	if script.ehloTLS == nil {
		script.ehloTLS = slices.DeleteFunc(slices.Clone(script.ehlo), func(e string) bool { return e == "STARTTLS" })
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, script: script, addr: l.Addr().String()}
	p.tls, p.roots = selfSigned(t)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for n := 0; ; n++ {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			s := &peerSession{}
			p.mu.Lock()
			p.sessions = append(p.sessions, s)
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(30 * time.Second))
				p.serve(conn, s, n)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		p.wait()
	})
	return p
}

// wait waits for every connection to end.
func (p *peer) wait() {
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.t.Error("the test server's connections did not end within 20s")
	}
}

// session returns what connection n received, after the client is done.
func (p *peer) session(n int) *peerSession {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		count := len(p.sessions)
		p.mu.Unlock()
		if count > n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sessions) <= n {
		p.t.Fatalf("the test server had %d connections, want at least %d", len(p.sessions), n+1)
	}
	return p.sessions[n]
}

func (p *peer) sessionCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// lines returns the commands the session received, without the TLS flag.
func (s *peerSession) lines() []string {
	var out []string
	for _, c := range s.commands {
		out = append(out, c.line)
	}
	return out
}

// verbs returns the first word of each command received.
func (s *peerSession) verbs() []string {
	var out []string
	for _, c := range s.commands {
		verb, _, _ := strings.Cut(c.line, " ")
		out = append(out, strings.ToUpper(verb))
	}
	return out
}

// peerConn is the state of one connection of the test server.
type peerConn struct {
	p        *peer
	s        *peerSession
	conn     net.Conn
	r        *bufio.Reader
	tls      bool
	caps     []string
	mailOK   bool
	accepted int
}

func (c *peerConn) reply(lines ...string) {
	for _, l := range lines {
		io.WriteString(c.conn, l+"\r\n")
	}
}

func (c *peerConn) readLine() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	c.p.mu.Lock()
	c.s.commands = append(c.s.commands, received{line, c.tls})
	c.p.mu.Unlock()
	return line, nil
}

func (c *peerConn) problem(format string) {
	c.p.mu.Lock()
	c.s.problems = append(c.s.problems, format)
	c.p.mu.Unlock()
}

// scripted returns the next scripted reply for verb, or def.
func (c *peerConn) scripted(verb, def string) string {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if q := c.p.script.replies[verb]; len(q) > 0 {
		c.p.script.replies[verb] = q[1:]
		return q[0]
	}
	return def
}

// stall stops answering and waits for the client to hang up.
func (c *peerConn) stall() {
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	io.Copy(io.Discard, c.conn)
}

func (p *peer) serve(conn net.Conn, s *peerSession, n int) {
	c := &peerConn{p: p, s: s, conn: conn}
	if p.script.implicitTLS {
		tc := tls.Server(conn, p.tls)
		if tc.Handshake() != nil {
			return
		}
		c.conn, c.tls = tc, true
	}
	c.r = bufio.NewReader(c.conn)
	if p.script.stallAt == "greeting" {
		c.stall()
		return
	}
	c.reply(p.script.greeting)
	for {
		line, err := c.readLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if verb == p.script.stallAt {
			c.stall()
			return
		}
		switch verb {
		case "EHLO":
			if p.script.ehloReply != "" {
				c.reply(p.script.ehloReply)
				continue
			}
			c.caps = p.script.ehlo
			if c.tls {
				c.caps = p.script.ehloTLS
			}
			lines := []string{"250-peer.test greets " + arg}
			for i, e := range c.caps {
				sep := "-"
				if i == len(c.caps)-1 {
					sep = " "
				}
				lines = append(lines, "250"+sep+e)
			}
			if len(c.caps) == 0 {
				lines[0] = "250 peer.test"
			}
			c.reply(lines...)
		case "HELO":
			c.caps = nil
			c.reply("250 peer.test")
		case "STARTTLS":
			if !slices.Contains(c.caps, "STARTTLS") || c.tls {
				c.reply("503 5.5.1 STARTTLS not offered")
				continue
			}
			answer := c.scripted("STARTTLS", "220 2.0.0 Ready to start TLS")
			if !strings.HasPrefix(answer, "220") {
				c.reply(answer)
				continue
			}
			if p.script.injectTLS {
				c.reply(answer, "250 2.0.0 injected")
				c.stall()
				return
			}
			c.reply(answer)
			if p.script.breakTLS && n == 0 {
				// Wait for the ClientHello, then answer nonsense.
				c.r.ReadByte()
				io.WriteString(c.conn, "this is not a TLS handshake\r\n")
				return
			}
			tc := tls.Server(c.conn, p.tls)
			if tc.Handshake() != nil {
				return
			}
			c.conn, c.tls, c.caps = tc, true, nil
			c.r = bufio.NewReader(tc)
		case "AUTH":
			c.auth(arg)
		case "MAIL":
			if slices.Contains(c.caps, "PIPELINING") {
				c.pipelinedGroup(line)
				continue
			}
			if c.r.Buffered() > 0 {
				c.problem("the client sent ahead of the reply to MAIL without PIPELINING")
			}
			c.answer(line)
		case "RCPT", "DATA":
			if c.r.Buffered() > 0 {
				c.problem("the client sent ahead of the reply to " + verb + " without PIPELINING")
			}
			c.answer(line)
		case "RSET", "NOOP":
			c.mailOK, c.accepted = false, 0
			c.reply("250 2.0.0 OK")
		case "QUIT":
			c.reply("221 2.0.0 Bye")
			return
		default:
			c.reply("500 5.5.1 Unrecognized command")
		}
	}
}

// pipelinedGroup reads MAIL's group through DATA before it replies to any
// of it (RFC 2920 3.1), so a client that waits for the reply to MAIL
// stalls here and is caught.
func (c *peerConn) pipelinedGroup(mail string) {
	if !strings.Contains(string(c.peekBuffered()), "DATA\r\n") {
		c.problem("the pipelined group did not arrive in one write")
	}
	group := []string{mail}
	c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		line, err := c.readLine()
		if err != nil {
			c.problem("the client waited for a reply inside a pipelined group")
			return
		}
		group = append(group, line)
		if strings.EqualFold(line, "DATA") {
			break
		}
	}
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	c.p.mu.Lock()
	c.s.group = group
	c.p.mu.Unlock()
	for _, line := range group {
		if verb, _, _ := strings.Cut(line, " "); strings.EqualFold(verb, c.p.script.stallAt) {
			c.stall()
			return
		}
		c.answer(line)
	}
}

func (c *peerConn) peekBuffered() []byte {
	b, _ := c.r.Peek(c.r.Buffered())
	return b
}

// answer replies to MAIL, RCPT or DATA, and reads the message after a 354.
func (c *peerConn) answer(line string) {
	verb, _, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "MAIL":
		r := c.scripted("MAIL", "250 2.1.0 Sender OK")
		c.mailOK, c.accepted = r[0] == '2', 0
		c.reply(r)
	case "RCPT":
		if !c.mailOK {
			c.reply("503 5.5.1 Need MAIL first")
			return
		}
		r := c.scripted("RCPT", "250 2.1.5 Recipient OK")
		if r[0] == '2' {
			c.accepted++
		}
		c.reply(r)
	case "DATA":
		def := "354 Start mail input; end with <CRLF>.<CRLF>"
		if !c.mailOK || c.accepted == 0 {
			def = "554 5.5.1 No valid recipients"
		}
		r := c.scripted("DATA", def)
		c.reply(r)
		if !strings.HasPrefix(r, "354") {
			return
		}
		if !c.readData() {
			return
		}
		if c.p.script.stallAt == "." {
			c.stall()
			return
		}
		c.mailOK, c.accepted = false, 0
		c.reply(c.scripted(".", "250 2.0.0 Queued as 1234"))
	}
}

// readData reads a DATA section as it comes, through CRLF "." CRLF.
func (c *peerConn) readData() bool {
	var data []byte
	for {
		line, err := c.r.ReadSlice('\n')
		data = append(data, line...)
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return false
		}
		if bytes.HasSuffix(data, []byte("\r\n.\r\n")) || string(data) == ".\r\n" {
			c.p.mu.Lock()
			c.s.data = append(c.s.data, data...)
			c.p.mu.Unlock()
			return true
		}
	}
}

// auth checks credentials given with AUTH PLAIN or AUTH LOGIN.
func (c *peerConn) auth(arg string) {
	mechanism, initial, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mechanism) {
	case "PLAIN":
		if initial == "" {
			c.reply("334 ")
			initial, _ = c.readLine()
		}
		raw, err := base64.StdEncoding.DecodeString(initial)
		parts := strings.Split(string(raw), "\x00")
		if err != nil || len(parts) != 3 {
			c.reply("501 5.5.2 Bad PLAIN response")
			return
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		c.reply("334 VXNlcm5hbWU6")
		u, _ := c.readLine()
		c.reply("334 UGFzc3dvcmQ6")
		pw, _ := c.readLine()
		rawUser, err1 := base64.StdEncoding.DecodeString(u)
		rawPass, err2 := base64.StdEncoding.DecodeString(pw)
		if err1 != nil || err2 != nil {
			c.reply("501 5.5.2 Bad LOGIN response")
			return
		}
		user, pass = string(rawUser), string(rawPass)
	default:
		c.reply("504 5.5.4 Unrecognized authentication type")
		return
	}
	if want, ok := c.p.script.users[user]; !ok || want != pass {
		c.reply("535 5.7.8 Authentication credentials invalid")
		return
	}
	c.p.mu.Lock()
	c.s.authUser = user
	c.p.mu.Unlock()
	c.reply("235 2.7.0 Authentication successful")
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, roots
}
