// Package inbox orders the requests a front desk works through: call-backs
// due and new requests first (soonest due first), then the other open ones
// (by when they are due), then those closed in the last 7 days (latest
// first). It reads them page by page from the store's sparse indexes,
// never the whole table, and holds no storage of its own. A returning
// patient's open requests read as one row, the newest's (see Read).
package inbox

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/openclinic/leadhandler/internal/lead"
)

// List names one of the store's ordered lists of leads.
type List string

// The lists the inbox reads.
const (
	// New are the leads nobody has tried yet, by when they came in.
	New List = "new"
	// Callback are the open leads, by when their call-back is due.
	Callback List = "callback"
	// Closed are the closed leads, by when they closed.
	Closed List = "closed"
)

// At is a lead's time in list: what the list is ordered by.
func At(list List, l lead.Lead) time.Time {
	switch list {
	case New:
		return l.CreatedAt
	case Callback:
		return l.Callback
	}
	return l.ClosedAt
}

// Span bounds a list by its time: From is included, To is not (a zero To:
// no bound). Newest lists latest first.
type Span struct {
	From, To time.Time
	Newest   bool
}

// Source yields a list's leads in span, in order, page by page. It skips
// leads whose retention has ended and leads that no longer belong in the
// list (an index lags its table). Get reads one lead, for the few rows
// linked to a patient's other requests (lead.ErrNotFound: not stored, or
// its retention has ended).
type Source interface {
	List(ctx context.Context, list List, span Span, now time.Time) iter.Seq2[lead.Lead, error]
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
}

// Show is which part of the inbox is listed.
type Show string

// What the filter offers.
const (
	ShowAll    Show = "all"
	ShowOpen   Show = "open"
	ShowClosed Show = "closed"
)

// Section is one part of the inbox, in the order it is listed.
type Section int

// The sections.
const (
	Due    Section = iota // call-backs due and new requests
	Later                 // open, with a call-back due later
	Recent                // closed in the last RecentDays days
)

// RecentDays is how far back the inbox lists closed requests.
const RecentDays = 7

// PageSize is how many rows a page lists.
const PageSize = 50

// MaxRead bounds how many leads one page reads while searching: a search
// that finds fewer than a page among them offers to go on.
const MaxRead = 2000

// Cursor is where a page ends: the last row listed. The zero Cursor is the
// start of the inbox.
type Cursor struct {
	Section Section
	At      time.Time
	ID      string
}

// ErrCursor: a cursor (the page's "after" parameter) that cannot be read.
var ErrCursor = errors.New("bad inbox cursor")

// String is the cursor as a URL parameter: no personal detail, only a
// section, a time and a lead id.
func (c Cursor) String() string {
	return strconv.Itoa(int(c.Section)) + "." + strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.ID
}

// ParseCursor reads Cursor.String; "" is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 {
		return Cursor{}, ErrCursor
	}
	sec, err1 := strconv.Atoi(parts[0])
	at, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || sec < int(Due) || sec > int(Recent) || parts[2] == "" {
		return Cursor{}, ErrCursor
	}
	return Cursor{Section: Section(sec), At: time.UnixMicro(at).UTC(), ID: parts[2]}, nil
}

// Query is what one page asks for.
type Query struct {
	Show   Show
	Search string // name words, an email address, phone digits or a request number (matcher); "" lists every row
	After  Cursor
	// Started reports whether After is set (the zero cursor also starts).
	Started bool
	Size    int // PageSize when 0
}

// Row is one listed lead and the section it is listed in. Requests is how
// many open requests of the patient the row stands for, the lead's own
// included: 1, or more on the newest of a returning patient's open
// requests, the earlier ones folded into its row.
type Row struct {
	Lead     lead.Lead
	Section  Section
	Requests int
}

// Page is one page of the inbox: its rows and, when there is more, where
// the next page starts.
type Page struct {
	Rows []Row
	Next *Cursor
	// Cut reports that a search stopped after MaxRead leads without filling
	// the page: Next goes on searching.
	Cut bool
}

