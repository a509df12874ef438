package access

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != CodeDigits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("code %q: want %d digits", c, CodeDigits)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Errorf("%d distinct codes in 200: not random", len(seen))
	}
	c := Code{Email: "desk@example-clinic.com", Digest: CodeDigest(key, "desk@example-clinic.com", "123456"), Expires: time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC)}
	if strings.Contains(c.Digest, "123456") || len(c.Digest) != 64 {
		t.Errorf("digest %q: want 64 hex digits that do not hold the code", c.Digest)
	}
	for code, want := range map[string]bool{"123456": true, "123457": false, "": false, "12345": false} {
		if got := CodeMatches(key, c, code); got != want {
			t.Errorf("CodeMatches(%q) = %v, want %v", code, got, want)
		}
	}
	if CodeMatches([]byte("another key another key another k"), c, "123456") {
		t.Error("a code matches under another key")
	}
	if other := (Code{Email: "owner@example-clinic.com", Digest: c.Digest}); CodeMatches(key, other, "123456") {
		t.Error("a code matches for another address")
	}
	// A code not sent yet (or never: an address not on the list) has no
	// digest, which nothing typed matches.
	for _, code := range []string{"", "123456", "000000"} {
		if CodeMatches(key, Code{Email: c.Email, Send: true}, code) {
			t.Errorf("%q matches a code with no digest", code)
		}
	}
}

