package smtpclient

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/smtpreply"
)

const testMessage = "From: sender@example.com\r\nTo: a@example.net\r\nSubject: test\r\n\r\nHello.\r\n"

// testOptions bound every step, so a broken client fails a test instead of
// hanging it.
func testOptions() Options {
	d := 10 * time.Second
	return Options{HeloName: "mw.test", Timeouts: Timeouts{Connect: d, Greeting: d, Command: d, Mail: d, Rcpt: d, DataInit: d, DataBlock: d, DataEnd: d}}
}

func deliver(t *testing.T, p *peer, opts Options, body string, to ...string) (Result, error) {
	t.Helper()
	if len(to) == 0 {
		to = []string{"a@example.net", "b@example.net"}
	}
	res, err := Deliver(context.Background(), p.addr, "sender@example.com", to, strings.NewReader(body), int64(len(body)), opts)
	if len(res.Recipients) != len(to) {
		t.Fatalf("got %d recipient results for %d recipients", len(res.Recipients), len(to))
	}
	if testing.Verbose() {
		t.Logf("transcript:\n%s", strings.Join(res.Transcript, "\n"))
	}
	return res, err
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

func wantAccepted(t *testing.T, res Result, want ...bool) {
	t.Helper()
	for i, rr := range res.Recipients {
		if rr.Accepted != want[i] {
			t.Errorf("recipient %s: accepted %v, want %v (reply %v)", rr.Address, rr.Accepted, want[i], rr.Reply)
		}
	}
}

func wantNoProblems(t *testing.T, s *peerSession) {
	t.Helper()
	for _, p := range s.problems {
		t.Error(p)
	}
}

func TestDeliver(t *testing.T) {
	t.Run("pipelining_sends_MAIL_RCPT_RCPT_DATA_as_one_group", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		res, err := deliver(t, p, testOptions(), testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true, true)
		if got := res.Recipients[0].Reply; got.Code != 250 || got.Enhanced != "2.0.0" || got.Text != "Queued as 1234" {
			t.Errorf("recipient reply %+v, want the reply to the end of data", got)
		}
		s := p.session(0)
		wantNoProblems(t, s)
		want := []string{"MAIL FROM:<sender@example.com> SIZE=" + itoa(len(testMessage)), "RCPT TO:<a@example.net>", "RCPT TO:<b@example.net>", "DATA"}
		if !slices.Equal(s.group, want) {
			t.Errorf("pipelined group %q, want %q", s.group, want)
		}
		if got := s.verbs(); !slices.Equal(got, []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
			t.Errorf("commands %q", got)
		}
		if string(s.data) != testMessage+".\r\n" {
			t.Errorf("data %q", s.data)
		}
	})

	t.Run("without_PIPELINING_each_command_waits_for_its_reply", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"SIZE 1000000", "8BITMIME"}})
		res, err := deliver(t, p, testOptions(), testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true, true)
		s := p.session(0)
		wantNoProblems(t, s)
		if s.group != nil {
			t.Errorf("pipelined group %q without PIPELINING", s.group)
		}
		if got := s.verbs(); !slices.Equal(got, []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}) {
			t.Errorf("commands %q", got)
		}
	})

	for _, pipelining := range []bool{true, false} {
		name := map[bool]string{true: "pipelined", false: "lock-step"}[pipelining]
		ehlo := []string{"SIZE 1000000"}
		if pipelining {
			ehlo = append(ehlo, "PIPELINING")
		}
		t.Run(name+"/one_RCPT_refused_550_fails_that_recipient_only", func(t *testing.T) {
			p := startPeer(t, peerScript{ehlo: ehlo, replies: map[string][]string{"RCPT": {"550 5.1.1 No such user"}}})
			res, err := deliver(t, p, testOptions(), testMessage)
			if err != nil {
				t.Fatal(err)
			}
			wantAccepted(t, res, false, true)
			if got := res.Recipients[0].Reply; got.Code != 550 || got.Enhanced != "5.1.1" || got.Text != "No such user" {
				t.Errorf("refused recipient's reply %+v", got)
			}
			if got := res.Recipients[1].Reply; got.Code != 250 {
				t.Errorf("accepted recipient's reply %+v", got)
			}
			wantNoProblems(t, p.session(0))
		})
		t.Run(name+"/all_RCPT_refused_sends_no_message", func(t *testing.T) {
			p := startPeer(t, peerScript{ehlo: ehlo, replies: map[string][]string{"RCPT": {"550 5.1.1 No such user", "551 5.1.6 Moved"}}})
			res, err := deliver(t, p, testOptions(), testMessage)
			if err != nil {
				t.Fatal(err)
			}
			wantAccepted(t, res, false, false)
			if res.Recipients[1].Reply.Code != 551 {
				t.Errorf("second recipient's reply %v", res.Recipients[1].Reply)
			}
			s := p.session(0)
			wantNoProblems(t, s)
			if len(s.data) != 0 {
				t.Errorf("message sent after every recipient was refused: %q", s.data)
			}
			want := []string{"EHLO", "MAIL", "RCPT", "RCPT", "QUIT"}
			if pipelining {
				// DATA was part of the group; the server refused it.
				want = []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}
			}
			if got := s.verbs(); !slices.Equal(got, want) {
				t.Errorf("commands %q, want %q", got, want)
			}
		})
		t.Run(name+"/452_at_RCPT_is_a_temporary_failure_of_that_recipient", func(t *testing.T) {
			p := startPeer(t, peerScript{ehlo: ehlo, replies: map[string][]string{"RCPT": {"250 2.1.5 OK", "452 4.5.3 Too many recipients"}}})
			res, err := deliver(t, p, testOptions(), testMessage)
			if err != nil {
				t.Fatal(err)
			}
			wantAccepted(t, res, true, false)
			if r := res.Recipients[1].Reply; !r.Temporary() || r.Enhanced != "4.5.3" {
				t.Errorf("second recipient's reply %+v, want a temporary failure", r)
			}
		})
		t.Run(name+"/421_at_RCPT_ends_the_delivery", func(t *testing.T) {
			p := startPeer(t, peerScript{ehlo: ehlo, replies: map[string][]string{"RCPT": {"550 5.1.1 No such user", "421 4.3.2 Shutting down"}}})
			res, err := deliver(t, p, testOptions(), testMessage, "a@example.net", "b@example.net", "c@example.net")
			e := asError(t, err)
			if e.Stage != StageRcpt || !e.Temporary || e.Reply.Code != 421 {
				t.Errorf("error %+v", e)
			}
			for i, want := range []int{550, 421, 421} {
				if rr := res.Recipients[i]; rr.Accepted || rr.Reply.Code != want {
					t.Errorf("recipient %+v, want reply %d", rr, want)
				}
			}
			if s := p.session(0); len(s.data) != 0 {
				t.Errorf("message sent after 421: %q", s.data)
			}
		})
		t.Run(name+"/MAIL_refused_fails_the_delivery", func(t *testing.T) {
			p := startPeer(t, peerScript{ehlo: ehlo, replies: map[string][]string{"MAIL": {"550 5.7.1 Sender rejected"}}})
			res, err := deliver(t, p, testOptions(), testMessage)
			e := asError(t, err)
			if e.Stage != StageMail || e.Temporary || e.Reply.Code != 550 || e.Err != nil {
				t.Errorf("error %+v", e)
			}
			for _, rr := range res.Recipients {
				if rr.Accepted || rr.Reply != e.Reply {
					t.Errorf("recipient %+v, want the reply to MAIL", rr)
				}
			}
			if s := p.session(0); len(s.data) != 0 {
				t.Errorf("message sent after MAIL was refused: %q", s.data)
			}
		})
		t.Run(name+"/DATA_refused_fails_the_delivery", func(t *testing.T) {
			p := startPeer(t, peerScript{ehlo: ehlo, replies: map[string][]string{"DATA": {"451 4.3.0 Try later"}}})
			res, err := deliver(t, p, testOptions(), testMessage)
			e := asError(t, err)
			if e.Stage != StageData || !e.Temporary || e.Reply.Code != 451 {
				t.Errorf("error %+v", e)
			}
			for _, rr := range res.Recipients {
				if rr.Accepted || rr.Reply.Code != 451 {
					t.Errorf("recipient %+v, want the reply to DATA", rr)
				}
			}
		})
	}

	t.Run("pipelined_DATA_accepted_with_no_recipient_gets_an_empty_message", func(t *testing.T) {
		p := startPeer(t, peerScript{replies: map[string][]string{"RCPT": {"550 5.1.1 No", "550 5.1.1 No"}, "DATA": {"354 go on"}, ".": {"554 5.5.1 No recipients"}}})
		res, err := deliver(t, p, testOptions(), testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, false, false)
		if s := p.session(0); string(s.data) != ".\r\n" {
			t.Errorf("data %q, want only the final dot", s.data)
		}
	})

	t.Run("end_of_data_refused_fails_the_accepted_recipients", func(t *testing.T) {
		p := startPeer(t, peerScript{replies: map[string][]string{"RCPT": {"550 5.1.1 No"}, ".": {"554 5.7.1 Spam"}}})
		res, err := deliver(t, p, testOptions(), testMessage)
		e := asError(t, err)
		if e.Stage != StageEndOfData || e.Temporary || e.Reply.Text != "Spam" {
			t.Errorf("error %+v", e)
		}
		if r := res.Recipients[0].Reply; r.Code != 550 {
			t.Errorf("first recipient keeps its RCPT reply, got %v", r)
		}
		if r := res.Recipients[1]; r.Accepted || r.Reply.Code != 554 {
			t.Errorf("second recipient %+v, want the reply to the end of data", r)
		}
	})

	t.Run("null_sender_of_a_bounce_is_sent_as_<>", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{}})
		_, err := Deliver(context.Background(), p.addr, "", []string{"a@example.net"}, strings.NewReader(testMessage), 0, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if got := p.session(0).lines()[1]; got != "MAIL FROM:<>" {
			t.Errorf("MAIL %q", got)
		}
	})

	t.Run("421_greeting_is_a_temporary_error", func(t *testing.T) {
		p := startPeer(t, peerScript{greeting: "421 4.3.2 Too busy"})
		res, err := deliver(t, p, testOptions(), testMessage)
		e := asError(t, err)
		if e.Stage != StageGreeting || !e.Temporary {
			t.Errorf("error %+v", e)
		}
		reply, ok := smtpreply.As(err)
		if !ok || reply.Code != 421 || reply.Enhanced != "4.3.2" || reply.Text != "Too busy" {
			t.Errorf("reply %+v", reply)
		}
		if res.Recipients[0].Reply != reply {
			t.Errorf("recipient reply %v, want the greeting", res.Recipients[0].Reply)
		}
		if got := p.session(0).verbs(); !slices.Equal(got, []string{"QUIT"}) {
			t.Errorf("commands %q, want only QUIT", got)
		}
	})

	t.Run("554_greeting_is_a_permanent_error", func(t *testing.T) {
		p := startPeer(t, peerScript{greeting: "554 No SMTP service here"})
		_, err := deliver(t, p, testOptions(), testMessage)
		if e := asError(t, err); e.Stage != StageGreeting || e.Temporary {
			t.Errorf("error %+v", e)
		}
	})

	t.Run("EHLO_500_falls_back_to_HELO", func(t *testing.T) {
		p := startPeer(t, peerScript{ehloReply: "500 5.5.1 Command unrecognized"})
		res, err := deliver(t, p, testOptions(), testMessage)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true, true)
		s := p.session(0)
		wantNoProblems(t, s)
		want := []string{"EHLO mw.test", "HELO mw.test", "MAIL FROM:<sender@example.com>", "RCPT TO:<a@example.net>", "RCPT TO:<b@example.net>", "DATA", "QUIT"}
		if got := s.lines(); !slices.Equal(got, want) {
			t.Errorf("commands %q, want %q", got, want)
		}
	})

	t.Run("EHLO_421_is_a_temporary_error", func(t *testing.T) {
		p := startPeer(t, peerScript{ehloReply: "421 4.3.2 Shutting down"})
		_, err := deliver(t, p, testOptions(), testMessage)
		if e := asError(t, err); e.Stage != StageHello || !e.Temporary || e.Reply.Code != 421 {
			t.Errorf("error %+v", e)
		}
	})

	t.Run("empty_host_name_says_EHLO_with_an_address_literal", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		opts := testOptions()
		opts.HeloName = ""
		opts.LocalAddr = &net.IPAddr{IP: net.ParseIP("127.0.0.1")}
		if _, err := deliver(t, p, opts, testMessage); err != nil {
			t.Fatal(err)
		}
		if got := p.session(0).lines()[0]; got != "EHLO [127.0.0.1]" {
			t.Errorf("first command %q", got)
		}
	})

	t.Run("too_many_recipients_are_refused_before_connecting", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		opts := testOptions()
		opts.MaxRecipients = 1
		_, err := deliver(t, p, opts, testMessage)
		if e := asError(t, err); e.Stage != StageSetup || !errors.Is(err, ErrTooManyRecipients) {
			t.Errorf("error %+v", e)
		}
		time.Sleep(50 * time.Millisecond)
		if n := p.sessionCount(); n != 0 {
			t.Errorf("%d connections, want none", n)
		}
	})

	t.Run("connection_refused_is_a_temporary_network_error", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = Deliver(context.Background(), addr, "s@example.com", []string{"a@example.net"}, strings.NewReader(testMessage), 0, testOptions())
		e := asError(t, err)
		var opErr *net.OpError
		if e.Stage != StageConnect || !e.Temporary || e.Reply != nil || !errors.As(err, &opErr) {
			t.Errorf("error %+v", e)
		}
	})

	t.Run("a_control_character_in_a_recipient_fails_it_without_sending_it", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		res, err := deliver(t, p, testOptions(), testMessage, "a@example.net>\r\nRSET", "b@example.net")
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, false, true)
		if r := res.Recipients[0].Reply; r.Code != 553 {
			t.Errorf("reply %v", r)
		}
		if got := p.session(0).verbs(); slices.Contains(got, "RSET") {
			t.Errorf("commands %q: the address was sent", got)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDeliverMessage(t *testing.T) {
	t.Run("message_over_the_SIZE_limit_fails_every_recipient_without_MAIL", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"PIPELINING", "SIZE 40"}})
		res, err := deliver(t, p, testOptions(), testMessage)
		e := asError(t, err)
		if e.Stage != StageSize || e.Temporary || !errors.Is(err, ErrMessageTooLarge) || e.Reply.Code != 552 || e.Reply.Enhanced != "5.3.4" {
			t.Errorf("error %+v", e)
		}
		if !strings.Contains(e.Reply.Text, "Max size: 40 bytes") {
			t.Errorf("reply %q does not name the server's limit", e.Reply.Text)
		}
		for _, rr := range res.Recipients {
			if rr.Accepted || rr.Reply != e.Reply {
				t.Errorf("recipient %+v", rr)
			}
		}
		if got := p.session(0).verbs(); !slices.Equal(got, []string{"EHLO", "QUIT"}) {
			t.Errorf("commands %q, want only EHLO and QUIT", got)
		}
	})

	t.Run("SIZE_without_a_limit_lets_any_size_through", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"SIZE"}})
		if _, err := deliver(t, p, testOptions(), testMessage); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("unknown_size_is_measured_with_CRLF", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		body := "Subject: x\n\n.dot\n"
		if _, err := Deliver(context.Background(), p.addr, "s@example.com", []string{"a@example.net"}, strings.NewReader(body), 0, testOptions()); err != nil {
			t.Fatal(err)
		}
		want := "MAIL FROM:<s@example.com> SIZE=" + itoa(len("Subject: x\r\n\r\n.dot\r\n"))
		if got := p.session(0).group[0]; got != want {
			t.Errorf("MAIL %q, want %q", got, want)
		}
	})

	eightBit := "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n"
	t.Run("8-bit_message_to_a_server_without_8BITMIME_fails_permanently", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: []string{"PIPELINING", "SIZE 1000"}})
		res, err := deliver(t, p, testOptions(), eightBit)
		e := asError(t, err)
		if e.Temporary || !errors.Is(err, ErrNeeds8BitMIME) || e.Reply.Code != 554 || e.Reply.Enhanced != "5.6.3" ||
			e.Reply.Text != "the message contains 8-bit data and the receiving server does not accept it" {
			t.Errorf("error %+v", e)
		}
		if res.Recipients[0].Reply != e.Reply {
			t.Errorf("recipient reply %v", res.Recipients[0].Reply)
		}
		if got := p.session(0).verbs(); slices.Contains(got, "MAIL") {
			t.Errorf("commands %q", got)
		}
	})

	t.Run("8-bit_message_goes_with_BODY=8BITMIME", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		if _, err := deliver(t, p, testOptions(), eightBit); err != nil {
			t.Fatal(err)
		}
		s := p.session(0)
		if got := s.group[0]; !strings.HasSuffix(got, " BODY=8BITMIME") {
			t.Errorf("MAIL %q lacks BODY=8BITMIME", got)
		}
		if string(s.data) != eightBit+".\r\n" {
			t.Errorf("data %q", s.data)
		}
	})

	t.Run("7-bit_message_goes_without_BODY", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		if _, err := deliver(t, p, testOptions(), testMessage); err != nil {
			t.Fatal(err)
		}
		if got := p.session(0).group[0]; strings.Contains(got, "BODY=") {
			t.Errorf("MAIL %q", got)
		}
	})

	t.Run("dot-stuffing_and_bare_LF_arrive_byte-exact", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		body := "Subject: dots\n\n.\n..two\r\n.three\nmiddle . dot\r\n.\r\nbare\rCR\nlast line without break"
		want := "Subject: dots\r\n\r\n..\r\n...two\r\n..three\r\nmiddle . dot\r\n..\r\nbare\r\nCR\r\nlast line without break\r\n.\r\n"
		if _, err := deliver(t, p, testOptions(), body); err != nil {
			t.Fatal(err)
		}
		if got := string(p.session(0).data); got != want {
			t.Errorf("data\n got %q\nwant %q", got, want)
		}
	})

	t.Run("a_body_that_cannot_seek_is_sent_whole", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		body := strings.Repeat("line of text\n", 10000)
		_, err := Deliver(context.Background(), p.addr, "s@example.com", []string{"a@example.net"}, onlyReader{strings.NewReader(body)}, 0, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(p.session(0).data), strings.ReplaceAll(body, "\n", "\r\n")+".\r\n"; got != want {
			t.Errorf("data of %d bytes, want %d", len(got), len(want))
		}
	})

	t.Run("non-ASCII_recipient_without_SMTPUTF8_fails_that_recipient", func(t *testing.T) {
		p := startPeer(t, peerScript{})
		res, err := deliver(t, p, testOptions(), testMessage, "jos\u00e9@example.net", "b@example.net")
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, false, true)
		if r := res.Recipients[0].Reply; r.Code != 553 || r.Enhanced != "5.6.7" {
			t.Errorf("reply %+v", r)
		}
		if got := p.session(0).group; len(got) != 3 || strings.Contains(got[1], "jos") {
			t.Errorf("group %q", got)
		}
	})

	t.Run("non-ASCII_recipient_with_SMTPUTF8_goes_with_SMTPUTF8", func(t *testing.T) {
		p := startPeer(t, peerScript{ehlo: append([]string{"SMTPUTF8"}, defaultExtensions...)})
		res, err := deliver(t, p, testOptions(), testMessage, "jos\u00e9@example.net")
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, res, true)
		if got := p.session(0).group; !strings.HasSuffix(got[0], " SMTPUTF8") || got[1] != "RCPT TO:<jos\u00e9@example.net>" {
			t.Errorf("group %q", got)
		}
	})
}

