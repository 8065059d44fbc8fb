package imap

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
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// The shared test harness: a real IMAP server on 127.0.0.1 with a real
// SQLite store, accounts to log in as, delivery into an INBOX the way the
// queue does it, and a raw line-based client for asserting exact
// responses.

// testServer is a running server and its store.
type testServer struct {
	t      testing.TB
	st     *store.Store
	srv    *Server
	ranges *policy.Ranges
	stop   context.CancelFunc // shuts the server down
	addrs  map[store.ConnectionSecurity]string
	users  map[string]store.Account // by address; every password is "secret"
	conv   *lockedBuffer            // the IMAP conversation log
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

// serverOption changes the Options of startServer.
type serverOption func(*Options)

func withIdleTimeout(d time.Duration) serverOption {
	return func(o *Options) { o.IdleTimeout = d }
}

// testSecurities are the listeners every test server has.
var testSecurities = []store.ConnectionSecurity{store.SecurityNone, store.SecurityTLS, store.SecuritySTARTTLSOptional, store.SecuritySTARTTLSRequired}

// testAccounts are created by startServer: two active accounts and a
// disabled one.
var testAccounts = []struct {
	addr   string
	active bool
}{{"user@example.com", true}, {"other@example.com", true}, {"off@example.com", false}}

// startServer starts a server with one listener per connection security
// and the domain example.com with testAccounts. Settings are read when a
// client connects, so a test changes them (ts.set) before it dials.
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
	ts := &testServer{t: t, st: st, ranges: ranges, stop: cancel, addrs: map[store.ConnectionSecurity]string{},
		users: map[string]store.Account{}, conv: &lockedBuffer{}}
	o := Options{Version: "test"}
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

// populate creates the domain and the accounts.
func (ts *testServer) populate() {
	ctx := context.Background()
	if _, err := ts.st.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true}); err != nil {
		ts.t.Fatal(err)
	}
	for _, u := range testAccounts {
		a, err := ts.st.CreateAccount(ctx, store.Account{Address: u.addr, Active: u.active}, "secret")
		if err != nil {
			ts.t.Fatal(err)
		}
		ts.users[u.addr] = a
	}
}

// forTest is the server as seen from a subtest: connections made through
// it fail t, not the test that started the server.
func (ts *testServer) forTest(t testing.TB) *testServer {
	c := *ts
	c.t = t
	return &c
}

// forTest is the conversation as seen from a subtest.
func (c *conv) forTest(t testing.TB) *conv {
	cc := *c
	cc.t = t
	return &cc
}

// set changes a setting; sessions that connect afterwards see it.
func (ts *testServer) set(name, value string) {
	ts.t.Helper()
	if err := ts.st.SetSetting(context.Background(), name, value); err != nil {
		ts.t.Fatal(err)
	}
}

