package smtp

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

func plainAuth(user, pass string) string {
	return "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass))
}

// Every cell of the relay matrix that hMailServer's default IP ranges
// imply: "My computer" (127.0.0.1) needs authentication only for
// external-to-external, "Internet" (here 127.0.0.2) for everything but
// external-to-local.
func TestOpenRelayMatrix(t *testing.T) {
	ts := startServer(t)
	const (
		ok       = "250 2.1.5 OK"
		needAuth = "530 5.7.0 SMTP authentication is required."
	)
	senders := map[string]string{"local": "user@example.com", "external": "someone@external.example"}
	rcpts := map[string]string{"local": "other@example.com", "external": "someone@remote.example"}
	cases := []struct {
		from, sender, rcpt string
		auth               bool
		want               string
	}{
		{"127.0.0.1", "local", "local", false, ok},
		{"127.0.0.1", "local", "external", false, ok},
		{"127.0.0.1", "external", "local", false, ok},
		{"127.0.0.1", "external", "external", false, needAuth},
		{"127.0.0.1", "local", "local", true, ok},
		{"127.0.0.1", "local", "external", true, ok},
		{"127.0.0.1", "external", "local", true, ok},
		{"127.0.0.1", "external", "external", true, ok},
		{"127.0.0.2", "local", "local", false, needAuth},
		{"127.0.0.2", "local", "external", false, needAuth},
		{"127.0.0.2", "external", "local", false, ok},
		{"127.0.0.2", "external", "external", false, needAuth},
		{"127.0.0.2", "local", "local", true, ok},
		{"127.0.0.2", "local", "external", true, ok},
		{"127.0.0.2", "external", "local", true, ok},
		{"127.0.0.2", "external", "external", true, ok},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s_to_%s/auth=%v", c.from, c.sender, c.rcpt, c.auth)
		t.Run(name, func(t *testing.T) {
			s := ts.dial(c.from, store.SecurityNone)
			s.ehlo()
			s.t = t
			if c.auth {
				s.expect(plainAuth("user@example.com", "secret"), "235 2.7.0 authenticated.")
			}
			s.expect("MAIL FROM:<"+senders[c.sender]+">", "250 2.1.0 OK")
			s.expect("RCPT TO:<"+rcpts[c.rcpt]+">", c.want)
		})
	}
}

func TestRecipientReplies(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		name, from, rcpt, want string
	}{
		{"account", "a@external.example", "user@example.com", "250 2.1.5 OK"},
		{"account_case_insensitive", "a@external.example", "USER@Example.COM", "250 2.1.5 OK"},
		{"domain_alias_name", "a@external.example", "user@example.net", "250 2.1.5 OK"},
		{"plus_address", "a@external.example", "user+tag@example.com", "250 2.1.5 OK"},
		{"alias", "a@external.example", "info@example.com", "250 2.1.5 OK"},
		{"alias_loop_gives_550_too_many_recursive_forwards", "a@external.example", "loop1@example.com", "550 5.4.6 Mail server configuration error. Too many recursive forwards."},
		{"unknown_user", "a@external.example", "nobody@example.com", "550 5.1.1 Unknown user"},
		{"catch_all", "a@external.example", "anyone@catchall.example", "250 2.1.5 OK"},
		{"disabled_account", "a@external.example", "off@example.com", "550 5.2.1 Account is not active."},
		{"disabled_alias", "a@external.example", "oldalias@example.com", "550 5.2.1 Alias is not active."},
		{"disabled_list", "a@external.example", "closed@example.com", "550 5.2.1 Distribution list is not active."},
		{"disabled_domain", "a@external.example", "x@disabled.example", "550 5.2.1 Domain has been disabled."},
		{"public_list", "a@external.example", "all@example.com", "250 2.1.5 OK"},
		{"membership_list_refuses_a_stranger", "a@external.example", "members@example.com", "550 5.7.1 Not authorized."},
		{"membership_list_takes_a_member", "user@example.com", "members@example.com", "250 2.1.5 OK"},
		{"announcement_list_refuses_others", "user@example.com", "news@example.com", "550 5.7.1 Not authorized."},
		{"announcement_list_takes_the_announcer", "boss@example.com", "news@example.com", "250 2.1.5 OK"},
		{"list_requiring_auth_refuses_unauthenticated", "a@external.example", "authonly@example.com", "550 5.7.1 Not authorized."},
		{"invalid_address", "a@external.example", "not-an-address", "550 5.1.3 A valid address is required."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ts.dial("127.0.0.1", store.SecurityNone)
			s.t = t
			s.ehlo()
			s.expect("MAIL FROM:<"+c.from+">", "250 2.1.0 OK")
			s.expect("RCPT TO:<"+c.rcpt+">", c.want)
		})
	}
}

