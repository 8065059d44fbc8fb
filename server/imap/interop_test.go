package imap

// Interoperability tests: real mail clients from Debian (curl, Python's
// imaplib, fetchmail and mbsync from isync) against a server started on
// 127.0.0.1. A client that is not installed skips its test, naming the
// Debian package (installer/test.sh installs them all for CI).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

const interopClientTimeout = 90 * time.Second

// interopPackages names the Debian package that provides each client.
var interopPackages = map[string]string{"curl": "curl", "python3": "python3", "fetchmail": "fetchmail", "mbsync": "isync"}

// interopMessage holds what must travel unchanged: a line that starts
// with a dot, a long line, trailing white space, empty lines and 8-bit
// text.
func interopMessage(subject string) string {
	lines := []string{
		"From: Interop Sender <a@external.example>",
		"To: <user@example.com>",
		"Subject: " + subject,
		"Date: Tue, 24 Nov 2026 09:00:00 +0000",
		"Message-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@external.example>",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		".a line that starts with a dot",
		".",
		strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 25),
		"trailing white space \t ",
		"",
		"",
		"8-bit: Gr\u00fc\u00dfe aus K\u00f6ln",
		"the last line",
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// interopClient is an installed client program; a missing one skips the
// test with the reason and the package to install.
func interopClient(t *testing.T, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		pkg := interopPackages[program]
		t.Skipf("%s is not installed (%v): install the Debian package %q (apt-get install %s); CI's installer/test.sh does", program, err, pkg, pkg)
	}
	return path
}

// runInterop runs a client with a time limit, HOME set to home, and
// returns its standard output, standard error and exit error.
func runInterop(t *testing.T, home, program string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path := interopClient(t, program)
	ctx, cancel := context.WithTimeout(t.Context(), interopClientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "HOME="+home, "LC_ALL=C")
	cmd.Dir = home
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s did not finish within %v:\n%s%s", program, interopClientTimeout, out.String(), errOut.String())
	}
	return out.String(), errOut.String(), err
}

// interopMessagesIn lists a folder's messages (UID order) with their contents.
func (ts *testServer) interopMessagesIn(f store.Folder) ([]store.IMAPMessage, []string) {
	ts.t.Helper()
	msgs, err := ts.st.IMAPMessages(context.Background(), f.ID, false)
	if err != nil {
		ts.t.Fatal(err)
	}
	var contents []string
	for _, m := range msgs {
		b, err := ts.st.ReadMessage(m.Path)
		if err != nil {
			ts.t.Fatal(err)
		}
		contents = append(contents, string(b))
	}
	return msgs, contents
}

