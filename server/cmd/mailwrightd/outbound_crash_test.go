package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
)

// The shape of TestKill9DuringOutboundDeliveryLosesNothing's load.
const (
	outClients     = 10
	outPerClient   = 100
	outKillAfter   = 200 // messages the sink has taken before the kill: at least this many,
	outKillSpread  = 300 // plus up to this many more, chosen at random
	outSender      = "user@example.com"
	outRemoteHost  = "remote.example"
	outDrainLimit  = 90 * time.Second
	outSinkTimeout = 60 * time.Second
)

// TestKill9DuringOutboundDeliveryLosesNothing queues 1,000 messages for
// another server in a real mailwrightd, sent through the SMTP relayer
// setting to a sink on loopback, kills the daemon with SIGKILL while its
// workers are delivering them, restarts it on the same configuration and
// checks the rule for outbound mail, "at least once": every message
// reached the sink (some of those in flight at the kill twice, which is
// allowed), nothing stays queued, no queue file is left, and no bounce
// went to the sender.
//
// The sink holds every connection before its greeting until the test has
// queued all 1,000 messages, so the kill falls in delivery, not intake.
func TestKill9DuringOutboundDeliveryLosesNothing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL and SIGTERM for a separate process; Windows has neither (the service manager stops the server there)")
	}
	if testing.Short() {
		t.Skip("-short: builds mailwrightd and delivers 1,000 messages through two runs of it (several seconds)")
	}
	began := time.Now()
	sink := startOutSink(t)
	bin := buildDaemon(t)
	base := t.TempDir()
	ini := filepath.Join(base, "etc", "mailwright.ini")
	setup := exec.Command(bin, "setup", "--config", ini, "--base", base, "--admin-password-stdin")
	setup.Stdin = strings.NewReader("outbound crash test\n")
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	cfg, err := config.Load(ini)
	if err != nil {
		t.Fatal(err)
	}
	addr := useLoopbackPort(t, cfg)
	outPrepare(t, cfg, sink.port)
	t.Logf("built and set up in %v", time.Since(began).Round(time.Millisecond))

	// First run: queue everything while the sink holds the workers, let
	// them go, and kill -9 in the middle of the delivery.
	first := startCrashDaemon(t, bin, ini, addr)
	ids := outSubmitAll(t, addr)
	queuedAt := time.Now()
	if n := outQueued(t, cfg); n != len(ids) {
		t.Fatalf("%d messages queued after the submission, want %d (the sink holds every delivery)\n%s", n, len(ids), first.log.brief())
	}
	t.Logf("first run: %d messages submitted and queued in %v", len(ids), queuedAt.Sub(began).Round(time.Millisecond))

	killAt := outKillAfter + rand.IntN(outKillSpread+1)
	reached := sink.signalAt(killAt)
	sink.release()
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		first.kill(t)
		t.Fatalf("only %d of %d messages reached the sink within 60s\n%s", sink.count(), killAt, first.log.brief())
	}
	first.kill(t)
	atKill := sink.count()
	left := outQueued(t, cfg)
	t.Logf("first run: killed with SIGKILL %v after the release, the sink at %d (threshold %d); %d messages still queued",
		time.Since(queuedAt).Round(time.Millisecond), atKill, killAt, left)
	if left == 0 {
		t.Errorf("the queue was empty at the kill: the test did not kill during delivery")
	}

	// Second run: it must deliver what the first left queued.
	second := startCrashDaemon(t, bin, ini, addr)
	drained := crashWaitDrained(t, cfg, outDrainLimit, second)
	t.Logf("second run: the queue drained %v after the start", drained.Round(time.Millisecond))
	second.stop(t)

	// The verdict.
	got := sink.received()
	var lost []string
	twice := 0
	for _, id := range ids {
		switch n := got[id]; {
		case n == 0:
			lost = append(lost, id)
		case n > 1:
			twice++
		}
	}
	var unknown []string
	for id := range got {
		if !slices.Contains(ids, id) {
			unknown = append(unknown, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d queued messages never reached the sink: %v", len(lost), len(ids), crashHead(lost))
	}
	if len(unknown) > 0 {
		t.Errorf("the sink got messages that were never sent: %v", crashHead(unknown))
	}
	if errs := sink.errors(); len(errs) > 0 {
		t.Errorf("the sink saw protocol errors outside the kill: %v", crashHead(errs))
	}
	t.Logf("sink: %d transactions, %d distinct messages, %d delivered more than once (in flight at the kill)", sink.count(), len(got), twice)

	st := crashOpenStore(t, cfg)
	defer st.Close()
	ctx := context.Background()
	queued, err := st.QueuedMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) > 0 {
		t.Errorf("%d messages still queued after the drain: first %+v", len(queued), queued[0])
	}
	files, err := crashQueueFiles(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > 0 {
		var names []string
		for _, f := range files {
			names = append(names, f.rel)
		}
		t.Errorf("%d files left under queue/: %v", len(files), crashHead(names))
	}
	account, err := st.AccountByAddress(ctx, outSender)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Inbox(ctx, account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if msgs, err := st.FolderMessages(ctx, inbox.ID); err != nil || len(msgs) > 0 {
		t.Errorf("the sender's INBOX holds %d messages (bounces?), want none (%v)", len(msgs), err)
	}
	t.Logf("whole test %v", time.Since(began).Round(time.Millisecond))
}

// outPrepare adds the sender's domain and account and sends mail for other
// domains through the SMTP relayer, the sink, before the server starts.
func outPrepare(t *testing.T, cfg *config.Config, sinkPort int) {
	t.Helper()
	ctx := context.Background()
	st := crashOpenStore(t, cfg)
	defer st.Close()
	if _, err := st.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAccount(ctx, store.Account{Address: outSender, Active: true}, "outbound crash secret"); err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{
		"SMTPRelayer":     "127.0.0.1",
		"SMTPRelayerPort": strconv.Itoa(sinkPort),
		"HostName":        "mail.example.com",
	} {
		if err := st.SetSetting(ctx, name, value); err != nil {
			t.Fatal(err)
		}
	}
}

// outSubmitAll sends the 1,000 messages, from the local sender to
// recipients on another domain, over outClients sessions from 127.0.0.1,
// and returns their X-Test-Ids. Every one must be acknowledged.
func outSubmitAll(t *testing.T, addr string) []string {
	t.Helper()
	var (
		mu   sync.Mutex
		ids  []string
		errs []string
		wg   sync.WaitGroup
	)
	for c := range outClients {
		wg.Go(func() {
			cl, err := dialCrashClient(addr)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("client %d: %v", c, err))
				mu.Unlock()
				return
			}
			defer cl.close()
			for n := range outPerClient {
				id := "out-" + crashID(c, n)
				if err := outSend(cl, id); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("%s: %v", id, err))
					mu.Unlock()
					return
				}
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
			cl.cmd(221, "QUIT")
		})
	}
	crashWait(t, &wg, 60*time.Second, "the submitting clients")
	if len(errs) > 0 {
		t.Fatalf("submitting: %v", crashHead(errs))
	}
	return ids
}

