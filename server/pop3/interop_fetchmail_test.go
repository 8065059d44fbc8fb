package pop3

// fetchmail (Debian package fetchmail) fetches over POP3 from a server
// started on 127.0.0.1, in plain text and with implicit TLS, keeping the
// messages on the server or not; the messages must arrive intact.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/store"
)

// runFetchmail runs fetchmail with the run control file rc (HOME is home,
// so no user file is read or written) and returns its exit code: 0 when
// mail was fetched, 1 when there was none (fetchmail(1), EXIT CODES).
func runFetchmail(t *testing.T, ts *testServer, home, rc string) int {
	t.Helper()
	path, err := exec.LookPath("fetchmail")
	if err != nil {
		t.Skipf("fetchmail is not installed (%v): install the Debian package \"fetchmail\"; CI's installer/test.sh does", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), interopClientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-f", rc, "--nodetach", "--invisible", "-v",
		"--pidfile", filepath.Join(home, "fetchmail.pid"), "--idfile", filepath.Join(home, "fetchids"))
	cmd.WaitDelay = 5e9
	cmd.Env = append(os.Environ(), "HOME="+home, "LC_ALL=C")
	cmd.Dir = home
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("fetchmail did not finish within %v:\n%s", interopClientTimeout, out.String())
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("fetchmail: %v", err)
		}
		code = ee.ExitCode()
	}
	if code > 1 {
		t.Fatalf("fetchmail exited with %d:\n%s\nconversation:\n%s", code, out.String(), ts.conv.String())
	}
	t.Logf("fetchmail exited with %d", code)
	return code
}

// writeFetchmailRC writes a run control file (mode 0600: fetchmail
// refuses others) that polls the listener at hostPort over POP3 and hands
// every message to an MDA appending it to out. serverOptions go on the
// poll line, options after the user.
func writeFetchmailRC(t *testing.T, home, hostPort, serverOptions, security, options, out string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(home, "fetchmailrc")
	text := "set no bouncemail\nset no syslog\n" +
		"poll " + host + " with proto POP3 port " + port + " timeout 30 " + serverOptions + "\n" +
		"  user \"user@example.com\" there with password \"secret\" is \"tester\" here\n" +
		"  options " + options + " " + security + "\n" +
		"  mda \"cat >> " + out + "\"\n"
	if err := os.WriteFile(rc, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return rc
}

func TestInteropFetchmail(t *testing.T) {
	for _, tc := range []struct {
		name     string
		security store.ConnectionSecurity
		rc       string // fetchmail's TLS options
	}{
		{"plain", store.SecurityNone, "sslproto ''"},
		{"ssl", store.SecurityTLS, "ssl no sslcertck"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			home := t.TempDir()
			out := filepath.Join(home, "fetched")
			// fetchmail hands messages to an MDA with LF line ends.
			lf := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
			read := func() string {
				b, err := os.ReadFile(out)
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
				return string(b)
			}
			first := interopMessage("fetchmail " + tc.name)
			second := "Subject: second\r\n\r\n.\r\n..\r\nkept\r\n"
			ts.deliver("user@example.com", first)
			ts.deliver("user@example.com", second)

			// keep (with UIDL tracking): both are fetched and stay.
			rc := writeFetchmailRC(t, home, ts.addrs[tc.security], "uidl", tc.rc, "keep", out)
			if code := runFetchmail(t, ts, home, rc); code != 0 {
				t.Fatalf("the first run fetched nothing (exit %d)", code)
			}
			if got, want := read(), lf(first)+lf(second); got != want {
				t.Fatalf("fetched with keep: %s", firstDifference(got, want))
			}
			if left := ts.inbox("user@example.com"); len(left) != 2 {
				t.Fatalf("after fetching with keep the INBOX holds %d messages, want 2", len(left))
			}
			// keep again: both UIDs are known, nothing is fetched.
			if code := runFetchmail(t, ts, home, rc); code != 1 {
				t.Errorf("the second run with keep exited with %d, want 1 (no mail)", code)
			}
			if got, want := read(), lf(first)+lf(second); got != want {
				t.Fatalf("the second run changed what was fetched: %s", firstDifference(got, want))
			}

			// no keep, fetchall: both are fetched again and deleted.
			if err := os.Remove(out); err != nil {
				t.Fatal(err)
			}
			rc = writeFetchmailRC(t, home, ts.addrs[tc.security], "", tc.rc, "no keep fetchall", out)
			if code := runFetchmail(t, ts, home, rc); code != 0 {
				t.Fatalf("the run with no keep fetched nothing (exit %d)", code)
			}
			if got, want := read(), lf(first)+lf(second); got != want {
				t.Fatalf("fetched with no keep: %s", firstDifference(got, want))
			}
			if left := ts.inbox("user@example.com"); len(left) != 0 {
				t.Fatalf("after fetching with no keep the INBOX holds %d messages", len(left))
			}
		})
	}
}
