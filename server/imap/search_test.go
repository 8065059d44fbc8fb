package imap

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// searchCriteria parses SEARCH criteria as a client sends them, so that the
// tests read like RFC 3501's examples.
func searchCriteria(t testing.TB, criteria string) *SearchKey {
	t.Helper()
	c, err := ParseCommand([]byte("A1 SEARCH " + criteria + "\r\n"))
	if err != nil {
		t.Fatalf("parsing SEARCH %s: %v", criteria, err)
	}
	return c.Search
}

// searchCase is one criteria string and whether it matches.
type searchCase struct {
	criteria string
	want     bool
}

// runSearchCases evaluates each case for one message.
func runSearchCases(t *testing.T, meta MessageMeta, content []byte, maxSeq, maxUID uint32, cases []searchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.criteria, func(t *testing.T) {
			key := searchCriteria(t, tc.criteria)
			var forMatch []byte
			if NeedsContent(key) {
				forMatch = content
			}
			if got := Match(key, meta, forMatch, maxSeq, maxUID); got != tc.want {
				t.Errorf("SEARCH %s = %v, want %v", tc.criteria, got, tc.want)
			}
		})
	}
}

// headerMessage has 8-bit and encoded-word headers, a folded field, an
// empty one, and a plain text body.
var headerMessage = crlf(`Date: Sat, 02 Mar 2024 01:00:00 +1200
From: "Jörg Smith" <jorg.smith@Example.COM>
To: alice@example.org, =?UTF-8?Q?Bj=C3=B6rn?= <bjorn@example.org>
Cc: Carol <carol@example.net>
Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus Berlin
X-Folded: first line
	second line
X-Empty:
Message-ID: <1@example.com>

Hello World,
this is the body.
`)

func TestSearchHeaderKeys(t *testing.T) {
	meta := MessageMeta{Seq: 1, UID: 1, Size: int64(len(headerMessage))}
	runSearchCases(t, meta, []byte(headerMessage), 1, 1, []searchCase{
		{`FROM smith`, true},
		{`FROM "SMITH"`, true},
		{`FROM "example.com"`, true},
		{`FROM "jörg"`, true}, // raw UTF-8 in the header (RFC 6532)
		{`FROM "JÖRG"`, true}, // case folding beyond ASCII
		{`FROM bob`, false},
		{`FROM ""`, true},
		{`TO "björn"`, true}, // RFC 2047 Q encoding, UTF-8
		{`TO "BJÖRN"`, true},
		{`TO alice`, true},
		{`TO carol`, false},
		{`CC carol`, true},
		{`CC alice`, false},
		{`BCC carol`, false},
		{`BCC ""`, false},         // no Bcc field
		{`SUBJECT "grüße"`, true}, // RFC 2047, ISO-8859-1
		{`SUBJECT "GRÜSSE AUS"`, false},
		{`SUBJECT "e aus berl"`, true}, // across an encoded word and plain text
		{`SUBJECT "=?ISO"`, false},     // the raw form is not searched
		{`HEADER X-Empty ""`, true},    // RFC 3501: an empty string matches a present field
		{`HEADER X-Missing ""`, false},
		{`HEADER x-folded "second line"`, true}, // field names are case-insensitive
		{`HEADER X-Folded "first line"`, true},
		{`HEADER Message-ID "1@EXAMPLE"`, true},
		{`HEADER Subject "grüße"`, true},
		{`HEADER Subject "Hello"`, false},
		{`BODY "hello world"`, true},
		{`BODY "berlin"`, false}, // BODY does not look at the header
		{`BODY ""`, true},
		{`TEXT "berlin"`, true}, // TEXT is header and body
		{`TEXT "THE BODY"`, true},
		{`TEXT "message-id: <1@"`, true},
		{`TEXT "nowhere"`, false},
	})
}

func TestSearchSentDateKeys(t *testing.T) {
	// Written as 2 March in +1200, which is 1 March in UTC: the SENT keys
	// disregard time and zone, so the day is the one written.
	meta := MessageMeta{Seq: 1, UID: 1}
	runSearchCases(t, meta, []byte(headerMessage), 1, 1, []searchCase{
		{`SENTON 2-Mar-2024`, true},
		{`SENTON 1-Mar-2024`, false},
		{`SENTBEFORE 2-Mar-2024`, false},
		{`SENTBEFORE 3-Mar-2024`, true},
		{`SENTSINCE 2-Mar-2024`, true},
		{`SENTSINCE 3-Mar-2024`, false},
	})
	for _, date := range []string{"", "Date: next Tuesday\r\n", "Date: 31 Feb 2024 10:00:00 +0000\r\n"} {
		content := []byte(date + "Subject: no usable date\r\n\r\nbody\r\n")
		t.Run("unusable date "+strings.TrimSpace(date), func(t *testing.T) {
			runSearchCases(t, meta, content, 1, 1, []searchCase{
				{`SENTON 2-Mar-2024`, false},
				{`SENTBEFORE 1-Jan-2100`, false},
				{`SENTSINCE 1-Jan-1900`, false},
				{`NOT SENTSINCE 1-Jan-1900`, true},
			})
		})
	}
}

