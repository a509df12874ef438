package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
)

// progressFunc changes the stored lead id as the staff page does, checking
// the store returns what it stored.
type progressFunc func(t *testing.T, s Store, id string, change func(*lead.Lead) error, now time.Time) lead.Lead

// runLists checks the inbox's lists: each in its order, bounded by a span
// (From included, To not), latest first on request, and a lead leaving one
// list for the next as staff work on it.
func runLists(t *testing.T, open func(t *testing.T) Store, progress progressFunc, policy lead.Policy) {
	ctx := context.Background()
	list := func(t *testing.T, s Store, l inbox.List, span inbox.Span, now time.Time) []string {
		t.Helper()
		return ids(t, s.List(ctx, l, span, now))
	}
	try := func(o lead.Outcome, at, callback time.Time) func(*lead.Lead) error {
		return func(l *lead.Lead) error {
			return l.Record(lead.Event{At: at, Outcome: o, Channel: lead.ChannelCall, By: lead.ByLink, Callback: callback}, policy)
		}
	}

	t.Run("the inbox's lists: order, span, latest first, and leads moving on", func(t *testing.T) {
		s := open(t)
		// a, b, c came in an hour apart.
		a, b, c := Lead(t0.Add(-3*time.Hour)), Lead(t0.Add(-2*time.Hour)), Lead(t0.Add(-time.Hour))
		for _, l := range []lead.Lead{c, a, b} {
			if err := s.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name string
			list inbox.List
			span inbox.Span
			want []string
		}{
			{"new, all", inbox.New, inbox.Span{}, []string{a.ID, b.ID, c.ID}},
			{"new, latest first", inbox.New, inbox.Span{Newest: true}, []string{c.ID, b.ID, a.ID}},
			{"new, from b", inbox.New, inbox.Span{From: b.CreatedAt}, []string{b.ID, c.ID}},
			{"new, to c (excluded)", inbox.New, inbox.Span{To: c.CreatedAt}, []string{a.ID, b.ID}},
			{"new, a to c", inbox.New, inbox.Span{From: a.CreatedAt, To: c.CreatedAt}, []string{a.ID, b.ID}},
			{"new, a to c, latest first", inbox.New, inbox.Span{From: a.CreatedAt, To: c.CreatedAt, Newest: true}, []string{b.ID, a.ID}},
			{"new, b to a microsecond after it", inbox.New, inbox.Span{From: b.CreatedAt, To: b.CreatedAt.Add(time.Microsecond)}, []string{b.ID}},
			{"new, to a nanosecond after b", inbox.New, inbox.Span{To: b.CreatedAt.Add(time.Nanosecond)}, []string{a.ID, b.ID}},
			{"new, an empty span", inbox.New, inbox.Span{From: c.CreatedAt, To: c.CreatedAt}, nil},
			{"new, a span ending before it starts", inbox.New, inbox.Span{From: c.CreatedAt, To: a.CreatedAt}, nil},
			{"no call-backs yet", inbox.Callback, inbox.Span{}, nil},
			{"none closed yet", inbox.Closed, inbox.Span{}, nil},
		}
		for _, tc := range cases {
			if diff := cmp.Diff(list(t, s, tc.list, tc.span, t0), tc.want); diff != "" {
				t.Errorf("%s (-got +want):\n%s", tc.name, diff)
			}
		}

		// a and b tried, with call-backs picked: b's first.
		progress(t, s, a.ID, try(lead.NoAnswer, t0, t0.Add(5*time.Hour)), t0)
		progress(t, s, b.ID, try(lead.LeftMessage, t0.Add(time.Minute), t0.Add(4*time.Hour)), t0.Add(time.Minute))
		now := t0.Add(2 * time.Minute)
		cases = []struct {
			name string
			list inbox.List
			span inbox.Span
			want []string
		}{
			{"new after the tries", inbox.New, inbox.Span{}, []string{c.ID}},
			{"call-backs", inbox.Callback, inbox.Span{}, []string{b.ID, a.ID}},
			{"call-backs, latest first", inbox.Callback, inbox.Span{Newest: true}, []string{a.ID, b.ID}},
			{"call-backs due before a's", inbox.Callback, inbox.Span{To: t0.Add(5 * time.Hour)}, []string{b.ID}},
			{"call-backs from a's", inbox.Callback, inbox.Span{From: t0.Add(5 * time.Hour)}, []string{a.ID}},
		}
		for _, tc := range cases {
			if diff := cmp.Diff(list(t, s, tc.list, tc.span, now), tc.want); diff != "" {
				t.Errorf("%s (-got +want):\n%s", tc.name, diff)
			}
		}

		// a booked, c not interested straight from new: both closed.
		progress(t, s, a.ID, try(lead.Booked, t0.Add(time.Hour), time.Time{}), t0.Add(time.Hour))
		progress(t, s, c.ID, try(lead.NotInterested, t0.Add(2*time.Hour), time.Time{}), t0.Add(2*time.Hour))
		now = t0.Add(3 * time.Hour)
		cases = []struct {
			name string
			list inbox.List
			span inbox.Span
			want []string
		}{
			{"new after closing", inbox.New, inbox.Span{}, nil},
			{"call-backs after closing", inbox.Callback, inbox.Span{}, []string{b.ID}},
			{"closed", inbox.Closed, inbox.Span{}, []string{a.ID, c.ID}},
			{"closed, latest first", inbox.Closed, inbox.Span{Newest: true}, []string{c.ID, a.ID}},
			{"closed in the last 90 minutes", inbox.Closed, inbox.Span{From: now.Add(-90 * time.Minute), Newest: true}, []string{c.ID}},
			{"closed before c", inbox.Closed, inbox.Span{From: t0, To: t0.Add(2 * time.Hour), Newest: true}, []string{a.ID}},
		}
		for _, tc := range cases {
			if diff := cmp.Diff(list(t, s, tc.list, tc.span, now), tc.want); diff != "" {
				t.Errorf("%s (-got +want):\n%s", tc.name, diff)
			}
		}

		// a reopened: a call-back due at once, no longer closed.
		progress(t, s, a.ID, func(l *lead.Lead) error {
			return l.Reopen(lead.Event{At: now, By: lead.ByLink}, policy)
		}, now)
		if diff := cmp.Diff(list(t, s, inbox.Closed, inbox.Span{}, now), []string{c.ID}); diff != "" {
			t.Errorf("closed after reopening a (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(list(t, s, inbox.Callback, inbox.Span{}, now), []string{a.ID, b.ID}); diff != "" {
			t.Errorf("call-backs after reopening a (-got +want):\n%s", diff)
		}

		// Past their retention, leads are listed nowhere.
		for _, l := range []inbox.List{inbox.New, inbox.Callback, inbox.Closed} {
			if got := list(t, s, l, inbox.Span{}, c.ExpiresAt); len(got) != 0 {
				t.Errorf("%s lists expired leads: %v", l, got)
			}
		}
	})
}
