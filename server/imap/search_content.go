package imap

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// searchMessage is a message's content as the string keys of SEARCH read
// it: header values decoded from RFC 2047 and the text of its text/* parts
// decoded from their transfer encoding and charset, all in UTF-8 and case
// folded. Each piece is computed on first use and kept for the other keys
// of the same search.
type searchMessage struct {
	raw []byte

	root *mimePart // the MIME tree, nil until parse (only the body needs it)

	header       []headerField // the top-level header's fields
	headerParsed bool
	folded       [][]byte // folded[i]: header[i]'s value decoded and folded, nil until asked for

	headerText []byte // every field as "name: value\n", folded
	headerDone bool
	bodyText   []byte // the text parts, folded
	bodyDone   bool

	sent     time.Time
	sentOK   bool
	sentDone bool
}

// searchField is one header field: its name as sent and its value unfolded
// and decoded.
type searchField struct {
	name  string
	value []byte
}

// parse parses the MIME tree, for the body's text.
func (s *searchMessage) parse() {
	if s.root == nil {
		s.root = parseMessageTree(s.raw, 0, len(s.raw), 0, false)
	}
}

// parseHeader splits the top-level header into its fields. The header
// keys need nothing else, so a header search neither parses the MIME tree
// nor decodes the fields it does not ask about.
func (s *searchMessage) parseHeader() {
	if !s.headerParsed {
		s.header, _ = parseHeader(s.raw, 0, len(s.raw))
		s.folded = make([][]byte, len(s.header))
		s.headerParsed = true
	}
}

// foldedValue is the value of the top-level header's field i, unfolded,
// decoded to UTF-8 and case folded.
func (s *searchMessage) foldedValue(i int) []byte {
	if s.folded[i] == nil {
		s.folded[i] = foldCase(decodeHeaderValue(s.header[i].value(s.raw)))
	}
	return s.folded[i]
}

// decodeFields decodes the header fields of part, values unfolded and
// decoded to UTF-8.
func decodeFields(raw []byte, part *mimePart) []searchField {
	fields := make([]searchField, 0, len(part.fields))
	for _, f := range part.fields {
		name := f.name(raw)
		if name == nil {
			continue // a line without a colon
		}
		fields = append(fields, searchField{name: string(name), value: decodeHeaderValue(f.value(raw))})
	}
	return fields
}

// headerContains says whether a field named name (case-insensitive) holds
// value as a case-insensitive substring. An empty value matches when the
// field exists (RFC 3501 6.4.4 says so of HEADER; FROM, TO, CC, BCC and
// SUBJECT behave alike).
func (s *searchMessage) headerContains(name, value string) bool {
	s.parseHeader()
	needle := foldCase([]byte(value))
	for i, f := range s.header {
		if n := f.name(s.raw); n != nil && equalFoldASCII(n, name) && bytes.Contains(s.foldedValue(i), needle) {
			return true
		}
	}
	return false
}

// equalFoldASCII is strings.EqualFold for a field name as bytes, without
// converting it to a string.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
			return strings.EqualFold(string(b), s)
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// bodyContains says whether the decoded text of the body holds value,
// case-insensitively (RFC 3501 6.4.4 BODY).
func (s *searchMessage) bodyContains(value string) bool {
	return bytes.Contains(s.body(), foldCase([]byte(value)))
}

// textContains is TEXT: the header or the body holds value.
func (s *searchMessage) textContains(value string) bool {
	needle := foldCase([]byte(value))
	if !s.headerDone {
		s.parseHeader()
		for i, f := range s.header {
			name := f.name(s.raw)
			if name == nil {
				continue // a line without a colon
			}
			s.headerText = append(s.headerText, foldCase(name)...)
			s.headerText = append(s.headerText, ": "...)
			s.headerText = append(s.headerText, s.foldedValue(i)...)
			s.headerText = append(s.headerText, '\n')
		}
		s.headerDone = true
	}
	return bytes.Contains(s.headerText, needle) || bytes.Contains(s.body(), needle)
}

// body is the folded text of the message's body.
func (s *searchMessage) body() []byte {
	if !s.bodyDone {
		s.parse()
		s.bodyText = foldCase(appendPartText(nil, s.raw, s.root))
		s.bodyDone = true
	}
	return s.bodyText
}

// sentDate is the Date: header's time; ok is false when the message has no
// Date: field or it does not parse.
func (s *searchMessage) sentDate() (time.Time, bool) {
	if !s.sentDone {
		s.parseHeader()
		if v, present := (&mimePart{fields: s.header}).fieldValue(s.raw, "Date"); present {
			s.sent, s.sentOK = parseMessageDate(string(v))
		}
		s.sentDone = true
	}
	return s.sent, s.sentOK
}

