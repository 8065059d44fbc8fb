package pop3

// Interoperability tests: real mail clients from Debian (Python's poplib
// and curl) read from a server started on 127.0.0.1, and each message must
// arrive byte-intact. The clients must be installed; a missing one fails
// the test and names the Debian package to install.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

const interopClientTimeout = 60 * time.Second

// debianPackages names the Debian package that provides each client.
var debianPackages = map[string]string{"curl": "curl", "python3": "python3"}

// interopMessage holds what POP3 transparency (RFC 1939 3) and line
// handling must carry unchanged: lines that start with a dot, a line that
// is only a dot, a 900-character line, trailing white space, empty lines
// and 8-bit text.
func interopMessage(subject string) string {
	lines := []string{
		"From: Interop Sender <a@external.example>",
		"To: <user@example.com>",
		"Subject: " + subject,
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		".a line that starts with a dot",
		"..two dots",
		".",
		"the line above is a single dot",
		strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 25),
		"trailing white space \t ",
		"",
		"",
		"8-bit: Gr\u00fc\u00dfe aus K\u00f6ln",
		"the last line",
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// hostPort is the address of the listener with the given security.
func (ts *testServer) hostPort(security store.ConnectionSecurity) (host, port string) {
	ts.t.Helper()
	host, port, err := net.SplitHostPort(ts.addrs[security])
	if err != nil {
		ts.t.Fatal(err)
	}
	return host, port
}

// runClient runs an installed client program with a time limit and returns
// its standard output, its standard error and its exit error. A program
// that is not installed fails the test, naming the Debian package.
func runClient(t *testing.T, program string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		pkg := debianPackages[program]
		t.Fatalf("%s is not installed (%v): install the Debian package %q (apt-get install %s)", program, err, pkg, pkg)
	}
	ctx, cancel := context.WithTimeout(t.Context(), interopClientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s did not finish within %v:\n%s%s", program, interopClientTimeout, out.String(), errOut.String())
	}
	return out.String(), errOut.String(), err
}

// poplibResult is what testdata/interop/poplib_client.py prints.
type poplibResult struct {
	Welcome     string   `json:"welcome"`
	Capa        []string `json:"capa"`
	STLS        string   `json:"stls"`
	User        string   `json:"user"`
	Pass        string   `json:"pass"`
	Stat        []int64  `json:"stat"`
	List        []string `json:"list"`
	UIDL        []string `json:"uidl"`
	RetrStatus  string   `json:"retr_status"`
	Retr        string   `json:"retr"`
	Top         string   `json:"top"`
	Dele        string   `json:"dele"`
	RetrDeleted string   `json:"retr_deleted"`
	Quit        string   `json:"quit"`
}

