package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/server"
	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
)

// ctlAdminPassword is the main administrator password of the test servers.
const ctlAdminPassword = "ctl test password"

// TestCtlAgainstARunningServer drives the built binary's ctl subcommand
// against the built daemon, as a script would: the end-to-end of issue 6
// first, on the fresh server, then the output, error and streaming
// behaviours, and last a replaced server certificate.
func TestCtlAgainstARunningServer(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Fatalf("swaks is not installed (%v): install the Debian package \"swaks\" (apt-get install swaks)", err)
	}
	srv := startCtlServer(t, buildDaemon(t))

	t.Run("first_connection_records_the_certificate_and_prints_its_fingerprint", func(t *testing.T) {
		r := srv.ctl(t, "", "whoami")
		r.mustSucceed(t)
		if !strings.Contains(r.stderr, "recorded the certificate") || !strings.Contains(r.stderr, srv.fingerprint) {
			t.Errorf("stderr %q does not report recording fingerprint %s", r.stderr, srv.fingerprint)
		}
		if !strings.Contains(r.stdout, "Administrator") || !strings.Contains(r.stdout, "server") {
			t.Errorf("whoami printed %q", r.stdout)
		}
		known, _ := os.ReadFile(srv.knownServers)
		if !strings.Contains(string(known), srv.rpcAddr+" "+srv.fingerprint) {
			t.Errorf("known servers file %q lacks %s %s", known, srv.rpcAddr, srv.fingerprint)
		}
		again := srv.ctl(t, "", "whoami")
		again.mustSucceed(t)
		if again.stderr != "" {
			t.Errorf("a pinned server's second connection printed %q", again.stderr)
		}
	})

	t.Run("queue_list_on_an_empty_queue_says_it_is_empty", func(t *testing.T) {
		r := srv.ctl(t, "", "queue", "list")
		r.mustSucceed(t)
		if strings.TrimSpace(r.stdout) != "the delivery queue is empty" {
			t.Errorf("queue list printed %q", r.stdout)
		}
		var parsed struct{ Messages []any }
		j := srv.ctl(t, "", "--json", "queue", "list")
		j.mustSucceed(t)
		if err := json.Unmarshal([]byte(j.stdout), &parsed); err != nil || parsed.Messages == nil || len(parsed.Messages) != 0 {
			t.Errorf("queue list --json printed %q (%v), want an empty messages array", j.stdout, err)
		}
	})

	t.Run("ctl_sets_up_a_domain_account_alias_and_list_and_swaks_mail_to_each_arrives", func(t *testing.T) {
		srv.ctl(t, "", "domain", "add", "example.com").mustSucceed(t)
		srv.ctl(t, "user password 1\n", "account", "add", "user@example.com", "--account-password-stdin").mustSucceed(t)
		srv.ctl(t, "", "alias", "add", "info@example.com", "user@example.com").mustSucceed(t)
		srv.ctl(t, "", "list", "add", "team@example.com", "--mode", "public").mustSucceed(t)
		srv.ctl(t, "", "list", "member", "add", "team@example.com", "user@example.com").mustSucceed(t)

		if r := srv.ctl(t, "", "list", "members", "team@example.com"); strings.TrimSpace(r.stdout) != "user@example.com" {
			t.Errorf("list members printed %q (%s)", r.stdout, r.stderr)
		}
		if r := srv.ctl(t, "", "alias", "list", "example.com"); !regexp.MustCompile(`info@example\.com\s+user@example\.com\s+true`).MatchString(r.stdout) {
			t.Errorf("alias list printed %q (%s)", r.stdout, r.stderr)
		}

		for _, to := range []string{"user@example.com", "info@example.com", "team@example.com"} {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			cmd := exec.CommandContext(ctx, swaks, "--server", srv.smtpAddr, "--helo", "client.test",
				"--from", "sender@remote.test", "--to", to, "--header", "Subject: ctl end-to-end to "+to,
				"--body", "sent to "+to, "--timeout", "30")
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("swaks to %s: %v\n%s", to, err, out)
			}
		}

		// Delivery goes through the queue: wait for the three messages.
		deadline := time.Now().Add(30 * time.Second)
		for {
			if n := srv.inboxCount(t, "user@example.com"); n == 3 {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("user@example.com's INBOX has %d messages 30s after sending, want 3\n%s", n, srv.log.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
		folders := srv.ctl(t, "", "account", "folders", "user@example.com")
		if !regexp.MustCompile(`(?m)^INBOX\s+3\s`).MatchString(folders.stdout) {
			t.Errorf("account folders printed %q", folders.stdout)
		}
	})

	t.Run("public_folders_and_permissions", func(t *testing.T) {
		srv.ctl(t, "", "domain", "add", "public.example").mustSucceed(t)
		srv.ctl(t, "seller password 1\n", "account", "add", "seller@public.example", "--account-password-stdin").mustSucceed(t)
		srv.ctl(t, "", "group", "add", "Sales").mustSucceed(t)
		srv.ctl(t, "", "group", "member", "add", "Sales", "seller@public.example").mustSucceed(t)
		srv.ctl(t, "", "public-folder", "add", "Projects").mustSucceed(t)
		srv.ctl(t, "", "public-folder", "add", "Projects/2026").mustSucceed(t)
		if r := srv.ctl(t, "", "public-folder", "add", "Nowhere/Sub"); r.code == 0 || !strings.Contains(r.stderr, "there is no public folder Nowhere") {
			t.Errorf("adding under a missing parent: exit %d, stderr %q", r.code, r.stderr)
		}
		srv.ctl(t, "", "public-folder", "permit", "Projects", "$Sales", "lrswi").mustSucceed(t)
		srv.ctl(t, "", "public-folder", "permit", "Projects", "anyone", "lr").mustSucceed(t)
		perms := srv.ctl(t, "", "public-folder", "permissions", "Projects")
		if !regexp.MustCompile(`(?m)^\$Sales\s+lrswi$`).MatchString(perms.stdout) || !regexp.MustCompile(`(?m)^anyone\s+lr$`).MatchString(perms.stdout) {
			t.Errorf("permissions printed %q", perms.stdout)
		}
		srv.ctl(t, "", "public-folder", "permit", "Projects", "anyone").mustSucceed(t)
		if perms := srv.ctl(t, "", "public-folder", "permissions", "Projects"); strings.Contains(perms.stdout, "anyone") {
			t.Errorf("anyone is still listed after its entry was removed: %q", perms.stdout)
		}
		if r := srv.ctl(t, "", "public-folder", "delete", "Projects"); r.code == 0 || !strings.Contains(r.stderr, "subfolders") {
			t.Errorf("deleting a folder with a subfolder: exit %d, stderr %q", r.code, r.stderr)
		}
		srv.ctl(t, "", "public-folder", "rename", "Projects/2026", "Archive").mustSucceed(t)
		list := srv.ctl(t, "", "public-folder", "list")
		if !regexp.MustCompile(`(?m)^Archive\s+0 messages$`).MatchString(list.stdout) || !regexp.MustCompile(`(?m)^Projects\s+0 messages$`).MatchString(list.stdout) {
			t.Errorf("public-folder list printed %q", list.stdout)
		}
		srv.ctl(t, "", "public-folder", "delete", "Projects").mustSucceed(t)
	})

	t.Run("json_output_parses_as_the_servers_response", func(t *testing.T) {
		r := srv.ctl(t, "", "--json", "domain", "show", "example.com")
		r.mustSucceed(t)
		var domain struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Active bool   `json:"active"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &domain); err != nil || domain.Name != "example.com" || !domain.Active || domain.ID == "" {
			t.Errorf("domain show --json printed %q: %+v %v", r.stdout, domain, err)
		}
		// The flag may also follow the command.
		r = srv.ctl(t, "", "account", "list", "example.com", "--json")
		r.mustSucceed(t)
		var accounts struct {
			Accounts []struct{ Address, AdminLevel string }
			Total    int
		}
		if err := json.Unmarshal([]byte(r.stdout), &accounts); err != nil || accounts.Total != 1 ||
			len(accounts.Accounts) != 1 || accounts.Accounts[0].Address != "user@example.com" || accounts.Accounts[0].AdminLevel != "ADMIN_LEVEL_USER" {
			t.Errorf("account list --json printed %q: %+v %v", r.stdout, accounts, err)
		}
	})

	t.Run("set_changes_only_the_fields_given", func(t *testing.T) {
		srv.ctl(t, "", "account", "set", "user@example.com", "--max-size-mb", "50", "--first-name=Ann", "--admin-level", "domain").mustSucceed(t)
		show := srv.ctl(t, "", "account", "show", "user@example.com")
		for _, want := range []string{`max-size-mb:\s+50`, `first-name:\s+Ann`, `admin-level:\s+domain`, `active:\s+true`} {
			if !regexp.MustCompile(`(?m)^` + want + `$`).MatchString(show.stdout) {
				t.Errorf("account show lacks %s:\n%s", want, show.stdout)
			}
		}
	})

	t.Run("domain_without_a_dot_exits_non_zero_printing_field_and_message", func(t *testing.T) {
		r := srv.ctl(t, "", "domain", "add", "nodot")
		if r.code == 0 {
			t.Fatalf("exit 0; stdout %q", r.stdout)
		}
		if !strings.Contains(r.stderr, `name: "nodot" is not a valid domain name`) {
			t.Errorf("stderr %q does not name the field", r.stderr)
		}
		if list := srv.ctl(t, "", "domain", "list"); strings.Contains(list.stdout, "nodot") {
			t.Errorf("the refused domain exists:\n%s", list.stdout)
		}
	})

	t.Run("wrong_password_exits_non_zero_with_the_servers_message", func(t *testing.T) {
		r := srv.ctlWithEnv(t, "", []string{"MAILWRIGHT_PASSWORD=not the password"}, "domain", "list")
		if r.code == 0 {
			t.Fatalf("exit 0 with a wrong password; stdout %q", r.stdout)
		}
		if !strings.Contains(r.stderr, store.ErrBadCredentials.Error()) {
			t.Errorf("stderr %q lacks the server's message %q", r.stderr, store.ErrBadCredentials)
		}
	})

	t.Run("login_password_and_account_password_come_from_two_stdin_lines", func(t *testing.T) {
		r := srv.ctlWithEnv(t, ctlAdminPassword+"\nsecond user password\n", []string{"MAILWRIGHT_PASSWORD="},
			"--password-stdin", "account", "add", "second@example.com", "--account-password-stdin")
		r.mustSucceed(t)
		login := srv.ctlWithEnv(t, "second user password\n", []string{"MAILWRIGHT_PASSWORD=", "MAILWRIGHT_USER=second@example.com"}, "--password-stdin", "whoami")
		login.mustSucceed(t)
		if !strings.Contains(login.stdout, "second@example.com") || !strings.Contains(login.stdout, "user") {
			t.Errorf("whoami as the new account printed %q", login.stdout)
		}
	})

	t.Run("status_shows_the_version_and_the_database_type", func(t *testing.T) {
		r := srv.ctl(t, "", "status")
		r.mustSucceed(t)
		for _, want := range []string{"version:", server.Version, "database:", "sqlite", "mail server:  running"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("status lacks %q:\n%s", want, r.stdout)
			}
		}
	})

	t.Run("log_follow_with_a_filter_prints_lines_logged_after_it_started", func(t *testing.T) {
		srv.followLog(t)
	})

	// The store, read after the server stopped: the three messages of the
	// end-to-end are in the INBOX, one for each address.
	srv.stop(t)
	srv.checkInboxSubjects(t, "user@example.com", []string{
		"ctl end-to-end to info@example.com", "ctl end-to-end to team@example.com", "ctl end-to-end to user@example.com"})

	t.Run("changed_certificate_is_refused_unless_accepted", func(t *testing.T) {
		// A new certificate, and the old fingerprint pinned for the new
		// address (the test's RPC port is chosen anew at each start).
		oldFingerprint := srv.fingerprint
		for _, name := range []string{"admin-rpc.crt", "admin-rpc.key"} {
			if err := os.Remove(filepath.Join(srv.cfg.Directories.Data, name)); err != nil {
				t.Fatal(err)
			}
		}
		srv.start(t)
		if srv.fingerprint == oldFingerprint {
			t.Fatal("the restarted server kept its certificate")
		}
		if err := os.WriteFile(srv.knownServers, []byte(srv.rpcAddr+" "+oldFingerprint+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := srv.ctl(t, "", "whoami")
		if r.code == 0 || !strings.Contains(r.stderr, "certificate has changed") || !strings.Contains(r.stderr, "--accept-changed-certificate") {
			t.Fatalf("changed certificate: exit %d, stderr %q", r.code, r.stderr)
		}
		srv.ctl(t, "", "--accept-changed-certificate", "whoami").mustSucceed(t)
		srv.ctl(t, "", "whoami").mustSucceed(t)
		srv.stop(t)
	})
}

// ctlServer is a built daemon running on loopback ports, and where ctl
// finds it.
type ctlServer struct {
	bin, ini     string
	cfg          *config.Config
	smtpAddr     string
	rpcAddr      string
	fingerprint  string
	knownServers string
	cmd          *exec.Cmd
	exited       chan error
	log          *ctlLog
}

// startCtlServer sets up a fresh server with one SMTP port and the RPC on
// loopback ports and starts it.
func startCtlServer(t *testing.T, bin string) *ctlServer {
	t.Helper()
	base := t.TempDir()
	s := &ctlServer{bin: bin, ini: filepath.Join(base, "etc", "mailwright.ini"), knownServers: filepath.Join(base, "known_servers")}
	setup := exec.Command(bin, "setup", "--config", s.ini, "--base", base, "--admin-password-stdin")
	setup.Stdin = strings.NewReader(ctlAdminPassword + "\n")
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	cfg, err := config.Load(s.ini)
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = cfg
	s.smtpAddr = useLoopbackPort(t, cfg)
	s.start(t)
	t.Cleanup(func() {
		if s.cmd != nil {
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// rpcListening is the daemon's log line with the RPC's bound address and
// certificate fingerprint.
var rpcListening = regexp.MustCompile(`msg="administration RPC listening" address=(\S+) fingerprint=(\S+)`)

// start runs "mailwrightd run" and returns once it has logged its start,
// with the RPC's address and fingerprint read from the log.
func (s *ctlServer) start(t *testing.T) {
	t.Helper()
	s.log = &ctlLog{started: make(chan struct{})}
	s.cmd = exec.Command(s.bin, "run", "--config", s.ini)
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait() }()
	select {
	case <-s.log.started:
	case err := <-s.exited:
		s.cmd = nil
		t.Fatalf("mailwrightd exited before it started: %v\n%s", err, s.log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no start line within 30s:\n%s", s.log.String())
	}
	m := rpcListening.FindStringSubmatch(s.log.String())
	if m == nil {
		t.Fatalf("no \"administration RPC listening\" line with address and fingerprint:\n%s", s.log.String())
	}
	s.rpcAddr, s.fingerprint = m[1], m[2]
}

// stop ends the daemon with SIGTERM and expects a clean exit.
func (s *ctlServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		s.cmd = nil
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("did not stop within 30s of SIGTERM:\n%s", s.log.String())
	}
}

// ctlResult is what one ctl run printed and its exit status.
type ctlResult struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r ctlResult) mustSucceed(t *testing.T) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("ctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
	}
}

// ctlEnvironment is the environment of ctl runs: the server and the
// administrator's credentials, and nothing of the user's own settings.
func (s *ctlServer) ctlEnvironment(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAILWRIGHT_") {
			env = append(env, kv)
		}
	}
	env = append(env, envServer+"="+s.rpcAddr, envPassword+"="+ctlAdminPassword, envKnownServers+"="+s.knownServers)
	return append(env, extra...)
}

func (s *ctlServer) ctl(t *testing.T, stdin string, args ...string) ctlResult {
	t.Helper()
	return s.ctlWithEnv(t, stdin, nil, args...)
}

// ctlWithEnv runs "mailwrightd ctl ARGS"; env entries override the
// defaults of ctlEnvironment.
func (s *ctlServer) ctlWithEnv(t *testing.T, stdin string, env []string, args ...string) ctlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"ctl"}, args...)...)
	cmd.Env = s.ctlEnvironment(env)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := ctlResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("ctl %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// inboxCount reads the INBOX's message count with ctl --json.
func (s *ctlServer) inboxCount(t *testing.T, address string) int {
	t.Helper()
	r := s.ctl(t, "", "--json", "account", "folders", address)
	r.mustSucceed(t)
	var resp struct {
		Folders []struct {
			Name     string
			Messages int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil {
		t.Fatalf("account folders --json printed %q: %v", r.stdout, err)
	}
	for _, f := range resp.Folders {
		if f.Name == "INBOX" {
			return f.Messages
		}
	}
	t.Fatalf("no INBOX in %q", r.stdout)
	return 0
}

// checkInboxSubjects opens the stopped server's store and compares the
// subjects of the account's INBOX messages with want (sorted).
func (s *ctlServer) checkInboxSubjects(t *testing.T, address string, want []string) {
	t.Helper()
	ctx := context.Background()
	_, dsn, _ := s.cfg.Database.DSN()
	st, err := store.Open(ctx, store.Options{Type: "sqlite", DSN: dsn, DataDir: s.cfg.Directories.Data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	account, err := st.AccountByAddress(ctx, address)
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := st.Inbox(ctx, account.ID)
	if err != nil {
		t.Fatal(err)
	}
	messages, err := st.FolderMessages(ctx, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range messages {
		subject, err := storedSubject(st, m)
		if err != nil {
			t.Fatalf("message %d: %v", m.ID, err)
		}
		subjects = append(subjects, subject)
	}
	slices.Sort(subjects)
	if !slices.Equal(subjects, want) {
		t.Errorf("INBOX subjects %q, want %q", subjects, want)
	}
}

func storedSubject(st *store.Store, m store.StoredMessage) (string, error) {
	f, err := st.Files().Open(m.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		return "", err
	}
	return msg.Header.Get("Subject"), nil
}

// followLog runs "ctl log follow --filter" and makes audit lines with
// another ctl until one shows: the stream may start a moment after the
// process does, so the first group may be made before it listens.
func (s *ctlServer) followLog(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, "ctl", "log", "follow", "--filter", "create group")
	cmd.Env = s.ctlEnvironment(nil)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	var seen []string
	deadline := time.After(30 * time.Second)
	found := false
	for n := 1; !found; n++ {
		name := fmt.Sprintf("followed-%d", n)
		s.ctl(t, "", "group", "add", name).mustSucceed(t)
		wait := time.After(time.Second)
	drain:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("log follow ended early: %s\nprinted: %q", stderr.String(), seen)
				}
				seen = append(seen, line)
				if strings.Contains(line, "create group") && strings.Contains(line, "group="+name) {
					found = true
					break drain
				}
			case <-wait:
				break drain
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("no \"create group\" line within 30s; printed %q, stderr %s", seen, stderr.String())
			}
		}
	}
	// Interrupting is the normal end: exit status 0.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for line := range lines {
		seen = append(seen, line)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("log follow after an interrupt: %v\n%s", err, stderr.String())
	}
	for _, line := range seen {
		if !strings.Contains(strings.ToLower(line), "create group") {
			t.Errorf("the filter let through %q", line)
		}
	}
}

// ctlLog keeps the daemon's standard error and closes started at its
// start line.
type ctlLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	started chan struct{}
	seen    bool
}

func (l *ctlLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.seen && strings.Contains(l.buf.String(), "Mailwright started") {
		l.seen = true
		close(l.started)
	}
	return len(p), nil
}

func (l *ctlLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// The parts that need no server.

func TestCtlArguments(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		command string
		argv    []string
		options map[string]string
		fields  []string // flag=text
		json    bool
		wantErr string
	}{
		{name: "global_flags_may_come_before_and_after_the_command",
			args: []string{"--json", "account", "list", "example.com", "--server", "h:1", "--filter", "ann"}, command: "account list",
			argv: []string{"example.com"}, options: map[string]string{"filter": "ann"}, json: true},
		{name: "a_switch_alone_is_true_and_takes_no_argument",
			args: []string{"domain", "set", "--active", "example.com"}, command: "domain set",
			argv: []string{"example.com"}, fields: []string{"active=true"}},
		{name: "a_flag_takes_the_next_argument_or_an_equals_value",
			args: []string{"domain", "set", "example.com", "--max-accounts", "10", "--max-lists=2", "--active=false"}, command: "domain set",
			argv: []string{"example.com"}, fields: []string{"max-accounts=10", "max-lists=2", "active=false"}},
		{name: "nested_fields_are_flags_with_the_message_prefix",
			args: []string{"iprange", "add", "Office", "--allow-external-to-local", "--require-auth-local-to-external=yes"}, command: "iprange add",
			argv: []string{"Office"}, fields: []string{"allow-external-to-local=true", "require-auth-local-to-external=yes"}},
		{name: "a_field_has_its_short_alias",
			args: []string{"list", "add", "team@example.com", "--announcer", "boss@example.com", "--require-auth"}, command: "list add",
			argv: []string{"team@example.com"}, fields: []string{"announcer-address=boss@example.com", "require-smtp-auth=true"}},
		{name: "double_dash_ends_the_flags",
			args: []string{"setting", "set", "--", "--odd=1"}, command: "setting set", argv: []string{"--odd=1"}},
		{name: "variadic_arguments", args: []string{"list", "member", "add", "l@x.org", "a@x.org", "b@x.org"}, command: "list member add",
			argv: []string{"l@x.org", "a@x.org", "b@x.org"}},
		{name: "optional_argument_may_be_left_out", args: []string{"setting", "list"}, command: "setting list"},
		{name: "no_arguments_is_the_help", args: nil, command: "help"},
		{name: "unknown_command_is_refused", args: []string{"domian", "list"}, wantErr: `unknown command "domian"`},
		{name: "a_noun_alone_lists_its_verbs", args: []string{"queue"}, wantErr: "list, show, send, remove, clear"},
		{name: "unknown_verb_is_refused", args: []string{"queue", "flush"}, wantErr: `has no command "flush"`},
		{name: "missing_argument_shows_the_usage", args: []string{"alias", "add", "a@example.com"}, wantErr: "usage: mailwrightd ctl alias add ADDRESS TARGET"},
		{name: "extra_argument_is_refused", args: []string{"domain", "show", "a.org", "b.org"}, wantErr: "usage: mailwrightd ctl domain show NAME"},
		{name: "unknown_flag_is_refused", args: []string{"domain", "list", "--colour"}, wantErr: "unknown flag --colour"},
		{name: "identity_fields_are_not_flags", args: []string{"account", "set", "a@example.com", "--address", "b@example.com"}, wantErr: "unknown flag --address"},
		{name: "server_owned_fields_are_not_flags", args: []string{"domain", "set", "a.org", "--id", "3"}, wantErr: "unknown flag --id"},
		{name: "a_bad_number_is_refused_before_any_call", args: []string{"domain", "set", "a.org", "--max-accounts", "many"}, wantErr: `"many" is not a whole number`},
		{name: "a_bad_enum_name_lists_the_good_ones", args: []string{"list", "add", "l@x.org", "--mode", "open"}, wantErr: "public, membership, announcements"},
		{name: "a_flag_without_its_value_is_refused", args: []string{"account", "list", "x.org", "--filter"}, wantErr: "--filter needs a value"},
		{name: "a_bad_timeout_is_refused", args: []string{"--timeout", "soon", "status"}, wantErr: "--timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			call, err := parseCtlArgs(c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if call.cmd.path != c.command || !slices.Equal(call.args, c.argv) {
				t.Errorf("command %q args %q, want %q %q", call.cmd.path, call.args, c.command, c.argv)
			}
			for name, want := range c.options {
				if call.options[name] != want {
					t.Errorf("option %s = %q, want %q", name, call.options[name], want)
				}
			}
			var fields []string
			for _, f := range call.fields {
				fields = append(fields, f.flag.name+"="+f.text)
			}
			if !slices.Equal(fields, c.fields) {
				t.Errorf("fields %q, want %q", fields, c.fields)
			}
			if call.settings.json != c.json {
				t.Errorf("json %v, want %v", call.settings.json, c.json)
			}
		})
	}
}

func TestCtlFieldFlagsSetTheMessage(t *testing.T) {
	call, err := parseCtlArgs([]string{"route", "add", "other.test", "--target-port", "2525", "--security", "starttls-required",
		"--addresses", "a@other.test, b@other.test", "--requires-auth"})
	if err != nil {
		t.Fatal(err)
	}
	route := &adminv1.Route{}
	if err := call.applyFields(route); err != nil {
		t.Fatal(err)
	}
	if route.GetTargetPort() != 2525 || route.GetSecurity().String() != "CONNECTION_SECURITY_STARTTLS_REQUIRED" ||
		!slices.Equal(route.GetAddresses(), []string{"a@other.test", "b@other.test"}) || !route.GetRequiresAuth() {
		t.Errorf("route %v", route)
	}

	call, err = parseCtlArgs([]string{"account", "set", "u@example.com", "--vacation-expires-at", "2030-01-02T03:04:05Z", "--admin-level", "server"})
	if err != nil {
		t.Fatal(err)
	}
	account := &adminv1.Account{}
	if err := call.applyFields(account); err != nil {
		t.Fatal(err)
	}
	if account.GetVacationExpiresAt() != time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Unix() || account.GetAdminLevel().String() != "ADMIN_LEVEL_SERVER" {
		t.Errorf("account %v", account)
	}
}

// TestCtlEveryFieldFlagIsDocumented keeps the help of the field flags
// complete as the messages grow.
func TestCtlEveryFieldFlagIsDocumented(t *testing.T) {
	for _, cmd := range ctlCommands {
		for _, ff := range settableFields(cmd) {
			if fieldDocs[ff.message][ff.name] == "" {
				t.Errorf("%s: --%s has no line in fieldDocs[%q]", cmd.path, ff.name, ff.message)
			}
		}
	}
}

func TestCtlHelpListsEveryCommandAndItsFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runMain([]string{"ctl", "help"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("ctl help: exit %d: %s", code, errOut.String())
	}
	for _, cmd := range ctlCommands {
		if !strings.Contains(out.String(), "  "+usageLine(cmd)+" ") {
			t.Errorf("ctl help lacks %q", usageLine(cmd))
		}
		var one bytes.Buffer
		if code := runMain(append(append([]string{"ctl"}, strings.Fields(cmd.path)...), "--help"), strings.NewReader(""), &one, io.Discard); code != 0 {
			t.Errorf("%s --help: exit %d", cmd.path, code)
		}
		for _, o := range cmd.options {
			if !strings.Contains(one.String(), "--"+o.name) {
				t.Errorf("%s --help lacks --%s", cmd.path, o.name)
			}
		}
		for _, ff := range settableFields(cmd) {
			if !strings.Contains(one.String(), "--"+ff.name) {
				t.Errorf("%s --help lacks --%s", cmd.path, ff.name)
			}
		}
	}
}
