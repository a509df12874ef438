package ratelimit

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Limit
		err  bool
	}{
		{"5/1h", Limit{5, time.Hour}, false},
		{"20/10m", Limit{20, 10 * time.Minute}, false},
		{"0", Limit{}, false},
		{"5", Limit{}, true},
		{"0/1h", Limit{}, true},
		{"-1/1h", Limit{}, true},
		{"5/1ms", Limit{}, true},
		{"five/1h", Limit{}, true},
		{"5/hour", Limit{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("Parse(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestChargeFor(t *testing.T) {
	l := Limit{Count: 5, Window: time.Hour}
	salt := []byte("salt")
	at := time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
	c := l.ChargeFor(salt, "198.51.100.7", at)

	if strings.Contains(c.Key, "198.51.100.7") || strings.Contains(c.Key, "198") {
		t.Errorf("key %q shows the address", c.Key)
	}
	if c.Limit != 5 || !c.Until.Equal(time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("charge %+v, want limit 5 until 15:00", c)
	}
	if got := c.RetryAfter(at); got != 2400 {
		t.Errorf("RetryAfter = %d, want 2400", got)
	}
	if got := c.RetryAfter(c.Until.Add(time.Second)); got != 1 {
		t.Errorf("RetryAfter past the window = %d, want 1", got)
	}
	if same := l.ChargeFor(salt, "198.51.100.7", at.Add(39*time.Minute)); same.Key != c.Key {
		t.Error("same client, same window: keys differ")
	}
	if next := l.ChargeFor(salt, "198.51.100.7", at.Add(40*time.Minute)); next.Key == c.Key {
		t.Error("next window: same key")
	}
	if other := l.ChargeFor(salt, "198.51.100.8", at); other.Key == c.Key {
		t.Error("other client: same key")
	}
	if salted := l.ChargeFor([]byte("other"), "198.51.100.7", at); salted.Key == c.Key {
		t.Error("other salt: same key")
	}
}

func TestIPv6ClientsAreCountedByTheir64(t *testing.T) {
	l := Limit{Count: 5, Window: time.Hour}
	salt := []byte("salt")
	at := time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
	key := func(addr string) string { return l.ChargeFor(salt, addr, at).Key }
	for _, same := range [][2]string{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"2001:db8:1:2::1", "2001:DB8:1:2:0:0:0:9"},
		{"2001:db8:1:2::1", "2001:db8:1:2::1%eth0"},
		{"198.51.100.7", "::ffff:198.51.100.7"},
	} {
		if key(same[0]) != key(same[1]) {
			t.Errorf("%s and %s are counted apart", same[0], same[1])
		}
	}
	for _, apart := range [][2]string{
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
		{"2001:db8:1:2::1", "2001:db9:1:2::1"},
		{"198.51.100.7", "198.51.100.8"},
		{"198.51.100.7", "::c633:6407"}, // IPv4-compatible, not mapped: an IPv6 address
	} {
		if key(apart[0]) == key(apart[1]) {
			t.Errorf("%s and %s share a counter", apart[0], apart[1])
		}
	}
	if got := Client("2001:db8:1:2:3:4:5:6"); got != "2001:db8:1:2::/64" {
		t.Errorf("Client = %q, want the /64", got)
	}
	if got := Client("not an address"); got != "not an address" {
		t.Errorf("Client = %q", got)
	}
}

// TestShared: the clinic-wide counter is one key a window, whoever sends,
// and a new window starts a new counter.
func TestShared(t *testing.T) {
	l := Limit{Count: 3, Window: time.Hour}
	at := time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
	c := l.Shared("alerts", at)
	start := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	if want := "alerts#1795788000"; c.Key != want || c.Limit != 3 || !c.Until.Equal(start.Add(time.Hour)) {
		t.Errorf("Shared = %+v, want key %s, limit 3, until %s", c, want, start.Add(time.Hour))
	}
	if got := l.Since(c); !got.Equal(start) {
		t.Errorf("Since = %s, want %s", got, start)
	}
	if same := l.Shared("alerts", at.Add(39*time.Minute)); same.Key != c.Key {
		t.Errorf("14:59 charged to %s, 14:20 to %s: want one window", same.Key, c.Key)
	}
	if next := l.Shared("alerts", at.Add(40*time.Minute)); next.Key == c.Key {
		t.Errorf("15:00 charged to the 14:00 window %s", next.Key)
	}
}
