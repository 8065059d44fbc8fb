package password

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// Prefixes of the stored forms of hMailServer 5 passwords.
const (
	legacyPlainPrefix  = "{PLAIN}"
	legacyMD5Prefix    = "{MD5}"
	legacySHA256Prefix = "{SHA256}"
)

// Values of hMailServer's hm_accounts.accountpwencryption column.
const (
	hmPlain    = 0
	hmBlowfish = 1
	hmMD5      = 2
	hmSHA256   = 3
)

const (
	md5HexLen      = 2 * md5.Size    // 32
	sha256SaltLen  = 6               // hMailServer's salt: 6 hex characters, used as text
	sha256HexLen   = 2 * sha256.Size // 64
	sha256ValueLen = sha256SaltLen + sha256HexLen
)

// FromLegacy turns a password from hMailServer 5's database, the
// hm_accounts.accountpassword column together with its accountpwencryption
// column, into a stored value that Verify understands (and will ask to
// rehash on the first successful login):
//
//   - 0, plain text: "{PLAIN}" + value; an empty value gives ErrEmpty.
//   - 2, MD5: value must be the 32-hex-digit MD5 of the password;
//     gives "{MD5}" + value.
//   - 3, salted SHA256: value must be 70 hex digits, a 6-character salt
//     followed by the hex SHA256 of salt+password; gives "{SHA256}" + value.
//
// Surrounding white space is removed from the hashed forms, which cannot
// contain any. Any other encryption number, or a value not of the expected
// form, is an error. Error messages never include the value.
func FromLegacy(encryption int, value string) (string, error) {
	switch encryption {
	case hmPlain:
		if value == "" {
			return "", fmt.Errorf("password: hMailServer plain-text password: %w", ErrEmpty)
		}
		return legacyPlainPrefix + value, nil
	case hmMD5:
		v := strings.TrimSpace(value)
		if err := checkHex(v, md5HexLen, "MD5"); err != nil {
			return "", err
		}
		return legacyMD5Prefix + v, nil
	case hmSHA256:
		v := strings.TrimSpace(value)
		if err := checkHex(v, sha256ValueLen, "SHA256"); err != nil {
			return "", err
		}
		return legacySHA256Prefix + v, nil
	case hmBlowfish:
		return "", fmt.Errorf("password: hMailServer password encryption %d (Blowfish) is not supported", encryption)
	}
	return "", fmt.Errorf("password: unknown hMailServer password encryption %d (want 0 plain text, 2 MD5 or 3 SHA256)", encryption)
}

func checkHex(v string, want int, scheme string) error {
	if len(v) != want {
		return fmt.Errorf("password: hMailServer %s password must be %d hexadecimal digits, got %d characters", scheme, want, len(v))
	}
	if !isHex(v) {
		return fmt.Errorf("password: hMailServer %s password must be %d hexadecimal digits, found a character that is not one", scheme, want)
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// verifyLegacy checks plain against a {PLAIN}, {MD5} or {SHA256} value.
func verifyLegacy(stored, plain string) bool {
	if text, ok := strings.CutPrefix(stored, legacyPlainPrefix); ok {
		// Compare digests so that the time taken does not reveal the
		// length of the stored password either.
		a, b := sha256.Sum256([]byte(text)), sha256.Sum256([]byte(plain))
		return text != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
	}
	if v, ok := strings.CutPrefix(stored, legacyMD5Prefix); ok {
		want, err := hex.DecodeString(v)
		if err != nil || len(v) != md5HexLen {
			return false
		}
		got := md5.Sum([]byte(plain))
		return subtle.ConstantTimeCompare(got[:], want) == 1
	}
	if v, ok := strings.CutPrefix(stored, legacySHA256Prefix); ok {
		if len(v) != sha256ValueLen || !isHex(v) {
			return false
		}
		// The salt is hashed as the text of its 6 hex characters, exactly
		// as stored (so its case matters); the digest is compared as bytes
		// (so its case does not).
		salt := v[:sha256SaltLen]
		want, err := hex.DecodeString(v[sha256SaltLen:])
		if err != nil {
			return false
		}
		got := sha256.Sum256([]byte(salt + plain))
		return subtle.ConstantTimeCompare(got[:], want) == 1
	}
	return false
}
