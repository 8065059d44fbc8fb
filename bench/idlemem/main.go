//go:build linux

// Command idlemem measures what an idle IMAP connection costs a server in
// memory (issue 4's figure; target: at most 30 KB per connection for
// Mailwright). For each server (a throw-away mailwrightd built from this
// tree and a throw-away Dovecot, from bench/imapload/throwaway) and each
// count in -conns, it runs -runs rounds; each round restarts the server,
// logs every user in once (warm-up), reads the server's memory, opens the
// connections — each logged in as one of -users users, INBOX (of
// -messages messages) selected, in IDLE — waits -settle, reads the memory
// again, checks that every connection is still open, and closes them.
// Memory is the sum over the server's process tree (mailwrightd alone;
// Dovecot's master and every imap, imap-login, auth, anvil, stats, log,
// config process under it) of VmRSS and of Pss, from /proc. The figure is
// (after − before) / connections, median of the rounds.
//
// The client side is raw TCP (no IMAP library): its own memory is not
// measured anyway, being another process. The program raises its
// RLIMIT_NOFILE to the hard limit (to 65,536 when allowed); the servers,
// its children, inherit it. Run it as root on Debian with dovecot-imapd
// installed (bench/imapload/run.sh installs it).
//
//	go build -o /tmp/idlemem ./bench/idlemem && /tmp/idlemem
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mailwright/mailwright/bench/imapload/throwaway"
)

type options struct {
	servers      []string
	conns        []int
	runs         int
	users        int
	messages     int
	size         int
	settle       time.Duration
	logins       int
	dir          string
	binary       string
	imapClients  int
	dovecotPlain bool
}

func main() {
	var o options
	servers := flag.String("servers", "mailwright,dovecot", "servers to measure, comma-separated")
	heapFile := flag.String("heapprofile", "", "instead of the rounds: run Mailwright in this process, open -heapconns idle connections and write a heap profile to this file")
	heapConns := flag.Int("heapconns", 500, "idle connections for -heapprofile")
	conns := flag.String("conns", "2000,10000", "idle connections per round, comma-separated counts")
	flag.IntVar(&o.runs, "runs", 3, "rounds of each count on each server; the median is reported")
	flag.IntVar(&o.users, "users", 20, "users; connection i logs in as user i mod -users")
	flag.IntVar(&o.messages, "messages", 200, "messages in each INBOX")
	flag.IntVar(&o.size, "size", 4096, "message size in bytes")
	flag.DurationVar(&o.settle, "settle", 30*time.Second, "wait between the last connection in IDLE and the second reading")
	flag.IntVar(&o.logins, "logins", 4, "connections being opened at once")
	flag.StringVar(&o.dir, "dir", "", "where the temporary directories go (default: the system's)")
	flag.StringVar(&o.binary, "mailwrightd", "", "a mailwrightd binary to use instead of building one from this tree")
	flag.IntVar(&o.imapClients, "dovecot-imap-clients", 1, "Dovecot's service imap { client_limit } (1: its default, a process per connection)")
	flag.BoolVar(&o.dovecotPlain, "dovecot-plain-passwords", true, "store Dovecot's passwords as {PLAIN} (its single auth process would take about 10 minutes hashing 10,000 argon2id logins)")
	flag.Parse()
	o.servers = strings.Split(*servers, ",")
	for _, s := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "idlemem: bad -conns %q\n", *conns)
			os.Exit(2)
		}
		o.conns = append(o.conns, n)
	}
	stopOnSignal()
	var err error
	if *heapFile != "" {
		err = heapProfile(o, *heapFile, *heapConns)
	} else {
		err = run(o)
	}
	cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "idlemem:", err)
		os.Exit(1)
	}
}

var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func atCleanup(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

// cleanup runs the registered functions, last first, once.
func cleanup() {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

func stopOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-ch
		fmt.Fprintf(os.Stderr, "idlemem: %v: stopping the servers\n", sig)
		cleanup()
		os.Exit(1)
	}()
}

