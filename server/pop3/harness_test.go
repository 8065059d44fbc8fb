package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// testServer is a real POP3 server on 127.0.0.1 with a real SQLite store.
type testServer struct {
	t      testing.TB
	st     *store.Store
	srv    *Server
	ranges *policy.Ranges
	stop   context.CancelFunc // shuts the server down
	addrs  map[store.ConnectionSecurity]string
	users  map[string]store.Account
	conv   *lockedBuffer // the POP3 conversation log
}

// lockedBuffer collects log output from many sessions.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type serverOption func(*Options)

func withLockRefreshInterval(d time.Duration) serverOption {
	return func(o *Options) { o.LockRefreshInterval = d }
}

func withCommandTimeout(d time.Duration) serverOption {
	return func(o *Options) { o.CommandTimeout = d }
}

// testSecurities are the listeners every test server has.
var testSecurities = []store.ConnectionSecurity{store.SecurityNone, store.SecurityTLS, store.SecuritySTARTTLSOptional, store.SecuritySTARTTLSRequired}

func startServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Type: "sqlite",
		DSN:     "file:" + dir + "/mw.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate",
		DataDir: dir + "/data"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	// A fuzz target may not log through f, so only tests log verbosely.
	if _, isTest := t.(*testing.T); isTest && testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	ranges := policy.NewRanges(st)
	ts := &testServer{t: t, st: st, ranges: ranges, stop: cancel, addrs: map[store.ConnectionSecurity]string{}, users: map[string]store.Account{}, conv: &lockedBuffer{}}
	var o Options
	for _, f := range opts {
		f(&o)
	}
	ts.srv = New(Deps{Store: st, Ranges: ranges, AutoBan: policy.NewAutoBan(st, ranges, log), Log: log,
		ConvLog: slog.New(slog.NewTextHandler(ts.conv, nil)), TLSConfig: selfSigned(t)}, o)

	done := make(chan struct{})
	running := 0
	for _, sec := range testSecurities {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ts.addrs[sec] = l.Addr().String()
		running++
		go func() { ts.srv.Serve(ctx, l, sec); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range running {
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("the server did not stop within 20s")
				return
			}
		}
		st.Close()
	})
	ts.populate()
	return ts
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// populate creates the domain and accounts the tests use; every password
// is "secret".
func (ts *testServer) populate() {
	ctx := context.Background()
	if _, err := ts.st.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true}); err != nil {
		ts.t.Fatal(err)
	}
	for _, u := range []struct {
		addr   string
		active bool
	}{{"user@example.com", true}, {"other@example.com", true}, {"off@example.com", false}} {
		a, err := ts.st.CreateAccount(ctx, store.Account{Address: u.addr, Active: u.active}, "secret")
		if err != nil {
			ts.t.Fatal(err)
		}
		ts.users[u.addr] = a
	}
}

func (ts *testServer) set(name, value string) {
	ts.t.Helper()
	if err := ts.st.SetSetting(context.Background(), name, value); err != nil {
		ts.t.Fatal(err)
	}
}

// deliver puts a message into an account's INBOX, as local delivery does,
// and returns its row.
func (ts *testServer) deliver(address, content string) store.StoredMessage {
	ts.t.Helper()
	ctx := context.Background()
	a := ts.users[address]
	inbox, err := ts.st.Inbox(ctx, a.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	rel, err := store.AccountMessagePath(address, messagefile.NewID())
	if err != nil {
		ts.t.Fatal(err)
	}
	n, err := ts.st.Files().Write(rel, strings.NewReader(content))
	if err != nil {
		ts.t.Fatal(err)
	}
	m, err := ts.st.AddToFolder(ctx, store.StoredMessage{AccountID: a.ID, FolderID: inbox.ID, Path: rel, Size: n, InternalDate: time.Now().Unix()})
	if err != nil {
		ts.t.Fatal(err)
	}
	return m
}

// inbox lists an account's INBOX.
func (ts *testServer) inbox(address string) []store.StoredMessage {
	ts.t.Helper()
	ctx := context.Background()
	inbox, err := ts.st.Inbox(ctx, ts.users[address].ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	msgs, err := ts.st.FolderMessages(ctx, inbox.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	return msgs
}

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

// conv is a raw POP3 conversation, for asserting exact replies.
type conv struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	// greeting is the first line, without CRLF.
	greeting string
}

// dial connects from the loopback address from (e.g. "127.0.0.2") and
// reads the greeting.
func (ts *testServer) dial(from string, sec store.ConnectionSecurity) *conv {
	ts.t.Helper()
	c := ts.connect(from, sec)
	c.greeting = c.line()
	return c
}

// connect connects without reading anything.
func (ts *testServer) connect(from string, sec store.ConnectionSecurity) *conv {
	ts.t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	conn, err := d.Dial("tcp", ts.addrs[sec])
	if err != nil {
		ts.t.Fatal(err)
	}
	if sec == store.SecurityTLS {
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			ts.t.Fatal(err)
		}
		conn = tc
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	ts.t.Cleanup(func() { conn.Close() })
	return &conv{t: ts.t, conn: conn, r: bufio.NewReader(conn)}
}

// line reads one line without its CRLF; "" at EOF. A line not ended by
// CRLF fails the test.
func (c *conv) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		return ""
	}
	if !strings.HasSuffix(l, "\r\n") {
		c.t.Fatalf("line %q does not end with CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// write sends a command line.
func (c *conv) write(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("writing %q: %v", line, err)
	}
}

// expect sends a line and fails unless the one-line reply is want.
func (c *conv) expect(line, want string) {
	c.t.Helper()
	c.write(line)
	if got := c.line(); got != want {
		c.t.Fatalf("%s\n got: %q\nwant: %q", line, got, want)
	}
}

// multi reads a multi-line response after its status line: the raw bytes
// up to and including the terminating ".\r\n".
func (c *conv) multi() string {
	c.t.Helper()
	var b strings.Builder
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("multi-line response cut off after %q: %v", b.String(), err)
		}
		b.WriteString(l)
		if l == ".\r\n" {
			return b.String()
		}
	}
}

// expectMulti sends a line and fails unless the status line is status and
// the rest of the response, raw, is body.
func (c *conv) expectMulti(line, status, body string) {
	c.t.Helper()
	c.write(line)
	if got := c.line(); got != status {
		c.t.Fatalf("%s\n got status: %q\n      want: %q", line, got, status)
	}
	if got := c.multi(); got != body {
		c.t.Fatalf("%s\n got body: %q\n    want: %q", line, got, body)
	}
}

// login logs in with USER and PASS.
func (c *conv) login(user string) {
	c.t.Helper()
	c.expect("USER "+user, "+OK Send your password")
	c.expect("PASS secret", "+OK Mailbox locked and ready")
}

// closed reports whether the server closed the connection.
func (c *conv) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadString('\n')
	return err != nil
}

// startTLS sends STLS and upgrades the connection.
func (c *conv) startTLS() {
	c.t.Helper()
	c.expect("STLS", "+OK Begin TLS negotiation")
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}
