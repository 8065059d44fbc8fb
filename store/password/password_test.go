package password

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// phcPattern is the shape of a hash in the default scheme.
var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

// mustHash is Hash for passwords the test knows to be valid.
func mustHash(t testing.TB, plain string) string {
	t.Helper()
	h, err := Hash(plain)
	if err != nil {
		t.Fatalf("Hash(%q): %v", plain, err)
	}
	return h
}

// phc builds an argon2id PHC string by hand, independently of Hash.
func phc(plain string, m, tm uint32, p uint8, salt []byte, keyLen uint32) string {
	key := argon2.IDKey([]byte(plain), salt, tm, m, p, keyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestHashThenVerifyAcceptsThePasswordWithoutRehash(t *testing.T) {
	tests := []struct {
		name  string
		plain string
	}{
		{"ascii", "correct horse battery staple"},
		{"single character", "x"},
		{"unicode", "pässwörd-パスワード-🔑"},
		{"surrounding spaces", "  spaced  "},
		{"long", strings.Repeat("long password ", 50)},
		{"looks like a scheme prefix", "{PLAIN}secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustHash(t, tt.plain)
			if !phcPattern.MatchString(h) {
				t.Fatalf("Hash(%q) = %q, not in the default argon2id PHC format", tt.plain, h)
			}
			if ok, rehash := Verify(h, tt.plain); !ok || rehash {
				t.Errorf("Verify(Hash(p), p) = (%v, %v), want (true, false)", ok, rehash)
			}
		})
	}
}

func TestHashUsesAFreshSaltEachTime(t *testing.T) {
	a, b := mustHash(t, "same password"), mustHash(t, "same password")
	if a == b {
		t.Fatalf("two hashes of the same password are identical: %q", a)
	}
}

func TestHashMatchesIndependentlyBuiltDefaultPHC(t *testing.T) {
	// A value built by hand with the default parameters verifies and is
	// not asked to be rehashed: Hash's format and Verify's notion of
	// "default" agree with the documented string.
	stored := phc("hunter2", 19456, 2, 1, []byte("0123456789abcdef"), 32)
	if !phcPattern.MatchString(stored) {
		t.Fatalf("test helper built %q, not in the default format", stored)
	}
	if ok, rehash := Verify(stored, "hunter2"); !ok || rehash {
		t.Errorf("Verify = (%v, %v), want (true, false)", ok, rehash)
	}
}

func TestVerifyRejectsWrongPassword(t *testing.T) {
	stored := mustHash(t, "Secret-123")
	tests := []struct {
		name  string
		plain string
	}{
		{"different", "something else"},
		{"different case", "secret-123"},
		{"prefix", "Secret-12"},
		{"extra character", "Secret-1234"},
		{"trailing space", "Secret-123 "},
		{"trailing NUL", "Secret-123\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ok, rehash := Verify(stored, tt.plain); ok || rehash {
				t.Errorf("Verify(stored, %q) = (%v, %v), want (false, false)", tt.plain, ok, rehash)
			}
		})
	}
}

