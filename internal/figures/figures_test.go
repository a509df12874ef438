package figures

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// naive is the figures of a group computed the plain way: every wait kept,
// sorted, and indexed.
type naive struct {
	requests, tried, booked int
	within                  [3]int
	waits                   []time.Duration
	// every is the waits of every request, the untried ones' until now.
	every   []time.Duration
	untried int
}

func nearest(waits []time.Duration, p int) (time.Duration, bool) {
	if len(waits) == 0 {
		return 0, false
	}
	w := slices.Clone(waits)
	slices.Sort(w)
	// Nearest rank: the smallest wait with at least p% of waits at or below it.
	for i, d := range w {
		if (i+1)*100 >= p*len(w) {
			return d, true
		}
	}
	return w[len(w)-1], true
}

func (n *naive) percentile(p int) (time.Duration, bool) { return nearest(n.waits, p) }

func TestFiguresEqualNaive(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	h, err := hours.Parse("Mon-Fri 08:00-18:00,Sat 09:00-12:00", ny)
	if err != nil {
		t.Fatal(err)
	}
	// A span with the US daylight-saving change (Sunday 2026-11-01) in it.
	from := time.Date(2026, 10, 26, 0, 0, 0, 0, ny)
	to := time.Date(2026, 11, 9, 0, 0, 0, 0, ny)
	// The leads as they stood later than now: attempts and bookings after
	// now are not counted yet.
	now := to.Add(36 * time.Hour)
	leads := Sample(from.Add(-48*time.Hour), to.Add(48*time.Hour), now.Add(7*24*time.Hour), 3000, 17, h)
	// Some older requests of returning patients are closed as duplicates
	// of their newer ones, 30 hours after their last news: by now (counted
	// apart), or later (counted as they stood at now).
	closedLater := 0
	for i := range leads {
		l := &leads[i]
		if i%7 != 3 || l.Status == lead.StatusClosed {
			continue
		}
		at := l.CreatedAt
		if l.FirstAttempt.After(at) {
			at = l.FirstAttempt
		}
		at = at.Add(30 * time.Hour)
		if err := l.CloseDuplicate("newer", lead.ByLink, at); err != nil {
			t.Fatal(err)
		}
		if at.After(now) && !l.CreatedAt.Before(from) && l.CreatedAt.Before(to) {
			closedLater++
		}
	}

	b := New(from, to, now, h, ny)
	var total naive
	duplicates := 0
	var byDay [7]naive
	var byHour [24]naive
	var heat [7][24]naive
	// The days of the span, found hour by hour: each local date seen.
	type day struct{ requests, booked, open, closedOther int }
	var dates []string
	days := map[string]*day{}
	for at := from; at.Before(to); at = at.Add(time.Hour) {
		if k := at.In(ny).Format(time.DateOnly); days[k] == nil {
			dates = append(dates, k)
			days[k] = &day{}
		}
	}
	classes := map[string][2]int{}
	type slow struct {
		id   string
		at   time.Time
		wait time.Duration
	}
	var all []slow
	pages := map[string][2]int{}
	for _, l := range leads {
		added := b.Add(l)
		if in := !l.CreatedAt.Before(from) && l.CreatedAt.Before(to); in != added {
			t.Fatalf("lead at %s: added %v, want %v", l.CreatedAt, added, in)
		}
		if !added {
			continue
		}
		if l.Closed == lead.ClosedDuplicate && !l.ClosedAt.After(now) {
			duplicates++ // in no figure but its own
			continue
		}
		end, tried := now, !l.FirstAttempt.IsZero() && !l.FirstAttempt.After(now)
		if tried {
			end = l.FirstAttempt
		}
		wait := h.Between(l.CreatedAt, end).Truncate(time.Second)
		booked := l.Closed == lead.ClosedBooked && !l.ClosedAt.After(now)
		local := l.CreatedAt.In(ny)
		for _, g := range []*naive{&total, &byDay[local.Weekday()], &byHour[local.Hour()], &heat[local.Weekday()][local.Hour()]} {
			g.requests++
			if booked {
				g.booked++
			}
			g.every = append(g.every, wait)
			if !tried {
				g.untried++
				continue
			}
			g.tried++
			g.waits = append(g.waits, wait)
			for i, th := range []time.Duration{5 * time.Minute, time.Hour, 24 * time.Hour} {
				if h.Between(l.CreatedAt, end) <= th {
					g.within[i]++
				}
			}
		}
		all = append(all, slow{l.ID, l.CreatedAt, h.Between(l.CreatedAt, end)})
		d := days[local.Format(time.DateOnly)]
		d.requests++
		switch closed := l.Status == lead.StatusClosed && !l.ClosedAt.After(now); {
		case booked:
			d.booked++
		case closed:
			d.closedOther++
		default:
			d.open++
		}
		c := classes[l.Source.Class()]
		c[0]++
		if booked {
			c[1]++
		}
		classes[l.Source.Class()] = c
		p := Clean(PathOnly(l.Source.LandingPath))
		c = pages[p]
		c[0]++
		if booked {
			c[1]++
		}
		pages[p] = c
	}

	check := func(name string, got *Waits, want *naive) {
		t.Helper()
		if got.Requests != want.requests || got.Tried != want.tried || got.Booked != want.booked || got.Within != want.within {
			t.Errorf("%s: got requests %d tried %d booked %d within %v, want %d %d %d %v", name,
				got.Requests, got.Tried, got.Booked, got.Within, want.requests, want.tried, want.booked, want.within)
		}
		for _, p := range []int{50, 90, 1, 100} {
			g, gok := got.Percentile(p)
			w, wok := want.percentile(p)
			if g != w || gok != wok {
				t.Errorf("%s: percentile %d = %v %v, want %v %v", name, p, g, gok, w, wok)
			}
			// Spread counts every request, untried ones as waiting so far.
			gs, gat, gok := got.Spread(p)
			ws, wok := nearest(want.every, p)
			if gs != ws || gok != wok || gat != (want.untried > 0) {
				t.Errorf("%s: spread %d = %v at least %v %v, want %v %v %v", name, p, gs, gat, gok, ws, want.untried > 0, wok)
			}
		}
	}
	if total.requests < 1000 || total.tried == total.requests || total.booked == 0 || duplicates < 50 || closedLater == 0 {
		t.Fatalf("the sample is too thin to tell: %+v, %d duplicates, %d closed as duplicates after now", total, duplicates, closedLater)
	}
	if b.Duplicates != duplicates {
		t.Errorf("%d duplicates, want %d", b.Duplicates, duplicates)
	}
	if g, _, _ := b.Total.Spread(90); g <= func() time.Duration { d, _ := b.Total.P90(); return d }() {
		t.Errorf("the 90th percentile over every request (%v) is not above the tried ones' though untried requests wait until now", g)
	}
	for d := range heat {
		for hr := range heat[d] {
			check(time.Weekday(d).String()+" heat", &b.Heat[d][hr], &heat[d][hr])
		}
	}

	if len(b.Days) != len(dates) {
		t.Fatalf("%d days, want %d (%v)", len(b.Days), len(dates), dates)
	}
	long := 0
	for i, d := range b.Days {
		if k := d.Date.Format(time.DateOnly); k != dates[i] || d.Date.Location() != ny || d.Date.Hour() != 0 || d.Date.Minute() != 0 {
			t.Errorf("day %d is %s, want %s at local midnight", i, d.Date, dates[i])
		}
		w := days[dates[i]]
		if d.Requests != w.requests || d.Booked != w.booked || d.Open != w.open || d.ClosedOther != w.closedOther {
			t.Errorf("%s: %+v, want %+v", dates[i], d, *w)
		}
		if i > 0 && d.Date.Sub(b.Days[i-1].Date) == 25*time.Hour {
			long++
		}
	}
	if long != 1 || total.untried == 0 || days[dates[0]].closedOther == 0 {
		t.Errorf("the sample does not tell: %d 25-hour days, %d untried, first day %+v", long, total.untried, *days[dates[0]])
	}

	for _, r := range b.Classes.Rows() {
		if c := classes[r.Key]; c[0] != r.Requests || c[1] != r.Booked || !slices.Contains(lead.SourceClasses, r.Key) {
			t.Errorf("class %q: %d requests %d booked, want %v", r.Key, r.Requests, r.Booked, c)
		}
	}
	if len(b.Classes.Rows()) != len(classes) || len(classes) < 3 {
		t.Errorf("%d class rows, want %d (more than 2)", len(b.Classes.Rows()), len(classes))
	}
	check("total", &b.Total, &total)
	for d := range byDay {
		check(time.Weekday(d).String(), &b.ByWeekday[d], &byDay[d])
	}
	for hr := range byHour {
		check("hour", &b.ByHour[hr], &byHour[hr])
	}

	slices.SortStableFunc(all, func(x, y slow) int {
		return cmp.Or(cmp.Compare(y.wait, x.wait), x.at.Compare(y.at))
	})
	got := b.Slowest()
	if len(got) != MaxSlowest {
		t.Fatalf("%d slowest, want %d", len(got), MaxSlowest)
	}
	for i, s := range got {
		if s.ID != all[i].id || s.Number != all[i].id[len(all[i].id)-8:] || s.Wait != all[i].wait {
			t.Errorf("slowest %d = %s %s %v, want %s %v", i, s.ID, s.Number, s.Wait, all[i].id, all[i].wait)
		}
	}

	rows := b.Pages.Rows()
	sum := 0
	for _, r := range rows {
		sum += r.Requests
		if r.Key == Other {
			continue
		}
		if c := pages[r.Key]; c[0] != r.Requests || c[1] != r.Booked {
			t.Errorf("page %q: %d requests %d booked, want %v", r.Key, r.Requests, r.Booked, c)
		}
	}
	if sum != total.requests {
		t.Errorf("page rows add up to %d requests, want %d", sum, total.requests)
	}
}