func TestSearchInternalDateKeys(t *testing.T) {
	// 23:30 on 1 March in New York is 04:30 on 2 March in UTC, the day
	// BEFORE, ON and SINCE use.
	meta := MessageMeta{Seq: 1, UID: 1, InternalDate: time.Date(2024, 3, 1, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))}
	runSearchCases(t, meta, nil, 1, 1, []searchCase{
		{`ON 2-Mar-2024`, true},
		{`ON 1-Mar-2024`, false},
		{`BEFORE 2-Mar-2024`, false},
		{`BEFORE 3-Mar-2024`, true},
		{`SINCE 2-Mar-2024`, true},
		{`SINCE 3-Mar-2024`, false},
		{`SINCE 1-Jan-2024 BEFORE 1-Apr-2024`, true},
	})
}

func TestSearchFlagKeys(t *testing.T) {
	seenFlagged := MessageMeta{Seq: 1, UID: 1, Flags: []string{`\Seen`, `\Flagged`, `$Forwarded`}}
	runSearchCases(t, seenFlagged, nil, 1, 1, []searchCase{
		{`ALL`, true},
		{`SEEN`, true},
		{`UNSEEN`, false},
		{`FLAGGED`, true},
		{`UNFLAGGED`, false},
		{`ANSWERED`, false},
		{`UNANSWERED`, true},
		{`DELETED`, false},
		{`UNDELETED`, true},
		{`DRAFT`, false},
		{`UNDRAFT`, true},
		{`RECENT`, false},
		{`NEW`, false},
		{`OLD`, true},
		{`KEYWORD $Forwarded`, true},
		{`KEYWORD $forwarded`, true}, // keywords are case-insensitive
		{`KEYWORD $Junk`, false},
		{`UNKEYWORD $Junk`, true},
		{`UNKEYWORD $FORWARDED`, false},
	})
	recentUnseen := MessageMeta{Seq: 1, UID: 1, Flags: []string{`\Recent`, `\Answered`, `\Deleted`, `\Draft`}}
	runSearchCases(t, recentUnseen, nil, 1, 1, []searchCase{
		{`RECENT`, true},
		{`NEW`, true}, // RECENT UNSEEN
		{`OLD`, false},
		{`ANSWERED`, true},
		{`DELETED`, true},
		{`DRAFT`, true},
		{`SEEN`, false},
	})
	recentSeen := MessageMeta{Seq: 1, UID: 1, Flags: []string{`\Recent`, `\seen`}}
	runSearchCases(t, recentSeen, nil, 1, 1, []searchCase{
		{`NEW`, false},
		{`OLD`, false},
		{`SEEN`, true}, // system flags compare case-insensitively too
	})
}

func TestSearchSizeAndSetKeys(t *testing.T) {
	meta := MessageMeta{Seq: 3, UID: 17, Size: 1000}
	runSearchCases(t, meta, nil, 5, 20, []searchCase{
		{`LARGER 999`, true},
		{`LARGER 1000`, false},
		{`SMALLER 1001`, true},
		{`SMALLER 1000`, false},
		{`3`, true},
		{`1:2`, false},
		{`1,3,5`, true},
		{`5:2`, true}, // RFC 3501 9: a range may be given high to low
		{`2:*`, true},
		{`4:*`, false},
		{`*`, false},
		{`UID 17`, true},
		{`UID 1:16,18:*`, false},
		{`UID 17:*`, true},
		{`UID *`, false},
		{`UID 19:17`, true},
	})
	// "*" is the largest number in use: here message 3 with UID 17 is the
	// last, and "30:*" is "17:30" (RFC 3501 6.4.8).
	runSearchCases(t, meta, nil, 3, 17, []searchCase{
		{`*`, true},
		{`UID *`, true},
		{`UID 30:*`, true},
		{`4:*`, true},
	})
}

