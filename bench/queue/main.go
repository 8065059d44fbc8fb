// Command queue measures how fast Mailwright's delivery queue drains to
// Postfix's smtp-sink (issue 8, "Outbound"): it opens a throw-away SQLite
// store under a temporary directory (the DSN parameters mailwrightd uses,
// synchronous=FULL), queues -messages messages of -size bytes through
// queue.Accept, each to one recipient in one of -domains domains, with a
// route per domain to smtp-sink on a free loopback port, then starts the
// queue with -workers workers (the "DeliveryThreads" default, 10) and
// reports messages per second from the start of the queue until no message
// is queued. It runs -runs rounds, each on a fresh store, and prints the
// median.
//
//	apt-get install postfix   # for /usr/sbin/smtp-sink; see bench/RESULTS.md
//	go run ./bench/queue
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/server/dns"
	"github.com/mailwright/mailwright/server/queue"
	"github.com/mailwright/mailwright/server/routing"
	"github.com/mailwright/mailwright/store"
)

func main() {
	messages := flag.Int("messages", 10000, "messages to queue and drain")
	domains := flag.Int("domains", 100, "recipient domains, each with a route to the sink")
	size := flag.Int("size", 4096, "message size in bytes")
	workers := flag.Int("workers", queue.DefaultWorkers, "queue workers (DeliveryThreads)")
	runs := flag.Int("runs", 3, "rounds; the median is reported")
	dir := flag.String("dir", "", "where the temporary stores go (default: the system's temporary directory)")
	sink := flag.String("sink", "/usr/sbin/smtp-sink", "Postfix's smtp-sink (Debian package postfix)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the drains (not the intake) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/queue:", err)
			os.Exit(1)
		}
		profile = f
	}
	if err := run(*messages, *domains, *size, *workers, *runs, *dir, *sink); err != nil {
		fmt.Fprintln(os.Stderr, "bench/queue:", err)
		os.Exit(1)
	}
}

// profile, when set, receives a CPU profile of the drains.
var profile *os.File

func run(messages, domains, size, workers, runs int, dir, sinkBin string) error {
	if _, err := os.Stat(sinkBin); err != nil {
		return fmt.Errorf("smtp-sink not found (%v): apt-get install postfix", err)
	}
	port, stop, err := startSink(sinkBin)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("queue drain: %d messages of %d bytes to %d domains routed to smtp-sink on 127.0.0.1:%d, %d workers, %d runs, GOMAXPROCS %d\n",
		messages, size, domains, port, workers, runs, runtime.GOMAXPROCS(0))
	var rates []float64
	for i := range runs {
		r, err := round(messages, domains, size, workers, dir, port)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Printf("run %d: queued in %v (%.0f msg/s accepted); drained in %v: %.0f msg/s; %d delivered, %d failed, %d deferred\n",
			i+1, r.queued.Round(time.Millisecond), float64(messages)/r.queued.Seconds(),
			r.drained.Round(time.Millisecond), r.rate, r.delivered, r.failed, r.deferred)
		if r.delivered != int64(messages) || r.failed != 0 || r.deferred != 0 {
			return fmt.Errorf("run %d: %d of %d delivered, %d failed, %d deferred", i+1, r.delivered, messages, r.failed, r.deferred)
		}
		rates = append(rates, r.rate)
	}
	slices.Sort(rates)
	fmt.Printf("median drain rate: %.0f msg/s (runs: %v)\n", rates[len(rates)/2], roundAll(rates))
	return nil
}

func roundAll(f []float64) []int {
	out := make([]int, len(f))
	for i, v := range f {
		out[i] = int(v + 0.5)
	}
	return out
}

// startSink runs smtp-sink on a free loopback port, without dumping what
// it gets, and returns the port and how to stop it.
func startSink(bin string) (int, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var args []string
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // required when run as root
	}
	args = append(args, fmt.Sprintf("127.0.0.1:%d", port), "1000")
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			return 0, nil, fmt.Errorf("smtp-sink exited: %v %s", err, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			return port, stop, nil
		}
	}
	stop()
	return 0, nil, fmt.Errorf("smtp-sink did not listen on port %d within 5s", port)
}