func TestInteropPythonPoplib(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		security store.ConnectionSecurity
		capa     []string
	}{
		{"starttls", store.SecuritySTARTTLSRequired, []string{"AUTH-RESP-CODE", "IMPLEMENTATION", "PIPELINING", "RESP-CODES", "STLS", "TOP", "UIDL"}},
		{"ssl", store.SecurityTLS, []string{"AUTH-RESP-CODE", "IMPLEMENTATION", "PIPELINING", "RESP-CODES", "SASL", "TOP", "UIDL", "USER"}},
		{"plain", store.SecurityNone, []string{"AUTH-RESP-CODE", "IMPLEMENTATION", "PIPELINING", "RESP-CODES", "SASL", "TOP", "UIDL", "USER"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			ts.set("WelcomePOP3", "Mailwright interop")
			message := interopMessage("poplib " + tc.mode)
			second := "Subject: second\r\n\r\nkept\r\n"
			m1 := ts.deliver("user@example.com", message)
			m2 := ts.deliver("user@example.com", second)
			host, port := ts.hostPort(tc.security)
			stdout, stderr, err := runClient(t, "python3", "-I", filepath.Join("testdata", "interop", "poplib_client.py"),
				tc.mode, host, port, "user@example.com", "secret")
			if err != nil {
				t.Fatalf("python3 failed: %v\n%s%s", err, stdout, stderr)
			}
			var got poplibResult
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("the script's output %q: %v\n%s", stdout, err, stderr)
			}
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s: got %q, want %q", what, got, want)
				}
			}
			check("welcome", got.Welcome, "+OK Mailwright interop")
			if !slices.Equal(got.Capa, tc.capa) {
				t.Errorf("capa %v, want %v", got.Capa, tc.capa)
			}
			if tc.mode == "starttls" {
				check("stls", got.STLS, "+OK Begin TLS negotiation")
			}
			check("user", got.User, "+OK Send your password")
			check("pass", got.Pass, "+OK Mailbox locked and ready")
			total := int64(len(message) + len(second))
			if !slices.Equal(got.Stat, []int64{2, total}) {
				t.Errorf("stat %v, want [2 %d]", got.Stat, total)
			}
			if want := []string{"1 " + size(message), "2 " + size(second)}; !slices.Equal(got.List, want) {
				t.Errorf("list %q, want %q", got.List, want)
			}
			if want := []string{"1 " + store.POP3UID(m1), "2 " + store.POP3UID(m2)}; !slices.Equal(got.UIDL, want) {
				t.Errorf("uidl %q, want %q", got.UIDL, want)
			}
			check("retr status", got.RetrStatus, "+OK "+size(message)+" octets")
			retr, _ := base64.StdEncoding.DecodeString(got.Retr)
			if string(retr) != message {
				t.Errorf("retr: the message did not arrive intact: %s", firstDifference(string(retr), message))
			}
			top, _ := base64.StdEncoding.DecodeString(got.Top)
			header, _, _ := strings.Cut(message, "\r\n\r\n")
			check("top", string(top), header+"\r\n\r\n.a line that starts with a dot\r\n..two dots\r\n")
			check("dele", got.Dele, "+OK Message 1 deleted")
			check("retr of the deleted message", got.RetrDeleted, "-ERR No such message")
			check("quit", got.Quit, "+OK Goodbye")
			if left := ts.inbox("user@example.com"); len(left) != 1 || left[0].ID != m2.ID {
				t.Errorf("after QUIT the INBOX holds %+v, want only the second message", left)
			}
		})
	}
}

func TestInteropCurl(t *testing.T) {
	for _, tc := range []struct {
		name     string
		security store.ConnectionSecurity
		url      func(hostPort string) string
		extra    []string
	}{
		{"plain", store.SecurityNone, func(hp string) string { return "pop3://" + hp }, nil},
		{"ssl_reqd_starttls", store.SecuritySTARTTLSRequired, func(hp string) string { return "pop3://" + hp }, []string{"--ssl-reqd", "--insecure"}},
		{"pop3s_implicit_tls", store.SecurityTLS, func(hp string) string { return "pop3s://" + hp }, []string{"--insecure"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			message := interopMessage("curl " + tc.name)
			ts.deliver("user@example.com", message)
			second := "Subject: second\r\n\r\nkept\r\n"
			ts.deliver("user@example.com", second)
			base := tc.url(ts.addrs[tc.security])
			curl := func(url string, args ...string) string {
				t.Helper()
				// --disable (first) ignores any .curlrc.
				all := append([]string{"--disable", "--silent", "--show-error", "--max-time", "20", "--user", "user@example.com:secret", url}, tc.extra...)
				stdout, stderr, err := runClient(t, "curl", append(all, args...)...)
				if err != nil {
					t.Fatalf("curl %s failed: %v\n%s", url, err, stderr)
				}
				return stdout
			}
			if got := curl(base + "/1"); got != message {
				t.Errorf("RETR: the message did not arrive intact: %s", firstDifference(got, message))
			}
			if got, want := curl(base+"/"), "1 "+size(message)+"\r\n2 "+size(second)+"\r\n"; got != want {
				t.Errorf("LIST: got %q, want %q", got, want)
			}
			// A custom request: DELE, which QUIT commits.
			curl(base+"/1", "--request", "DELE", "--list-only")
			if got := len(ts.inbox("user@example.com")); got != 1 {
				t.Errorf("%d messages after DELE and QUIT, want 1", got)
			}
		})
	}

	t.Run("wrong_password_fails", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t)
		_, stderr, err := runClient(t, "curl", "--disable", "--silent", "--show-error", "--max-time", "20",
			"--user", "user@example.com:wrong", "pop3://"+ts.addrs[store.SecurityNone]+"/")
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("curl did not fail with a wrong password (%v): %s", err, stderr)
		}
	})
}

// firstDifference describes where got first differs from want.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-40)
	return fmt.Sprintf("%d bytes, want %d; they differ at byte %d: got %q, want %q",
		len(got), len(want), i, got[from:min(len(got), i+40)], want[from:min(len(want), i+40)])
}