func TestEmptyPasswordIsRefused(t *testing.T) {
	if h, err := Hash(""); !errors.Is(err, ErrEmpty) || h != "" {
		t.Errorf(`Hash("") = (%q, %v), want ("", ErrEmpty)`, h, err)
	}
	if v, err := FromLegacy(0, ""); !errors.Is(err, ErrEmpty) || v != "" {
		t.Errorf(`FromLegacy(0, "") = (%q, %v), want ("", ErrEmpty)`, v, err)
	}

	// Stored values that an empty password would match if it were
	// allowed through.
	bc, err := bcrypt.GenerateFromPassword(nil, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	salt := "a1b2c3"
	stored := []struct {
		name   string
		stored string
	}{
		{"argon2id", phc("", 19456, 2, 1, []byte("0123456789abcdef"), 32)},
		{"bcrypt", string(bc)},
		{"plain", "{PLAIN}"},
		{"md5", "{MD5}" + md5Hex("")},
		{"sha256", "{SHA256}" + salt + sha256Hex(salt)},
	}
	for _, tt := range stored {
		t.Run(tt.name, func(t *testing.T) {
			if ok, rehash := Verify(tt.stored, ""); ok || rehash {
				t.Errorf(`Verify(%q, "") = (%v, %v), want (false, false)`, tt.stored, ok, rehash)
			}
		})
	}
}

func TestVerifyLegacyFormatsAcceptCorrectPasswordAndAskForRehash(t *testing.T) {
	const salt = "a1b2c3"
	tests := []struct {
		name       string
		encryption int
		value      string // as in hm_accounts.accountpassword
		prefix     string
		correct    string
		wrong      string
	}{
		{"plain text", 0, "Tr0ub4dor&3", "{PLAIN}", "Tr0ub4dor&3", "tr0ub4dor&3"},
		{"plain text with spaces kept", 0, " pass word ", "{PLAIN}", " pass word ", "pass word"},
		{"md5 known vector", 2, "5f4dcc3b5aa765d61d8327deb882cf99", "{MD5}", "password", "Password"},
		{"md5 lower-case hex", 2, md5Hex("Tr0ub4dor&3"), "{MD5}", "Tr0ub4dor&3", "Tr0ub4dor&4"},
		{"md5 upper-case hex", 2, strings.ToUpper(md5Hex("Tr0ub4dor&3")), "{MD5}", "Tr0ub4dor&3", "Tr0ub4dor&4"},
		{"md5 surrounded by white space", 2, " " + md5Hex("pw") + "\n", "{MD5}", "pw", "pw "},
		{"sha256 salted", 3, salt + sha256Hex(salt+"Tr0ub4dor&3"), "{SHA256}", "Tr0ub4dor&3", "Tr0ub4dor&4"},
		{"sha256 upper-case digest", 3, salt + strings.ToUpper(sha256Hex(salt+"pässwörd")), "{SHA256}", "pässwörd", "passwörd"},
		{"sha256 upper-case salt", 3, "A1B2C3" + sha256Hex("A1B2C3"+"pw"), "{SHA256}", "pw", "PW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, err := FromLegacy(tt.encryption, tt.value)
			if err != nil {
				t.Fatalf("FromLegacy(%d, %q): %v", tt.encryption, tt.value, err)
			}
			if !strings.HasPrefix(stored, tt.prefix) {
				t.Fatalf("FromLegacy(%d, %q) = %q, want prefix %q", tt.encryption, tt.value, stored, tt.prefix)
			}
			if ok, rehash := Verify(stored, tt.correct); !ok || !rehash {
				t.Errorf("Verify(%q, correct) = (%v, %v), want (true, true)", stored, ok, rehash)
			}
			if ok, rehash := Verify(stored, tt.wrong); ok || rehash {
				t.Errorf("Verify(%q, wrong) = (%v, %v), want (false, false)", stored, ok, rehash)
			}
		})
	}
}

func TestVerifySHA256UsesTheSaltTextNotItsBytes(t *testing.T) {
	// Hashing the decoded salt bytes instead of its 6 characters is a
	// plausible mistake; a value made that way must not verify.
	const salt = "a1b2c3"
	raw, _ := hex.DecodeString(salt)
	wrongWay := sha256.Sum256(append(raw, "pw"...))
	stored := "{SHA256}" + salt + hex.EncodeToString(wrongWay[:])
	if ok, _ := Verify(stored, "pw"); ok {
		t.Errorf("Verify accepted a digest of the decoded salt bytes")
	}
}

func TestFromLegacyRejectsInvalidValues(t *testing.T) {
	hex64 := sha256Hex("x")
	tests := []struct {
		name       string
		encryption int
		value      string
		wantInErr  string
	}{
		{"unknown encryption", 4, "secret", "unknown"},
		{"negative encryption", -1, "secret", "unknown"},
		{"blowfish is not supported", 1, "0123456789abcdef", "Blowfish"},
		{"md5 empty", 2, "", "32 hexadecimal"},
		{"md5 too short", 2, md5Hex("x")[:31], "32 hexadecimal"},
		{"md5 too long", 2, md5Hex("x") + "0", "32 hexadecimal"},
		{"md5 not hex", 2, "zz" + md5Hex("x")[2:], "32 hexadecimal"},
		{"md5 is a plain password", 2, "secret", "32 hexadecimal"},
		{"sha256 without salt", 3, hex64, "70 hexadecimal"},
		{"sha256 one short", 3, "a1b2c" + hex64, "70 hexadecimal"},
		{"sha256 one long", 3, "a1b2c3d" + hex64, "70 hexadecimal"},
		{"sha256 salt not hex", 3, "a1b2cz" + hex64, "70 hexadecimal"},
		{"sha256 digest not hex", 3, "a1b2c3" + hex64[:63] + "g", "70 hexadecimal"},
		{"sha256 inner space", 3, "a1b2c3" + hex64[:32] + " " + hex64[33:], "70 hexadecimal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromLegacy(tt.encryption, tt.value)
			if err == nil {
				t.Fatalf("FromLegacy(%d, %q) = %q, want an error", tt.encryption, tt.value, got)
			}
			if got != "" {
				t.Errorf("FromLegacy returned %q along with an error", got)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantInErr)
			}
			if len(tt.value) >= 6 && strings.Contains(err.Error(), tt.value) {
				t.Errorf("error %q leaks the stored value", err)
			}
		})
	}
}