// appendPartText appends the searchable text of part's body: the decoded
// content of text/* leaves, and for an encapsulated message its header
// fields and its own body.
func appendPartText(dst, raw []byte, part *mimePart) []byte {
	switch {
	case part.isMultipart():
		for _, child := range part.children {
			dst = appendPartText(dst, raw, child)
		}
	case part.message != nil:
		inner := part.message
		for _, f := range decodeFields(raw, inner) {
			dst = append(dst, f.name...)
			dst = append(dst, ": "...)
			dst = append(dst, f.value...)
			dst = append(dst, '\n')
		}
		dst = appendPartText(dst, raw, inner)
	case part.mediaType == "TEXT":
		content := raw[part.bodyStart:part.end]
		encoding, _ := part.fieldValue(raw, "Content-Transfer-Encoding")
		content = decodeTransferEncoding(content, string(encoding))
		dst = append(dst, toUTF8(content, string(paramValue(part.params, "charset")))...)
		dst = append(dst, '\n')
	}
	return dst
}

// decodeTransferEncoding undoes base64 and quoted-printable (RFC 2045 6);
// other encodings are identity.
func decodeTransferEncoding(b []byte, encoding string) []byte {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		return decodeBase64Leniently(b)
	case "quoted-printable":
		return decodeQuotedPrintableLeniently(b)
	}
	return b
}

// decodeBase64Leniently decodes base64, skipping characters outside the
// alphabet (line breaks, stray junk) and treating "=" as the end of a
// group, so that concatenated or damaged blocks still decode as far as they
// can.
func decodeBase64Leniently(b []byte) []byte {
	out := make([]byte, 0, len(b)/4*3+3)
	var group uint32
	n := 0
	flush := func() {
		switch n {
		case 2:
			out = append(out, byte(group>>4))
		case 3:
			out = append(out, byte(group>>10), byte(group>>2))
		}
		group, n = 0, 0
	}
	for _, c := range b {
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+':
			v = 62
		case c == '/':
			v = 63
		case c == '=':
			flush()
			continue
		default:
			continue
		}
		group = group<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(group>>16), byte(group>>8), byte(group))
			group, n = 0, 0
		}
	}
	flush()
	return out
}

// decodeQuotedPrintableLeniently decodes quoted-printable (RFC 2045 6.7):
// "=XX" is an octet, "=" before a line break (trailing white space allowed)
// is a soft line break, and any other "=" is kept as it is.
func decodeQuotedPrintableLeniently(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		switch {
		case j == len(b):
			i = j
			continue
		case b[j] == '\n':
			i = j
			continue
		case b[j] == '\r' && j+1 < len(b) && b[j+1] == '\n':
			i = j + 1
			continue
		}
		if i+2 < len(b) {
			if hi, ok := hexValue(b[i+1]); ok {
				if lo, ok := hexValue(b[i+2]); ok {
					out = append(out, hi<<4|lo)
					i += 2
					continue
				}
			}
		}
		out = append(out, '=')
	}
	return out
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// toUTF8 converts b from charset to UTF-8. US-ASCII, UTF-8, no charset and
// charsets we do not know are taken as UTF-8 when b is valid UTF-8, else as
// ISO-8859-1, the commonest source of undeclared 8-bit text; the others go
// through the WHATWG encoding labels (golang.org/x/text).
func toUTF8(b []byte, charset string) []byte {
	label := strings.ToLower(strings.TrimSpace(charset))
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return sanitizeUTF8(b)
	}
	enc, err := htmlindex.Get(label)
	if err != nil {
		return sanitizeUTF8(b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return sanitizeUTF8(b)
	}
	return out
}

// sanitizeUTF8 returns b when it is valid UTF-8, else b read as ISO-8859-1.
func sanitizeUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// headerWordDecoder decodes RFC 2047 encoded words; a charset it does not
// know leaves the word's octets as they are rather than failing the whole
// value.
var headerWordDecoder = &mime.WordDecoder{
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(toUTF8(b, charset)), nil
	},
}

// decodeHeaderValue decodes an unfolded header value to UTF-8: raw 8-bit
// octets (RFC 6532 UTF-8, or undeclared ISO-8859-1) first, then RFC 2047
// encoded words. A value that does not decode is kept as it is.
func decodeHeaderValue(v []byte) []byte {
	v = sanitizeUTF8(v)
	if !bytes.Contains(v, []byte("=?")) {
		return v
	}
	decoded, err := headerWordDecoder.DecodeHeader(string(v))
	if err != nil {
		return v
	}
	return []byte(decoded)
}

// foldCase maps b to a form in which case-insensitive comparison is byte
// comparison: each character becomes the lower case of its upper case (so
// "ß"/"ẞ", "σ"/"ς"/"Σ" and "K"/"k"/Kelvin sign meet). Octets that are not
// UTF-8 are kept.
func foldCase(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, c)
			i++
			continue
		}
		out = utf8.AppendRune(out, unicode.ToLower(unicode.ToUpper(r)))
		i += size
	}
	return out
}
