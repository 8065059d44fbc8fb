package imap

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is modified UTF-7 (RFC 3501 5.1.3), the encoding of mailbox
// names on the wire: printable US-ASCII stands for itself except "&", which
// is "&-"; any other run of characters is "&", its UTF-16 in base64 with ","
// for "/" and no padding, then "-".

// mutf7Alphabet is modified BASE64's alphabet (RFC 2152's with "," for "/").
const mutf7Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"

// mutf7Values maps a byte to its value in mutf7Alphabet, or -1.
var mutf7Values = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(mutf7Alphabet); i++ {
		v[mutf7Alphabet[i]] = int8(i)
	}
	return v
}()

var (
	errMUTF7Character    = errors.New("imap: mailbox name has a character that must be encoded")
	errMUTF7Unterminated = errors.New("imap: mailbox name has an unterminated &... sequence")
	errMUTF7Base64       = errors.New("imap: mailbox name has invalid modified base64")
	errMUTF7Printable    = errors.New("imap: mailbox name encodes printable ASCII in base64")
	errMUTF7Adjacent     = errors.New("imap: mailbox name has two adjacent encoded sequences")
	errMUTF7Surrogate    = errors.New("imap: mailbox name has an unpaired UTF-16 surrogate")
)

// isMUTF7Direct says whether r stands for itself in modified UTF-7.
func isMUTF7Direct(r rune) bool { return r >= 0x20 && r <= 0x7e && r != '&' }

func encodeMailboxName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, _ := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&-")
			i++
		case isMUTF7Direct(r):
			b.WriteByte(byte(r))
			i++
		default:
			// The longest run of characters that cannot stand for
			// themselves becomes one base64 sequence.
			var units []uint16
			for i < len(s) {
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == '&' || isMUTF7Direct(r) {
					break
				}
				units = utf16.AppendRune(units, r)
				i += size
			}
			b.WriteByte('&')
			writeModifiedBase64(&b, units)
			b.WriteByte('-')
		}
	}
	return b.String()
}

// writeModifiedBase64 writes the big-endian bytes of units in modified
// base64 without padding.
func writeModifiedBase64(b *strings.Builder, units []uint16) {
	var bits uint32
	nbits := 0
	for _, u := range units {
		bits = bits<<16 | uint32(u)
		nbits += 16
		for nbits >= 6 {
			nbits -= 6
			b.WriteByte(mutf7Alphabet[(bits>>nbits)&0x3f])
		}
		bits &= 1<<nbits - 1
	}
	if nbits > 0 {
		b.WriteByte(mutf7Alphabet[(bits<<(6-nbits))&0x3f])
	}
}

// decodeMailboxName accepts only the shortest, canonical form, so that
// one name has one spelling: encoding the result gives s back.
func decodeMailboxName(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	afterSequence := false // the previous byte closed an encoded sequence
	for i := 0; i < len(s); {
		c := s[i]
		if c != '&' {
			if c < 0x20 || c > 0x7e {
				return "", errMUTF7Character
			}
			b.WriteByte(c)
			afterSequence = false
			i++
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", errMUTF7Unterminated
		}
		encoded := s[i+1 : i+1+end]
		i += end + 2
		if encoded == "" {
			b.WriteByte('&')
			afterSequence = false
			continue
		}
		if afterSequence {
			// "&AOk-&AOk-" is "&AOkA6Q-" spelt twice as long.
			return "", errMUTF7Adjacent
		}
		units, err := decodeModifiedBase64(encoded)
		if err != nil {
			return "", err
		}
		for j := 0; j < len(units); j++ {
			u := units[j]
			var r rune
			switch {
			case utf16.IsSurrogate(rune(u)):
				if u >= 0xdc00 || j+1 == len(units) {
					return "", errMUTF7Surrogate
				}
				r = utf16.DecodeRune(rune(u), rune(units[j+1]))
				if r == utf8.RuneError {
					return "", errMUTF7Surrogate
				}
				j++
			case u == '&' || isMUTF7Direct(rune(u)):
				return "", errMUTF7Printable
			default:
				r = rune(u)
			}
			b.WriteRune(r)
		}
		afterSequence = true
	}
	return b.String(), nil
}

// decodeModifiedBase64 decodes a base64 run into UTF-16 units; the run must
// be the shortest for its units, with zero padding bits.
func decodeModifiedBase64(encoded string) ([]uint16, error) {
	var units []uint16
	var bits uint32
	nbits := 0
	for k := 0; k < len(encoded); k++ {
		v := mutf7Values[encoded[k]]
		if v < 0 {
			return nil, errMUTF7Base64
		}
		bits = bits<<6 | uint32(v)
		nbits += 6
		if nbits >= 16 {
			nbits -= 16
			units = append(units, uint16(bits>>nbits))
			bits &= 1<<nbits - 1
		}
	}
	// Leftover bits are padding: fewer than six of them, all zero.
	if nbits >= 6 || bits != 0 || len(units) == 0 {
		return nil, errMUTF7Base64
	}
	return units, nil
}