func TestVerifyBcryptAcceptsCorrectPasswordAndAsksForRehash(t *testing.T) {
	const pw = "bcrypt password"
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	base := string(h)
	if !strings.HasPrefix(base, "$2a$04$") {
		t.Fatalf("unexpected bcrypt output %q", base)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		stored := prefix + base[4:]
		t.Run(prefix, func(t *testing.T) {
			if ok, rehash := Verify(stored, pw); !ok || !rehash {
				t.Errorf("Verify(%q, correct) = (%v, %v), want (true, true)", stored, ok, rehash)
			}
			if ok, rehash := Verify(stored, pw+"!"); ok || rehash {
				t.Errorf("Verify(%q, wrong) = (%v, %v), want (false, false)", stored, ok, rehash)
			}
		})
	}
}

func TestVerifyBcryptRefusesPasswordsLongerThan72Bytes(t *testing.T) {
	// bcrypt ignores everything after byte 72, so a longer password would
	// otherwise match any password sharing its first 72 bytes.
	pw72 := strings.Repeat("a", 72)
	h, err := bcrypt.GenerateFromPassword([]byte(pw72), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := Verify(string(h), pw72); !ok {
		t.Errorf("72-byte password did not verify")
	}
	if ok, rehash := Verify(string(h), pw72+"b"); ok || rehash {
		t.Errorf("73-byte password sharing the first 72 bytes = (%v, %v), want (false, false)", ok, rehash)
	}
}

func TestVerifyArgon2idWithOtherParametersAcceptsAndAsksForRehash(t *testing.T) {
	const pw = "argon password"
	salt16 := []byte("0123456789abcdef")
	tests := []struct {
		name   string
		m, t   uint32
		p      uint8
		salt   []byte
		keyLen uint32
	}{
		{"less memory", 8192, 2, 1, salt16, 32},
		{"more memory", 47104, 1, 1, salt16, 32},
		{"more passes", 19456, 3, 1, salt16, 32},
		{"more lanes", 19456, 2, 4, salt16, 32},
		{"minimum memory for lanes", 32, 1, 4, salt16, 32},
		{"shorter salt", 19456, 2, 1, salt16[:8], 32},
		{"longer salt", 19456, 2, 1, append(salt16, salt16...), 32},
		{"shorter key", 19456, 2, 1, salt16, 16},
		{"longer key", 19456, 2, 1, salt16, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := phc(pw, tt.m, tt.t, tt.p, tt.salt, tt.keyLen)
			if ok, rehash := Verify(stored, pw); !ok || !rehash {
				t.Errorf("Verify(%q, correct) = (%v, %v), want (true, true)", stored, ok, rehash)
			}
			if ok, rehash := Verify(stored, pw+"x"); ok || rehash {
				t.Errorf("Verify(%q, wrong) = (%v, %v), want (false, false)", stored, ok, rehash)
			}
		})
	}
}

