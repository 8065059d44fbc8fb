//go:build linux

// Command imapload runs the same IMAP mix and POP3 rounds against
// Mailwright and Dovecot side by side (issue 8, "IMAP/POP3"): it starts a
// throw-away mailwrightd built from this tree and a throw-away Dovecot,
// each under a temporary directory on free loopback ports with the same
// -users users, fills every INBOX with -messages messages of -size bytes
// over IMAP APPEND, then runs -runs timed runs of each mode on each server
// in turn and prints the operations per second, the median, the
// Mailwright/Dovecot ratio and per-command p50/p99 latencies.
//
// The IMAP mix: -sessions sessions at once, each owning one user's INBOX,
// each looping LOGIN (once per connection), SELECT INBOX, FETCH of
// ENVELOPE, FLAGS, UID and BODY.PEEK[] of 3 messages, STORE of \Seen and
// \Flagged, SEARCH (UNSEEN or HEADER Subject), APPEND of one message,
// STORE \Deleted on the oldest and EXPUNGE, and every -relogin rounds
// LOGOUT and a new connection. Operations are IMAP commands completed.
//
// The POP3 rounds: connect, USER, PASS, STAT, RETR of one message, DELE,
// QUIT. The maildrops are topped up again over IMAP between timed slices
// (a slice ends when a maildrop falls to a quarter); refilling is not
// timed.
//
// Any error fails the run: the figures are printed, and the program exits
// with status 1. Run it as root on Debian with dovecot-imapd and
// dovecot-pop3d installed; run.sh in this directory installs them.
//
//	go build -o /tmp/imapload ./bench/imapload && /tmp/imapload
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mailwright/mailwright/bench/imapload/throwaway"
)

type options struct {
	servers    []string
	modes      []string
	duration   time.Duration
	runs       int
	users      int
	sessions   int
	messages   int
	size       int
	relogin    int
	dir        string
	binary     string
	perfFile   string
	imapClient int
	plain      bool
	authCache  bool
}

func main() {
	var o options
	servers := flag.String("servers", "mailwright,dovecot", "servers to measure, comma-separated")
	modes := flag.String("modes", "imap,pop3", "what to run, comma-separated: imap (the mix), pop3 (rounds)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "timed length of each run")
	flag.IntVar(&o.runs, "runs", 3, "runs of each mode on each server; the median is reported")
	flag.IntVar(&o.users, "users", 20, "users (accounts) on each server")
	flag.IntVar(&o.sessions, "sessions", 20, "concurrent sessions (each uses user i mod -users)")
	flag.IntVar(&o.messages, "messages", 200, "messages in each INBOX before the timed part")
	flag.IntVar(&o.size, "size", 4096, "message size in bytes")
	flag.IntVar(&o.relogin, "relogin", 10, "IMAP: LOGOUT and connect again every this many rounds (0: never)")
	flag.StringVar(&o.dir, "dir", "", "where the temporary directories go (default: the system's)")
	flag.StringVar(&o.binary, "mailwrightd", "", "a mailwrightd binary to use instead of building one from this tree")
	flag.StringVar(&o.perfFile, "perf", "", "record a perf profile (perf record -g) of mailwrightd during its first IMAP run into this file")
	flag.IntVar(&o.imapClient, "dovecot-imap-clients", 1, "Dovecot's service imap { client_limit } (1: its default, a process per connection)")
	flag.BoolVar(&o.plain, "dovecot-plain-passwords", false, "store Dovecot's passwords as {PLAIN} instead of Mailwright's argon2id hashes")
	flag.BoolVar(&o.authCache, "dovecot-auth-cache", false, "turn Dovecot's auth cache on (auth_cache_size 10M, auth_cache_ttl 60 s), as Mailwright's AccountCacheTTL keeps passed logins")
	settings := flag.String("mailwright-settings", "", "settings to give Mailwright before it runs, name=value,... (AccountCacheTTL=0: check every login's password, as Dovecot without auth_cache does)")
	flag.Parse()
	o.servers = strings.Split(*servers, ",")
	o.modes = strings.Split(*modes, ",")
	for _, kv := range strings.Split(*settings, ",") {
		if kv == "" {
			continue
		}
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "imapload: -mailwright-settings wants name=value pairs, got", kv)
			os.Exit(2)
		}
		if throwaway.ExtraSettings == nil {
			throwaway.ExtraSettings = map[string]string{}
		}
		throwaway.ExtraSettings[name] = value
	}
	if o.sessions > o.users {
		fmt.Fprintln(os.Stderr, "imapload: -sessions must not exceed -users: each session owns a user's INBOX")
		os.Exit(2)
	}

	stopOnSignal()
	ok, err := run(o)
	cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "imapload:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "imapload: FAILED: some runs had errors (see above)")
		os.Exit(1)
	}
}