func TestRank(t *testing.T) {
	for _, c := range []struct{ p, n, want int }{{50, 1, 1}, {50, 2, 1}, {50, 3, 2}, {50, 4, 2}, {90, 10, 9}, {90, 11, 10}, {100, 7, 7}, {1, 100, 1}} {
		if got := Rank(c.p, c.n); got != c.want {
			t.Errorf("Rank(%d, %d) = %d, want %d", c.p, c.n, got, c.want)
		}
	}
}

func TestCleanBoundsVisitorValues(t *testing.T) {
	long := Clean(string(make([]rune, 0)) + "/" + fmtRepeat("a", 500))
	if n := len([]rune(long)); n != MaxValue {
		t.Errorf("a 501-character value is %d characters, want %d", n, MaxValue)
	}
	if got := Clean(" a\r\nb\x00c "); got != "abc" {
		t.Errorf("Clean = %q, want control characters dropped", got)
	}
	if got := Clean("  "); got != None {
		t.Errorf("Clean(blank) = %q, want %q", got, None)
	}
	var a Attribution
	for i := range MaxKeys + 50 {
		a.add(fmtRepeat("x", i+1), i%2 == 0)
	}
	rows := a.Rows()
	if len(rows) != MaxRows+1 || rows[MaxRows].Key != Other || rows[MaxRows].Requests != MaxKeys+50-MaxRows {
		t.Errorf("%d rows, last %+v: want %d rows and the rest (%d) in %q", len(rows), rows[len(rows)-1], MaxRows+1, MaxKeys+50-MaxRows, Other)
	}
}

