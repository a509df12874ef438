package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/lead"
)

// runRequested checks that the report's read finds every lead requested
// in a span, whatever became of it (new, open with a call-back, closed,
// closed after the span), and none requested outside it.
func runRequested(t *testing.T, open func(t *testing.T) Store, progress progressFunc, policy lead.Policy) {
	ctx := context.Background()
	t.Run("requested in a span, whatever their status", func(t *testing.T) {
		s := open(t)
		from, to := t0, t0.Add(24*time.Hour)
		before, untried, tried, booked, closedLater, after := Lead(from.Add(-time.Minute)), Lead(from), Lead(from.Add(time.Hour)),
			Lead(from.Add(2*time.Hour)), Lead(to.Add(-time.Microsecond)), Lead(to)
		for _, l := range []lead.Lead{before, untried, tried, booked, closedLater, after} {
			if err := s.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
		}
		attempt := func(o lead.Outcome, at time.Time) func(*lead.Lead) error {
			return func(l *lead.Lead) error {
				return l.Record(lead.Event{At: at, Outcome: o, Channel: lead.ChannelCall, By: lead.ByLink}, policy)
			}
		}
		now := to.Add(48 * time.Hour)
		progress(t, s, before.ID, attempt(lead.Booked, from.Add(time.Hour)), from.Add(time.Hour))
		progress(t, s, tried.ID, attempt(lead.NoAnswer, from.Add(90*time.Minute)), from.Add(90*time.Minute))
		progress(t, s, booked.ID, attempt(lead.Booked, from.Add(3*time.Hour)), from.Add(3*time.Hour))
		progress(t, s, closedLater.ID, attempt(lead.WrongNumber, to.Add(time.Hour)), to.Add(time.Hour))
		progress(t, s, after.ID, attempt(lead.Booked, to.Add(time.Hour)), to.Add(time.Hour))

		got := ids(t, s.Requested(ctx, from, to, now))
		slices.Sort(got)
		want := []string{untried.ID, tried.ID, booked.ID, closedLater.ID}
		slices.Sort(want)
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("requested in the span (-got +want):\n%s", diff)
		}
		if got := ids(t, s.Requested(ctx, from, to, after.ExpiresAt)); len(got) != 0 {
			t.Errorf("expired leads counted: %v", got)
		}
	})
}
