package imap

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// crlf turns the LF line endings of a test message into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// rfc3501Example is the message of RFC 3501 8's FETCH example: its
// ENVELOPE and BODY are given there.
func rfc3501Example() string {
	var body strings.Builder
	for range 91 {
		body.WriteString(strings.Repeat("x", 31) + "\r\n")
	}
	body.WriteString(strings.Repeat("y", 23) + "\r\n") // 92 lines, 3028 octets
	return crlf(`Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)
From: Terry Gray <gray@cac.washington.edu>
Subject: IMAP4rev1 WG mtg summary and minutes
To: imap@cac.washington.edu
cc: minutes@CNRI.Reston.VA.US,
 John Klensin <KLENSIN@MIT.EDU>
Message-Id: <B27397-0100000@cac.washington.edu>
MIME-Version: 1.0

`) + body.String()
}

const (
	alternativeMessage = `From: Alice <alice@example.com>
To: Bob <bob@example.net>
Subject: Lunch
Date: Mon, 2 Mar 2026 10:00:00 +0100
Message-ID: <lunch@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt-1"

This is a multi-part message in MIME format.
--alt-1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Noon?
--alt-1
Content-Type: text/html; charset="utf-8"

<p>Noon?</p>
--alt-1--
epilogue
`

	mixedMessage = `From: "Smith, John" <john@example.com>
To: team: ann@example.com, Ben <ben@example.com>;, carl@example.com (Carl C)
Subject: =?utf-8?q?Report_=C3=A9t=C3=A9?=
Date: Tue, 3 Mar 2026 09:30:00 +0000
In-Reply-To: <prev@example.com>
Message-ID: <report@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed;
	boundary=outer
Content-Language: en

--outer
Content-Type: text/plain

See attached.
--outer
Content-Type: application/pdf; name="report.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="report.pdf"
Content-ID: <pdf1@example.com>
Content-Description: The report
Content-Location: http://example.com/report.pdf
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==

JVBERi0xLjQK
--outer--
`

	nestedMessage = `From: carol@example.org
To: dave@example.org
Subject: Fwd: Lunch
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

Forwarded below.
--b1
Content-Type: message/rfc822
Content-Disposition: inline

From: Alice <alice@example.com>
Subject: Lunch
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/plain

Noon?
--b2
Content-Type: text/html

<p>Noon?</p>
--b2--
--b1
Content-Type: message/rfc822

Subject: single

Just text.
--b1--
`
)

