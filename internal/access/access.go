// Package access holds what staff sign in with and stay signed in by: the
// 6-digit codes emailed to allow-listed addresses, each bound to the
// browser that asked by a cookie, and the limits on them; device cookies,
// which keep a staff member's own browser clear of the limits strangers can
// use up; sessions, whose random ids live in a cookie and only as hashes in
// the store; and the audit
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
	"strconv"
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
	// TriesPerClientHour is how many codes one client (an IPv6 /64) may
	// enter an hour, for any addresses, from browsers without a device
	// cookie for the address they enter.
	TriesPerClientHour = 20
	// BurstWindow is how long a burst of wrong codes for one address is:
	// the audit trail records its first failed code, not every one.
	BurstWindow = 15 * time.Minute
	// DeviceTTL is how long a device cookie lasts: a browser that signs in
	// again gets a new one.
	DeviceTTL = 180 * 24 * time.Hour
)

// AddressTries are the limits on codes entered for one address from
// browsers without a device cookie for it, every client together: each
// further try waits longer (10 in 10 minutes, 20 in an hour, 30 in a day),
// so a stranger's guesses slow to a crawl, while a staff member's own
// browser, holding its device cookie, is never held back by them.
var AddressTries = []struct {
	Count  int
	Window time.Duration
}{{10, 10 * time.Minute}, {20, time.Hour}, {30, 24 * time.Hour}}

// DeviceTriesHour is how many codes a browser with a device cookie for an
// address may enter for it an hour: its own limit, which nobody else's
// tries use up.
const DeviceTriesHour = 10

// Unlisted is the actor of the audit entry for a burst of wrong codes
// entered for an address not on the allow-list: never the address itself.
const Unlisted = "an address not on the list"

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
// hash (Digest). The email step stores it without one; notify, off the
// request path, makes the code, stores its hash and emails it.
type Code struct {
	// Email is the address, as NormalizeEmail left it.
	Email string
	// Browser is IDHash of the code cookie of the browser that asked for
	// it: the code works only from that browser, and each browser's code
	// for an address is its own. "" only in codes stored by 1.0.x, which
	// no browser can use.
	Browser string
	// Digest is the keyed hash of the code (CodeDigest): "" until notify
	// has made the code and emailed it, and for ever for an address not on
	// the list, which no typed code matches.
	Digest string
	// Send says a code is owed to the address: true from the email step,
	// for a listed address only, until notify makes the code, stores its
	// Digest and emails it (the table's stream carries the item to notify).
	Send    bool
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

// PurposeCode is the purpose of the key, derived from the link secret,
// that sign-in codes' digests are made with (and sign-in's counters keyed):
// notify stores a code's digest with it, staff checks codes against it.
const PurposeCode = "signin-code"

// CodeDigest is the keyed hash a code is stored as, for one address.
func CodeDigest(key []byte, email, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("signin-code\x00" + email + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// CodeMatches reports whether code is the one c was made from: never for
// a code with no digest (none was sent: an address not on the list, or an
// email not yet gone out).
func CodeMatches(key []byte, c Code, code string) bool {
	return c.Digest != "" && hmac.Equal([]byte(c.Digest), []byte(CodeDigest(key, c.Email, code)))
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
func SessionID(cookies []string) string { return cookieValue(cookies, CookieName) }

// CodeCookieName is the cookie binding a sign-in code to the browser that
// asked for it: a random id (NewSessionID) whose hash keys the code.
const CodeCookieName = "__Host-signin-code"

// CodeCookie is the Set-Cookie value handing the browser its code id for as
// long as a code works. SameSite=Strict: only the sign-in page's own form
// sends it.
func CodeCookie(id string) string {
	c := http.Cookie{Name: CodeCookieName, Value: id, Path: "/", MaxAge: int(CodeTTL / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	return c.String()
}

// ClearCodeCookie is the Set-Cookie value ending the code cookie, once its
// code was spent.
func ClearCodeCookie() string {
	c := http.Cookie{Name: CodeCookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	return c.String()
}

// CodeBrowser finds the browser's code id among a request's cookies; ""
// when it has none (or one that is no id NewSessionID could have made).
func CodeBrowser(cookies []string) string {
	id := cookieValue(cookies, CodeCookieName)
	if b, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(b) != 32 {
		return ""
	}
	return id
}

// DeviceCookieName is the device cookie: a browser that signed in as an
// address keeps it, so the per-address limits on codes and tries, which a
// stranger can use up, never hold that browser back (OWASP's "Slow Down
// Online Guessing Attacks with Device Cookies").
const DeviceCookieName = "__Host-staff-device"

// Device is a device cookie's value as read: its random id and end.
type Device struct {
	ID      string
	Expires time.Time
}

// DeviceToken is the device cookie's value for email: a random id, its end,
// and a MAC over both and the address, made with a key for the device
// cookie's purpose. The address itself is not in it.
func DeviceToken(key []byte, email string, d Device) string {
	exp := strconv.FormatInt(d.Expires.Unix(), 10)
	return d.ID + "." + exp + "." + deviceMAC(key, email, d.ID, exp)
}

func deviceMAC(key []byte, email, id, exp string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("device\x00" + email + "\x00" + id + "\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// DeviceFor reads token as a device cookie for email made with key, and
// reports whether it is one and has not ended at now.
func DeviceFor(key []byte, token, email string, now time.Time) (Device, bool) {
	id, rest, ok := strings.Cut(token, ".")
	exp, mac, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || id == "" {
		return Device{}, false
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !hmac.Equal([]byte(mac), []byte(deviceMAC(key, email, id, exp))) {
		return Device{}, false
	}
	d := Device{ID: id, Expires: time.Unix(secs, 0).UTC()}
	return d, d.Expires.After(now)
}

// DeviceCookie is the Set-Cookie value handing the browser token until
// expires, from now.
func DeviceCookie(token string, expires, now time.Time) string {
	secs := int(expires.Sub(now) / time.Second)
	c := http.Cookie{Name: DeviceCookieName, Value: token, Path: "/", MaxAge: max(secs, 1), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	return c.String()
}

// DeviceCookieValue finds the device cookie's value among a request's cookies.
func DeviceCookieValue(cookies []string) string { return cookieValue(cookies, DeviceCookieName) }

// cookieValue finds the named cookie's value among a request's cookies.
func cookieValue(cookies []string, name string) string {
	for _, line := range cookies {
		cs, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cs {
			if c.Name == name && c.Value != "" {
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
