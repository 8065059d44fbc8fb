package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
)

// The shape of TestKill9DuringSMTPStreamLosesNothing's load.
const (
	crashClients    = 10
	crashPerClient  = 100
	crashKillAfter  = 300 // acknowledged messages before the kill: at least this many,
	crashKillSpread = 200 // plus up to this many more, chosen at random
	crashRecipient  = "user@example.com"
	crashSender     = "sender@example.net"
)

// TestKill9DuringSMTPStreamLosesNothing streams messages from concurrent
// SMTP clients into a real mailwrightd process, kills it with SIGKILL
// while they are still sending, restarts it on the same configuration and
// checks the rule "Nothing accepted is lost": every message that got a 250
// is in the INBOX exactly once, intact; a message that was being sent when
// the server died is there at most once; nothing is left queued.
func TestKill9DuringSMTPStreamLosesNothing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL and SIGTERM for a separate process; Windows has neither (the service manager stops the server there)")
	}
	if testing.Short() {
		t.Skip("-short: builds mailwrightd and streams 1,000 messages through two runs of it (several seconds)")
	}
	began := time.Now()
	bin := buildDaemon(t)
	base := t.TempDir()
	ini := filepath.Join(base, "etc", "mailwright.ini")
	setup := exec.Command(bin, "setup", "--config", ini, "--base", base, "--admin-password-stdin")
	setup.Stdin = strings.NewReader("crash test\n")
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	cfg, err := config.Load(ini)
	if err != nil {
		t.Fatal(err)
	}
	addr := useLoopbackPort(t, cfg)
	crashCreateAccount(t, cfg)
	t.Logf("built and set up in %v", time.Since(began).Round(time.Millisecond))

	rec := newCrashRecord()
	killAt := crashKillAfter + rand.IntN(crashKillSpread+1)
	rec.signalAt(killAt)

	// First run: stream, and kill -9 in the middle of it.
	first := startCrashDaemon(t, bin, ini, addr)
	streamStart := time.Now()
	var killed atomic.Bool
	var wg sync.WaitGroup
	for c := range crashClients {
		wg.Go(func() { crashStream(addr, c, rec, &killed) })
	}
	select {
	case <-rec.reached:
	case <-time.After(60 * time.Second):
		killed.Store(true)
		first.kill(t)
		crashWait(t, &wg, 20*time.Second, "the clients")
		t.Fatalf("only %d of %d messages acknowledged within 60s; client errors: %v\nlog:\n%s",
			rec.ackedCount(), killAt, rec.clientErrors(), first.log.brief())
	}
	killed.Store(true)
	first.kill(t)
	killedAt := time.Since(streamStart)
	ackedAtKill := rec.ackedCount()
	crashWait(t, &wg, 20*time.Second, "the clients to notice the server is gone")
	ackedBeforeRestart := rec.ackedCount()
	t.Logf("first run: killed with SIGKILL after %v at %d acknowledged (threshold %d); %d acknowledged when the clients stopped; %d sent but not acknowledged",
		killedAt.Round(time.Millisecond), ackedAtKill, killAt, ackedBeforeRestart, len(rec.unacknowledged()))
	if errs := rec.clientErrors(); len(errs) > 0 {
		t.Errorf("errors before the kill:\n%s\nlog:\n%s", strings.Join(errs, "\n"), first.log.brief())
	}

	// Second run: it must finish what the first accepted, then take the
	// rest of the messages.
	second := startCrashDaemon(t, bin, ini, addr)
	restarted := time.Now()
	drained := crashWaitDrained(t, cfg, 30*time.Second, second)
	t.Logf("second run: the queue left by the kill drained %v after the start line", drained.Round(time.Millisecond))

	rest := rec.neverSent()
	sendStart := time.Now()
	var restWG sync.WaitGroup
	for c := range crashClients {
		restWG.Go(func() { crashSendAll(addr, c, rest[c], rec) })
	}
	crashWait(t, &restWG, 30*time.Second, "the clients of the second run")
	if errs := rec.clientErrors(); len(errs) > 0 {
		t.Errorf("errors sending to the restarted server:\n%s", strings.Join(errs, "\n"))
	}
	crashWaitDrained(t, cfg, 30*time.Second, second)
	t.Logf("second run: %d more messages sent and delivered in %v", rec.ackedCount()-ackedBeforeRestart, time.Since(sendStart).Round(time.Millisecond))
	second.stop(t)
	t.Logf("second run lasted %v; whole test %v", time.Since(restarted).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	crashCheck(t, cfg, rec, second.log)
}

