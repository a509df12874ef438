package hours

import (
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// localTime is "2006-01-02 15:04" s in loc.
func localTime(t *testing.T, s string, loc *time.Location) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDue(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := func(s string) time.Time { t.Helper(); return localTime(t, s, ny) }
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04Z", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const week = "Mon-Fri 08:00-18:00,Sat 09:00-12:00"
	// 2026-11-23 is a Monday (Thanksgiving week; holidays are not hours' business).
	tests := []struct {
		name  string
		hours string
		sla   time.Duration
		at    time.Time
		want  time.Time
	}{
		{"open: sla later", week, 15 * time.Minute, at("2026-11-24 10:00"), at("2026-11-24 10:15")},
		{"at opening exactly", week, 15 * time.Minute, at("2026-11-24 08:00"), at("2026-11-24 08:15")},
		{"a minute before opening", week, 15 * time.Minute, at("2026-11-24 07:59"), at("2026-11-24 08:15")},
		{"due exactly at closing stays that day", week, 15 * time.Minute, at("2026-11-24 17:45"), at("2026-11-24 18:00")},
		{"a minute later carries over", week, 15 * time.Minute, at("2026-11-24 17:46"), at("2026-11-25 08:01")},
		{"at closing exactly", week, 15 * time.Minute, at("2026-11-24 18:00"), at("2026-11-25 08:15")},
		{"at night: after next opening", week, 15 * time.Minute, at("2026-11-24 22:00"), at("2026-11-25 08:15")},
		{"after midnight: that morning", week, 15 * time.Minute, at("2026-11-25 00:30"), at("2026-11-25 08:15")},
		{"friday evening: saturday's window", week, 15 * time.Minute, at("2026-11-27 19:00"), at("2026-11-28 09:15")},
		{"saturday after closing: monday", week, 15 * time.Minute, at("2026-11-28 12:00"), at("2026-11-30 08:15")},
		{"sunday: monday", week, 15 * time.Minute, at("2026-11-29 15:00"), at("2026-11-30 08:15")},
		{"window shorter than sla carries into the next", "Mon-Fri 08:00-08:10", 15 * time.Minute, at("2026-11-24 07:00"), at("2026-11-25 08:05")},
		{"several windows a day", "Mon-Fri 08:00-12:00,Mon-Fri 13:00-17:00", 15 * time.Minute, at("2026-11-24 11:50"), at("2026-11-24 13:05")},
		{"sla longer than a day", week, 12 * time.Hour, at("2026-11-24 08:00"), at("2026-11-25 10:00")},
		{"wrapping range", "Sat-Sun 10:00-11:00", 15 * time.Minute, at("2026-11-24 10:00"), at("2026-11-28 10:15")},
		{"closing at midnight", "Mon-Sun 20:00-24:00", 15 * time.Minute, at("2026-11-24 23:50"), at("2026-11-25 20:05")},
		{"always", "always", 15 * time.Minute, at("2026-11-29 03:00"), at("2026-11-29 03:15")},
		{"no sla", week, 0, at("2026-11-29 03:00"), at("2026-11-29 03:00")},
		// Daylight saving in New York: 2026-03-08 02:00 EST becomes 03:00
		// EDT; 2026-11-01 02:00 EDT becomes 01:00 EST.
		{"spring forward: saturday night lead, monday opening in EDT", week, 15 * time.Minute, at("2026-03-07 22:00"), utc("2026-03-09 12:15Z")},
		{"spring forward: friday before, monday opening in EDT", week, 15 * time.Minute, at("2026-03-06 17:55"), utc("2026-03-07 14:10Z")},
		{"spring forward: window across the change is an hour short", "Sun 01:00-04:00", time.Hour, at("2026-03-08 01:30"), utc("2026-03-08 07:30Z")},
		{"spring forward: window's two real hours used up, next week", "Sun 01:00-04:00", 2*time.Hour + time.Minute, at("2026-03-08 01:00"), at("2026-03-15 01:01")},
		{"fall back: saturday night lead, monday opening in EST", week, 15 * time.Minute, at("2026-10-31 22:00"), utc("2026-11-02 13:15Z")},
		{"fall back: window across the change is an hour long", "Sun 01:00-03:00", 150 * time.Minute, at("2026-11-01 00:30"), utc("2026-11-01 07:30Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.hours, ny)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Due(tt.at, tt.sla); !got.Equal(tt.want) {
				t.Errorf("Due(%s, %s) = %s, want %s", tt.at, tt.sla, got.In(ny), tt.want.In(ny))
			}
		})
	}
}