func TestSessionReplies(t *testing.T) {
	ts := startServer(t)
	t.Run("welcome_message_setting_is_the_greeting", func(t *testing.T) {
		ts.set("WelcomeSMTP", "mail.example.com ready for you")
		defer ts.set("WelcomeSMTP", "")
		if s := ts.dial("127.0.0.1", store.SecurityNone); s.greeting != "220 mail.example.com ready for you" {
			t.Fatalf("greeting %q", s.greeting)
		}
	})
	t.Run("mail_before_helo_gives_502", func(t *testing.T) {
		ts.dial("127.0.0.1", store.SecurityNone).expect("MAIL FROM:<a@b.example>", "502 5.5.1 Use HELO/EHLO first.")
	})
	t.Run("ehlo_without_domain_gives_501", func(t *testing.T) {
		ts.dial("127.0.0.1", store.SecurityNone).expect("EHLO", "501 5.5.2 EHLO Invalid domain address.")
	})
	t.Run("helo_with_invalid_domain_gives_501", func(t *testing.T) {
		ts.dial("127.0.0.1", store.SecurityNone).expect("HELO bad..domain", "501 5.5.2 HELO Invalid domain address.")
	})
	t.Run("rcpt_before_mail_gives_503", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.expect("HELO client.example", "250 "+ts.srv.hostName(nil)+" Hello client.example")
		s.expect("RCPT TO:<user@example.com>", "503 5.5.1 Must have sender first.")
		s.expect("DATA", "503 5.5.1 Must have sender and recipient first.")
	})
	t.Run("second_mail_gives_503_issue_a_reset", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<a@b.example>", "250 2.1.0 OK")
		s.expect("MAIL FROM:<a@b.example>", "503 5.5.1 Issue a reset if you want to start over")
	})
	t.Run("vrfy_is_disallowed", func(t *testing.T) {
		ts.dial("127.0.0.1", store.SecurityNone).expect("VRFY user", "502 5.5.1 VRFY disallowed.")
	})
	t.Run("empty_sender_refused_when_not_allowed", func(t *testing.T) {
		ts.set("AllowEmptySender", "0")
		defer ts.set("AllowEmptySender", "1")
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<>", "550 5.1.7 Sender address must be specified.")
	})
	t.Run("invalid_sender_address", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<no-at-sign>", "550 5.1.7 The address is not valid.")
	})
	t.Run("declared_size_over_the_limit_gives_552", func(t *testing.T) {
		ts.set("MaxMessageSizeKB", "10")
		defer ts.set("MaxMessageSizeKB", "20480")
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<a@b.example> SIZE=20480", "552 5.3.4 Message size exceeds fixed maximum message size. Size: 20 KB, Max size: 10 KB")
	})
	t.Run("message_over_the_limit_gives_552_and_the_session_goes_on", func(t *testing.T) {
		ts.set("MaxMessageSizeKB", "1")
		defer ts.set("MaxMessageSizeKB", "20480")
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<a@b.example>", "250 2.1.0 OK")
		s.expect("RCPT TO:<other@example.com>", "250 2.1.5 OK")
		s.expect("DATA", "354 OK, send.")
		s.expect("Subject: big\r\n\r\n"+strings.Repeat("0123456789abcdef\r\n", 200)+".", "552 5.3.4 Message size exceeds fixed maximum message size. Size: 4 KB, Max size: 1 KB")
		s.expect("NOOP", "250 2.0.0 OK")
	})
	t.Run("bare_lf_refused_when_incorrect_line_endings_are_not_allowed", func(t *testing.T) {
		ts.set("AllowIncorrectLineEndings", "0")
		defer ts.set("AllowIncorrectLineEndings", "1")
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<a@b.example>", "250 2.1.0 OK")
		s.expect("RCPT TO:<other@example.com>", "250 2.1.5 OK")
		s.expect("DATA", "354 OK, send.")
		s.expect("Subject: lf\nbare line\r\n.", "554 5.6.0 Rejected message using bare LF's")
	})
	t.Run("too_many_invalid_commands_disconnects", func(t *testing.T) {
		ts.set("DisconnectInvalidClients", "1")
		defer ts.set("DisconnectInvalidClients", "0")
		s := ts.dial("127.0.0.1", store.SecurityNone)
		for range 3 {
			s.expect("BOGUS", "502 5.5.1 Unimplemented command.")
		}
		s.expect("BOGUS", "502 5.5.1 Unimplemented command.")
		if got := s.read(); got != "421 4.7.0 Too many invalid commands. Bye." {
			t.Fatalf("after the fourth invalid command: %q", got)
		}
		if !s.closed() {
			t.Fatal("connection still open")
		}
	})
	t.Run("too_many_recipients", func(t *testing.T) {
		ts.set("MaxRecipients", "1")
		defer ts.set("MaxRecipients", "100")
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<a@b.example>", "250 2.1.0 OK")
		s.expect("RCPT TO:<other@example.com>", "250 2.1.5 OK")
		s.expect("RCPT TO:<user@example.com>", "452 4.5.3 Too many recipients.")
	})
	t.Run("long_command_line_gives_500_and_the_session_goes_on", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.expect("NOOP "+strings.Repeat("x", maxCommandLine), "500 5.5.2 Line too long.")
		s.expect("NOOP", "250 2.0.0 OK")
	})
}