func outRecipient(id string) string { return "rcpt-" + id + "@" + outRemoteHost }

func outSend(c *crashClient, id string) error {
	if _, err := c.cmd(250, "MAIL FROM:<%s>", outSender); err != nil {
		return err
	}
	if _, err := c.cmd(250, "RCPT TO:<%s>", outRecipient(id)); err != nil {
		return err
	}
	if _, err := c.cmd(354, "DATA"); err != nil {
		return err
	}
	c.conn.SetDeadline(time.Now().Add(crashIOTimeout))
	w := c.tp.DotWriter()
	text := "From: <" + outSender + ">\r\nTo: <" + outRecipient(id) + ">\r\nSubject: outbound kill -9 test " + id +
		"\r\nX-Test-Id: " + id + "\r\n\r\n" + crashBody(id)
	if _, err := io.WriteString(w, text); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if _, _, err := c.tp.ReadResponse(250); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return nil
}

// outQueued counts the queued messages in the database.
func outQueued(t *testing.T, cfg *config.Config) int {
	t.Helper()
	st := crashOpenStore(t, cfg)
	defer st.Close()
	rows, err := st.QueuedMessages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// outSink is the next server: an SMTP server on 127.0.0.1 that takes
// every message and counts the X-Test-Ids it answered 250 to. Until
// release it holds each connection before its greeting. It outlives the
// daemon it serves, so it sees both runs.
type outSink struct {
	t    *testing.T
	l    net.Listener
	port int
	hold chan struct{}

	mu      sync.Mutex
	got     map[string]int
	total   int
	target  int
	reached chan struct{}
	errs    []string
}

func startOutSink(t *testing.T) *outSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &outSink{t: t, l: l, port: l.Addr().(*net.TCPAddr).Port, hold: make(chan struct{}), got: map[string]int{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(conn) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		s.release()
		wg.Wait()
	})
	return s
}

