package pop3

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// The three messages most tests put into user@example.com's INBOX.
var (
	message1 = "From: a@example.net\r\nSubject: one\r\n\r\nfirst body\r\n"
	message2 = "From: b@example.net\r\nSubject: two\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"
	message3 = "Subject: three\r\n\r\n.starts with a dot\r\n.\r\n..\r\nend\r\n"
)

func (ts *testServer) deliverThree() []store.StoredMessage {
	return []store.StoredMessage{
		ts.deliver("user@example.com", message1),
		ts.deliver("user@example.com", message2),
		ts.deliver("user@example.com", message3),
	}
}

func size(s string) string { return fmt.Sprint(len(s)) }

func TestGreeting(t *testing.T) {
	ts := startServer(t)
	ts.set("HostName", "mail.example.com")
	if c := ts.dial("127.0.0.1", store.SecurityNone); c.greeting != "+OK mail.example.com POP3" {
		t.Fatalf("default greeting %q", c.greeting)
	}
	ts.set("WelcomePOP3", "Welcome to Mailwright")
	if c := ts.dial("127.0.0.1", store.SecurityNone); c.greeting != "+OK Welcome to Mailwright" {
		t.Fatalf("welcome message greeting %q", c.greeting)
	}
}

func TestAuthorizationState(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct {
		name  string
		lines []string // commands and the reply each must get, alternately
	}{
		{"transaction_commands_before_login_are_refused", []string{
			"STAT", "-ERR Command not valid in this state.",
			"LIST", "-ERR Command not valid in this state.",
			"UIDL 1", "-ERR Command not valid in this state.",
			"RETR 1", "-ERR Command not valid in this state.",
			"TOP 1 1", "-ERR Command not valid in this state.",
			"DELE 1", "-ERR Command not valid in this state.",
			"RSET", "-ERR Command not valid in this state.",
			"NOOP", "-ERR Command not valid in this state.",
		}},
		{"pass_without_user_asks_for_user", []string{"PASS secret", "-ERR Send USER first."}},
		{"user_without_name_is_a_syntax_error", []string{"USER", "-ERR Syntax error."}},
		{"wrong_password_fails", []string{
			"USER user@example.com", "+OK Send your password",
			"PASS wrong", "-ERR [AUTH] Invalid user name or password.",
			"PASS secret", "-ERR Send USER first.",
		}},
		{"unknown_user_fails_alike", []string{
			"USER nobody@example.com", "+OK Send your password",
			"PASS secret", "-ERR [AUTH] Invalid user name or password.",
		}},
		{"disabled_account_fails_alike", []string{
			"USER off@example.com", "+OK Send your password",
			"PASS secret", "-ERR [AUTH] Invalid user name or password.",
		}},
		{"unknown_command", []string{"XYZZY", "-ERR Unknown command.", "LIST1", "-ERR Unknown command.", "", "-ERR Unknown command."}},
		{"apop_is_not_offered", []string{"APOP user@example.com c4c9334bac560ecc979e58001b3e22fb", "-ERR Unknown command."}},
		{"stls_on_a_plain_port_is_not_available", []string{"STLS", "-ERR STLS is not available."}},
		{"auth_with_another_mechanism", []string{"AUTH CRAM-MD5", "-ERR Unsupported authentication mechanism."}},
		{"lower_case_commands_work", []string{"user user@example.com", "+OK Send your password", "pass secret", "+OK Mailbox locked and ready", "quit", "+OK Goodbye"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial("127.0.0.1", store.SecurityNone)
			for i := 0; i < len(tc.lines); i += 2 {
				c.expect(tc.lines[i], tc.lines[i+1])
			}
		})
	}

	t.Run("quit_before_login_says_goodbye_and_closes", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecurityNone)
		c.expect("QUIT", "+OK Goodbye")
		if !c.closed() {
			t.Fatal("the connection stayed open after QUIT")
		}
	})
}

