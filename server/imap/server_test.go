package imap

import (
	"context"
	"encoding/base64"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// The connection-level behaviour: greeting, capabilities, TLS, login,
// limits, timeouts, shutdown and the conversation log.

// capsBase are the capabilities with every extension switch on.
const capsBase = "IMAP4rev1 LITERAL+ SASL-IR IDLE NAMESPACE UIDPLUS MOVE CHILDREN SPECIAL-USE ENABLE ID UNSELECT SORT QUOTA ACL RIGHTS=texk"

func TestGreeting(t *testing.T) {
	ts := startServer(t)
	host, _ := os.Hostname()
	if host == "" {
		t.Skip("the machine has no host name to expect in the default greeting")
	}
	c := ts.dial(store.SecurityNone)
	if want := "* OK [CAPABILITY " + capsBase + " AUTH=PLAIN] " + host + " IMAP4rev1 ready"; c.greeting != want {
		t.Fatalf("greeting\n got: %q\nwant: %q", c.greeting, want)
	}
	ts.set("HostName", "mail.example.com")
	if c := ts.dial(store.SecurityNone); !strings.HasSuffix(c.greeting, "] mail.example.com IMAP4rev1 ready") {
		t.Fatalf("with a host name: %q", c.greeting)
	}
	ts.set("WelcomeIMAP", "Hello there")
	if c := ts.dial(store.SecurityNone); !strings.HasSuffix(c.greeting, "] Hello there") {
		t.Fatalf("with a welcome message: %q", c.greeting)
	}
}

func TestCapabilitiesPerPortAndState(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct {
		name string
		sec  store.ConnectionSecurity
		want string
	}{
		{"plain_port_has_no_starttls", store.SecurityNone, capsBase + " AUTH=PLAIN"},
		{"implicit_tls", store.SecurityTLS, capsBase + " AUTH=PLAIN"},
		{"starttls_optional", store.SecuritySTARTTLSOptional, capsBase + " STARTTLS AUTH=PLAIN"},
		{"starttls_required_disables_login", store.SecuritySTARTTLSRequired, capsBase + " STARTTLS LOGINDISABLED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.forTest(t)
			c := ts.dial(tc.sec)
			c.expect("a", "CAPABILITY", "* CAPABILITY "+tc.want, "a OK CAPABILITY completed")
		})
	}
	t.Run("after_login_no_login_capabilities", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "LOGIN user@example.com secret", "a OK [CAPABILITY "+capsBase+"] LOGIN completed")
		c.expect("b", "CAPABILITY", "* CAPABILITY "+capsBase, "b OK CAPABILITY completed")
	})
	t.Run("extension_switches", func(t *testing.T) {
		ts := startServer(t)
		for _, name := range []string{"IMAPIdleEnabled", "IMAPSortEnabled", "IMAPQuotaEnabled", "IMAPACLEnabled"} {
			ts.set(name, "0")
		}
		c := ts.dial(store.SecurityNone)
		c.expect("a", "CAPABILITY",
			"* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR NAMESPACE UIDPLUS MOVE CHILDREN SPECIAL-USE ENABLE ID UNSELECT AUTH=PLAIN",
			"a OK CAPABILITY completed")
		c.login("user@example.com")
		c.expect("b", "GETQUOTAROOT INBOX", "b BAD QUOTA is disabled")
		c.expect("c", "MYRIGHTS INBOX", "c BAD ACL is disabled")
		c.expect("d", "NAMESPACE", `* NAMESPACE (("" ".")) NIL NIL`, "d OK NAMESPACE completed")
	})
}

