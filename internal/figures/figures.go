// Package figures adds up the clinic's speed-to-lead and attribution
// figures from leads streamed to it one at a time: how many requests, how
// many booked, how fast staff first tried them, and which landing pages and
// campaigns bring patients who book. It keeps per lead only the wait a
// percentile needs (int32 seconds) and the few slowest requests, so memory
// stays flat in everything but four bytes a lead per grouping.
package figures

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// Bounds on what visitors' values may cost and show.
const (
	// MaxValue bounds a landing page or UTM value, in characters; longer
	// ones are cut and end in "…".
	MaxValue = 60
	// MaxKeys bounds the distinct values kept per attribution; the rest
	// are added up under Other.
	MaxKeys = 500
	// MaxRows is how many rows of each attribution a report shows, most
	// requests first; the rest are added up in one row.
	MaxRows = 10
	// MaxSlowest is how many of the slowest requests are kept.
	MaxSlowest = 10
	// SmallCount is the fewest requests whose booked rate means something:
	// a row with fewer is marked (Rate.Small).
	SmallCount = 5
)

// Row names for values that are not a visitor's.
const (
	None  = "(none)"  // the lead has no such value
	Other = "(other)" // past MaxKeys distinct values, or past MaxRows rows
)

// The "within" thresholds of the speed-to-lead figures.
var Thresholds = []time.Duration{5 * time.Minute, time.Hour, 24 * time.Hour}

// Waits are the times to first attempt of a group of requests, counted in
// opening time.
type Waits struct {
	// Requests counts every request of the group; Tried those with a first
	// attempt; Booked those closed as booked.
	Requests, Tried, Booked int
	// Within counts the requests first tried within each of Thresholds.
	Within [3]int
	// secs are the tried requests' waits, untried the opening time the
	// untried ones have waited until the board's Now; both in seconds.
	secs, untried []int32
	sorted        bool
}

func seconds(d time.Duration) int32 {
	return int32(max(min(d/time.Second, 1<<31-1), 0))
}

func (w *Waits) add(wait time.Duration, tried, booked bool) {
	w.Requests++
	if booked {
		w.Booked++
	}
	if !tried {
		w.untried = append(w.untried, seconds(wait))
		w.sorted = false
		return
	}
	w.Tried++
	for i, t := range Thresholds {
		if wait <= t {
			w.Within[i]++
		}
	}
	w.secs = append(w.secs, seconds(wait))
	w.sorted = false
}

func (w *Waits) sort() {
	if !w.sorted {
		slices.Sort(w.secs)
		slices.Sort(w.untried)
		w.sorted = true
	}
}

// Percentile is the p-th percentile (0 < p <= 100) of the waits of the
// requests tried, by the nearest-rank definition used everywhere in this
// project's figures: the value at rank ceil(p/100 × n) of the n waits in
// ascending order (so the median, p = 50, of an even count is the lower of
// the middle two). ok is false when no request was tried.
func (w *Waits) Percentile(p int) (d time.Duration, ok bool) {
	n := len(w.secs)
	if n == 0 {
		return 0, false
	}
	w.sort()
	return time.Duration(w.secs[Rank(p, n)-1]) * time.Second, true
}

// Spread is the p-th percentile (0 < p <= 100, nearest rank as in
// Percentile) of the waits of every request of the group, an untried one
// counting the opening time it has waited until the board's Now. atLeast
// is true when any request of the group is untried: it will wait longer,
// so the figure is a lower bound ("at least"). ok is false when the group
// has no requests.
func (w *Waits) Spread(p int) (d time.Duration, atLeast bool, ok bool) {
	n := len(w.secs) + len(w.untried)
	if n == 0 {
		return 0, false, false
	}
	w.sort()
	// The k-th smallest of the two sorted lists, walking both.
	k := min(Rank(p, n), n) // p over 100 is the longest
	i, j := 0, 0
	var v int32
	for range k {
		if j >= len(w.untried) || (i < len(w.secs) && w.secs[i] <= w.untried[j]) {
			v = w.secs[i]
			i++
		} else {
			v = w.untried[j]
			j++
		}
	}
	return time.Duration(v) * time.Second, len(w.untried) > 0, true
}

// Rank is the 1-based nearest rank of the p-th percentile among n values:
// ceil(p × n / 100), at least 1.
func Rank(p, n int) int {
	return max((p*n+99)/100, 1)
}

// Median is the 50th percentile (Percentile).
func (w *Waits) Median() (time.Duration, bool) { return w.Percentile(50) }

// P90 is the 90th percentile (Percentile).
func (w *Waits) P90() (time.Duration, bool) { return w.Percentile(90) }