func TestTransactionCommands(t *testing.T) {
	ts := startServer(t)
	msgs := ts.deliverThree()
	total := len(message1) + len(message2) + len(message3)
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	uid := func(i int) string { return store.POP3UID(msgs[i]) }

	c.expect("STAT", fmt.Sprintf("+OK 3 %d", total))
	c.expectMulti("LIST", fmt.Sprintf("+OK 3 messages (%d octets)", total),
		"1 "+size(message1)+"\r\n2 "+size(message2)+"\r\n3 "+size(message3)+"\r\n.\r\n")
	c.expect("LIST 2", "+OK 2 "+size(message2))
	c.expectMulti("UIDL", "+OK Unique-ID listing follows", "1 "+uid(0)+"\r\n2 "+uid(1)+"\r\n3 "+uid(2)+"\r\n.\r\n")
	c.expect("UIDL 3", "+OK 3 "+uid(2))
	c.expectMulti("RETR 1", "+OK "+size(message1)+" octets", message1+".\r\n")
	c.expectMulti("TOP 2 1", "+OK Top of message follows", "From: b@example.net\r\nSubject: two\r\n\r\nline 1\r\n.\r\n")
	c.expect("NOOP", "+OK")

	for _, tc := range []struct{ command, reply string }{
		{"LIST 4", "-ERR No such message"},
		{"LIST 0", "-ERR No such message"},
		{"LIST 99999999999999999999", "-ERR No such message"},
		{"UIDL 4", "-ERR No such message"},
		{"RETR 4", "-ERR No such message"},
		{"TOP 4 0", "-ERR No such message"},
		{"DELE 4", "-ERR No such message"},
		{"LIST x", "-ERR Invalid message number."},
		{"RETR -1", "-ERR Invalid message number."},
		{"RETR", "-ERR Message number required."},
		{"DELE", "-ERR Message number required."},
		{"RETR 1 2", "-ERR Syntax error."},
		{"TOP 1", "-ERR Syntax error."},
		{"TOP 1 x", "-ERR Syntax error."},
		{"UIDL 1 2", "-ERR Syntax error."},
		{"USER user@example.com", "-ERR Command not valid in this state."},
		{"PASS secret", "-ERR Command not valid in this state."},
		{"AUTH PLAIN", "-ERR Command not valid in this state."},
		{"STLS", "-ERR Command not valid in this state."},
	} {
		c.expect(tc.command, tc.reply)
	}

	// DELE marks; the numbering stays; the deleted number is gone.
	c.expect("DELE 2", "+OK Message 2 deleted")
	for _, command := range []string{"DELE 2", "LIST 2", "UIDL 2", "RETR 2", "TOP 2 0"} {
		c.expect(command, "-ERR No such message")
	}
	c.expect("STAT", fmt.Sprintf("+OK 2 %d", len(message1)+len(message3)))
	c.expectMulti("LIST", fmt.Sprintf("+OK 2 messages (%d octets)", len(message1)+len(message3)),
		"1 "+size(message1)+"\r\n3 "+size(message3)+"\r\n.\r\n")
	c.expectMulti("UIDL", "+OK Unique-ID listing follows", "1 "+uid(0)+"\r\n3 "+uid(2)+"\r\n.\r\n")
	c.expect("LIST 3", "+OK 3 "+size(message3))

	// RSET unmarks.
	c.expect("RSET", fmt.Sprintf("+OK Maildrop has 3 messages (%d octets)", total))
	c.expect("LIST 2", "+OK 2 "+size(message2))

	// CAPA after login leaves out what only the AUTHORIZATION state has.
	c.expectMulti("CAPA", "+OK Capability list follows", "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION Mailwright\r\n.\r\n")
	c.expect("QUIT", "+OK Goodbye")
	if got := len(ts.inbox("user@example.com")); got != 3 {
		t.Fatalf("%d messages after RSET and QUIT, want 3", got)
	}
}

func TestEmptyMailbox(t *testing.T) {
	ts := startServer(t)
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("other@example.com")
	c.expect("STAT", "+OK 0 0")
	c.expectMulti("LIST", "+OK 0 messages (0 octets)", ".\r\n")
	c.expectMulti("UIDL", "+OK Unique-ID listing follows", ".\r\n")
	c.expect("RETR 1", "-ERR No such message")
}

