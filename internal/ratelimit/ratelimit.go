// Package ratelimit holds the per-client submission limit: its setting, and
// the counter key a client's requests are charged to; and the counters one
// limit shares between every client (ALERT_LIMIT's clinic-wide budget).
package ratelimit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ErrLimited: the client has used up its requests for the current window.
var ErrLimited = errors.New("rate limit exceeded")

// Limit is at most Count requests per client in each Window. The zero Limit
// disables limiting.
type Limit struct {
	Count  int
	Window time.Duration
}

// Enabled reports whether the limit applies at all.
func (l Limit) Enabled() bool { return l.Count > 0 }

// Parse reads "N/duration" such as "5/1h" or "20/10m"; "0" disables.
func Parse(s string) (Limit, error) {
	if strings.TrimSpace(s) == "0" {
		return Limit{}, nil
	}
	count, window, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return Limit{}, fmt.Errorf("want a count and a window such as 5/1h, or 0 to disable, got %q", s)
	}
	d, err := time.ParseDuration(window)
	if err != nil || d < time.Second {
		return Limit{}, fmt.Errorf("want a window of at least 1s such as 1h, got %q", window)
	}
	return Limit{Count: n, Window: d}, nil
}

// Charge is one request counted against a client's window.
type Charge struct {
	// Key names the client's counter for this window. It holds a salted
	// hash of the client's address, never the address itself.
	Key string
	// Limit is how many requests the window allows.
	Limit int
	// Until is when the window ends: when the counter may go, and when the
	// client may try again.
	Until time.Time
}

// RetryAfter is how long a client over its limit should wait, in whole
// seconds, at least one.
func (c Charge) RetryAfter(now time.Time) int {
	s := int(c.Until.Sub(now).Seconds() + 0.999)
	return max(s, 1)
}

// ChargeFor names the counter for client in the window holding now. Windows
// are fixed (time.Truncate), so every instance of the function agrees on them.
func (l Limit) ChargeFor(salt []byte, client string, now time.Time) Charge {
	start := now.Truncate(l.Window)
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(Client(client)))
	return Charge{
		Key:   hex.EncodeToString(mac.Sum(nil)[:16]) + "#" + strconv.FormatInt(start.Unix(), 10),
		Limit: l.Count,
		Until: start.Add(l.Window),
	}
}

// Client is who an address is counted as: an IPv4 address itself, an IPv6
// address by its /64 (one household or phone is given a whole /64, so
// counting each address would let one client take 2^64 of them), an
// IPv4-mapped IPv6 address as its IPv4 address. Anything else counts as
// written.
func Client(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
}

// Shared names the one counter every request in the window holding now is
// charged to, whoever sent it: name and the window's start, such as
// "alerts#1796212800" (ALERT_LIMIT's clinic-wide budget). Windows are fixed,
// as ChargeFor's.
func (l Limit) Shared(name string, now time.Time) Charge {
	start := now.Truncate(l.Window)
	return Charge{Key: name + "#" + strconv.FormatInt(start.Unix(), 10), Limit: l.Count, Until: start.Add(l.Window)}
}

// Since is when the window of c began.
func (l Limit) Since(c Charge) time.Time { return c.Until.Add(-l.Window) }