type result struct {
	queued, drained             time.Duration
	rate                        float64
	delivered, failed, deferred int64
}

func round(messages, domains, size, workers int, dir string, port int) (result, error) {
	var res result
	ctx := context.Background()
	tmp, err := os.MkdirTemp(dir, "mailwright-bench-queue-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	dsn := "file:" + filepath.Join(tmp, "mailwright.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"
	st, err := store.Open(ctx, store.Options{Type: "sqlite", DSN: dsn, DataDir: filepath.Join(tmp, "data"), Connections: 8})
	if err != nil {
		return res, err
	}
	defer st.Close()
	if err := st.SetSetting(ctx, "HostName", "bench.example.com"); err != nil {
		return res, err
	}
	for d := range domains {
		r := store.Route{Domain: domainName(d), TargetHost: "127.0.0.1", TargetPort: port, Tries: 4, MinutesBetween: 60, AllAddresses: true}
		if _, err := st.CreateRoute(ctx, r); err != nil {
			return res, err
		}
	}
	counter := &attemptCounter{}
	router := routing.NewRouter(st, dns.NewResolver("127.0.0.1:1", time.Second), nil)
	q := queue.New(st, queue.Options{Workers: workers, Router: router, Worker: "bench", Log: slog.New(counter)})

	body := messageBody(size)
	began := time.Now()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
	)
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= messages {
					return
				}
				to := fmt.Sprintf("user%d@%s", i, domainName(i%domains))
				rc := []queue.Recipient{{Address: to, OriginalAddress: to}}
				if _, _, err := q.Accept(ctx, "sender@bench.example.com", rc, strings.NewReader(body)); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	res.queued = time.Since(began)

	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return res, err
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- q.Run(runCtx) }()
	err = waitEmpty(st.DB(), 10*time.Minute)
	res.drained = time.Since(start)
	if profile != nil {
		pprof.StopCPUProfile()
		profile = nil // the first run's drain only
	}
	cancel()
	if rerr := <-done; err == nil {
		err = rerr
	}
	res.rate = float64(messages) / res.drained.Seconds()
	res.delivered, res.failed, res.deferred = counter.delivered.Load(), counter.failed.Load(), counter.deferred.Load()
	return res, err
}

func domainName(i int) string { return fmt.Sprintf("d%03d.bench.test", i) }

// messageBody is a message of size bytes, header included, in 76-character
// lines.
func messageBody(size int) string {
	var b strings.Builder
	b.WriteString("From: sender@bench.example.com\r\nTo: someone@bench.test\r\nSubject: queue drain benchmark\r\n\r\n")
	line := strings.Repeat("x", 76) + "\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	b.WriteString(strings.Repeat("y", max(size-b.Len()-2, 0)) + "\r\n")
	return b.String()
}

// waitEmpty polls the queue until no message is queued.
func waitEmpty(db *sql.DB, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM messages WHERE state = ?", store.MessageQueued).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d messages still queued after %v", n, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// attemptCounter is the queue's log handler: it adds up the outcomes of
// the "remote delivery attempt" lines and prints warnings and errors.
type attemptCounter struct {
	delivered, failed, deferred atomic.Int64
}

func (c *attemptCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (c *attemptCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		fmt.Fprintf(os.Stderr, "%s %s", r.Level, r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(os.Stderr, " %s", a); return true })
		fmt.Fprintln(os.Stderr)
	}
	if r.Message != "remote delivery attempt" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "delivered":
			c.delivered.Add(a.Value.Int64())
		case "failed":
			c.failed.Add(a.Value.Int64())
		case "deferred":
			c.deferred.Add(a.Value.Int64())
		}
		return true
	})
	return nil
}

func (c *attemptCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *attemptCounter) WithGroup(string) slog.Handler      { return c }