func fmtRepeat(s string, n int) string {
	out := make([]byte, 0, n*len(s))
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

func TestHeadline(t *testing.T) {
	at := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	from, to, now := at.Add(-14*time.Hour), at.Add(10*time.Hour), at.Add(30*time.Hour)
	tried := func(wait time.Duration, booked bool) lead.Lead {
		l := lead.Lead{ID: "id", CreatedAt: at, FirstAttempt: at.Add(wait), Status: lead.StatusOpen}
		if booked {
			l.Status, l.Closed, l.ClosedAt = lead.StatusClosed, lead.ClosedBooked, l.FirstAttempt
		}
		return l
	}
	untried := lead.Lead{ID: "new", CreatedAt: at, Status: lead.StatusNew}
	duplicate := lead.Lead{ID: "old", CreatedAt: at, Status: lead.StatusClosed, Closed: lead.ClosedDuplicate, ClosedAt: at.Add(time.Hour)}
	cases := []struct {
		name  string
		leads []lead.Lead
		want  string
	}{
		{"none", nil, "Yesterday: no requests."},
		{"one untried", []lead.Lead{untried}, "Yesterday: 1 request, not tried yet."},
		{"one fast, booked", []lead.Lead{tried(3*time.Minute, true)}, "Yesterday: 1 request, first call after 3 min (within 5 minutes), booked."},
		{"one slow", []lead.Lead{tried(150*time.Minute, false)}, "Yesterday: 1 request, first call after 2 h 30 min, not booked yet."},
		{"two untried", []lead.Lead{untried, untried}, "Yesterday: 2 requests, none tried yet."},
		{"several", []lead.Lead{tried(2*time.Minute, true), tried(38*time.Minute, false), tried(4*time.Minute, true), tried(26*time.Hour, false), untried},
			"Yesterday: 5 requests, median first call 4 min, 2 within 5 minutes, 2 booked; 1 not tried yet."},
		{"a duplicate alone", []lead.Lead{duplicate}, "Yesterday: no requests; 1 duplicate not counted."},
		{"one fast, and duplicates", []lead.Lead{duplicate, tried(3*time.Minute, true), duplicate},
			"Yesterday: 1 request, first call after 3 min (within 5 minutes), booked; 2 duplicates not counted."},
	}
	for _, c := range cases {
		b := New(from, to, now, hours.Hours{}, time.UTC)
		for _, l := range c.leads {
			b.Add(l)
		}
		if got := Headline("Yesterday", b); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestDaysEdges(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, ny) }
	type want struct {
		date                                string
		hours                               time.Duration // until the next day's midnight
		requests, booked, open, closedOther int
	}
	now := at(20, 12, 0)
	newLead := func(c time.Time) lead.Lead { return lead.Lead{ID: "n", CreatedAt: c, Status: lead.StatusNew} }
	closed := func(c time.Time, how lead.Reason, when time.Time) lead.Lead {
		return lead.Lead{ID: "c", CreatedAt: c, FirstAttempt: c.Add(time.Minute), Status: lead.StatusClosed, Closed: how, ClosedAt: when}
	}
	cases := []struct {
		name     string
		from, to time.Time
		leads    []lead.Lead
		want     []want
	}{
		{"empty span", at(7, 0, 0), at(7, 0, 0), []lead.Lead{newLead(at(7, 0, 0))}, nil},
		{"span ends before it starts", at(8, 0, 0), at(7, 0, 0), nil, nil},
		{"a day with no requests between two", at(5, 0, 0), at(8, 0, 0),
			[]lead.Lead{newLead(at(5, 23, 59)), closed(at(7, 0, 0), lead.ClosedBooked, at(7, 9, 0))},
			[]want{{"2026-03-05", 24 * time.Hour, 1, 0, 1, 0}, {"2026-03-06", 24 * time.Hour, 0, 0, 0, 0}, {"2026-03-07", 24 * time.Hour, 1, 1, 0, 0}}},
		{"the 23-hour day of spring forward, from mid-day, to a midnight", at(7, 10, 0), at(10, 0, 0),
			[]lead.Lead{
				newLead(at(8, 23, 30)), // 23:30 on the short day is still that day
				closed(at(9, 0, 30), lead.ClosedNotInterested, at(9, 8, 0)),
				closed(at(9, 1, 0), lead.ClosedBooked, now.Add(time.Hour)), // booked after now: open as of now
				newLead(at(10, 0, 0)), // past To
			},
			[]want{{"2026-03-07", 24 * time.Hour, 0, 0, 0, 0}, {"2026-03-08", 23 * time.Hour, 1, 0, 1, 0}, {"2026-03-09", 24 * time.Hour, 2, 0, 1, 1}}},
	}
	for _, c := range cases {
		b := New(c.from, c.to, now, hours.Hours{}, ny)
		for _, l := range c.leads {
			b.Add(l)
		}
		if len(b.Days) != len(c.want) {
			t.Errorf("%s: %d days %v, want %d", c.name, len(b.Days), b.Days, len(c.want))
			continue
		}
		for i, w := range c.want {
			d := b.Days[i]
			next := time.Date(d.Date.Year(), d.Date.Month(), d.Date.Day()+1, 0, 0, 0, 0, ny)
			got := want{d.Date.Format(time.DateOnly), next.Sub(d.Date), d.Requests, d.Booked, d.Open, d.ClosedOther}
			if got != w || d.Date.Hour() != 0 || d.Date.Location() != ny {
				t.Errorf("%s: day %d = %+v at %s, want %+v at local midnight", c.name, i, got, d.Date, w)
			}
		}
	}
}

func TestSpread(t *testing.T) {
	at := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	now := at.Add(2 * time.Hour)
	tried := func(wait time.Duration) lead.Lead {
		return lead.Lead{ID: "t", CreatedAt: at, FirstAttempt: at.Add(wait), Status: lead.StatusOpen}
	}
	untried := func(ago time.Duration) lead.Lead {
		return lead.Lead{ID: "u", CreatedAt: now.Add(-ago), Status: lead.StatusNew}
	}
	cases := []struct {
		name        string
		leads       []lead.Lead
		p           int
		want        time.Duration
		atLeast, ok bool
		tried       bool // Percentile has a value
	}{
		{"no requests", nil, 50, 0, false, false, false},
		{"all untried: the longest so far", []lead.Lead{untried(time.Hour), untried(90 * time.Minute), untried(10 * time.Minute)}, 100, 90 * time.Minute, true, true, false},
		{"all untried: the median so far", []lead.Lead{untried(time.Hour), untried(90 * time.Minute), untried(10 * time.Minute)}, 50, time.Hour, true, true, false},
		{"all tried", []lead.Lead{tried(3 * time.Minute), tried(time.Minute)}, 50, time.Minute, false, true, true},
		// The 57-untried case of issue 28: the median is an untried wait, not the tried ones'.
		{"an untried majority", []lead.Lead{tried(time.Minute), untried(time.Hour), untried(30 * time.Minute)}, 50, 30 * time.Minute, true, true, true},
		{"untried but short", []lead.Lead{tried(20 * time.Minute), tried(10 * time.Minute), untried(5 * time.Minute)}, 90, 20 * time.Minute, true, true, true},
	}
	for _, c := range cases {
		b := New(at.Add(-24*time.Hour), now, now, hours.Hours{}, time.UTC)
		for _, l := range c.leads {
			if !b.Add(l) {
				t.Fatalf("%s: lead at %s not added", c.name, l.CreatedAt)
			}
		}
		d, atLeast, ok := b.Total.Spread(c.p)
		if d != c.want || atLeast != c.atLeast || ok != c.ok {
			t.Errorf("%s: Spread(%d) = %v, at least %v, %v; want %v, %v, %v", c.name, c.p, d, atLeast, ok, c.want, c.atLeast, c.ok)
		}
		if _, ok := b.Total.Percentile(c.p); ok != c.tried {
			t.Errorf("%s: Percentile ok %v, want %v (tried requests only)", c.name, ok, c.tried)
		}
	}
}

func TestRateSmall(t *testing.T) {
	for _, c := range []struct {
		n    int
		want bool
	}{{0, true}, {SmallCount - 1, true}, {SmallCount, false}, {40, false}} {
		if got := (Rate{Requests: c.n}).Small(); got != c.want {
			t.Errorf("Rate of %d requests: Small %v, want %v", c.n, got, c.want)
		}
	}
}