func TestQuitCommitsDeletions(t *testing.T) {
	ts := startServer(t)
	msgs := ts.deliverThree()
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	c.expect("DELE 1", "+OK Message 1 deleted")
	c.expect("DELE 3", "+OK Message 3 deleted")
	if got := len(ts.inbox("user@example.com")); got != 3 {
		t.Fatalf("%d messages before QUIT, want 3: DELE only marks", got)
	}
	c.expect("QUIT", "+OK Goodbye")
	if !c.closed() {
		t.Fatal("the connection stayed open after QUIT")
	}
	left := ts.inbox("user@example.com")
	if len(left) != 1 || left[0].ID != msgs[1].ID {
		t.Fatalf("left %+v, want only message 2", left)
	}
	for _, m := range []store.StoredMessage{msgs[0], msgs[2]} {
		if f, err := ts.st.Files().Open(m.Path); err == nil {
			f.Close()
			t.Errorf("the file of deleted message %d is still there", m.ID)
		}
	}
	// The lock is released: the next session logs in at once.
	c2 := ts.dial("127.0.0.1", store.SecurityNone)
	c2.login("user@example.com")
	c2.expect("STAT", "+OK 1 "+size(message2))
}

func TestDroppedConnectionCommitsNothingAndReleasesTheLock(t *testing.T) {
	ts := startServer(t)
	ts.deliverThree()
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	c.expect("DELE 1", "+OK Message 1 deleted")
	c.conn.Close()

	c2 := ts.dial("127.0.0.1", store.SecurityNone)
	c2.expect("USER user@example.com", "+OK Send your password")
	// The first session's end may still be under way.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c2.write("PASS secret")
		got := c2.line()
		if got == "+OK Mailbox locked and ready" {
			break
		}
		if got != "-ERR [IN-USE] The mailbox is locked by another POP3 session." || time.Now().After(deadline) {
			t.Fatalf("login after a dropped session: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
		c2.expect("USER user@example.com", "+OK Send your password")
	}
	c2.expect("STAT", fmt.Sprintf("+OK 3 %d", len(message1)+len(message2)+len(message3)))
}

func TestOneSessionPerAccount(t *testing.T) {
	ts := startServer(t)
	ts.deliverThree()
	first := ts.dial("127.0.0.1", store.SecurityNone)
	first.login("user@example.com")

	second := ts.dial("127.0.0.1", store.SecurityNone)
	second.expect("USER user@example.com", "+OK Send your password")
	second.expect("PASS secret", "-ERR [IN-USE] The mailbox is locked by another POP3 session.")
	// The refused session stays in the AUTHORIZATION state.
	second.expect("STAT", "-ERR Command not valid in this state.")
	second.expect("AUTH PLAIN "+plain("", "user@example.com", "secret"), "-ERR [IN-USE] The mailbox is locked by another POP3 session.")

	// Another account is not locked.
	other := ts.dial("127.0.0.1", store.SecurityNone)
	other.login("other@example.com")

	first.expect("QUIT", "+OK Goodbye")
	first.closed()
	second.login("user@example.com")
	second.expect("STAT", fmt.Sprintf("+OK 3 %d", len(message1)+len(message2)+len(message3)))
}

func TestAdministratorUnlockFreesAnAbandonedLock(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	// A lock left by a node that died (fresh, so not yet stale).
	if _, err := ts.st.LockPOP3(ctx, ts.users["user@example.com"].ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.expect("USER user@example.com", "+OK Send your password")
	c.expect("PASS secret", "-ERR [IN-USE] The mailbox is locked by another POP3 session.")
	if err := ts.st.UnlockAccount(ctx, ts.users["user@example.com"].ID); err != nil {
		t.Fatal(err)
	}
	c.login("user@example.com")
}

func TestUIDLIsStableAcrossSessions(t *testing.T) {
	ts := startServer(t)
	ts.deliverThree()
	uidls := func(c *conv) map[string]string { // UID → the message's first line
		c.t.Helper()
		c.write("UIDL")
		if got := c.line(); got != "+OK Unique-ID listing follows" {
			t.Fatalf("UIDL: %q", got)
		}
		out := map[string]string{}
		for line := range strings.Lines(c.multi()) {
			n, uid, ok := strings.Cut(strings.TrimSuffix(line, "\r\n"), " ")
			if !ok {
				continue
			}
			c.write("TOP " + n + " 0")
			c.line()
			first, _, _ := strings.Cut(c.multi(), "\r\n")
			out[uid] = first
		}
		return out
	}
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	before := uidls(c)
	c.expect("DELE 1", "+OK Message 1 deleted")
	c.expect("QUIT", "+OK Goodbye")
	c.closed()

	ts.deliver("user@example.com", "Subject: four\r\n\r\nnew\r\n")
	c2 := ts.dial("127.0.0.1", store.SecurityNone)
	c2.login("user@example.com")
	after := uidls(c2)
	if len(before) != 3 || len(after) != 3 {
		t.Fatalf("before %v, after %v", before, after)
	}
	kept := 0
	for uid, first := range after {
		if was, ok := before[uid]; ok {
			kept++
			if was != first {
				t.Errorf("UID %s named %q, now %q", uid, was, first)
			}
		} else if first != "Subject: four" {
			t.Errorf("new UID %s is on %q, want the new message", uid, first)
		}
	}
	if kept != 2 {
		t.Fatalf("%d UIDs kept across sessions, want 2: before %v, after %v", kept, before, after)
	}
}

func TestRetrAndTopAreDotStuffedByteExact(t *testing.T) {
	ts := startServer(t)
	// A file with dot lines, a bare LF and no final line break.
	file := "Subject: dots\r\n.X-Odd: header\r\n\r\n.one\r\n..two\r\n.\r\nbare\nlast"
	ts.deliver("user@example.com", file)
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	c.expectMulti("RETR 1", "+OK "+size(file)+" octets",
		"Subject: dots\r\n..X-Odd: header\r\n\r\n..one\r\n...two\r\n..\r\nbare\r\nlast\r\n.\r\n")
	for _, tc := range []struct {
		lines int
		want  string
	}{
		{0, "Subject: dots\r\n..X-Odd: header\r\n\r\n.\r\n"},
		{1, "Subject: dots\r\n..X-Odd: header\r\n\r\n..one\r\n.\r\n"},
		{3, "Subject: dots\r\n..X-Odd: header\r\n\r\n..one\r\n...two\r\n..\r\n.\r\n"},
		{100, "Subject: dots\r\n..X-Odd: header\r\n\r\n..one\r\n...two\r\n..\r\nbare\r\nlast\r\n.\r\n"},
	} {
		c.expectMulti(fmt.Sprintf("TOP 1 %d", tc.lines), "+OK Top of message follows", tc.want)
	}
}

func TestRetrOfALargeMessage(t *testing.T) {
	ts := startServer(t)
	var b strings.Builder
	b.WriteString("Subject: big\r\n\r\n")
	for i := range 20000 {
		fmt.Fprintf(&b, ".%05d %s\r\n", i, strings.Repeat("x", 70))
	}
	file := b.String()
	ts.deliver("user@example.com", file)
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	want := strings.ReplaceAll(file, "\r\n.", "\r\n..") + ".\r\n"
	c.expectMulti("RETR 1", "+OK "+size(file)+" octets", want)
	c.expect("NOOP", "+OK")
}

func TestCapabilities(t *testing.T) {
	ts := startServer(t)
	const common = "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
	const end = "IMPLEMENTATION Mailwright\r\n.\r\n"
	for _, tc := range []struct {
		name     string
		security store.ConnectionSecurity
		want     string
	}{
		{"plain_port", store.SecurityNone, common + "USER\r\nSASL PLAIN\r\n" + end},
		{"implicit_tls_port", store.SecurityTLS, common + "USER\r\nSASL PLAIN\r\n" + end},
		{"starttls_optional_port", store.SecuritySTARTTLSOptional, common + "USER\r\nSASL PLAIN\r\nSTLS\r\n" + end},
		{"starttls_required_port_offers_no_login_before_tls", store.SecuritySTARTTLSRequired, common + "STLS\r\n" + end},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial("127.0.0.1", tc.security)
			c.expectMulti("CAPA", "+OK Capability list follows", tc.want)
		})
	}
	t.Run("after_stls_login_is_offered_and_stls_is_not", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecuritySTARTTLSRequired)
		c.startTLS()
		c.expectMulti("CAPA", "+OK Capability list follows", common+"USER\r\nSASL PLAIN\r\n"+end)
	})
}

