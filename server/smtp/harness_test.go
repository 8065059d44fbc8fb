package smtp

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
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/server/recipients"
	"github.com/mailwright/mailwright/store"
)

// testServer is a real SMTP server on 127.0.0.1 with a real SQLite store
// and a running delivery queue.
type testServer struct {
	t     testing.TB
	st    *store.Store
	srv   *Server
	addrs map[store.ConnectionSecurity]string
	tls   *tls.Config // the server's; clients skip verification
	users map[string]store.Account
	conv  *lockedBuffer // the SMTP conversation log
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

func withCommandTimeout(d time.Duration) serverOption {
	return func(o *Options) { o.CommandTimeout = d }
}

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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	ranges := policy.NewRanges(st)
	q := queue.New(st, queue.Options{Workers: 2, Worker: "test", Log: log})
	ts := &testServer{t: t, st: st, addrs: map[store.ConnectionSecurity]string{}, tls: selfSigned(t), users: map[string]store.Account{}, conv: &lockedBuffer{}}
	var o Options
	for _, f := range opts {
		f(&o)
	}
	ts.srv = New(Deps{Store: st, Ranges: ranges, AutoBan: policy.NewAutoBan(st, ranges, log), Resolver: recipients.New(st),
		Queue: q, Log: log, ConvLog: slog.New(slog.NewTextHandler(ts.conv, nil)), TLSConfig: ts.tls}, o)

	done := make(chan struct{})
	running := 1
	go func() { q.Run(ctx); done <- struct{}{} }()
	for _, sec := range []store.ConnectionSecurity{store.SecurityNone, store.SecurityTLS, store.SecuritySTARTTLSRequired} {
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

// populate creates the objects the tests use.
func (ts *testServer) populate() {
	ctx := context.Background()
	t, st := ts.t, ts.st
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	d, err := st.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true, PlusAddressing: true, PlusAddressingChar: "+"})
	must(err)
	_, err = st.AddDomainAlias(ctx, d.ID, "example.net")
	must(err)
	for _, u := range []struct {
		addr   string
		active bool
	}{{"user@example.com", true}, {"other@example.com", true}, {"off@example.com", false}} {
		a, err := st.CreateAccount(ctx, store.Account{Address: u.addr, Active: u.active}, "secret")
		must(err)
		ts.users[u.addr] = a
	}
	for _, a := range []store.Alias{
		{Address: "info@example.com", Target: "user@example.com", Active: true},
		{Address: "loop1@example.com", Target: "loop2@example.com", Active: true},
		{Address: "loop2@example.com", Target: "loop1@example.com", Active: true},
		{Address: "oldalias@example.com", Target: "user@example.com", Active: false},
	} {
		_, err := st.CreateAlias(ctx, a)
		must(err)
	}
	for _, l := range []struct {
		list    store.List
		members []string
	}{
		{store.List{Address: "all@example.com", Active: true}, []string{"user@example.com", "other@example.com"}},
		{store.List{Address: "members@example.com", Active: true, Mode: store.ListMembership}, []string{"user@example.com"}},
		{store.List{Address: "news@example.com", Active: true, Mode: store.ListAnnouncements, AnnouncerAddress: "boss@example.com"}, []string{"user@example.com"}},
		{store.List{Address: "authonly@example.com", Active: true, RequireSMTPAuth: true}, []string{"user@example.com"}},
		{store.List{Address: "closed@example.com", Active: false}, []string{"user@example.com"}},
	} {
		created, err := st.CreateList(ctx, l.list)
		must(err)
		for _, m := range l.members {
			must(st.AddListMember(ctx, created.ID, m))
		}
	}
	d2, err := st.CreateDomain(ctx, store.Domain{Name: "catchall.example", Active: true, CatchAllAddress: "user@example.com"})
	must(err)
	_ = d2
	_, err = st.CreateDomain(ctx, store.Domain{Name: "disabled.example", Active: false})
	must(err)
}

func (ts *testServer) set(name, value string) {
	ts.t.Helper()
	if err := ts.st.SetSetting(context.Background(), name, value); err != nil {
		ts.t.Fatal(err)
	}
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

// conv is a raw SMTP conversation, for asserting exact replies.
type conv struct {
	t    testing.TB
	conn net.Conn
	r    *textproto.Reader
	// greeting is the first reply.
	greeting string
}

// dial connects from the loopback address from (e.g. "127.0.0.2") and
// reads the greeting.
func (ts *testServer) dial(from string, sec store.ConnectionSecurity) *conv {
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
	c := &conv{t: ts.t, conn: conn, r: textproto.NewReader(bufio.NewReader(conn))}
	ts.t.Cleanup(func() { conn.Close() })
	c.greeting = c.read()
	return c
}

// read returns a whole reply, its lines joined with "\n"; "" at EOF.
func (c *conv) read() string {
	c.t.Helper()
	var lines []string
	for {
		line, err := c.r.ReadLine()
		if err != nil {
			return strings.Join(lines, "\n")
		}
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(lines, "\n")
		}
	}
}

// send writes a line and returns the reply's last line.
func (c *conv) send(line string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		return ""
	}
	reply := c.read()
	if i := strings.LastIndexByte(reply, '\n'); i >= 0 {
		return reply[i+1:]
	}
	return reply
}

// expect sends a line and fails unless the reply's last line is want.
func (c *conv) expect(line, want string) {
	c.t.Helper()
	if got := c.send(line); got != want {
		c.t.Fatalf("%s\n got: %q\nwant: %q", line, got, want)
	}
}

// closed reports whether the server closed the connection.
func (c *conv) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadLine()
	return err != nil
}

// mailbox waits until account holds n messages and returns their contents.
func (ts *testServer) mailbox(address string, n int) []string {
	ts.t.Helper()
	ctx := context.Background()
	a, err := ts.st.AccountByAddress(ctx, address)
	if err != nil {
		ts.t.Fatal(err)
	}
	inbox, err := ts.st.Inbox(ctx, a.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		msgs, err := ts.st.FolderMessages(ctx, inbox.ID)
		if err != nil {
			ts.t.Fatal(err)
		}
		if len(msgs) >= n || time.Now().After(deadline) {
			if len(msgs) != n {
				ts.t.Fatalf("%s holds %d messages, want %d", address, len(msgs), n)
			}
			var out []string
			for _, m := range msgs {
				f, err := ts.st.Files().Open(m.Path)
				if err != nil {
					ts.t.Fatal(err)
				}
				b, _ := io.ReadAll(f)
				f.Close()
				out = append(out, string(b))
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

// ehlo sends EHLO and fails unless the reply is a 250 with PIPELINING.
func (c *conv) ehlo() string {
	c.t.Helper()
	io.WriteString(c.conn, "EHLO client.example\r\n")
	reply := c.read()
	if !strings.HasPrefix(reply, "250-") || !strings.Contains(reply, "\n250-PIPELINING") {
		c.t.Fatalf("EHLO reply %q", reply)
	}
	return reply
}
