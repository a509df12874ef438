// Package access holds what staff sign in with and stay signed in by: the
// 6-digit codes emailed to allow-listed addresses, and sessions, whose
// random ids live in a cookie and only as hashes in the store; and the audit
// trail of who opened or changed which lead (audit.go). It holds no storage
// and no HTTP handling of its own.
package access

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The rules of sign-in codes.
const (
	// CodeDigits is how long a code is.
	CodeDigits = 6
	// CodeTTL is how long a code works after it is sent.
	CodeTTL = 10 * time.Minute
	// MaxTries is how many codes may be entered against one code, right or
	// wrong: after that many wrong ones it is locked.
	MaxTries = 5
	// CodesPerHour is how many codes one address may be sent an hour from
	// one client (an IPv6 /64), and CodesPerAddressHour from all clients:
	// a stranger who knows a staff address cannot use up its codes from
	// one place.
	CodesPerHour        = 5
	CodesPerAddressHour = 20
)

var (
	// ErrNoCode: the address has no code that still works (none was sent,
	// it expired, or it was used).
	ErrNoCode = errors.New("no sign-in code")
	// ErrLocked: the code took MaxTries tries.
	ErrLocked = errors.New("sign-in code locked")
	// ErrNoSession: no such session, or it has ended.
	ErrNoSession = errors.New("no session")
)

// Code is a sign-in code as stored: never the code itself, only its keyed
// hash (Digest).
type Code struct {
	// Email is the allow-listed address, as NormalizeEmail left it.
	Email   string
	Digest  string
	Tries   int
	Expires time.Time
}

// NewCode returns a random code of CodeDigits digits.
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("new sign-in code: %w", err)
	}
	return fmt.Sprintf("%06d", n), nil
}

// CodeDigest is the keyed hash a code is stored as, for one address.
func CodeDigest(key []byte, email, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("signin-code\x00" + email + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// CodeMatches reports whether code is the one c was made from.
func CodeMatches(key []byte, c Code, code string) bool {
	return hmac.Equal([]byte(c.Digest), []byte(CodeDigest(key, c.Email, code)))
}

// CleanCode reads what staff typed as a code: digits, ignoring spaces and
// dashes; "" unless it has CodeDigits of them.
func CleanCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) != CodeDigits || strings.Trim(s, "0123456789") != "" {
		return ""
	}
	return s
}

// NormalizeEmail is an address as allow-lists are compared: trimmed and
// lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Listed finds email on the allow-list, compared normalized, and returns
// the list's entry as configured: codes go to that exact address, which is
// what the template's ses:Recipients names.
func Listed(list []string, email string) (string, bool) {
	email = NormalizeEmail(email)
	if email == "" {
		return "", false
	}
	i := slices.IndexFunc(list, func(a string) bool { return NormalizeEmail(a) == email })
	if i < 0 {
		return "", false
	}
	return strings.TrimSpace(list[i]), true
}

// Session is a signed-in browser, as stored: by the hash of its id.
type Session struct {
	// Hash is IDHash of the id in the cookie.
	Hash string
	// Email is the staff member who signed in; "" for a session an emailed
	// link started.
	Email string
	// Scopes are what a session from emailed links may open (a lead's id,
	// or HeldScope), each until its own end: the expiry of the link that
	// opened it. Empty for a signed-in staff member, who may open any.
	Scopes map[string]time.Time
	// Created is when it started; Expires when it ends unless used again
	// (a signed-in one slides by the session TTL on use, never past
	// Created plus the session maximum).
	Created, Expires time.Time
}

// SignedIn reports whether s belongs to staff who signed in with a code
// (not a session an emailed link started).
func (s Session) SignedIn() bool { return s.Email != "" }

// May reports whether s may open scope at now: a lead's id, or HeldScope
// for the held requests.
func (s Session) May(scope string, now time.Time) bool {
	if s.SignedIn() {
		return true
	}
	end, ok := s.Scopes[scope]
	return ok && now.Before(end)
}

// LongestSession bounds STAFF_SESSION_MAX: no session lasts longer after
// it started, so what ends the sessions started before a time need be kept
// no longer than this after it.
const LongestSession = 90 * 24 * time.Hour

// HeldScope, among a session's Leads, lets a session the digest's link
// started review held requests. Lead ids are UUIDs, so it is never one.
const HeldScope = "held-review"

// NewSessionID returns a random session id (256 bits, base64url).
func NewSessionID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// IDHash is how a session id is stored: SHA-256, hex. The id is 256 random
// bits, so a plain hash is as strong as a keyed one.
func IDHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// CookieName is the session cookie: __Host- binds it to the exact host,
// over HTTPS, for every path. Browsers treat 127.0.0.1 and localhost as
// secure, so make dev uses the same cookie over plain HTTP.
const CookieName = "__Host-staff-session"

// Cookie is the Set-Cookie value handing the browser session id for the
// time the session has left in the store: a persistent cookie (Max-Age, in
// whole seconds, at least 1), so a shared desk's browser keeps it across
// restarts for as long as the session lasts, and no longer. Sent again
// whenever the session's end moves on.
func Cookie(id string, left time.Duration) string {
	secs := int((left + time.Second - 1) / time.Second)
	c := http.Cookie{Name: CookieName, Value: id, Path: "/", MaxAge: max(secs, 1), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	return c.String()
}

// ClearCookie is the Set-Cookie value ending the session cookie.
func ClearCookie() string {
	c := http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	return c.String()
}

// SessionID finds the session id among a request's cookies: API Gateway's
// HTTP API passes them as a list of "name=value" strings.
func SessionID(cookies []string) string {
	for _, line := range cookies {
		cs, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cs {
			if c.Name == CookieName && c.Value != "" {
				return c.Value
			}
		}
	}
	return ""
}

// FormToken is the token a page's forms carry for session hash on subject
// (a lead id, or "signout"): a form another page made, or one made for
// another session, is refused.
func FormToken(key []byte, hash, subject string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("form\x00" + hash + "\x00" + subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// FormTokenOK reports whether token is FormToken(key, hash, subject).
func FormTokenOK(key []byte, hash, subject, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(FormToken(key, hash, subject)))
}