// interopFolderNames are the client-visible names of an account's folders, sorted.
func (ts *testServer) interopFolderNames(accountID int64) []string {
	ts.t.Helper()
	folders, err := ts.st.Folders(context.Background(), accountID)
	if err != nil {
		ts.t.Fatal(err)
	}
	byID := map[int64]store.Folder{}
	for _, f := range folders {
		byID[f.ID] = f
	}
	var names []string
	for _, f := range folders {
		name := f.Name
		for p := f.ParentID; p != 0; p = byID[p].ParentID {
			name = byID[p].Name + "." + name
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// interopDiff describes where got first differs from want.
func interopDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("%d bytes, want %d; first difference at byte %d: got %q, want %q",
		len(got), len(want), i, interopClip(got[i:]), interopClip(want[i:]))
}

func interopClip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func TestInteropCurl(t *testing.T) {
	interopClient(t, "curl")
	ts := startServer(t)
	home := t.TempDir()
	first := interopMessage("curl first")
	second := "From: b@external.example\r\nSubject: second\r\n\r\nkept\r\n"
	ts.deliver("user@example.com", first)
	ts.deliver("user@example.com", second)
	ts.createFolder(ts.users["user@example.com"].ID, "Work", "Reports")
	base := "imap://" + ts.addrs[store.SecurityNone]
	curl := func(args ...string) string {
		t.Helper()
		stdout, stderr, err := runInterop(t, home, "curl", append([]string{"--silent", "--show-error", "--max-time", "30",
			"-u", "user@example.com:secret"}, args...)...)
		if err != nil {
			t.Fatalf("curl %q: %v\n%s%s\nconversation:\n%s", args, err, stdout, stderr, ts.conv.String())
		}
		return stdout
	}
	lines := func(s string) []string {
		return strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	}

	// The folder list: LIST "" *.
	got := lines(curl(base + "/"))
	wantList := []string{
		`* LIST (\HasNoChildren) "." "INBOX"`,
		`* LIST (\HasNoChildren \Drafts) "." "Drafts"`,
		`* LIST (\HasNoChildren \Junk) "." "Junk"`,
		`* LIST (\HasNoChildren \Sent) "." "Sent"`,
		`* LIST (\HasNoChildren \Trash) "." "Trash"`,
		`* LIST (\HasChildren) "." "Work"`,
		`* LIST (\HasNoChildren) "." "Work.Reports"`,
		`* LIST (\Noselect \HasNoChildren) "." "#Public"`,
	}
	if !slices.Equal(got, wantList) {
		t.Errorf("curl's folder list:\n got %q\nwant %q", got, wantList)
	}

	// The INBOX URL lists too: LIST "INBOX" *, which is INBOX*.
	if got := lines(curl(base + "/INBOX")); !slices.Equal(got, wantList[:1]) {
		t.Errorf("curl's list of INBOX: %q", got)
	}
	// LIST "Work" * is LIST "" Work* (RFC 3501 6.3.8: the reference and
	// the pattern are joined).
	if got := lines(curl(base + "/Work")); !slices.Equal(got, wantList[5:7]) {
		t.Errorf("curl's list of Work: %q", got)
	}

	// A message by UID, byte for byte.
	if got := curl(base + "/INBOX;UID=1"); got != first {
		t.Errorf("curl fetched UID 1: %s", interopDiff(got, first))
	}
	if got := curl(base + "/INBOX;UID=2"); got != second {
		t.Errorf("curl fetched UID 2: %s", interopDiff(got, second))
	}
	// A section of it: the header, as BODY[HEADER].
	if got, want := curl(base+"/INBOX;UID=1;SECTION=HEADER"), first[:strings.Index(first, "\r\n\r\n")+4]; got != want {
		t.Errorf("curl fetched UID 1's header: %s", interopDiff(got, want))
	}
	// SEARCH through the URL's query.
	if got := curl(base + "/INBOX?SUBJECT%20second"); got != "* SEARCH 2\r\n" {
		t.Errorf("curl's search: %q", got)
	}

	// APPEND with -T.
	upload := interopMessage("curl upload")
	file := filepath.Join(home, "upload.eml")
	if err := os.WriteFile(file, []byte(upload), 0o600); err != nil {
		t.Fatal(err)
	}
	curl("-T", file, base+"/Work.Reports")
	msgs, contents := ts.interopMessagesIn(ts.folder(ts.users["user@example.com"].ID, "Work", "Reports"))
	if len(msgs) != 1 || contents[0] != upload {
		t.Fatalf("after curl's APPEND Work.Reports holds %d messages %q", len(msgs), contents)
	}
	if got := curl(base + "/Work.Reports;UID=" + strconv.Itoa(int(msgs[0].UID))); got != upload {
		t.Errorf("curl fetched the uploaded message: %s", interopDiff(got, upload))
	}

	// A custom command: EXAMINE's untagged responses.
	got = lines(curl("-X", "EXAMINE INBOX", base+"/"))
	if !slices.Contains(got, "* 2 EXISTS") || !slices.Contains(got, "* OK [PERMANENTFLAGS ()] Flags permitted") ||
		!slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "* OK [UIDNEXT 3] ") }) {
		t.Errorf("curl EXAMINE INBOX: %q", got)
	}

	// APPEND to INBOX, then fetch it back as UID 3.
	curl("-T", file, base+"/INBOX")
	msgs, contents = ts.interopMessagesIn(ts.inbox("user@example.com"))
	if len(msgs) != 3 || msgs[2].UID != 3 || contents[2] != upload {
		t.Fatalf("after curl's APPEND to INBOX it holds %+v", msgs)
	}
	if got := curl(base + "/INBOX;UID=3"); got != upload {
		t.Errorf("curl fetched the message appended to INBOX: %s", interopDiff(got, upload))
	}
}

