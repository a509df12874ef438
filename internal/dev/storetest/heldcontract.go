package storetest

import (
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// HeldStore is what a store keeps of held requests (the bot traps' catch).
type HeldStore interface {
	Hold(ctx context.Context, h lead.Held, day string, c *ratelimit.Charge) error
	HeldCount(ctx context.Context, day string) (int, error)
	GetHeld(ctx context.Context, id string, now time.Time) (lead.Held, error)
	HeldList(ctx context.Context, before time.Time, beforeID string, now time.Time) iter.Seq2[lead.Held, error]
	ReleaseHeld(ctx context.Context, l lead.Lead, now time.Time) error
	DeleteHeld(ctx context.Context, id string) error
}

// Held returns a complete held request, caught by the honeypot with a fill
// time of 900 ms, received at created and held for 14 days.
func Held(created time.Time) lead.Held {
	l := Lead(created)
	ms := int64(900)
	return lead.Held{Lead: lead.NewHeld(l.ID, lead.Request{
		Name: l.Name, Phone: l.Phone, PhoneDisplay: l.PhoneDisplay, Email: l.Email,
		PreferredContact: l.PreferredContact, PreferredTime: l.PreferredTime, Reason: l.Reason,
		ConsentVersion: l.Consent.Version, Page: l.Source.Page, UTM: l.Source.UTM,
	}, lead.Trap{}, created, lead.DefaultHeldRetention).Lead, Trap: lead.Trap{Honeypot: true, ElapsedMS: &ms, TooFast: true}}
}

func runHeld(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	const day = "2026-03-08"

	t.Run("a held request is kept apart from leads", func(t *testing.T) {
		s := open(t)
		want := Held(t0)
		if err := s.Hold(ctx, want, day, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetHeld(ctx, want.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("held request differs (-got +want):\n%s", diff)
		}
		if _, err := s.Get(ctx, want.ID, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("Get of a held request: got %v, want lead.ErrNotFound", err)
		}
		later := t0.Add(48 * time.Hour)
		if got := ids(t, s.Pending(ctx, later, later)); len(got) != 0 {
			t.Errorf("pending lists the held request: %v", got)
		}
		for _, list := range []inbox.List{inbox.New, inbox.Callback, inbox.Closed} {
			if got := ids(t, s.List(ctx, list, inbox.Span{}, later)); len(got) != 0 {
				t.Errorf("the inbox's %s list lists the held request: %v", list, got)
			}
		}
		if _, err := s.GetHeld(ctx, want.ID, want.ExpiresAt); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("held request past its hold: got %v, want lead.ErrNotFound", err)
		}
	})

	t.Run("held requests are counted per day, a replay once", func(t *testing.T) {
		s := open(t)
		first := Held(t0)
		for i, h := range []lead.Held{first, first, Held(t0)} {
			err := s.Hold(ctx, h, day, nil)
			if want := i == 1; errors.Is(err, lead.ErrExists) != want || (!want && err != nil) {
				t.Fatalf("hold %d: %v", i+1, err)
			}
		}
		if err := s.Hold(ctx, Held(t0.Add(24*time.Hour)), "2026-03-09", nil); err != nil {
			t.Fatal(err)
		}
		for d, want := range map[string]int{day: 2, "2026-03-09": 1, "2026-03-10": 0} {
			if got, err := s.HeldCount(ctx, d); err != nil || got != want {
				t.Errorf("count of %s = %d, %v; want %d", d, got, err, want)
			}
		}
	})

	t.Run("a hold over the rate limit stores and counts nothing", func(t *testing.T) {
		s := open(t)
		c := ratelimit.Charge{Key: uuid.NewString(), Limit: 1, Until: t0.Add(time.Hour)}
		if err := s.Hold(ctx, Held(t0), day, &c); err != nil {
			t.Fatal(err)
		}
		over := Held(t0)
		if err := s.Hold(ctx, over, day, &c); !errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("over the limit: got %v, want ratelimit.ErrLimited", err)
		}
		if _, err := s.GetHeld(ctx, over.ID, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("held over the limit was stored (get: %v)", err)
		}
		if n, err := s.HeldCount(ctx, day); err != nil || n != 1 {
			t.Errorf("count = %d, %v; want 1", n, err)
		}
	})

	t.Run("held requests list newest first, page by page", func(t *testing.T) {
		s := open(t)
		var want []string
		for i := range 5 {
			h := Held(t0.Add(time.Duration(i) * time.Minute))
			if i == 4 { // the same instant as the one before: the id orders them
				h = Held(t0.Add(3 * time.Minute))
			}
			if err := s.Hold(ctx, h, day, nil); err != nil {
				t.Fatal(err)
			}
			want = append(want, h.ID)
		}
		expired := Held(t0.Add(-lead.DefaultHeldRetention))
		if err := s.Hold(ctx, expired, day, nil); err != nil {
			t.Fatal(err)
		}
		if want[3] < want[4] {
			want[3], want[4] = want[4], want[3]
		}
		// newest first: 4 and 3 (by id, descending), 2, 1, 0
		wantOrder := []string{want[3], want[4], want[2], want[1], want[0]}
		now := t0.Add(time.Hour)
		var got []string
		var before time.Time
		beforeID := ""
		for range 10 { // pages of two
			n := 0
			var last lead.Held
			for h, err := range s.HeldList(ctx, before, beforeID, now) {
				if err != nil {
					t.Fatal(err)
				}
				got, last = append(got, h.ID), h
				if n++; n == 2 {
					break
				}
			}
			if n < 2 {
				break
			}
			before, beforeID = last.CreatedAt, last.ID
		}
		if diff := cmp.Diff(got, wantOrder); diff != "" {
			t.Errorf("held list (-got +want):\n%s", diff)
		}
	})

	t.Run("release makes a lead and ends the hold, once", func(t *testing.T) {
		s := open(t)
		h := Held(t0)
		if err := s.Hold(ctx, h, day, nil); err != nil {
			t.Fatal(err)
		}
		// Released days after it came: it keeps its received time, and
		// its retention runs from the release.
		at := t0.Add(50 * time.Hour)
		want := h.Release(at, 365*24*time.Hour)
		if err := s.ReleaseHeld(ctx, want, at); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, h.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("released lead differs (-got +want):\n%s", diff)
		}
		if got.Status != lead.StatusNew || !got.CreatedAt.Equal(t0) || !got.ReleasedAt.Equal(at) || !got.Consent.At.Equal(t0) ||
			!got.ExpiresAt.Equal(at.Add(365*24*time.Hour)) {
			t.Errorf("released lead: status %s, created %v, released %v, consent %v, expires %v; want new, created and consent %v, released %v, expiring a year after",
				got.Status, got.CreatedAt, got.ReleasedAt, got.Consent.At, got.ExpiresAt, t0, at)
		}
		if _, err := s.GetHeld(ctx, h.ID, at); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("held request after release: got %v, want lead.ErrNotFound", err)
		}
		if err := s.ReleaseHeld(ctx, want, at); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("second release: got %v, want lead.ErrNotFound", err)
		}
		if got := ids(t, s.Pending(ctx, at.Add(time.Second), at)); len(got) != 1 || got[0] != h.ID {
			t.Errorf("pending after release = %v, want the released lead", got)
		}
		if got := ids(t, s.List(ctx, inbox.New, inbox.Span{}, at)); len(got) != 1 || got[0] != h.ID {
			t.Errorf("the inbox's new list after release = %v, want the released lead", got)
		}
	})

	t.Run("release over a lead of the same id changes nothing", func(t *testing.T) {
		s := open(t)
		h := Held(t0)
		if err := s.Hold(ctx, h, day, nil); err != nil {
			t.Fatal(err)
		}
		l := h.Release(t0, time.Hour)
		l.Name = "Stored Before"
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseHeld(ctx, h.Release(t0, 365*24*time.Hour), t0); !errors.Is(err, lead.ErrExists) {
			t.Fatalf("release: got %v, want lead.ErrExists", err)
		}
		if _, err := s.GetHeld(ctx, h.ID, t0); err != nil {
			t.Errorf("the held request went: %v", err)
		}
		if got, err := s.Get(ctx, h.ID, t0); err != nil || got.Name != "Stored Before" {
			t.Errorf("the stored lead changed: %q, %v", got.Name, err)
		}
	})

	t.Run("a held request past its hold is not released", func(t *testing.T) {
		s := open(t)
		h := Held(t0)
		if err := s.Hold(ctx, h, day, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseHeld(ctx, h.Release(h.ExpiresAt, time.Hour), h.ExpiresAt); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("release past the hold: got %v, want lead.ErrNotFound", err)
		}
	})

	t.Run("delete ends the hold", func(t *testing.T) {
		s := open(t)
		h := Held(t0)
		if err := s.Hold(ctx, h, day, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteHeld(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetHeld(ctx, h.ID, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("after delete: got %v, want lead.ErrNotFound", err)
		}
		if err := s.DeleteHeld(ctx, h.ID); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("second delete: got %v, want lead.ErrNotFound", err)
		}
		if n, err := s.HeldCount(ctx, day); err != nil || n != 1 {
			t.Errorf("count after delete = %d, %v; want 1 (it was held)", n, err)
		}
	})
}
