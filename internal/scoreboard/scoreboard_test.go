package scoreboard

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
}

func (n *naive) percentile(p int) (time.Duration, bool) {
	if len(n.waits) == 0 {
		return 0, false
	}
	w := slices.Clone(n.waits)
	slices.Sort(w)
	// Nearest rank: the smallest wait with at least p% of waits at or below it.
	for i, d := range w {
		if (i+1)*100 >= p*len(w) {
			return d, true
		}
	}
	return w[len(w)-1], true
}

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
	now := to.Add(36 * time.Hour)
	leads := Sample(from.Add(-48*time.Hour), to.Add(48*time.Hour), now, 3000, 17)

	b := New(from, to, now, h, ny)
	var total naive
	var byDay [7]naive
	var byHour [24]naive
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
		end := now
		if !l.FirstAttempt.IsZero() {
			end = l.FirstAttempt
		}
		wait := h.Between(l.CreatedAt, end).Truncate(time.Second)
		booked := l.Closed == lead.ClosedBooked
		local := l.CreatedAt.In(ny)
		for _, g := range []*naive{&total, &byDay[local.Weekday()], &byHour[local.Hour()]} {
			g.requests++
			if booked {
				g.booked++
			}
			if l.FirstAttempt.IsZero() {
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
		all = append(all, slow{l.ID[:8], l.CreatedAt, h.Between(l.CreatedAt, end)})
		p := Clean(PathOnly(l.Source.LandingPath))
		c := pages[p]
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
		}
	}
	if total.requests < 1000 || total.tried == total.requests || total.booked == 0 {
		t.Fatalf("the sample is too thin to tell: %+v", total)
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
		if s.Number != all[i].id || s.Wait != all[i].wait {
			t.Errorf("slowest %d = %s %v, want %s %v", i, s.Number, s.Wait, all[i].id, all[i].wait)
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