func TestSTLS(t *testing.T) {
	ts := startServer(t)
	ts.deliverThree()
	t.Run("required_port_refuses_credentials_before_stls", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecuritySTARTTLSRequired)
		c.expect("USER user@example.com", "-ERR STLS is required.")
		c.expect("PASS secret", "-ERR STLS is required.")
		c.expect("AUTH PLAIN "+plain("", "user@example.com", "secret"), "-ERR STLS is required.")
		c.expect("AUTH", "-ERR STLS is required.")
		c.expect("STAT", "-ERR Command not valid in this state.")
		c.startTLS()
		c.expect("STLS", "-ERR TLS is already active.")
		c.login("user@example.com")
		c.expect("STAT", fmt.Sprintf("+OK 3 %d", len(message1)+len(message2)+len(message3)))
		c.expect("QUIT", "+OK Goodbye")
	})
	t.Run("user_given_before_stls_is_forgotten", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecuritySTARTTLSOptional)
		c.expect("USER user@example.com", "+OK Send your password")
		c.startTLS()
		c.expect("PASS secret", "-ERR Send USER first.")
	})
	t.Run("commands_pipelined_after_stls_close_the_connection", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecuritySTARTTLSOptional)
		c.write("STLS\r\nUSER user@example.com")
		if got := c.line(); got != "+OK Begin TLS negotiation" {
			t.Fatalf("STLS: %q", got)
		}
		if !c.closed() {
			t.Fatal("the connection stayed open")
		}
	})
	t.Run("implicit_tls", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecurityTLS)
		if !strings.HasPrefix(c.greeting, "+OK ") {
			t.Fatalf("greeting %q", c.greeting)
		}
		c.expect("STLS", "-ERR TLS is already active.")
		c.login("user@example.com")
		c.expectMulti("RETR 1", "+OK "+size(message1)+" octets", message1+".\r\n")
		c.expect("QUIT", "+OK Goodbye")
	})
}

