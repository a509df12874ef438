package figures

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Minutes says a wait as the figures do: "under 1 min", "38 min", "2 h 5
// min", "53 h" (hours, never days: a wait in opening time is not a
// calendar day).
func Minutes(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under 1 min"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	default:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + " h"
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
}

// Percent says a rate as a whole percentage: "43%".
func Percent(r float64) string {
	return strconv.Itoa(int(r*100+0.5)) + "%"
}

// Headline is the digest's first line about the board's day: "Yesterday:
// 7 requests, median first call 38 min, 3 within 5 minutes, 2 booked".
// First calls count opening time; a request nobody tried yet is said so,
// and requests closed as duplicates are counted apart ("; 2 duplicates not
// counted").
func Headline(day string, b *Board) string {
	s := headline(day, b)
	switch n := b.Duplicates; {
	case n == 1:
		return strings.TrimSuffix(s, ".") + "; 1 duplicate not counted."
	case n > 1:
		return strings.TrimSuffix(s, ".") + "; " + strconv.Itoa(n) + " duplicates not counted."
	}
	return s
}

func headline(day string, b *Board) string {
	t := &b.Total
	switch {
	case t.Requests == 0:
		return day + ": no requests."
	case t.Requests == 1 && t.Tried == 0:
		return day + ": 1 request, not tried yet."
	case t.Requests == 1:
		d, _ := t.Median()
		s := day + ": 1 request, first call after " + Minutes(d)
		if t.Within[0] == 1 {
			s += " (within 5 minutes)"
		}
		if t.Booked == 1 {
			return s + ", booked."
		}
		return s + ", not booked yet."
	}
	s := day + ": " + strconv.Itoa(t.Requests) + " requests"
	if t.Tried == 0 {
		return s + ", none tried yet."
	}
	d, _ := t.Median()
	s += ", median first call " + Minutes(d) + ", " + strconv.Itoa(t.Within[0]) + " within 5 minutes, " + strconv.Itoa(t.Booked) + " booked"
	if n := t.Requests - t.Tried; n > 0 {
		s += "; " + strconv.Itoa(n) + " not tried yet"
	}
	return s + "."
}
