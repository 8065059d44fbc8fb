package smtpclient

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestConn(t *testing.T) {
	ctx := context.Background()
	send := func(t *testing.T, c *Conn, to string) (Result, error) {
		t.Helper()
		return c.Send(ctx, "sender@example.com", []string{to}, strings.NewReader(testMessage), int64(len(testMessage)))
	}
	dial := func(t *testing.T, p *peer) *Conn {
		t.Helper()
		c, _, err := Dial(ctx, p.addr, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("two_messages_go_on_one_connection_with_one_EHLO", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		c := dial(t, p)
		for _, to := range []string{"a@example.net", "b@example.net"} {
			res, err := send(t, c, to)
			if err != nil || !res.Recipients[0].Accepted {
				t.Fatalf("Send to %s: %+v, %v", to, res.Recipients, err)
			}
		}
		if !c.Open() || c.Transactions != 2 {
			t.Errorf("after two messages Open() = %v, Transactions = %d", c.Open(), c.Transactions)
		}
		c.Close()
		s := p.session(0)
		wantNoProblems(t, s)
		if got := s.verbs(); !slices.Equal(got, []string{"EHLO", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA", "QUIT"}) {
			t.Errorf("commands %q", got)
		}
		if n := p.sessionCount(); n != 1 {
			t.Errorf("the server had %d connections, want 1", n)
		}
	})

	t.Run("a_refused_message_ends_the_session", func(t *testing.T) {
		p := startPeer(t, peerScript{replies: map[string][]string{".": {"554 5.7.1 no"}}})
		c := dial(t, p)
		if _, err := send(t, c, "a@example.net"); err == nil {
			t.Fatal("Send succeeded; the server refused the message")
		}
		if c.Open() {
			t.Error("the session is still open after a refused message")
		}
		if _, err := send(t, c, "b@example.net"); err == nil {
			t.Error("Send on a closed session succeeded")
		}
	})

	t.Run("a_421_at_MAIL_on_a_kept_session_is_stale", func(t *testing.T) {
		p := startPeer(t, peerScript{replies: map[string][]string{"MAIL": {"250 2.1.0 ok", "421 4.4.2 idle for too long"}}})
		c := dial(t, p)
		if _, err := send(t, c, "a@example.net"); err != nil {
			t.Fatal(err)
		}
		_, err := send(t, c, "b@example.net")
		if err == nil || !Stale(err) {
			t.Errorf("second Send: %v, want an error Stale reports", err)
		}
		if c.Open() {
			t.Error("the session is still open after a 421")
		}
	})

	t.Run("a_refusal_of_the_message_is_not_stale", func(t *testing.T) {
		p := startPeer(t, peerScript{replies: map[string][]string{"MAIL": {"550 5.7.1 not from you"}}})
		c := dial(t, p)
		if _, err := send(t, c, "a@example.net"); err == nil || Stale(err) {
			t.Errorf("Send: %v, want an error that is not stale", err)
		}
	})
}
