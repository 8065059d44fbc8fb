package imap

import (
	"bytes"
	"strings"
)

// maxMIMEDepth bounds how deep ParseMessage follows multiparts and
// encapsulated messages; a part nested deeper is served as an opaque
// text/plain leaf, so parsing and rendering stay bounded.
const maxMIMEDepth = 50

// headerField is one field of a header, as byte offsets into the raw
// message.
type headerField struct {
	start, end int // the field with its folded lines and its last line ending
	nameEnd    int // the name is raw[start:nameEnd]; -1 when the line has no colon
}

// mimeParam is a Content-Type or Content-Disposition parameter: the name as
// sent, the value without its quotes.
type mimeParam struct {
	name, value []byte
}

// mimePart is one node of a message's MIME tree (RFC 2045, 2046). Its header
// is raw[start:bodyStart], blank line included, and its body
// raw[bodyStart:end]. A message (the whole file, or one encapsulated in a
// message/rfc822 part) is a mimePart too.
type mimePart struct {
	start, bodyStart, end int
	fields                []headerField

	// mediaType and mediaSubtype are upper case; params are those of the
	// Content-Type field, or the RFC 2045 5.2 default charset when the
	// field is absent or unusable.
	mediaType, mediaSubtype string
	params                  []mimeParam

	children []*mimePart // multipart: the body parts, at least one
	message  *mimePart   // message/rfc822: the encapsulated message
}

// isMultipart says whether p has body parts.
func (p *mimePart) isMultipart() bool { return len(p.children) > 0 }

// parseMessageTree parses raw[start:end] as a message or body part (header,
// blank line, body). depth counts the enclosing multiparts and messages;
// inDigest gives the multipart/digest default type (RFC 2046 5.1.5).
func parseMessageTree(raw []byte, start, end, depth int, inDigest bool) *mimePart {
	p := &mimePart{start: start, end: end}
	p.fields, p.bodyStart = parseHeader(raw, start, end)

	typ, sub, params, ok := "", "", []mimeParam(nil), false
	if v, present := p.fieldValue(raw, "Content-Type"); present {
		typ, sub, params, ok = parseContentType(v)
	}
	if !ok {
		if inDigest {
			typ, sub, params = "MESSAGE", "RFC822", nil
		} else {
			p.setDefaultType()
			return p
		}
	}
	p.mediaType, p.mediaSubtype, p.params = typ, sub, params

	switch {
	case typ == "MULTIPART":
		boundary := paramValue(params, "boundary")
		if len(boundary) > 0 && depth < maxMIMEDepth {
			p.children = parseMultipartBody(raw, p.bodyStart, end, boundary, depth+1, sub == "DIGEST")
		}
		if len(p.children) == 0 {
			// RFC 3501 and 2046 give a multipart at least one part; one
			// without a boundary or without parts is served as text.
			p.setDefaultType()
		}
	case typ == "MESSAGE" && sub == "RFC822":
		if depth < maxMIMEDepth {
			p.message = parseMessageTree(raw, p.bodyStart, end, depth+1, false)
		} else {
			p.setDefaultType()
		}
	}
	return p
}

// setDefaultType makes p text/plain; charset=us-ascii (RFC 2045 5.2).
func (p *mimePart) setDefaultType() {
	p.mediaType, p.mediaSubtype = "TEXT", "PLAIN"
	p.params = []mimeParam{{name: []byte("CHARSET"), value: []byte("US-ASCII")}}
	p.children, p.message = nil, nil
}

// parseHeader splits raw[start:end] into header fields up to the first empty
// line and returns where the body starts (after that line). Without an empty
// line the whole range is header and the body is empty.
func parseHeader(raw []byte, start, end int) ([]headerField, int) {
	var fields []headerField
	for pos := start; pos < end; {
		lineEnd := end
		if i := bytes.IndexByte(raw[pos:end], '\n'); i >= 0 {
			lineEnd = pos + i + 1
		}
		line := trimLineEnding(raw[pos:lineEnd])
		switch {
		case len(line) == 0:
			return fields, lineEnd
		case (line[0] == ' ' || line[0] == '\t') && len(fields) > 0:
			fields[len(fields)-1].end = lineEnd // folded (RFC 5322 2.2.3)
		default:
			f := headerField{start: pos, end: lineEnd, nameEnd: -1}
			if i := bytes.IndexByte(line, ':'); i >= 0 {
				f.nameEnd = pos + i
			}
			fields = append(fields, f)
		}
		pos = lineEnd
	}
	return fields, end
}

