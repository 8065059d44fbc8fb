package password

import (
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcrypt hashes are only ever verified, never created, and always rehashed.
const (
	bcryptLen = 60 // "$2b$" + 2-digit cost + "$" + 22 salt + 31 hash characters
	// maxBcryptCost bounds the work a stored value can demand: every step
	// doubles it, and cost 16 already takes seconds.
	maxBcryptCost = 16
	// bcrypt only uses the first 72 bytes of a password. A longer password
	// is refused rather than matched on its prefix.
	maxBcryptPasswordLen = 72
)

func isBcryptPrefix(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

func verifyBcrypt(stored, plain string) bool {
	if !validBcrypt(stored) || len(plain) > maxBcryptPasswordLen {
		return false
	}
	// CompareHashAndPassword compares in constant time.
	return bcrypt.CompareHashAndPassword([]byte(stored), []byte(plain)) == nil
}

// validBcrypt checks the shape of "$2?$cc$<53 characters of bcrypt base64>"
// and that the cost cc is within bounds, before any work is done.
func validBcrypt(s string) bool {
	if len(s) != bcryptLen || !isBcryptPrefix(s) || s[6] != '$' {
		return false
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return false
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcrypt.MinCost || cost > maxBcryptCost {
		return false
	}
	for i := 7; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}
