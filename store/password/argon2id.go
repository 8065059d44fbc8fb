package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

const argon2idPrefix = "$argon2id$"

// Default argon2id parameters for new hashes (the OWASP recommendation of
// 19 MiB, two passes, one lane).
const (
	defaultMemoryKiB = 19456
	defaultTime      = 2
	defaultThreads   = 1
	defaultSaltLen   = 16
	defaultKeyLen    = 32
)

// Limits on the parameters Verify accepts in a stored argon2id hash. Anything
// outside them is treated as malformed rather than computed, so that a
// corrupt or hostile stored value cannot make Verify allocate gigabytes or
// run for hours.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 100
	maxThreads   = 255
	minSaltLen   = 8 // the minimum the Argon2 specification allows
	maxSaltLen   = 64
	minKeyLen    = 16 // shorter tags are too easy to collide with
	maxKeyLen    = 64
)

// argon2idParams are the cost parameters of an argon2id hash.
type argon2idParams struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
}

// argon2idHash is a parsed argon2id PHC string.
type argon2idHash struct {
	params argon2idParams
	salt   []byte
	key    []byte
}

func hashArgon2id(plain string) (string, error) {
	salt := make([]byte, defaultSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(plain), salt, defaultTime, defaultMemoryKiB, defaultThreads, defaultKeyLen)
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2idPrefix, argon2.Version,
		defaultMemoryKiB, defaultTime, defaultThreads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

func verifyArgon2id(stored, plain string) (ok, rehash bool) {
	h, valid := parseArgon2id(stored)
	if !valid {
		return false, false
	}
	p := h.params
	got := argon2.IDKey([]byte(plain), h.salt, p.time, p.memoryKiB, p.threads, uint32(len(h.key)))
	if subtle.ConstantTimeCompare(got, h.key) != 1 {
		return false, false
	}
	current := p == argon2idParams{defaultMemoryKiB, defaultTime, defaultThreads} &&
		len(h.salt) == defaultSaltLen && len(h.key) == defaultKeyLen
	return true, !current
}

// parseArgon2id parses "$argon2id$v=19$m=<m>,t=<t>,p=<p>$<salt>$<key>",
// refusing anything else, including parameters outside the limits above.
func parseArgon2id(s string) (h argon2idHash, ok bool) {
	fields := strings.Split(s, "$")
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" {
		return h, false
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, false
	}

	params := strings.Split(fields[3], ",")
	if len(params) != 3 {
		return h, false
	}
	m, okM := parseParam(params[0], "m=", maxMemoryKiB)
	t, okT := parseParam(params[1], "t=", maxTime)
	p, okP := parseParam(params[2], "p=", maxThreads)
	if !okM || !okT || !okP || t < 1 || p < 1 || m < 8*p {
		return h, false
	}
	h.params = argon2idParams{memoryKiB: m, time: t, threads: uint8(p)}

	var okS, okK bool
	h.salt, okS = decodeB64(fields[4], minSaltLen, maxSaltLen)
	h.key, okK = decodeB64(fields[5], minKeyLen, maxKeyLen)
	if !okS || !okK {
		return argon2idHash{}, false
	}
	return h, true
}

// parseParam parses "<name><decimal>" where the decimal has no sign and no
// leading zeros and is at most max.
func parseParam(s, name string, max uint32) (uint32, bool) {
	digits, found := strings.CutPrefix(s, name)
	if !found || digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > uint64(max) {
		return 0, false
	}
	return uint32(n), true
}

// decodeB64 decodes unpadded standard base64 whose decoded length lies in
// [minLen, maxLen]. Unlike the encoding/base64 decoder on its own, it refuses
// line breaks, padding and non-zero trailing bits, so each byte string has
// exactly one accepted encoding.
func decodeB64(s string, minLen, maxLen int) ([]byte, bool) {
	if len(s) > base64.RawStdEncoding.EncodedLen(maxLen) {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil, false
		}
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < minLen || len(b) > maxLen {
		return nil, false
	}
	return b, true
}