// TestSearchRFC3501Examples runs the examples of RFC 3501 6.4.4 against
// messages that do and do not satisfy them.
func TestSearchRFC3501Examples(t *testing.T) {
	jones := []byte(crlf("From: Jones <jones@example.com>\nSubject: hi\n\nbody\n"))
	smith := []byte(crlf("From: Smith <smith@example.com>\nSubject: hi\n\nbody\n"))
	date1995 := time.Date(1995, 6, 1, 12, 0, 0, 0, time.UTC)
	date1993 := time.Date(1993, 6, 1, 12, 0, 0, 0, time.UTC)
	flagged := []string{`\Flagged`}
	const a282 = `FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"`
	for _, tc := range []struct {
		name    string
		meta    MessageMeta
		content []byte
		want    bool
	}{
		{"flagged_recent_not_from_smith_matches", MessageMeta{Seq: 1, UID: 1, Flags: flagged, InternalDate: date1995}, jones, true},
		{"from_smith_does_not_match", MessageMeta{Seq: 1, UID: 1, Flags: flagged, InternalDate: date1995}, smith, false},
		{"too_old_does_not_match", MessageMeta{Seq: 1, UID: 1, Flags: flagged, InternalDate: date1993}, jones, false},
		{"unflagged_does_not_match", MessageMeta{Seq: 1, UID: 1, InternalDate: date1995}, jones, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Match(searchCriteria(t, a282), tc.meta, tc.content, 1, 1); got != tc.want {
				t.Errorf("SEARCH %s = %v, want %v", a282, got, tc.want)
			}
		})
	}
	t.Run("text_not_in_mailbox", func(t *testing.T) {
		key := searchCriteria(t, `TEXT "string not in mailbox"`)
		for _, content := range [][]byte{jones, smith, []byte(headerMessage)} {
			if Match(key, MessageMeta{Seq: 1, UID: 1}, content, 1, 1) {
				t.Errorf("TEXT matched %q", content)
			}
		}
	})
	t.Run("charset_utf8_text", func(t *testing.T) {
		// A284 SEARCH CHARSET UTF-8 TEXT {6}, the literal being UTF-8.
		key := &SearchKey{Op: "AND", Children: []*SearchKey{{Op: "TEXT", Value: "Grüße"}}}
		if !Match(key, MessageMeta{Seq: 1, UID: 1}, []byte(headerMessage), 1, 1) {
			t.Error("TEXT Grüße did not match the encoded subject")
		}
	})
}

func TestSearchCombinations(t *testing.T) {
	meta := MessageMeta{Seq: 2, UID: 7, Flags: []string{`\Seen`}, Size: 500}
	runSearchCases(t, meta, []byte(headerMessage), 4, 9, []searchCase{
		{`SEEN FROM smith`, true},
		{`SEEN FROM jones`, false},
		{`OR FROM jones FROM smith`, true},
		{`OR FROM jones TO jones`, false},
		{`NOT OR FROM jones TO jones`, true},
		{`OR (UNSEEN LARGER 100) (SEEN SMALLER 1000)`, true},
		{`OR (UNSEEN LARGER 100) (SEEN SMALLER 100)`, false},
		{`NOT NOT SEEN`, true},
		{`(SEEN (FROM smith (2 UID 7)))`, true},
		{`(SEEN (FROM smith (2 UID 8)))`, false},
		{`OR OR 1 3 NOT (4 SEEN)`, true},
		{`NOT (SUBJECT berlin BODY hello)`, false},
		{`OR NOT SUBJECT berlin BODY goodbye`, false},
	})
}

// searchPartsMessage has text parts in several transfer encodings and
// charsets, an attachment and an encapsulated message.
var searchPartsMessage = crlf(`From: sender@example.com
Subject: parts
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble words
--outer
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 cr=C3=A8me soft=
break
--outer
Content-Type: text/html; charset=windows-1251
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString([]byte{0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2}) + `
--outer
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString([]byte("secretattachment")) + `
--outer
Content-Type: message/rfc822

Subject: =?utf-8?b?SW5uZXIgc3ViamVjdA==?=
From: inner@example.com

inner body text
--outer
Content-Type: text/plain; charset=iso-8859-2
Content-Transfer-Encoding: 8bit

` + "\xa3\xf3d\xbc" + `
--outer--
epilogue words
`)