func TestEnvelope(t *testing.T) {
	tests := []struct {
		name, message, want string
	}{
		{
			name:    "RFC_3501_example",
			message: rfc3501Example(),
			want: `("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ` +
				`(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ` +
				`(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ` +
				`((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ` +
				`"<B27397-0100000@cac.washington.edu>")`,
		},
		{
			name:    "groups_quoted_names_comments_and_raw_encoded_words",
			message: crlf(mixedMessage),
			want: `("Tue, 3 Mar 2026 09:30:00 +0000" "=?utf-8?q?Report_=C3=A9t=C3=A9?=" ` +
				`(("Smith, John" NIL "john" "example.com")) (("Smith, John" NIL "john" "example.com")) ` +
				`(("Smith, John" NIL "john" "example.com")) ` +
				`((NIL NIL "team" NIL)(NIL NIL "ann" "example.com")("Ben" NIL "ben" "example.com")(NIL NIL NIL NIL)("Carl C" NIL "carl" "example.com")) ` +
				`NIL NIL "<prev@example.com>" "<report@example.com>")`,
		},
		{
			name: "sender_and_reply_to_given_and_empty_bcc",
			message: crlf(`From: a@example.com
Sender: secretary@example.com
Reply-To: list@example.com
Bcc:
Subject:

`),
			want: `(NIL "" ((NIL NIL "a" "example.com")) ((NIL NIL "secretary" "example.com")) ((NIL NIL "list" "example.com")) NIL NIL NIL NIL NIL)`,
		},
		{
			name: "empty_sender_defaults_to_from_and_undisclosed_group",
			message: crlf(`From: a@example.com
Sender:
To: undisclosed-recipients:;

`),
			want: `(NIL NIL ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)`,
		},
		{
			name:    "folded_subject_is_unfolded_and_8bit_is_a_literal",
			message: "Subject: caf\xc3\xa9\r\n with a fold\r\nFrom: \"Jo \\\"Q\\\" Ann\" <jo.ann@[192.0.2.1]>\r\n\r\n",
			want: "(NIL {17}\r\ncaf\xc3\xa9 with a fold " +
				`(("Jo \"Q\" Ann" NIL "jo.ann" "[192.0.2.1]")) (("Jo \"Q\" Ann" NIL "jo.ann" "[192.0.2.1]")) (("Jo \"Q\" Ann" NIL "jo.ann" "[192.0.2.1]")) NIL NIL NIL NIL NIL)`,
		},
		{
			name:    "source_route_missing_domain_and_null_address",
			message: "To: <@relay.example,@hop.example:joe@example.com>, john, <>, \"quoted local\"@example.com\n\n",
			want: `(NIL NIL NIL NIL NIL ((NIL "@relay.example,@hop.example" "joe" "example.com")` +
				`(NIL NIL "john" ".MISSING-HOST-NAME.")(NIL NIL "\"quoted local\"" "example.com")) NIL NIL NIL NIL)`,
		},
		{
			name:    "NUL_octets_are_dropped_from_values",
			message: "Subject: a\x00b\r\nMessage-ID: <\x00>\r\n\r\n",
			want:    `(NIL "ab" NIL NIL NIL NIL NIL NIL NIL "<>")`,
		},
		{
			name:    "no_header_at_all",
			message: "just a body line\r\n",
			want:    `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(ParseMessage([]byte(tt.message)).Envelope())
			if got != tt.want {
				t.Errorf("ENVELOPE\n got %s\nwant %s", got, tt.want)
			}
			checkIMAPSyntax(t, []byte(got))
		})
	}
}

func TestBodyStructure(t *testing.T) {
	tests := []struct {
		name, message, body, bodyStructure string
	}{
		{
			name:          "RFC_3501_example_defaults_to_text_plain_us_ascii",
			message:       rfc3501Example(),
			body:          `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)`,
			bodyStructure: `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)`,
		},
		{
			name:    "multipart_alternative_skips_preamble_and_epilogue",
			message: crlf(alternativeMessage),
			body:    `(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 5 1)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1) "ALTERNATIVE")`,
			bodyStructure: `(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 5 1 NIL NIL NIL NIL)` +
				`("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "alt-1") NIL NIL NIL)`,
		},
		{
			name:    "multipart_alternative_with_bare_LF",
			message: alternativeMessage,
			body:    `(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 5 1)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1) "ALTERNATIVE")`,
		},
		{
			name:    "multipart_mixed_with_attachment_and_extension_fields",
			message: crlf(mixedMessage),
			body:    `(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 13 1)("APPLICATION" "PDF" ("NAME" "report.pdf") "<pdf1@example.com>" "The report" "BASE64" 12) "MIXED")`,
			bodyStructure: `(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 13 1 NIL NIL NIL NIL)` +
				`("APPLICATION" "PDF" ("NAME" "report.pdf") "<pdf1@example.com>" "The report" "BASE64" 12 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "report.pdf")) NIL "http://example.com/report.pdf")` +
				` "MIXED" ("BOUNDARY" "outer") NIL "en" NIL)`,
		},
		{
			name:    "nested_message_rfc822_has_its_own_envelope_and_body",
			message: crlf(nestedMessage),
			body: `(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 16 1)` +
				`("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 197 ` +
				`(NIL "Lunch" (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) NIL NIL NIL NIL NIL) ` +
				`(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1)("TEXT" "HTML" NIL NIL NIL "7BIT" 12 1) "ALTERNATIVE") 13)` +
				`("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 29 (NIL "single" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1) 3) "MIXED")`,
			bodyStructure: `(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 16 1 NIL NIL NIL NIL)` +
				`("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 197 ` +
				`(NIL "Lunch" (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) NIL NIL NIL NIL NIL) ` +
				`(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)("TEXT" "HTML" NIL NIL NIL "7BIT" 12 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "b2") NIL NIL NIL) 13 NIL ("INLINE" NIL) NIL NIL)` +
				`("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 29 (NIL "single" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)` +
				` "MIXED" ("BOUNDARY" "b1") NIL NIL NIL)`,
		},
		{
			name:          "multipart_without_boundary_is_text_plain",
			message:       crlf("Content-Type: multipart/mixed\n\n--x\n\nhello\n--x--\n"),
			body:          `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 21 4)`,
			bodyStructure: `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 21 4 NIL NIL NIL NIL)`,
		},
		{
			name:    "multipart_whose_boundary_never_appears_is_text_plain",
			message: crlf("Content-Type: multipart/mixed; boundary=zz\n\n--x\n\nhello\n"),
			body:    `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 14 3)`,
		},
		{
			name:    "unterminated_multipart_runs_to_the_end",
			message: crlf("Content-Type: multipart/mixed; boundary=zz\n\n--zz\n\nfirst\n--zz\nContent-Type: text/html\n\n<b>last"),
			body:    `(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1)("TEXT" "HTML" NIL NIL NIL "7BIT" 7 1) "MIXED")`,
		},
		{
			name:    "invalid_content_type_is_the_default",
			message: crlf("Content-Type: garbage\nContent-Transfer-Encoding: 8bit\n\nx"),
			body:    `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "8BIT" 1 1)`,
		},
		{
			name:    "multipart_digest_parts_default_to_message_rfc822",
			message: crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n"),
			body:    `(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 20 (NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 4 1) 3) "DIGEST")`,
		},
		{
			name:    "outer_boundary_ends_an_unterminated_inner_multipart",
			message: crlf("Content-Type: multipart/mixed; boundary=out\n\n--out\nContent-Type: multipart/alternative; boundary=in\n\n--in\n\ninner\n--out\n\nsecond\n--out--\n"),
			body:    `((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1) "ALTERNATIVE")("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 6 1) "MIXED")`,
		},
		{
			name:    "similar_inner_boundary_is_not_the_outer_one",
			message: crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=b-1\n\n--b-1\n\ninner\n--b-1--\n--b--\n"),
			body:    `((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1) "ALTERNATIVE") "MIXED")`,
		},
		{
			name:          "header_only_message_has_an_empty_body",
			message:       "Subject: nothing else",
			body:          `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0)`,
			bodyStructure: `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL)`,
		},
		{
			name:    "empty_message",
			message: "",
			body:    `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0)`,
		},
		{
			name:    "parameters_with_comments_quoting_and_several_languages",
			message: crlf("Content-Type: text/plain (comment) ; format=flowed; charset=\"iso-8859-1\" ; name*=utf-8''%C3%A9.txt\nContent-Disposition: inline\nContent-Language: en, fr\n\nx\n"),
			body:    `("TEXT" "PLAIN" ("FORMAT" "flowed" "CHARSET" "iso-8859-1" "NAME*" "utf-8''%C3%A9.txt") NIL NIL "7BIT" 3 1)`,
			bodyStructure: `("TEXT" "PLAIN" ("FORMAT" "flowed" "CHARSET" "iso-8859-1" "NAME*" "utf-8''%C3%A9.txt") NIL NIL "7BIT" 3 1 ` +
				`NIL ("INLINE" NIL) ("en" "fr") NIL)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ParseMessage([]byte(tt.message))
			got := string(m.BodyStructure(false))
			if got != tt.body {
				t.Errorf("BODY\n got %s\nwant %s", got, tt.body)
			}
			checkIMAPSyntax(t, []byte(got))
			extended := m.BodyStructure(true)
			if tt.bodyStructure != "" && string(extended) != tt.bodyStructure {
				t.Errorf("BODYSTRUCTURE\n got %s\nwant %s", extended, tt.bodyStructure)
			}
			checkIMAPSyntax(t, extended)
			checkSizesMatchSections(t, m, extended)
		})
	}
}

func TestBodyStructureDeepNestingIsCapped(t *testing.T) {
	var b strings.Builder
	const levels = 200
	for i := range levels {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("\r\nleaf\r\n")
	m := ParseMessage([]byte(b.String()))
	got := m.BodyStructure(true)
	checkIMAPSyntax(t, got)
	depth := 0
	for _, c := range got {
		if c == '(' {
			depth++
		}
	}
	// Each multipart level opens its own list and its BOUNDARY list.
	if depth > 2*maxMIMEDepth+10 {
		t.Errorf("BODYSTRUCTURE opens %d lists, more than the depth cap allows", depth)
	}
	if !bytes.HasPrefix(got, bytes.Repeat([]byte("("), maxMIMEDepth)) {
		t.Errorf("BODYSTRUCTURE does not nest %d multiparts: %.200s", maxMIMEDepth, got)
	}
	path := make([]int, maxMIMEDepth)
	for i := range path {
		path[i] = 1
	}
	if _, ok := m.Section(Section{Part: path}); !ok {
		t.Errorf("part %v (the opaque leaf at the cap) is missing", path)
	}
	if _, ok := m.Section(Section{Part: append(path, 1)}); ok {
		t.Errorf("part below the depth cap exists")
	}
}

func TestSection(t *testing.T) {
	nested := crlf(nestedMessage)
	mixed := crlf(mixedMessage)
	single := crlf("Subject: hi\nFrom: a@example.com\n\nbody\n")
	tests := []struct {
		name    string
		message string
		section Section
		want    string
		missing bool
	}{
		{name: "whole_message", message: nested, section: Section{}, want: nested},
		{name: "header_of_the_message", message: single, section: Section{Specifier: "HEADER"}, want: crlf("Subject: hi\nFrom: a@example.com\n\n")},
		{name: "text_of_the_message", message: single, section: Section{Specifier: "TEXT"}, want: crlf("body\n")},
		{name: "part_1_of_a_single_part_message_is_its_body", message: single, section: Section{Part: []int{1}}, want: crlf("body\n")},
		{name: "part_2_of_a_single_part_message_is_missing", message: single, section: Section{Part: []int{2}}, missing: true},
		{name: "part_1_1_of_a_single_text_part_is_missing", message: single, section: Section{Part: []int{1, 1}}, missing: true},
		{name: "header_of_a_text_part_is_missing", message: single, section: Section{Part: []int{1}, Specifier: "HEADER"}, missing: true},
		{name: "multipart_part_body", message: mixed, section: Section{Part: []int{1}}, want: "See attached."},
		{name: "multipart_part_mime_header", message: mixed, section: Section{Part: []int{1}, Specifier: "MIME"}, want: crlf("Content-Type: text/plain\n\n")},
		{name: "attachment_body", message: mixed, section: Section{Part: []int{2}}, want: "JVBERi0xLjQK"},
		{name: "part_3_of_two_is_missing", message: mixed, section: Section{Part: []int{3}}, missing: true},
		{name: "part_0_is_missing", message: mixed, section: Section{Part: []int{0}}, missing: true},
		{
			name: "header_fields_keep_folding_and_order", message: mixed,
			section: Section{Specifier: "HEADER.FIELDS", Fields: []string{"content-type", "SUBJECT", "X-Absent"}},
			want:    crlf("Subject: =?utf-8?q?Report_=C3=A9t=C3=A9?=\nContent-Type: multipart/mixed;\n\tboundary=outer\n\n"),
		},
		{
			name: "header_fields_not", message: single,
			section: Section{Specifier: "HEADER.FIELDS.NOT", Fields: []string{"subject"}},
			want:    crlf("From: a@example.com\n\n"),
		},
		{
			name: "header_fields_none_match_is_the_blank_line", message: single,
			section: Section{Specifier: "HEADER.FIELDS", Fields: []string{"X-None"}},
			want:    "\r\n",
		},
		{
			name: "encapsulated_message_is_the_part_body", message: nested, section: Section{Part: []int{3}},
			want: crlf("Subject: single\n\nJust text."),
		},
		{
			name: "encapsulated_message_header", message: nested, section: Section{Part: []int{2}, Specifier: "HEADER"},
			want: crlf("From: Alice <alice@example.com>\nSubject: Lunch\nContent-Type: multipart/alternative; boundary=\"b2\"\n\n"),
		},
		{
			name: "encapsulated_message_header_fields", message: nested, section: Section{Part: []int{2}, Specifier: "HEADER.FIELDS", Fields: []string{"Subject"}},
			want: crlf("Subject: Lunch\n\n"),
		},
		{
			name: "encapsulated_message_text", message: nested, section: Section{Part: []int{3}, Specifier: "TEXT"},
			want: "Just text.",
		},
		{
			name: "mime_header_of_the_message_rfc822_part", message: nested, section: Section{Part: []int{2}, Specifier: "MIME"},
			want: crlf("Content-Type: message/rfc822\nContent-Disposition: inline\n\n"),
		},
		{name: "part_inside_encapsulated_multipart", message: nested, section: Section{Part: []int{2, 2}}, want: "<p>Noon?</p>"},
		{
			name: "mime_header_inside_encapsulated_multipart", message: nested, section: Section{Part: []int{2, 1}, Specifier: "MIME"},
			want: crlf("Content-Type: text/plain\n\n"),
		},
		{name: "part_1_of_encapsulated_single_part_message_is_its_body", message: nested, section: Section{Part: []int{3, 1}}, want: "Just text."},
		{name: "part_2_of_encapsulated_single_part_message_is_missing", message: nested, section: Section{Part: []int{3, 2}}, missing: true},
		{name: "mime_of_the_whole_message_is_missing", message: nested, section: Section{Specifier: "MIME"}, missing: true},
		{
			name: "header_without_blank_line_gets_one_in_header_fields", message: "Subject: x\r\nFrom: y",
			section: Section{Specifier: "HEADER.FIELDS", Fields: []string{"FROM"}}, want: "From: y\r\n\r\n",
		},
		{name: "header_without_body_is_the_whole_message", message: "Subject: x\r\nFrom: y", section: Section{Specifier: "HEADER"}, want: "Subject: x\r\nFrom: y"},
		{name: "bare_LF_parts_are_served_as_they_are", message: alternativeMessage, section: Section{Part: []int{1}, Specifier: "MIME"}, want: "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"},
		{name: "bare_LF_part_body", message: alternativeMessage, section: Section{Part: []int{2}}, want: "<p>Noon?</p>"},
		{name: "unknown_specifier_is_missing", message: single, section: Section{Specifier: "BOGUS"}, missing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseMessage([]byte(tt.message)).Section(tt.section)
			if ok == tt.missing {
				t.Fatalf("Section(%+v) ok = %v, want %v", tt.section, ok, !tt.missing)
			}
			if string(got) != tt.want {
				t.Errorf("Section(%+v)\n got %q\nwant %q", tt.section, got, tt.want)
			}
		})
	}
}

func TestHeaderAndText(t *testing.T) {
	for _, raw := range []string{crlf(mixedMessage), alternativeMessage, "Subject: x", "", "\r\nbody only", "Subject: x\n\n"} {
		m := ParseMessage([]byte(raw))
		if got := string(m.Header()) + string(m.Text()); got != raw {
			t.Errorf("Header()+Text() = %q, want %q", got, raw)
		}
	}
	m := ParseMessage([]byte(crlf(mixedMessage)))
	if !bytes.HasSuffix(m.Header(), []byte("Content-Language: en\r\n\r\n")) {
		t.Errorf("Header() does not end with the last field and the blank line: %q", m.Header())
	}
	if !bytes.HasPrefix(m.Text(), []byte("--outer\r\n")) {
		t.Errorf("Text() does not start after the blank line: %q", m.Text())
	}
}

func TestPartial(t *testing.T) {
	b := []byte("0123456789")
	tests := []struct {
		start, length uint32
		want          string
	}{
		{0, 4, "0123"},
		{3, 4, "3456"},
		{8, 100, "89"},
		{10, 1, ""},
		{200, 1, ""},
		{0, 0, ""},
		{4294967295, 4294967295, ""},
		{1, 4294967295, "123456789"},
	}
	for _, tt := range tests {
		if got := string(Partial(b, tt.start, tt.length)); got != tt.want {
			t.Errorf("Partial(%d, %d) = %q, want %q", tt.start, tt.length, got, tt.want)
		}
	}
}

// imapValue is a parsed IMAP response value: NIL, a string, a number or a
// list.
type imapValue struct {
	kind   byte // 'N' NIL, 's' string, 'n' number, 'l' list
	text   []byte
	number int64
	list   []imapValue
}

// parseIMAPValue parses one value from b strictly: list elements are
// separated by one space, except that a list may follow a list directly
// (the address lists and the parts of a multipart). It returns the rest.
func parseIMAPValue(b []byte) (imapValue, []byte, error) {
	if len(b) == 0 {
		return imapValue{}, nil, fmt.Errorf("value expected at the end")
	}
	switch c := b[0]; {
	case c == '(':
		var v imapValue
		v.kind = 'l'
		rest := b[1:]
		for {
			if len(rest) > 0 && rest[0] == ')' {
				if len(v.list) == 0 {
					return v, nil, fmt.Errorf("empty list")
				}
				return v, rest[1:], nil
			}
			if len(v.list) > 0 {
				if len(rest) > 0 && rest[0] == ' ' {
					rest = rest[1:]
				} else if len(rest) == 0 || rest[0] != '(' || v.list[len(v.list)-1].kind != 'l' {
					return v, nil, fmt.Errorf("separator expected at %.20q", rest)
				}
			}
			element, r, err := parseIMAPValue(rest)
			if err != nil {
				return v, nil, err
			}
			v.list = append(v.list, element)
			rest = r
		}
	case c == '"':
		var text []byte
		for i := 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				if i+1 >= len(b) || (b[i+1] != '"' && b[i+1] != '\\') {
					return imapValue{}, nil, fmt.Errorf("bad escape")
				}
				i++
				text = append(text, b[i])
			case '"':
				return imapValue{kind: 's', text: text}, b[i+1:], nil
			case '\r', '\n', 0:
				return imapValue{}, nil, fmt.Errorf("CR, LF or NUL in a quoted string")
			default:
				if b[i] >= 0x80 {
					return imapValue{}, nil, fmt.Errorf("8-bit octet in a quoted string")
				}
				text = append(text, b[i])
			}
		}
		return imapValue{}, nil, fmt.Errorf("unterminated quoted string")
	case c == '{':
		end := bytes.Index(b, []byte("}\r\n"))
		if end < 0 {
			return imapValue{}, nil, fmt.Errorf("bad literal")
		}
		n, err := strconv.Atoi(string(b[1:end]))
		if err != nil || n < 0 || end+3+n > len(b) {
			return imapValue{}, nil, fmt.Errorf("bad literal length %q", b[1:end])
		}
		text := b[end+3 : end+3+n]
		if bytes.IndexByte(text, 0) >= 0 {
			return imapValue{}, nil, fmt.Errorf("NUL in a literal")
		}
		return imapValue{kind: 's', text: text}, b[end+3+n:], nil
	case c >= '0' && c <= '9':
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		n, err := strconv.ParseInt(string(b[:i]), 10, 64)
		return imapValue{kind: 'n', number: n}, b[i:], err
	case bytes.HasPrefix(b, []byte("NIL")):
		return imapValue{kind: 'N'}, b[3:], nil
	}
	return imapValue{}, nil, fmt.Errorf("unexpected %.20q", b)
}

// checkIMAPSyntax fails t unless b is exactly one well-formed IMAP value.
func checkIMAPSyntax(t testing.TB, b []byte) imapValue {
	t.Helper()
	v, rest, err := parseIMAPValue(b)
	if err != nil {
		t.Fatalf("bad IMAP syntax: %v in %q", err, b)
	}
	if len(rest) > 0 {
		t.Fatalf("bad IMAP syntax: %q after the value in %q", rest, b)
	}
	if v.kind != 'l' {
		t.Fatalf("not a list: %q", b)
	}
	return v
}

// checkSizesMatchSections walks a parsed BODYSTRUCTURE, checks each body's
// shape against RFC 3501's grammar, and that each single part's size is the
// length of BODY[part] and that the part exists.
func checkSizesMatchSections(t testing.TB, m *Message, bodyStructure []byte) {
	t.Helper()
	v := checkIMAPSyntax(t, bodyStructure)
	// The root's parts: a multipart's are numbered 1..n; a single part is
	// part 1.
	walkBody(t, m, v, nil, true)
}

// walkBody checks body v; path is the part number of a single part, or of
// the message or part whose parts v's children are. top is true for the
// body of a message (the root or an encapsulated one).
func walkBody(t testing.TB, m *Message, v imapValue, path []int, top bool) {
	t.Helper()
	if v.kind != 'l' || len(v.list) < 2 {
		t.Fatalf("body is not a list of 2 or more: %+v", v)
	}
	if v.list[0].kind == 'l' { // multipart
		n := 0
		for n < len(v.list) && v.list[n].kind == 'l' {
			n++
		}
		if n == len(v.list) || v.list[n].kind != 's' {
			t.Fatalf("multipart without a subtype string")
		}
		for i := range n {
			walkBody(t, m, v.list[i], append(append([]int(nil), path...), i+1), false)
		}
		return
	}
	if top {
		path = append(append([]int(nil), path...), 1)
	}
	if len(v.list) < 7 || v.list[0].kind != 's' || v.list[1].kind != 's' || v.list[6].kind != 'n' {
		t.Fatalf("single part without type, subtype and size: %+v", v)
	}
	section, ok := m.Section(Section{Part: path})
	if !ok {
		t.Fatalf("BODYSTRUCTURE has part %v that Section does not find", path)
	}
	if int64(len(section)) != v.list[6].number {
		t.Fatalf("part %v: size %d in BODYSTRUCTURE, %d octets in BODY[%v]", path, v.list[6].number, len(section), path)
	}
	if string(v.list[0].text) == "MESSAGE" && string(v.list[1].text) == "RFC822" {
		if len(v.list) < 10 || v.list[7].kind != 'l' || len(v.list[7].list) != 10 || v.list[9].kind != 'n' {
			t.Fatalf("message/rfc822 part %v without envelope, body and lines", path)
		}
		walkBody(t, m, v.list[8], path, true)
	} else if string(v.list[0].text) == "TEXT" && (len(v.list) < 8 || v.list[7].kind != 'n') {
		t.Fatalf("text part %v without lines", path)
	}
}
