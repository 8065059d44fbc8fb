package smtp

// Interoperability tests: real mail clients from Debian (swaks, curl and
// Python's smtplib) send to a server started on 127.0.0.1, and each message
// must arrive byte-intact: the stored file is the server's Received header
// followed by exactly the bytes the client sent, CRLF line endings and all.
// The clients must be installed; a missing one fails the test and names the
// Debian package to install.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

// interopClientTimeout bounds every client run.
const interopClientTimeout = 60 * time.Second

// The envelope and HELO name of the interop messages. From 127.0.0.1 (the
// "My computer" IP range) an external sender needs no authentication to
// reach a local recipient.
const (
	interopSender    = "a@external.example"
	interopRecipient = "user@example.com"
	interopHelo      = "client.example"
)

// debianPackages names the Debian package that provides each client.
var debianPackages = map[string]string{"swaks": "swaks", "curl": "curl", "python3": "python3"}

// interopMessage is a complete message with CRLF line endings. Its body
// holds what SMTP transparency (RFC 5321 4.5.2) and line handling must
// carry unchanged: lines that start with a dot, a line that is only a dot,
// a 900-character line, trailing white space, empty lines and 8-bit text.
func interopMessage(subject string) string {
	lines := []string{
		"From: Interop Sender <" + interopSender + ">",
		"To: <" + interopRecipient + ">",
		"Subject: " + subject,
		"Message-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@external.example>",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		".a line that starts with a dot",
		"..two dots",
		".",
		"the line above is a single dot",
		". a dot and a space",
		strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 25), // 900 characters
		"trailing white space \t ",
		"",
		"",
		"8-bit: Gr\u00fc\u00dfe aus K\u00f6ln",
		"the last line",
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// interopCase is one client run that must deliver interopMessage intact.
type interopCase struct {
	name     string
	program  string
	security store.ConnectionSecurity
	// args are the client's arguments for the server at host:port and the
	// file holding the message.
	args func(host, port, file string) []string
	// with is the protocol the Received header must name: it shows whether
	// the client really used TLS (S) and authentication (A).
	with string
	// addsFinalLineBreak is set for a client that writes the CRLF before
	// the final dot itself (swaks), so the file leaves the last one out.
	addsFinalLineBreak bool
}

// swaksArgs are the arguments of every swaks run, followed by extra.
func swaksArgs(host, port, file string, extra ...string) []string {
	return append([]string{"--server", host, "--port", port, "--timeout", "20",
		"--helo", interopHelo, "--from", interopSender, "--to", interopRecipient,
		"--data", "@" + file, "--suppress-data"}, extra...)
}

// curlArgs are the arguments of every curl run, followed by extra.
func curlArgs(url, file string, extra ...string) []string {
	// --disable (first) ignores any .curlrc; the URL's path is the EHLO name.
	return append([]string{"--disable", "--silent", "--show-error", "--max-time", "20",
		url + "/" + interopHelo, "--mail-from", interopSender, "--mail-rcpt", interopRecipient,
		"--upload-file", file}, extra...)
}

// smtplibCommand are the python3 arguments that run the script driving
// smtplib with args; -I (isolated mode) keeps the user's Python setup out.
func smtplibCommand(args ...string) []string {
	return append([]string{"-I", filepath.Join("testdata", "interop", "smtplib_client.py")}, args...)
}

// smtplibArgs run the smtplib script in mode to send file.
func smtplibArgs(mode, host, port, file string, extra ...string) []string {
	return smtplibCommand(append([]string{mode, host, port, interopSender, interopRecipient, file}, extra...)...)
}

var interopCases = []interopCase{
	{name: "swaks_plain", program: "swaks", security: store.SecurityNone, with: "ESMTP", addsFinalLineBreak: true,
		args: func(host, port, file string) []string { return swaksArgs(host, port, file) }},
	{name: "swaks_starttls", program: "swaks", security: store.SecuritySTARTTLSRequired, with: "ESMTPS", addsFinalLineBreak: true,
		args: func(host, port, file string) []string { return swaksArgs(host, port, file, "--tls") }},
	{name: "swaks_implicit_tls", program: "swaks", security: store.SecurityTLS, with: "ESMTPS", addsFinalLineBreak: true,
		args: func(host, port, file string) []string { return swaksArgs(host, port, file, "--tlsc") }},
	{name: "swaks_auth_login", program: "swaks", security: store.SecurityNone, with: "ESMTPA", addsFinalLineBreak: true,
		args: func(host, port, file string) []string {
			return swaksArgs(host, port, file, "--auth", "LOGIN", "--auth-user", "user@example.com", "--auth-password", "secret")
		}},
	{name: "swaks_auth_plain_without_tls", program: "swaks", security: store.SecurityNone, with: "ESMTPA", addsFinalLineBreak: true,
		args: func(host, port, file string) []string {
			return swaksArgs(host, port, file, "--auth", "PLAIN", "--auth-user", "user@example.com", "--auth-password", "secret")
		}},
	{name: "swaks_auth_plain_after_starttls", program: "swaks", security: store.SecuritySTARTTLSRequired, with: "ESMTPSA", addsFinalLineBreak: true,
		args: func(host, port, file string) []string {
			return swaksArgs(host, port, file, "--tls", "--auth", "PLAIN", "--auth-user", "user@example.com", "--auth-password", "secret")
		}},
	{name: "swaks_pipelining", program: "swaks", security: store.SecurityNone, with: "ESMTP", addsFinalLineBreak: true,
		args: func(host, port, file string) []string { return swaksArgs(host, port, file, "--pipeline") }},
	{name: "curl_plain", program: "curl", security: store.SecurityNone, with: "ESMTP",
		args: func(host, port, file string) []string { return curlArgs("smtp://"+net.JoinHostPort(host, port), file) }},
	{name: "curl_smtps_implicit_tls", program: "curl", security: store.SecurityTLS, with: "ESMTPS",
		args: func(host, port, file string) []string {
			return curlArgs("smtps://"+net.JoinHostPort(host, port), file, "--insecure")
		}},
	{name: "curl_ssl_reqd_starttls", program: "curl", security: store.SecuritySTARTTLSRequired, with: "ESMTPS",
		args: func(host, port, file string) []string {
			return curlArgs("smtp://"+net.JoinHostPort(host, port), file, "--ssl-reqd", "--insecure")
		}},
	{name: "curl_ssl_reqd_starttls_with_login", program: "curl", security: store.SecuritySTARTTLSRequired, with: "ESMTPSA",
		args: func(host, port, file string) []string {
			return curlArgs("smtp://"+net.JoinHostPort(host, port), file, "--ssl-reqd", "--insecure", "--user", "user@example.com:secret")
		}},
	{name: "python_smtplib_starttls_login", program: "python3", security: store.SecuritySTARTTLSRequired, with: "ESMTPSA",
		args: func(host, port, file string) []string {
			return smtplibArgs("starttls", host, port, file, "--login", "user@example.com", "secret")
		}},
	{name: "python_smtplib_ssl", program: "python3", security: store.SecurityTLS, with: "ESMTPS",
		args: func(host, port, file string) []string { return smtplibArgs("ssl", host, port, file) }},
}

func TestInteropMessagesArriveByteIntact(t *testing.T) {
	for _, c := range interopCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			host, port := ts.hostPort(c.security)
			message := interopMessage("interop " + c.name)
			file := message
			if c.addsFinalLineBreak {
				file = strings.TrimSuffix(message, "\r\n")
			}
			path := filepath.Join(t.TempDir(), "message.eml")
			if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
				t.Fatal(err)
			}
			output, err := runClient(t, c.program, c.args(host, port, path)...)
			if err != nil {
				t.Fatalf("%s failed: %v%s\n%s", c.program, err, prerequisiteHint(output), output)
			}
			t.Logf("%s output:\n%s", c.program, output)
			assertArrivedIntact(t, ts.mailbox(interopRecipient, 1)[0], message, c.with)
		})
	}
}

