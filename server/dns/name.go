package dns

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// hostNames converts names to the ASCII form DNS carries (RFC 5890, the
// IDNA2008 lookup rules): lower case, internationalized labels as
// punycode "xn--" labels, only letters, digits and hyphens (RFC 1123),
// labels of at most 63 octets and names of at most 253.
var hostNames = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.VerifyDNSLength(true),
	// Hyphens in the third and fourth places are left alone: host names
	// such as "r3--sn-example.net" exist. Leading and trailing hyphens are
	// checked below.
	idna.CheckHyphens(false),
)

// CanonicalName returns name as lookups use it: lower case, in ASCII
// (punycode for internationalized labels), without a trailing dot. It
// rejects what is not a valid host name with ErrInvalidName.
func CanonicalName(name string) (string, error) {
	trimmed := strings.TrimSuffix(strings.TrimSpace(name), ".")
	if trimmed == "" {
		return "", fmt.Errorf("%w: empty name", ErrInvalidName)
	}
	ascii, err := hostNames.ToASCII(trimmed)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidName, name, err)
	}
	// RFC 1035 2.3.4: 253 octets without the trailing dot.
	if len(ascii) > 253 {
		return "", fmt.Errorf("%w: %q is longer than 253 octets", ErrInvalidName, name)
	}
	for label := range strings.SplitSeq(ascii, ".") {
		// RFC 1123 2.1: a label starts and ends with a letter or digit.
		if strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", fmt.Errorf("%w: %q: the label %q starts or ends with a hyphen", ErrInvalidName, name, label)
		}
	}
	return ascii, nil
}