// crashCreateAccount adds the domain and the account the messages go to,
// before the server starts.
func crashCreateAccount(t *testing.T, cfg *config.Config) {
	t.Helper()
	ctx := context.Background()
	st := crashOpenStore(t, cfg)
	defer st.Close()
	if _, err := st.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAccount(ctx, store.Account{Address: crashRecipient, Active: true}, "crash test secret"); err != nil {
		t.Fatal(err)
	}
}

func crashOpenStore(t *testing.T, cfg *config.Config) *store.Store {
	t.Helper()
	_, dsn, err := cfg.Database.DSN()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Options{Type: "sqlite", DSN: dsn, DataDir: cfg.Directories.Data})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// crashWait waits for wg, at most d.
func crashWait(t *testing.T, wg *sync.WaitGroup, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("waited %v for %s", d, what)
	}
}

// crashWaitDrained polls the database, from this process, until no
// message is queued, and returns how long that took. On a timeout it
// shows the rows still queued and the server's log.
func crashWaitDrained(t *testing.T, cfg *config.Config, limit time.Duration, d *crashDaemon) time.Duration {
	t.Helper()
	_, dsn, err := cfg.Database.DSN()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn) // registered by the store package
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	start := time.Now()
	deadline := start.Add(limit)
	for {
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM messages WHERE state = ?", store.MessageQueued).Scan(&n)
		if err == nil && n == 0 {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			var rows []string
			if r, qerr := db.Query("SELECT id, path, locked_by, locked_until, next_try_at, try_count FROM messages WHERE state = ? ORDER BY id", store.MessageQueued); qerr == nil {
				for r.Next() {
					var id, until, next, tries int64
					var path, by string
					if r.Scan(&id, &path, &by, &until, &next, &tries) == nil {
						rows = append(rows, fmt.Sprintf("  id %d %s locked_by=%q locked_until=%s next_try_at=%s tries=%d",
							id, path, by, time.Unix(until, 0).Format(time.TimeOnly), time.Unix(next, 0).Format(time.TimeOnly), tries))
					}
				}
				r.Close()
			}
			t.Fatalf("the queue did not drain within %v (now %s): %d queued (last error %v)\n%s\nlog:\n%s",
				limit, time.Now().Format(time.TimeOnly), n, err, strings.Join(rows, "\n"), d.log.brief())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashCheck is the verdict, on the database and the files the two runs
// left behind.
func crashCheck(t *testing.T, cfg *config.Config, rec *crashRecord, secondLog *crashLog) {
	t.Helper()
	ctx := context.Background()
	st := crashOpenStore(t, cfg)
	defer st.Close()

	account, err := st.AccountByAddress(ctx, crashRecipient)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Inbox(ctx, account.ID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.FolderMessages(ctx, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, m := range msgs {
		id, err := crashReadStored(st, m)
		if err != nil {
			t.Errorf("INBOX uid %d (%s): %v", m.UID, m.Path, err)
			continue
		}
		found[id]++
	}

	acked, attempted := rec.snapshot()
	var lost, twice, unknown []string
	for id := range acked {
		if found[id] == 0 {
			lost = append(lost, id)
		}
	}
	inFlightDelivered := 0
	for id, n := range found {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%s ×%d", id, n))
		}
		if !attempted[id] {
			unknown = append(unknown, id)
		}
		if _, ok := acked[id]; !ok && attempted[id] {
			inFlightDelivered++
		}
	}
	slices.Sort(lost)
	slices.Sort(twice)
	slices.Sort(unknown)
	if len(lost) > 0 {
		t.Errorf("%d acknowledged messages are not in the INBOX: %v", len(lost), crashHead(lost))
	}
	if len(twice) > 0 {
		t.Errorf("%d messages are in the INBOX more than once: %v", len(twice), crashHead(twice))
	}
	if len(unknown) > 0 {
		t.Errorf("the INBOX holds messages that were never sent: %v", crashHead(unknown))
	}
	if len(attempted) != crashClients*crashPerClient {
		t.Errorf("only %d of the %d messages were sent", len(attempted), crashClients*crashPerClient)
	}
	t.Logf("INBOX: %d messages; %d acknowledged; %d sent without a 250 of which %d were delivered anyway (accepted, the reply lost in the kill)",
		len(msgs), len(acked), len(rec.unacknowledged()), inFlightDelivered)

	queued, err := st.QueuedMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) > 0 {
		t.Errorf("%d messages still queued after the queue drained and the server stopped: first %+v", len(queued), queued[0])
	}

	// What is left under queue/. No temporary file: they are swept at
	// start. A file without a row is either a message that was written but
	// never committed (so never acknowledged), or one that was delivered
	// and whose row was deleted just before the kill removed its file.
	// Reconciliation keeps such files for its grace period (another node
	// might be between its write and its commit) and says so in the log.
	leftovers, err := crashQueueFiles(st)
	if err != nil {
		t.Fatal(err)
	}
	var neverCommitted, finished []string
	for _, o := range leftovers {
		switch {
		case strings.HasPrefix(path.Base(o.rel), "."):
			t.Errorf("a temporary file survived the restart: %s", o.rel)
		case o.id == "":
			t.Errorf("queue file %s: %v", o.rel, o.err)
		case found[o.id] > 0:
			finished = append(finished, o.rel+" ("+o.id+")")
		case acked[o.id] != "":
			t.Errorf("acknowledged message %s is not in the INBOX but its file %s is still in queue/, without a queue row", o.id, o.rel)
		default:
			neverCommitted = append(neverCommitted, o.rel+" ("+o.id+")")
		}
	}
	if len(leftovers) > 0 {
		want := regexp.MustCompile(`(?m)^.*component=queue.* files=` + strconv.Itoa(len(leftovers)) + `\b.*$`)
		if !want.MatchString(secondLog.String()) {
			t.Errorf("%d files left under queue/ without the log saying why (want a line matching %s):\n%s", len(leftovers), want, secondLog.brief())
		}
		t.Logf("left under queue/ without a row, for reconciliation's grace period: %d never committed %v; %d delivered, their removal cut short %v",
			len(neverCommitted), neverCommitted, len(finished), finished)
	}
}

// crashReadStored reads one INBOX message and returns its X-Test-Id, after
// checking that the file is whole: its size is the stored size and its
// body is what the client sent.
func crashReadStored(st *store.Store, m store.StoredMessage) (string, error) {
	f, err := st.Files().Open(m.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		return "", err
	}
	if int64(len(raw)) != m.Size {
		return "", fmt.Errorf("the file has %d bytes, the row says %d", len(raw), m.Size)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	id := msg.Header.Get("X-Test-Id")
	if id == "" {
		return "", errors.New("no X-Test-Id header")
	}
	body, _ := io.ReadAll(msg.Body)
	if want := crashBody(id); string(body) != want {
		return id, fmt.Errorf("message %s: body %q, want %q", id, body, want)
	}
	return id, nil
}

type crashQueueFile struct {
	rel, id string
	err     error
}

// crashQueueFiles lists the regular files under <data>/queue with the
// X-Test-Id each holds.
func crashQueueFiles(st *store.Store) ([]crashQueueFile, error) {
	root := st.Files().Root()
	var out []crashQueueFile
	err := filepath.WalkDir(filepath.Join(root, "queue"), func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		q := crashQueueFile{rel: filepath.ToSlash(rel)}
		if raw, err := os.ReadFile(p); err != nil {
			q.err = err
		} else if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil {
			q.err = err
		} else if q.id = msg.Header.Get("X-Test-Id"); q.id == "" {
			q.err = errors.New("no X-Test-Id header")
		}
		out = append(out, q)
		return nil
	})
	return out, err
}

func crashHead(s []string) []string {
	if len(s) > 20 {
		return append(s[:20:20], "...")
	}
	return s
}

// crashID and crashBody make message n of client c.
func crashID(c, n int) string { return fmt.Sprintf("%d-%d", c, n) }

func crashBody(id string) string {
	// The second line starts with a dot, which the client stuffs and the
	// server must unstuff.
	return "Message " + id + " of the kill -9 test.\r\n.a line that starts with a dot\r\n"
}

func crashMessageText(id string) string {
	return "From: <" + crashSender + ">\r\nTo: <" + crashRecipient + ">\r\nSubject: kill -9 test " + id +
		"\r\nX-Test-Id: " + id + "\r\n\r\n" + crashBody(id)
}

// crashRecord is what the clients saw: the ids sent (from MAIL FROM on),
// the ids acknowledged with a 250 and their queue ids, and the errors no
// kill explains.
type crashRecord struct {
	mu        sync.Mutex
	attempted map[string]bool
	acked     map[string]string // X-Test-Id → the queue id of "250 2.0.0 Queued (<id>)"
	errs      []string
	target    int
	reached   chan struct{}
}

func newCrashRecord() *crashRecord {
	return &crashRecord{attempted: map[string]bool{}, acked: map[string]string{}, reached: make(chan struct{})}
}

// signalAt closes reached when n messages are acknowledged.
func (r *crashRecord) signalAt(n int) { r.target = n }

func (r *crashRecord) attempt(id string) {
	r.mu.Lock()
	r.attempted[id] = true
	r.mu.Unlock()
}

func (r *crashRecord) ack(id, queueID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked[id] = queueID
	if len(r.acked) == r.target {
		close(r.reached)
	}
}

func (r *crashRecord) fail(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *crashRecord) ackedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.acked)
}

