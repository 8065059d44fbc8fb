package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidationError is a broken model rule. Field names the input at fault, so
// the RPC can hand it to the Administrator to show beside that field.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsValidation returns the ValidationError inside err, if any.
func AsValidation(err error) (*ValidationError, bool) {
	var v *ValidationError
	ok := errors.As(err, &v)
	return v, ok
}

// PlusAddressingCharacters are the separators a domain may choose. The
// manual: "To avoid confusion and configuration problems only a limited set
// of characters are allowed for plus addressing."
const PlusAddressingCharacters = "+-_%"

// Lower is the one way addresses and names are folded for comparison.
// It runs in Go so that every engine compares the same way.
func Lower(s string) string { return strings.ToLower(s) }

// ValidateDomainName checks a domain name or domain alias. The manual: "To be
// considered valid a domain name must include a dot."
func ValidateDomainName(field, name string) error {
	switch {
	case name == "":
		return invalid(field, "a domain name is required")
	case len(name) > 253:
		return invalid(field, "%q is longer than 253 characters", name)
	case !strings.Contains(name, "."):
		return invalid(field, "%q is not a valid domain name: it must contain a dot", name)
	case !utf8.ValidString(name):
		return invalid(field, "the domain name is not valid UTF-8")
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return invalid(field, "%q has an empty label", name)
		}
		if len(label) > 63 {
			return invalid(field, "%q has a label longer than 63 characters", name)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return invalid(field, "%q has a label that starts or ends with a hyphen", name)
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return invalid(field, "%q contains %q, which a domain name cannot", name, r)
			}
		}
	}
	return nil
}

// SplitAddress checks a full e-mail address (local@domain) and returns its parts.
func SplitAddress(field, address string) (local, domain string, err error) {
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return "", "", invalid(field, "%q is not an e-mail address: it has no @", address)
	}
	local, domain = address[:at], address[at+1:]
	if err := validateLocalPart(field, local); err != nil {
		return "", "", err
	}
	if err := ValidateDomainName(field, domain); err != nil {
		return "", "", err
	}
	return local, domain, nil
}

// validateLocalPart accepts RFC 5322 dot-atoms (RFC 5321 4.5.3.1.1: 64 octets).
// Quoted local parts are refused: they cannot name a mailbox directory safely.
func validateLocalPart(field, local string) error {
	switch {
	case local == "":
		return invalid(field, "the part before @ is empty")
	case len(local) > 64:
		return invalid(field, "the part before @ is longer than 64 characters")
	case !utf8.ValidString(local):
		return invalid(field, "the address is not valid UTF-8")
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return invalid(field, "%q has a misplaced dot", local)
	}
	for _, r := range local {
		if r < 0x80 && !isAtext(byte(r)) && r != '.' {
			return invalid(field, "the part before @ contains %q, which an address cannot", r)
		}
		if r >= 0x80 && !unicode.IsPrint(r) {
			return invalid(field, "the part before @ contains an unprintable character")
		}
	}
	return nil
}

// isAtext is RFC 5322 3.2.3 atext, less "/" and "\" which no mailbox name
// on disk may contain.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-=?^_`{|}~", c) >= 0
}

// ValidatePlusCharacter checks the domain's plus-addressing separator.
func ValidatePlusCharacter(c string) error {
	if utf8.RuneCountInString(c) != 1 || !strings.Contains(PlusAddressingCharacters, c) {
		return invalid("plus_addressing_char", "%q is not allowed: choose one of %s", c, strings.Join(strings.Split(PlusAddressingCharacters, ""), " "))
	}
	return nil
}

// nonNegative checks a limit where 0 means "no limit".
func nonNegative(field string, v int) error {
	if v < 0 {
		return invalid(field, "must be 0 (no limit) or more, not %d", v)
	}
	return nil
}