func TestStartTLS(t *testing.T) {
	ts := startServer(t)
	t.Run("optional_port", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecuritySTARTTLSOptional)
		c.startTLS("a")
		c.expect("b", "CAPABILITY", "* CAPABILITY "+capsBase+" AUTH=PLAIN", "b OK CAPABILITY completed")
		c.expect("c", "STARTTLS", "c BAD TLS is already active")
		c.login("user@example.com")
	})
	t.Run("required_port_refuses_credentials_before_tls", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecuritySTARTTLSRequired)
		c.expect("a", "LOGIN user@example.com secret", "a NO [PRIVACYREQUIRED] STARTTLS is required")
		c.expect("b", "AUTHENTICATE PLAIN "+plain("", "user@example.com", "secret"), "b NO [PRIVACYREQUIRED] STARTTLS is required")
		c.startTLS("c")
		c.expect("d", "CAPABILITY", "* CAPABILITY "+capsBase+" AUTH=PLAIN", "d OK CAPABILITY completed")
		c.expect("e", "LOGIN user@example.com secret", "e OK [CAPABILITY "+capsBase+"] LOGIN completed")
	})
	t.Run("plain_port_has_none", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "STARTTLS", "a BAD STARTTLS is not available")
	})
	t.Run("not_after_login", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecuritySTARTTLSOptional)
		c.login("user@example.com")
		c.expect("a", "STARTTLS", "a BAD Command not valid in this state")
	})
	t.Run("pipelined_command_after_starttls_is_cut_off", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecuritySTARTTLSOptional)
		c.writeRaw("a STARTTLS\r\nb LOGIN user@example.com secret\r\n")
		if got := c.line(); got != "a OK Begin TLS negotiation now" {
			t.Fatalf("STARTTLS: %q", got)
		}
		if !c.closed() {
			t.Fatal("the connection stayed open")
		}
	})
}

func TestImplicitTLS(t *testing.T) {
	ts := startServer(t)
	c := ts.dial(store.SecurityTLS)
	if !strings.HasPrefix(c.greeting, "* OK [CAPABILITY ") {
		t.Fatalf("greeting over TLS: %q", c.greeting)
	}
	c.login("user@example.com")
	c.expect("z", "LOGOUT", "* BYE Logging out", "z OK LOGOUT completed")
	if !c.closed() {
		t.Fatal("the connection stayed open after LOGOUT")
	}
}

// plain is a SASL PLAIN response.
func plain(authz, user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(authz + "\x00" + user + "\x00" + pass))
}

func TestLogin(t *testing.T) {
	ts := startServer(t)
	ok := "a OK [CAPABILITY " + capsBase + "] LOGIN completed"
	for _, tc := range []struct {
		name, command, want string
	}{
		{"right_password", "LOGIN user@example.com secret", ok},
		{"quoted_arguments", `LOGIN "user@example.com" "secret"`, ok},
		{"literal_password", "LOGIN user@example.com {6+}\r\nsecret", ok},
		{"wrong_password", "LOGIN user@example.com wrong", "a NO [AUTHENTICATIONFAILED] Invalid user name or password"},
		{"unknown_user", "LOGIN nobody@example.com secret", "a NO [AUTHENTICATIONFAILED] Invalid user name or password"},
		{"disabled_account", "LOGIN off@example.com secret", "a NO [AUTHENTICATIONFAILED] Invalid user name or password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := ts.forTest(t)
			c := ts.dial(store.SecurityNone)
			c.expect("a", tc.command, tc.want)
		})
	}
	t.Run("synchronizing_literal_gets_a_continuation", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.write("a LOGIN {16}")
		if got := c.line(); got != "+ Ready for literal data" {
			t.Fatalf("continuation: %q", got)
		}
		c.write("user@example.com secret")
		if got := c.until("a"); !equalLines(got, []string{ok}) {
			t.Fatalf("LOGIN with a literal user name: %q", got)
		}
	})
	t.Run("pipelined_commands", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.writeRaw("a LOGIN user@example.com secret\r\nb NOOP\r\nc LOGOUT\r\n")
		got := append(c.until("a"), c.until("b")...)
		got = append(got, c.until("c")...)
		if want := []string{ok, "b OK NOOP completed", "* BYE Logging out", "c OK LOGOUT completed"}; !equalLines(got, want) {
			t.Fatalf("pipelined: %s", quoteLines(got))
		}
	})
	t.Run("login_twice_is_refused", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.login("user@example.com")
		c.expect("a", "LOGIN user@example.com secret", "a BAD Command not valid in this state")
	})
}

