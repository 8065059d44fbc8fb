package messagefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalidPath is wrapped by every error about a path, domain, local part
// or message id that this package refuses to turn into a file name.
var ErrInvalidPath = errors.New("messagefile: invalid path")

// QueueDir is the top-level directory that holds queued messages. It is
// kept apart from the mailboxes, so no domain may use this name.
const QueueDir = "queue"

// maxElement is the longest path element, in bytes, that common file
// systems (ext4, XFS, NTFS in UTF-16 units) accept.
const maxElement = 255

// idLen is the length of an id made by NewID.
const idLen = 32

// NewID returns a new message id: 32 lowercase hexadecimal characters
// from crypto/rand.
func NewID() string {
	return randomHex(idLen / 2)
}

// NewQueueID returns a new id for a queued message: like NewID, 32
// lowercase hexadecimal characters, but the first two — which name the
// message's subdirectory of the queue (QueuePath) — come from the current
// second rather than from crypto/rand. So the messages accepted in the
// same second share a directory, and the queue's group commit fsyncs one
// directory for all of them instead of one each; the other 30 characters
// (120 bits) are random.
func NewQueueID() string {
	return queueBucket(time.Now()) + randomHex(idLen/2-1)
}

// queueBucket is the queue subdirectory for a message accepted at t.
func queueBucket(t time.Time) string {
	return hex.EncodeToString([]byte{byte(t.Unix())})
}

func randomHex(nbytes int) string {
	b := make([]byte, nbytes)
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AccountPath returns the relative path of message id in an account's
// mailbox: "<domain>/<local-part>/<first 2 chars of id>/<id>.eml", with
// domain and local part lower-cased. id must have the form made by NewID.
//
// domain and localPart normally come from e-mail addresses, so they are
// checked as hostile input: each must become exactly one safe path element
// (see ValidateRel), must not start with ".", and the domain must not be
// QueueDir.
func AccountPath(domain, localPart, id string) (string, error) {
	d, err := nameElement("domain", domain)
	if err != nil {
		return "", err
	}
	if d == QueueDir {
		return "", fmt.Errorf("%w: domain %q is reserved for the queue directory", ErrInvalidPath, domain)
	}
	l, err := nameElement("local part", localPart)
	if err != nil {
		return "", err
	}
	if err := checkID(id); err != nil {
		return "", err
	}
	rel := d + "/" + l + "/" + id[:2] + "/" + id + ".eml"
	// Every element has been checked already; this is a second line of
	// defence so that AccountPath can never return what ValidateRel refuses.
	if err := ValidateRel(rel); err != nil {
		return "", err
	}
	return rel, nil
}

// QueuePath returns the relative path of queued message id:
// "queue/<first 2 chars of id>/<id>.eml". id must have the form made by
// NewID.
func QueuePath(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	return QueueDir + "/" + id[:2] + "/" + id + ".eml", nil
}

// nameElement lower-cases s (a domain or local part, named by kind in
// errors) and checks that the result is one safe path element.
func nameElement(kind, s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: empty %s", ErrInvalidPath, kind)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalidPath, kind, s)
	}
	if strings.ContainsAny(s, `/\`) {
		return "", fmt.Errorf("%w: %s %q contains a path separator", ErrInvalidPath, kind, s)
	}
	lower := strings.ToLower(s)
	if reason := checkElement(lower); reason != "" {
		return "", fmt.Errorf("%w: %s %q %s", ErrInvalidPath, kind, s, reason)
	}
	return lower, nil
}

func checkID(id string) error {
	if len(id) != idLen {
		return fmt.Errorf("%w: message id %q is not %d hexadecimal characters", ErrInvalidPath, id, idLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: message id %q is not %d lowercase hexadecimal characters", ErrInvalidPath, id, idLen)
		}
	}
	return nil
}

// ValidateRel reports whether rel is acceptable as a path relative to the
// data directory. The rules are the same on every platform, so that a data
// directory can move between Unix and Windows installations:
//
//   - rel is not empty, not absolute, and has no Windows drive letter;
//   - elements are separated by "/" only; a backslash is refused anywhere;
//   - no element is empty, ".", "..", or starts with "." (names starting
//     with "." are reserved for this package's temporary files);
//   - no element contains NUL or another control character, ':', or one of
//     the characters Windows forbids in file names (< > " | ? *);
//   - no element ends with a space or a dot (Windows strips them, so two
//     names could refer to one file), looks like a Windows 8.3 short name
//     ("~" followed by a digit), or is a Windows reserved device name such
//     as CON, NUL, AUX, COM1 or LPT1 (with or without an extension);
//   - elements are valid UTF-8 and at most 255 bytes long.
//
// The error, if any, wraps ErrInvalidPath and names the offending element.
func ValidateRel(rel string) error {
	switch {
	case rel == "":
		return fmt.Errorf("%w: empty path", ErrInvalidPath)
	case strings.HasPrefix(rel, "/"):
		return fmt.Errorf("%w %q: absolute path", ErrInvalidPath, rel)
	case len(rel) >= 2 && rel[1] == ':' && isASCIILetter(rel[0]):
		return fmt.Errorf("%w %q: Windows drive letter", ErrInvalidPath, rel)
	case strings.Contains(rel, `\`):
		return fmt.Errorf("%w %q: contains a backslash", ErrInvalidPath, rel)
	}
	for elem := range strings.SplitSeq(rel, "/") {
		if reason := checkElement(elem); reason != "" {
			return fmt.Errorf("%w %q: element %q %s", ErrInvalidPath, rel, elem, reason)
		}
	}
	return nil
}

// checkElement returns why elem is not a safe single path element, or ""
// if it is.
func checkElement(elem string) string {
	switch {
	case elem == "":
		return "is empty"
	case len(elem) > maxElement:
		return fmt.Sprintf("is longer than %d bytes", maxElement)
	case !utf8.ValidString(elem):
		return "is not valid UTF-8"
	case elem == "..":
		return "refers to the parent directory"
	case elem == ".":
		return "refers to the current directory"
	case elem[0] == '.':
		return `starts with "." (reserved for temporary files)`
	}
	for i, r := range elem {
		switch {
		case r == 0:
			return "contains a NUL byte"
		case r < 0x20 || r == 0x7f:
			return "contains a control character"
		case r == '/' || r == '\\':
			return "contains a path separator"
		case r == ':':
			return `contains ":" (drive letter or alternate data stream on Windows)`
		case strings.ContainsRune(`<>"|?*`, r):
			return fmt.Sprintf("contains %q, which Windows does not allow in file names", r)
		case r == '~' && i+1 < len(elem) && '0' <= elem[i+1] && elem[i+1] <= '9':
			return `contains "~" followed by a digit, like a Windows 8.3 short name`
		}
	}
	if last := elem[len(elem)-1]; last == ' ' || last == '.' {
		return "ends with a space or dot, which Windows strips"
	}
	if isReservedDeviceName(elem) {
		return "is a reserved device name on Windows"
	}
	return ""
}

// isReservedDeviceName reports whether Windows treats elem as a device:
// the part before the first dot, without trailing spaces, compared without
// regard to case.
func isReservedDeviceName(elem string) bool {
	base, _, _ := strings.Cut(elem, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$":
		return true
	}
	if rest, ok := strings.CutPrefix(base, "COM"); ok {
		return isDeviceDigit(rest)
	}
	if rest, ok := strings.CutPrefix(base, "LPT"); ok {
		return isDeviceDigit(rest)
	}
	return false
}

func isDeviceDigit(s string) bool {
	switch s {
	case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
		return true
	}
	return false
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
