package smtp

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"EHLO a.example", "MAIL FROM:<a@b.c> SIZE=10", "RCPT TO:<@x:y@z.w>", "AUTH PLAIN AGEAYg==", "", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseCommand(line)
		if err == nil && (cmd.Verb == "" || cmd.Verb != strings.ToUpper(cmd.Verb)) {
			t.Fatalf("bad verb %q", cmd.Verb)
		}
		ParseHelloDomain(cmd.Arg)
		for _, prefix := range []string{"FROM:", "TO:"} {
			addr, params, err := ParsePath(cmd.Arg, prefix)
			if err == nil {
				if strings.ContainsAny(addr, "\r\n\x00 <>") {
					t.Fatalf("path %q kept a forbidden character", addr)
				}
				ParseSize(params)
			}
		}
		DecodePlain(cmd.Arg)
	})
}

// FuzzDataReader: whatever arrives, the reader never panics, never hands
// out a bare LF, and a message dot-stuffed with CRLF lines comes back intact.
func FuzzDataReader(f *testing.F) {
	for _, s := range []string{"a\r\n", ".x\r\n", "a\nb", "\r\r\n", "..\r\n.\r\n", strings.Repeat("z", 70)} {
		f.Add([]byte(s), uint8(16))
	}
	f.Fuzz(func(t *testing.T, wire []byte, size uint8) {
		bufSize := max(int(size), 16)
		out, _ := io.ReadAll(newDataReader(bufio.NewReaderSize(bytes.NewReader(wire), bufSize), 0))
		for i := range out {
			if out[i] == '\n' && (i == 0 || out[i-1] != '\r') {
				t.Fatalf("bare LF at %d in %q", i, out)
			}
		}
		// Round trip: encode wire as CRLF lines with dot-stuffing.
		text := strings.ReplaceAll(strings.ReplaceAll(string(wire), "\r", ""), "\n", "")
		msg := ""
		for len(text) > 0 {
			n := min(len(text), 50)
			msg += text[:n] + "\r\n"
			text = text[n:]
		}
		var enc strings.Builder
		for line := range strings.Lines(msg) {
			if strings.HasPrefix(line, ".") {
				enc.WriteByte('.')
			}
			enc.WriteString(line)
		}
		enc.WriteString(".\r\n")
		got, err := io.ReadAll(newDataReader(bufio.NewReaderSize(strings.NewReader(enc.String()), bufSize), 0))
		if err != nil || string(got) != msg {
			t.Fatalf("round trip: got %q (%v), want %q", got, err, msg)
		}
	})
}

// FuzzSession feeds arbitrary bytes to a real session as a client would:
// the server must answer or close, never panic or hang, and must still
// greet the next client.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"EHLO a.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
		"HELO x\r\nAUTH PLAIN\r\n*\r\nAUTH LOGIN\r\nAAAA\r\n",
		"EHLO x\r\nMAIL FROM:<> SIZE=99999999999999999999\r\n",
		"\x00\xff\r\n\n\n.\r\n",
		"EHLO x\r\nSTARTTLS\r\nNOOP\r\n",
		"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<loop1@example.com>\r\nRCPT TO:<all@example.com>\r\nDATA\r\n..\r\n.\n.\r\n",
	} {
		f.Add([]byte(s))
	}
	ts := startServer(f, withCommandTimeout(2*time.Second))
	f.Fuzz(func(t *testing.T, input []byte) {
		conn, err := net.Dial("tcp", ts.addrs[store.SecurityNone])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		if greeting, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(greeting, "220 ") {
			t.Fatalf("greeting %q %v", greeting, err)
		}
		conn.Write(input)
		conn.Write([]byte("\r\n.\r\nQUIT\r\n"))
		// Everything the server says must be well-formed reply lines.
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			if len(line) < 5 || line[0] < '2' || line[0] > '5' || (line[3] != ' ' && line[3] != '-') || !strings.HasSuffix(line, "\r\n") {
				t.Fatalf("malformed reply line %q", line)
			}
		}
	})
}