// clientErrors returns the errors recorded since the last call.
func (r *crashRecord) clientErrors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := r.errs
	r.errs = nil
	return errs
}

func (r *crashRecord) unacknowledged() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id := range r.attempted {
		if _, ok := r.acked[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// neverSent returns, per client, the ids it did not get to send.
func (r *crashRecord) neverSent() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]string, crashClients)
	for c := range crashClients {
		for n := range crashPerClient {
			if id := crashID(c, n); !r.attempted[id] {
				out[c] = append(out[c], id)
			}
		}
	}
	return out
}

func (r *crashRecord) snapshot() (acked map[string]string, attempted map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	acked = make(map[string]string, len(r.acked))
	for k, v := range r.acked {
		acked[k] = v
	}
	attempted = make(map[string]bool, len(r.attempted))
	for k := range r.attempted {
		attempted[k] = true
	}
	return acked, attempted
}

// crashStream is one client of the first run: its messages in order over
// one connection, a new connection after an error, until the messages run
// out or the server is gone. An id is never sent twice. Errors before the
// kill are recorded; after it they are expected.
func crashStream(addr string, client int, rec *crashRecord, killed *atomic.Bool) {
	var c *crashClient
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for n := range crashPerClient {
		if c == nil {
			var err error
			if c, err = dialCrashClient(addr); err != nil {
				if !killed.Load() {
					rec.fail("client %d: connecting: %v", client, err)
				}
				return
			}
		}
		id := crashID(client, n)
		rec.attempt(id)
		queueID, err := c.send(id)
		if err == nil {
			rec.ack(id, queueID)
			continue
		}
		var reply *textproto.Error
		if !killed.Load() || errors.As(err, &reply) {
			rec.fail("client %d: message %s: %v", client, id, err)
		}
		// Reconnect for the next message; that fails once the server is gone.
		c.close()
		c = nil
	}
}

