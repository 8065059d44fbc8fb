package imap

import "strconv"

// appendString appends s as an IMAP string (RFC 3501 4.3): quoted when it
// can be (7-bit, no CR, LF or NUL, not too long), else a literal.
func appendString(dst []byte, s []byte) []byte {
	if quotable(s) {
		dst = append(dst, '"')
		for _, c := range s {
			if c == '"' || c == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
		}
		return append(dst, '"')
	}
	return appendLiteral(dst, s)
}

// appendLiteral appends s as a literal.
func appendLiteral(dst []byte, s []byte) []byte {
	dst = append(dst, '{')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, "}\r\n"...)
	return append(dst, s...)
}

// appendNString appends s as an nstring: NIL when nil.
func appendNString(dst []byte, s []byte) []byte {
	if s == nil {
		return append(dst, "NIL"...)
	}
	return appendString(dst, s)
}

// appendAString appends s as an astring: an atom when it is one, else a
// string.
func appendAString(dst []byte, s []byte) []byte {
	if len(s) > 0 && len(s) <= 1024 {
		atom := true
		for _, c := range s {
			if !isAtomChar(c) {
				atom = false
				break
			}
		}
		if atom {
			return append(dst, s...)
		}
	}
	return appendString(dst, s)
}

// quotable says whether s fits a quoted string.
func quotable(s []byte) bool {
	if len(s) > 1024 {
		return false
	}
	for _, c := range s {
		if c == 0 || c == '\r' || c == '\n' || c >= 0x80 {
			return false
		}
	}
	return true
}

// isAtomChar is ATOM-CHAR of RFC 3501 9 (also excluding "]" so that an
// atom is a valid astring everywhere).
func isAtomChar(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '{', '%', '*', '"', '\\', ']':
		return false
	}
	return true
}