func TestRefusedAddressGetsNoGreeting(t *testing.T) {
	ts := startServer(t)
	ip := netipMust("127.0.0.3")
	r := store.DefaultIPRanges()[0]
	r.Name, r.Lower, r.Upper, r.Priority, r.AllowSMTP = "No SMTP", ip, ip, 50, false
	if _, err := ts.st.CreateIPRange(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	ts.srv.ranges.Invalidate()
	s := ts.dial("127.0.0.3", store.SecurityNone)
	if s.greeting != "" {
		t.Fatalf("a refused address was greeted: %q", s.greeting)
	}
}

func TestCommandTimeoutGives421(t *testing.T) {
	ts := startServer(t, withCommandTimeout(300*time.Millisecond))
	s := ts.dial("127.0.0.1", store.SecurityNone)
	if got := s.read(); got != "421 4.4.2 Connection timeout." {
		t.Fatalf("got %q", got)
	}
}

func TestMaxConnections(t *testing.T) {
	ts := startServer(t)
	ts.set("MaxSMTPConnections", "1")
	first := ts.dial("127.0.0.1", store.SecurityNone)
	if !strings.HasPrefix(first.greeting, "220 ") {
		t.Fatalf("first connection: %q", first.greeting)
	}
	second := ts.dial("127.0.0.1", store.SecurityNone)
	if second.greeting != "421 4.3.2 Too many connections. Try again later." {
		t.Fatalf("second connection: %q", second.greeting)
	}
}

func TestAuthentication(t *testing.T) {
	ts := startServer(t)
	t.Run("plain_and_login_succeed_with_the_right_password", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect(plainAuth("user@example.com", "secret"), "235 2.7.0 authenticated.")
		s = ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("AUTH LOGIN", "334 "+base64.StdEncoding.EncodeToString([]byte("Username:")))
		s.expect(base64.StdEncoding.EncodeToString([]byte("user@example.com")), "334 "+base64.StdEncoding.EncodeToString([]byte("Password:")))
		s.expect(base64.StdEncoding.EncodeToString([]byte("secret")), "235 2.7.0 authenticated.")
	})
	t.Run("wrong_password_gives_535", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect(plainAuth("user@example.com", "wrong"), "535 5.7.8 Authentication failed. Restarting authentication process.")
	})
	t.Run("plain_is_refused_without_tls_when_plain_text_auth_is_off", func(t *testing.T) {
		ts.set("AllowPlainTextAuthentication", "0")
		defer ts.set("AllowPlainTextAuthentication", "1")
		s := ts.dial("127.0.0.1", store.SecurityNone)
		ehlo := s.send("EHLO client.example")
		_ = ehlo
		s.expect(plainAuth("user@example.com", "secret"), "538 5.7.11 Plain text authentication is not allowed on an unencrypted connection. Use STARTTLS first.")
		tlsConv := ts.dial("127.0.0.1", store.SecurityTLS)
		tlsConv.expect("EHLO client.example", "250 AUTH LOGIN PLAIN")
		tlsConv.expect(plainAuth("user@example.com", "secret"), "235 2.7.0 authenticated.")
	})
	t.Run("changed_password_ends_the_session_at_the_next_message", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect(plainAuth("other@example.com", "secret"), "235 2.7.0 authenticated.")
		if err := ts.st.SetAccountPassword(context.Background(), ts.users["other@example.com"].ID, "changed"); err != nil {
			t.Fatal(err)
		}
		s.expect("MAIL FROM:<other@example.com>", "550 5.7.1 Login credentials no longer valid")
	})
	t.Run("starttls_required_port_refuses_mail_before_tls", func(t *testing.T) {
		s := ts.dial("127.0.0.1", store.SecuritySTARTTLSRequired)
		s.expect("EHLO client.example", "250 STARTTLS")
		s.expect("MAIL FROM:<a@b.example>", "530 5.7.0 Must issue a STARTTLS command first.")
	})
}

