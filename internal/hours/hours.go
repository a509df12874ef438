// Package hours holds a clinic's opening hours and the questions asked of
// them: when is a lead received at t due for a response, counting only
// time the clinic is open; how much opening time passed; and when the
// clinic is next open, on a day or in a part of the day (call-backs).
package hours

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
)

// Default is OPENING_HOURS when it is not set: a weekday clinic.
const Default = "Mon-Fri 08:00-18:00"

// Always is the OPENING_HOURS that counts every minute.
const Always = "always"

// span is one opening on a day, in minutes after local midnight.
type span struct{ open, close int }

// Hours are opening hours in a time zone.
type Hours struct {
	days   [7][]span // by time.Weekday, each sorted by opening
	always bool
	loc    *time.Location
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Parse reads hours such as "Mon-Fri 08:00-18:00,Sat 09:00-12:00" (days
// as Mon..Sun, a range such as Fri-Mon wrapping the week; a day may have
// several windows; 24:00 closes at midnight), or "always", in loc.
func Parse(s string, loc *time.Location) (Hours, error) {
	h := Hours{loc: loc}
	if strings.EqualFold(strings.TrimSpace(s), Always) {
		h.always = true
		return h, nil
	}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		dayPart, timePart, ok := strings.Cut(entry, " ")
		if !ok {
			return Hours{}, fmt.Errorf("%q: want days and times such as Mon-Fri 08:00-18:00", entry)
		}
		days, err := parseDays(dayPart)
		if err != nil {
			return Hours{}, fmt.Errorf("%q: %w", entry, err)
		}
		sp, err := parseSpan(strings.TrimSpace(timePart))
		if err != nil {
			return Hours{}, fmt.Errorf("%q: %w", entry, err)
		}
		for _, d := range days {
			h.days[d] = append(h.days[d], sp)
		}
	}
	open := false
	for d := range h.days {
		slices.SortFunc(h.days[d], func(a, b span) int { return a.open - b.open })
		for i := 1; i < len(h.days[d]); i++ {
			if h.days[d][i].open < h.days[d][i-1].close {
				return Hours{}, fmt.Errorf("%s: windows overlap", time.Weekday(d))
			}
		}
		open = open || len(h.days[d]) > 0
	}
	if !open {
		return Hours{}, fmt.Errorf("%q: no opening hours (say %q for every minute)", s, Always)
	}
	return h, nil
}

func parseDays(s string) ([]time.Weekday, error) {
	from, to, isRange := strings.Cut(s, "-")
	first, ok1 := weekdays[strings.ToLower(from)]
	last, ok2 := first, true
	if isRange {
		last, ok2 = weekdays[strings.ToLower(to)]
	}
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("want days such as Mon, Sat or Mon-Fri, got %q", s)
	}
	days := []time.Weekday{first}
	for d := first; d != last; {
		d = (d + 1) % 7
		days = append(days, d)
	}
	return days, nil
}

func parseSpan(s string) (span, error) {
	from, to, ok := strings.Cut(s, "-")
	open, err1 := parseClock(from)
	closing, err2 := parseClock(to)
	if !ok || err1 != nil || err2 != nil || open >= closing {
		return span{}, fmt.Errorf("want times such as 08:00-18:00, opening before closing, got %q", s)
	}
	return span{open, closing}, nil
}

func parseClock(s string) (int, error) {
	var hh, mm int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("bad time %q", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &hh, &mm); err != nil {
		return 0, err
	}
	if mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*60 + mm, nil
}

// Due is when a lead received at t has waited sla of opening time: sla
// after t if the clinic is open long enough, else carried into the next
// windows. Time is counted as it passes, so a window across a
// daylight-saving change is an hour shorter or longer than its clock says.
func (h Hours) Due(t time.Time, sla time.Duration) time.Time {
	if h.always || sla <= 0 || h.loc == nil { // nil: the zero Hours, never parsed; it has no windows to wait for
		return t.Add(sla)
	}
	local := t.In(h.loc)
	left := sla
	for i := 0; ; i++ {
		y, m, d := local.Date()
		day := time.Date(y, m, d+i, 12, 0, 0, 0, h.loc)
		for _, w := range h.days[day.Weekday()] {
			open := time.Date(y, m, d+i, 0, w.open, 0, 0, h.loc)
			end := time.Date(y, m, d+i, 0, w.close, 0, 0, h.loc)
			start := open
			if t.After(start) {
				start = t
			}
			if !start.Before(end) {
				continue
			}
			avail := end.Sub(start)
			if left <= avail {
				return start.Add(left)
			}
			left -= avail
		}
	}
}

