package queue

import (
	"context"
	"fmt"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/dns"
	"github.com/mailwright/mailwright/server/dns/dnstest"
	"github.com/mailwright/mailwright/server/routing"
	"github.com/mailwright/mailwright/store"
)

// remoteWorld is a store with local accounts on example.com, a DNS server
// whose MX hosts all point at 127.0.0.1, and a test peer that the router
// reaches on its port in place of 25.
type remoteWorld struct {
	t        *testing.T
	st       *store.Store
	accounts []store.Account
	zone     *dnstest.Server
	peer     *testPeer
	router   *routing.Router
	logs     logBuffer
}

// remoteZone is what the world's DNS server holds.
var remoteZone = []string{
	"example.net. MX 10 mx.example.net.",
	"mx.example.net. A 127.0.0.1",
	// Another domain served by the same mail server.
	"example.org. MX 10 mx.example.net.",
	"nullmx.test. MX 0 .",
}

func newRemoteWorld(t *testing.T, locals ...string) *remoteWorld {
	t.Helper()
	st, accounts := newTestStore(t, locals...)
	w := &remoteWorld{t: t, st: st, accounts: accounts, zone: dnstest.NewServer(t, remoteZone...), peer: startPeer(t)}
	w.zone.ServFail("broken.test")
	w.settings(map[string]string{"HostName": "mail.example.com"})
	w.router = w.newRouter(routing.WithMXPort(w.peer.port))
	return w
}

func (w *remoteWorld) newRouter(opts ...routing.Option) *routing.Router {
	return routing.NewRouter(w.st, dns.NewResolver(w.zone.Addr, 2*time.Second), nil, opts...)
}

func (w *remoteWorld) settings(values map[string]string) {
	w.t.Helper()
	for name, value := range values {
		if err := w.st.SetSetting(context.Background(), name, value); err != nil {
			w.t.Fatal(err)
		}
	}
}

// queue is a queue of the world, polling often and retrying at once when
// the settings say 0 minutes.
func (w *remoteWorld) queue(node string, opts Options) *Queue {
	if opts.Router == nil {
		opts.Router = w.router
	}
	opts.Worker, opts.Log = node, w.logs.logger()
	if opts.PollInterval == 0 {
		opts.PollInterval = 20 * time.Millisecond
	}
	return New(w.st, opts)
}

// accept queues one message.
func (w *remoteWorld) accept(q *Queue, from string, rcpts []Recipient, text string) {
	w.t.Helper()
	if _, _, err := q.Accept(context.Background(), from, rcpts, strings.NewReader(text)); err != nil {
		w.t.Fatal(err)
	}
}

// deliverAll accepts a message, runs a queue until the queue is empty, and
// stops it.
func (w *remoteWorld) deliverAll(opts Options, from string, rcpts []Recipient, text string) {
	w.t.Helper()
	q := w.queue("node", opts)
	w.accept(q, from, rcpts, text)
	r := start(w.t, q)
	waitDrained(w.t, w.st, 20*time.Second)
	r.stop(w.t)
}

// bounce returns the one message in account's INBOX, a bounce, parsed.
func (w *remoteWorld) bounce(account store.Account) (text string, perRecipient []textproto.MIMEHeader) {
	w.t.Helper()
	_, contents := inbox(w.t, w.st, account.ID)
	if len(contents) != 1 {
		w.t.Fatalf("%s has %d messages, want one bounce:\n%s", account.Address, len(contents), w.logs.String())
	}
	_, parts := parseBounce(w.t, contents[0])
	_, reports := recipientReports(w.t, parts[1].body)
	return parts[0].body, reports
}

// waitFor polls cond until it holds, for at most 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func external(address string) Recipient {
	return Recipient{Address: address, OriginalAddress: address}
}

const remoteText = "From: sender@example.com\r\nTo: bob@example.net\r\nSubject: remote\r\n\r\n" +
	"first line\r\n.a line that starts with a dot\r\n..two dots\r\n\r\nlast line\r\n"

