package server

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailwright/mailwright/server/dns/dnstest"
	"github.com/mailwright/mailwright/store"
)

// The whole path of a message through the running server: SMTP accepts
// it, the queue delivers it into the account's INBOX, and an IMAP client
// that waits in IDLE on that INBOX is told, then fetches the same bytes.
func TestSMTPToIMAPIdleThroughTheRunningServer(t *testing.T) {
	ctx := context.Background()
	zone := dnstest.NewServer(t)
	m := openMW(t, ctx, zone)
	m.domain("example.com")
	m.account("bob@example.com")
	smtpPort := m.smtpPort("127.0.0.1", 0, false)
	imapPort := freePort(t, "127.0.0.1")
	if _, err := m.srv.Store.CreatePort(ctx, store.Port{Protocol: store.ProtocolIMAP, Address: netip.MustParseAddr("127.0.0.1"), Port: imapPort}); err != nil {
		t.Fatal(err)
	}
	m.run()

	exists := make(chan uint32, 16)
	c, err := imapclient.DialInsecure(net.JoinHostPort("127.0.0.1", strconv.Itoa(imapPort)), &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					exists <- *data.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bob@example.com", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 0 {
		t.Fatalf("a new INBOX has %d messages", sel.NumMessages)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}

	body := "From: alice@elsewhere.test\r\nTo: bob@example.com\r\nSubject: through everything\r\n\r\nHello Bob.\r\n"
	sent := time.Now()
	if err := smtp.SendMail(net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)), nil, "alice@elsewhere.test", []string{"bob@example.com"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-exists:
		if n != 1 {
			t.Fatalf("IDLE reported %d messages, want 1", n)
		}
		t.Logf("IDLE saw the delivery %v after SMTP's 250", time.Since(sent))
	case <-time.After(30 * time.Second):
		t.Fatal("IDLE was not told of the delivery within 30s")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierText, Peek: true}},
		Envelope:    true,
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Envelope == nil {
		t.Fatalf("fetched %+v", msgs)
	}
	if got := msgs[0].Envelope.Subject; got != "through everything" {
		t.Errorf("subject %q", got)
	}
	var text string
	for _, b := range msgs[0].BodySection {
		text = string(b.Bytes)
	}
	if text != "Hello Bob.\r\n" {
		t.Errorf("BODY[TEXT] %q", text)
	}
	if sessions := m.srv.Status(ctx).Sessions["imap"]; sessions != 1 {
		t.Errorf("the status counts %d IMAP sessions, want 1", sessions)
	}
	if err := c.Logout().Wait(); err != nil && !strings.Contains(fmt.Sprint(err), "closed") {
		t.Error(err)
	}
}