// round is one measurement.
type round struct {
	before, after throwaway.Memory
	conns         int
	opened        time.Duration
}

func (r round) rssPerConn() float64 { return float64(r.after.RSS-r.before.RSS) / float64(r.conns) }
func (r round) pssPerConn() float64 { return float64(r.after.PSS-r.before.PSS) / float64(r.conns) }

func run(o options) error {
	limit, err := throwaway.RaiseFileLimit(65536)
	if err != nil {
		return fmt.Errorf("raising RLIMIT_NOFILE: %w", err)
	}
	if most := slices.Max(o.conns); uint64(most)+100 > limit {
		return fmt.Errorf("RLIMIT_NOFILE is %d, too low for %d connections: raise the hard limit (ulimit -Hn) first", limit, most)
	}
	tmp, err := os.MkdirTemp(o.dir, "idlemem-")
	if err != nil {
		return err
	}
	atCleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	fmt.Printf("RLIMIT_NOFILE %d (the servers inherit it); %d users, %d messages of %d bytes each; settle %v; %d runs\n",
		limit, o.users, o.messages, o.size, o.settle, o.runs)
	users := throwaway.Users(o.users)
	results := map[string]map[int][]round{}
	for _, name := range o.servers {
		s, err := start(o, name, tmp, users)
		if err != nil {
			return err
		}
		results[name] = map[int][]round{}
		for _, n := range o.conns {
			for i := range o.runs {
				r, err := measure(o, s, n)
				if err != nil {
					s.Stop()
					return fmt.Errorf("%s, %d connections, run %d: %w", name, n, i+1, err)
				}
				fmt.Printf("%-10s %6d conns run %d: opened in %v; %d→%d processes; RSS %d→%d KiB: %.1f KiB/conn; PSS %d→%d KiB: %.1f KiB/conn\n",
					name, n, i+1, r.opened.Round(time.Millisecond), r.before.Processes, r.after.Processes,
					r.before.RSS, r.after.RSS, r.rssPerConn(), r.before.PSS, r.after.PSS, r.pssPerConn())
				results[name][n] = append(results[name][n], r)
			}
		}
		if w := s.LogWarnings(); w != "" {
			fmt.Printf("%s log warnings and errors:\n%s\n", name, w)
		}
		if err := s.Stop(); err != nil {
			return err
		}
	}
	fmt.Printf("\nmedian of %d runs, KiB per idle IMAP connection (logged in, INBOX selected, IDLE)\n", o.runs)
	fmt.Printf("%-10s %7s %12s %12s %s\n", "server", "conns", "RSS KiB/conn", "PSS KiB/conn", "RSS after, median run (MiB)")
	for _, name := range o.servers {
		for _, n := range o.conns {
			rs := results[name][n]
			rss := medianOf(rs, round.rssPerConn)
			pss := medianOf(rs, round.pssPerConn)
			var afters []float64
			for _, r := range rs {
				afters = append(afters, float64(r.after.RSS)/1024)
			}
			slices.Sort(afters)
			fmt.Printf("%-10s %7d %12.1f %12.1f %.0f\n", name, n, rss, pss, afters[len(afters)/2])
		}
	}
	return nil
}

func medianOf(rs []round, f func(round) float64) float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, f(r))
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func start(o options, name, tmp string, users []throwaway.User) (*throwaway.Server, error) {
	var s *throwaway.Server
	var err error
	switch name {
	case "mailwright":
		bin := o.binary
		if bin == "" {
			if bin, err = throwaway.BuildMailwrightd(tmp); err != nil {
				return nil, err
			}
		}
		s, err = throwaway.StartMailwright(tmp, bin, users)
	case "dovecot":
		s, err = throwaway.StartDovecot(tmp, users, throwaway.DovecotOptions{
			IMAPClientLimit: o.imapClients, MaxConnections: slices.Max(o.conns), PlainPasswords: o.dovecotPlain})
	default:
		return nil, fmt.Errorf("unknown server %q", name)
	}
	if err != nil {
		return nil, err
	}
	atCleanup(func() { s.Stop() })
	began := time.Now()
	if err := throwaway.Fill(s.IMAPAddr, users, o.messages, o.size); err != nil {
		return nil, fmt.Errorf("%s: filling the mailboxes: %w", name, err)
	}
	fmt.Printf("%s: IMAP %s; %d users × %d messages appended in %v\n", name, s.IMAPAddr, len(users), o.messages, time.Since(began).Round(time.Millisecond))
	return s, nil
}

