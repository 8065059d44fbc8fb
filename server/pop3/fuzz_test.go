package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"STAT", "LIST 1", "TOP 1 10", "PASS  a b ", "AUTH PLAIN AGEAYg==", "UIDL 99999999999999999999", "", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseCommand(line)
		if err != nil {
			return
		}
		if cmd.Verb == "" || cmd.Verb != strings.ToUpper(cmd.Verb) || len(cmd.Verb) > maxKeyword {
			t.Fatalf("bad verb %q", cmd.Verb)
		}
		if n, all, err := ParseOptionalMessage(cmd.Arg); err == nil && (n < 0 || all && n != 0) {
			t.Fatalf("ParseOptionalMessage(%q) = %d, %v", cmd.Arg, n, all)
		}
		if n, err := ParseMessage(cmd.Arg); err == nil && n < 0 {
			t.Fatalf("ParseMessage(%q) = %d", cmd.Arg, n)
		}
		if n, lines, err := ParseTop(cmd.Arg); err == nil && (n < 0 || lines < 0) {
			t.Fatalf("ParseTop(%q) = %d, %d", cmd.Arg, n, lines)
		}
		if mech, _, _, err := ParseAuth(cmd.Arg); err == nil && mech != strings.ToUpper(mech) {
			t.Fatalf("ParseAuth(%q) mechanism %q", cmd.Arg, mech)
		}
		DecodePlain(cmd.Arg)
	})
}

// FuzzDotStuffer: whatever the file holds, the response has only CRLF line
// endings, ends with the one terminating line, and unstuffing it gives the
// file with its line endings made CRLF.
func FuzzDotStuffer(f *testing.F) {
	for _, s := range []string{"a\r\n", ".x\r\n", "a\nb", "\r\r\n", "..\r\n.\r\n", "H: 1\r\n\r\n.b\r\n", strings.Repeat("z", 70)} {
		f.Add([]byte(s), uint8(16), int8(-1))
	}
	f.Fuzz(func(t *testing.T, file []byte, size uint8, bodyLines int8) {
		var out bytes.Buffer
		w := bufio.NewWriterSize(&out, max(int(size), 16))
		d := newDotStuffer(w, max(int(bodyLines), -1))
		if _, err := d.Write(file); err != nil && !errors.Is(err, errTopDone) {
			t.Fatal(err)
		}
		d.end()
		w.Flush()
		got := out.Bytes()
		if !bytes.HasSuffix(got, []byte(".\r\n")) {
			t.Fatalf("no terminating line in %q", got)
		}
		for i := range got {
			if got[i] == '\n' && (i == 0 || got[i-1] != '\r') {
				t.Fatalf("bare LF at %d in %q", i, got)
			}
		}
		lines := strings.SplitAfter(string(got), "\r\n")
		lines = lines[:len(lines)-1] // after the last CRLF: ""
		var unstuffed strings.Builder
		for i, l := range lines {
			if l == ".\r\n" {
				if i != len(lines)-1 {
					t.Fatalf("terminating line at line %d of %d in %q", i, len(lines), got)
				}
				break
			}
			unstuffed.WriteString(strings.TrimPrefix(l, "."))
			if l[0] == '.' && (len(l) < 2 || l[1] != '.') {
				t.Fatalf("unstuffed dot line %q", l)
			}
		}
		if bodyLines >= 0 {
			return
		}
		want := strings.ReplaceAll(strings.ReplaceAll(string(file), "\r\n", "\n"), "\n", "\r\n")
		if len(want) > 0 && !strings.HasSuffix(want, "\r\n") {
			if strings.HasSuffix(want, "\r") {
				want += "\n"
			} else {
				want += "\r\n"
			}
		}
		if unstuffed.String() != want {
			t.Fatalf("round trip: got %q, want %q", unstuffed.String(), want)
		}
	})
}

// FuzzSession feeds arbitrary bytes to a real session, logged in or not,
// as a client would: the server must answer with CRLF lines and close
// after QUIT, never panic or hang, and must still greet the next client.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"USER user@example.com\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nTOP 1 0\r\nDELE 1\r\nRSET\r\n",
		"CAPA\r\nAUTH\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN AHVzZXJAZXhhbXBsZS5jb20Ac2VjcmV0\r\nLIST 99999999999\r\n",
		"STLS\r\nNOOP\r\n",
		"\x00\xff\r\n\n\n.\r\n",
		"USER\r\nPASS\r\nUSER a\r\nPASS b c\r\nAPOP x y\r\n",
		"AUTH PLAIN AHVzZXJAZXhhbXBsZS5jb20Ac2VjcmV0\r\nTOP 1 x\r\nDELE 1\r\nDELE 1\r\nRETR 1\r\nLIST 0\r\n",
	} {
		f.Add([]byte(s))
	}
	ts := startServer(f, withCommandTimeout(2*time.Second))
	for range 3 {
		ts.deliver("user@example.com", "Subject: fuzz\r\n\r\n.dot\r\nbody\r\n")
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		conn, err := net.Dial("tcp", ts.addrs[store.SecurityNone])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()

		conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		if greeting, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(greeting, "+OK ") {
			t.Fatalf("greeting %q %v", greeting, err)
		}
		conn.Write(input)
		conn.Write([]byte("\r\n*\r\nQUIT\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				if line != "" {
					t.Fatalf("unterminated line %q", line)
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("the server neither answered QUIT nor closed")
				}
				break
			}
			if !strings.HasSuffix(line, "\r\n") {
				t.Fatalf("line %q does not end with CRLF", line)
			}
		}
	})
}
