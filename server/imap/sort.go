package imap

import (
	"bytes"
	"sort"
	"strings"
	"time"
)

// This file is SORT (RFC 5256): the sort keys of a message and the base
// subject algorithm of RFC 5256 2.1.

// SortNeedsContent says whether sorting by keys reads the messages' headers.
func SortNeedsContent(keys []SortKey) bool {
	for _, k := range keys {
		switch k.Key {
		case "CC", "DATE", "FROM", "SUBJECT", "TO":
			return true
		}
	}
	return false
}

// SortMessages orders messages by keys (RFC 5256, with the sequence number
// as the final tie-breaker) and returns the indexes into metas in order.
// contents[i] is message i's raw bytes (the header is enough), nil when
// SortNeedsContent is false.
func SortMessages(keys []SortKey, metas []MessageMeta, contents [][]byte) []int {
	values := make([]sortValues, len(metas))
	for i := range metas {
		var content []byte
		if i < len(contents) {
			content = contents[i]
		}
		values[i] = newSortValues(keys, metas[i], content)
	}
	order := make([]int, len(metas))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		va, vb := &values[order[a]], &values[order[b]]
		for _, k := range keys {
			c := compareSortKey(k.Key, metas[order[a]], metas[order[b]], va, vb)
			if k.Reverse {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		// RFC 5256 3: messages that compare equal stay in mailbox order,
		// whatever REVERSE says.
		return metas[order[a]].Seq < metas[order[b]].Seq
	})
	return order
}

// sortValues are the header-derived keys of one message, computed once.
type sortValues struct {
	cc, from, to []byte // addr-mailbox of the first address, upper-cased ASCII
	subject      []byte // base subject, upper-cased ASCII
	sent         time.Time
}

// newSortValues computes the keys that keys ask for from the message's
// header.
func newSortValues(keys []SortKey, meta MessageMeta, content []byte) sortValues {
	var v sortValues
	if !SortNeedsContent(keys) {
		return v
	}
	root := parseMessageTree(content, 0, len(content), 0, false)
	for _, k := range keys {
		switch k.Key {
		case "CC":
			v.cc = firstMailbox(content, root, "Cc")
		case "FROM":
			v.from = firstMailbox(content, root, "From")
		case "TO":
			v.to = firstMailbox(content, root, "To")
		case "SUBJECT":
			subject, _ := root.fieldValue(content, "Subject")
			v.subject = asciiUpper([]byte(baseSubject(string(subject))))
		case "DATE":
			// RFC 5256 3: without a usable Date: header the internal date
			// is the sent date.
			v.sent = meta.InternalDate
			if d, present := root.fieldValue(content, "Date"); present {
				if t, ok := parseMessageDate(string(d)); ok {
					v.sent = t
				}
			}
		}
	}
	return v
}

// compareSortKey compares two messages by one key: -1, 0 or 1. Strings
// compare with the i;ascii-casemap collation (RFC 5256 3, RFC 4790 9.2),
// so they are upper-cased already.
func compareSortKey(key string, ma, mb MessageMeta, va, vb *sortValues) int {
	switch key {
	case "ARRIVAL":
		return ma.InternalDate.Compare(mb.InternalDate)
	case "DATE":
		return va.sent.Compare(vb.sent)
	case "SIZE":
		switch {
		case ma.Size < mb.Size:
			return -1
		case ma.Size > mb.Size:
			return 1
		}
		return 0
	case "CC":
		return bytes.Compare(va.cc, vb.cc)
	case "FROM":
		return bytes.Compare(va.from, vb.from)
	case "TO":
		return bytes.Compare(va.to, vb.to)
	case "SUBJECT":
		return bytes.Compare(va.subject, vb.subject)
	}
	return 0
}