func TestAuthenticatePlain(t *testing.T) {
	ts := startServer(t)
	ok := "a OK [CAPABILITY " + capsBase + "] AUTHENTICATE completed"
	t.Run("initial_response", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "AUTHENTICATE PLAIN "+plain("", "user@example.com", "secret"), ok)
	})
	t.Run("same_authorization_identity", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "AUTHENTICATE PLAIN "+plain("user@example.com", "user@example.com", "secret"), ok)
	})
	t.Run("challenge", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.write("a AUTHENTICATE PLAIN")
		if got := c.line(); got != "+ " {
			t.Fatalf("challenge: %q", got)
		}
		c.write(plain("", "user@example.com", "secret"))
		if got := c.until("a"); !equalLines(got, []string{ok}) {
			t.Fatalf("after the response: %q", got)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.write("a AUTHENTICATE PLAIN")
		c.line()
		c.write("*")
		if got := c.until("a"); !equalLines(got, []string{"a BAD Authentication cancelled"}) {
			t.Fatalf("cancelled: %q", got)
		}
		c.login("user@example.com")
	})
	t.Run("wrong_password", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "AUTHENTICATE PLAIN "+plain("", "user@example.com", "wrong"), "a NO [AUTHENTICATIONFAILED] Invalid user name or password")
	})
	t.Run("another_authorization_identity", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "AUTHENTICATE PLAIN "+plain("other@example.com", "user@example.com", "secret"), "a BAD Invalid authentication data")
	})
	t.Run("bad_base64", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.write("a AUTHENTICATE PLAIN")
		c.line()
		c.write("!!!!")
		if got := c.until("a"); !equalLines(got, []string{"a BAD Invalid authentication data"}) {
			t.Fatalf("bad base64: %q", got)
		}
	})
	t.Run("empty_initial_response", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "AUTHENTICATE PLAIN =", "a BAD Invalid authentication data")
	})
	t.Run("other_mechanism", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.dial(store.SecurityNone)
		c.expect("a", "AUTHENTICATE CRAM-MD5", "a NO Unsupported authentication mechanism")
	})
}

func TestAutoBanAfterFailedLogins(t *testing.T) {
	ts := startServer(t)
	for i := range 3 {
		c := ts.dialFrom("127.0.0.2", store.SecurityNone)
		if i < 2 {
			c.expect("a", "LOGIN user@example.com wrong", "a NO [AUTHENTICATIONFAILED] Invalid user name or password")
			continue
		}
		c.expect("a", "LOGIN user@example.com wrong", "a NO [AUTHENTICATIONFAILED] Invalid user name or password")
		if got := c.line(); got != "* BYE Too many failed logins" {
			t.Fatalf("after the failure that bans: %q", got)
		}
		if !c.closed() {
			t.Fatal("the connection that got banned stayed open")
		}
	}
	if c := ts.dialFrom("127.0.0.2", store.SecurityNone); c.greeting != "" {
		t.Fatalf("a banned address was greeted: %q", c.greeting)
	}
	if c := ts.dialFrom("127.0.0.1", store.SecurityNone); !strings.HasPrefix(c.greeting, "* OK ") {
		t.Fatalf("another address is banned too: %q", c.greeting)
	}
}

func TestIPRangeWithoutIMAPGetsNoGreeting(t *testing.T) {
	ts := startServer(t)
	addr := netip.MustParseAddr("127.0.0.5")
	if _, err := ts.st.CreateIPRange(context.Background(), store.IPRange{Name: "no imap", Priority: 50, Lower: addr, Upper: addr,
		AllowSMTP: true, AllowPOP3: true}); err != nil {
		t.Fatal(err)
	}
	ts.ranges.Invalidate()
	if c := ts.dialFrom("127.0.0.5", store.SecurityNone); c.greeting != "" {
		t.Fatalf("an address whose range forbids IMAP was greeted: %q", c.greeting)
	}
	if c := ts.dialFrom("127.0.0.6", store.SecurityNone); !strings.HasPrefix(c.greeting, "* OK ") {
		t.Fatalf("another address got no greeting: %q", c.greeting)
	}
}

func TestMaxConnections(t *testing.T) {
	ts := startServer(t)
	ts.set("MaxIMAPConnections", "1")
	first := ts.dial(store.SecurityNone)
	second := ts.dial(store.SecurityNone)
	if second.greeting != "* BYE Too many connections" {
		t.Fatalf("over the limit: %q", second.greeting)
	}
	if !second.closed() {
		t.Fatal("the connection over the limit stayed open")
	}
	first.expect("z", "LOGOUT", "* BYE Logging out", "z OK LOGOUT completed")
	first.closed()
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.ActiveSessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if c := ts.dial(store.SecurityNone); !strings.HasPrefix(c.greeting, "* OK ") {
		t.Fatalf("after the first left: %q", c.greeting)
	}
}