// imaplibResult is what testdata/interop/imaplib_client.py prints: each
// step's status and data.
type imaplibResult map[string]json.RawMessage

func (r imaplibResult) step(t *testing.T, name string) (status string, data []json.RawMessage) {
	t.Helper()
	var v []json.RawMessage
	if err := json.Unmarshal(r[name], &v); err != nil || len(v) != 2 {
		t.Fatalf("step %s: %s (%v)", name, r[name], err)
	}
	if err := json.Unmarshal(v[0], &status); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(v[1], &data); err != nil {
		t.Fatal(err)
	}
	return status, data
}

// texts are a step's data items that are plain lines.
func (r imaplibResult) texts(t *testing.T, name string) (string, []string) {
	t.Helper()
	status, data := r.step(t, name)
	var out []string
	for _, d := range data {
		var s string
		if err := json.Unmarshal(d, &s); err != nil {
			t.Fatalf("step %s: item %s is not a line", name, d)
		}
		out = append(out, s)
	}
	return status, out
}

// literal is a step's data item i that carries a literal: its prefix and
// the literal's bytes.
func (r imaplibResult) literal(t *testing.T, name string, i int) (string, string) {
	t.Helper()
	_, data := r.step(t, name)
	var pair []string
	if i >= len(data) || json.Unmarshal(data[i], &pair) != nil || len(pair) != 2 {
		t.Fatalf("step %s: no literal at %d: %s", name, i, r[name])
	}
	b, err := base64.StdEncoding.DecodeString(pair[1])
	if err != nil {
		t.Fatal(err)
	}
	return pair[0], string(b)
}

