// Package password hashes and verifies the passwords of fusion's users with
// Argon2id, stored as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// where salt and hash are unpadded standard base64. New hashes use the
// OWASP Password Storage Cheat Sheet's first Argon2id configuration (19 MiB
// of memory, 2 passes, 1 lane), a 16-byte random salt and a 32-byte key.
// Verification reads the parameters from the stored string, so hashes made
// with other parameters keep verifying; Parse bounds them so that a stored
// string cannot make verification use unbounded memory or time.
//
// SPEC: https://www.rfc-editor.org/rfc/rfc9106 (Argon2)
// SPEC: https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md
// SPEC: https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"fusion/internal/intel"
)

// The parameters new hashes are made with.
const (
	// Memory is the memory cost in KiB (19 MiB).
	Memory = 19456
	// Time is the number of passes over the memory.
	Time = 2
	// Threads is the degree of parallelism (lanes).
	Threads = 1
	// SaltLen and KeyLen are the salt and derived key lengths in bytes.
	SaltLen = 16
	KeyLen  = 32
)

// Bounds on what a user may choose as a password, in characters.
const (
	MinLength = 12
	MaxLength = 1024
)

// Bounds Parse accepts for a stored hash's parameters.
const (
	maxMemory  = 1 << 20 // 1 GiB
	maxTime    = 16
	maxThreads = 16
	minSalt    = 8
	maxSalt    = 64
	minKey     = 16
	maxKey     = 64
)

// Params are the Argon2id parameters of one hash.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default is the parameter set new hashes use.
var Default = Params{Memory: Memory, Time: Time, Threads: Threads}

// Hash is a parsed PHC string.
type Hash struct {
	Params
	Salt, Key []byte
}

// String returns the hash in PHC string format.
func (h Hash) String() string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Threads,
		enc.EncodeToString(h.Salt), enc.EncodeToString(h.Key))
}

// Check returns an error naming the password field unless password is
// acceptable for the user login: valid UTF-8, MinLength to MaxLength
// characters, and not the login name itself (compared without case).
func Check(login, password string) error {
	if !utf8.ValidString(password) {
		return &intel.FieldError{Field: "password", Reason: "not valid UTF-8"}
	}
	n := utf8.RuneCountInString(password)
	if n < MinLength {
		return &intel.FieldError{Field: "password", Reason: fmt.Sprintf("%d characters; at least %d are needed", n, MinLength)}
	}
	if n > MaxLength {
		return &intel.FieldError{Field: "password", Reason: fmt.Sprintf("%d characters; at most %d are allowed", n, MaxLength)}
	}
	if strings.EqualFold(password, login) {
		return &intel.FieldError{Field: "password", Reason: "the same as the login name"}
	}
	return nil
}

// New hashes password with the Default parameters and a fresh random salt
// and returns the PHC string. It does not apply Check.
func New(password string) (string, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return derive(Default, salt, KeyLen, password).String(), nil
}

func derive(p Params, salt []byte, keyLen int, password string) Hash {
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(keyLen))
	return Hash{Params: p, Salt: salt, Key: key}
}

// Verify reports whether password matches the PHC string phc, comparing
// the derived keys in constant time. An error means phc is not a hash this
// package can verify.
func Verify(phc, password string) (bool, error) {
	h, err := Parse(phc)
	if err != nil {
		return false, err
	}
	got := derive(h.Params, h.Salt, len(h.Key), password)
	return subtle.ConstantTimeCompare(got.Key, h.Key) == 1, nil
}

// Parse reads an Argon2id PHC string: algorithm argon2id, version 19,
// parameters m, t and p in that order, salt and key in unpadded standard
// base64, each within the bounds this package verifies.
func Parse(phc string) (Hash, error) {
	var h Hash
	bad := func(reason string) (Hash, error) {
		return Hash{}, fmt.Errorf("password hash: %s", reason)
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("not a PHC string of the form $argon2id$v=19$m=M,t=T,p=P$SALT$HASH")
	}
	if parts[1] != "argon2id" {
		return bad(fmt.Sprintf("algorithm %q, want argon2id", parts[1]))
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad(fmt.Sprintf("version %q, want v=%d", parts[2], argon2.Version))
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return bad(fmt.Sprintf("parameters %q, want m=M,t=T,p=P", parts[3]))
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(params[i], name+"=")
		if !ok {
			return bad(fmt.Sprintf("parameter %d is %q, want %s=N", i+1, params[i], name))
		}
		// Decimal digits only, no sign, no leading zero (PHC).
		if v == "" || (len(v) > 1 && v[0] == '0') || strings.TrimLeft(v, "0123456789") != "" {
			return bad(fmt.Sprintf("parameter %s=%q is not a decimal number", name, v))
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad(fmt.Sprintf("parameter %s=%q is out of range", name, v))
		}
		vals[i] = n
	}
	h.Memory, h.Time = uint32(vals[0]), uint32(vals[1])
	switch {
	case vals[2] < 1 || vals[2] > maxThreads:
		return bad(fmt.Sprintf("p=%d, want 1 to %d", vals[2], maxThreads))
	case vals[1] < 1 || vals[1] > maxTime:
		return bad(fmt.Sprintf("t=%d, want 1 to %d", vals[1], maxTime))
	case vals[0] < 8*vals[2] || vals[0] > maxMemory:
		return bad(fmt.Sprintf("m=%d, want %d to %d KiB", vals[0], 8*vals[2], maxMemory))
	}
	h.Threads = uint8(vals[2])
	var err error
	if h.Salt, err = decode64(parts[4]); err != nil {
		return bad(fmt.Sprintf("salt %q is not unpadded base64", parts[4]))
	}
	if len(h.Salt) < minSalt || len(h.Salt) > maxSalt {
		return bad(fmt.Sprintf("salt of %d bytes, want %d to %d", len(h.Salt), minSalt, maxSalt))
	}
	if h.Key, err = decode64(parts[5]); err != nil {
		return bad(fmt.Sprintf("hash %q is not unpadded base64", parts[5]))
	}
	if len(h.Key) < minKey || len(h.Key) > maxKey {
		return bad(fmt.Sprintf("hash of %d bytes, want %d to %d", len(h.Key), minKey, maxKey))
	}
	return h, nil
}

// decode64 decodes unpadded standard base64 with no character outside its
// alphabet: package base64 skips carriage returns and newlines, which would
// give one hash many spellings.
func decode64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil, fmt.Errorf("byte %d (%q) is not in the base64 alphabet", i, c)
		}
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}