var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

// atCleanup registers f to run at exit, on an error or a signal too.
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
		fmt.Fprintf(os.Stderr, "imapload: %v: stopping the servers\n", sig)
		cleanup()
		os.Exit(1)
	}()
}

func run(o options) (bool, error) {
	limit, err := throwaway.RaiseFileLimit(65536)
	if err != nil {
		return false, fmt.Errorf("raising RLIMIT_NOFILE: %w", err)
	}
	tmp, err := os.MkdirTemp(o.dir, "imapload-")
	if err != nil {
		return false, err
	}
	atCleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil { // Dovecot's users traverse it
		return false, err
	}
	users := throwaway.Users(o.users)
	var targets []*throwaway.Server
	for _, name := range o.servers {
		var s *throwaway.Server
		switch name {
		case "mailwright":
			bin := o.binary
			if bin == "" {
				if bin, err = throwaway.BuildMailwrightd(tmp); err != nil {
					return false, err
				}
			}
			s, err = throwaway.StartMailwright(tmp, bin, users)
		case "dovecot":
			s, err = throwaway.StartDovecot(tmp, users, throwaway.DovecotOptions{IMAPClientLimit: o.imapClient, MaxConnections: 1000, PlainPasswords: o.plain, AuthCache: o.authCache})
		default:
			return false, fmt.Errorf("unknown server %q", name)
		}
		if err != nil {
			return false, err
		}
		atCleanup(func() {
			if err := s.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "imapload: stopping %s: %v\n", s.Name, err)
			}
		})
		fmt.Printf("%s: IMAP %s, POP3 %s, pid %d\n", s.Name, s.IMAPAddr, s.POP3Addr, s.MainPID)
		began := time.Now()
		if err := throwaway.Fill(s.IMAPAddr, users, o.messages, o.size); err != nil {
			return false, fmt.Errorf("%s: filling the mailboxes: %w", s.Name, err)
		}
		fmt.Printf("%s: %d users × %d messages of %d bytes appended in %v\n", s.Name, o.users, o.messages, o.size, time.Since(began).Round(time.Millisecond))
		targets = append(targets, s)
	}
	fmt.Printf("RLIMIT_NOFILE %d, GOMAXPROCS of the clients: all %d CPUs; %d sessions, %d users, %v per run, %d runs\n",
		limit, nproc(), o.sessions, o.users, o.duration, o.runs)

	allOK := true
	for _, mode := range o.modes {
		results := map[string][]runStats{}
		for i := range o.runs {
			for _, s := range targets { // interleaved, so drift on a shared machine hits both
				var st runStats
				switch mode {
				case "imap":
					var stopPerf func()
					if o.perfFile != "" && i == 0 && s.Name == "mailwright" {
						stopPerf = startPerf(o.perfFile, s.MainPID)
					}
					st = imapRun(o, s, uint64(i))
					if stopPerf != nil {
						stopPerf()
					}
				case "pop3":
					st, err = pop3Run(o, s, uint64(i))
					if err != nil {
						return false, fmt.Errorf("%s: %w", s.Name, err)
					}
				default:
					return false, fmt.Errorf("unknown mode %q", mode)
				}
				printRun(mode, i+1, s.Name, st)
				if st.errors > 0 {
					allOK = false
				}
				results[s.Name] = append(results[s.Name], st)
			}
		}
		printSummary(mode, o, targets, results)
	}
	for _, s := range targets {
		if w := s.LogWarnings(); w != "" {
			fmt.Printf("%s log warnings and errors:\n%s\n", s.Name, w)
		}
	}
	return allOK, nil
}

func imapRun(o options, s *throwaway.Server, seed uint64) runStats {
	recs := make([]*recorder, o.sessions)
	deadline := time.Now().Add(o.duration)
	elapsed := gather(o.sessions, func(i int) {
		sess := &imapSession{addr: s.IMAPAddr, user: s.Users[i%len(s.Users)], size: o.size, relogin: o.relogin,
			rng: rand.New(rand.NewPCG(seed, uint64(i))), rec: newRecorder(), next: 1_000_000 * (int(seed) + 1)}
		recs[i] = sess.rec
		sess.run(deadline)
	})
	return merge(recs, elapsed, func(string) bool { return true })
}