func TestStates(t *testing.T) {
	ts := startServer(t)
	c := ts.dial(store.SecurityNone)
	c.expect("a", "NOOP", "a OK NOOP completed")
	for _, cmd := range []string{"SELECT INBOX", "LIST \"\" *", "CREATE x", "APPEND INBOX {1+}\r\nx", "ENABLE UTF8=ACCEPT", "NAMESPACE", "FETCH 1 FLAGS", "CLOSE"} {
		c.expect("b", cmd, "b BAD Command not valid in this state")
	}
	c.login("user@example.com")
	for _, cmd := range []string{"FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "EXPUNGE", "CLOSE", "UNSELECT", "UID SEARCH ALL", "COPY 1 INBOX", "CHECK"} {
		c.expect("c", cmd, "c BAD Command not valid in this state")
	}
	c.expect("d", "AUTHENTICATE PLAIN "+plain("", "user@example.com", "secret"), "d BAD Command not valid in this state")
}

func TestLogout(t *testing.T) {
	ts := startServer(t)
	c := ts.dial(store.SecurityNone)
	c.expect("a", "LOGOUT", "* BYE Logging out", "a OK LOGOUT completed")
	if !c.closed() {
		t.Fatal("the connection stayed open after LOGOUT")
	}
}

func TestIDAndEnable(t *testing.T) {
	ts := startServer(t)
	c := ts.dial(store.SecurityNone)
	c.expect("a", `ID ("name" "test client" "version" "1")`, `* ID ("name" "Mailwright" "version" "test")`, "a OK ID completed")
	c.expect("b", "ID NIL", `* ID ("name" "Mailwright" "version" "test")`, "b OK ID completed")
	c.login("user@example.com")
	c.expect("c", "ENABLE CONDSTORE UTF8=ACCEPT", "* ENABLED", "c OK ENABLE completed")
	c.expectLast("d", "SELECT INBOX", "d OK [READ-WRITE] SELECT completed")
	c.expect("e", "ENABLE CONDSTORE", "e BAD Command not valid in this state")
	c.expect("f", "ID NIL", `* ID ("name" "Mailwright" "version" "test")`, "f OK ID completed")
}

func TestLiteralLimits(t *testing.T) {
	ts := startServer(t)
	ts.set("MaxMessageSizeKB", "1")
	c := ts.login("user@example.com")
	t.Run("synchronizing_literal_over_max_message_size", func(t *testing.T) {
		c := c.forTest(t)
		c.expect("a", "APPEND INBOX {1025}", "a NO [TOOBIG] Message too large")
		// The session goes on.
		c.expect("b", "NOOP", "b OK NOOP completed")
	})
	t.Run("synchronizing_literal_within_the_limit", func(t *testing.T) {
		c := c.forTest(t)
		c.write("a APPEND INBOX {1024}")
		if got := c.line(); got != "+ Ready for literal data" {
			t.Fatalf("continuation: %q", got)
		}
		c.writeRaw(strings.Repeat("x", 1022) + "\r\n\r\n")
		got := c.until("a")
		if last := got[len(got)-1]; !strings.HasPrefix(last, "a OK [APPENDUID ") {
			t.Fatalf("APPEND of 1024 bytes: %q", got)
		}
	})
	t.Run("literal_of_another_command_over_64KiB", func(t *testing.T) {
		c := c.forTest(t)
		c.expect("a", "LOGIN {70000}", "a NO [TOOBIG] Message too large")
		c.expect("b", "NOOP", "b OK NOOP completed")
	})
	t.Run("literal_plus_over_the_limit_closes", func(t *testing.T) {
		ts := ts.forTest(t)
		c := ts.login("user@example.com")
		c.write("a APPEND INBOX {1025+}")
		if got := c.until("a"); !equalLines(got, []string{"a BAD [TOOBIG] Literal too large"}) {
			t.Fatalf("LITERAL+ too large: %q", got)
		}
		if got := c.line(); got != "* BYE Literal too large" {
			t.Fatalf("after it: %q", got)
		}
		if !c.closed() {
			t.Fatal("the connection stayed open")
		}
	})
	t.Run("no_limit_when_zero", func(t *testing.T) {
		ts := startServer(t)
		ts.set("MaxMessageSizeKB", "0")
		c := ts.login("user@example.com")
		body := strings.Repeat("y", 200*1024)
		c.write("a APPEND INBOX {" + strconv.Itoa(len(body)+2) + "+}")
		c.writeRaw(body + "\r\n\r\n")
		got := c.until("a")
		if last := got[len(got)-1]; !strings.HasPrefix(last, "a OK [APPENDUID ") {
			t.Fatalf("APPEND of 200 KiB without a limit: %q", got)
		}
	})
}