// plain is an AUTH PLAIN response (RFC 4616).
func plain(authz, user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(authz + "\x00" + user + "\x00" + pass))
}

func TestAuthPlain(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct {
		name  string
		lines []string
	}{
		{"initial_response", []string{"AUTH PLAIN " + plain("", "user@example.com", "secret"), "+OK Mailbox locked and ready"}},
		{"same_authorization_identity", []string{"AUTH PLAIN " + plain("user@example.com", "user@example.com", "secret"), "+OK Mailbox locked and ready"}},
		{"challenge", []string{"AUTH PLAIN", "+ ", plain("", "user@example.com", "secret"), "+OK Mailbox locked and ready"}},
		{"password_with_spaces_via_user_pass_fails_but_session_goes_on", []string{"USER user@example.com", "+OK Send your password", "PASS sec ret", "-ERR [AUTH] Invalid user name or password.", "NOOP", "-ERR Command not valid in this state."}},
		{"cancelled", []string{"AUTH PLAIN", "+ ", "*", "-ERR Authentication cancelled."}},
		{"wrong_password", []string{"AUTH PLAIN " + plain("", "user@example.com", "wrong"), "-ERR [AUTH] Invalid user name or password."}},
		{"another_authorization_identity_is_refused", []string{"AUTH PLAIN " + plain("other@example.com", "user@example.com", "secret"), "-ERR Invalid authentication data."}},
		{"bad_base64", []string{"AUTH PLAIN !!!", "-ERR Invalid authentication data."}},
		{"mechanism_is_case_insensitive", []string{"AUTH plain " + plain("", "user@example.com", "secret"), "+OK Mailbox locked and ready"}},
		{"too_many_arguments", []string{"AUTH PLAIN a b", "-ERR Syntax error."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial("127.0.0.1", store.SecurityNone)
			for i := 0; i < len(tc.lines); i += 2 {
				c.expect(tc.lines[i], tc.lines[i+1])
			}
			c.write("QUIT")
			c.closed()
		})
	}
	t.Run("auth_without_mechanism_lists_them", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecurityNone)
		c.expectMulti("AUTH", "+OK Supported authentication mechanisms follow", "PLAIN\r\n.\r\n")
	})
}