func TestSearchBodyDecoding(t *testing.T) {
	meta := MessageMeta{Seq: 1, UID: 1}
	runSearchCases(t, meta, []byte(searchPartsMessage), 1, 1, []searchCase{
		{`BODY "café crème"`, true},        // quoted-printable, UTF-8
		{`BODY "CAFÉ"`, true},              // case folding beyond ASCII
		{`BODY "softbreak"`, true},         // a soft line break joins
		{`BODY "привет"`, true},            // base64, windows-1251
		{`BODY "ПРИВЕТ"`, true},            // Cyrillic case folding
		{`BODY "łódź"`, true},              // 8bit, ISO-8859-2
		{`BODY "secretattachment"`, false}, // not a text part
		{`BODY "c2VjcmV0"`, false},         // nor its encoded form
		{`BODY "inner subject"`, true},     // the encapsulated message's header is body text
		{`BODY "inner body text"`, true},
		{`BODY "Caf=C3"`, false}, // the encoded form is not searched
		{`BODY "preamble"`, false},
		{`BODY "epilogue"`, false},
		{`SUBJECT "inner"`, false}, // SUBJECT is the top-level header's
		{`FROM inner`, false},
		{`TEXT "inner subject"`, true},
		{`TEXT "parts"`, true},
	})
}

func TestSearchLenientContent(t *testing.T) {
	meta := MessageMeta{Seq: 1, UID: 1}
	for _, tc := range []struct {
		name     string
		content  string
		criteria string
		want     bool
	}{
		{"raw_latin1_header_is_read_as_iso_8859_1", "Subject: Gr\xfc\xdfe\r\n\r\n", `SUBJECT "grüße"`, true},
		{"undeclared_8bit_body_is_read_as_iso_8859_1", "Subject: x\r\n\r\ncaf\xe9\r\n", `BODY "café"`, true},
		{"undeclared_utf8_body", "Subject: x\r\n\r\ncafé\r\n", `BODY "CAFÉ"`, true},
		{"unknown_charset_keeps_the_octets", "Subject: =?x-unknown?q?plain_words?=\r\n\r\n", `SUBJECT "plain words"`, true},
		{"unknown_body_charset_keeps_the_octets", "Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla\r\n", `BODY "QAPLA"`, true},
		{"malformed_encoded_word_stays_raw", "Subject: =?utf-8?q?broken\r\n\r\n", `SUBJECT "broken"`, true},
		{"adjacent_encoded_words_join", "Subject: =?utf-8?q?ab?= =?utf-8?q?cd?=\r\n\r\n", `SUBJECT "abcd"`, true},
		{"bare_lf_line_endings", "From: a@example.com\nSubject: lf only\n\nbody lf\n", `BODY "body lf"`, true},
		{"no_body", "Subject: only a header", `SUBJECT "only"`, true},
		{"no_header", "\r\njust a body\r\n", `BODY "just a body"`, true},
		{"damaged_base64_decodes_what_it_can", "Content-Transfer-Encoding: base64\r\n\r\naGVs!!bG8g\r\nd29y*bGQ=\r\n", `BODY "hello world"`, true},
		{"concatenated_base64_blocks", "Content-Transfer-Encoding: base64\r\n\r\naGk=\r\nYWdhaW4=\r\n", `BODY "hiagain"`, true},
		{"stray_equals_in_quoted_printable", "Content-Transfer-Encoding: quoted-printable\r\n\r\na=zz b=3Dc\r\n", `BODY "a=zz b=c"`, true},
		{"transfer_encoding_is_case_insensitive", "Content-Transfer-Encoding: BASE64\r\n\r\naGVsbG8=\r\n", `BODY "hello"`, true},
		{"multipart_without_boundary_is_text", "Content-Type: multipart/mixed\r\n\r\nplain words\r\n", `BODY "plain words"`, true},
		{"nil_content_matches_no_string", "", `FROM x`, false},
		{"nil_content_not_string", "", `NOT FROM x`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var content []byte
			if tc.content != "" {
				content = []byte(tc.content)
			}
			if got := Match(searchCriteria(t, tc.criteria), meta, content, 1, 1); got != tc.want {
				t.Errorf("SEARCH %s over %q = %v, want %v", tc.criteria, tc.content, got, tc.want)
			}
		})
	}
}

