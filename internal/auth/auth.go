// Package auth holds the rules of accounts: roles, password and token
// hashing, and the sign-in lockout policy. It keeps no state; the store
// persists accounts and the web package enforces the rules.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Roles, from least to most privileged.
const (
	RoleViewer = "viewer"
	RoleEditor = "editor"
	RoleAdmin  = "admin"
)

var rank = map[string]int{RoleViewer: 1, RoleEditor: 2, RoleAdmin: 3}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return rank[r] > 0 }

// Allows reports whether role have may do what role need may.
func Allows(have, need string) bool { return rank[have] > 0 && rank[have] >= rank[need] }

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// ErrWeakPassword is returned for a password that is too short.
var ErrWeakPassword = fmt.Errorf("a password needs at least %d characters", MinPasswordLength)

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return "", ErrWeakPassword
	}
	if len(pw) > 72 {
		return "", errors.New("a password can have at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches the hash.
func CheckPassword(hash, pw string) bool {
	if hash == "" {
		// Spend the same time as a real check, so a missing account does
		// not answer faster than a wrong password.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

var dummyHash = []byte("$2a$10$QSzBln251fmtT4oXO5cUX.RIsxZHXd2FK9n86zH5s1sBFOTIaVRq2")

// TokenPrefix starts every API token, so a leaked one is recognisable.
const TokenPrefix = "pd_"

// NewToken returns a new API token and the hash under which it is stored.
func NewToken() (plain, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("auth: %w", err)
	}
	plain = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), nil
}

// HashToken is the stored form of a token: tokens are long and random, so
// a plain SHA-256 is enough and lets the token be looked up.
func HashToken(plain string) string {
	s := sha256.Sum256([]byte(strings.TrimSpace(plain)))
	return hex.EncodeToString(s[:])
}

// SameHash compares two hashes in constant time.
func SameHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// NewPassword returns a random password for an account created without one.
func NewPassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Lockout policy: after FreeAttempts failures in a row, an account is
// locked for a time that doubles with each further failure, up to MaxLock.
const (
	FreeAttempts = 5
	FirstLock    = 30 * time.Second
	MaxLock      = 15 * time.Minute
)

// LockFor is how long an account stays locked after its failures-th
// failure in a row (zero while under the free attempts).
func LockFor(failures int) time.Duration {
	if failures < FreeAttempts {
		return 0
	}
	d := FirstLock
	for i := FreeAttempts; i < failures && d < MaxLock; i++ {
		d *= 2
	}
	if d > MaxLock {
		d = MaxLock
	}
	return d
}
