package rpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/miekg/dns"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1/adminv1connect"
)

// pagesEngine is an Engine that keeps its state in memory: it starts and
// stops, counts the wake-ups of its queue and reports fixed figures.
type pagesEngine struct {
	mu        sync.Mutex
	running   bool
	wakeCount int
	startErr  error
	started   time.Time
}

func newPagesEngine() *pagesEngine {
	return &pagesEngine{running: true, started: time.Unix(1_700_000_000, 0)}
}

func (e *pagesEngine) Running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.running
}

func (e *pagesEngine) StartServices() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.startErr != nil {
		return e.startErr
	}
	if e.running {
		return errors.New("already running")
	}
	e.running = true
	return nil
}

func (e *pagesEngine) StopServices() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running {
		return errors.New("not running")
	}
	e.running = false
	return nil
}

func (e *pagesEngine) Status(context.Context) EngineStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	sessions := map[string]int64{"smtp": 0, "imap": 0}
	if e.running {
		sessions["smtp"], sessions["imap"] = 2, 1
	}
	return EngineStatus{
		Version: "9.9.9-test", Started: e.started, DatabaseType: "sqlite", DatabaseLocation: "/var/lib/mailwright/mw.db",
		Counters: map[string]int64{"accepted": 7, "delivered": 5, "spam": 1},
		Sessions: sessions,
		Warnings: []string{"no host name is set"},
	}
}

func (e *pagesEngine) WakeQueue() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.wakeCount++
}

func (e *pagesEngine) wakes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wakeCount
}