// Read lists one page of the inbox at now. Listed without a search, a
// patient's open requests (lead.Earlier and lead.Newer link them) are one
// row: an open request whose newer one is open too is folded into the
// newer one's row, which counts them (Row.Requests). Closed requests and
// a search's matches are each listed on their own, so a search by an
// earlier request's details finds it.
func Read(ctx context.Context, src Source, q Query, now time.Time) (Page, error) {
	size := q.Size
	if size <= 0 {
		size = PageSize
	}
	match := matcher(q.Search)
	var p Page
	read := 0
	for _, sec := range sections(q.Show) {
		if q.Started && sec < q.After.Section {
			continue
		}
		after := (*Cursor)(nil)
		if q.Started && sec == q.After.Section {
			after = &q.After
		}
		for l, err := range rows(ctx, src, sec, after, now) {
			if err != nil {
				return Page{}, err
			}
			read++
			fold := q.Search == "" && sec != Recent
			listed := match(l)
			if listed && fold {
				// Decided before the page counts the row, so a folded
				// row never leaves a page short or a next page empty.
				in, err := folded(ctx, src, l, now)
				if err != nil {
					return Page{}, err
				}
				listed = !in
			}
			if listed {
				if len(p.Rows) == size {
					// A row beyond the page: there is a next one.
					last := p.Rows[size-1]
					p.Next = &Cursor{Section: last.Section, At: timeIn(last.Section, last.Lead), ID: last.Lead.ID}
					return p, nil
				}
				n := 1
				if fold {
					if n, err = requests(ctx, src, l, now); err != nil {
						return Page{}, err
					}
				}
				p.Rows = append(p.Rows, Row{Lead: l, Section: sec, Requests: n})
			}
			if read >= MaxRead && q.Search != "" && len(p.Rows) < size {
				p.Next, p.Cut = &Cursor{Section: sec, At: timeIn(sec, l), ID: l.ID}, true
				return p, nil
			}
		}
	}
	return p, nil
}