// release lets held and later connections have their greeting.
func (s *outSink) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.hold:
	default:
		close(s.hold)
	}
}

// signalAt returns a channel closed once n messages were taken.
func (s *outSink) signalAt(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target, s.reached = n, make(chan struct{})
	if s.total >= n {
		close(s.reached)
	}
	return s.reached
}

func (s *outSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *outSink) received() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.got))
	for id, n := range s.got {
		out[id] = n
	}
	return out
}

func (s *outSink) errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

func (s *outSink) take(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[id]++
	s.total++
	if s.reached != nil && s.total == s.target {
		close(s.reached)
	}
}

func (s *outSink) fail(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// serve speaks enough SMTP for the queue's client: EHLO/HELO, MAIL, RCPT,
// DATA, RSET, NOOP, QUIT. A connection that breaks off (the daemon's
// kill) is no error.
func (s *outSink) serve(conn net.Conn) {
	defer conn.Close()
	<-s.hold
	r := bufio.NewReader(conn)
	w := bufio.NewWriter(conn)
	reply := func(line string) bool {
		conn.SetDeadline(time.Now().Add(outSinkTimeout))
		w.WriteString(line + "\r\n")
		return w.Flush() == nil
	}
	readLine := func() (string, bool) {
		conn.SetDeadline(time.Now().Add(outSinkTimeout))
		line, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		return strings.TrimRight(line, "\r\n"), true
	}
	if !reply("220 outsink ESMTP") {
		return
	}
	rcpts := 0
	for {
		line, ok := readLine()
		if !ok {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			ok = reply("250-outsink\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES")
		case "HELO":
			ok = reply("250 outsink")
		case "MAIL":
			rcpts = 0
			ok = reply("250 2.1.0 Ok")
		case "RCPT":
			rcpts++
			ok = reply("250 2.1.5 Ok")
		case "RSET":
			rcpts = 0
			ok = reply("250 2.0.0 Ok")
		case "NOOP":
			ok = reply("250 2.0.0 Ok")
		case "QUIT":
			reply("221 2.0.0 Bye")
			return
		case "DATA":
			if rcpts == 0 {
				ok = reply("503 5.5.1 No recipients")
				break
			}
			if !reply("354 End data with <CR><LF>.<CR><LF>") {
				return
			}
			id, inHeader := "", true
			for {
				l, ok := readLine()
				if !ok {
					return // cut off in the middle: not taken
				}
				if l == "." {
					break
				}
				l = strings.TrimPrefix(l, ".")
				if inHeader {
					if l == "" {
						inHeader = false
					} else if name, value, found := strings.Cut(l, ":"); found && strings.EqualFold(name, "X-Test-Id") {
						id = strings.TrimSpace(value)
					}
				}
			}
			if id == "" {
				s.fail("a message without X-Test-Id")
			}
			s.take(id)
			ok = reply("250 2.0.0 Ok: queued")
			rcpts = 0
		default:
			ok = reply("502 5.5.2 Command not recognized")
		}
		if !ok {
			return
		}
	}
}
