package smtp

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// This file is the command parser: pure functions over a command line
// (without its CRLF), fuzzed on their own. The session never slices raw
// lines itself.

// Command is one SMTP command line.
type Command struct {
	Verb string // upper-cased
	Arg  string // the rest, leading spaces removed
}

var errSyntax = errors.New("syntax error")

// ParseCommand splits a command line into its verb and argument.
func ParseCommand(line string) (Command, error) {
	line = strings.TrimRight(line, " ")
	if line == "" {
		return Command{}, errSyntax
	}
	verb, arg, _ := strings.Cut(line, " ")
	if verb == "" || len(verb) > 16 {
		return Command{}, errSyntax
	}
	for i := 0; i < len(verb); i++ {
		c := verb[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return Command{}, errSyntax
		}
	}
	return Command{Verb: strings.ToUpper(verb), Arg: strings.TrimLeft(arg, " ")}, nil
}

// ParseHelloDomain checks the argument of HELO or EHLO: a domain name or an
// address literal (RFC 5321 4.1.1.1, 4.1.3). Many clients send a bare host
// name without a dot; it is accepted, as hMailServer does.
func ParseHelloDomain(arg string) (string, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" || len(arg) > 255 {
		return "", errSyntax
	}
	if strings.HasPrefix(arg, "[") {
		if !strings.HasSuffix(arg, "]") {
			return "", errSyntax
		}
		lit := arg[1 : len(arg)-1]
		lit = strings.TrimPrefix(strings.TrimPrefix(lit, "IPv6:"), "ipv6:")
		if _, err := netip.ParseAddr(lit); err != nil {
			return "", errSyntax
		}
		return arg, nil
	}
	for label := range strings.SplitSeq(arg, ".") {
		if label == "" || len(label) > 63 {
			return "", errSyntax
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c >= 0x80) {
				return "", errSyntax
			}
		}
	}
	return arg, nil
}

// Params are the ESMTP parameters after a path: SIZE=123, BODY=8BITMIME.
// Keys are upper-cased.
type Params map[string]string

// ParsePath parses "FROM:<addr> params" or "TO:<addr> params" (prefix is
// "FROM:" or "TO:"). The address comes back without angle brackets; the
// null path "<>" gives "". A source route (RFC 5321 4.1.2 "@a,@b:") is
// dropped, as the RFC tells servers to.
func ParsePath(arg, prefix string) (string, Params, error) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, errSyntax
	}
	rest := strings.TrimLeft(arg[len(prefix):], " ")
	var addr string
	if strings.HasPrefix(rest, "<") {
		end := closingBracket(rest)
		if end < 0 {
			return "", nil, errSyntax
		}
		addr, rest = rest[1:end], rest[end+1:]
	} else {
		// Some clients leave out the brackets; take the first word.
		addr, rest, _ = strings.Cut(rest, " ")
		if addr == "" {
			return "", nil, errSyntax
		}
	}
	if i := strings.IndexByte(addr, ':'); i >= 0 && strings.HasPrefix(addr, "@") {
		addr = addr[i+1:]
	}
	if strings.ContainsAny(addr, " \t<>\x00\r\n") || len(addr) > 320 {
		return "", nil, errSyntax
	}
	params := Params{}
	for field := range strings.FieldsSeq(rest) {
		k, v, _ := strings.Cut(field, "=")
		if k == "" {
			return "", nil, errSyntax
		}
		params[strings.ToUpper(k)] = v
	}
	return addr, params, nil
}

// closingBracket finds the ">" closing a path, skipping quoted local parts.
func closingBracket(s string) int {
	quoted := false
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == '>' && !quoted:
			return i
		}
	}
	return -1
}

// ParseSize reads the SIZE parameter (RFC 1870); absent gives 0.
func ParseSize(p Params) (int64, error) {
	v, ok := p["SIZE"]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errSyntax
	}
	return n, nil
}

// DecodePlain decodes an AUTH PLAIN response (RFC 4616): authzid NUL
// authcid NUL password.
func DecodePlain(b64 string) (authzid, user, pass string, err error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", "", "", errSyntax
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[1] == "" {
		return "", "", "", errSyntax
	}
	return parts[0], parts[1], parts[2], nil
}

// DecodeBase64Line decodes one line of an AUTH exchange; "*" cancels.
func DecodeBase64Line(line string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
	if err != nil {
		return "", errSyntax
	}
	return string(raw), nil
}