// crashSendAll sends ids over one connection; everything must succeed.
func crashSendAll(addr string, client int, ids []string, rec *crashRecord) {
	if len(ids) == 0 {
		return
	}
	c, err := dialCrashClient(addr)
	if err != nil {
		rec.fail("client %d: connecting: %v", client, err)
		return
	}
	defer c.close()
	for _, id := range ids {
		rec.attempt(id)
		queueID, err := c.send(id)
		if err != nil {
			rec.fail("client %d: message %s: %v", client, id, err)
			return
		}
		rec.ack(id, queueID)
	}
}

// crashClient is a minimal SMTP client: EHLO once, then MAIL, RCPT and
// DATA for each message. Every exchange has a deadline, so no client can
// hang on a server that stopped answering.
type crashClient struct {
	conn net.Conn
	tp   *textproto.Conn
}

const crashIOTimeout = 15 * time.Second

func dialCrashClient(addr string) (*crashClient, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	c := &crashClient{conn: conn, tp: textproto.NewConn(conn)}
	c.conn.SetDeadline(time.Now().Add(crashIOTimeout))
	if _, _, err := c.tp.ReadResponse(220); err != nil {
		c.close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if _, err := c.cmd(250, "EHLO client.example.net"); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *crashClient) close() { c.tp.Close() }

func (c *crashClient) cmd(want int, format string, args ...any) (string, error) {
	c.conn.SetDeadline(time.Now().Add(crashIOTimeout))
	if _, err := c.tp.Cmd(format, args...); err != nil {
		return "", err
	}
	_, msg, err := c.tp.ReadResponse(want)
	if err != nil {
		return "", fmt.Errorf("%s: %w", strings.Fields(fmt.Sprintf(format, args...))[0], err)
	}
	return msg, nil
}

var crashQueuedReply = regexp.MustCompile(`^2\.0\.0 Queued \(([0-9a-f]+)\)$`)

// send sends message id and returns the queue id of the 250 reply.
func (c *crashClient) send(id string) (string, error) {
	if _, err := c.cmd(250, "MAIL FROM:<%s>", crashSender); err != nil {
		return "", err
	}
	if _, err := c.cmd(250, "RCPT TO:<%s>", crashRecipient); err != nil {
		return "", err
	}
	if _, err := c.cmd(354, "DATA"); err != nil {
		return "", err
	}
	c.conn.SetDeadline(time.Now().Add(crashIOTimeout))
	w := c.tp.DotWriter()
	if _, err := io.WriteString(w, crashMessageText(id)); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	_, msg, err := c.tp.ReadResponse(250)
	if err != nil {
		return "", fmt.Errorf("end of DATA: %w", err)
	}
	m := crashQueuedReply.FindStringSubmatch(msg)
	if m == nil {
		return "", fmt.Errorf("end of DATA: 250 %q does not name the queue id", msg)
	}
	return m[1], nil
}

// crashDaemon is a running mailwrightd with its standard error kept.
type crashDaemon struct {
	cmd    *exec.Cmd
	log    *crashLog
	exited chan error
	done   bool
}

// startCrashDaemon runs "mailwrightd run" and returns once it has logged
// its start and answers SMTP on addr. The test's cleanup kills it if the
// test ends first.
func startCrashDaemon(t *testing.T, bin, ini, addr string) *crashDaemon {
	t.Helper()
	d := &crashDaemon{cmd: exec.Command(bin, "run", "--config", ini), log: &crashLog{started: make(chan struct{})}, exited: make(chan error, 1)}
	d.cmd.Stderr = d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if !d.done {
			d.cmd.Process.Kill()
			<-d.exited
		}
	})
	select {
	case <-d.log.started:
	case err := <-d.exited:
		d.done = true
		t.Fatalf("mailwrightd exited before it started: %v\n%s", err, d.log.brief())
	case <-time.After(30 * time.Second):
		t.Fatalf("no start line within 30s:\n%s", d.log.brief())
	}
	c, err := dialCrashClient(addr)
	if err != nil {
		t.Fatalf("the server logged its start but SMTP on %s: %v\n%s", addr, err, d.log.brief())
	}
	c.cmd(221, "QUIT")
	c.close()
	return d
}

