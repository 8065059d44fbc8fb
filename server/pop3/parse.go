package pop3

import (
	"encoding/base64"
	"errors"
	"strings"
)

// This file is the command parser: pure functions over a command line
// (without its CRLF), fuzzed on their own. The session never slices raw
// lines itself.

// Command is one POP3 command line (RFC 1939 3: a keyword, then arguments
// separated by single spaces).
type Command struct {
	Verb string // the keyword, upper-cased
	// Arg is the rest of the line after the keyword and its space,
	// unchanged: PASS takes it whole, since a password may hold spaces.
	Arg string
}

var (
	errSyntax          = errors.New("syntax error")
	errNoMessageNumber = errors.New("message number required")
	errMessageNumber   = errors.New("invalid message number")
)

// maxKeyword bounds the keyword: RFC 1939's are 3 or 4 characters, and
// extensions (RFC 2449 3) are no longer; 8 leaves room for typos worth an
// "unknown command" reply.
const maxKeyword = 8

// ParseCommand splits a command line into its keyword and argument.
func ParseCommand(line string) (Command, error) {
	verb, arg, _ := strings.Cut(line, " ")
	if verb == "" || len(verb) > maxKeyword {
		return Command{}, errSyntax
	}
	for i := 0; i < len(verb); i++ {
		c := verb[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return Command{}, errSyntax
		}
	}
	return Command{Verb: strings.ToUpper(verb), Arg: arg}, nil
}

// Args splits the argument into its space-separated words.
func (c Command) Args() []string { return strings.Fields(c.Arg) }

// ParseMessageNumber reads a message-number argument (RFC 1939 3: a
// decimal number). Digits that name no message (0, or beyond any count)
// still parse: the session answers "No such message" for them. The number
// is capped so it fits an int everywhere.
func ParseMessageNumber(arg string) (int, error) {
	if arg == "" {
		return 0, errNoMessageNumber
	}
	n := 0
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if c < '0' || c > '9' {
			return 0, errMessageNumber
		}
		if n < 1<<30 {
			n = n*10 + int(c-'0')
		}
	}
	return min(n, 1<<30), nil
}

// ParseOptionalMessage reads the argument of LIST and UIDL: none, or one
// message number. all reports that none was given.
func ParseOptionalMessage(arg string) (n int, all bool, err error) {
	args := strings.Fields(arg)
	switch len(args) {
	case 0:
		return 0, true, nil
	case 1:
		n, err := ParseMessageNumber(args[0])
		return n, false, err
	}
	return 0, false, errSyntax
}

// ParseMessage reads the argument of RETR and DELE: one message number.
func ParseMessage(arg string) (int, error) {
	args := strings.Fields(arg)
	switch len(args) {
	case 0:
		return 0, errNoMessageNumber
	case 1:
		return ParseMessageNumber(args[0])
	}
	return 0, errSyntax
}

// ParseTop reads the arguments of TOP (RFC 1939 7): a message number and a
// non-negative number of body lines.
func ParseTop(arg string) (msg, lines int, err error) {
	args := strings.Fields(arg)
	if len(args) != 2 {
		return 0, 0, errSyntax
	}
	if msg, err = ParseMessageNumber(args[0]); err != nil {
		return 0, 0, err
	}
	if lines, err = ParseMessageNumber(args[1]); err != nil {
		return 0, 0, errSyntax
	}
	return msg, lines, nil
}

// ParseAuth splits the argument of AUTH (RFC 5034 4) into the mechanism,
// upper-cased, and the initial response, if any ("=" is an empty one).
func ParseAuth(arg string) (mechanism, initial string, hasInitial bool, err error) {
	args := strings.Fields(arg)
	switch len(args) {
	case 1:
		return strings.ToUpper(args[0]), "", false, nil
	case 2:
		if args[1] == "=" {
			return strings.ToUpper(args[0]), "", true, nil
		}
		return strings.ToUpper(args[0]), args[1], true, nil
	}
	return "", "", false, errSyntax
}

// DecodePlain decodes a SASL PLAIN response (RFC 4616 2): authzid NUL
// authcid NUL password, in base64. An authorization identity other than
// the user's own is refused: nobody may log in as someone else.
func DecodePlain(b64 string) (user, pass string, err error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", "", errSyntax
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[1] == "" || parts[0] != "" && parts[0] != parts[1] {
		return "", "", errSyntax
	}
	return parts[1], parts[2], nil
}