func TestInteropPythonImaplib(t *testing.T) {
	interopClient(t, "python3")
	ts := startServer(t)
	home := t.TempDir()
	user := ts.users["user@example.com"]
	first := interopMessage("imaplib first")
	second := "From: b@external.example\r\nSubject: second\r\n\r\nthe second\r\n"
	ts.deliver("user@example.com", first)
	ts.deliver("user@example.com", second)
	appended := interopMessage("imaplib appended")
	file := filepath.Join(home, "append.eml")
	if err := os.WriteFile(file, []byte(appended), 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "interop", "imaplib_client.py"))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ts.addrs[store.SecurityNone])
	stdout, stderr, err := runInterop(t, home, "python3", "-I", script, host, port, "user@example.com", "secret", file)
	if err != nil {
		t.Fatalf("python3 failed: %v\n%s%s\nconversation:\n%s", err, stdout, stderr, ts.conv.String())
	}
	var r imaplibResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("the script's output %q: %v\n%s", stdout, err, stderr)
	}
	t.Logf("imaplib saw: %s", stdout)

	expect := func(name, status string, want ...string) {
		t.Helper()
		gotStatus, got := r.texts(t, name)
		if gotStatus != status || !slices.Equal(got, want) {
			t.Errorf("%s: %s %q, want %s %q", name, gotStatus, got, status, want)
		}
	}
	expectMatch := func(name, status string, want ...string) {
		t.Helper()
		gotStatus, got := r.texts(t, name)
		ok := gotStatus == status && len(got) == len(want)
		for i := 0; ok && i < len(want); i++ {
			ok = regexp.MustCompile("^(?:" + want[i] + ")$").MatchString(got[i])
		}
		if !ok {
			t.Errorf("%s: %s %q, want %s matching %q", name, gotStatus, got, status, want)
		}
	}
	var welcome string
	json.Unmarshal(r["welcome"], &welcome)
	if !strings.HasPrefix(welcome, "* OK [CAPABILITY IMAP4rev1 ") {
		t.Errorf("welcome %q", welcome)
	}
	expectMatch("login", "OK", `\[CAPABILITY IMAP4rev1 [^]]*\] LOGIN completed`)
	wantFolders := []string{
		`(\HasNoChildren) "." "INBOX"`,
		`(\HasNoChildren \Drafts) "." "Drafts"`,
		`(\HasNoChildren \Junk) "." "Junk"`,
		`(\HasNoChildren \Sent) "." "Sent"`,
		`(\HasNoChildren \Trash) "." "Trash"`,
		`(\Noselect \HasNoChildren) "." "#Public"`,
	}
	expect("list", "OK", wantFolders...)
	expect("select", "OK", "2")
	var validity, flags []string
	json.Unmarshal(r["select_uidvalidity"], &validity)
	json.Unmarshal(r["select_flags"], &flags)
	if len(validity) != 1 || !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(validity[0]) {
		t.Errorf("SELECT's UIDVALIDITY: %q", validity)
	}
	if want := []string{`(\Answered \Flagged \Deleted \Seen \Draft)`}; !slices.Equal(flags, want) {
		t.Errorf("SELECT's FLAGS: %q, want %q", flags, want)
	}
	expect("search", "OK", "2")
	expect("search_all", "OK", "1 2")
	if prefix, body := r.literal(t, "fetch", 0); prefix != "1 (RFC822 {"+strconv.Itoa(len(first))+"}" || body != first {
		t.Errorf("fetch RFC822: %q and %s", prefix, interopDiff(body, first))
	}
	// FETCH RFC822 set \Seen (RFC 3501 6.4.5), so both flags are set now.
	expectMatch("store", "OK", `1 \(FLAGS \((\\Seen \\Flagged|\\Flagged \\Seen)( \\Recent)?\)\)`)
	expect("create", "OK", "CREATE completed")
	expect("create_sub", "OK", "CREATE completed")
	expectMatch("copy", "OK", `\[COPYUID [0-9]+ 1:2 1:2\] COPY completed`)
	expect("store_deleted", "OK", "") // no untagged FETCH after .SILENT: imaplib returns [None]
	expect("expunge", "OK", "2")
	expect("rename", "OK", "RENAME completed")
	expect("list_old", "OK", `(\HasChildren) "." "Old"`, `(\HasNoChildren) "." "Old.2026"`)
	expect("delete_sub", "OK", "DELETE completed")
	expectMatch("append", "OK", `\[APPENDUID [0-9]+ 3\] APPEND completed`)
	expect("uid_search", "OK", "1 3")
	if prefix, body := r.literal(t, "uid_fetch", 0); !regexp.MustCompile(`^2 \(UID 3 FLAGS \(\\Seen( \\Recent)?\) INTERNALDATE "25-Nov-2026 (10:11:12 \+0100|09:11:12 \+0000)" RFC822\.SIZE `+
		strconv.Itoa(len(appended))+` BODY\[\] \{`+strconv.Itoa(len(appended))+`\}$`).MatchString(prefix) || body != appended {
		t.Errorf("uid fetch of the appended message: %q and %s", prefix, interopDiff(body, appended))
	}
	expect("status", "OK", `"Old" (MESSAGES 2 UNSEEN 1)`)
	expect("close", "OK", "CLOSE completed")
	expectMatch("logout", "BYE", `Logging out`)

	// What the store holds now.
	inboxMsgs, inboxContents := ts.interopMessagesIn(ts.inbox("user@example.com"))
	if len(inboxMsgs) != 2 || inboxContents[0] != first || inboxContents[1] != appended ||
		inboxMsgs[0].Flags != store.FlagSeen|store.FlagFlagged || inboxMsgs[1].Flags != store.FlagSeen {
		t.Errorf("INBOX after the script: %+v", inboxMsgs)
	}
	old := ts.folder(user.ID, "Old")
	oldMsgs, oldContents := ts.interopMessagesIn(old)
	if len(oldMsgs) != 2 || oldContents[0] != first || oldContents[1] != second {
		t.Errorf("Old after the script: %+v", oldMsgs)
	}
	names := ts.interopFolderNames(user.ID)
	if !slices.Contains(names, "Old") || slices.Contains(names, "Old.2026") || slices.Contains(names, "Archive") {
		t.Errorf("folders after the script: %q", names)
	}
}