func TestZeroHoursCountEveryMinute(t *testing.T) {
	at := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	if got := (Hours{}).Due(at, 15*time.Minute); !got.Equal(at.Add(15 * time.Minute)) {
		t.Errorf("zero Hours: due %s", got)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{
		"", ",", "Mon-Fri", "Mon-Fri 8:00-18:00", "Mon-Fri 18:00-08:00", "Mon-Fri 08:00-08:00",
		"Mon-Fri 08:00-24:01", "Mon-Fri 08:60-09:00", "Mon-Fri 08:00-25:00", "Mo-Fr 08:00-18:00",
		"Mon-Fri 08:00-12:00,Mon 11:00-13:00", "Mon-Fri 08:00", "Mon-Fri 0a:00-18:00",
	} {
		if _, err := Parse(s, time.UTC); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, s := range []string{
		Default, "always", "ALWAYS", " Mon-Fri 08:00-18:00 , Sat 09:00-12:00 ", "mon 00:00-24:00",
		"Mon 08:00-12:00,Mon 12:00-13:00", // touching windows are not overlapping
	} {
		if _, err := Parse(s, time.UTC); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
	h, _ := Parse("Sat 09:00-12:00", time.UTC)
	if got := h.Location(); got != time.UTC {
		t.Errorf("Location() = %v", got)
	}
	if _, err := Parse("Mon 8:00-9:00", time.UTC); err == nil || !strings.Contains(err.Error(), "Mon 8:00-9:00") {
		t.Errorf("error does not name the entry: %v", err)
	}
}

func TestBetween(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := func(s string) time.Time { t.Helper(); return localTime(t, s, ny) }
	h, err := Parse("Mon-Fri 08:00-18:00,Sat 09:00-12:00", ny)
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-20 is a Friday; 2026-11-01 a Sunday (clocks went back at 02:00).
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"inside one window", "2026-11-23 09:00", "2026-11-23 09:38", 38 * time.Minute},
		{"before opening counts from opening", "2026-11-23 06:00", "2026-11-23 08:05", 5 * time.Minute},
		{"overnight counts only the open minutes", "2026-11-23 17:50", "2026-11-24 08:10", 20 * time.Minute},
		{"friday evening to monday over saturday's window", "2026-11-20 17:00", "2026-11-23 08:30", time.Hour + 3*time.Hour + 30*time.Minute},
		{"all closed", "2026-11-22 10:00", "2026-11-22 20:00", 0},
		{"to before from", "2026-11-23 10:00", "2026-11-23 09:00", 0},
		{"a whole week", "2026-11-23 00:00", "2026-11-30 00:00", 5*10*time.Hour + 3*time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Between(at(tt.from), at(tt.to)); got != tt.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
	always, err := Parse("always", ny)
	if err != nil {
		t.Fatal(err)
	}
	// Across the autumn change: 01:30 EDT to 01:30 EST is two hours.
	from, to := at("2026-11-01 00:30"), at("2026-11-01 03:30")
	if got := always.Between(from, to); got != 4*time.Hour {
		t.Errorf("always across the change = %v, want 4h", got)
	}
	var zero Hours
	if got := zero.Between(from, to); got != 4*time.Hour {
		t.Errorf("zero Hours = %v, want every minute (4h)", got)
	}
}

// Between undoes Due: a lead received at t that waited sla of opening
// time until Due waited exactly sla, daylight-saving changes included.
func TestBetweenUndoesDue(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	// A Sunday window that crosses 02:00 when clocks change.
	h, err := Parse("Mon-Fri 08:00-18:00,Sun 00:00-06:00", ny)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 10, 28, 0, 0, 0, 0, ny)
	for step := range 200 {
		t0 := start.Add(time.Duration(step) * 97 * time.Minute)
		for _, sla := range []time.Duration{time.Minute, 45 * time.Minute, 5 * time.Hour, 26 * time.Hour} {
			due := h.Due(t0, sla)
			if got := h.Between(t0, due); got != sla {
				t.Fatalf("received %v: Between(t, Due(t, %v) = %v) = %v", t0, sla, due, got)
			}
		}
	}
}

func TestNextOpen(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := func(s string) time.Time { t.Helper(); return localTime(t, s, ny) }
	const week = "Mon-Fri 08:00-12:00,Mon-Fri 13:00-18:00"
	// 2026-11-24 is a Tuesday; 2026-03-08 the Sunday clocks go forward.
	tests := []struct {
		name, hours string
		at, want    time.Time
	}{
		{"open: that instant", week, at("2026-11-24 10:30"), at("2026-11-24 10:30")},
		{"at opening", week, at("2026-11-24 08:00"), at("2026-11-24 08:00")},
		{"before opening: the opening", week, at("2026-11-24 06:10"), at("2026-11-24 08:00")},
		{"over lunch: the afternoon window", week, at("2026-11-24 12:00"), at("2026-11-24 13:00")},
		{"the closing minute is closed", week, at("2026-11-24 18:00"), at("2026-11-25 08:00")},
		{"saturday: monday", week, at("2026-11-28 17:59"), at("2026-11-30 08:00")},
		{"one day a week", "Wed 10:00-14:00", at("2026-11-26 09:00"), at("2026-12-02 10:00")},
		{"always", "always", at("2026-11-29 03:00"), at("2026-11-29 03:00")},
		{"sunday before the change to summer time: monday in EDT", week, at("2026-03-08 01:30"), time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.hours, ny)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.NextOpen(tt.at); !got.Equal(tt.want) {
				t.Errorf("NextOpen(%s) = %s, want %s", tt.at, got.In(ny), tt.want.In(ny))
			}
		})
	}
	at0 := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	if got := (Hours{}).NextOpen(at0); !got.Equal(at0) {
		t.Errorf("zero Hours: NextOpen = %s, want the instant itself", got)
	}
}