func TestAutoBanAfterFailedLogins(t *testing.T) {
	ts := startServer(t)
	for i := range 3 {
		c := ts.dial("127.0.0.2", store.SecurityNone)
		c.expect("USER user@example.com", "+OK Send your password")
		c.expect("PASS wrong", "-ERR [AUTH] Invalid user name or password.")
		if i == 2 && !c.closed() {
			t.Fatal("the connection that got banned stayed open")
		}
	}
	if c := ts.dial("127.0.0.2", store.SecurityNone); c.greeting != "" {
		t.Fatalf("a banned address was greeted: %q", c.greeting)
	}
	if c := ts.dial("127.0.0.1", store.SecurityNone); !strings.HasPrefix(c.greeting, "+OK ") {
		t.Fatalf("another address is banned too: %q", c.greeting)
	}
}

func TestIPRangeWithoutPOP3GetsNoGreeting(t *testing.T) {
	ts := startServer(t)
	addr := netip.MustParseAddr("127.0.0.5")
	if _, err := ts.st.CreateIPRange(context.Background(), store.IPRange{Name: "no pop3", Priority: 50, Lower: addr, Upper: addr,
		AllowSMTP: true, AllowIMAP: true}); err != nil {
		t.Fatal(err)
	}
	ts.ranges.Invalidate()
	if c := ts.dial("127.0.0.5", store.SecurityNone); c.greeting != "" {
		t.Fatalf("an address whose range forbids POP3 was greeted: %q", c.greeting)
	}
	if c := ts.dial("127.0.0.6", store.SecurityNone); !strings.HasPrefix(c.greeting, "+OK ") {
		t.Fatalf("another address got no greeting: %q", c.greeting)
	}
}

func TestMaxConnections(t *testing.T) {
	ts := startServer(t)
	ts.set("MaxPOP3Connections", "1")
	first := ts.dial("127.0.0.1", store.SecurityNone)
	second := ts.dial("127.0.0.1", store.SecurityNone)
	if second.greeting != "-ERR [SYS/TEMP] Too many connections. Try again later." {
		t.Fatalf("over the limit: %q", second.greeting)
	}
	if !second.closed() {
		t.Fatal("the connection over the limit stayed open")
	}
	first.expect("QUIT", "+OK Goodbye")
	first.closed()
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.ActiveSessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if c := ts.dial("127.0.0.1", store.SecurityNone); !strings.HasPrefix(c.greeting, "+OK ") {
		t.Fatalf("after the first left: %q", c.greeting)
	}
}