func TestCleanCode(t *testing.T) {
	for in, want := range map[string]string{
		"123456": "123456", " 123 456 ": "123456", "123-456": "123456",
		"12345": "", "1234567": "", "12345a": "", "１２３４５６": "", "": "", "123\n456": "",
	} {
		if got := CleanCode(in); got != want {
			t.Errorf("CleanCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListed(t *testing.T) {
	list := []string{" FrontDesk@Example-Clinic.com", "owner@example-clinic.com"}
	for email, want := range map[string]string{
		"frontdesk@example-clinic.com": "FrontDesk@Example-Clinic.com", " FRONTDESK@example-clinic.com ": "FrontDesk@Example-Clinic.com",
		"owner@example-clinic.com": "owner@example-clinic.com",
		"desk@example-clinic.com":  "", "": "", "frontdesk@example-clinic.com.evil": "",
	} {
		if got, ok := Listed(list, email); got != want || ok != (want != "") {
			t.Errorf("Listed(%q) = %q, %v; want %q", email, got, ok, want)
		}
	}
	if _, ok := Listed([]string{""}, ""); ok {
		t.Error("an empty address is listed")
	}
	if _, ok := Listed(nil, "owner@example-clinic.com"); ok {
		t.Error("an empty list lists someone")
	}
}

func TestSessions(t *testing.T) {
	id, err := NewSessionID()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSessionID()
	if len(id) != 43 || id == other {
		t.Errorf("ids %q, %q: want 43 base64url characters, random", id, other)
	}
	if h := IDHash(id); len(h) != 64 || strings.Contains(h, id) || h == IDHash(other) {
		t.Errorf("hash %q", h)
	}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	staff := Session{Email: "desk@example-clinic.com"}
	// Each lead until its own link's end: b's has passed.
	link := Session{Scopes: map[string]time.Time{"a": now.Add(time.Hour), "b": now}}
	if !staff.SignedIn() || link.SignedIn() || !staff.May("z", now) || !link.May("a", now) || link.May("b", now) || link.May("c", now) {
		t.Error("who may open what")
	}
	if !link.May("b", now.Add(-time.Second)) || link.May("a", now.Add(time.Hour)) {
		t.Error("a lead's access does not end with its own link")
	}
	held := Session{Scopes: map[string]time.Time{HeldScope: now.Add(time.Hour)}}
	if !held.May(HeldScope, now) || link.May(HeldScope, now) || !staff.May(HeldScope, now) || held.May("a", now) {
		t.Error("who may review the held requests")
	}
}

func TestCookies(t *testing.T) {
	for left, maxAge := range map[time.Duration]int{12 * time.Hour: 43200, 1500 * time.Millisecond: 2, time.Millisecond: 1, -time.Second: 1} {
		c, err := http.ParseSetCookie(Cookie("abc", left))
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "__Host-staff-session" || c.Value != "abc" || c.Path != "/" || c.Domain != "" || !c.Secure || !c.HttpOnly ||
			c.SameSite != http.SameSiteLaxMode || c.MaxAge != maxAge {
			t.Errorf("session cookie for %s %+v: want __Host-, Path=/, no Domain, Secure, HttpOnly, SameSite=Lax, Max-Age=%d: kept across browser restarts for the session's time", left, c, maxAge)
		}
	}
	gone, _ := http.ParseSetCookie(ClearCookie())
	if gone.Name != CookieName || gone.Value != "" || gone.MaxAge >= 0 || !gone.Secure || gone.Path != "/" {
		t.Errorf("clearing cookie %+v", gone)
	}
	for _, tt := range []struct {
		cookies []string
		want    string
	}{
		{[]string{"theme=dark", CookieName + "=abc"}, "abc"},
		{[]string{"theme=dark; " + CookieName + "=abc"}, "abc"},
		{[]string{"staff-session=abc"}, ""}, // without the prefix: another cookie
		{[]string{CookieName + "="}, ""},
		{[]string{"\x00bad"}, ""},
		{nil, ""},
	} {
		if got := SessionID(tt.cookies); got != tt.want {
			t.Errorf("SessionID(%q) = %q, want %q", tt.cookies, got, tt.want)
		}
	}
}

func TestFormTokens(t *testing.T) {
	tok := FormToken(key, "hash1", "lead-a")
	if !FormTokenOK(key, "hash1", "lead-a", tok) {
		t.Fatal("its own token refused")
	}
	for name, ok := range map[string]bool{
		"another session": FormTokenOK(key, "hash2", "lead-a", tok),
		"another lead":    FormTokenOK(key, "hash1", "lead-b", tok),
		"another key":     FormTokenOK([]byte("another key another key another k"), "hash1", "lead-a", tok),
		"empty":           FormTokenOK(key, "hash1", "lead-a", ""),
		"truncated":       FormTokenOK(key, "hash1", "lead-a", tok[:len(tok)-1]),
	} {
		if ok {
			t.Errorf("%s: taken", name)
		}
	}
}

func TestDeviceTokens(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	d := Device{ID: "device-1", Expires: now.Add(DeviceTTL)}
	const email = "frontdesk@example-clinic.com"
	tok := DeviceToken(key, email, d)
	if got, ok := DeviceFor(key, tok, email, now); !ok || got != d {
		t.Fatalf("its own token: %+v, %v", got, ok)
	}
	if strings.Contains(tok, "frontdesk") {
		t.Errorf("the token shows the address: %q", tok)
	}
	other := DeviceToken(key, email, Device{ID: "device-1", Expires: now.Add(2 * DeviceTTL)})
	for name, token := range map[string]string{
		"tampered":       tok[:len(tok)-1] + "x",
		"a moved end":    strings.Replace(tok, strconv.FormatInt(d.Expires.Unix(), 10), strconv.FormatInt(d.Expires.Unix()+1, 10), 1),
		"empty":          "",
		"no parts":       "abc",
		"another's end":  strings.SplitN(tok, ".", 3)[0] + "." + strings.SplitN(other, ".", 3)[1] + "." + strings.SplitN(tok, ".", 3)[2],
		"another key":    DeviceToken([]byte("another key another key another k"), email, d),
		"another person": DeviceToken(key, "owner@example-clinic.com", d),
	} {
		if _, ok := DeviceFor(key, token, email, now); ok {
			t.Errorf("%s: taken", name)
		}
	}
	if _, ok := DeviceFor(key, tok, email, d.Expires); ok {
		t.Error("taken at its end")
	}
}

func TestCodeCookies(t *testing.T) {
	id, err := NewSessionID()
	if err != nil {
		t.Fatal(err)
	}
	c, err := http.ParseSetCookie(CodeCookie(id))
	if err != nil || c.Name != "__Host-signin-code" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 600 {
		t.Errorf("code cookie %+v, %v", c, err)
	}
	for _, tt := range []struct {
		cookies []string
		want    string
	}{
		{[]string{CodeCookieName + "=" + id}, id},
		{[]string{"theme=dark; " + CodeCookieName + "=" + id}, id},
		{[]string{CodeCookieName + "=short"}, ""}, // not an id NewSessionID makes
		{[]string{CookieName + "=" + id}, ""},
		{nil, ""},
	} {
		if got := CodeBrowser(tt.cookies); got != tt.want {
			t.Errorf("CodeBrowser(%q) = %q, want %q", tt.cookies, got, tt.want)
		}
	}
	d, err := http.ParseSetCookie(DeviceCookie("tok", time.Unix(1000+int64(DeviceTTL/time.Second), 0), time.Unix(1000, 0)))
	if err != nil || d.Name != "__Host-staff-device" || !d.Secure || !d.HttpOnly || d.SameSite != http.SameSiteLaxMode || d.Path != "/" || d.MaxAge != 15552000 {
		t.Errorf("device cookie %+v, %v", d, err)
	}
}