func TestInteropSwaksWrongPasswordGets535(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	host, port := ts.hostPort(store.SecurityNone)
	output, err := runClient(t, "swaks", "--server", host, "--port", port, "--timeout", "20",
		"--helo", interopHelo, "--from", interopSender, "--to", interopRecipient,
		"--auth", "LOGIN", "--auth-user", "user@example.com", "--auth-password", "wrong")
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("swaks did not exit non-zero with a wrong password (%v):\n%s", err, output)
	}
	if !strings.Contains(output, "535 5.7.8 Authentication failed") {
		t.Fatalf("swaks output lacks the 535 reply (%v):\n%s", err, output)
	}
}

func TestInteropSmtplibUnknownUserGets550(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	host, port := ts.hostPort(store.SecurityNone)
	output, err := runClient(t, "python3", smtplibCommand("refused", host, port, interopSender, "nobody@example.com")...)
	if err != nil {
		t.Fatalf("python3 failed: %v\n%s", err, output)
	}
	const want = "SMTPRecipientsRefused: {'nobody@example.com': (550, b'5.1.1 Unknown user')}"
	if strings.TrimSpace(output) != want {
		t.Fatalf("smtplib output\n got: %q\nwant: %q", output, want)
	}
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
// its combined output and its exit error. A program that is not installed
// fails the test, naming the Debian package that provides it.
func runClient(t *testing.T, program string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		pkg := debianPackages[program]
		t.Fatalf("%s is not installed (%v): install the Debian package %q (apt-get install %s)", program, err, pkg, pkg)
	}
	ctx, cancel := context.WithTimeout(t.Context(), interopClientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = clientEnvironment()
	cmd.WaitDelay = 5 * time.Second
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s did not finish within %v:\n%s", program, interopClientTimeout, output.String())
	}
	return output.String(), err
}

