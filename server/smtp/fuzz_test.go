package smtp

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
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
