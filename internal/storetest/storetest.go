// Package storetest is the lead store's contract, run against every
// implementation: the in-memory fake and DynamoDB through moto's server.
package storetest

import (
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// Store is every store method the functions use.
type Store interface {
	Save(ctx context.Context, l lead.Lead, c *ratelimit.Charge) error
	Charge(ctx context.Context, c ratelimit.Charge) error
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	Pending(ctx context.Context, cutoff, now time.Time) iter.Seq2[lead.Lead, error]
	MarkAlerted(ctx context.Context, id string, d lead.Delivery) error
	MarkAcknowledged(ctx context.Context, id string, d lead.Delivery) error
	MarkContacted(ctx context.Context, id string, c lead.Contact, now time.Time) (lead.Lead, error)
	ClaimRun(ctx context.Context, key string, now time.Time, lease, keep time.Duration) error
	FinishRun(ctx context.Context, key string) error
	ReleaseRun(ctx context.Context, key string) error
}

// t0 is whole seconds: stores keep times to the microsecond or second.
var t0 = time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)

// Lead returns a complete lead created at created, for tests.
func Lead(created time.Time) lead.Lead {
	return lead.New(uuid.NewString(), lead.Request{
		Name:             "Siobhán O'Brien-Núñez",
		Phone:            "+12025550143",
		Email:            "siobhan@example.com",
		PreferredContact: lead.ByPhone,
		PreferredTime:    lead.Morning,
		Reason:           "Lower back pain\nfor three weeks",
		ConsentVersion:   "2026-01",
		Page:             "https://www.example-clinic.com/blog/back-pain",
		UTM:              map[string]string{"utm_source": "newsletter"},
	}, created, 365*24*time.Hour)
}