// fetchmailRC writes a fetchmail run control file (mode 0600, which
// fetchmail insists on) that delivers every message to out through an
// MDA that appends it, and returns its path.
func fetchmailRC(t *testing.T, home, proto, hostPort, security, options, out string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(hostPort)
	rc := filepath.Join(home, "fetchmailrc")
	text := "set no bouncemail\nset no syslog\n" +
		"poll " + host + " with proto " + proto + " port " + port + " timeout 30\n" +
		"  user \"user@example.com\" there with password \"secret\" is \"tester\" here\n" +
		"  options " + options + " " + security + "\n" +
		"  mda \"cat >> " + out + "\"\n"
	if err := os.WriteFile(rc, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return rc
}

// runFetchmail runs fetchmail once with rc and returns its exit code
// (0: mail fetched, 1: no mail; fetchmail(1) EXIT CODES).
func runFetchmail(t *testing.T, ts *testServer, home, rc string) int {
	t.Helper()
	stdout, stderr, err := runInterop(t, home, "fetchmail", "-f", rc, "--nodetach", "--invisible", "-v",
		"--pidfile", filepath.Join(home, "fetchmail.pid"), "--idfile", filepath.Join(home, "fetchids"))
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("fetchmail: %v", err)
		}
		code = ee.ExitCode()
	}
	if code > 1 {
		t.Fatalf("fetchmail exited with %d:\n%s%s\nconversation:\n%s", code, stdout, stderr, ts.conv.String())
	}
	t.Logf("fetchmail exited with %d", code)
	return code
}

// mdaForm is a message as fetchmail hands it to an MDA: with LF line
// ends.
func mdaForm(message string) string {
	return strings.ReplaceAll(message, "\r\n", "\n")
}

func TestInteropFetchmailIMAP(t *testing.T) {
	interopClient(t, "fetchmail")
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
			testFetchmailIMAP(t, tc.security, tc.rc)
		})
	}
}

func testFetchmailIMAP(t *testing.T, security store.ConnectionSecurity, tlsOptions string) {
	ts := startServer(t)
	home := t.TempDir()
	out := filepath.Join(home, "fetched")
	first := interopMessage("fetchmail first")
	second := "From: b@external.example\r\nSubject: second\r\n\r\nthe second\r\n"
	ts.deliver("user@example.com", first)
	ts.deliver("user@example.com", second)
	read := func() string {
		b, err := os.ReadFile(out)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		return string(b)
	}

	// keep: both are fetched and stay on the server, now \Seen.
	rc := fetchmailRC(t, home, "IMAP", ts.addrs[security], tlsOptions, "keep", out)
	if code := runFetchmail(t, ts, home, rc); code != 0 {
		t.Fatalf("the first run fetched nothing (exit %d)", code)
	}
	if got, want := read(), mdaForm(first)+mdaForm(second); got != want {
		t.Fatalf("fetched with keep: %s", interopDiff(got, want))
	}
	msgs, _ := ts.interopMessagesIn(ts.inbox("user@example.com"))
	if len(msgs) != 2 || msgs[0].Flags&store.FlagSeen == 0 || msgs[1].Flags&store.FlagSeen == 0 || msgs[0].Flags&store.FlagDeleted != 0 {
		t.Fatalf("after fetching with keep the INBOX holds %+v, want both messages, \\Seen", msgs)
	}

	// keep again, without fetchall: nothing is new (unseen).
	if code := runFetchmail(t, ts, home, rc); code != 1 {
		t.Errorf("the second run with keep exited with %d, want 1 (no mail)", code)
	}
	if got, want := read(), mdaForm(first)+mdaForm(second); got != want {
		t.Fatalf("the second run changed what was fetched: %s", interopDiff(got, want))
	}

	// A new delivery, then no keep and fetchall: all three are fetched
	// and gone from the server.
	third := "From: c@external.example\r\nSubject: third\r\n\r\n.\r\n..\r\nthe third\r\n"
	ts.deliver("user@example.com", third)
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	rc = fetchmailRC(t, home, "IMAP", ts.addrs[security], tlsOptions, "no keep fetchall", out)
	if code := runFetchmail(t, ts, home, rc); code != 0 {
		t.Fatalf("the run with no keep fetched nothing (exit %d)", code)
	}
	if got, want := read(), mdaForm(first)+mdaForm(second)+mdaForm(third); got != want {
		t.Fatalf("fetched with no keep: %s", interopDiff(got, want))
	}
	if msgs, _ := ts.interopMessagesIn(ts.inbox("user@example.com")); len(msgs) != 0 {
		t.Fatalf("after fetching with no keep the INBOX still holds %+v", msgs)
	}
}