// malformedCases are stored values that must never verify. Where it
// matters they are derived from a valid argon2id hash of "password", so
// that they fail because of the defect and not because of the password.
func malformedCases(t testing.TB) []struct{ name, stored string } {
	const pw = "password"
	good := phc(pw, 19456, 2, 1, []byte("0123456789abcdef"), 32)
	if ok, _ := Verify(good, pw); !ok {
		t.Fatalf("base value %q does not verify", good)
	}
	f := strings.Split(good, "$") // "", "argon2id", "v=19", params, salt, key
	with := func(i int, v string) string {
		g := append([]string(nil), f...)
		g[i] = v
		return strings.Join(g, "$")
	}
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	bcs := string(bc)
	rawSHA256 := sha256.Sum256([]byte(pw))
	return []struct{ name, stored string }{
		{"empty", ""},
		{"unknown scheme", "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="},
		{"lower-case legacy prefix", "{md5}" + md5Hex(pw)},
		{"bare password", pw},

		{"argon2id prefix only", "$argon2id$"},
		{"argon2id truncated in key", good[:len(good)-1]},
		{"argon2id truncated in salt", good[:strings.LastIndex(good, "$")]},
		{"argon2id truncated in params", good[:len("$argon2id$v=19$m=19")]},
		{"argon2id extra field", good + "$"},
		{"argon2id trailing newline", good + "\n"},
		{"argon2i", with(1, "argon2i")},
		{"argon2id other version", with(2, "v=16")},
		{"argon2id missing version", strings.Replace(good, "$v=19", "", 1)},
		{"argon2id params out of order", with(3, "t=2,m=19456,p=1")},
		{"argon2id missing param", with(3, "m=19456,t=2")},
		{"argon2id extra param", with(3, "m=19456,t=2,p=1,keyid=abc")},
		{"argon2id param leading zero", with(3, "m=019456,t=2,p=1")},
		{"argon2id param plus sign", with(3, "m=+19456,t=2,p=1")},
		{"argon2id param negative", with(3, "m=19456,t=-2,p=1")},
		{"argon2id param empty", with(3, "m=,t=2,p=1")},
		{"argon2id param space", with(3, "m=19456, t=2,p=1")},
		{"argon2id huge memory", with(3, "m=4294967295,t=2,p=1")},
		{"argon2id memory overflowing uint32", with(3, "m=4294967296,t=2,p=1")},
		{"argon2id memory overflowing uint64", with(3, "m=99999999999999999999,t=2,p=1")},
		{"argon2id memory just over 1 GiB", with(3, "m=1048577,t=2,p=1")},
		{"argon2id memory below 8 per lane", with(3, "m=31,t=1,p=4")},
		{"argon2id zero memory", with(3, "m=0,t=2,p=1")},
		{"argon2id huge time", with(3, "m=19456,t=4294967295,p=1")},
		{"argon2id time over 100", with(3, "m=19456,t=101,p=1")},
		{"argon2id zero time", with(3, "m=19456,t=0,p=1")},
		{"argon2id lanes over 255", with(3, "m=19456,t=2,p=256")},
		{"argon2id zero lanes", with(3, "m=19456,t=2,p=0")},
		{"argon2id salt bad base64", with(4, "!"+f[4][1:])},
		{"argon2id salt padded", with(4, f[4]+"==")},
		{"argon2id salt url alphabet", with(4, strings.NewReplacer("+", "-", "/", "_").Replace(f[4])+"-_")},
		{"argon2id salt with line break", with(4, f[4][:4]+"\n"+f[4][4:])},
		{"argon2id salt impossible length", with(4, f[4][:21])},
		{"argon2id salt too short", with(4, base64.RawStdEncoding.EncodeToString([]byte("1234567")))},
		{"argon2id salt empty", with(4, "")},
		{"argon2id salt too long", with(4, strings.Repeat("A", 100000))},
		{"argon2id key bad base64", with(5, f[5][:42]+"*")},
		{"argon2id key non-zero trailing bits", with(5, f[5][:42]+string(nextB64(f[5][42])))},
		{"argon2id key too short", with(5, f[5][:len(f[5])/2])},
		{"argon2id key empty", with(5, "")},
		{"argon2id key of another password", with(5, strings.Split(phc("other", 19456, 2, 1, []byte("0123456789abcdef"), 32), "$")[5])},

		{"bcrypt truncated", bcs[:59]},
		{"bcrypt extended", bcs + "A"},
		{"bcrypt unknown minor version", "$2x$" + bcs[4:]},
		{"bcrypt cost above limit", bcs[:4] + "17" + bcs[6:]},
		{"bcrypt cost 31", bcs[:4] + "31" + bcs[6:]},
		{"bcrypt cost 99", bcs[:4] + "99" + bcs[6:]},
		{"bcrypt cost below minimum", bcs[:4] + "03" + bcs[6:]},
		{"bcrypt cost not digits", bcs[:4] + "1a" + bcs[6:]},
		{"bcrypt missing separator", bcs[:6] + "x" + bcs[7:]},
		{"bcrypt bad alphabet", bcs[:30] + "+" + bcs[31:]},

		{"plain empty text", "{PLAIN}"},
		{"md5 non-hex", "{MD5}" + "zz" + md5Hex(pw)[2:]},
		{"md5 short", "{MD5}" + md5Hex(pw)[:31]},
		{"md5 long", "{MD5}" + md5Hex(pw) + "0"},
		{"md5 with white space", "{MD5}" + md5Hex(pw) + " "},
		{"sha256 non-hex salt", "{SHA256}" + "a1b2cz" + sha256Hex("a1b2cz"+pw)},
		{"sha256 non-hex digest", "{SHA256}" + "a1b2c3" + sha256Hex("a1b2c3" + pw)[:63] + "x"},
		{"sha256 without salt", "{SHA256}" + sha256Hex(pw)},
		{"sha256 short", "{SHA256}" + "a1b2c3" + sha256Hex("a1b2c3" + pw)[:63]},
		{"sha256 unsalted base64 (Dovecot style)", "{SHA256}" + base64.StdEncoding.EncodeToString(rawSHA256[:])},
	}
}