// prerequisiteHint names the Debian packages of the Perl modules swaks
// reports missing ("TLS not available: requires Net::SSLeay, ...").
func prerequisiteHint(output string) string {
	if !strings.Contains(output, "not available: requires") {
		return ""
	}
	return " (swaks lacks a Perl module: install the Debian packages libnet-ssleay-perl and libio-socket-ssl-perl)"
}

// clientEnvironment is the test's environment without the variables that
// would pass swaks options, and with swaks's default .swaksrc turned off.
func clientEnvironment() []string {
	var env []string
	for _, v := range os.Environ() {
		if !strings.HasPrefix(v, "SWAKS_") {
			env = append(env, v)
		}
	}
	return append(env, "SWAKS_OPT_config=")
}

// receivedTrace is the server's trace header: after the client's HELO name
// and address, "by" the host "with" a protocol (the submatch), and after
// any further tokens and comments a ";" and the date (RFC 5322 3.6.7).
var receivedTrace = regexp.MustCompile(`(?s)^Received: from ` + regexp.QuoteMeta(interopHelo) +
	` \(\[127\.0\.0\.1\]\)\s+by \S+ with (\S+)\s.*;\s+[^\r\n]+\r\n$`)

// assertArrivedIntact checks that stored is one Received header, naming
// the protocol with, followed by exactly sent.
func assertArrivedIntact(t *testing.T, stored, sent, with string) {
	t.Helper()
	trace, rest, err := cutTraceHeader(stored)
	if err != nil {
		t.Fatalf("%v; the stored message starts %q", err, stored[:min(len(stored), 300)])
	}
	if m := receivedTrace.FindStringSubmatch(trace); m == nil {
		t.Errorf("unexpected trace header %q", trace)
	} else if m[1] != with {
		t.Errorf("the trace header says with %s, want %s: %q", m[1], with, trace)
	}
	if rest != sent {
		t.Errorf("the message did not arrive intact: %s", firstDifference(rest, sent))
	}
}

// cutTraceHeader splits a stored message after its leading Return-Path
// and Received headers (RFC 5322 2.2.3: continuation lines start with white space).
// Every line of the header must end with CRLF.
func cutTraceHeader(stored string) (trace, rest string, err error) {
	// Local delivery puts the envelope sender first (RFC 5321 4.4).
	returnPath, afterReturnPath, ok := strings.Cut(stored, "\r\n")
	if !ok || !strings.HasPrefix(returnPath, "Return-Path: <") || !strings.HasSuffix(returnPath, ">") {
		return "", "", errors.New("the stored message does not start with a Return-Path header")
	}
	stored = afterReturnPath
	if !strings.HasPrefix(stored, "Received: ") {
		return "", "", errors.New("the stored message does not start with a Received header")
	}
	rest = stored
	for first := true; first || strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\t"); first = false {
		line, after, found := strings.Cut(rest, "\r\n")
		if !found || strings.Contains(line, "\n") {
			return "", "", errors.New("a line of the Received header does not end with CRLF")
		}
		rest = after
	}
	return stored[:len(stored)-len(rest)], rest, nil
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
