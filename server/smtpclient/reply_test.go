package smtpclient

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/server/smtpreply"
)

func TestReadReply(t *testing.T) {
	for _, tc := range []struct {
		name string
		wire string
		want smtpreply.Reply
	}{
		{"one_line", "250 OK\r\n", smtpreply.Reply{Code: 250, Text: "OK"}},
		{"bare_LF_ends_a_line_too", "220 mx.example ESMTP\n", smtpreply.Reply{Code: 220, Text: "mx.example ESMTP"}},
		{"code_alone", "250\r\n", smtpreply.Reply{Code: 250}},
		{"multi-line_joins_texts_with_LF", "250-mx.example greets you\r\n250-PIPELINING\r\n250 SIZE 100\r\n",
			smtpreply.Reply{Code: 250, Text: "mx.example greets you\nPIPELINING\nSIZE 100"}},
		{"enhanced_code_is_parsed", "550 5.1.1 No such user\r\n", smtpreply.Reply{Code: 550, Enhanced: "5.1.1", Text: "No such user"}},
		{"enhanced_code_alone", "250 2.0.0\r\n", smtpreply.Reply{Code: 250, Enhanced: "2.0.0"}},
		{"enhanced_code_is_removed_from_every_line", "550-5.1.1 The account\r\n550-5.1.1 does not exist.\r\n550 5.1.1 See the help.\r\n",
			smtpreply.Reply{Code: 550, Enhanced: "5.1.1", Text: "The account\ndoes not exist.\nSee the help."}},
		{"three-digit_subject_and_detail", "554 5.123.456 odd\r\n", smtpreply.Reply{Code: 554, Enhanced: "5.123.456", Text: "odd"}},
		{"class_must_match_the_reply_code", "451 5.0.0 mismatch\r\n", smtpreply.Reply{Code: 451, Text: "5.0.0 mismatch"}},
		{"greeting_that_looks_like_a_code_is_read_as_one", "220 2.4.6 ready\r\n", smtpreply.Reply{Code: 220, Enhanced: "2.4.6", Text: "ready"}},
		{"not_a_code_with_a_long_part", "250 2.1234.0 x\r\n", smtpreply.Reply{Code: 250, Text: "2.1234.0 x"}},
		{"not_a_code_without_the_space", "250 2.0.0x\r\n", smtpreply.Reply{Code: 250, Text: "2.0.0x"}},
		{"later_line_without_a_code_is_kept", "250-2.0.0 first\r\n250 second\r\n", smtpreply.Reply{Code: 250, Enhanced: "2.0.0", Text: "first\nsecond"}},
		{"later_codes_are_kept_when_the_first_line_has_none", "250-first\r\n250 2.0.0 second\r\n", smtpreply.Reply{Code: 250, Text: "first\n2.0.0 second"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tc.wire + "221 next\r\n"))
			got, lines, err := ReadReply(r)
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
			if want := strings.Split(strings.TrimRight(strings.ReplaceAll(tc.wire, "\r", ""), "\n"), "\n"); !slices.Equal(lines, want) {
				t.Errorf("lines %q, want %q", lines, want)
			}
			next, _, err := ReadReply(r)
			if err != nil || next.Code != 221 {
				t.Errorf("the next reply: %v, %v", next, err)
			}
		})
	}
}

func TestReadReplyRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		wire string
		want error // nil: a *ReplySyntaxError
	}{
		{"no_code", "hello\r\n", nil},
		{"first_digit_out_of_range", "650 x\r\n", nil},
		{"second_digit_out_of_range", "260 x\r\n", nil},
		{"short_code", "25 x\r\n", nil},
		{"no_separator", "250xabc\r\n", nil},
		{"code_changes_inside_a_reply", "250-a\r\n251 b\r\n", nil},
		{"line_too_long", "250 " + strings.Repeat("x", maxReplyLine+10) + "\r\n", nil},
		{"reply_too_long", strings.Repeat("250-"+strings.Repeat("x", 1000)+"\r\n", 100), nil},
		{"nothing", "", io.EOF},
		{"line_cut_short", "250 OK", io.ErrUnexpectedEOF},
		{"reply_cut_short", "250-OK\r\n", io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadReply(bufio.NewReader(strings.NewReader(tc.wire)))
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Errorf("error %v, want %v", err, tc.want)
				}
				return
			}
			var syntax *ReplySyntaxError
			if !errors.As(err, &syntax) {
				t.Errorf("error %v, want a *ReplySyntaxError", err)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	reply, _, err := ReadReply(bufio.NewReader(strings.NewReader(
		"250-mx.example Hello [192.0.2.1]\r\n250-pipelining\r\n250-SIZE 35882577\r\n250-AUTH login Plain XOAUTH2\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	caps := parseCapabilities(reply)
	for _, k := range []string{"PIPELINING", "SIZE", "AUTH", "8BITMIME", "STARTTLS", "SMTPUTF8"} {
		if !caps.has(k) {
			t.Errorf("%s missing from %v", k, caps)
		}
	}
	if caps.has("MX.EXAMPLE") {
		t.Errorf("the greeting line was taken for an extension")
	}
	if got := caps.sizeLimit(); got != 35882577 {
		t.Errorf("size limit %d", got)
	}
	if got := caps.authMechanisms(); !slices.Equal(got, []string{"LOGIN", "PLAIN", "XOAUTH2"}) {
		t.Errorf("mechanisms %q", got)
	}
	for params, want := range map[string]int64{"": 0, "0": 0, "abc": 0, "10 extra": 0, "99999999999999999999999": 0, "1024": 1024} {
		if got := (capabilities{"SIZE": params}).sizeLimit(); got != want {
			t.Errorf("SIZE %q: limit %d, want %d", params, got, want)
		}
	}
}