func TestAutoBanAfterFailedLogins(t *testing.T) {
	ts := startServer(t)
	for range 3 {
		s := ts.dial("127.0.0.2", store.SecurityNone)
		s.ehlo()
		s.expect(plainAuth("user@example.com", "wrong"), "535 5.7.8 Authentication failed. Restarting authentication process.")
	}
	if s := ts.dial("127.0.0.2", store.SecurityNone); s.greeting != "" {
		t.Fatalf("a banned address was greeted: %q", s.greeting)
	}
	if s := ts.dial("127.0.0.1", store.SecurityNone); !strings.HasPrefix(s.greeting, "220 ") {
		t.Fatalf("another address is banned too: %q", s.greeting)
	}
}

// A message sent with pipelined commands arrives byte-intact in both
// recipients' mailboxes, after a Received line.
func TestPipelinedMessageArrivesIntact(t *testing.T) {
	ts := startServer(t)
	body := "From: a@external.example\r\nSubject: pipelined\r\n\r\n.leading dot\r\nline two\r\n"
	s := ts.dial("127.0.0.1", store.SecurityNone)
	s.ehlo()
	fmt.Fprintf(s.conn, "MAIL FROM:<a@external.example>\r\nRCPT TO:<info@example.com>\r\nRCPT TO:<other@example.com>\r\nDATA\r\n")
	for _, want := range []string{"250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK", "354 OK, send."} {
		if got := s.read(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	stuffed := strings.ReplaceAll("\r\n"+body, "\r\n.", "\r\n..")[2:]
	if got := s.send(stuffed + "."); !strings.HasPrefix(got, "250 2.0.0 Queued") {
		t.Fatalf("DATA: %q", got)
	}
	for _, rcpt := range []string{"user@example.com", "other@example.com"} {
		msgs := ts.mailbox(rcpt, 1)
		if !strings.HasPrefix(msgs[0], "Return-Path: <a@external.example>\r\nReceived: from client.example ([127.0.0.1])") || !strings.HasSuffix(msgs[0], "\r\n"+body) {
			t.Errorf("%s got %q", rcpt, msgs[0])
		}
	}
}

func TestConversationLogMasksPasswords(t *testing.T) {
	ts := startServer(t)
	ts.set("LogSMTPConversations", "1")
	secret := plainAuth("user@example.com", "secret")
	s := ts.dial("127.0.0.1", store.SecurityNone)
	s.ehlo()
	s.expect(secret, "235 2.7.0 authenticated.")
	s.expect("AUTH LOGIN", "503 5.5.1 Already authenticated.")
	s.expect("QUIT", "221 2.0.0 goodbye")
	s = ts.dial("127.0.0.1", store.SecurityNone)
	s.ehlo()
	s.expect("AUTH LOGIN", "334 "+base64.StdEncoding.EncodeToString([]byte("Username:")))
	s.expect(base64.StdEncoding.EncodeToString([]byte("user@example.com")), "334 "+base64.StdEncoding.EncodeToString([]byte("Password:")))
	s.expect(base64.StdEncoding.EncodeToString([]byte("secret")), "235 2.7.0 authenticated.")
	s.expect("QUIT", "221 2.0.0 goodbye")
	log := ts.conv.String()
	for _, want := range []string{`RECEIVED: AUTH PLAIN ***`, `RECEIVED: ***`, `SENT: 235 2.7.0 authenticated.`, `RECEIVED: EHLO client.example`} {
		if !strings.Contains(log, want) {
			t.Errorf("conversation log lacks %q:\n%s", want, log)
		}
	}
	for _, leak := range []string{strings.TrimPrefix(secret, "AUTH PLAIN "), base64.StdEncoding.EncodeToString([]byte("secret"))} {
		if strings.Contains(log, leak) {
			t.Errorf("conversation log shows the credentials %q", leak)
		}
	}
}

func TestDomainMaximumMessageSize(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	d, err := ts.st.DomainByName(ctx, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	d.MaxMessageSizeKB = 2
	if err := ts.st.UpdateDomain(ctx, d); err != nil {
		t.Fatal(err)
	}
	s := ts.dial("127.0.0.1", store.SecurityNone)
	s.ehlo()
	s.expect("MAIL FROM:<a@external.example> SIZE=4096", "250 2.1.0 OK")
	s.expect("RCPT TO:<user@example.com>", "552 5.3.4 Message size exceeds fixed maximum message size. Size: 4 KB, Max size: 2 KB")
	s.expect("RSET", "250 2.0.0 OK")
	s.expect("MAIL FROM:<a@external.example>", "250 2.1.0 OK")
	s.expect("RCPT TO:<user@example.com>", "250 2.1.5 OK")
	s.expect("DATA", "354 OK, send.")
	s.expect("Subject: big\r\n\r\n"+strings.Repeat("x", 3000)+"\r\n.", "552 5.3.4 Message size exceeds fixed maximum message size. Size: 3 KB, Max size: 2 KB")
}

// Over implicit TLS with authentication the trace header says ESMTPSA, the
// TLS version and cipher, and X-AuthUser when that setting is on.
func TestReceivedHeaderOverTLS(t *testing.T) {
	ts := startServer(t)
	ts.set("AddXAuthUserHeader", "1")
	s := ts.dial("127.0.0.1", store.SecurityTLS)
	s.ehlo()
	s.expect(plainAuth("other@example.com", "secret"), "235 2.7.0 authenticated.")
	s.expect("MAIL FROM:<other@example.com>", "250 2.1.0 OK")
	s.expect("RCPT TO:<user@example.com>", "250 2.1.5 OK")
	s.expect("DATA", "354 OK, send.")
	if got := s.send("Subject: tls\r\n\r\nhi\r\n."); !strings.HasPrefix(got, "250 2.0.0 Queued") {
		t.Fatalf("DATA: %q", got)
	}
	msg := ts.mailbox("user@example.com", 1)[0]
	for _, want := range []string{"with ESMTPSA id ", "(using TLS 1.3 with cipher TLS_", "X-AuthUser: other@example.com\r\n", "\r\nSubject: tls\r\n\r\nhi\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stored message lacks %q:\n%s", want, msg)
		}
	}
}

// RFC 5321 6.3: two servers forwarding or mirroring to each other are
// stopped by the number of Received fields a message has gathered.
func TestMailLoopIsRefusedByHopCount(t *testing.T) {
	ts := startServer(t)
	send := func(hops int) string {
		s := ts.dial("127.0.0.1", store.SecurityNone)
		s.ehlo()
		s.expect("MAIL FROM:<a@external.example>", "250 2.1.0 OK")
		s.expect("RCPT TO:<user@example.com>", "250 2.1.5 OK")
		s.expect("DATA", "354 OK, send.")
		return s.send(strings.Repeat("Received: from a by b; Tue, 1 Jan 2030 00:00:00 +0000\r\n", hops) + "Subject: hops\r\n\r\nReceived: in the body does not count\r\n.")
	}
	if got := send(maxHops); got != "554 5.4.6 Too many hops: the message is in a mail loop." {
		t.Fatalf("%d hops: %q", maxHops, got)
	}
	if got := send(maxHops - 1); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("%d hops: %q", maxHops-1, got)
	}
}