// folded reports whether an open lead l is folded into the row of its
// newer request (lead.Newer): when that one is stored, listed open, and
// came in after l (so links that loop never hide a patient). Only a
// linked lead costs a read.
func folded(ctx context.Context, src Source, l lead.Lead, now time.Time) (bool, error) {
	if l.Newer == "" {
		return false, nil
	}
	newer, err := src.Get(ctx, l.Newer, now)
	switch {
	case errors.Is(err, lead.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("inbox: read the newer request of %s: %w", l.ID, err)
	}
	return listedOpen(newer) && newer.CreatedAt.After(l.CreatedAt), nil
}

// requests counts the patient's open requests an open lead l's row stands
// for: l and its earlier requests still stored and open.
func requests(ctx context.Context, src Source, l lead.Lead, now time.Time) (int, error) {
	n := 1
	for _, id := range l.Earlier {
		e, err := src.Get(ctx, id, now)
		switch {
		case errors.Is(err, lead.ErrNotFound):
		case err != nil:
			return 0, fmt.Errorf("inbox: read an earlier request of %s: %w", l.ID, err)
		case listedOpen(e):
			n++
		}
	}
	return n, nil
}

// listedOpen reports whether l is in the open part of the inbox (sections
// Due or Later): new, or open with a call-back time.
func listedOpen(l lead.Lead) bool {
	return l.Status == lead.StatusNew || l.Status == lead.StatusOpen && !l.Callback.IsZero()
}

func sections(show Show) []Section {
	switch show {
	case ShowOpen:
		return []Section{Due, Later}
	case ShowClosed:
		return []Section{Recent}
	}
	return []Section{Due, Later, Recent}
}

// timeIn is what section sec orders l by.
func timeIn(sec Section, l lead.Lead) time.Time {
	switch {
	case sec == Recent:
		return l.ClosedAt
	case l.Status == lead.StatusNew:
		return l.CreatedAt
	}
	return l.Callback
}

// rows yields section sec's leads in order, after the cursor (nil: from
// its start).
func rows(ctx context.Context, src Source, sec Section, after *Cursor, now time.Time) iter.Seq2[lead.Lead, error] {
	var seq iter.Seq2[lead.Lead, error]
	switch sec {
	case Due:
		// Due call-backs are due at or before now; every new request is due.
		from := time.Time{}
		if after != nil {
			from = after.At
		}
		seq = merge(
			src.List(ctx, New, Span{From: from}, now),
			src.List(ctx, Callback, Span{From: from, To: now.Add(time.Microsecond)}, now),
			func(l lead.Lead) time.Time { return timeIn(Due, l) })
	case Later:
		from := now.Add(time.Microsecond)
		if after != nil && after.At.After(from) {
			from = after.At
		}
		seq = src.List(ctx, Callback, Span{From: from}, now)
	default:
		span := Span{From: now.AddDate(0, 0, -RecentDays), Newest: true}
		if after != nil {
			span.To = after.At.Add(time.Microsecond)
		}
		seq = src.List(ctx, Closed, span, now)
	}
	if after == nil {
		return seq
	}
	// Skip what the cursor's page listed: rows at the cursor's time up to
	// and including its lead.
	return func(yield func(lead.Lead, error) bool) {
		skipping := true
		for l, err := range seq {
			if err == nil && skipping {
				t := timeIn(sec, l)
				if t.Equal(after.At) {
					if l.ID == after.ID {
						skipping = false
					}
					continue
				}
				skipping = false
			}
			if !yield(l, err) {
				return
			}
		}
	}
}

// merge yields a's and b's leads together, in the order of at (each is in
// that order already).
func merge(a, b iter.Seq2[lead.Lead, error], at func(lead.Lead) time.Time) iter.Seq2[lead.Lead, error] {
	return func(yield func(lead.Lead, error) bool) {
		nextA, stopA := iter.Pull2(a)
		defer stopA()
		nextB, stopB := iter.Pull2(b)
		defer stopB()
		la, errA, okA := nextA()
		lb, errB, okB := nextB()
		for okA || okB {
			switch {
			case okA && errA != nil:
				yield(lead.Lead{}, errA)
				return
			case okB && errB != nil:
				yield(lead.Lead{}, errB)
				return
			case okA && (!okB || !at(lb).Before(at(la))):
				if !yield(la, nil) {
					return
				}
				la, errA, okA = nextA()
			default:
				if !yield(lb, nil) {
					return
				}
				lb, errB, okB = nextB()
			}
		}
	}
}

// matcher is the search. A lead matches by its request number
// (lead.RequestNumber, with or without a leading #) or its whole id, any
// case; by a run of the phone number's digits when the search is digits
// and punctuation only (three digits at least, so a typed "1" does not
// match all); else by its email address holding the search (one word, any
// case: the whole address or a part), or by its name holding every word
// of the search, in any order ("Hill Margaret" finds "Margaret Hill").
func matcher(search string) func(lead.Lead) bool {
	search = strings.TrimSpace(search)
	if search == "" {
		return func(lead.Lead) bool { return true }
	}
	lower := strings.ToLower(search)
	words := strings.Fields(lower)
	number := strings.TrimPrefix(lower, "#")
	digits := onlyDigits(search)
	byPhone := len(digits) >= 3 && strings.IndexFunc(search, unicode.IsLetter) < 0
	byEmail := len(words) == 1
	return func(l lead.Lead) bool {
		switch {
		case strings.EqualFold(l.Number(), number) || strings.EqualFold(l.ID, number):
			return true
		case byPhone:
			return strings.Contains(onlyDigits(l.Phone), digits) || strings.Contains(onlyDigits(l.PhoneDisplay), digits)
		case byEmail && strings.Contains(strings.ToLower(l.Email), lower):
			return true
		}
		name := strings.ToLower(l.Name)
		for _, w := range words {
			if !strings.Contains(name, w) {
				return false
			}
		}
		return true
	}
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