func TestOpeningDay(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := func(s string) time.Time { t.Helper(); return localTime(t, s, ny) }
	const week = "Mon-Fri 08:00-18:00,Sat 09:00-12:00"
	tests := []struct {
		name, hours string
		at          time.Time
		days        int
		want        time.Time
	}{
		{"tuesday, 1 day: wednesday's opening", week, at("2026-11-24 10:30"), 1, at("2026-11-25 08:00")},
		{"late at night still counts from that day", week, at("2026-11-24 23:59"), 1, at("2026-11-25 08:00")},
		{"friday, 1 day: saturday's opening", week, at("2026-11-27 10:00"), 1, at("2026-11-28 09:00")},
		{"friday, 2 days: sunday is closed, monday", week, at("2026-11-27 10:00"), 2, at("2026-11-30 08:00")},
		{"saturday, 1 day: monday", week, at("2026-11-28 17:59"), 1, at("2026-11-30 08:00")},
		{"one day a week, 1 day: next week's", "Wed 10:00-14:00", at("2026-11-25 11:00"), 1, at("2026-12-02 10:00")},
		{"the first of several windows", "Mon-Fri 13:00-18:00,Mon-Fri 08:00-12:00", at("2026-11-24 10:00"), 1, at("2026-11-25 08:00")},
		{"across the change to summer time", week, at("2026-03-07 10:00"), 1, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)},
		{"always: the same time of day", "always", at("2026-03-07 10:00"), 2, at("2026-03-09 10:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.hours, ny)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.OpeningDay(tt.at, tt.days); !got.Equal(tt.want) {
				t.Errorf("OpeningDay(%s, %d) = %s, want %s", tt.at, tt.days, got.In(ny), tt.want.In(ny))
			}
		})
	}
}

