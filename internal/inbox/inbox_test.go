package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
)

var now = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

// clinic holds one lead of each kind, named for where it belongs.
func clinic(t *testing.T) *storetest.MemStore {
	t.Helper()
	s := storetest.NewMemStore()
	add := func(name string, created time.Time, change func(*lead.Lead)) {
		l := storetest.Lead(created)
		l.Name = name
		if change != nil {
			change(&l)
		}
		if err := s.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
	}
	open := func(callback time.Time) func(*lead.Lead) {
		return func(l *lead.Lead) { l.Status, l.Tries, l.Callback = lead.StatusOpen, 1, callback }
	}
	closed := func(at time.Time) func(*lead.Lead) {
		return func(l *lead.Lead) {
			l.Status, l.Closed, l.ClosedAt, l.Tries = lead.StatusClosed, lead.ClosedBooked, at, 1
		}
	}
	add("new 2h ago", now.Add(-2*time.Hour), nil)
	add("new 1d ago", now.Add(-24*time.Hour), nil)
	add("due 3h ago", now.Add(-48*time.Hour), open(now.Add(-3*time.Hour)))
	add("due 1h ago", now.Add(-48*time.Hour), open(now.Add(-time.Hour)))
	add("later in 2h", now.Add(-48*time.Hour), open(now.Add(2*time.Hour)))
	add("later tomorrow", now.Add(-48*time.Hour), open(now.Add(20*time.Hour)))
	add("closed 1d ago", now.Add(-48*time.Hour), closed(now.Add(-24*time.Hour)))
	add("closed 5d ago", now.Add(-8*24*time.Hour), closed(now.Add(-5*24*time.Hour)))
	add("closed 8d ago", now.Add(-9*24*time.Hour), closed(now.Add(-8*24*time.Hour)))
	add("expired", now.Add(-400*24*time.Hour), func(l *lead.Lead) { l.ExpiresAt = now.Add(-time.Hour) })
	return s
}

func names(p inbox.Page) []string {
	var out []string
	for _, r := range p.Rows {
		out = append(out, fmt.Sprintf("%d %s", r.Section, r.Lead.Name))
	}
	return out
}