// maildirForm is a message as mbsync stores it in a Maildir: LF line
// ends.
func maildirForm(message string) string {
	return strings.ReplaceAll(message, "\r\n", "\n")
}

// tuidLine matches the X-TUID header mbsync adds to the messages it
// propagates (to recognise them on the other side).
var tuidLine = regexp.MustCompile(`(?m)^X-TUID: [^\r\n]*\r?\n`)

// maildirMessage is one message file of a Maildir folder.
type maildirMessage struct {
	path    string
	flags   string // the letters after ":2,"
	content string
}

// maildirMessages lists the messages in dir's cur and new.
func maildirMessages(t *testing.T, dir string) []maildirMessage {
	t.Helper()
	var out []maildirMessage
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := filepath.Join(dir, sub, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			_, flags, _ := strings.Cut(e.Name(), ":2,")
			out = append(out, maildirMessage{path: p, flags: flags, content: tuidLine.ReplaceAllString(string(b), "")})
		}
	}
	return out
}

// findMaildir is the message of msgs whose content contains s.
func findMaildir(t *testing.T, msgs []maildirMessage, s string) maildirMessage {
	t.Helper()
	for _, m := range msgs {
		if strings.Contains(m.content, s) {
			return m
		}
	}
	t.Fatalf("no message with %q among %d", s, len(msgs))
	return maildirMessage{}
}

// withMaildirFlags renames a Maildir message to carry flags (Maildir's
// "info" part, letters in ASCII order), into cur/.
func withMaildirFlags(t *testing.T, m maildirMessage, flags string) {
	t.Helper()
	base, _, _ := strings.Cut(filepath.Base(m.path), ":2,")
	to := filepath.Join(filepath.Dir(filepath.Dir(m.path)), "cur", base+":2,"+flags)
	if err := os.Rename(m.path, to); err != nil {
		t.Fatal(err)
	}
}