func TestNeedsContent(t *testing.T) {
	for _, tc := range []struct {
		criteria string
		want     bool
	}{
		{`ALL`, false},
		{`SEEN UNSEEN FLAGGED KEYWORD x NEW OLD RECENT`, false},
		{`BEFORE 1-Jan-2024 ON 1-Jan-2024 SINCE 1-Jan-2024`, false},
		{`LARGER 1 SMALLER 2 UID 1:* 1:*`, false},
		{`FROM x`, true},
		{`TO x`, true},
		{`CC x`, true},
		{`BCC x`, true},
		{`SUBJECT x`, true},
		{`HEADER X-A ""`, true},
		{`BODY x`, true},
		{`TEXT x`, true},
		{`SENTBEFORE 1-Jan-2024`, true},
		{`SENTON 1-Jan-2024`, true},
		{`SENTSINCE 1-Jan-2024`, true},
		{`NOT BODY x`, true},
		{`OR SEEN (UNSEEN (FLAGGED TEXT x))`, true},
		{`OR SEEN (UNSEEN (FLAGGED NOT DRAFT))`, false},
	} {
		t.Run(tc.criteria, func(t *testing.T) {
			if got := NeedsContent(searchCriteria(t, tc.criteria)); got != tc.want {
				t.Errorf("NeedsContent(%s) = %v, want %v", tc.criteria, got, tc.want)
			}
		})
	}
	if NeedsContent(nil) {
		t.Error("NeedsContent(nil) = true")
	}
}

func TestParseMessageDate(t *testing.T) {
	est := time.FixedZone("", -5*3600)
	for _, tc := range []struct {
		in   string
		want time.Time // zero: does not parse
	}{
		{"Mon, 2 Jan 2006 15:04:05 -0700", time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC)},
		{"2 Jan 2006 15:04:05 -0700", time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC)},
		{"Mon, 02 Jan 2006 15:04:05 +0000 (UTC)", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"Mon,2 Jan 2006 15:04 EST", time.Date(2006, 1, 2, 15, 4, 0, 0, est)},
		{"Tue, 2 January 2006 15:04:05 GMT", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"(comment) 2 (more) Jan 2006 15:04:05 +0100", time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC)},
		{"Wed, 2 Jan 2006 15:04:05", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)}, // wrong weekday, no zone
		{"2 Jan 2006", time.Date(2006, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"Jan 2 2006 15:04:05 +0100", time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC)},
		{"02-Jan-2006 15:04:05 +0100", time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC)},
		{"2006-01-02 15:04:05 +0100", time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC)},
		{"2 Jan 2006 15:04:05+0100", time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC)},
		{"2 Jan 2006 15:04:05 +01:00", time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC)},
		{"2 Jan 2006 23:59:60 +0000", time.Date(2006, 1, 2, 23, 59, 59, 0, time.UTC)},
		{"2 Jan 49 00:00 +0000", time.Date(2049, 1, 2, 0, 0, 0, 0, time.UTC)},  // RFC 5322 4.3
		{"2 Jan 50 00:00 +0000", time.Date(1950, 1, 2, 0, 0, 0, 0, time.UTC)},  // RFC 5322 4.3
		{"2 Jan 103 00:00 +0000", time.Date(2003, 1, 2, 0, 0, 0, 0, time.UTC)}, // RFC 5322 4.3
		{"29 Feb 2024 12:00 +0000", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
		{"29 Feb 2023 12:00 +0000", time.Time{}},
		{"31 Apr 2024", time.Time{}},
		{"next Tuesday", time.Time{}},
		{"2 Jan", time.Time{}},
		{"Jan 2006", time.Time{}},
		{"", time.Time{}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseMessageDate(tc.in)
			if tc.want.IsZero() {
				if ok {
					t.Errorf("parsed as %v, want no date", got)
				}
				return
			}
			if !ok || !got.Equal(tc.want) {
				t.Errorf("= %v, %v; want %v", got, ok, tc.want)
			}
		})
	}
	// The calendar date is the one written, whatever the zone.
	got, ok := parseMessageDate("Sat, 02 Mar 2024 01:00:00 +1200")
	if !ok || calendarDay(got) != 20240302 {
		t.Errorf("calendar day of 02 Mar 2024 +1200 = %d, %v", calendarDay(got), ok)
	}
}

func TestFoldCase(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"HELLO", "hello"},
		{"Grüße", "GRÜßE"},
		{"ΣΊΣΥΦΟΣ", "σίσυφος"},
		{"\u212a", "k"}, // Kelvin sign
		{"ǅ", "ǆ"},      // title case
	} {
		if string(foldCase([]byte(tc.a))) != string(foldCase([]byte(tc.b))) {
			t.Errorf("foldCase(%q) = %q, foldCase(%q) = %q; want equal", tc.a, foldCase([]byte(tc.a)), tc.b, foldCase([]byte(tc.b)))
		}
	}
	if got := foldCase([]byte("A\xffB")); string(got) != "a\xffb" {
		t.Errorf("foldCase kept invalid UTF-8 as %q, want %q", got, "a\xffb")
	}
}
