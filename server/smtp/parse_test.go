package smtp

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		line, verb, arg string
		bad             bool
	}{
		{line: "EHLO client.example", verb: "EHLO", arg: "client.example"},
		{line: "mail FROM:<a@b.c>", verb: "MAIL", arg: "FROM:<a@b.c>"},
		{line: "QUIT", verb: "QUIT"},
		{line: "NOOP   ", verb: "NOOP"},
		{line: "", bad: true},
		{line: "   ", bad: true},
		{line: "\x00EHLO x", bad: true},
		{line: "VERYVERYLONGVERBNAME x", bad: true},
	}
	for _, c := range cases {
		got, err := ParseCommand(c.line)
		if c.bad != (err != nil) {
			t.Errorf("%q: error %v, want error %v", c.line, err, c.bad)
			continue
		}
		if !c.bad && (got.Verb != c.verb || got.Arg != c.arg) {
			t.Errorf("%q: got %+v", c.line, got)
		}
	}
}

func TestParseHelloDomain(t *testing.T) {
	good := []string{"mail.example.com", "localhost", "[127.0.0.1]", "[IPv6:::1]", "xn--bcher-kva.example"}
	bad := []string{"", " ", "a..b", "[300.1.1.1]", "[127.0.0.1", "bad domain", "a/b", strings.Repeat("a", 64) + ".com"}
	for _, g := range good {
		if _, err := ParseHelloDomain(g); err != nil {
			t.Errorf("%q refused: %v", g, err)
		}
	}
	for _, b := range bad {
		if _, err := ParseHelloDomain(b); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
}

func TestParsePath(t *testing.T) {
	cases := []struct {
		arg, prefix, addr string
		params            Params
		bad               bool
	}{
		{arg: "FROM:<a@example.com>", prefix: "FROM:", addr: "a@example.com", params: Params{}},
		{arg: "from: <a@example.com> SIZE=100 body=8BITMIME", prefix: "FROM:", addr: "a@example.com", params: Params{"SIZE": "100", "BODY": "8BITMIME"}},
		{arg: "FROM:<>", prefix: "FROM:", addr: "", params: Params{}},
		{arg: "TO:<@relay.example:u@example.com>", prefix: "TO:", addr: "u@example.com", params: Params{}},
		{arg: "TO:u@example.com", prefix: "TO:", addr: "u@example.com", params: Params{}},
		// Quoted local parts holding specials cannot name a mailbox here.
		{arg: `TO:<"a>b"@example.com>`, prefix: "TO:", bad: true},
		{arg: "TO:<u@example.com", prefix: "TO:", bad: true},
		{arg: "FROM <a@b.c>", prefix: "FROM:", bad: true},
		{arg: "TO:", prefix: "TO:", bad: true},
		{arg: "TO:<a b@c.d>", prefix: "TO:", bad: true},
		{arg: "TO:<a@b.c> =x", prefix: "TO:", bad: true},
	}
	for _, c := range cases {
		addr, params, err := ParsePath(c.arg, c.prefix)
		if c.bad != (err != nil) {
			t.Errorf("%q: error %v, want error %v", c.arg, err, c.bad)
			continue
		}
		if c.bad {
			continue
		}
		if addr != c.addr || len(params) != len(c.params) {
			t.Errorf("%q: got %q %v", c.arg, addr, params)
		}
		for k, v := range c.params {
			if params[k] != v {
				t.Errorf("%q: param %s=%q, want %q", c.arg, k, params[k], v)
			}
		}
	}
}

func TestDecodePlain(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte("\x00user@example.com\x00pass word"))
	_, user, pass, err := DecodePlain(enc)
	if err != nil || user != "user@example.com" || pass != "pass word" {
		t.Fatalf("got %q %q %v", user, pass, err)
	}
	for _, bad := range []string{"!!!", base64.StdEncoding.EncodeToString([]byte("nouser")), base64.StdEncoding.EncodeToString([]byte("\x00\x00pw"))} {
		if _, _, _, err := DecodePlain(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func readData(t *testing.T, wire string, max int64) (string, *dataReader, error) {
	t.Helper()
	dr := newDataReader(bufio.NewReaderSize(strings.NewReader(wire), 16), max)
	out, err := io.ReadAll(dr)
	return string(out), dr, err
}

func TestDataReader(t *testing.T) {
	cases := []struct {
		name, wire, want string
		bareLF           int
		err              error
	}{
		{name: "crlf_message_ends_at_dot_line", wire: "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", want: "Subject: x\r\n\r\nbody\r\n"},
		{name: "stuffed_dots_are_removed", wire: "..leading\r\n...\r\n.\r\n", want: ".leading\r\n..\r\n"},
		{name: "bare_lf_lines_are_counted_and_normalised", wire: "a\nb\r\n.\r\n", want: "a\r\nb\r\n", bareLF: 1},
		{name: "dot_after_bare_lf_does_not_end_the_data", wire: "a\n.\nb\r\n.\r\n", want: "a\r\n\r\nb\r\n", bareLF: 2},
		{name: "long_lines_pass_whole", wire: strings.Repeat("x", 100) + "\r\n.\r\n", want: strings.Repeat("x", 100) + "\r\n"},
		{name: "cr_at_a_buffer_edge_pairs_with_the_lf", wire: strings.Repeat("y", 15) + "\r\n.\r\n", want: strings.Repeat("y", 15) + "\r\n"},
		{name: "lone_cr_inside_a_line_is_kept", wire: "a\rb\r\n.\r\n", want: "a\rb\r\n"},
		{name: "connection_closed_before_the_end", wire: "abc\r\n", err: io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, dr, err := readData(t, c.wire, 0)
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if c.err == nil && got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if dr.bareLF != c.bareLF {
				t.Errorf("bare LF count %d, want %d", dr.bareLF, c.bareLF)
			}
		})
	}
}

func TestDataReaderOverTheLimitConsumesTheWholeSection(t *testing.T) {
	wire := strings.Repeat("0123456789\r\n", 100) + ".\r\nNEXT\r\n"
	r := bufio.NewReaderSize(strings.NewReader(wire), 64)
	dr := newDataReader(r, 500)
	_, err := io.ReadAll(dr)
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("error %v, want errTooLarge", err)
	}
	if dr.n != 1200 {
		t.Errorf("counted %d bytes, want 1200", dr.n)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "NEXT\r\n" {
		t.Fatalf("the section was not consumed to its end: %q left", rest)
	}
}

func TestReadCommandLine(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("HELO a\r\n"+strings.Repeat("x", maxCommandLine+10)+"\r\nNOOP\n"), 4096)
	if l, err := readCommandLine(r); err != nil || l != "HELO a" {
		t.Fatalf("got %q %v", l, err)
	}
	if _, err := readCommandLine(r); !errors.Is(err, errLineTooLong) {
		t.Fatalf("got %v, want errLineTooLong", err)
	}
	if l, err := readCommandLine(r); err != nil || l != "NOOP" {
		t.Fatalf("the session cannot go on after a long line: %q %v", l, err)
	}
	r = bufio.NewReaderSize(bytes.NewReader(bytes.Repeat([]byte("x"), maxUnbrokenData+5000)), 4096)
	if _, err := readCommandLine(r); !errors.Is(err, errExcessiveData) {
		t.Fatalf("got %v, want errExcessiveData", err)
	}
}