// trimLineEnding removes a final LF or CRLF (or a lone CR at the end).
func trimLineEnding(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'})
}

// name is the field's name without trailing white space; nil for a line
// without a colon.
func (f headerField) name(raw []byte) []byte {
	if f.nameEnd < 0 {
		return nil
	}
	return bytes.TrimRight(raw[f.start:f.nameEnd], " \t")
}

// value is the field's value unfolded (line breaks removed), without NUL
// octets, and trimmed.
func (f headerField) value(raw []byte) []byte {
	if f.nameEnd < 0 {
		return nil
	}
	v := raw[f.nameEnd+1 : f.end]
	if bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, 0) >= 0 {
		// Unfold, and drop NULs, which no IMAP string may hold (RFC 3501
		// 9: CHAR8 excludes %x00).
		unfolded := make([]byte, 0, len(v))
		for i, c := range v {
			if c == 0 || c == '\n' || (c == '\r' && i+1 < len(v) && v[i+1] == '\n') {
				continue
			}
			unfolded = append(unfolded, c)
		}
		v = unfolded
	}
	return bytes.Trim(v, " \t\r")
}

// fieldValue is the unfolded value of the first field named name; present
// is false when there is none.
func (p *mimePart) fieldValue(raw []byte, name string) (value []byte, present bool) {
	for _, f := range p.fields {
		if n := f.name(raw); n != nil && strings.EqualFold(string(n), name) {
			return f.value(raw), true
		}
	}
	return nil, false
}

// parseMultipartBody splits raw[start:end], a multipart body, at the
// delimiter lines of boundary (RFC 2046 5.1.1) and parses each body part.
// The preamble and the epilogue belong to no part. The range never holds an
// enclosing multipart's delimiter (the parent cut it there), so an outer
// boundary ends the inner multipart as RFC 2046 allows.
func parseMultipartBody(raw []byte, start, end int, boundary []byte, depth int, digest bool) []*mimePart {
	delimiter := append([]byte("--"), boundary...)
	_, partStart, closing, found := findDelimiter(raw, start, end, delimiter)
	var parts []*mimePart
	for found && !closing {
		lineStart, next, isClose, more := findDelimiter(raw, partStart, end, delimiter)
		partEnd := end
		if more {
			// The line break before a delimiter belongs to the delimiter.
			partEnd = lineStart
			if partEnd > partStart && raw[partEnd-1] == '\n' {
				partEnd--
				if partEnd > partStart && raw[partEnd-1] == '\r' {
					partEnd--
				}
			}
		}
		parts = append(parts, parseMessageTree(raw, partStart, partEnd, depth, digest))
		partStart, closing, found = next, isClose, more
	}
	return parts
}

// findDelimiter finds the first delimiter line ("--boundary", optionally
// "--boundary--", then optional white space) at or after from, where from
// starts a line. It returns where the line starts, where the next line
// starts, and whether it is the close delimiter.
func findDelimiter(raw []byte, from, end int, delimiter []byte) (lineStart, next int, closing, found bool) {
	for pos := from; pos < end; {
		i := bytes.Index(raw[pos:end], delimiter)
		if i < 0 {
			return 0, 0, false, false
		}
		at := pos + i
		pos = at + 1
		if at != from && raw[at-1] != '\n' {
			continue
		}
		k := at + len(delimiter)
		isClose := false
		if k+1 < end && raw[k] == '-' && raw[k+1] == '-' {
			isClose = true
			k += 2
		}
		for k < end && (raw[k] == ' ' || raw[k] == '\t') {
			k++
		}
		switch {
		case k == end:
			return at, end, isClose, true
		case raw[k] == '\n':
			return at, k + 1, isClose, true
		case raw[k] == '\r' && (k+1 == end || raw[k+1] == '\n'):
			return at, min(k+2, end), isClose, true
		}
	}
	return 0, 0, false, false
}

// paramValue is the value of the parameter named name (case-insensitive),
// nil when absent.
func paramValue(params []mimeParam, name string) []byte {
	for _, p := range params {
		if strings.EqualFold(string(p.name), name) {
			return p.value
		}
	}
	return nil
}

