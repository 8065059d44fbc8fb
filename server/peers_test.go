package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/server/dns/dnstest"
	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/store"
)

// These tests run two Mailwright servers in the process: a sender whose
// delivery queue hands mail to a peer, a second server with its own data
// directory, SMTP port and local domain remote.example.

// mw is one in-process Mailwright server, open but not yet running.
type mw struct {
	t   *testing.T
	srv *Server
	ctx context.Context
}

// openMW opens a server on a fresh data directory with no ports, the
// administration RPC on a free port and DNS lookups on zone.
func openMW(t *testing.T, ctx context.Context, zone *dnstest.Server) *mw {
	t.Helper()
	srv, err := Open(ctx, config.Default(t.TempDir()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ports, _ := srv.Store.Ports(ctx)
	for _, p := range ports {
		if err := srv.Store.DeletePort(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	m := &mw{t: t, srv: srv, ctx: ctx}
	m.set(map[string]string{"AdminAddress": "127.0.0.1:0", "DNSServer": zone.Addr})
	return m
}

func (m *mw) set(values map[string]string) {
	m.t.Helper()
	if err := m.srv.Store.SetSettings(m.ctx, values); err != nil {
		m.t.Fatal(err)
	}
}

// run starts the server; the test's end stops it and waits.
func (m *mw) run() {
	m.t.Helper()
	ctx, cancel := context.WithCancel(m.ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- m.srv.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		m.t.Fatalf("the server did not start: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		m.t.Fatal("the server did not start in time")
	}
	m.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			m.t.Error("the server did not stop in time")
		}
	})
}

func (m *mw) domain(name string) {
	m.t.Helper()
	if _, err := m.srv.Store.CreateDomain(m.ctx, store.Domain{Name: name, Active: true}); err != nil {
		m.t.Fatal(err)
	}
}

func (m *mw) account(address string) store.Account {
	m.t.Helper()
	a, err := m.srv.Store.CreateAccount(m.ctx, store.Account{Address: address, Active: true}, "secret")
	if err != nil {
		m.t.Fatal(err)
	}
	return a
}

// smtpPort adds an SMTP port at addr:port (a free one when port is 0),
// STARTTLS-optional with a self-signed certificate when withCert, and
// returns its port number.
func (m *mw) smtpPort(addr string, port int, withCert bool) int {
	m.t.Helper()
	if port == 0 {
		port = freePort(m.t, addr)
	}
	p := store.Port{Protocol: store.ProtocolSMTP, Address: netip.MustParseAddr(addr), Port: port}
	if withCert {
		c, err := m.srv.Store.CreateCertificate(m.ctx, writeSelfSigned(m.t))
		if err != nil {
			m.t.Fatal(err)
		}
		p.Security, p.CertificateID = store.SecuritySTARTTLSOptional, c.ID
	}
	if _, err := m.srv.Store.CreatePort(m.ctx, p); err != nil {
		m.t.Fatal(err)
	}
	return port
}

func (m *mw) route(r store.Route) {
	m.t.Helper()
	r.AllAddresses = true
	if _, err := m.srv.Store.CreateRoute(m.ctx, r); err != nil {
		m.t.Fatal(err)
	}
}

// send queues a message from from to rcpts (all external).
func (m *mw) send(from string, text string, rcpts ...string) {
	m.t.Helper()
	m.srv.mu.Lock()
	q := m.srv.Queue
	m.srv.mu.Unlock()
	var rs []queue.Recipient
	for _, r := range rcpts {
		rs = append(rs, queue.Recipient{Address: r, OriginalAddress: r})
	}
	if _, _, err := q.Accept(m.ctx, from, rs, strings.NewReader(text)); err != nil {
		m.t.Fatal(err)
	}
}

// inbox is the messages in an account's inbox, as stored.
func (m *mw) inbox(a store.Account) []string {
	m.t.Helper()
	in, err := m.srv.Store.Inbox(m.ctx, a.ID)
	if err != nil {
		m.t.Fatal(err)
	}
	msgs, err := m.srv.Store.FolderMessages(m.ctx, in.ID)
	if err != nil {
		m.t.Fatal(err)
	}
	var out []string
	for _, msg := range msgs {
		f, err := m.srv.Store.Files().Open(msg.Path)
		if err != nil {
			m.t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			m.t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// waitInbox waits until a's inbox holds n messages and returns them; on
// the deadline it fails, showing what the sender's side knows.
func (m *mw) waitInbox(a store.Account, n int, sender *mw, senderAccount store.Account) []string {
	m.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := m.inbox(a)
		if len(got) >= n {
			if len(got) > n {
				m.t.Fatalf("%s has %d messages, want %d", a.Address, len(got), n)
			}
			return got
		}
		if time.Now().After(deadline) {
			queued, _ := sender.srv.Store.QueueLength(m.ctx)
			m.t.Fatalf("%s has %d messages, want %d; the sender's queue holds %d, its inbox %q",
				a.Address, len(got), n, queued, sender.inbox(senderAccount))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitQueueEmpty waits until the server's queue is empty.
func (m *mw) waitQueueEmpty() {
	m.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := m.srv.Store.QueueLength(m.ctx)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("the queue still holds %d messages (%v)", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T, addr string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and
// localhost and its key as PEM files.
func writeSelfSigned(t *testing.T) store.Certificate {
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
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := store.Certificate{Name: "peer", CertificateFile: filepath.Join(dir, "cert.pem"), PrivateKeyFile: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(c.CertificateFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.PrivateKeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// pair is a sender (domain example.com, account sender@example.com) and a
// peer (domain remote.example), both open; the test adds to them and
// runs them.
type pair struct {
	zone          *dnstest.Server
	sender, peer  *mw
	senderAccount store.Account
	senderAddress string
}

func newPair(t *testing.T, ctx context.Context, zoneRecords ...string) *pair {
	t.Helper()
	zone := dnstest.NewServer(t, zoneRecords...)
	p := &pair{zone: zone, sender: openMW(t, ctx, zone), peer: openMW(t, ctx, zone)}
	p.sender.domain("example.com")
	p.senderAccount = p.sender.account("sender@example.com")
	p.senderAddress = p.senderAccount.Address
	p.sender.set(map[string]string{"HostName": "mail.example.com"})
	p.peer.domain("remote.example")
	p.peer.set(map[string]string{"HostName": "mx.remote.example"})
	return p
}

func received(msg string) string {
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(head, "\r\n\t", " "), "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "received:") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func peerCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// By MX: the sender looks up remote.example's MX on the test DNS server
// and delivers on port 25, the only port MX hosts are reached on (the
// production router has no setting for another), so the peer listens on
// 127.0.0.25:25 and the test needs to be able to open it.
func TestPeerDeliveryByMX(t *testing.T) {
	ctx := peerCtx(t)
	l, err := net.Listen("tcp", "127.0.0.25:25")
	if err != nil {
		t.Skipf("port 25 on 127.0.0.25 cannot be opened, which delivery by MX needs: %v", err)
	}
	l.Close()
	p := newPair(t, ctx, "remote.example. MX 10 mx.remote.example.", "mx.remote.example. A 127.0.0.25")
	p.sender.smtpPort("127.0.0.1", 0, false)
	p.sender.set(map[string]string{"SMTPDeliverySecurity": "2", "VerifyRemoteCertificate": "0"})
	p.peer.smtpPort("127.0.0.25", 25, true)
	bob := p.peer.account("bob@remote.example")
	p.peer.run()
	p.sender.run()

	p.sender.send(p.senderAddress, "Subject: by mx\r\n\r\nhello\r\n", "bob@remote.example")
	got := p.peer.waitInbox(bob, 1, p.sender, p.senderAccount)
	if !strings.Contains(got[0], "hello") || !strings.Contains(got[0], "Subject: by mx") {
		t.Errorf("bob got:\n%s", got[0])
	}
	// STARTTLS optional, which the peer offers: taken.
	if rcv := received(got[0]); !strings.Contains(rcv, "with ESMTPS ") {
		t.Errorf("the peer's Received header does not show ESMTPS: %s", rcv)
	}
	p.sender.waitQueueEmpty()
}

// By route: remote.example → 127.0.0.1:peerPort, no TLS.
func TestPeerDeliveryByRoute(t *testing.T) {
	ctx := peerCtx(t)
	p := newPair(t, ctx)
	p.sender.smtpPort("127.0.0.1", 0, false)
	port := p.peer.smtpPort("127.0.0.1", 0, false)
	bob := p.peer.account("bob@remote.example")
	alice := p.peer.account("alice@remote.example")
	p.sender.route(store.Route{Domain: "remote.example", TargetHost: "127.0.0.1", TargetPort: port, Security: store.SecurityNone})
	p.peer.run()
	p.sender.run()

	p.sender.send(p.senderAddress, "Subject: by route\r\n\r\nhello\r\n", "bob@remote.example", "alice@remote.example")
	for _, a := range []store.Account{bob, alice} {
		got := p.peer.waitInbox(a, 1, p.sender, p.senderAccount)
		if !strings.Contains(got[0], "Subject: by route") {
			t.Errorf("%s got:\n%s", a.Address, got[0])
		}
		if rcv := received(got[0]); !strings.Contains(rcv, "with ESMTP ") {
			t.Errorf("%s: the Received header does not show plain ESMTP: %s", a.Address, rcv)
		}
	}
	p.sender.waitQueueEmpty()
	// Both recipients went in one transaction.
	if n := p.peer.srv.Status(ctx).Counters["accepted"]; n != 1 {
		t.Errorf("the peer accepted %d messages, want 1", n)
	}
}

// By the relayer, with AUTH (an account on the peer) and STARTTLS
// required, the certificate not verified since it is self-signed.
func TestPeerDeliveryByRelayerWithAuthAndSTARTTLS(t *testing.T) {
	ctx := peerCtx(t)
	p := newPair(t, ctx)
	p.sender.smtpPort("127.0.0.1", 0, false)
	port := p.peer.smtpPort("127.0.0.1", 0, true)
	bob := p.peer.account("bob@remote.example")
	p.peer.account("relay@remote.example")
	p.sender.set(map[string]string{
		"SMTPRelayer": "127.0.0.1", "SMTPRelayerPort": fmt.Sprint(port),
		"SMTPRelayerRequiresAuth": "1", "SMTPRelayerUsername": "relay@remote.example", "SMTPRelayerPassword": "secret",
		"SMTPRelayerSecurity": fmt.Sprint(int(store.SecuritySTARTTLSRequired)), "VerifyRemoteCertificate": "0",
	})
	p.peer.run()
	p.sender.run()

	p.sender.send(p.senderAddress, "Subject: by relayer\r\n\r\nhello\r\n", "bob@remote.example")
	got := p.peer.waitInbox(bob, 1, p.sender, p.senderAccount)
	if rcv := received(got[0]); !strings.Contains(rcv, "with ESMTPSA ") {
		t.Errorf("the peer's Received header does not show ESMTPSA: %s", rcv)
	}
	p.sender.waitQueueEmpty()
}

// STARTTLS optional: a peer without a certificate gets the message in
// clear, one with a certificate over TLS. The security is the route's
// (the route is how the test reaches the peer's free port); MX delivery
// with "SMTPDeliverySecurity" 2 is TestPeerDeliveryByMX.
func TestPeerOpportunisticSTARTTLS(t *testing.T) {
	for _, withCert := range []bool{false, true} {
		t.Run(fmt.Sprintf("certificate=%v", withCert), func(t *testing.T) {
			ctx := peerCtx(t)
			p := newPair(t, ctx)
			p.sender.smtpPort("127.0.0.1", 0, false)
			p.sender.set(map[string]string{"VerifyRemoteCertificate": "0"})
			port := p.peer.smtpPort("127.0.0.1", 0, withCert)
			bob := p.peer.account("bob@remote.example")
			p.sender.route(store.Route{Domain: "remote.example", TargetHost: "127.0.0.1", TargetPort: port, Security: store.SecuritySTARTTLSOptional})
			p.peer.run()
			p.sender.run()

			p.sender.send(p.senderAddress, "Subject: opportunistic\r\n\r\nhello\r\n", "bob@remote.example")
			got := p.peer.waitInbox(bob, 1, p.sender, p.senderAccount)
			want := "with ESMTP "
			if withCert {
				want = "with ESMTPS "
			}
			if rcv := received(got[0]); !strings.Contains(rcv, want) {
				t.Errorf("the peer's Received header does not show %q: %s", want, rcv)
			}
			p.sender.waitQueueEmpty()
		})
	}
}

// "Maximum number of recipients in batch" 2: five recipients at the peer
// take three transactions.
func TestPeerBatchesByMaxRecipients(t *testing.T) {
	ctx := peerCtx(t)
	p := newPair(t, ctx)
	p.sender.smtpPort("127.0.0.1", 0, false)
	p.sender.set(map[string]string{"MaxRecipientsInBatch": "2"})
	port := p.peer.smtpPort("127.0.0.1", 0, false)
	var accounts []store.Account
	var rcpts []string
	for i := range 5 {
		a := p.peer.account(fmt.Sprintf("user%d@remote.example", i))
		accounts = append(accounts, a)
		rcpts = append(rcpts, a.Address)
	}
	p.sender.route(store.Route{Domain: "remote.example", TargetHost: "127.0.0.1", TargetPort: port, Security: store.SecurityNone})
	p.peer.run()
	p.sender.run()

	p.sender.send(p.senderAddress, "Subject: batch\r\n\r\nhello\r\n", rcpts...)
	for _, a := range accounts {
		p.peer.waitInbox(a, 1, p.sender, p.senderAccount)
	}
	p.sender.waitQueueEmpty()
	if n := p.peer.srv.Status(ctx).Counters["accepted"]; n != 3 {
		t.Errorf("the peer accepted %d messages, want 3 transactions (2+2+1)", n)
	}
}

// The mirror: the sender's mirror address is an account on the peer.
// A message gets one copy there, with Delivered-To; a message for the
// mirror address itself is not mirrored; nothing comes back.
func TestPeerMirrorDoesNotLoop(t *testing.T) {
	ctx := peerCtx(t)
	p := newPair(t, ctx)
	senderPort := p.sender.smtpPort("127.0.0.1", 0, false)
	port := p.peer.smtpPort("127.0.0.1", 0, false)
	bob := p.peer.account("bob@remote.example")
	mirror := p.peer.account("mirror@remote.example")
	p.sender.route(store.Route{Domain: "remote.example", TargetHost: "127.0.0.1", TargetPort: port, Security: store.SecurityNone})
	p.sender.set(map[string]string{"MirrorAddress": mirror.Address})
	// Were the peer to send anything back, it would reach the sender.
	p.peer.route(store.Route{Domain: "example.com", TargetHost: "127.0.0.1", TargetPort: senderPort, Security: store.SecurityNone})
	p.peer.run()
	p.sender.run()

	p.sender.send(p.senderAddress, "Subject: mirrored\r\n\r\nhello\r\n", "bob@remote.example")
	got := p.peer.waitInbox(bob, 1, p.sender, p.senderAccount)
	if strings.Contains(got[0], "Delivered-To:") {
		t.Errorf("bob's copy has a Delivered-To field:\n%s", got[0])
	}
	copies := p.peer.waitInbox(mirror, 1, p.sender, p.senderAccount)
	if !strings.Contains(copies[0], "Delivered-To: bob@remote.example\r\n") || !strings.Contains(copies[0], "Subject: mirrored") {
		t.Errorf("the mirror's copy:\n%s", copies[0])
	}

	// A message for the mirror address is not mirrored again.
	p.sender.send(p.senderAddress, "Subject: to the mirror\r\n\r\nhello\r\n", mirror.Address)
	p.peer.waitInbox(mirror, 2, p.sender, p.senderAccount)
	p.sender.waitQueueEmpty()
	p.peer.waitQueueEmpty()

	// Settle: nothing more arrives anywhere.
	time.Sleep(500 * time.Millisecond)
	p.sender.waitQueueEmpty()
	p.peer.waitQueueEmpty()
	if n := len(p.peer.inbox(mirror)); n != 2 {
		t.Errorf("the mirror has %d messages, want 2", n)
	}
	if n := len(p.peer.inbox(bob)); n != 1 {
		t.Errorf("bob has %d messages, want 1", n)
	}
	if got := p.sender.inbox(p.senderAccount); len(got) != 0 {
		t.Errorf("the sender got mail back: %q", got)
	}
	if n := p.sender.srv.Status(ctx).Counters["accepted"]; n != 0 {
		t.Errorf("the sender's SMTP port accepted %d messages, want 0", n)
	}
	if n := p.peer.srv.Status(ctx).Counters["accepted"]; n != 3 {
		t.Errorf("the peer accepted %d messages, want 3 (bob, his mirror copy, the mirror's own)", n)
	}
}