// firstMailbox is RFC 5256's sort value of an address field: the
// addr-mailbox (local part) of its first address, the first one inside a
// group when it starts with one, unquoted; empty when the field is absent
// or holds no address.
func firstMailbox(raw []byte, root *mimePart, field string) []byte {
	v, present := root.fieldValue(raw, field)
	if !present {
		return nil
	}
	// The addresses are parsed as written: decoding encoded words first
	// could turn a display name into address syntax ("Smith, John").
	for _, a := range parseAddressList(sanitizeUTF8(v)) {
		if a.host == nil {
			continue // a group's start or end marker
		}
		mailbox := a.mailbox
		if len(mailbox) >= 2 && mailbox[0] == '"' && mailbox[len(mailbox)-1] == '"' {
			mailbox = bytes.ReplaceAll(mailbox[1:len(mailbox)-1], []byte(`\`), nil)
		}
		return asciiUpper(mailbox)
	}
	return nil
}

// asciiUpper upper-cases the ASCII letters of b (the i;ascii-casemap
// collation leaves other octets alone).
func asciiUpper(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// maxBaseSubject bounds the subject that baseSubject works on (in octets,
// after decoding), so that a hostile header costs little; subjects that
// differ only past it sort as equal.
const maxBaseSubject = 4096

// baseSubject extracts the base subject of a Subject: value (RFC 5256 2.1),
// which SORT (and THREAD) compare: encoded words decoded, white space
// normalised, and reply and forward markers ("Re:", "Fwd:", "[list]",
// "(fwd)", "[Fwd: ...]") removed.
func baseSubject(subject string) string {
	// (1) Decode RFC 2047 encoded words, turn tabs and line breaks into
	// spaces and runs of spaces into one.
	s := normaliseSpaces(string(decodeHeaderValue([]byte(subject))))
	if len(s) > maxBaseSubject {
		s = strings.ToValidUTF8(s[:maxBaseSubject], "")
	}
	for {
		// (2) Remove trailers: "(fwd)" and white space, repeatedly.
		s = removeTrailers(s)
		// (3)-(5) Remove leaders, then a leading blob when what follows it
		// is not empty, until neither applies.
		s = removeLeaders(s)
		// (6) "[fwd: subject]" is the subject: unwrap it and go again.
		if len(s) >= len("[fwd:]") && strings.EqualFold(s[:5], "[fwd:") && s[len(s)-1] == ']' {
			s = s[5 : len(s)-1]
			continue
		}
		return s
	}
}

// removeLeaders is steps (3) to (5) of RFC 5256 2.1:
//
//	subj-leader = (*subj-blob subj-refwd) / WSP
//	subj-refwd  = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
//
// Step (3) removes leaders; step (4) removes one leading subj-blob unless
// nothing would be left; (5) repeats both. When blobs are not followed by a
// subj-refwd, repeating (4) removes them one by one, and (3) finds nothing
// new in between, so they go at once here (all but the last when nothing
// follows them), which keeps the work linear.
func removeLeaders(s string) string {
	for {
		if strings.HasPrefix(s, " ") {
			s = s[1:]
			continue
		}
		blobs, lastBlob := 0, 0
		for n := blobLength(s); n > 0; n = blobLength(s[blobs:]) {
			lastBlob = blobs
			blobs += n
		}
		if n := refwdLength(s[blobs:]); n > 0 {
			s = s[blobs+n:]
			continue
		}
		switch {
		case blobs == 0:
			return s
		case blobs < len(s):
			s = s[blobs:]
		default:
			return s[lastBlob:] // the blob is the subject
		}
	}
}

// refwdLength is the length of the subj-refwd at the start of s, 0 when
// there is none.
func refwdLength(s string) int {
	i := 0
	switch {
	case hasPrefixFold(s, "re"):
		i = 2
	case hasPrefixFold(s, "fwd"):
		i = 3
	case hasPrefixFold(s, "fw"):
		i = 2
	default:
		return 0
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	i += blobLength(s[i:])
	if i < len(s) && s[i] == ':' {
		return i + 1
	}
	return 0
}

// normaliseSpaces turns tabs, CR and LF into spaces and collapses runs of
// spaces to one (RFC 5256 2.1 step 1).
func normaliseSpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\r' || c == '\n' || c == ' ' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// removeTrailers removes subj-trailer = "(fwd)" / WSP from the end of s
// until none is left (RFC 5256 2.1 step 2).
func removeTrailers(s string) string {
	for {
		switch {
		case strings.HasSuffix(s, " "):
			s = s[:len(s)-1]
		case len(s) >= 5 && strings.EqualFold(s[len(s)-5:], "(fwd)"):
			s = s[:len(s)-5]
		default:
			return s
		}
	}
}

// blobLength is the length of the subj-blob at the start of s, 0 when there
// is none:
//
//	subj-blob = "[" *BLOBCHAR "]" *WSP
//
// BLOBCHAR is any character but "[" and "]"; RFC 5256 names only US-ASCII
// ones, but after step (1) a mailing list's tag may hold UTF-8 and is no
// less a tag.
func blobLength(s string) int {
	if !strings.HasPrefix(s, "[") {
		return 0
	}
	end := strings.IndexAny(s[1:], "[]")
	if end < 0 || s[1+end] != ']' {
		return 0
	}
	i := 1 + end + 1
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
