package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/password"
)

// buildDaemon compiles mailwrightd once per test run.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mailwrightd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestSetupThenRunThenStopOnSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM does not exist on Windows; the service manager stops the server there")
	}
	bin := buildDaemon(t)
	base := t.TempDir()
	ini := filepath.Join(base, "etc", "mailwright.ini")

	setup := exec.Command(bin, "setup", "--config", ini, "--base", base, "--admin-password-stdin")
	setup.Stdin = strings.NewReader("correct horse\n")
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	cfg, err := config.Load(ini)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := password.Verify(cfg.Security.AdministratorPassword, "correct horse"); !ok {
		t.Fatalf("the administrator password hash in %s does not verify", ini)
	}
	if info, err := os.Stat(ini); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mailwright.ini mode %v (%v), want 0600", info.Mode().Perm(), err)
	}

	again := exec.Command(bin, "setup", "--config", ini, "--base", base, "--admin-password", "x")
	if out, err := again.CombinedOutput(); err == nil || !strings.Contains(string(out), "already exists") {
		t.Fatalf("a second setup without --force was not refused: %v\n%s", err, out)
	}

	// Serve SMTP on a loopback port of the test's choosing instead of the
	// default 0.0.0.0:25 and :587.
	smtpAddr := useLoopbackPort(t, cfg)

	run := exec.Command(bin, "run", "--config", ini)
	stderr, _ := run.StderrPipe()
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 1)
	var logged bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logged.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "Mailwright started") {
				started <- sc.Text()
			}
		}
		close(started)
	}()
	select {
	case line := <-started:
		for _, want := range []string{"data=" + filepath.Join(base, "data"), "logs=" + filepath.Join(base, "logs")} {
			if !strings.Contains(line, want) {
				t.Errorf("start line %q does not say %q", line, want)
			}
		}
	case <-time.After(30 * time.Second):
		run.Process.Kill()
		t.Fatalf("no start line within 30s; log:\n%s", logged.String())
	}
	// The server answers SMTP on the configured port.
	if c, err := net.DialTimeout("tcp", smtpAddr, 5*time.Second); err != nil {
		t.Errorf("SMTP port %s: %v", smtpAddr, err)
	} else {
		greeting, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if !strings.HasPrefix(greeting, "220 ") {
			t.Errorf("SMTP greeting %q", greeting)
		}
	}
	if err := run.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logged.String())
		}
	case <-time.After(30 * time.Second):
		run.Process.Kill()
		t.Fatal("did not stop within 30s of SIGTERM")
	}
	for range started {
	}
	if !strings.Contains(logged.String(), "msg=stopped") {
		t.Errorf("no stop line in the log:\n%s", logged.String())
	}
	logs, _ := filepath.Glob(filepath.Join(base, "logs", "mailwright_*.log"))
	if len(logs) != 1 {
		t.Errorf("log files %v, want one daily file", logs)
	}

	// The database it made has the defaults of a fresh install.
	_, dsn, _ := cfg.Database.DSN()
	st, err := store.Open(context.Background(), store.Options{Type: "sqlite", DSN: dsn, DataDir: cfg.Directories.Data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ranges, err := st.IPRanges(context.Background())
	if err != nil || len(ranges) == 0 || ranges[0].Name != "My computer" {
		t.Fatalf("IP ranges after setup: %v %v", ranges, err)
	}
}

func TestSetupRefusesBadInput(t *testing.T) {
	base := t.TempDir()
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"empty_administrator_password", []string{"--admin-password-stdin"}, "\n", "administrator password is required"},
		{"unknown_database_type", []string{"--admin-password", "pw", "--db-type", "oracle"}, "", "oracle"},
		{"network_database_without_a_server", []string{"--admin-password", "pw", "--db-type", "pgsql"}, "", "Server"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ini := filepath.Join(base, c.name, "mailwright.ini")
			var out, errOut bytes.Buffer
			args := append([]string{"setup", "--config", ini, "--base", filepath.Join(base, c.name)}, c.args...)
			code := runMain(args, strings.NewReader(c.stdin), &out, &errOut)
			if code == 0 || !strings.Contains(errOut.String(), c.want) {
				t.Fatalf("exit %d, stderr %q: want a failure mentioning %q", code, errOut.String(), c.want)
			}
			if _, err := os.Stat(ini); err == nil {
				t.Errorf("a failed setup left %s behind", ini)
			}
		})
	}
}

func TestRunWithoutConfigurationSaysToRunSetup(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runMain([]string{"run", "--config", filepath.Join(t.TempDir(), "missing.ini")}, nil, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "mailwrightd setup") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// useLoopbackPort replaces the configured TCP/IP ports with one SMTP port on
// a free loopback port and returns its address.
func useLoopbackPort(t *testing.T, cfg *config.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	_, dsn, _ := cfg.Database.DSN()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Type: "sqlite", DSN: dsn, DataDir: cfg.Directories.Data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ports, err := st.Ports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if err := st.DeletePort(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreatePort(ctx, store.Port{Protocol: store.ProtocolSMTP, Address: netip.MustParseAddr("127.0.0.1"), Port: port}); err != nil {
		t.Fatal(err)
	}
	// The administration RPC on a port of its own, not the default 8425.
	if err := st.SetSetting(ctx, "AdminAddress", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