// Run checks the contract on stores made by open, a fresh one per case.
func Run(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("save then get", func(t *testing.T) {
		s := open(t)
		want := Lead(t0)
		if err := s.Save(ctx, want, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, want.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("stored lead differs (-got +want):\n%s", diff)
		}
	})

	t.Run("a replay never overwrites", func(t *testing.T) {
		s := open(t)
		first := Lead(t0)
		if err := s.Save(ctx, first, nil); err != nil {
			t.Fatal(err)
		}
		again := first
		again.Name = "Someone Else"
		if err := s.Save(ctx, again, nil); !errors.Is(err, lead.ErrExists) {
			t.Fatalf("second save: got %v, want lead.ErrExists", err)
		}
		got, err := s.Get(ctx, first.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != first.Name {
			t.Errorf("name after replay = %q, want the first %q", got.Name, first.Name)
		}
	})

	t.Run("unknown and expired leads are not found", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, uuid.NewString(), t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown id: got %v, want lead.ErrNotFound", err)
		}
		l := Lead(t0)
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, l.ID, l.ExpiresAt); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("expired lead: got %v, want lead.ErrNotFound", err)
		}
		if got := ids(t, s.Pending(ctx, l.ExpiresAt, l.ExpiresAt)); len(got) != 0 {
			t.Errorf("expired lead still pending: %v", got)
		}
	})

	t.Run("pending lists new leads before the cutoff, oldest first", func(t *testing.T) {
		s := open(t)
		var want []string
		for _, age := range []time.Duration{2 * time.Hour, 3 * time.Hour, time.Hour, 0} {
			l := Lead(t0.Add(-age))
			if err := s.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
			if age >= 2*time.Hour {
				want = append([]string{l.ID}, want...) // the older, the earlier
			}
		}
		cutoff := t0.Add(-time.Hour) // exactly an hour old is not before it
		if diff := cmp.Diff(ids(t, s.Pending(ctx, cutoff, t0)), want); diff != "" {
			t.Errorf("pending (-got +want):\n%s", diff)
		}
	})

	t.Run("an email is recorded as sent once", func(t *testing.T) {
		s := open(t)
		l := Lead(t0)
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		alert := lead.Delivery{At: t0.Add(time.Second), MessageID: "msg-1"}
		if err := s.MarkAlerted(ctx, l.ID, alert); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAlerted(ctx, l.ID, lead.Delivery{At: t0.Add(time.Minute), MessageID: "msg-2"}); !errors.Is(err, lead.ErrAlreadySent) {
			t.Errorf("second alert: got %v, want lead.ErrAlreadySent", err)
		}
		ack := lead.Delivery{At: t0.Add(2 * time.Second), MessageID: "msg-3"}
		if err := s.MarkAcknowledged(ctx, l.ID, ack); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, l.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*lead.Delivery{got.Alert, got.Ack}, []*lead.Delivery{&alert, &ack}); diff != "" {
			t.Errorf("deliveries (-got +want):\n%s", diff)
		}
		if err := s.MarkAlerted(ctx, uuid.NewString(), alert); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown lead: got %v, want lead.ErrNotFound", err)
		}
	})

	t.Run("marking contacted takes a lead out of pending, once", func(t *testing.T) {
		s := open(t)
		l, other := Lead(t0.Add(-2*time.Hour)), Lead(t0.Add(-3*time.Hour))
		for _, x := range []lead.Lead{l, other} {
			if err := s.Save(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		first := lead.Contact{At: t0, Outcome: lead.Booked, Note: "Booked Tue 10:00\nwith Dr Lee"}
		got, err := s.MarkContacted(ctx, l.ID, first, t0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != lead.StatusContacted || got.Contact == nil || *got.Contact != first {
			t.Errorf("marked lead = %+v, %+v", got.Status, got.Contact)
		}
		if diff := cmp.Diff(ids(t, s.Pending(ctx, t0, t0)), []string{other.ID}); diff != "" {
			t.Errorf("pending after marking (-got +want):\n%s", diff)
		}
		again, err := s.MarkContacted(ctx, l.ID, lead.Contact{At: t0.Add(time.Hour), Outcome: lead.NoAnswer}, t0.Add(time.Hour))
		if !errors.Is(err, lead.ErrAlreadyContacted) || again.Contact == nil || *again.Contact != first {
			t.Errorf("second mark: %v, %+v; want lead.ErrAlreadyContacted and the first contact", err, again.Contact)
		}
		if _, err := s.MarkContacted(ctx, uuid.NewString(), first, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown lead: got %v, want lead.ErrNotFound", err)
		}
		if _, err := s.MarkContacted(ctx, other.ID, first, other.ExpiresAt); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("expired lead: got %v, want lead.ErrNotFound", err)
		}
	})

	t.Run("a run is claimed once, retried after a release or a stale claim", func(t *testing.T) {
		s := open(t)
		key, lease, keep := "digest#"+uuid.NewString()[:8], 10*time.Minute, 48*time.Hour
		if err := s.ClaimRun(ctx, key, t0, lease, keep); err != nil {
			t.Fatal(err)
		}
		if err := s.ClaimRun(ctx, key, t0.Add(time.Minute), lease, keep); !errors.Is(err, lead.ErrRunTaken) {
			t.Errorf("double fire: got %v, want lead.ErrRunTaken", err)
		}
		if err := s.ReleaseRun(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := s.ClaimRun(ctx, key, t0.Add(2*time.Minute), lease, keep); err != nil {
			t.Errorf("retry after a release: %v", err)
		}
		if err := s.ClaimRun(ctx, key, t0.Add(13*time.Minute), lease, keep); err != nil {
			t.Errorf("claim after a stale one: %v", err)
		}
		if err := s.FinishRun(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseRun(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := s.ClaimRun(ctx, key, t0.Add(24*time.Hour), lease, keep); !errors.Is(err, lead.ErrRunTaken) {
			t.Errorf("after it is done: got %v, want lead.ErrRunTaken", err)
		}
	})

	t.Run("charges stop at the limit", func(t *testing.T) {
		s := open(t)
		c := ratelimit.Charge{Key: uuid.NewString(), Limit: 2, Until: t0.Add(time.Hour)}
		for i := range 2 {
			if err := s.Charge(ctx, c); err != nil {
				t.Fatalf("charge %d: %v", i+1, err)
			}
		}
		if err := s.Charge(ctx, c); !errors.Is(err, ratelimit.ErrLimited) {
			t.Errorf("charge 3: got %v, want ratelimit.ErrLimited", err)
		}
		other := c
		other.Key = uuid.NewString()
		if err := s.Charge(ctx, other); err != nil {
			t.Errorf("another client's first charge: %v", err)
		}
	})

	t.Run("a save over the limit stores nothing, a replay still answers", func(t *testing.T) {
		s := open(t)
		c := ratelimit.Charge{Key: uuid.NewString(), Limit: 1, Until: t0.Add(time.Hour)}
		first := Lead(t0)
		if err := s.Save(ctx, first, &c); err != nil {
			t.Fatal(err)
		}
		second := Lead(t0)
		if err := s.Save(ctx, second, &c); !errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("second lead: got %v, want ratelimit.ErrLimited", err)
		}
		if _, err := s.Get(ctx, second.ID, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("lead over the limit was stored (get: %v)", err)
		}
		if err := s.Save(ctx, first, &c); !errors.Is(err, lead.ErrExists) {
			t.Errorf("replay over the limit: got %v, want lead.ErrExists", err)
		}
	})
}

func ids(t *testing.T, seq iter.Seq2[lead.Lead, error]) []string {
	t.Helper()
	var out []string
	for l, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l.ID)
	}
	return out
}