func TestCommandTimeoutClosesWithoutCommitting(t *testing.T) {
	ts := startServer(t, withCommandTimeout(300*time.Millisecond))
	ts.deliverThree()
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	c.expect("DELE 1", "+OK Message 1 deleted")
	if got := c.line(); got != "-ERR Autologout; idle for too long." {
		t.Fatalf("after the timeout: %q", got)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
	c2 := ts.dial("127.0.0.1", store.SecurityNone)
	c2.login("user@example.com")
	c2.expect("STAT", fmt.Sprintf("+OK 3 %d", len(message1)+len(message2)+len(message3)))
}

func TestLongLines(t *testing.T) {
	ts := startServer(t)
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.expect("USER "+strings.Repeat("a", 5000), "-ERR Line too long.")
	c.expect("USER user@example.com", "+OK Send your password")
	c.expect("PASS secret", "+OK Mailbox locked and ready")

	t.Run("a_megabyte_without_a_line_break_closes", func(t *testing.T) {
		c := ts.dial("127.0.0.1", store.SecurityNone)
		go c.conn.Write([]byte(strings.Repeat("x", 2<<20)))
		if got := c.line(); got != "-ERR Line too long." {
			t.Fatalf("reply %q", got)
		}
		if !c.closed() {
			t.Fatal("the connection stayed open")
		}
	})
}

func TestTooManyInvalidCommands(t *testing.T) {
	ts := startServer(t)
	ts.set("DisconnectInvalidClients", "1")
	ts.set("MaxNumberOfInvalidCommands", "2")
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.expect("BOGUS", "-ERR Unknown command.")
	c.expect("BOGUS", "-ERR Unknown command.")
	c.expect("BOGUS", "-ERR Unknown command.")
	if got := c.line(); got != "-ERR Too many invalid commands." {
		t.Fatalf("after the third invalid command: %q", got)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
}

func TestPipelinedCommands(t *testing.T) {
	ts := startServer(t)
	ts.deliverThree()
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.write("USER user@example.com\r\nPASS secret\r\nLIST 1\r\nUIDL 9\r\nRETR 1\r\nQUIT")
	want := []string{"+OK Send your password", "+OK Mailbox locked and ready", "+OK 1 " + size(message1), "-ERR No such message", "+OK " + size(message1) + " octets"}
	for _, w := range want {
		if got := c.line(); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
	if got := c.multi(); got != message1+".\r\n" {
		t.Fatalf("RETR body %q", got)
	}
	if got := c.line(); got != "+OK Goodbye" {
		t.Fatalf("QUIT: %q", got)
	}
}

func TestConversationLogMasksPasswords(t *testing.T) {
	ts := startServer(t)
	ts.deliverThree()
	ts.set("LogPOP3Conversations", "1")
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.expect("USER user@example.com", "+OK Send your password")
	c.expect("PASS secret", "+OK Mailbox locked and ready")
	c.expectMulti("RETR 1", "+OK "+size(message1)+" octets", message1+".\r\n")
	c.expect("QUIT", "+OK Goodbye")
	c.closed()
	c2 := ts.dial("127.0.0.1", store.SecurityNone)
	c2.expect("AUTH PLAIN", "+ ")
	c2.expect(plain("", "user@example.com", "secret"), "+OK Mailbox locked and ready")
	c2.expect("QUIT", "+OK Goodbye")
	c2.closed()

	log := ts.conv.String()
	for _, want := range []string{`"RECEIVED: USER user@example.com"`, `"RECEIVED: PASS ***"`, `"SENT: +OK Mailbox locked and ready"`,
		`"SENT: +OK ` + size(message1) + ` octets"`, `"RECEIVED: AUTH PLAIN"`, `"RECEIVED: ***"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the conversation log lacks %s:\n%s", want, log)
		}
	}
	for _, secret := range []string{"secret", plain("", "user@example.com", "secret"), "first body"} {
		if strings.Contains(log, secret) {
			t.Errorf("the conversation log holds %q:\n%s", secret, log)
		}
	}

	t.Run("off_by_default", func(t *testing.T) {
		ts := startServer(t)
		c := ts.dial("127.0.0.1", store.SecurityNone)
		c.expect("QUIT", "+OK Goodbye")
		c.closed()
		if log := ts.conv.String(); log != "" {
			t.Fatalf("conversation logged while off:\n%s", log)
		}
	})
}

func TestShutdownEndsSessionsWithoutCommitting(t *testing.T) {
	ts := startServer(t)
	ts.deliverThree()
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	c.expect("DELE 1", "+OK Message 1 deleted")
	ts.stop()
	if got := c.line(); got != "-ERR [SYS/TEMP] The server is shutting down." {
		t.Fatalf("at shutdown: %q", got)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
	if got := len(ts.inbox("user@example.com")); got != 3 {
		t.Fatalf("%d messages after shutdown, want 3", got)
	}
	// Serve returns only after the sessions ended, so the lock is free.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := ts.st.LockPOP3(context.Background(), ts.users["user@example.com"].ID, time.Hour)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lock was not released: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUnlockedDuringASessionEndsItWithoutCommitting(t *testing.T) {
	ts := startServer(t, withLockRefreshInterval(time.Nanosecond))
	ts.deliverThree()
	c := ts.dial("127.0.0.1", store.SecurityNone)
	c.login("user@example.com")
	c.expect("DELE 1", "+OK Message 1 deleted")
	if err := ts.st.UnlockAccount(context.Background(), ts.users["user@example.com"].ID); err != nil {
		t.Fatal(err)
	}
	// Another session takes the mailbox; the first may not commit.
	other := ts.dial("127.0.0.1", store.SecurityNone)
	other.login("user@example.com")
	c.expect("QUIT", "-ERR [SYS/TEMP] The mailbox was unlocked by another party; no messages were deleted.")
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
	other.expect("STAT", fmt.Sprintf("+OK 3 %d", len(message1)+len(message2)+len(message3)))
	other.expect("QUIT", "+OK Goodbye")
}