// nextB64 returns a standard-base64 character that differs from c only in
// its lowest bit, which is never significant in the last character of a
// 32-byte value.
func nextB64(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.IndexByte(alphabet, c)
	return alphabet[i^1]
}

func TestVerifyRefusesMalformedStoredValues(t *testing.T) {
	for _, tt := range malformedCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			if ok, rehash := Verify(tt.stored, "password"); ok || rehash {
				t.Errorf("Verify(%q, \"password\") = (%v, %v), want (false, false)", tt.stored, ok, rehash)
			}
		})
	}
}

func TestVerifyRefusesExcessiveCostWithoutDoingTheWork(t *testing.T) {
	// A refused value must be refused before any memory is allocated for
	// hashing or any rounds are run; measure the bytes allocated.
	tests := []struct{ name, stored string }{
		{"argon2id m=4294967295", "$argon2id$v=19$m=4294967295,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"argon2id m just over 1 GiB", "$argon2id$v=19$m=1048577,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"argon2id t=4294967295", "$argon2id$v=19$m=19456,t=4294967295,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"argon2id p=256", "$argon2id$v=19$m=19456,t=2,p=256$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"argon2id huge key length", "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$" + strings.Repeat("A", 1<<20)},
		{"bcrypt cost 31", "$2a$31$abcdefghijklmnopqrstuu5eOBsBoSKGnlEAUMqvhrbg8Lx.ZeQZa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ok, rehash := Verify(tt.stored, "password")
			runtime.ReadMemStats(&after)
			if ok || rehash {
				t.Errorf("Verify = (%v, %v), want (false, false)", ok, rehash)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
				t.Errorf("Verify allocated %d bytes refusing the value, want under 64 KiB", n)
			}
		})
	}
}

func TestFuzzSeedCorpusIsMeaningful(t *testing.T) {
	// The committed seeds must stay readable, cover every scheme, and the
	// ones named *_match must really match (so the fuzzer starts from
	// inputs that reach the full comparison, not only the parsers).
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	schemes := map[string]bool{"$argon2id$": false, "$2a$": false, "$2y$": false, "{PLAIN}": false, "{MD5}": false, "{SHA256}": false}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != 3 || lines[0] != "go test fuzz v1" {
				t.Fatalf("not a two-string corpus file: %q", data)
			}
			var args [2]string
			for i, l := range lines[1:] {
				lit, found := strings.CutPrefix(l, "string(")
				lit, found2 := strings.CutSuffix(lit, ")")
				if args[i], err = strconv.Unquote(lit); !found || !found2 || err != nil {
					t.Fatalf("line %q is not a string(...) literal", l)
				}
			}
			for prefix := range schemes {
				if strings.HasPrefix(args[0], prefix) {
					schemes[prefix] = true
				}
			}
			ok, _ := Verify(args[0], args[1])
			if want := strings.HasSuffix(e.Name(), "_match"); ok != want {
				t.Errorf("Verify(%q, %q) = %v, want %v", args[0], args[1], ok, want)
			}
		})
	}
	for prefix, seen := range schemes {
		if !seen {
			t.Errorf("no seed for %s", prefix)
		}
	}
}

func FuzzVerify(f *testing.F) {
	// The seed corpus in testdata/fuzz/FuzzVerify covers every scheme;
	// these add the malformed cases of the unit tests.
	for _, c := range malformedCases(f) {
		f.Add(c.stored, "password")
	}
	f.Fuzz(func(t *testing.T, stored, plain string) {
		if tooSlowToFuzz(stored) {
			// Well-formed but costly: the parsers have accepted it, and
			// the hashing that would follow is the same code the cheap
			// inputs exercise, only slower. Computing it would stall the
			// fuzzer for seconds per input.
			return
		}
		ok, rehash := Verify(stored, plain)
		if rehash && !ok {
			t.Errorf("Verify(%q, %q) asked for a rehash without a match", stored, plain)
		}
		if ok && plain == "" {
			t.Errorf("Verify(%q, \"\") accepted an empty password", stored)
		}
	})
}

// tooSlowToFuzz reports whether stored is a well-formed hash whose cost is
// well above the default's (up to the limits Verify accepts, which can take
// seconds or minutes per check).
func tooSlowToFuzz(stored string) bool {
	if h, ok := parseArgon2id(stored); ok {
		return uint64(h.params.memoryKiB)*uint64(h.params.time) > 2*defaultMemoryKiB*defaultTime
	}
	if validBcrypt(stored) {
		return stored[4:6] > "06"
	}
	return false
}
