// Command smtpintake measures SMTP intake side by side with Postfix (issue
// 8): Postfix's smtp-source sends -messages messages of -size bytes to
// Mailwright (run in this process as mailwrightd runs it: SQLite with
// synchronous=FULL, delivery into a local account) and to a throw-away
// Postfix instance (delivery into a virtual Maildir), each on a loopback
// port, with 10 sessions and with 1, each with a new connection per
// message and with connection reuse. For every run it reports the
// messages per second accepted (smtp-source's time) and delivered (until
// the last message is in its mailbox), and the medians of -runs runs with
// the Mailwright/Postfix ratios. It measures the disk's own fsync rates in
// the same directory first.
//
// Run it as root (Postfix needs it) with Postfix installed; run.sh in this
// directory installs it on Debian and runs the program.
//
//	go build -o /tmp/smtpintake ./bench/smtpintake && /tmp/smtpintake
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

const (
	recipient = "user@bench.test"
	sender    = "sender@source.test"
)

// scenario is one way of sending: how many sessions at once and whether a
// session sends all its messages over one connection.
type scenario struct {
	sessions int
	reuse    bool
}

func (s scenario) String() string {
	conn := "new connection per message"
	if s.reuse {
		conn = "connection reuse (-d)"
	}
	return fmt.Sprintf("-s %d, %s", s.sessions, conn)
}

// target is a server under test.
type target struct {
	name       string
	port       int
	delivered  func() (int, error)
	queueEmpty func() (bool, error)
	log        string // its log file, if it has one of its own
}

// logTail is the end of t's log, for an error message.
func (t *target) logTail() string {
	if t.log == "" {
		return ""
	}
	b, err := os.ReadFile(t.log)
	if err != nil || len(b) == 0 {
		return ""
	}
	b = b[max(len(b)-3000, 0):]
	return "\nthe end of " + t.name + "'s log:\n" + string(b)
}

// runResult is one smtp-source run against one server.
type runResult struct {
	accepted, delivered float64 // messages per second
}

func main() {
	messages := flag.Int("messages", 5000, "messages per run")
	size := flag.Int("size", 4096, "message payload in bytes (smtp-source -l)")
	runs := flag.Int("runs", 3, "runs of each scenario on each server; the median is reported")
	dir := flag.String("dir", "", "where the temporary directory goes (default: the system's temporary directory)")
	only := flag.String("only", "", "run one server only: mailwright or postfix")
	scenarios := flag.String("scenarios", "10d,10,1d,1", "comma-separated sessions, with d for connection reuse")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole measurement to this file")
	diskTime := flag.Duration("disktime", 3*time.Second, "how long each disk measurement runs")
	flag.Parse()
	list, err := parseScenarios(*scenarios)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smtpintake:", err)
		os.Exit(2)
	}
	if err := run(*messages, *size, *runs, *dir, *only, list, *cpuProfile, *diskTime); err != nil {
		fmt.Fprintln(os.Stderr, "smtpintake:", err)
		os.Exit(1)
	}
}

func parseScenarios(s string) ([]scenario, error) {
	var out []scenario
	for f := range strings.SplitSeq(s, ",") {
		sc := scenario{}
		f = strings.TrimSpace(f)
		if n, ok := strings.CutSuffix(f, "d"); ok {
			sc.reuse, f = true, n
		}
		if _, err := fmt.Sscan(f, &sc.sessions); err != nil || sc.sessions < 1 {
			return nil, fmt.Errorf("bad scenario %q: want a number of sessions, optionally followed by d", f)
		}
		out = append(out, sc)
	}
	return out, nil
}

