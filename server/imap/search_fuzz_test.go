package imap

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSearchKeys are the key trees FuzzSearchMatch evaluates, value being
// the fuzzed search string.
func fuzzSearchKeys(value string) []*SearchKey {
	day := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	var keys []*SearchKey
	for _, op := range []string{"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"} {
		keys = append(keys, &SearchKey{Op: op, Value: value})
	}
	for _, op := range []string{"SENTBEFORE", "SENTON", "SENTSINCE"} {
		keys = append(keys, &SearchKey{Op: op, Date: day})
	}
	keys = append(keys,
		&SearchKey{Op: "HEADER", Field: "Content-Type", Value: value},
		&SearchKey{Op: "HEADER", Field: "X-Fuzz", Value: ""},
		&SearchKey{Op: "OR", Children: []*SearchKey{
			{Op: "NOT", Children: []*SearchKey{{Op: "BODY", Value: value}}},
			{Op: "AND", Children: []*SearchKey{{Op: "SEEN"}, {Op: "HEADER", Field: value, Value: value}}},
		}},
	)
	return keys
}

// FuzzSearchMatch evaluates string and date keys over arbitrary messages
// and SORTs them: nothing panics, NOT is the negation, a plain string put in
// a header field is found there, and SORT returns a permutation.
func FuzzSearchMatch(f *testing.F) {
	for _, seed := range []struct{ raw, value string }{
		{headerMessage, "smith"},
		{searchPartsMessage, "café"},
		{rfc3501Example(), "Fred"},
		{"", ""},
		{"Subject: =?utf-8?q?=", "="},
		{"Subject: =?x-unknown?b?AAAA?=\r\nDate: 2 Jan 49\r\n\r\n", "a"},
		{"Content-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: base64\r\n\r\ngqCCog==\r\n", "あい"},
		{"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=\r\n=4\r\n--b--", "x"},
		{"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nSubject: deep\r\n\r\nx", "deep"},
		{"Subject: [fwd: Re: [a] (fwd)]\r\nFrom: <>, g: ;, \"q\\\"x\"@y\r\n\r\n", "Re"},
	} {
		f.Add([]byte(seed.raw), seed.value)
	}
	sortKeys := []SortKey{{Key: "SUBJECT"}, {Key: "FROM", Reverse: true}, {Key: "TO"}, {Key: "CC"}, {Key: "DATE"}, {Key: "ARRIVAL"}, {Key: "SIZE"}}
	f.Fuzz(func(t *testing.T, raw []byte, value string) {
		meta := MessageMeta{Seq: 1, UID: 1, Flags: []string{`\Seen`}, Size: int64(len(raw))}
		for _, key := range fuzzSearchKeys(value) {
			got := Match(key, meta, raw, 1, 1)
			negated := Match(&SearchKey{Op: "NOT", Children: []*SearchKey{key}}, meta, raw, 1, 1)
			if got == negated {
				t.Fatalf("%s and NOT %s both give %v", key.Op, key.Op, got)
			}
		}

		// A plain value written in a field of its own is found in it,
		// whatever follows.
		if plainHeaderValue(value) {
			withField := append([]byte("X-Fuzz: "+value+"\r\n"), raw...)
			if !Match(&SearchKey{Op: "HEADER", Field: "x-fuzz", Value: strings.ToUpper(value)}, meta, withField, 1, 1) {
				t.Fatalf("HEADER X-Fuzz %q not found in %q", value, withField)
			}
		}

		metas := []MessageMeta{meta, {Seq: 2, UID: 2, Size: 10}, {Seq: 3, UID: 3}}
		contents := [][]byte{raw, []byte("Subject: " + value + "\r\n\r\n"), nil}
		order := SortMessages(sortKeys, metas, contents)
		seen := make([]bool, len(metas))
		for _, i := range order {
			if i < 0 || i >= len(metas) || seen[i] {
				t.Fatalf("SORT gave %v, not a permutation", order)
			}
			seen[i] = true
		}
		if len(order) != len(metas) {
			t.Fatalf("SORT gave %v for %d messages", order, len(metas))
		}
	})
}

// plainHeaderValue says whether v survives a header field unchanged as far
// as searching goes: printable ASCII without encoded-word openers and
// without white space at its ends (which unfolding trims).
func plainHeaderValue(v string) bool {
	if v == "" || !utf8.ValidString(v) || strings.Contains(v, "=?") || strings.TrimSpace(v) != v {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] > '~' {
			return false
		}
	}
	return true
}
