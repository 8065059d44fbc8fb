package smtpclient

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzReadReply: whatever a server sends, the reader never panics, returns
// only well-formed replies, and a reply it returns reads back the same
// after it is written out again.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"250 OK\r\n",
		"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n",
		"550-5.1.1 a\r\n550 5.1.1 b\r\n",
		"451 5.0.0 x\n",
		"250\r\n220-\r\n",
		"250-a\r\n251 b\r\n",
		"\xff\x00\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		r := bufio.NewReader(bytes.NewReader(wire))
		for range 100 {
			reply, lines, err := ReadReply(r)
			if err != nil {
				return
			}
			if reply.Code < 200 || reply.Code > 559 || len(lines) == 0 {
				t.Fatalf("reply %+v from %d lines", reply, len(lines))
			}
			if reply.Enhanced != "" {
				if _, rest, ok := cutEnhancedCode(reply.Enhanced, reply.Code); !ok || rest != "" {
					t.Fatalf("enhanced code %q does not fit reply %d", reply.Enhanced, reply.Code)
				}
			}
			if strings.Count(reply.Text, "\n") != len(lines)-1 {
				t.Fatalf("text %q from %d lines", reply.Text, len(lines))
			}
			var again bytes.Buffer
			for _, l := range reply.Lines() {
				again.WriteString(l + "\r\n")
			}
			back, _, err := ReadReply(bufio.NewReader(&again))
			if err != nil || *back != *reply {
				t.Fatalf("round trip of %+v gave %+v, %v", reply, back, err)
			}
			caps := parseCapabilities(reply)
			caps.sizeLimit()
			caps.authMechanisms()
		}
	})
}

// FuzzDataWriter: whatever the message and however it is cut into writes,
// the DATA text has only CRLF line breaks, no line that ends the data
// early, the same bytes for every cut, and gives the message back with its
// line breaks made CRLF.
func FuzzDataWriter(f *testing.F) {
	for _, s := range []string{"a\r\n.\r\n", "a\n.\nb", "\r\r\n.", ".", "..\r\n", "x\ry"} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, msg []byte, cut uint8) {
		write := func(chunk int) []byte {
			var out bytes.Buffer
			w := newDataWriter(&out)
			for in := msg; len(in) > 0; {
				n := min(chunk, len(in))
				w.Write(in[:n])
				in = in[n:]
			}
			w.Close()
			if w.size != int64(len(unstuff(out.String()))) {
				t.Fatalf("size %d for %q", w.size, out.String())
			}
			return out.Bytes()
		}
		whole := write(len(msg) + 1)
		if cutUp := write(max(int(cut), 1)); !bytes.Equal(whole, cutUp) {
			t.Fatalf("written whole %q, in pieces of %d %q", whole, cut, cutUp)
		}
		text := string(whole)
		if !strings.HasSuffix(text, ".\r\n") || (len(text) > 3 && !strings.HasSuffix(text, "\r\n.\r\n")) {
			t.Fatalf("no final dot line: %q", text)
		}
		body := strings.TrimSuffix(text, ".\r\n")
		for line := range strings.Lines(body) {
			if !strings.HasSuffix(line, "\r\n") || strings.ContainsAny(strings.TrimSuffix(line, "\r\n"), "\r\n") {
				t.Fatalf("line %q is not CRLF-terminated text", line)
			}
			if line == ".\r\n" {
				t.Fatalf("a lone dot ends the data early in %q", text)
			}
		}
		normal := strings.ReplaceAll(strings.ReplaceAll(string(msg), "\r\n", "\n"), "\r", "\n")
		normal = strings.ReplaceAll(normal, "\n", "\r\n")
		if normal != "" && !strings.HasSuffix(normal, "\r\n") {
			normal += "\r\n"
		}
		if got := unstuff(text); got != normal {
			t.Fatalf("message %q came back as %q, want %q", msg, got, normal)
		}
	})
}