func TestTheOrderAFrontDeskCallsIn(t *testing.T) {
	s := clinic(t)
	tests := []struct {
		show inbox.Show
		want []string
	}{
		{inbox.ShowAll, []string{
			"0 new 1d ago", "0 due 3h ago", "0 new 2h ago", "0 due 1h ago", // due now, the longest waiting first
			"1 later in 2h", "1 later tomorrow",
			"2 closed 1d ago", "2 closed 5d ago", // the last 7 days', latest first
		}},
		{inbox.ShowOpen, []string{"0 new 1d ago", "0 due 3h ago", "0 new 2h ago", "0 due 1h ago", "1 later in 2h", "1 later tomorrow"}},
		{inbox.ShowClosed, []string{"2 closed 1d ago", "2 closed 5d ago"}},
	}
	for _, tt := range tests {
		p, err := inbox.Read(context.Background(), s, inbox.Query{Show: tt.show}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(p); !slices.Equal(got, tt.want) || p.Next != nil {
			t.Errorf("%s: got %q (next %v), want %q", tt.show, got, p.Next, tt.want)
		}
	}
}

func TestPagesGoOnWhereTheLastEnded(t *testing.T) {
	s := clinic(t)
	var all []string
	q := inbox.Query{Show: inbox.ShowAll, Size: 1}
	for range 20 {
		p, err := inbox.Read(context.Background(), s, q, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) != 1 {
			t.Fatalf("a page of %d rows, want 1", len(p.Rows))
		}
		all = append(all, names(p)...)
		if p.Next == nil {
			break
		}
		// The cursor travels in the URL.
		c, err := inbox.ParseCursor(p.Next.String())
		if err != nil || c != *p.Next {
			t.Fatalf("cursor %v read back as %v, %v", *p.Next, c, err)
		}
		q.After, q.Started = c, true
	}
	whole, _ := inbox.Read(context.Background(), s, inbox.Query{Show: inbox.ShowAll}, now)
	if !slices.Equal(all, names(whole)) {
		t.Errorf("paged %q, want %q", all, names(whole))
	}
}

func TestEqualTimesPageByID(t *testing.T) {
	s := storetest.NewMemStore()
	for range 5 {
		if err := s.Save(context.Background(), storetest.Lead(now.Add(-time.Hour)), nil); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	q := inbox.Query{Show: inbox.ShowAll, Size: 2}
	for {
		p, err := inbox.Read(context.Background(), s, q, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rows {
			ids = append(ids, r.Lead.ID)
		}
		if p.Next == nil {
			break
		}
		q.After, q.Started = *p.Next, true
	}
	if len(ids) != 5 || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 5 {
		t.Errorf("paged %d rows (%q), want each of 5 once", len(ids), ids)
	}
}

func TestSearchByNameEmailPhoneOrRequestNumber(t *testing.T) {
	s := clinic(t)
	other := storetest.Lead(now.Add(-time.Hour))
	other.ID = "0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b" // a UUIDv7: its first 8 shared with its minute's
	other.Name, other.Phone, other.PhoneDisplay, other.Email = "Zoë Ångström", "+13105550199", "(310) 555-0199", "Zoe.Angstrom@Example.org"
	numbered := storetest.Lead(now.Add(-90 * time.Minute))
	numbered.ID = "0190a1b2-c3d4-7e5f-8a6b-1c2d12345678" // a request number of digits only
	numbered.Name = "Margaret Hill"
	for _, l := range []lead.Lead{other, numbered} {
		if err := s.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		search string
		want   []string
	}{
		// Name: any part, any case, every word in any order.
		{"zoë", []string{"0 Zoë Ångström"}},
		{"ÅNGSTRÖM", []string{"0 Zoë Ångström"}},
		{"Hill Margaret", []string{"0 Margaret Hill"}},
		{"  hill   marg ", []string{"0 Margaret Hill"}},
		{"Margaret Smith", nil}, // every word must match
		{"closed 5", []string{"2 closed 5d ago"}},
		{"8d", nil}, // closed too long ago: not listed, not found
		{"expired", nil},
		// Email: the whole address or a part, any case.
		{"zoe.angstrom@example.org", []string{"0 Zoë Ångström"}},
		{"ZOE.ANGSTROM@", []string{"0 Zoë Ångström"}},
		{"example.org", []string{"0 Zoë Ångström"}},
		// Phone digits, as typed.
		{"(310) 555-0199", []string{"0 Zoë Ångström"}},
		{"310-555-0199", []string{"0 Zoë Ångström"}},
		{"0199", []string{"0 Zoë Ångström"}},
		{"12", nil}, // too few digits to search by
		{"555", []string{"0 new 1d ago", "0 due 3h ago", "0 new 2h ago", "0 Margaret Hill", "0 Zoë Ångström", "0 due 1h ago",
			"1 later in 2h", "1 later tomorrow", "2 closed 1d ago", "2 closed 5d ago"}},
		{"Zoë 0199", nil}, // words: a name search
		{"3015550", nil},  // every digit counts, zeros too
		// The request number (the id's last 8), any case, with or without
		// #; or the whole id. Not the id's first 8, which a minute shares.
		{"3e4f5a6b", []string{"0 Zoë Ångström"}},
		{"#3E4F5A6B", []string{"0 Zoë Ångström"}},
		{"0190A1B2-C3D4-7E5F-8A6B-1C2D3E4F5A6B", []string{"0 Zoë Ångström"}},
		{"12345678", []string{"0 Margaret Hill"}}, // digits: the number, not a phone's
		{"0190a1b2", nil},
	} {
		p, err := inbox.Read(context.Background(), s, inbox.Query{Show: inbox.ShowAll, Search: tt.search}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(p); !slices.Equal(got, tt.want) {
			t.Errorf("search %q: got %q, want %q", tt.search, got, tt.want)
		}
	}
}

func TestBadCursors(t *testing.T) {
	for _, s := range []string{"x", "1.2", "9.0.id", "3.0.id", "-1.0.id", "0.x.id", "0.1."} {
		if _, err := inbox.ParseCursor(s); !errors.Is(err, inbox.ErrCursor) {
			t.Errorf("%q: %v, want ErrCursor", s, err)
		}
	}
}

// failing is a clinic whose list fails after its first lead.
type failing struct {
	*storetest.MemStore
	list inbox.List
}

func (f failing) List(ctx context.Context, list inbox.List, span inbox.Span, now time.Time) iter.Seq2[lead.Lead, error] {
	if list != f.list {
		return f.MemStore.List(ctx, list, span, now)
	}
	return func(yield func(lead.Lead, error) bool) {
		for l, err := range f.MemStore.List(ctx, list, span, now) {
			if !yield(l, err) {
				return
			}
			break
		}
		yield(lead.Lead{}, errors.New("down"))
	}
}

func TestAStoreFailureIsAnError(t *testing.T) {
	for _, list := range []inbox.List{inbox.New, inbox.Callback, inbox.Closed} {
		if p, err := inbox.Read(context.Background(), failing{clinic(t), list}, inbox.Query{Show: inbox.ShowAll}, now); err == nil {
			t.Errorf("%s failing: no error, %q", list, names(p))
		}
	}
}

func TestASearchReadsAtMostMaxReadAPage(t *testing.T) {
	s := storetest.NewMemStore()
	for i := range inbox.MaxRead + 10 {
		l := storetest.Lead(now.Add(-time.Duration(inbox.MaxRead+10-i) * time.Second))
		if i == inbox.MaxRead+5 {
			l.Name = "Needle"
		}
		if err := s.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
	}
	first, err := inbox.Read(context.Background(), s, inbox.Query{Show: inbox.ShowAll, Search: "needle"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Cut || first.Next == nil || len(first.Rows) != 0 {
		t.Fatalf("first page: cut %v, next %v, %d rows; want cut after %d with nothing found", first.Cut, first.Next, len(first.Rows), inbox.MaxRead)
	}
	second, err := inbox.Read(context.Background(), s, inbox.Query{Show: inbox.ShowAll, Search: "needle", After: *first.Next, Started: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if second.Cut || second.Next != nil || !slices.Equal(names(second), []string{"0 Needle"}) {
		t.Errorf("second page: cut %v, next %v, %q; want the needle and the end", second.Cut, second.Next, names(second))
	}
	// Listing without a search is paged by rows, never cut.
	all, _ := inbox.Read(context.Background(), s, inbox.Query{Show: inbox.ShowAll}, now)
	if all.Cut || len(all.Rows) != inbox.PageSize || all.Next == nil {
		t.Errorf("the plain list: cut %v, %d rows", all.Cut, len(all.Rows))
	}
}

// patient is the clinic with Margaret's two requests, linked as notify
// links them: her first (an open call-back due an hour ago, from 3 days
// ago) and her second (new, 30 minutes ago), each changed by change (nil:
// as is) before it is saved.
func patient(t *testing.T, first, second func(*lead.Lead)) (s *storetest.MemStore, a, b lead.Lead) {
	t.Helper()
	s = clinic(t)
	a = storetest.Lead(now.Add(-72 * time.Hour))
	a.Name, a.Email = "Margaret Hill (first)", "mhill@example.org"
	a.Status, a.Tries, a.Callback = lead.StatusOpen, 4, now.Add(-time.Hour)
	b = storetest.Lead(now.Add(-30 * time.Minute))
	b.Name, b.Email = "Margaret Hill (second)", "margaret.hill@example.com"
	for _, c := range []struct {
		l      *lead.Lead
		change func(*lead.Lead)
	}{{&a, first}, {&b, second}} {
		if c.change != nil {
			c.change(c.l)
		}
		if err := s.Save(context.Background(), *c.l, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LinkEarlier(context.Background(), b.ID, []string{a.ID}); err != nil {
		t.Fatal(err)
	}
	return s, a, b
}

func closedAt(at time.Time) func(*lead.Lead) {
	return func(l *lead.Lead) {
		l.Status, l.Closed, l.ClosedAt, l.Callback = lead.StatusClosed, lead.ClosedUnreachable, at, time.Time{}
	}
}

// margaret is the page's rows of Margaret's requests, each with how many
// requests it stands for; others lists the other rows.
func margaret(p inbox.Page) (hers, others []string) {
	for _, r := range p.Rows {
		if strings.HasPrefix(r.Lead.Name, "Margaret") {
			hers = append(hers, fmt.Sprintf("%d %s: %d", r.Section, r.Lead.Name, r.Requests))
		} else {
			others = append(others, fmt.Sprintf("%d %s", r.Section, r.Lead.Name))
		}
	}
	return hers, others
}

func TestAReturningPatientsOpenRequestsAreOneRow(t *testing.T) {
	for _, tt := range []struct {
		name          string
		first, second func(*lead.Lead)
		show          inbox.Show
		want          []string
	}{
		{"both open: the newest, standing for two", nil, nil, inbox.ShowAll,
			[]string{"0 Margaret Hill (second): 2"}},
		{"both open, the open ones", nil, nil, inbox.ShowOpen,
			[]string{"0 Margaret Hill (second): 2"}},
		{"the newest due later: one row, where the newest is", nil,
			func(l *lead.Lead) { l.Status, l.Tries, l.Callback = lead.StatusOpen, 1, now.Add(3*time.Hour) }, inbox.ShowAll,
			[]string{"1 Margaret Hill (second): 2"}},
		{"the first closed: the second alone, the first under closed", closedAt(now.Add(-2 * time.Hour)), nil, inbox.ShowAll,
			[]string{"0 Margaret Hill (second): 1", "2 Margaret Hill (first): 1"}},
		{"the second closed: the first on its own", nil, closedAt(now.Add(-10 * time.Minute)), inbox.ShowAll,
			[]string{"0 Margaret Hill (first): 1", "2 Margaret Hill (second): 1"}},
		{"both closed: each under closed", closedAt(now.Add(-2 * time.Hour)), closedAt(now.Add(-10 * time.Minute)), inbox.ShowAll,
			[]string{"2 Margaret Hill (second): 1", "2 Margaret Hill (first): 1"}},
		{"the closed ones alone", nil, closedAt(now.Add(-10 * time.Minute)), inbox.ShowClosed,
			[]string{"2 Margaret Hill (second): 1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := patient(t, tt.first, tt.second)
			p, err := inbox.Read(context.Background(), s, inbox.Query{Show: tt.show}, now)
			if err != nil {
				t.Fatal(err)
			}
			hers, others := margaret(p)
			if !slices.Equal(hers, tt.want) {
				t.Errorf("got %q, want %q", hers, tt.want)
			}
			// The other patients' rows are as ever.
			alone, err := inbox.Read(context.Background(), clinic(t), inbox.Query{Show: tt.show}, now)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(others, names(alone)) {
				t.Errorf("the other rows: %q, want %q", others, names(alone))
			}
		})
	}
}

func TestThreeOpenRequestsOfOnePatientAreOneRow(t *testing.T) {
	ctx := context.Background()
	s, a, b := patient(t, nil, nil)
	c := storetest.Lead(now.Add(-5 * time.Minute))
	c.Name = "Margaret Hill (third)"
	if err := s.Save(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkEarlier(ctx, c.ID, []string{b.ID, a.ID}); err != nil {
		t.Fatal(err)
	}
	p, err := inbox.Read(ctx, s, inbox.Query{Show: inbox.ShowAll}, now)
	if err != nil {
		t.Fatal(err)
	}
	if hers, _ := margaret(p); !slices.Equal(hers, []string{"0 Margaret Hill (third): 3"}) {
		t.Errorf("got %q, want the third, standing for 3", hers)
	}
}

func TestASearchListsEachOfAPatientsRequests(t *testing.T) {
	s, _, _ := patient(t, nil, nil)
	for _, tt := range []struct {
		search string
		want   []string
	}{
		{"margaret hill", []string{"0 Margaret Hill (first): 1", "0 Margaret Hill (second): 1"}},
		{"mhill@example.org", []string{"0 Margaret Hill (first): 1"}}, // the earlier request's own email
		{"margaret.hill@", []string{"0 Margaret Hill (second): 1"}},
	} {
		p, err := inbox.Read(context.Background(), s, inbox.Query{Show: inbox.ShowOpen, Search: tt.search}, now)
		if err != nil {
			t.Fatal(err)
		}
		if hers, _ := margaret(p); !slices.Equal(hers, tt.want) {
			t.Errorf("search %q: got %q, want %q", tt.search, hers, tt.want)
		}
	}
}

func TestPagesStayFullAcrossAFoldedRow(t *testing.T) {
	// Margaret's first request is due later, the last open row: folded,
	// it must not leave an empty page after the open ones.
	laterFirst := func(l *lead.Lead) { l.Callback = now.Add(48 * time.Hour) }
	for _, first := range []func(*lead.Lead){nil, laterFirst} {
		s, _, _ := patient(t, first, nil)
		for _, show := range []inbox.Show{inbox.ShowAll, inbox.ShowOpen} {
			whole, err := inbox.Read(context.Background(), s, inbox.Query{Show: show}, now)
			if err != nil {
				t.Fatal(err)
			}
			for size := 1; size <= 4; size++ {
				var all []string
				q := inbox.Query{Show: show, Size: size}
				for range 20 {
					p, err := inbox.Read(context.Background(), s, q, now)
					if err != nil {
						t.Fatal(err)
					}
					if len(p.Rows) == 0 || p.Next != nil && len(p.Rows) != size {
						t.Errorf("%s by %d: a page of %d rows (next %v) after %q", show, size, len(p.Rows), p.Next, all)
					}
					all = append(all, names(p)...)
					if p.Next == nil {
						break
					}
					c, err := inbox.ParseCursor(p.Next.String())
					if err != nil {
						t.Fatal(err)
					}
					q.After, q.Started = c, true
				}
				if !slices.Equal(all, names(whole)) {
					t.Errorf("%s by %d: paged %q, want %q", show, size, all, names(whole))
				}
			}
		}
	}
}

// counting counts the leads read one by one.
type counting struct {
	*storetest.MemStore
	gets int
}

func (c *counting) Get(ctx context.Context, id string, now time.Time) (lead.Lead, error) {
	c.gets++
	return c.MemStore.Get(ctx, id, now)
}

func TestOnlyLinkedRowsCostARead(t *testing.T) {
	plain := &counting{MemStore: clinic(t)}
	if _, err := inbox.Read(context.Background(), plain, inbox.Query{Show: inbox.ShowAll}, now); err != nil {
		t.Fatal(err)
	}
	s, _, _ := patient(t, nil, nil)
	linked := &counting{MemStore: s}
	if _, err := inbox.Read(context.Background(), linked, inbox.Query{Show: inbox.ShowAll}, now); err != nil {
		t.Fatal(err)
	}
	// The first's newer one, the second's earlier one.
	if plain.gets != 0 || linked.gets != 2 {
		t.Errorf("%d reads without links, %d with Margaret's two; want 0 and 2", plain.gets, linked.gets)
	}
}

func TestAFailedReadOfALinkedRequestIsAnError(t *testing.T) {
	s, _, _ := patient(t, nil, nil)
	if p, err := inbox.Read(context.Background(), failingGet{s}, inbox.Query{Show: inbox.ShowAll}, now); err == nil {
		t.Errorf("no error, %q", names(p))
	}
}

// failingGet lists, but cannot read a lead on its own.
type failingGet struct{ *storetest.MemStore }

func (failingGet) Get(context.Context, string, time.Time) (lead.Lead, error) {
	return lead.Lead{}, errors.New("down")
}

func TestLinksThatLoopNeverHideAPatient(t *testing.T) {
	s, a, b := patient(t, nil, nil)
	// The second linked as earlier than the first too: each is the
	// other's newer.
	if err := s.LinkEarlier(context.Background(), a.ID, []string{b.ID}); err != nil {
		t.Fatal(err)
	}
	p, err := inbox.Read(context.Background(), s, inbox.Query{Show: inbox.ShowAll}, now)
	if err != nil {
		t.Fatal(err)
	}
	if hers, _ := margaret(p); !slices.Equal(hers, []string{"0 Margaret Hill (second): 2"}) {
		t.Errorf("got %q, want the second, standing for two", hers)
	}
}