// kill ends the server with SIGKILL and waits for it to be gone.
func (d *crashDaemon) kill(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.exited:
		d.done = true
	case <-time.After(10 * time.Second):
		t.Fatal("mailwrightd still running 10s after SIGKILL")
	}
}

// stop ends the server with SIGTERM and expects a clean exit.
func (d *crashDaemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		d.done = true
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, d.log.brief())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("did not stop within 30s of SIGTERM:\n%s", d.log.brief())
	}
}

// crashLog keeps a process's standard error and closes started at the
// start line.
type crashLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	started chan struct{}
	seen    bool
}

func (l *crashLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.seen && bytes.Contains(l.buf.Bytes(), []byte("Mailwright started")) {
		l.seen = true
		close(l.started)
	}
	return len(p), nil
}

func (l *crashLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// crashRoutine tells the log lines about single messages (accepted,
// queued, delivered), which would bury the others in a failure report.
func crashRoutine(line string) bool {
	return strings.Contains(line, "level=INFO") && (strings.Contains(line, " queue_id=") || strings.Contains(line, " session="))
}

// brief is the log without the lines every message writes, at most the
// last 200 lines of it.
func (l *crashLog) brief() string {
	var keep []string
	skipped := 0
	for line := range strings.Lines(l.String()) {
		if crashRoutine(line) {
			skipped++
			continue
		}
		keep = append(keep, line)
	}
	if len(keep) > 200 {
		keep = keep[len(keep)-200:]
	}
	return fmt.Sprintf("(%d lines about single messages left out)\n%s", skipped, strings.Join(keep, ""))
}