// onlyReader hides every method but Read.
type onlyReader struct{ r *strings.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestDeliverTimeouts(t *testing.T) {
	for _, tc := range []struct {
		stallAt string
		stage   string
	}{
		{"greeting", StageGreeting},
		{"EHLO", StageHello},
		{"MAIL", StageMail},
		{".", StageEndOfData},
	} {
		t.Run("server_silent_at_"+tc.stage+"_times_out", func(t *testing.T) {
			p := startPeer(t, peerScript{stallAt: tc.stallAt})
			opts := testOptions()
			short := 300 * time.Millisecond
			opts.Timeouts = Timeouts{Connect: short, Greeting: short, Command: short, Mail: short, Rcpt: short, DataInit: short, DataBlock: short, DataEnd: short}
			done := make(chan error, 1)
			go func() {
				_, err := Deliver(context.Background(), p.addr, "s@example.com", []string{"a@example.net"}, strings.NewReader(testMessage), 0, opts)
				done <- err
			}()
			select {
			case err := <-done:
				e := asError(t, err)
				var netErr net.Error
				if e.Stage != tc.stage || !e.Temporary || !errors.As(err, &netErr) || !netErr.Timeout() {
					t.Errorf("error %+v, want a timeout at %s", e, tc.stage)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("Deliver did not give up within 15s with 300ms timeouts")
			}
		})
	}

	t.Run("cancelled_context_ends_the_delivery", func(t *testing.T) {
		p := startPeer(t, peerScript{stallAt: "MAIL"})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := Deliver(ctx, p.addr, "s@example.com", []string{"a@example.net"}, strings.NewReader(testMessage), 0, testOptions())
			done <- err
		}()
		for !slices.Contains(p.session(0).verbs(), "MAIL") {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || !asError(t, err).Temporary {
				t.Errorf("error %v, want context.Canceled", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("Deliver did not end within 15s of the cancellation")
		}
	})
}
