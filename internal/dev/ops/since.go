package ops

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sinceForms names what SINCE accepts, for its error.
const sinceForms = "a date (2026-11-01, from midnight UTC), an RFC 3339 time (2026-11-01T09:30:00Z) or an age (7d, 36h, 90m)"

// ParseSince reads SINCE: a date (its midnight UTC), an RFC 3339 time, or
// an age before now in whole days (7d) or as a Go duration (36h). "" is the
// zero time: everything kept.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	var age time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 100*366 {
			return time.Time{}, sinceError(s)
		}
		age = time.Duration(n) * 24 * time.Hour
	} else {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return time.Time{}, sinceError(s)
		}
		age = d
	}
	return now.Add(-age).UTC(), nil
}

func sinceError(s string) error {
	return usageError{fmt.Sprintf("SINCE %q: want %s", s, sinceForms)}
}