// BookedRate is Booked over Requests, 0 for none.
func (w *Waits) BookedRate() float64 {
	if w.Requests == 0 {
		return 0
	}
	return float64(w.Booked) / float64(w.Requests)
}

// Rate is one attribution row: requests and how many booked.
type Rate struct {
	Key              string
	Requests, Booked int
}

// Small reports whether the row has fewer than SmallCount requests: its
// booked rate is then not meaningful, and pages mark it so.
func (r Rate) Small() bool { return r.Requests < SmallCount }

// BookedRate is Booked over Requests, 0 for none.
func (r Rate) BookedRate() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Booked) / float64(r.Requests)
}

// Attribution adds up requests and bookings by one visitor-supplied value.
type Attribution struct {
	rows  map[string]*Rate
	other Rate
}

func (a *Attribution) add(key string, booked bool) {
	if a.rows == nil {
		a.rows = map[string]*Rate{}
	}
	r, ok := a.rows[key]
	if !ok {
		if len(a.rows) >= MaxKeys {
			r = &a.other
		} else {
			r = &Rate{Key: key}
			a.rows[key] = r
		}
	}
	r.Requests++
	if booked {
		r.Booked++
	}
}

// Rows are the MaxRows values with the most requests (ties: most booked,
// then by value), then one Other row adding up the rest, if any.
func (a *Attribution) Rows() []Rate {
	rows := make([]Rate, 0, len(a.rows))
	for _, r := range a.rows {
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(x, y Rate) int {
		return cmp.Or(cmp.Compare(y.Requests, x.Requests), cmp.Compare(y.Booked, x.Booked), strings.Compare(x.Key, y.Key))
	})
	rest := a.other
	rest.Key = Other
	if len(rows) > MaxRows {
		for _, r := range rows[MaxRows:] {
			rest.Requests += r.Requests
			rest.Booked += r.Booked
		}
		rows = rows[:MaxRows]
	}
	if rest.Requests > 0 {
		rows = append(rows, rest)
	}
	return rows
}

// Slow is one of the slowest requests: its id and request number, never a
// name.
type Slow struct {
	// ID is the lead's id (its page is /leads/{ID}); Number its request
	// number.
	ID        string
	Number    string
	CreatedAt time.Time
	// Wait is the opening time to its first attempt, or until the board's
	// Now when nobody has tried it yet (Tried false).
	Wait  time.Duration
	Tried bool
}

// Board adds up the figures of the leads requested in [From, To).
type Board struct {
	From, To time.Time
	// Now is when the figures are taken: an untried request has waited
	// until then.
	Now   time.Time
	hours hours.Hours
	zone  *time.Location

	Total     Waits
	ByWeekday [7]Waits  // by time.Weekday of the request, clinic time
	ByHour    [24]Waits // by the request's hour, clinic time
	// Heat is by weekday (time.Weekday) and hour of the request, clinic
	// time.
	Heat [7][24]Waits

	// Days has one entry for every day of [From, To) in the zone, in
	// order, days without requests included.
	Days []Day

	Pages, Sources, Campaigns Attribution
	// Classes is by the request's source class (lead.Source.Class).
	Classes Attribution

	// Duplicates counts the requests closed by Now as duplicates of the
	// same patient's newer request (lead.ClosedDuplicate): counted apart,
	// and in none of the figures above, which count each patient's story
	// once (the newer request carries it).
	Duplicates int

	slowest []Slow
}

// New returns a board of the requests in [from, to), their waits counted
// in opening time by h (the zero Hours or hours.Always: every minute) and
// grouped by weekday and hour in zone.
func New(from, to, now time.Time, h hours.Hours, zone *time.Location) *Board {
	if zone == nil {
		zone = time.UTC
	}
	b := &Board{From: from, To: to, Now: now, hours: h, zone: zone}
	if from.Before(to) {
		f := from.In(zone)
		for d := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, zone); d.Before(to); {
			b.Days = append(b.Days, Day{Date: d})
			// The next local midnight: a DST day has 23 or 25 hours.
			d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, zone)
		}
	}
	return b
}

// Day is the requests of one day of the board's span, by where they stood
// at the board's Now.
type Day struct {
	// Date is the day's local midnight in the board's zone.
	Date time.Time
	// Requests counts the requests made that day (clinic time); Booked
	// those closed as booked by Now; Open those not closed by Now (new,
	// open, or closed after Now); ClosedOther those closed otherwise by
	// Now.
	Requests, Booked, Open, ClosedOther int
}

