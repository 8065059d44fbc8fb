// Package password owns how account and administrator passwords are hashed
// and verified.
//
// New passwords are hashed with argon2id and stored as PHC strings (see
// [Hash]). [Verify] also understands the formats a stored value may still be
// in after an upgrade: bcrypt hashes, and the hMailServer 5 formats that
// [FromLegacy] converts into a prefixed form ({PLAIN}, {MD5} and {SHA256}).
// Whenever a stored value is not in the current default scheme with the
// current default parameters, Verify asks the caller to replace it with a
// fresh [Hash] of the password that has just been verified, so that old
// formats disappear as users log in.
//
// Passwords are hashed as the bytes of the Go string they arrive in, which
// for protocol and web input is UTF-8.
package password

import (
	"errors"
	"strings"
)

// ErrEmpty is returned by Hash, and by FromLegacy for a plain-text value, when
// the password is empty. Verify never accepts an empty password.
var ErrEmpty = errors.New("password: the password must not be empty")

// Hash returns a new hash of plain in the default scheme: argon2id in PHC
// string format,
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with a 16-byte random salt and a 32-byte key, both in unpadded standard
// base64. An empty password gives ErrEmpty.
func Hash(plain string) (string, error) {
	if plain == "" {
		return "", ErrEmpty
	}
	return hashArgon2id(plain)
}

// Verify reports whether plain matches stored, and whether stored should be
// replaced by Hash(plain) because it is not in the current default scheme
// with the current default parameters. rehash is only ever true when ok is.
//
// stored may be an argon2id PHC string (any parameters within sane limits),
// a bcrypt hash ($2a$, $2b$ or $2y$), or a value produced by FromLegacy.
// Unknown or malformed stored values, and values whose parameters would take
// unreasonable memory or time to check, give ok=false; Verify never panics.
// An empty plain password never matches.
func Verify(stored, plain string) (ok, rehash bool) {
	if plain == "" {
		return false, false
	}
	switch {
	case strings.HasPrefix(stored, argon2idPrefix):
		return verifyArgon2id(stored, plain)
	case isBcryptPrefix(stored):
		return rehashOnMatch(verifyBcrypt(stored, plain))
	case strings.HasPrefix(stored, legacyPlainPrefix),
		strings.HasPrefix(stored, legacyMD5Prefix),
		strings.HasPrefix(stored, legacySHA256Prefix):
		return rehashOnMatch(verifyLegacy(stored, plain))
	}
	return false, false
}

// rehashOnMatch returns (ok, rehash) for a scheme that always asks for a
// rehash after a successful match.
func rehashOnMatch(ok bool) (bool, bool) { return ok, ok }