func TestInteropMbsync(t *testing.T) {
	interopClient(t, "mbsync")
	ts := startServer(t)
	home := t.TempDir()
	user := ts.users["user@example.com"]
	first := interopMessage("mbsync first")
	second := "From: b@external.example\r\nSubject: second\r\nMessage-ID: <second@external.example>\r\n\r\nthe second\r\n"
	ts.deliver("user@example.com", first)
	work := ts.createFolder(user.ID, "Work", "Reports")
	ts.appendTo(work, second, store.FlagSeen)

	maildir := filepath.Join(home, "Mail")
	host, port, _ := net.SplitHostPort(ts.addrs[store.SecurityNone])
	if err := os.MkdirAll(maildir, 0o700); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(home, "mbsyncrc")
	text := "IMAPAccount test\nHost " + host + "\nPort " + port + "\nUser user@example.com\nPass secret\n" +
		"SSLType None\nAuthMechs LOGIN PLAIN\nTimeout 30\n\n" +
		"IMAPStore remote\nAccount test\n\n" +
		"MaildirStore local\nPath " + maildir + "/\nInbox " + maildir + "/INBOX\nSubFolders Verbatim\n\n" +
		"Channel test\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nExpunge Both\nSyncState *\nSync All\n"
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	sync := func(what string) {
		t.Helper()
		stdout, stderr, err := runInterop(t, home, "mbsync", "-c", config, "-V", "-a")
		if err != nil {
			t.Fatalf("mbsync (%s): %v\n%s%s\nconversation:\n%s", what, err, stdout, stderr, ts.conv.String())
		}
		t.Logf("mbsync (%s):\n%s%s", what, stdout, stderr)
	}

	// 1. The first sync pulls the server's folders and messages.
	sync("first")
	for _, dir := range []string{"INBOX", "Drafts", "Junk", "Sent", "Trash", "Work", "Work/Reports"} {
		if _, err := os.Stat(filepath.Join(maildir, dir, "cur")); err != nil {
			t.Errorf("the first sync made no Maildir folder %s: %v", dir, err)
		}
	}
	inbox := maildirMessages(t, filepath.Join(maildir, "INBOX"))
	if len(inbox) != 1 || inbox[0].content != maildirForm(first) || inbox[0].flags != "" {
		t.Fatalf("the local INBOX after the first sync: %+v", inbox)
	}
	reports := maildirMessages(t, filepath.Join(maildir, "Work", "Reports"))
	if len(reports) != 1 || reports[0].content != maildirForm(second) || reports[0].flags != "S" {
		t.Fatalf("the local Work/Reports after the first sync: %+v", reports)
	}

	// 2. Local changes: a new folder with a message, flags on the INBOX
	// message (\Flagged, \Seen), the Work/Reports message deleted (T).
	local := "From: local@example.com\r\nSubject: made locally\r\nMessage-ID: <local@example.com>\r\n\r\nwritten in the Maildir\r\n"
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, "Local", sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(maildir, "Local", "cur", "1764064800.1.localhost:2,S"), []byte(maildirForm(local)), 0o600); err != nil {
		t.Fatal(err)
	}
	withMaildirFlags(t, inbox[0], "FS")
	withMaildirFlags(t, reports[0], "ST")
	sync("local changes")

	localFolder := ts.folder(user.ID, "Local")
	msgs, contents := ts.interopMessagesIn(localFolder)
	// mbsync 1.4 adds X-TUID to every message it propagates (its
	// ADD_TUID mode) and sends CRLF line ends to IMAP.
	if len(msgs) != 1 || tuidLine.ReplaceAllString(contents[0], "") != local || msgs[0].Flags != store.FlagSeen {
		t.Errorf("the server's Local after the second sync: %+v %q", msgs, contents)
	}
	msgs, contents = ts.interopMessagesIn(ts.inbox("user@example.com"))
	if len(msgs) != 1 || contents[0] != first || msgs[0].Flags != store.FlagSeen|store.FlagFlagged {
		t.Errorf("the server's INBOX after the second sync: %+v", msgs)
	}
	if msgs, _ := ts.interopMessagesIn(work); len(msgs) != 0 {
		t.Errorf("the server's Work.Reports after the second sync (the message was trashed locally, Expunge Both): %+v", msgs)
	}

	// 3. Changes on the server: the INBOX message loses \Flagged and
	// becomes \Answered, a new message arrives in Local.
	inboxFolder := ts.inbox("user@example.com")
	if _, err := ts.st.SetFlags(context.Background(), inboxFolder.ID, []uint32{msgs[0].UID}, store.FlagsReplace,
		store.FlagSeen|store.FlagAnswered, nil); err != nil {
		t.Fatal(err)
	}
	serverSide := "From: c@external.example\r\nSubject: from the server\r\nMessage-ID: <server@external.example>\r\n\r\nthird\r\n"
	ts.appendTo(localFolder, serverSide, store.FlagFlagged)
	sync("server changes")
	inbox = maildirMessages(t, filepath.Join(maildir, "INBOX"))
	if len(inbox) != 1 || inbox[0].content != maildirForm(first) || inbox[0].flags != "RS" {
		t.Errorf("the local INBOX after the third sync: %+v, want flags RS", inbox)
	}
	localMsgs := maildirMessages(t, filepath.Join(maildir, "Local"))
	if len(localMsgs) != 2 {
		t.Fatalf("the local Local after the third sync: %+v", localMsgs)
	}
	if m := findMaildir(t, localMsgs, "from the server"); m.content != maildirForm(serverSide) || m.flags != "F" {
		t.Errorf("the server's new message in the local Local: %+v", m)
	}
	if m := findMaildir(t, localMsgs, "made locally"); m.content != maildirForm(local) || m.flags != "S" {
		t.Errorf("the local message after the third sync: %+v", m)
	}
	if reports := maildirMessages(t, filepath.Join(maildir, "Work", "Reports")); len(reports) != 0 {
		t.Errorf("the local Work/Reports after the third sync: %+v", reports)
	}
}