func run(messages, size, runs int, dir, only string, scenarios []scenario, cpuProfile string, diskTime time.Duration) error {
	source, err := exec.LookPath("smtp-source")
	if err != nil {
		source = "/usr/sbin/smtp-source"
		if _, err := os.Stat(source); err != nil {
			return errors.New("smtp-source not found: install the Debian package postfix (see run.sh)")
		}
	}
	tmp, err := os.MkdirTemp(dir, "mailwright-smtpintake-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("smtp intake: %d messages of %d bytes per run, %d runs, scenarios %v, GOMAXPROCS %d, in %s\n",
		messages, size, runs, scenarios, runtime.GOMAXPROCS(0), tmp)

	lim, err := measureDisk(tmp, diskTime, 10)
	if err != nil {
		return fmt.Errorf("measuring the disk: %w", err)
	}
	fmt.Printf("disk: %.0f 4 KiB write+fsync/s; %.0f create+4 KiB+fsync+directory fsync/s one at a time, %.0f/s from %d goroutines\n",
		lim.writeSync, lim.createSync, lim.createSyncSessions, lim.parallel)

	var targets []*target
	if only == "" || only == "mailwright" {
		port, err := freePort()
		if err != nil {
			return err
		}
		logFile, err := os.Create(filepath.Join(tmp, "mailwright.log"))
		if err != nil {
			return err
		}
		defer logFile.Close()
		mw, err := startMailwright(filepath.Join(tmp, "mailwright"), port, recipient, logFile)
		if err != nil {
			return fmt.Errorf("starting mailwright: %w", err)
		}
		defer mw.close()
		targets = append(targets, &target{name: "Mailwright", port: port, delivered: mw.delivered, queueEmpty: mw.queueEmpty, log: logFile.Name()})
	}
	if only == "" || only == "postfix" {
		port, err := freePort()
		if err != nil {
			return err
		}
		pf, err := startPostfix(filepath.Join(tmp, "postfix"), port, recipient)
		if err != nil {
			return fmt.Errorf("starting postfix: %w", err)
		}
		defer func() {
			if err := pf.stop(); err != nil {
				fmt.Fprintln(os.Stderr, "smtpintake:", err)
			}
		}()
		targets = append(targets, &target{name: "Postfix", port: port, delivered: pf.delivered, queueEmpty: pf.queueEmpty})
	}

	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	// results[scenario][target] holds the runs. Runs alternate between the
	// servers, so that noise from the machine falls on both.
	results := make([][][]runResult, len(scenarios))
	for i := range results {
		results[i] = make([][]runResult, len(targets))
	}
	for r := range runs {
		for i, sc := range scenarios {
			for j, t := range targets {
				res, err := runOnce(source, t, sc, messages, size)
				if err != nil {
					return fmt.Errorf("%s, %v, run %d: %w%s", t.name, sc, r+1, err, t.logTail())
				}
				fmt.Printf("run %d %-10s %-40s accepted %6.0f msg/s, delivered %6.0f msg/s\n", r+1, t.name, sc, res.accepted, res.delivered)
				results[i][j] = append(results[i][j], res)
			}
		}
	}
	printTable(scenarios, targets, results, lim)
	return nil
}

// runOnce sends messages with smtp-source to t as sc says and waits for
// the last one to be in the mailbox.
func runOnce(source string, t *target, sc scenario, messages, size int) (runResult, error) {
	if err := waitQuiet(t); err != nil {
		return runResult{}, err
	}
	before, err := t.delivered()
	if err != nil {
		return runResult{}, err
	}
	args := []string{"-4", "-s", fmt.Sprint(sc.sessions), "-m", fmt.Sprint(messages), "-l", fmt.Sprint(size),
		"-f", sender, "-t", recipient, "-M", "source.test"}
	if sc.reuse {
		args = append(args, "-d")
	}
	args = append(args, fmt.Sprintf("127.0.0.1:%d", t.port))
	cmd := exec.Command(source, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	accepted := time.Since(start)
	if err != nil {
		return runResult{}, fmt.Errorf("smtp-source %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	want := before + messages
	deadline := start.Add(10 * time.Minute)
	for {
		n, err := t.delivered()
		if err != nil {
			return runResult{}, err
		}
		if n >= want {
			break
		}
		if time.Now().After(deadline) {
			return runResult{}, fmt.Errorf("%d of %d messages delivered after 10 minutes", n-before, messages)
		}
		time.Sleep(5 * time.Millisecond)
	}
	delivered := time.Since(start)
	return runResult{accepted: float64(messages) / accepted.Seconds(), delivered: float64(messages) / delivered.Seconds()}, nil
}

// waitQuiet waits until nothing of an earlier run is left in t's queue.
func waitQuiet(t *target) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		empty, err := t.queueEmpty()
		if err != nil {
			return err
		}
		if empty {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: queue not empty after 5 minutes", t.name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func printTable(scenarios []scenario, targets []*target, results [][][]runResult, lim diskLimits) {
	fmt.Println()
	fmt.Println("medians, messages per second:")
	header := fmt.Sprintf("%-42s", "scenario")
	for _, t := range targets {
		header += fmt.Sprintf(" | %10s acc | %10s dlv", t.name, t.name)
	}
	if len(targets) == 2 {
		header += " | acc ratio | dlv ratio"
	}
	fmt.Println(header)
	for i, sc := range scenarios {
		line := fmt.Sprintf("%-42s", sc)
		var acc, dlv []float64
		for j := range targets {
			a := median(results[i][j], func(r runResult) float64 { return r.accepted })
			d := median(results[i][j], func(r runResult) float64 { return r.delivered })
			acc, dlv = append(acc, a), append(dlv, d)
			line += fmt.Sprintf(" | %14.0f | %14.0f", a, d)
		}
		if len(targets) == 2 {
			line += fmt.Sprintf(" | %9.2f | %9.2f", acc[0]/acc[1], dlv[0]/dlv[1])
		}
		fmt.Println(line)
	}
	fmt.Printf("disk: %.0f write+fsync/s, %.0f create+fsync+directory fsync/s (one at a time), %.0f/s (%d at a time)\n",
		lim.writeSync, lim.createSync, lim.createSyncSessions, lim.parallel)
}

func median(runs []runResult, field func(runResult) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = field(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