func TestRemoteDeliveryByMXArrivesByteForByteInOneTransactionPerHost(t *testing.T) {
	w := newRemoteWorld(t, "sender", "alice")
	sender, alice := w.accounts[0], w.accounts[1]
	// Three recipients in two domains whose MX is the same server, and a
	// local one.
	w.deliverAll(Options{}, sender.Address,
		[]Recipient{external("bob@example.net"), rcpt(alice), external("carol@example.org"), external("dave@example.net")}, remoteText)

	got := w.peer.Messages()
	if len(got) != 1 || w.peer.Sessions() != 1 {
		t.Fatalf("the peer got %d messages in %d sessions, want one transaction:\n%s", len(got), w.peer.Sessions(), w.logs.String())
	}
	m := got[0]
	if m.Data != remoteText {
		t.Errorf("the peer got\n%q\nwant the accepted bytes\n%q", m.Data, remoteText)
	}
	if m.From != sender.Address || m.Helo != "mail.example.com" {
		t.Errorf("MAIL FROM %q after EHLO %q, want %q after mail.example.com", m.From, m.Helo, sender.Address)
	}
	// Grouped by domain, the domains in the order they come.
	if want := []string{"bob@example.net", "dave@example.net", "carol@example.org"}; !slices.Equal(m.To, want) {
		t.Errorf("recipients %q, want %q", m.To, want)
	}
	if _, contents := inbox(t, w.st, alice.ID); len(contents) != 1 {
		t.Errorf("the local recipient has %d messages, want 1", len(contents))
	}
	if _, contents := inbox(t, w.st, sender.ID); len(contents) != 0 {
		t.Errorf("the sender got %d messages, want no bounce", len(contents))
	}
	log := w.logs.String()
	for _, want := range []string{
		`msg="remote delivery attempt"`, "host=mx.example.net", "address=127.0.0.1:" + fmt.Sprint(w.peer.port),
		`recipients=bob@example.net,dave@example.net,carol@example.org`, "try=1 delivered=3 failed=0 deferred=0",
		`recipient=carol@example.org host=mx.example.net address=127.0.0.1 reply="250 2.0.0 Ok: queued"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}

func TestRemoteDeliveryByRouteAuthenticatesWithTheRoutesCredentials(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.accounts = map[string]string{"routeuser": "route-Secret-9"}
	// routed.test has no DNS records at all: only the route can reach it.
	_, err := w.st.CreateRoute(context.Background(), store.Route{Domain: "*.routed.test", TargetHost: "127.0.0.1", TargetPort: int(w.peer.port),
		Security: store.SecurityNone, RequiresAuth: true, Username: "routeuser", Password: "route-Secret-9", AllAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	w.deliverAll(Options{}, w.accounts[0].Address, []Recipient{external("x@mail.routed.test")}, remoteText)
	got := w.peer.Messages()
	if len(got) != 1 || got[0].AuthUser != "routeuser" || got[0].Data != remoteText {
		t.Fatalf("the peer got %+v, want the message after AUTH as routeuser:\n%s", got, w.logs.String())
	}
	if log := w.logs.String(); !strings.Contains(log, "via=route") || strings.Contains(log, "route-Secret-9") {
		t.Errorf("the log does not name the route, or shows its password:\n%s", log)
	}
}

func TestRemoteDeliveryGoesThroughTheRelayerWithItsCredentials(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.accounts = map[string]string{"isp-user": "isp-Secret-7"}
	w.zone.Add("smtp.isp.test. A 127.0.0.1")
	w.settings(map[string]string{"SMTPRelayer": "smtp.isp.test", "SMTPRelayerPort": fmt.Sprint(w.peer.port),
		"SMTPRelayerRequiresAuth": "1", "SMTPRelayerUsername": "isp-user", "SMTPRelayerPassword": "isp-Secret-7", "SMTPRelayerSecurity": "0"})
	// Neither domain has DNS records: the relayer takes both, in one
	// transaction.
	w.deliverAll(Options{}, w.accounts[0].Address, []Recipient{external("a@nowhere.test"), external("b@elsewhere.test")}, remoteText)
	got := w.peer.Messages()
	if len(got) != 1 || got[0].AuthUser != "isp-user" || !slices.Equal(got[0].To, []string{"a@nowhere.test", "b@elsewhere.test"}) {
		t.Fatalf("the relayer got %+v, want one transaction for both after AUTH:\n%s", got, w.logs.String())
	}
	if log := w.logs.String(); !strings.Contains(log, "via=relayer") || !strings.Contains(log, "host=smtp.isp.test") {
		t.Errorf("the log does not show the relayer:\n%s", log)
	}
}

func TestRefusedAuthenticationBouncesWithoutThePassword(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.accounts = map[string]string{"routeuser": "the-right-one"}
	_, err := w.st.CreateRoute(context.Background(), store.Route{Domain: "routed.test", TargetHost: "127.0.0.1", TargetPort: int(w.peer.port),
		Security: store.SecurityNone, RequiresAuth: true, Username: "routeuser", Password: "Wr0ng-Passw0rd", AllAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	// No retries: the first refusal is the last.
	w.settings(map[string]string{"SMTPNoOfTries": "0"})
	w.deliverAll(Options{}, w.accounts[0].Address, []Recipient{external("x@routed.test")}, remoteText)
	text, reports := w.bounce(w.accounts[0])
	for _, want := range []string{"Mailwright sent: AUTH\r\n", "Remote server replied: 535 5.7.8 Authentication credentials invalid\r\n", "Tried 1 time(s)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the bounce lacks %q:\n%s", want, text)
		}
	}
	if len(reports) != 1 || reports[0].Get("Status") != "5.7.8" {
		t.Errorf("reports %v, want one with Status 5.7.8", reports)
	}
	_, contents := inbox(t, w.st, w.accounts[0].ID)
	for where, s := range map[string]string{"bounce": contents[0], "log": w.logs.String()} {
		if strings.Contains(s, "Wr0ng-Passw0rd") {
			t.Errorf("the %s shows the route's password:\n%s", where, s)
		}
	}
}

// queuedMessage returns the only queued message.
func queuedMessage(t *testing.T, st *store.Store) (store.QueuedMessage, bool) {
	t.Helper()
	rows, err := st.QueuedMessages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		return store.QueuedMessage{}, false
	}
	m, err := st.QueuedMessage(context.Background(), rows[0].ID)
	if err != nil {
		return store.QueuedMessage{}, false
	}
	return m, true
}

func TestTemporaryFailureIsRetriedAfterTheMinutesBetweenTries(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.rcptReply = func(address string, n int) string {
		if n == 1 {
			return "451 4.7.1 Greylisted, come back later"
		}
		return ""
	}
	w.settings(map[string]string{"SMTPMinutesBetweenTry": "2"})
	// A "minute" of an hour: nothing is retried unless the test says so.
	q := w.queue("node", Options{RetryUnit: time.Hour})
	w.accept(q, w.accounts[0].Address, []Recipient{external("bob@example.net")}, remoteText)
	before := time.Now()
	r := start(t, q)

	var m store.QueuedMessage
	waitFor(t, "the first try is recorded", func() bool {
		var ok bool
		m, ok = queuedMessage(t, w.st)
		return ok && m.TryCount == 1
	})
	rcpt := m.Recipients[0]
	if rcpt.Status != store.RecipientPending || !strings.HasPrefix(rcpt.LastReply, "451 4.7.1 Greylisted, come back later [tries 1; remote mx.example.net (127.0.0.1); sent RCPT TO:<bob@example.net>]") {
		t.Errorf("after the first try the recipient has status %d and last reply %q", rcpt.Status, rcpt.LastReply)
	}
	if next := time.Unix(m.NextTryAt, 0); next.Before(before.Add(2*time.Hour-time.Second)) || next.After(time.Now().Add(2*time.Hour+time.Second)) {
		t.Errorf("the next try is at %v, want two \"minutes\" (hours here) after %v", next, before)
	}
	if len(w.peer.Messages()) != 0 {
		t.Fatal("the peer got the message at the first try")
	}

	// The administrator's "send now".
	if err := w.st.SetNextTry(context.Background(), m.ID, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	q.Wake()
	waitDrained(t, w.st, 20*time.Second)
	r.stop(t)
	if got := w.peer.Messages(); len(got) != 1 || !slices.Equal(got[0].To, []string{"bob@example.net"}) {
		t.Errorf("the peer got %+v, want the message once at the second try", got)
	}
	if n := w.peer.RcptCount("bob@example.net"); n != 2 {
		t.Errorf("bob was given %d times, want 2", n)
	}
	if !strings.Contains(w.logs.String(), `msg="delivery deferred"`) {
		t.Errorf("the deferral is not logged:\n%s", w.logs.String())
	}
}

func TestTriesExhaustedBounceSaysWhatWasTriedAndReplied(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.rcptReply = func(address string, n int) string { return "452 4.2.2 Mailbox full, try later" }
	// One retry, at once: two tries.
	w.settings(map[string]string{"SMTPNoOfTries": "1", "SMTPMinutesBetweenTry": "0"})
	w.deliverAll(Options{}, w.accounts[0].Address, []Recipient{external("bob@example.net")}, remoteText)

	if n := w.peer.RcptCount("bob@example.net"); n != 2 {
		t.Errorf("bob was tried %d times, want 2", n)
	}
	text, reports := w.bounce(w.accounts[0])
	for _, want := range []string{
		"bob@example.net\r\n",
		"   Remote server mx.example.net (127.0.0.1) issued an error.\r\n",
		"   Mailwright sent: RCPT TO:<bob@example.net>\r\n",
		"   Remote server replied: 452 4.2.2 Mailbox full, try later\r\n",
		"   Tried 2 time(s)\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the bounce's text lacks %q:\n%s", want, text)
		}
	}
	if len(reports) != 1 {
		t.Fatalf("%d recipient reports, want 1", len(reports))
	}
	for field, want := range map[string]string{
		"Final-Recipient": "rfc822; bob@example.net",
		"Action":          "failed",
		"Status":          "5.2.2",
		"Remote-MTA":      "dns; mx.example.net",
		"Diagnostic-Code": "smtp; 452 4.2.2 Mailbox full, try later",
	} {
		if got := reports[0].Get(field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
}

func TestOneRefusedRecipientIsBouncedAndTheDeliveredOneNeverSentAgain(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.rcptReply = func(address string, n int) string {
		switch {
		case address == "nobody@example.net":
			return "550 5.1.1 No such user here"
		case address == "later@example.net" && n == 1:
			return "450 4.2.1 Try again later"
		}
		return ""
	}
	w.settings(map[string]string{"SMTPMinutesBetweenTry": "0"})
	w.deliverAll(Options{}, w.accounts[0].Address,
		[]Recipient{external("ok@example.net"), external("nobody@example.net"), external("later@example.net")}, remoteText)

	got := w.peer.Messages()
	if len(got) != 2 || !slices.Equal(got[0].To, []string{"ok@example.net"}) || !slices.Equal(got[1].To, []string{"later@example.net"}) {
		t.Fatalf("the peer got %+v, want ok at the first try and only later at the second:\n%s", got, w.logs.String())
	}
	for address, want := range map[string]int{"ok@example.net": 1, "nobody@example.net": 1, "later@example.net": 2} {
		if n := w.peer.RcptCount(address); n != want {
			t.Errorf("%s was given %d times, want %d", address, n, want)
		}
	}
	text, reports := w.bounce(w.accounts[0])
	if len(reports) != 1 || reports[0].Get("Final-Recipient") != "rfc822; nobody@example.net" || reports[0].Get("Status") != "5.1.1" ||
		reports[0].Get("Diagnostic-Code") != "smtp; 550 5.1.1 No such user here" || reports[0].Get("Remote-MTA") != "dns; mx.example.net" {
		t.Errorf("recipient reports %v, want nobody's alone with the remote reply", reports)
	}
	for _, want := range []string{"Mailwright sent: RCPT TO:<nobody@example.net>", "Remote server replied: 550 5.1.1 No such user here", "Tried 1 time(s)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the bounce lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "ok@example.net") || strings.Contains(text, "later@example.net") {
		t.Errorf("the bounce names a delivered recipient:\n%s", text)
	}
}

func TestDeliveryToThisServerIsRefusedWithTheManualsText(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	// Port 25 on every address is one of the store's SMTP ports, and
	// example.net's MX host is 127.0.0.1.
	w.deliverAll(Options{Router: w.newRouter(routing.WithMXPort(25))}, w.accounts[0].Address, []Recipient{external("bob@example.net")}, remoteText)
	if n := w.peer.Sessions(); n != 0 {
		t.Errorf("the peer had %d connections", n)
	}
	text, reports := w.bounce(w.accounts[0])
	if !strings.Contains(text, "bob@example.net\r\n   The mail server software tried to deliver e-mail to the local machine\r\n   Tried 1 time(s)") {
		t.Errorf("the bounce does not give the manual's reason:\n%s", text)
	}
	if len(reports) != 1 || reports[0].Get("Status") != "5.4.6" {
		t.Errorf("reports %v, want Status 5.4.6 (routing loop)", reports)
	}
	if log := w.logs.String(); !strings.Contains(log, "it would loop to this server") {
		t.Errorf("the loop is not logged:\n%s", log)
	}
}

func TestMaxRecipientsInBatchSplitsTheTransactions(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.settings(map[string]string{"MaxRecipientsInBatch": "2"})
	w.deliverAll(Options{}, w.accounts[0].Address,
		[]Recipient{external("a@example.net"), external("b@example.net"), external("c@example.org")}, remoteText)
	got := w.peer.Messages()
	if len(got) != 2 || w.peer.Sessions() != 2 || !slices.Equal(got[0].To, []string{"a@example.net", "b@example.net"}) || !slices.Equal(got[1].To, []string{"c@example.org"}) {
		t.Fatalf("the peer got %+v in %d sessions, want two transactions of 2 and 1 recipients", got, w.peer.Sessions())
	}
	for _, m := range got {
		if m.Data != remoteText {
			t.Errorf("a batch's message differs: %q", m.Data)
		}
	}
}

func TestAnUnreachableHostIsSkippedForTheNextOne(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	// The first MX host answers 421 at once, the second takes the mail.
	w.zone.Add("twohosts.test. MX 10 busy.twohosts.test.", "twohosts.test. MX 20 ok.twohosts.test.",
		"busy.twohosts.test. A 127.0.0.2", "ok.twohosts.test. A 127.0.0.1")
	busy := startPeerOn(t, "127.0.0.2", w.peer.port)
	if busy == nil {
		t.Skip("127.0.0.2 cannot be bound here")
	}
	busy.greeting = func(int) string { return "421 4.3.2 Too busy, try another server" }
	w.deliverAll(Options{}, w.accounts[0].Address, []Recipient{external("x@twohosts.test")}, remoteText)
	if busy.Sessions() != 1 || len(w.peer.Messages()) != 1 {
		t.Errorf("the busy host had %d sessions and the other got %d messages, want 1 and 1:\n%s", busy.Sessions(), len(w.peer.Messages()), w.logs.String())
	}
}

func TestDNSFailuresArePermanentOrWaitForTheNextTry(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	q := w.queue("node", Options{RetryUnit: time.Hour})
	w.accept(q, w.accounts[0].Address, []Recipient{external("a@nowhere.test"), external("b@nullmx.test"), external("c@broken.test")}, remoteText)
	r := start(t, q)
	var m store.QueuedMessage
	waitFor(t, "the first try is recorded", func() bool {
		var ok bool
		m, ok = queuedMessage(t, w.st)
		return ok && m.TryCount == 1
	})
	r.stop(t)
	want := []struct {
		status int
		reply  string
	}{
		{store.RecipientFailed, "550 5.1.2 "},
		{store.RecipientFailed, "556 5.1.10 "},
		{store.RecipientPending, "451 4.4.3 "},
	}
	for i, rc := range m.Recipients {
		if rc.Status != want[i].status || !strings.HasPrefix(rc.LastReply, want[i].reply) || !strings.HasSuffix(rc.LastReply, " [tries 1]") {
			t.Errorf("%s: status %d, reply %q; want status %d and a reply starting %q", rc.Address, rc.Status, rc.LastReply, want[i].status, want[i].reply)
		}
	}
}

func TestTwoNodesNeverSendTheSameMessageTwice(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.dataDelay = 20 * time.Millisecond
	nodes := []*Queue{
		w.queue("node-a", Options{Workers: 4, Lease: 2 * time.Second}),
		w.queue("node-b", Options{Workers: 4, Lease: 2 * time.Second}),
	}
	for _, q := range nodes {
		start(t, q)
	}
	const messages = 40
	for i := range messages {
		text := fmt.Sprintf("Subject: token-%d\r\n\r\nbody %d\r\n", i, i)
		w.accept(nodes[i%2], w.accounts[0].Address, []Recipient{external("bob@example.net"), external("carol@example.org")}, text)
	}
	waitDrained(t, w.st, 30*time.Second)
	seen := map[string]int{}
	for _, m := range w.peer.Messages() {
		seen[m.Data]++
	}
	if len(seen) != messages {
		t.Errorf("the peer got %d different messages, want %d", len(seen), messages)
	}
	for data, n := range seen {
		if n != 1 {
			t.Errorf("the peer got %d times: %q", n, data)
		}
	}
}

func TestADeliveryLongerThanTheLeaseKeepsItAndIsNotSentTwice(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	// The peer thinks for longer than a lease lasts.
	w.peer.dataDelay = 3 * time.Second
	for _, node := range []string{"node-a", "node-b"} {
		start(t, w.queue(node, Options{Workers: 2, Lease: 2 * time.Second}))
	}
	w.accept(w.queue("acceptor", Options{}), w.accounts[0].Address, []Recipient{external("bob@example.net")}, remoteText)
	waitDrained(t, w.st, 30*time.Second)
	if n := len(w.peer.Messages()); n != 1 || w.peer.Sessions() != 1 {
		t.Errorf("the peer got %d messages in %d sessions, want 1 in 1:\n%s", n, w.peer.Sessions(), w.logs.String())
	}
}

func TestAServerThatCannotBeReachedIsRetriedThenBounced(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	w.settings(map[string]string{"SMTPNoOfTries": "1", "SMTPMinutesBetweenTry": "0"})
	w.deliverAll(Options{Router: w.newRouter(routing.WithMXPort(uint16(port)))}, w.accounts[0].Address, []Recipient{external("bob@example.net")}, remoteText)
	text, reports := w.bounce(w.accounts[0])
	for _, want := range []string{
		"bob@example.net\r\n   Delivery to the recipient's server mx.example.net (127.0.0.1) failed: connect: ",
		"connection refused\r\n   Tried 2 time(s)\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the bounce lacks %q:\n%s", want, text)
		}
	}
	if len(reports) != 1 || reports[0].Get("Status") != "5.4.1" || reports[0].Get("Remote-MTA") != "dns; mx.example.net" {
		t.Errorf("reports %v, want Status 5.4.1 (no answer from host) from mx.example.net", reports)
	}
	if log := w.logs.String(); strings.Count(log, `msg="remote delivery attempt"`) != 2 || !strings.Contains(log, `msg="delivery deferred"`) {
		t.Errorf("the log does not show two attempts and a deferral:\n%s", log)
	}
}

// The case: a peer that answers 452 twice and then 250 gets the
// message at the third try, each try on schedule ("minutes" are seconds
// here: next tries are stored in whole seconds), and the sender gets no
// bounce.
func TestA452TwiceThen250IsDeliveredOnTheThirdScheduledTry(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	var tries []time.Time
	var mu sync.Mutex
	w.peer.rcptReply = func(address string, n int) string {
		mu.Lock()
		tries = append(tries, time.Now())
		mu.Unlock()
		if n <= 2 {
			return "452 4.2.2 Mailbox full, try later"
		}
		return ""
	}
	w.settings(map[string]string{"SMTPMinutesBetweenTry": "2"})
	w.deliverAll(Options{RetryUnit: time.Second, PollInterval: 50 * time.Millisecond}, w.accounts[0].Address,
		[]Recipient{external("bob@example.net")}, remoteText)
	if got := w.peer.Messages(); len(got) != 1 {
		t.Fatalf("the peer got %d messages, want 1", len(got))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tries) != 3 {
		t.Fatalf("%d tries, want 3", len(tries))
	}
	for i := 1; i < len(tries); i++ {
		// Two "minutes" of a second each, less up to a second of rounding
		// to whole seconds: never sooner than one second.
		if gap := tries[i].Sub(tries[i-1]); gap < 900*time.Millisecond {
			t.Errorf("try %d came %v after the one before, want the two-\"minute\" wait", i+1, gap)
		}
	}
	if _, contents := inbox(t, w.st, w.accounts[0].ID); len(contents) != 0 {
		t.Errorf("the sender got %d bounces for a message that was delivered", len(contents))
	}
}

// Four recipients of which one is refused: only that one is bounced, and
// the three delivered ones are never sent again.
func TestFourRecipientsOneRefusedOnlyThatOneBounces(t *testing.T) {
	w := newRemoteWorld(t, "sender")
	w.peer.rcptReply = func(address string, n int) string {
		if address == "c@example.net" {
			return "550 5.1.1 No such user here"
		}
		return ""
	}
	rcpts := []Recipient{external("a@example.net"), external("b@example.net"), external("c@example.net"), external("d@example.net")}
	w.deliverAll(Options{}, w.accounts[0].Address, rcpts, remoteText)
	for _, r := range rcpts {
		if n := w.peer.RcptCount(r.Address); n != 1 {
			t.Errorf("%s was given %d times, want 1", r.Address, n)
		}
	}
	_, reports := w.bounce(w.accounts[0])
	if len(reports) != 1 || reports[0].Get("Final-Recipient") != "rfc822; c@example.net" {
		t.Errorf("recipient reports %v, want c's alone", reports)
	}
}
