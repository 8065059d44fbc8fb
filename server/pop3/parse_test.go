package pop3

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Command
		err  bool
	}{
		{line: "STAT", want: Command{Verb: "STAT"}},
		{line: "list 1", want: Command{Verb: "LIST", Arg: "1"}},
		{line: "PASS  two  spaces ", want: Command{Verb: "PASS", Arg: " two  spaces "}},
		{line: "Top 1 10", want: Command{Verb: "TOP", Arg: "1 10"}},
		{line: "", err: true},
		{line: " STAT", err: true},
		{line: "ST4T", err: true},
		{line: "TOOLONGVERB", err: true},
		{line: "\xffSTAT", err: true},
	} {
		got, err := ParseCommand(tc.line)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v, error %v", tc.line, got, err, tc.want, tc.err)
		}
	}
}

func TestParseMessageArguments(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		n    int
		all  bool
		want error
	}{
		{arg: "", all: true},
		{arg: "  ", all: true},
		{arg: "7", n: 7},
		{arg: " 7 ", n: 7},
		{arg: "0", n: 0},
		{arg: "007", n: 7},
		{arg: "99999999999999999999999", n: 1 << 30},
		{arg: "x", want: errMessageNumber},
		{arg: "+1", want: errMessageNumber},
		{arg: "1 2", want: errSyntax},
	} {
		n, all, err := ParseOptionalMessage(tc.arg)
		if n != tc.n || all != tc.all || !errors.Is(err, tc.want) {
			t.Errorf("ParseOptionalMessage(%q) = %d, %v, %v; want %d, %v, %v", tc.arg, n, all, err, tc.n, tc.all, tc.want)
		}
	}
	if _, err := ParseMessage(""); !errors.Is(err, errNoMessageNumber) {
		t.Errorf("ParseMessage(\"\") = %v", err)
	}
	for _, tc := range []struct {
		arg      string
		n, lines int
		err      bool
	}{
		{arg: "1 0", n: 1, lines: 0},
		{arg: "3 25", n: 3, lines: 25},
		{arg: "1", err: true},
		{arg: "1 -1", err: true},
		{arg: "1 2 3", err: true},
	} {
		n, lines, err := ParseTop(tc.arg)
		if n != tc.n || lines != tc.lines || (err != nil) != tc.err {
			t.Errorf("ParseTop(%q) = %d, %d, %v", tc.arg, n, lines, err)
		}
	}
}

func TestParseAuthAndDecodePlain(t *testing.T) {
	for _, tc := range []struct {
		arg, mech, initial string
		has, err           bool
	}{
		{arg: "plain", mech: "PLAIN"},
		{arg: "PLAIN AGEAYg==", mech: "PLAIN", initial: "AGEAYg==", has: true},
		{arg: "PLAIN =", mech: "PLAIN", has: true},
		{arg: "", err: true},
		{arg: "PLAIN a b", err: true},
	} {
		mech, initial, has, err := ParseAuth(tc.arg)
		if mech != tc.mech || initial != tc.initial || has != tc.has || (err != nil) != tc.err {
			t.Errorf("ParseAuth(%q) = %q, %q, %v, %v", tc.arg, mech, initial, has, err)
		}
	}
	if user, pass, err := DecodePlain(plain("", "a@b.c", "p w")); err != nil || user != "a@b.c" || pass != "p w" {
		t.Errorf("DecodePlain = %q, %q, %v", user, pass, err)
	}
	for _, bad := range []string{"!!", plain("x@b.c", "a@b.c", "p"), plain("", "", "p"), "YQ=="} {
		if _, _, err := DecodePlain(bad); err == nil {
			t.Errorf("DecodePlain(%q) succeeded", bad)
		}
	}
}

func TestDotStuffer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		file      string
		bodyLines int
		want      string
	}{
		{"empty_message", "", -1, ".\r\n"},
		{"crlf_message", "a\r\nb\r\n", -1, "a\r\nb\r\n.\r\n"},
		{"no_final_line_break", "a\r\nb", -1, "a\r\nb\r\n.\r\n"},
		{"final_bare_cr", "a\r", -1, "a\r\n.\r\n"},
		{"bare_lf_becomes_crlf", "a\nb\n\n", -1, "a\r\nb\r\n\r\n.\r\n"},
		{"dots_are_stuffed", ".\r\n..\r\n.a\r\nb.\r\n", -1, "..\r\n...\r\n..a\r\nb.\r\n.\r\n"},
		{"bare_cr_inside_a_line_stays", "a\rb\r\n", -1, "a\rb\r\n.\r\n"},
		{"top_zero_lines", "H: 1\r\n\r\nbody\r\n", 0, "H: 1\r\n\r\n.\r\n"},
		{"top_two_lines", "H: 1\r\n\r\n1\r\n.2\r\n3\r\n", 2, "H: 1\r\n\r\n1\r\n..2\r\n.\r\n"},
		{"top_with_bare_lf_header_end", "H: 1\n\nb1\nb2\n", 1, "H: 1\r\n\r\nb1\r\n.\r\n"},
		{"top_without_a_body", "H: 1\r\nH: 2\r\n", 5, "H: 1\r\nH: 2\r\n.\r\n"},
		{"top_more_lines_than_the_body", "H: 1\r\n\r\nb", 5, "H: 1\r\n\r\nb\r\n.\r\n"},
		{"top_zero_without_final_break", "H: 1\r\n\r\n", 0, "H: 1\r\n\r\n.\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every split of the file into two writes gives the same bytes.
			for cut := 0; cut <= len(tc.file); cut++ {
				var out strings.Builder
				w := bufio.NewWriterSize(&out, 16)
				d := newDotStuffer(w, tc.bodyLines)
				for _, part := range []string{tc.file[:cut], tc.file[cut:]} {
					if _, err := d.Write([]byte(part)); err != nil && !errors.Is(err, errTopDone) {
						t.Fatal(err)
					}
				}
				d.end()
				w.Flush()
				if out.String() != tc.want {
					t.Fatalf("split at %d: got %q, want %q", cut, out.String(), tc.want)
				}
			}
		})
	}
}

func TestReadCommandLine(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("STAT\r\nLIST\n"+strings.Repeat("a", maxCommandLine+1)+"\r\nNOOP\r\n"), 4096)
	for _, want := range []string{"STAT", "LIST"} {
		if got, err := readCommandLine(r); got != want || err != nil {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	if _, err := readCommandLine(r); !errors.Is(err, errLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
	if got, err := readCommandLine(r); got != "NOOP" || err != nil {
		t.Fatalf("after the long line: %q, %v", got, err)
	}
}