func TestStatusShowsTheEngineAndTheQueue(t *testing.T) {
	engine := newPagesEngine()
	api := newTestAPI(t, func(o *Options) { o.Engine = engine })
	c := api.AsAdmin(t)
	ctx := testContext(t)
	enqueueTestMessage(t, api.Store, "a@example.org", "Subject: x\r\n\r\n", "b@example.net")
	enqueueTestMessage(t, api.Store, "a@example.org", "Subject: y\r\n\r\n", "c@example.net")

	resp, err := c.Status.GetStatus(ctx, pagesReq(&adminv1.GetStatusRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	s := resp.Msg
	if s.GetVersion() != "9.9.9-test" || s.GetStartedAt() != 1_700_000_000 || !s.GetRunning() || s.GetQueueLength() != 2 ||
		s.GetDatabaseType() != "sqlite" || s.GetDatabaseLocation() != "/var/lib/mailwright/mw.db" ||
		s.GetCounters()["accepted"] != 7 || s.GetSessions()["smtp"] != 2 || !slices.Equal(s.GetWarnings(), []string{"no host name is set"}) {
		t.Errorf("status %v", s)
	}

	stopped, err := c.Status.StopServer(ctx, pagesReq(&adminv1.StopServerRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if stopped.Msg.GetRunning() || engine.Running() || stopped.Msg.GetSessions()["smtp"] != 0 {
		t.Errorf("after StopServer: %v (engine running %v)", stopped.Msg, engine.Running())
	}
	if _, err := c.Status.StopServer(ctx, pagesReq(&adminv1.StopServerRequest{})); err != nil {
		t.Errorf("stopping a stopped server: %v", err)
	}
	started, err := c.Status.StartServer(ctx, pagesReq(&adminv1.StartServerRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if !started.Msg.GetRunning() || !engine.Running() {
		t.Errorf("after StartServer: %v", started.Msg)
	}
	if !api.LogContains("admin: mail server stopped") || !api.LogContains("admin: mail server started") {
		t.Error("start and stop are not in the log")
	}

	engine.StopServices()
	engine.mu.Lock()
	engine.startErr = errors.New("port 25 is in use")
	engine.mu.Unlock()
	_, err = c.Status.StartServer(ctx, pagesReq(&adminv1.StartServerRequest{}))
	pagesCode(t, err, connect.CodeFailedPrecondition)
	if !strings.Contains(err.Error(), "port 25 is in use") {
		t.Errorf("the error does not say why: %v", err)
	}
}

func TestStatusWithoutAnEngine(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	resp, err := c.Status.GetStatus(testContext(t), pagesReq(&adminv1.GetStatusRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Msg.GetRunning() || resp.Msg.GetDatabaseType() != "sqlite" {
		t.Errorf("status %v", resp.Msg)
	}
	_, err = c.Status.StartServer(testContext(t), pagesReq(&adminv1.StartServerRequest{}))
	pagesCode(t, err, connect.CodeUnavailable)
}

// startTestDNS serves zone (owner name → records, in zone file syntax) on
// 127.0.0.1 over UDP and returns its address. A name without records of the
// asked type gets an empty answer; a name not in the zone NXDOMAIN.
func startTestDNS(t *testing.T, zone map[string][]string) string {
	t.Helper()
	records := map[string][]dns.RR{}
	for name, texts := range zone {
		for _, text := range texts {
			rr, err := dns.NewRR(text)
			if err != nil {
				t.Fatalf("record %q: %v", text, err)
			}
			records[dns.CanonicalName(name)] = append(records[dns.CanonicalName(name)], rr)
		}
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	server := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Authoritative = true
			q := r.Question[0]
			rrs, ok := records[dns.CanonicalName(q.Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			for _, rr := range rrs {
				if rr.Header().Rrtype == q.Qtype {
					rr = dns.Copy(rr)
					rr.Header().Name = q.Name
					m.Answer = append(m.Answer, rr)
				}
			}
			w.WriteMsg(m)
		})}
	go server.ActivateAndServe()
	<-started
	t.Cleanup(func() { server.Shutdown() })
	return pc.LocalAddr().String()
}

func TestMXQueryUsesTheConfiguredDNSServer(t *testing.T) {
	dnsAddr := startTestDNS(t, map[string][]string{
		"example.test.": {
			"example.test. 300 IN MX 20 mx2.example.test.",
			"example.test. 300 IN MX 10 mx1.example.test.",
		},
		"mx1.example.test.": {"mx1.example.test. 300 IN A 192.0.2.1"},
		"mx2.example.test.": {"mx2.example.test. 300 IN A 192.0.2.2", "mx2.example.test. 300 IN AAAA 2001:db8::2"},
		"nomx.test.":        {"nomx.test. 300 IN A 192.0.2.9"},
		"nothing.test.":     {"nothing.test. 300 IN TXT \"no mail here\""},
		"nullmx.test.":      {"nullmx.test. 300 IN MX 0 ."},
		"lost-hosts.test.":  {"lost-hosts.test. 300 IN MX 5 gone.lost-hosts.test."},
	})
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	if _, err := c.Settings.SetSettings(testContext(t), pagesReq(&adminv1.SetSettingsRequest{Values: map[string]string{"DNSServer": dnsAddr}})); err != nil {
		t.Fatal(err)
	}

	format := func(hosts []*adminv1.MXHost) string {
		var parts []string
		for _, h := range hosts {
			parts = append(parts, fmt.Sprintf("%d %s %v", h.GetPreference(), h.GetHost(), h.GetAddresses()))
		}
		return strings.Join(parts, "; ")
	}
	for _, tc := range []struct {
		name, address, want string
		code                connect.Code
		field               string
	}{
		{name: "address_gives_its_domains_mx_hosts_by_preference", address: "someone@example.test",
			want: "10 mx1.example.test [192.0.2.1]; 20 mx2.example.test [192.0.2.2 2001:db8::2]"},
		{name: "bare_domain", address: "Example.Test", want: "10 mx1.example.test [192.0.2.1]; 20 mx2.example.test [192.0.2.2 2001:db8::2]"},
		{name: "no_mx_falls_back_to_the_domains_addresses", address: "a@nomx.test", want: "0 nomx.test [192.0.2.9]"},
		{name: "null_mx", address: "nullmx.test", want: "0 . []"},
		{name: "mx_host_without_addresses_is_listed_without_any", address: "lost-hosts.test", want: "5 gone.lost-hosts.test []"},
		{name: "no_mx_and_no_address_is_not_found", address: "nothing.test", code: connect.CodeNotFound},
		{name: "unknown_domain_is_not_found", address: "user@unknown.test", code: connect.CodeNotFound},
		{name: "invalid_address", address: "a@b@", code: connect.CodeInvalidArgument, field: "address"},
		{name: "domain_without_dot", address: "localhost", code: connect.CodeInvalidArgument, field: "address"},
		{name: "oversized_address", address: strings.Repeat("a", 300) + ".test", code: connect.CodeInvalidArgument, field: "address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Status.MXQuery(testContext(t), pagesReq(&adminv1.MXQueryRequest{Address: tc.address}))
			if tc.field != "" {
				pagesFieldError(t, err, tc.field)
				return
			}
			if tc.code != 0 {
				pagesCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := format(resp.Msg.GetHosts()); got != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// http1Recorder is an HTTP/1.1-only transport that pins the test API's
// certificate and records the protocol of each response.
type http1Recorder struct {
	transport *http.Transport
	mu        sync.Mutex
	protocols []string
}

func newHTTP1Recorder(api *testAPI) *http1Recorder {
	return &http1Recorder{transport: &http.Transport{
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{}, // no HTTP/2
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: true, // checked by VerifyConnection against the pinned fingerprint
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 || Fingerprint(cs.PeerCertificates[0]) != api.Fingerprint {
					return errors.New("not the test API's certificate")
				}
				return nil
			},
		},
	}}
}

func (r *http1Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.transport.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.protocols = append(r.protocols, resp.Proto)
		r.mu.Unlock()
	}
	return resp, err
}

func (r *http1Recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.protocols)
}

// followLogHTTP1 opens FollowLog over HTTP/1.1 with a session token.
func followLogHTTP1(t *testing.T, api *testAPI, recorder *http1Recorder, token string, msg *adminv1.FollowLogRequest) *connect.ServerStreamForClient[adminv1.LogLine] {
	t.Helper()
	t.Cleanup(recorder.transport.CloseIdleConnections)
	client := adminv1connect.NewStatusServiceClient(&http.Client{Transport: recorder}, api.URL)
	request := pagesReq(msg)
	request.Header().Set("Authorization", "Bearer "+token)
	stream, err := client.FollowLog(testContext(t), request)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stream.Close() })
	return stream
}

// logUntil logs text with a counter every few milliseconds until stop is
// closed: the stream may not have subscribed yet when the first ones go.
func logUntil(api *testAPI, text string, stop <-chan struct{}) {
	for i := 0; ; i++ {
		api.Options.Log.Info(text, "n", i)
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestFollowLogStreamsOverHTTP1(t *testing.T) {
	api := newTestAPI(t)
	token := api.AsAdmin(t).Token()
	recorder := newHTTP1Recorder(api)
	// Connect's Go client returns from FollowLog once the server answers,
	// which is with the first line: log before calling it.
	stop := make(chan struct{})
	go logUntil(api, "a fresh line while following", stop)
	defer close(stop)
	api.Options.Log.Info("an unrelated line")
	stream := followLogHTTP1(t, api, recorder, token, &adminv1.FollowLogRequest{Filter: "FRESH LINE"})

	var got *adminv1.LogLine
	for stream.Receive() {
		if strings.Contains(stream.Msg().GetText(), "unrelated") {
			t.Errorf("the filter let through %q", stream.Msg().GetText())
		}
		if stream.Msg().GetMessage() == "a fresh line while following" {
			got = stream.Msg()
			break
		}
	}
	if got == nil {
		t.Fatalf("the stream ended without the line: %v", stream.Err())
	}
	if got.GetLevel() != "INFO" || got.GetTimeUnixNano() == 0 || !strings.Contains(got.GetText(), "n=") {
		t.Errorf("line %v", got)
	}
	if protocols := recorder.seen(); len(protocols) == 0 || slices.ContainsFunc(protocols, func(p string) bool { return p != "HTTP/1.1" }) {
		t.Errorf("responses came over %v, want HTTP/1.1 only", protocols)
	}
}

func TestFollowLogBacklogComesFirst(t *testing.T) {
	api := newTestAPI(t)
	token := api.AsAdmin(t).Token() // logging in logs too
	for i := range 3 {
		api.Options.Log.Info("backlog line", "i", i)
	}
	stream := followLogHTTP1(t, api, newHTTP1Recorder(api), token, &adminv1.FollowLogRequest{Backlog: 2, Filter: "backlog line"})
	for _, want := range []string{"i=1", "i=2"} {
		if !stream.Receive() {
			t.Fatalf("the stream ended: %v", stream.Err())
		}
		if !strings.Contains(stream.Msg().GetText(), want) {
			t.Errorf("backlog line %q, want %s", stream.Msg().GetText(), want)
		}
	}
}

func TestFollowLogSlowReaderDoesNotBlockLogging(t *testing.T) {
	api := newTestAPI(t)
	token := api.AsAdmin(t).Token()

	// Read one line, proving the subscription is in place.
	stop := make(chan struct{})
	go logUntil(api, "first line", stop)
	stream := followLogHTTP1(t, api, newHTTP1Recorder(api), token, &adminv1.FollowLogRequest{Filter: "line"})
	if !stream.Receive() {
		close(stop)
		t.Fatalf("no first line: %v", stream.Err())
	}
	close(stop)

	// The reader now reads nothing while the server logs 10,000 lines.
	const lines = 10_000
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		for i := range lines {
			api.Options.Log.Info("slow reader line", "i", i)
		}
	}()
	select {
	case <-logged:
	case <-testContext(t).Done():
		t.Fatal("logging blocked behind a reader that does not read")
	}

	// Reading again, the reader gets lines: all of them up to the last,
	// or a marker where some were dropped.
	last := fmt.Sprintf("i=%d", lines-1)
	var received, dropped int
	for stream.Receive() {
		msg := stream.Msg()
		if strings.Contains(msg.GetMessage(), "lines dropped") {
			dropped++
			break
		}
		received++
		if msg.GetMessage() == "slow reader line" && strings.HasSuffix(msg.GetText(), last) {
			break
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("received %d lines before the end or a drop marker (%d markers)", received, dropped)
	if received == 0 && dropped == 0 {
		t.Error("the reader got neither lines nor a drop marker")
	}

	// And the stream still works.
	stop = make(chan struct{})
	go logUntil(api, "line after the flood", stop)
	defer close(stop)
	for stream.Receive() {
		if stream.Msg().GetMessage() == "line after the flood" {
			return
		}
	}
	t.Fatalf("the stream ended: %v", stream.Err())
}