// parseContentType parses a Content-Type value (RFC 2045 5.1): type "/"
// subtype and parameters. ok is false when the type or subtype is missing,
// which RFC 2045 5.2 answers with the default type.
func parseContentType(v []byte) (typ, subtype string, params []mimeParam, ok bool) {
	s := mimeScanner{b: v}
	s.skipSpaceAndComments()
	t := s.token()
	s.skipSpaceAndComments()
	if len(t) == 0 || !s.consume('/') {
		return "", "", nil, false
	}
	s.skipSpaceAndComments()
	st := s.token()
	if len(st) == 0 {
		return "", "", nil, false
	}
	return strings.ToUpper(string(t)), strings.ToUpper(string(st)), s.params(), true
}

// parseDisposition parses a Content-Disposition value (RFC 2183): the type
// and its parameters; ok is false when there is no type.
func parseDisposition(v []byte) (typ string, params []mimeParam, ok bool) {
	s := mimeScanner{b: v}
	s.skipSpaceAndComments()
	t := s.token()
	if len(t) == 0 {
		return "", nil, false
	}
	return strings.ToUpper(string(t)), s.params(), true
}

// parseLanguages parses a Content-Language value (RFC 3282): the tags of its
// comma-separated list.
func parseLanguages(v []byte) [][]byte {
	var tags [][]byte
	s := mimeScanner{b: v}
	for !s.done() {
		s.skipSpaceAndComments()
		if t := s.token(); len(t) > 0 {
			tags = append(tags, t)
		} else if !s.done() {
			s.i++ // a separator or stray character
		}
	}
	return tags
}

// mimeScanner reads the tokens of a structured MIME field value.
type mimeScanner struct {
	b []byte
	i int
}

func (s *mimeScanner) done() bool { return s.i >= len(s.b) }

func (s *mimeScanner) consume(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// skipSpaceAndComments skips white space and RFC 822 comments, which may
// nest.
func (s *mimeScanner) skipSpaceAndComments() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		case '(':
			s.i = skipComment(s.b, s.i)
		default:
			return
		}
	}
}

// skipComment returns the index after the comment starting at b[i] == '('.
func skipComment(b []byte, i int) int {
	nesting := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '(':
			nesting++
		case ')':
			nesting--
			if nesting == 0 {
				return i + 1
			}
		}
	}
	return len(b)
}

// token reads an RFC 2045 token.
func (s *mimeScanner) token() []byte {
	start := s.i
	for s.i < len(s.b) && isMIMETokenChar(s.b[s.i]) {
		s.i++
	}
	return s.b[start:s.i]
}

// isMIMETokenChar says whether c may appear in an RFC 2045 token.
func isMIMETokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

// params reads ";" attribute "=" value pairs (RFC 2045 5.1), skipping what
// does not parse up to the next ";". Values are tokens or quoted strings;
// an unquoted value is read leniently up to white space or ";".
func (s *mimeScanner) params() []mimeParam {
	var params []mimeParam
	for {
		s.skipSpaceAndComments()
		if s.done() {
			return params
		}
		if !s.consume(';') {
			s.skipPast(';')
			continue
		}
		s.skipSpaceAndComments()
		name := s.token()
		s.skipSpaceAndComments()
		if len(name) == 0 || !s.consume('=') {
			s.skipUntil(';')
			continue
		}
		s.skipSpaceAndComments()
		var value []byte
		if s.consume('"') {
			value = s.quotedRest()
		} else {
			start := s.i
			for s.i < len(s.b) && s.b[s.i] != ';' && s.b[s.i] != ' ' && s.b[s.i] != '\t' && s.b[s.i] != '(' {
				s.i++
			}
			value = s.b[start:s.i]
		}
		params = append(params, mimeParam{name: name, value: value})
	}
}

// quotedRest reads a quoted string whose opening quote was consumed and
// returns its content without quoting.
func (s *mimeScanner) quotedRest() []byte {
	var out []byte
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch c {
		case '"':
			return out
		case '\\':
			if s.i < len(s.b) {
				out = append(out, s.b[s.i])
				s.i++
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// skipUntil advances to the next c (not consuming it) or the end.
func (s *mimeScanner) skipUntil(c byte) {
	if i := bytes.IndexByte(s.b[s.i:], c); i >= 0 {
		s.i += i
	} else {
		s.i = len(s.b)
	}
}

// skipPast advances past the next c or to the end; it always moves.
func (s *mimeScanner) skipPast(c byte) {
	s.i++
	s.skipUntil(c)
}