// pop3Run runs timed slices until -duration of them is done, topping the
// maildrops up to -messages between slices.
func pop3Run(o options, s *throwaway.Server, seed uint64) (runStats, error) {
	recs := make([]*recorder, o.sessions)
	for i := range recs {
		recs[i] = newRecorder()
	}
	var timed time.Duration
	for slice := 0; timed < o.duration; slice++ {
		if err := throwaway.Fill(s.IMAPAddr, s.Users, o.messages, o.size); err != nil {
			return runStats{}, fmt.Errorf("refilling: %w", err)
		}
		var low atomic.Bool
		deadline := time.Now().Add(o.duration - timed)
		timed += gather(o.sessions, func(i int) {
			sess := &pop3Session{addr: s.POP3Addr, user: s.Users[i%len(s.Users)], size: o.size, lowWater: o.messages / 4,
				rng: rand.New(rand.NewPCG(seed, uint64(i*1000+slice))), rec: recs[i]}
			sess.runSlice(deadline, &low)
		})
	}
	return merge(recs, timed, func(name string) bool { return name == "ROUND" }), nil
}

func printRun(mode string, i int, server string, st runStats) {
	unit := "commands/s"
	if mode == "pop3" {
		unit = "rounds/s"
	}
	status := "ok"
	if st.errors > 0 {
		status = "FAILED"
	}
	fmt.Printf("%s run %d %-10s: %d in %v: %.0f %s, %d errors %s\n", mode, i, server, st.ops, st.elapsed.Round(time.Millisecond), st.rate(), unit, st.errors, status)
	for _, e := range st.samples {
		fmt.Printf("    error: %s\n", e)
	}
}

func printSummary(mode string, o options, targets []*throwaway.Server, results map[string][]runStats) {
	unit := "IMAP commands/s"
	commands := imapCommands
	if mode == "pop3" {
		unit = "POP3 rounds/s"
		commands = []string{"ROUND", "LOGIN", "STAT", "RETR", "DELE", "QUIT"}
	}
	fmt.Printf("\n%s: %d sessions, %d users, %v per run, median of %d\n", strings.ToUpper(mode), o.sessions, o.users, o.duration, o.runs)
	medians := map[string]runStats{}
	fmt.Printf("%-12s %16s  %-24s %s\n", "server", unit, "runs", "errors")
	for _, s := range targets {
		runs := results[s.Name]
		sorted := slices.Clone(runs)
		slices.SortFunc(sorted, func(a, b runStats) int {
			return int(a.rate()*1000) - int(b.rate()*1000)
		})
		med := sorted[len(sorted)/2]
		medians[s.Name] = med
		var rates []string
		errs := 0
		for _, r := range runs {
			rates = append(rates, fmt.Sprintf("%.0f", r.rate()))
			errs += r.errors
		}
		fmt.Printf("%-12s %16.0f  %-24s %d\n", s.Name, med.rate(), strings.Join(rates, " "), errs)
	}
	mw, okM := medians["mailwright"]
	dc, okD := medians["dovecot"]
	if okM && okD {
		fmt.Printf("ratio mailwright/dovecot: %.2f\n", mw.rate()/dc.rate())
	}
	fmt.Printf("\nlatency of the median run, p50 / p99 in ms (count)\n%-8s", "command")
	for _, s := range targets {
		fmt.Printf(" %32s", s.Name)
	}
	fmt.Println()
	for _, cmd := range commands {
		fmt.Printf("%-8s", cmd)
		for _, s := range targets {
			c := medians[s.Name].commands[cmd]
			fmt.Printf(" %32s", fmt.Sprintf("%.2f / %.2f (%d)", ms(c.p50), ms(c.p99), c.count))
		}
		fmt.Println()
	}
	fmt.Println()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func nproc() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}

// startPerf records a CPU profile of pid with call graphs until the
// returned function is called.
func startPerf(file string, pid int) func() {
	cmd := exec.Command("perf", "record", "-F", "499", "-g", "-p", fmt.Sprint(pid), "-o", file)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "imapload: perf:", err)
		return func() {}
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		})
	}
	atCleanup(stop)
	return stop
}
