package imap

import (
	"bytes"
	"strconv"
	"strings"
)

// BodyStructure is BODY (extended false) or BODYSTRUCTURE (extended true)
// in IMAP syntax, starting with "(".
func (m *Message) BodyStructure(extended bool) []byte {
	return appendBodyStructure(nil, m.raw, m.root, extended)
}

// appendBodyStructure appends the body (RFC 3501 7.4.2, grammar "body" of
// 9) of part: a multipart's parts and subtype, or a single part's type,
// fields and, for text and message/rfc822, what those add. With extended it
// adds the extension data of BODYSTRUCTURE.
func appendBodyStructure(dst, raw []byte, part *mimePart, extended bool) []byte {
	dst = append(dst, '(')
	if part.isMultipart() {
		for _, child := range part.children {
			dst = appendBodyStructure(dst, raw, child, extended)
		}
		dst = append(dst, ' ')
		dst = appendString(dst, []byte(part.mediaSubtype))
		if extended {
			// body-ext-mpart: parameters, disposition, language, location.
			dst = append(dst, ' ')
			dst = appendParams(dst, part.params)
			dst = appendDispositionLanguageLocation(dst, raw, part)
		}
		return append(dst, ')')
	}

	// body-fields: type, subtype, parameters, id, description, encoding,
	// size.
	dst = appendString(dst, []byte(part.mediaType))
	dst = append(dst, ' ')
	dst = appendString(dst, []byte(part.mediaSubtype))
	dst = append(dst, ' ')
	dst = appendParams(dst, part.params)
	dst = append(dst, ' ')
	dst = appendNString(dst, presentValue(part.fieldValue(raw, "Content-ID")))
	dst = append(dst, ' ')
	dst = appendNString(dst, presentValue(part.fieldValue(raw, "Content-Description")))
	dst = append(dst, ' ')
	dst = appendString(dst, transferEncoding(raw, part))
	dst = append(dst, ' ')
	body := raw[part.bodyStart:part.end]
	dst = strconv.AppendInt(dst, int64(len(body)), 10)

	switch {
	case part.message != nil:
		// body-type-msg: envelope, body and lines of the encapsulated
		// message.
		dst = append(dst, ' ')
		dst = appendEnvelope(dst, raw, part.message)
		dst = append(dst, ' ')
		dst = appendBodyStructure(dst, raw, part.message, extended)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(countLines(body)), 10)
	case part.mediaType == "TEXT":
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(countLines(body)), 10)
	}
	if extended {
		// body-ext-1part: MD5, disposition, language, location.
		dst = append(dst, ' ')
		dst = appendNString(dst, presentValue(part.fieldValue(raw, "Content-MD5")))
		dst = appendDispositionLanguageLocation(dst, raw, part)
	}
	return append(dst, ')')
}

// appendDispositionLanguageLocation appends " " disposition " " language
// " " location, the extension fields single parts and multiparts share.
func appendDispositionLanguageLocation(dst, raw []byte, part *mimePart) []byte {
	dst = append(dst, ' ')
	disposition, present := part.fieldValue(raw, "Content-Disposition")
	typ, params, ok := "", []mimeParam(nil), false
	if present {
		typ, params, ok = parseDisposition(disposition)
	}
	if ok {
		// body-fld-dsp (RFC 2183).
		dst = append(dst, '(')
		dst = appendString(dst, []byte(typ))
		dst = append(dst, ' ')
		dst = appendParams(dst, params)
		dst = append(dst, ')')
	} else {
		dst = append(dst, "NIL"...)
	}

	dst = append(dst, ' ')
	var languages [][]byte
	if v, present := part.fieldValue(raw, "Content-Language"); present {
		languages = parseLanguages(v)
	}
	switch len(languages) {
	case 0:
		dst = append(dst, "NIL"...)
	case 1:
		dst = appendString(dst, languages[0])
	default:
		dst = append(dst, '(')
		for i, l := range languages {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = appendString(dst, l)
		}
		dst = append(dst, ')')
	}

	dst = append(dst, ' ')
	return appendNString(dst, presentValue(part.fieldValue(raw, "Content-Location")))
}

// appendParams appends body-fld-param: ("NAME" "value" ...) or NIL. Names
// are upper-cased; values are as sent, unquoted.
func appendParams(dst []byte, params []mimeParam) []byte {
	if len(params) == 0 {
		return append(dst, "NIL"...)
	}
	dst = append(dst, '(')
	for i, p := range params {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = appendString(dst, bytes.ToUpper(p.name))
		dst = append(dst, ' ')
		dst = appendString(dst, p.value)
	}
	return append(dst, ')')
}

// transferEncoding is the part's Content-Transfer-Encoding upper-cased,
// 7BIT when absent (RFC 2045 6.1).
func transferEncoding(raw []byte, part *mimePart) []byte {
	v, _ := part.fieldValue(raw, "Content-Transfer-Encoding")
	s := mimeScanner{b: v}
	s.skipSpaceAndComments()
	if t := s.token(); len(t) > 0 {
		return []byte(strings.ToUpper(string(t)))
	}
	return []byte("7BIT")
}

// presentValue turns a field lookup into an nstring: nil (NIL) when the
// field is absent, else its value (possibly empty).
func presentValue(v []byte, present bool) []byte {
	if !present {
		return nil
	}
	if v == nil {
		return []byte{}
	}
	return v
}

// countLines is the number of lines of body: its line feeds, plus one for a
// last line without one.
func countLines(body []byte) int {
	n := bytes.Count(body, []byte{'\n'})
	if len(body) > 0 && body[len(body)-1] != '\n' {
		n++
	}
	return n
}
