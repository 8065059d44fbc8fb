package imap

import (
	"bytes"
	"testing"
)

// fuzzSections are the section shapes FuzzSection renders for every input.
func fuzzSections() []Section {
	paths := [][]int{nil, {1}, {2}, {1, 1}, {1, 2}, {2, 1}, {2, 2}, {1, 1, 1}, {3, 1, 2}}
	var sections []Section
	for _, path := range paths {
		for _, specifier := range []string{"", "MIME", "HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT"} {
			s := Section{Part: path, Specifier: specifier}
			if specifier == "HEADER.FIELDS" || specifier == "HEADER.FIELDS.NOT" {
				s.Fields = []string{"Subject", "content-type", "FROM"}
			}
			sections = append(sections, s)
		}
	}
	return sections
}

// FuzzSection parses arbitrary bytes as a message and renders ENVELOPE,
// BODY, BODYSTRUCTURE and a set of sections: nothing panics, BODY[] is the
// input, the structures are well-formed IMAP whose sizes match the
// sections they describe, and sections are byte ranges of the input.
func FuzzSection(f *testing.F) {
	for _, seed := range []string{
		rfc3501Example(), crlf(alternativeMessage), alternativeMessage, crlf(mixedMessage),
		crlf(nestedMessage), nestedMessage, "", "Subject: x", "\r\n\r\n", "--b\r\n",
		crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b\n--b--"),
		crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d\nContent-Type: message/rfc822\n\n--d--\n"),
		crlf("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: deep\n\nx"),
	} {
		f.Add([]byte(seed))
	}
	sections := fuzzSections()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := ParseMessage(raw)
		if whole, ok := m.Section(Section{}); !ok || !bytes.Equal(whole, raw) {
			t.Fatalf("BODY[] = %q, %v; want the input", whole, ok)
		}
		if got := append(append([]byte(nil), m.Header()...), m.Text()...); !bytes.Equal(got, raw) {
			t.Fatalf("RFC822.HEADER + RFC822.TEXT = %q, want the input", got)
		}
		checkIMAPSyntax(t, m.Envelope())
		checkSizesMatchSections(t, m, m.BodyStructure(false))
		checkSizesMatchSections(t, m, m.BodyStructure(true))

		for _, s := range sections {
			b, ok := m.Section(s)
			if !ok {
				if len(b) != 0 {
					t.Fatalf("Section(%+v) is missing but has %q", s, b)
				}
				continue
			}
			switch s.Specifier {
			case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
				if !bytes.HasSuffix(b, []byte("\r\n")) {
					t.Fatalf("Section(%+v) = %q does not end with the blank line", s, b)
				}
			default:
				if !bytes.Contains(raw, b) {
					t.Fatalf("Section(%+v) = %q is not a range of the input", s, b)
				}
			}
			if s.Specifier == "MIME" {
				body, ok := m.Section(Section{Part: s.Part})
				if !ok || !bytes.Contains(raw, append(append([]byte(nil), b...), body...)) {
					t.Fatalf("part %v: MIME header and body are not adjacent in the input", s.Part)
				}
			}
			if len(b) > 0 {
				start := uint32(len(b) / 2)
				if p := Partial(b, start, 3); !bytes.Equal(p, b[start:min(len(b), int(start)+3)]) {
					t.Fatalf("Partial(%q, %d, 3) = %q", b, start, p)
				}
			}
		}
	})
}

// FuzzEnvelope puts arbitrary bytes in every header field the ENVELOPE
// reads: the address parser and the string fields never panic and always
// give well-formed IMAP with ten members.
func FuzzEnvelope(f *testing.F) {
	for _, seed := range []string{
		`"Smith, John" <john@example.com>`, "team: ann@example.com, Ben <ben@example.com>;, carl@example.com (Carl C)",
		"<@relay.example,@hop.example:joe@example.com>, john, <>", "undisclosed-recipients:;", `"a\"b" <"x y"@[1.2.3.4]>`,
		"=?utf-8?q?J=C3=B6rg?= <j@example.com>", "a@b (c (nested) d)", "((((", `"unterminated`, "@@@<<<>>>:::;;;,,,",
		"caf\xc3\xa9 <caf\xc3\xa9@example.com>", "a\r\n b@example.com",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		if bytes.ContainsAny(value, "\r\n") {
			// Keep the input inside one (folded) field.
			value = bytes.ReplaceAll(bytes.ReplaceAll(value, []byte("\r"), nil), []byte("\n"), []byte("\r\n "))
		}
		var raw []byte
		for _, name := range []string{"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID"} {
			raw = append(raw, name+": "...)
			raw = append(raw, value...)
			raw = append(raw, "\r\n"...)
		}
		raw = append(raw, "\r\nbody\r\n"...)
		envelope := checkIMAPSyntax(t, ParseMessage(raw).Envelope())
		if len(envelope.list) != 10 {
			t.Fatalf("ENVELOPE has %d members, want 10", len(envelope.list))
		}
		for i, member := range envelope.list[2:8] {
			if member.kind == 'N' {
				continue
			}
			for _, address := range member.list {
				if address.kind != 'l' || len(address.list) != 4 {
					t.Fatalf("address list %d has a member that is not 4 fields: %+v", i, address)
				}
			}
		}
	})
}