// measure restarts the server and takes one round's readings.
func measure(o options, s *throwaway.Server, n int) (round, error) {
	r := round{conns: n}
	if err := s.Restart(); err != nil {
		return r, err
	}
	// Warm-up: every user logs in and selects INBOX once, so the caches
	// a first login fills are in "before".
	for _, u := range s.Users {
		c, err := openIdle(s.IMAPAddr, u)
		if err != nil {
			return r, fmt.Errorf("warm-up: %w", err)
		}
		c.Close()
	}
	time.Sleep(3 * time.Second)
	var err error
	if r.before, err = s.Memory(); err != nil {
		return r, err
	}
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
		failed   atomic.Bool
	)
	began := time.Now()
	for range o.logins {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := openIdle(s.IMAPAddr, s.Users[i%len(s.Users)])
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("connection %d: %w", i+1, err) })
					failed.Store(true)
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	r.opened = time.Since(began)
	if firstErr != nil {
		return r, firstErr
	}
	time.Sleep(o.settle)
	if r.after, err = s.Memory(); err != nil {
		return r, err
	}
	if dead := countClosed(conns); dead > 0 {
		return r, fmt.Errorf("%d of %d idle connections were closed by the server", dead, n)
	}
	return r, nil
}

// openIdle connects, logs in, selects INBOX and starts IDLE, reading
// through a small buffer dropped afterwards.
func openIdle(addr string, u throwaway.User) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(120 * time.Second))
	br := bufio.NewReaderSize(c, 1024)
	fail := func(err error) (net.Conn, error) {
		c.Close()
		return nil, err
	}
	greeting, err := br.ReadString('\n')
	if err != nil {
		return fail(fmt.Errorf("greeting: %w", err))
	}
	if !strings.HasPrefix(greeting, "* OK") {
		return fail(fmt.Errorf("greeting %q", strings.TrimSpace(greeting)))
	}
	if err := tagged(c, br, "a", fmt.Sprintf("LOGIN %q %q", u.Name, u.Password)); err != nil {
		return fail(err)
	}
	if err := tagged(c, br, "b", "SELECT INBOX"); err != nil {
		return fail(err)
	}
	if _, err := fmt.Fprint(c, "c IDLE\r\n"); err != nil {
		return fail(err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return fail(fmt.Errorf("IDLE: %w", err))
		}
		if strings.HasPrefix(line, "+") {
			break
		}
		if strings.HasPrefix(line, "c ") {
			return fail(fmt.Errorf("IDLE: %q", strings.TrimSpace(line)))
		}
	}
	if br.Buffered() > 0 {
		return fail(errors.New("IDLE: unexpected data after the continuation"))
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// tagged sends a command and reads to its tagged reply, which must be OK.
func tagged(c net.Conn, br *bufio.Reader, tag, command string) error {
	if _, err := fmt.Fprintf(c, "%s %s\r\n", tag, command); err != nil {
		return err
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%s: %w", command, err)
		}
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			if !strings.HasPrefix(rest, "OK") {
				return fmt.Errorf("%s: %q", strings.Fields(command)[0], strings.TrimSpace(line))
			}
			return nil
		}
	}
}

// countClosed returns how many connections the server has closed: a read
// that does not time out at once is an end of file or an error (an
// untagged line such as Dovecot's "* OK Still here" means open).
func countClosed(conns []net.Conn) int {
	dead := 0
	buf := make([]byte, 512)
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		_, err := c.Read(buf)
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			dead++
		}
	}
	return dead
}