// civil is the number of the calendar day of t's date (as in t's zone),
// counted in whole days whatever the zone's offsets.
func civil(t time.Time) int64 {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// Add counts l if it was requested in the board's span; it reports whether
// it did. A duplicate (DuplicateBy) is counted in Duplicates only.
func (b *Board) Add(l lead.Lead) bool {
	if l.CreatedAt.Before(b.From) || !l.CreatedAt.Before(b.To) {
		return false
	}
	if DuplicateBy(l, b.Now) {
		b.Duplicates++
		return true
	}
	// Figures are as of Now: an attempt after it (a report run for a past
	// day) is not counted yet.
	tried := !l.FirstAttempt.IsZero() && !l.FirstAttempt.After(b.Now)
	end := b.Now
	if tried {
		end = l.FirstAttempt
	}
	wait := b.hours.Between(l.CreatedAt, end)
	local := l.CreatedAt.In(b.zone)
	booked := bookedBy(l, b.Now)
	b.Total.add(wait, tried, booked)
	b.ByWeekday[local.Weekday()].add(wait, tried, booked)
	b.ByHour[local.Hour()].add(wait, tried, booked)
	b.Heat[local.Weekday()][local.Hour()].add(wait, tried, booked)
	if len(b.Days) > 0 {
		if i := civil(local) - civil(b.Days[0].Date); i >= 0 && i < int64(len(b.Days)) {
			d := &b.Days[i]
			d.Requests++
			switch {
			case booked:
				d.Booked++
			case l.Status == lead.StatusClosed && !l.ClosedAt.After(b.Now):
				d.ClosedOther++
			default:
				d.Open++
			}
		}
	}

	b.Pages.add(Clean(PathOnly(l.Source.LandingPath)), booked)
	b.Sources.add(Clean(l.Source.UTM["utm_source"]), booked)
	b.Campaigns.add(Clean(l.Source.UTM["utm_campaign"]), booked)
	b.Classes.add(l.Source.Class(), booked)

	b.slow(Slow{ID: l.ID, Number: l.Number(), CreatedAt: l.CreatedAt, Wait: wait, Tried: tried})
	return true
}

// DuplicateBy reports whether l stood closed as a duplicate of a newer
// request at now.
func DuplicateBy(l lead.Lead, now time.Time) bool {
	return l.Status == lead.StatusClosed && l.Closed == lead.ClosedDuplicate && !l.ClosedAt.After(now)
}

// bookedBy reports whether l stood closed as booked at now.
func bookedBy(l lead.Lead, now time.Time) bool {
	return l.Status == lead.StatusClosed && l.Closed == lead.ClosedBooked && !l.ClosedAt.After(now)
}

// slow keeps s if it is among the MaxSlowest longest waits (ties: the
// earlier request first).
func (b *Board) slow(s Slow) {
	i, _ := slices.BinarySearchFunc(b.slowest, s, compareSlow)
	if i >= MaxSlowest {
		return
	}
	b.slowest = slices.Insert(b.slowest, i, s)
	if len(b.slowest) > MaxSlowest {
		b.slowest = b.slowest[:MaxSlowest]
	}
}

func compareSlow(x, y Slow) int {
	return cmp.Or(cmp.Compare(y.Wait, x.Wait), x.CreatedAt.Compare(y.CreatedAt), strings.Compare(x.Number, y.Number), strings.Compare(x.ID, y.ID))
}

// Slowest are the requests that waited longest, longest first.
func (b *Board) Slowest() []Slow { return slices.Clone(b.slowest) }

// Zone is the zone the board groups by.
func (b *Board) Zone() *time.Location { return b.zone }

// PathOnly is a landing path without its query string or fragment (leads
// stored before the form cut them may have one).
func PathOnly(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// Clean bounds a visitor's value for a report: trimmed, control characters
// and invalid UTF-8 dropped, cut to MaxValue characters; None when empty.
// Escaping is the renderer's.
func Clean(v string) string {
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(v, ""))
	v = strings.TrimSpace(v)
	if v == "" {
		return None
	}
	if utf8.RuneCountInString(v) > MaxValue {
		r := []rune(v)
		v = string(r[:MaxValue-1]) + "…"
	}
	return v
}

// Get is key's row (zero counts when it has none).
func (a *Attribution) Get(key string) Rate {
	if r, ok := a.rows[key]; ok {
		return *r
	}
	return Rate{Key: key}
}

// Booked counts every booking added, in rows and Other alike.
func (a *Attribution) Booked() int {
	n := a.other.Booked
	for _, r := range a.rows {
		n += r.Booked
	}
	return n
}
