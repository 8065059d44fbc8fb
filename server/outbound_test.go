package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/server/dns/dnstest"
	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/store"
)

// sink is the smallest SMTP server that takes mail: it keeps each
// message's data as it came, dot-stuffing and all.
type sink struct {
	l    net.Listener
	mu   sync.Mutex
	data []string
}

func startSink(t *testing.T) *sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{l: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *sink) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprint(c, "220 sink.test ESMTP\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
		case "DATA":
			fmt.Fprint(c, "354 go on\r\n")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				data.WriteString(l)
			}
			s.mu.Lock()
			s.data = append(s.data, data.String())
			s.mu.Unlock()
			fmt.Fprint(c, "250 2.0.0 queued\r\n")
		case "QUIT":
			fmt.Fprint(c, "221 2.0.0 bye\r\n")
			return
		default:
			fmt.Fprint(c, "250 2.0.0 ok\r\n")
		}
	}
}

func (s *sink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.data...)
}

// The running server delivers to other servers: through the relayer named
// by a host its "DNSServer" setting resolves, and never to its own SMTP
// listener, which bounces with the manual's text.
func TestTheServersQueueDeliversThroughTheRelayerAndRefusesItself(t *testing.T) {
	cfg := config.Default(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ports, _ := srv.Store.Ports(ctx)
	for _, p := range ports {
		srv.Store.DeletePort(ctx, p.ID)
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpPort := free.Addr().(*net.TCPAddr).Port
	free.Close()
	if _, err := srv.Store.CreatePort(ctx, store.Port{Protocol: store.ProtocolSMTP, Address: netip.MustParseAddr("127.0.0.1"), Port: smtpPort}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true}); err != nil {
		t.Fatal(err)
	}
	sender, err := srv.Store.CreateAccount(ctx, store.Account{Address: "sender@example.com", Active: true}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	peer := startSink(t)
	zone := dnstest.NewServer(t, "relay.test. A 127.0.0.1")
	if err := srv.Store.SetSettings(ctx, map[string]string{
		"AdminAddress": "127.0.0.1:0", "DNSServer": zone.Addr, "HostName": "mail.example.com",
		"SMTPRelayer": "relay.test", "SMTPRelayerPort": fmt.Sprint(peer.l.Addr().(*net.TCPAddr).Port),
	}); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ready) }()
	<-ready
	defer func() {
		cancel()
		<-done
	}()

	const text = "Subject: out\r\n\r\nhello\r\n"
	accept := func() {
		t.Helper()
		srv.mu.Lock()
		q := srv.Queue
		srv.mu.Unlock()
		if _, _, err := q.Accept(ctx, sender.Address, []queue.Recipient{{Address: "bob@example.net", OriginalAddress: "bob@example.net"}}, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	waitEmpty := func() {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			n, err := srv.Store.QueueLength(ctx)
			if err == nil && n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the queue still holds %d messages", n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	accept()
	waitEmpty()
	if got := peer.messages(); len(got) != 1 || got[0] != text {
		t.Fatalf("the relayer got %q, want the message", got)
	}

	// The relayer is now the server's own SMTP port.
	if err := srv.Store.SetSetting(ctx, "SMTPRelayerPort", fmt.Sprint(smtpPort)); err != nil {
		t.Fatal(err)
	}
	accept()
	waitEmpty()
	inbox, err := srv.Store.Inbox(ctx, sender.ID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.Store.FolderMessages(ctx, inbox.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the sender has %d messages (%v), want the bounce", len(msgs), err)
	}
	f, err := srv.Store.Files().Open(msgs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bounce, _ := io.ReadAll(f)
	if !strings.Contains(string(bounce), "The mail server software tried to deliver e-mail to the local machine") {
		t.Errorf("the bounce does not give the loop's reason:\n%s", bounce)
	}
	if len(peer.messages()) != 1 {
		t.Errorf("the relayer got the second message too")
	}
}
