package queue

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/dns/dnstest"
	"github.com/mailwright/mailwright/server/routing"
)

// smtpSinkPath is where Debian's postfix package installs Postfix's
// smtp-sink test server.
const smtpSinkPath = "/usr/sbin/smtp-sink"

// startSMTPSink runs Postfix's smtp-sink on 127.0.0.1 and a free port,
// dumping every mail transaction to its own file under the returned
// directory, and stops it when the test ends. Without smtp-sink the test
// fails naming the Debian package (installer/test.sh installs it).
func startSMTPSink(t *testing.T) (port uint16, dumps string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Postfix's smtp-sink is a Unix program")
	}
	bin, err := exec.LookPath("smtp-sink")
	if err != nil {
		bin = smtpSinkPath
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("Postfix's smtp-sink is not installed (%v): apt-get install postfix (Debian package \"postfix\"; installer/test.sh installs it)", err)
	}
	// smtp-sink run as root drops to nobody, who must be able to reach
	// and write the dumps: not under t.TempDir, whose parent is 0700.
	dumps, err = os.MkdirTemp("", "smtp-sink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dumps) })
	if err := os.Chmod(dumps, 0o777); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = uint16(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		args := []string{"-d", filepath.Join(dumps, "%H%M%S.")}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "nobody")
		}
		args = append(args, fmt.Sprintf("127.0.0.1:%d", port), "100")
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting smtp-sink: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Ready when it answers; another process may have taken the port.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case err := <-exited:
				t.Logf("smtp-sink on port %d exited: %v %s", port, err, stderr.String())
				deadline = time.Time{}
				continue
			default:
			}
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
			if err == nil {
				line, _ := bufio.NewReader(c).ReadString('\n')
				c.Close()
				if strings.HasPrefix(line, "220 ") {
					t.Cleanup(func() {
						select {
						case err := <-exited:
							t.Errorf("smtp-sink exited during the test: %v %s", err, stderr.String())
						default:
							cmd.Process.Kill()
							<-exited
						}
					})
					return port, dumps
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if deadline.IsZero() {
			continue
		}
		cmd.Process.Kill()
		<-exited
		t.Fatalf("smtp-sink did not answer on port %d within 5s: %s", port, stderr.String())
	}
	t.Fatal("smtp-sink: no free port worked in 10 tries")
	return 0, ""
}

// sinkDump is one mail transaction smtp-sink dumped.
type sinkDump struct {
	From   string
	Rcpts  []string
	TestID string
	Body   string // what followed the header, as dumped
}

// sinkDumps reads the complete dumps under dir: those whose message
// header is there. smtp-sink writes its own X-Client-Addr, X-Mail-Args
// and X-Rcpt-Args lines before the message.
func sinkDumps(t *testing.T, dir string) []sinkDump {
	t.Helper()
	var out []sinkDump
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(raw), "\r\n", "\n")
		head, body, ok := strings.Cut(text, "\n\n")
		if !ok {
			return nil // still being written
		}
		var dmp sinkDump
		for line := range strings.Lines(head) {
			line = strings.TrimRight(line, "\n")
			name, value, _ := strings.Cut(line, ": ")
			switch strings.ToLower(name) {
			case "x-mail-args":
				dmp.From = sinkAddress(value)
			case "x-rcpt-args":
				dmp.Rcpts = append(dmp.Rcpts, sinkAddress(value))
			case "x-test-id":
				dmp.TestID = value
			}
		}
		dmp.Body = body
		out = append(out, dmp)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sinkAddress is the address of an X-Mail-Args or X-Rcpt-Args value,
// "<a@b> PARAM=x".
func sinkAddress(args string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(args), " ")
	return strings.Trim(first, "<>")
}

// TestDeliveryByMXToPostfixSMTPSink delivers messages with several
// recipients in two domains through the queue to Postfix's smtp-sink, the
// domains' MX host on loopback in the test's DNS server, and reads back
// what the sink dumped: every recipient of every message once, from the
// envelope sender, with the body intact (dot-stuffing undone).
func TestDeliveryByMXToPostfixSMTPSink(t *testing.T) {
	const messages = 100
	rcptsOf := []string{"one@sink-a.test", "two@sink-a.test", "three@sink-b.test"}

	port, dumps := startSMTPSink(t)
	st, accounts := newTestStore(t, "sender")
	sender := accounts[0]
	zone := dnstest.NewServer(t,
		"sink-a.test. MX 10 mx.sink.test.",
		"sink-b.test. MX 10 mx.sink.test.",
		"mx.sink.test. A 127.0.0.1",
	)
	w := &remoteWorld{t: t, st: st, accounts: accounts, zone: zone}
	w.settings(map[string]string{"HostName": "mail.example.com"})
	w.router = w.newRouter(routing.WithMXPort(port))
	q := w.queue("node", Options{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("queue log:\n%s", w.logs.String())
		}
	})

	var rcpts []Recipient
	for _, a := range rcptsOf {
		rcpts = append(rcpts, external(a))
	}
	for i := range messages {
		text := fmt.Sprintf("From: %s\r\nTo: one@sink-a.test\r\nSubject: sink %d\r\nX-Test-Id: sink-%d\r\n\r\n"+
			"line one of %d\r\n.a line that starts with a dot\r\n", sender.Address, i, i, i)
		w.accept(q, sender.Address, rcpts, text)
	}
	began := time.Now()
	r := start(t, q)
	waitDrained(t, st, 30*time.Second)
	r.stop(t)
	t.Logf("%d messages × %d recipients drained to smtp-sink in %v", messages, len(rcpts), time.Since(began).Round(time.Millisecond))

	// The queue row goes after the sink's 250, so its dump is complete;
	// allow the sink a moment to close the last files anyway.
	got := map[string]int{} // "test id rcpt" → count
	var bad []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		clear(got)
		bad = bad[:0]
		n := 0
		for _, d := range sinkDumps(t, dumps) {
			if d.From != sender.Address {
				bad = append(bad, fmt.Sprintf("%s: MAIL FROM %q", d.TestID, d.From))
			}
			var i int
			if _, err := fmt.Sscanf(d.TestID, "sink-%d", &i); err != nil {
				bad = append(bad, fmt.Sprintf("a dump with X-Test-Id %q", d.TestID))
				continue
			}
			if want := fmt.Sprintf("line one of %d\n.a line that starts with a dot\n", i); !strings.HasPrefix(d.Body, want) {
				bad = append(bad, fmt.Sprintf("%s: body %q, want %q", d.TestID, d.Body, want))
			}
			for _, rc := range d.Rcpts {
				got[d.TestID+" "+rc]++
				n++
			}
		}
		if n >= messages*len(rcpts) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(bad) > 0 {
		t.Errorf("%d wrong dumps: %v", len(bad), bad[:min(len(bad), 10)])
	}
	var missing, twice []string
	for i := range messages {
		for _, rc := range rcptsOf {
			key := fmt.Sprintf("sink-%d %s", i, rc)
			switch got[key] {
			case 0:
				missing = append(missing, key)
			case 1:
			default:
				twice = append(twice, key)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d deliveries never reached smtp-sink: %v\n%s", len(missing), messages*len(rcpts), missing[:min(len(missing), 10)], w.logs.String())
	}
	if len(twice) > 0 {
		t.Errorf("%d deliveries reached smtp-sink more than once without a crash: %v", len(twice), twice[:min(len(twice), 10)])
	}
}