func TestNextOpenBetween(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := func(s string) time.Time { t.Helper(); return localTime(t, s, ny) }
	const week = "Mon-Fri 08:00-18:00"
	morning, afternoon, evening := [2]time.Duration{0, 12 * time.Hour}, [2]time.Duration{12 * time.Hour, 17 * time.Hour}, [2]time.Duration{17 * time.Hour, 24 * time.Hour}
	tests := []struct {
		name, hours string
		at          time.Time
		part        [2]time.Duration
		want        time.Time
		ok          bool
	}{
		{"inside it: stays", week, at("2026-11-24 09:30"), morning, at("2026-11-24 09:30"), true},
		{"before it, same day: its start", week, at("2026-11-24 09:30"), evening, at("2026-11-24 17:00"), true},
		{"after it: the next day's", week, at("2026-11-24 12:00"), morning, at("2026-11-25 08:00"), true},
		{"clipped to the opening", week, at("2026-11-24 06:00"), morning, at("2026-11-24 08:00"), true},
		{"over a closed weekend", week, at("2026-11-27 17:30"), afternoon, at("2026-11-30 12:00"), true},
		{"a window opening inside it", "Mon-Fri 13:00-20:00", at("2026-11-24 09:00"), afternoon, at("2026-11-24 13:00"), true},
		{"open only some days in it", "Mon-Wed 08:00-12:00,Thu 08:00-19:00", at("2026-11-24 09:00"), evening, at("2026-11-26 17:00"), true},
		{"never open then", "Mon-Fri 08:00-17:00", at("2026-11-24 09:00"), evening, time.Time{}, false},
		{"always", "always", at("2026-11-24 22:00"), morning, at("2026-11-25 00:00"), true},
		{"evening across the change to summer time", "Sat-Sun 10:00-20:00", at("2026-03-07 18:00"), afternoon, time.Date(2026, 3, 8, 16, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.hours, ny)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := h.NextOpenBetween(tt.at, tt.part[0], tt.part[1])
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("NextOpenBetween(%s, %v) = %s, %v, want %s, %v", tt.at, tt.part, got.In(ny), ok, tt.want.In(ny), tt.ok)
			}
		})
	}
}

// TestOpens: the first opening of a day, whatever window is listed first;
// none on a closed day; midnight with "always".
func TestOpens(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	h, err := Parse("Sat 09:30-12:00,Mon-Fri 13:00-18:00,Mon-Fri 08:00-12:00", ny)
	if err != nil {
		t.Fatal(err)
	}
	always, err := Parse(Always, ny)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		h    Hours
		t    string
		want string // "": closed
	}{
		{"a weekday, late in the day", h, "2026-12-07 17:00", "2026-12-07 08:00"},
		{"a Saturday, before it opens", h, "2026-12-05 06:00", "2026-12-05 09:30"},
		{"a Sunday", h, "2026-12-06 10:00", ""},
		{"always", always, "2026-12-06 10:00", "2026-12-06 00:00"},
		// 04:30 UTC on Saturday 5 December is still Friday in New York.
		{"the clinic's day, not UTC's", h, "", "2026-12-04 08:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Date(2026, 12, 5, 4, 30, 0, 0, time.UTC)
			if tt.t != "" {
				at = localTime(t, tt.t, ny)
			}
			got, ok := tt.h.Opens(at)
			switch {
			case tt.want == "" && ok:
				t.Errorf("opens %v on a closed day", got)
			case tt.want != "" && (!ok || !got.Equal(localTime(t, tt.want, ny))):
				t.Errorf("opens %v (%v), want %s", got, ok, tt.want)
			}
		})
	}
}
