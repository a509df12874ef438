package ops_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/ops"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name, in string
		want     time.Time
	}{
		{"empty: everything", "", time.Time{}},
		{"blank: everything", "  ", time.Time{}},
		{"date: its midnight UTC", "2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"RFC 3339 in UTC", "2026-11-01T09:30:00Z", time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)},
		{"RFC 3339 with an offset", "2026-11-01T09:30:00+02:00", time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC)},
		{"RFC 3339 with fractions", "2026-11-01T09:30:00.25Z", time.Date(2026, 11, 1, 9, 30, 0, 250_000_000, time.UTC)},
		{"days ago", "7d", time.Date(2026, 11, 13, 15, 4, 5, 0, time.UTC)},
		{"hours ago", "36h", time.Date(2026, 11, 19, 3, 4, 5, 0, time.UTC)},
		{"a Go duration ago", "1h30m", time.Date(2026, 11, 20, 13, 34, 5, 0, time.UTC)},
		{"trimmed", " 2d ", time.Date(2026, 11, 18, 15, 4, 5, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ops.ParseSince(tc.in, now)
			if err != nil {
				t.Fatalf("ParseSince(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("ParseSince(%q) = %v, want %v (UTC)", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseSinceRefuses(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)
	for _, in := range []string{
		"yesterday", "7", "d", "0d", "-3d", "1.5d", "7days", "0h", "-36h", "2026-13-01", "2026-11-01 09:30",
		"11/01/2026", "2026-11-01T09:30:00", "1000000d",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := ops.ParseSince(in, now)
			if err == nil {
				t.Fatalf("ParseSince(%q) = %v, want an error", in, got)
			}
			for _, want := range []string{"SINCE", in, "2026-11-01", "RFC 3339", "7d", "36h"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