// inbox is an account's INBOX.
func (ts *testServer) inbox(address string) store.Folder {
	ts.t.Helper()
	f, err := ts.st.Inbox(context.Background(), ts.users[address].ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	return f
}

// deliver puts a message into an account's INBOX as local delivery does
// (the file first, then the row, \Recent) and returns its row.
func (ts *testServer) deliver(address, content string) store.StoredMessage {
	ts.t.Helper()
	ctx := context.Background()
	a, ok := ts.users[address]
	if !ok {
		ts.t.Fatalf("no test account %s", address)
	}
	inbox := ts.inbox(address)
	rel, err := store.AccountMessagePath(address, messagefile.NewID())
	if err != nil {
		ts.t.Fatal(err)
	}
	n, err := ts.st.Files().Write(rel, strings.NewReader(content))
	if err != nil {
		ts.t.Fatal(err)
	}
	m, err := ts.st.AddToFolder(ctx, store.StoredMessage{AccountID: a.ID, FolderID: inbox.ID, Path: rel, Size: n,
		Flags: store.FlagRecent, InternalDate: time.Now().Unix()})
	if err != nil {
		ts.t.Fatal(err)
	}
	return m
}

// appendTo stores a message in any folder through the store's IMAP
// APPEND, as another session would.
func (ts *testServer) appendTo(folder store.Folder, content string, flags int) store.IMAPMessage {
	ts.t.Helper()
	m, _, err := ts.st.AppendMessage(context.Background(), folder.ID, []byte(content), flags, nil, time.Now())
	if err != nil {
		ts.t.Fatal(err)
	}
	return m
}

// folder finds a folder of an account (0: public) by its levels.
func (ts *testServer) folder(accountID int64, levels ...string) store.Folder {
	ts.t.Helper()
	folders, err := ts.st.Folders(context.Background(), accountID)
	if err != nil {
		ts.t.Fatal(err)
	}
	f, ok := newFolderTree(folders).find(levels, accountID != 0)
	if !ok {
		ts.t.Fatalf("no folder %q of account %d", levels, accountID)
	}
	return f
}

// createFolder creates a folder (and its missing parents) of an account
// (0: public) in the store.
func (ts *testServer) createFolder(accountID int64, levels ...string) store.Folder {
	ts.t.Helper()
	ctx := context.Background()
	var parent int64
	var f store.Folder
	for i, name := range levels {
		folders, err := ts.st.Folders(ctx, accountID)
		if err != nil {
			ts.t.Fatal(err)
		}
		if existing, ok := newFolderTree(folders).find(levels[:i+1], accountID != 0); ok {
			f, parent = existing, existing.ID
			continue
		}
		if f, err = ts.st.CreateFolder(ctx, accountID, parent, name); err != nil {
			ts.t.Fatal(err)
		}
		parent = f.ID
	}
	return f
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

// conv is a raw IMAP conversation, for asserting exact responses.
type conv struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	// greeting is the first line, without CRLF.
	greeting string
}

// dial connects from 127.0.0.1 to the listener of sec and reads the
// greeting.
func (ts *testServer) dial(sec store.ConnectionSecurity) *conv {
	ts.t.Helper()
	return ts.dialFrom("127.0.0.1", sec)
}

// dialFrom connects from the loopback address from (e.g. "127.0.0.2") and
// reads the greeting.
func (ts *testServer) dialFrom(from string, sec store.ConnectionSecurity) *conv {
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

// login dials the plain listener and logs in as user (password "secret").
func (ts *testServer) login(user string) *conv {
	ts.t.Helper()
	c := ts.dial(store.SecurityNone)
	c.login(user)
	return c
}

// line reads one response line without its CRLF; "" at EOF. A line not
// ended by CRLF fails the test. Literals are not followed: see response.
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

// response reads one response: a line and, when it ends with a literal
// ("{n}"), the literal's bytes and the rest of the response, all kept in
// one string with the literals' CRLFs as sent. "" at EOF.
func (c *conv) response() string {
	c.t.Helper()
	var b strings.Builder
	for {
		l := c.line()
		if l == "" && b.Len() == 0 {
			return ""
		}
		b.WriteString(l)
		n, ok := literalSize(l)
		if !ok {
			return b.String()
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			c.t.Fatalf("literal cut off after %q: %v", b.String(), err)
		}
		b.WriteString("\r\n")
		b.Write(buf)
	}
}

// literalSize is the size of the literal a line ends with.
func literalSize(line string) (int, bool) {
	if !strings.HasSuffix(line, "}") {
		return 0, false
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(line[i+1:len(line)-1], "+"))
	return n, err == nil
}

// write sends a line, adding CRLF.
func (c *conv) write(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("writing %q: %v", line, err)
	}
}

// writeRaw sends bytes as they are.
func (c *conv) writeRaw(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("writing %q: %v", s, err)
	}
}

// until reads responses up to and including the tagged one of tag.
func (c *conv) until(tag string) []string {
	c.t.Helper()
	var out []string
	for {
		r := c.response()
		if r == "" {
			c.t.Fatalf("connection closed before the tagged response of %s; got %q", tag, out)
		}
		out = append(out, r)
		if strings.HasPrefix(r, tag+" ") {
			return out
		}
	}
}

// cmd sends "tag command" and returns every response up to the tagged one,
// which is last.
func (c *conv) cmd(tag, command string) []string {
	c.t.Helper()
	c.write(tag + " " + command)
	return c.until(tag)
}

// expect sends "tag command" and fails unless the responses are want,
// exactly and in order (the tagged one last).
func (c *conv) expect(tag, command string, want ...string) {
	c.t.Helper()
	got := c.cmd(tag, command)
	if !equalLines(got, want) {
		c.t.Fatalf("%s %s\n got: %s\nwant: %s", tag, command, quoteLines(got), quoteLines(want))
	}
}

// expectLast sends "tag command" and fails unless the tagged response is
// want; it returns the untagged ones.
func (c *conv) expectLast(tag, command, want string) []string {
	c.t.Helper()
	got := c.cmd(tag, command)
	if last := got[len(got)-1]; last != want {
		c.t.Fatalf("%s %s\n got: %s\nwant last: %q", tag, command, quoteLines(got), want)
	}
	return got[:len(got)-1]
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func quoteLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "\n\t%q", l)
	}
	return b.String()
}

// login logs in with LOGIN.
func (c *conv) login(user string) {
	c.t.Helper()
	got := c.cmd("L1", "LOGIN "+user+" secret")
	if last := got[len(got)-1]; !strings.HasPrefix(last, "L1 OK ") {
		c.t.Fatalf("login as %s: %q", user, got)
	}
}

// closed reports whether the server closed the connection (reading what
// it still sent first); a server that says nothing more for 10 seconds
// has not.
func (c *conv) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, err := c.r.ReadString('\n'); err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

// startTLS sends STARTTLS and upgrades the connection.
func (c *conv) startTLS(tag string) {
	c.t.Helper()
	c.expect(tag, "STARTTLS", tag+" OK Begin TLS negotiation now")
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}