func TestLongLine(t *testing.T) {
	ts := startServer(t)
	c := ts.dial(store.SecurityNone)
	c.write("a NOOP " + strings.Repeat("x", 70*1024))
	if got := c.line(); got != "* BAD Line too long" {
		t.Fatalf("long line: %q", got)
	}
	c.expect("b", "NOOP", "b OK NOOP completed")
}

func TestTooManyInvalidCommands(t *testing.T) {
	ts := startServer(t)
	ts.set("DisconnectInvalidClients", "1")
	ts.set("MaxNumberOfInvalidCommands", "2")
	c := ts.dial(store.SecurityNone)
	for i := range 2 {
		got := c.cmd("a", "BOGUS")
		if len(got) != 1 || !strings.HasPrefix(got[0], "a BAD ") {
			t.Fatalf("invalid command %d: %q", i+1, got)
		}
	}
	got := c.cmd("a", "BOGUS")
	if len(got) != 1 || !strings.HasPrefix(got[0], "a BAD ") {
		t.Fatalf("third invalid command: %q", got)
	}
	if l := c.line(); l != "* BYE Too many invalid commands" {
		t.Fatalf("after the third: %q", l)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
	t.Run("off_by_default", func(t *testing.T) {
		ts := startServer(t)
		c := ts.dial(store.SecurityNone)
		for range 10 {
			c.cmd("a", "BOGUS")
		}
		c.expect("b", "NOOP", "b OK NOOP completed")
	})
}

func TestIdleTimeoutSaysBye(t *testing.T) {
	ts := startServer(t, withIdleTimeout(200*time.Millisecond))
	c := ts.login("user@example.com")
	if got := c.line(); got != "* BYE Autologout; idle for too long" {
		t.Fatalf("after the timeout: %q", got)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
}

func TestShutdownSaysBye(t *testing.T) {
	ts := startServer(t)
	c := ts.login("user@example.com")
	c.expectLast("a", "SELECT INBOX", "a OK [READ-WRITE] SELECT completed")
	ts.stop()
	if got := c.line(); got != "* BYE Server shutting down" {
		t.Fatalf("at shutdown: %q", got)
	}
	if !c.closed() {
		t.Fatal("the connection stayed open")
	}
}

func TestConversationLogMasksPasswords(t *testing.T) {
	ts := startServer(t)
	if err := ts.st.SetSetting(context.Background(), "LogIMAPConversations", "1"); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(store.SecurityNone)
	c.login("user@example.com")
	c.expect("z", "LOGOUT", "* BYE Logging out", "z OK LOGOUT completed")
	c.closed()
	c2 := ts.dial(store.SecurityNone)
	c2.write("a AUTHENTICATE PLAIN")
	c2.line()
	c2.write(plain("", "user@example.com", "secret"))
	c2.until("a")
	c3 := ts.dial(store.SecurityNone)
	c3.expectLast("a", "AUTHENTICATE PLAIN "+plain("", "user@example.com", "secret"), "a OK [CAPABILITY "+capsBase+"] AUTHENTICATE completed")

	log := ts.conv.String()
	for _, want := range []string{`"RECEIVED: L1 LOGIN user@example.com ***"`, `"SENT: * BYE Logging out"`,
		`"RECEIVED: a AUTHENTICATE PLAIN"`, `"RECEIVED: ***"`, `"RECEIVED: a AUTHENTICATE PLAIN ***"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the conversation log lacks %s:\n%s", want, log)
		}
	}
	for _, secret := range []string{"secret", plain("", "user@example.com", "secret")} {
		if strings.Contains(log, secret) {
			t.Errorf("the conversation log holds %q:\n%s", secret, log)
		}
	}
	t.Run("off_by_default", func(t *testing.T) {
		ts := startServer(t)
		c := ts.login("user@example.com")
		c.expect("z", "LOGOUT", "* BYE Logging out", "z OK LOGOUT completed")
		c.closed()
		if log := ts.conv.String(); log != "" {
			t.Fatalf("conversation logged while off:\n%s", log)
		}
	})
}