// Between is how much opening time passes from from to to (zero when to
// is not after from): the speed-to-lead figures count a request left
// overnight as the minutes the clinic was open, not the hours it was shut.
// Like Due, it counts time as it passes across a daylight-saving change.
func (h Hours) Between(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if h.always || h.loc == nil {
		return to.Sub(from)
	}
	var total time.Duration
	y, m, d := from.In(h.loc).Date()
	for i := 0; ; i++ {
		if time.Date(y, m, d+i, 0, 0, 0, 0, h.loc).After(to) {
			return total
		}
		day := time.Date(y, m, d+i, 12, 0, 0, 0, h.loc)
		for _, w := range h.days[day.Weekday()] {
			start := time.Date(y, m, d+i, 0, w.open, 0, 0, h.loc)
			end := time.Date(y, m, d+i, 0, w.close, 0, 0, h.loc)
			if start.Before(from) {
				start = from
			}
			if end.After(to) {
				end = to
			}
			if end.After(start) {
				total += end.Sub(start)
			}
		}
	}
}

// Opens is when the clinic first opens on t's day in the hours' zone; ok is
// false on a day it does not open. With "always" (and for the zero Hours,
// in UTC) every day opens at midnight.
func (h Hours) Opens(t time.Time) (opens time.Time, ok bool) {
	loc := h.zone()
	y, m, d := t.In(loc).Date()
	windows := h.spans(time.Date(y, m, d, 12, 0, 0, 0, loc).Weekday())
	if len(windows) == 0 {
		return time.Time{}, false
	}
	return time.Date(y, m, d, 0, windows[0].open, 0, 0, loc), true
}

// Location is the zone the hours are in (nil for the zero Hours).
func (h Hours) Location() *time.Location { return h.loc }

// allDay is a day of hours that are always open.
var allDay = []span{{0, 24 * 60}}

// zone is the hours' zone; the zero Hours, never parsed, are in UTC.
func (h Hours) zone() *time.Location {
	if h.loc == nil {
		return time.UTC
	}
	return h.loc
}

// spans are the windows of weekday wd; "always" and the zero Hours are
// open all day.
func (h Hours) spans(wd time.Weekday) []span {
	if h.always || h.loc == nil {
		return allDay
	}
	return h.days[wd]
}

// windows yields the opening windows [start, end) from t on, in order, the
// first cut to start at t. It never ends: callers stop when they found
// what they look for (Parse leaves no hours without a window).
func (h Hours) windows(t time.Time) iter.Seq2[time.Time, time.Time] {
	return func(yield func(start, end time.Time) bool) {
		loc := h.zone()
		y, m, d := t.In(loc).Date()
		for i := 0; ; i++ {
			day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
			for _, w := range h.spans(day.Weekday()) {
				start := time.Date(y, m, d+i, 0, w.open, 0, 0, loc)
				end := time.Date(y, m, d+i, 0, w.close, 0, 0, loc)
				if start.Before(t) {
					start = t
				}
				if start.Before(end) && !yield(start, end) {
					return
				}
			}
		}
	}
}

// NextOpen is the first instant at or after t when the clinic is open: t
// itself when it is open then (a window's closing minute is not open).
func (h Hours) NextOpen(t time.Time) time.Time {
	for start := range h.windows(t) {
		return start
	}
	panic("unreachable: windows never ends")
}

// OpeningDay is the first opening of the days-th day after t's (in the
// hours' zone) on which the clinic opens: with days 1, a weekday clinic's
// Monday opening from a Friday or a Saturday. Hours open always (and the
// zero Hours) have no first opening: it is t's time of day, days later.
func (h Hours) OpeningDay(t time.Time, days int) time.Time {
	local := t.In(h.zone())
	y, m, d := local.Date()
	if h.always || h.loc == nil {
		return time.Date(y, m, d+days, local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), h.zone())
	}
	for i := 1; ; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, h.loc)
		ws := h.days[day.Weekday()]
		if len(ws) == 0 {
			continue
		}
		if days--; days <= 0 {
			return time.Date(y, m, d+i, 0, ws[0].open, 0, 0, h.loc)
		}
	}
}

// NextOpenBetween is the first instant at or after t when the clinic is
// open and the clock, in the hours' zone, reads from or later and before
// to (times after midnight, such as 12h and 17h for the afternoon); ok is
// false when no opening on any day overlaps that part of the day.
func (h Hours) NextOpenBetween(t time.Time, from, to time.Duration) (time.Time, bool) {
	lo, hi := int(from/time.Minute), int(to/time.Minute)
	overlaps := false
	for wd := range time.Weekday(7) {
		for _, w := range h.spans(wd) {
			overlaps = overlaps || (w.open < hi && w.close > lo)
		}
	}
	if !overlaps {
		return time.Time{}, false
	}
	loc := h.zone()
	for start, end := range h.windows(t) {
		y, m, d := start.In(loc).Date()
		partStart := time.Date(y, m, d, 0, lo, 0, 0, loc)
		partEnd := time.Date(y, m, d, 0, hi, 0, 0, loc)
		if partStart.After(start) {
			start = partStart
		}
		if partEnd.Before(end) {
			end = partEnd
		}
		if start.Before(end) {
			return start, true
		}
	}
	panic("unreachable: windows never ends")
}
