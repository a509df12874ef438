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

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// Store is every store method the functions use.
type Store interface {
	Save(ctx context.Context, l lead.Lead, c *ratelimit.Charge) error
	Charge(ctx context.Context, c ratelimit.Charge) error
	Refund(ctx context.Context, c ratelimit.Charge) error
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	Pending(ctx context.Context, cutoff, now time.Time) iter.Seq2[lead.Lead, error]
	MarkAlerted(ctx context.Context, id string, d lead.Delivery) error
	MarkAcknowledged(ctx context.Context, id string, d lead.Delivery) error
	MarkTexted(ctx context.Context, id string, d lead.Delivery) error
	MarkNudged(ctx context.Context, id string, d lead.Delivery) error
	MarkAlertHeld(ctx context.Context, id string, at time.Time) error
	RecordAlertOutcome(ctx context.Context, id string, o lead.MailOutcome) error
	Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error)
	Due(ctx context.Context, before, now time.Time) iter.Seq2[lead.Lead, error]
	Unreported(ctx context.Context, now time.Time) iter.Seq2[lead.Lead, error]
	Requested(ctx context.Context, from, to, now time.Time) iter.Seq2[lead.Lead, error]
	ClaimRun(ctx context.Context, key string, now time.Time, lease, keep time.Duration) error
	FinishRun(ctx context.Context, key string) error
	ReleaseRun(ctx context.Context, key string) error
	RunDone(ctx context.Context, key string) (bool, error)

	List(ctx context.Context, list inbox.List, span inbox.Span, now time.Time) iter.Seq2[lead.Lead, error]
	CreateSession(ctx context.Context, s access.Session) error
	Session(ctx context.Context, hash string, now time.Time) (access.Session, error)
	TouchSession(ctx context.Context, hash string, expires time.Time) error
	EndLinkSessions(ctx context.Context, before time.Time) error
	EndSession(ctx context.Context, hash string) error
	EndSessions(ctx context.Context, email string, now time.Time) (int, error)
	PutCode(ctx context.Context, c access.Code) error
	TryCode(ctx context.Context, email, browser string, now time.Time) (access.Code, error)
	UseCode(ctx context.Context, c access.Code) error
	ClaimCode(ctx context.Context, c access.Code, digest string) error
	ReleaseCode(ctx context.Context, c access.Code) error
	Audit(ctx context.Context, e access.AuditEntry) error
	AuditTrail(ctx context.Context, leadID string, since time.Time, newestFirst bool, now time.Time) iter.Seq2[access.AuditEntry, error]
	HeldStore
	PatientStore
}

// t0 is whole seconds: stores keep times to the microsecond, and expiry
// times (a lead's, a session's, a code's, an entry's) to the second.
var t0 = time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)

// Lead returns a complete lead created at created, for tests.
func Lead(created time.Time) lead.Lead {
	return lead.New(uuid.NewString(), lead.Request{
		Name:             "Siobhán O'Brien-Núñez",
		Phone:            "+12025550143",
		PhoneDisplay:     "(202) 555-0143",
		Email:            "siobhan@example.com",
		PreferredContact: lead.ByPhone,
		PreferredTime:    lead.Morning,
		Reason:           "Lower back pain\nfor three weeks",
		ConsentVersion:   "2026-01",
		Page:             "https://www.example-clinic.com/blog/back-pain",
		UTM:              map[string]string{"utm_source": "newsletter", "gclid": "Cj0KCQjw"},
		Referrer:         "https://www.google.com",
		LandingPath:      "/blog/back-pain",
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
		text := lead.Delivery{At: t0.Add(3 * time.Second), MessageID: "sms-1"}
		if err := s.MarkTexted(ctx, l.ID, text); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkTexted(ctx, l.ID, lead.Delivery{At: t0.Add(time.Minute), MessageID: "sms-2"}); !errors.Is(err, lead.ErrAlreadySent) {
			t.Errorf("second text: got %v, want lead.ErrAlreadySent", err)
		}
		got, err := s.Get(ctx, l.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*lead.Delivery{got.Alert, got.Ack, got.PatientText}, []*lead.Delivery{&alert, &ack, &text}); diff != "" {
			t.Errorf("deliveries (-got +want):\n%s", diff)
		}
		if err := s.MarkAlerted(ctx, uuid.NewString(), alert); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown lead: got %v, want lead.ErrNotFound", err)
		}
	})

	t.Run("a nudge is recorded once, and a staff change read before it keeps it", func(t *testing.T) {
		s := open(t)
		l := Lead(t0)
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		read, err := s.Get(ctx, l.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		nudge := lead.Delivery{At: t0.Add(15 * time.Minute), MessageID: "msg-n"}
		if err := s.MarkNudged(ctx, l.ID, nudge); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNudged(ctx, l.ID, lead.Delivery{At: t0.Add(16 * time.Minute), MessageID: "msg-n2"}); !errors.Is(err, lead.ErrAlreadySent) {
			t.Errorf("second nudge: got %v, want lead.ErrAlreadySent", err)
		}
		if _, err := s.Progress(ctx, read, t0.Add(17*time.Minute)); !errors.Is(err, lead.ErrChanged) {
			t.Errorf("staff change read before the nudge: got %v, want lead.ErrChanged", err)
		}
		got, err := s.Get(ctx, l.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Progress(ctx, got, t0.Add(18*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.Get(ctx, l.ID, t0); got.Nudge == nil || *got.Nudge != nudge {
			t.Errorf("nudge after a staff change: got %+v, want %+v", got.Nudge, nudge)
		}
		if err := s.MarkNudged(ctx, uuid.NewString(), nudge); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown lead: got %v, want lead.ErrNotFound", err)
		}
	})

	t.Run("an alert held back is recorded once, never over a sent one, and kept by a staff change", func(t *testing.T) {
		s := open(t)
		held, alerted := Lead(t0), Lead(t0)
		for _, l := range []lead.Lead{held, alerted} {
			if err := s.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
		}
		at := t0.Add(time.Second)
		if err := s.MarkAlertHeld(ctx, held.ID, at); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAlertHeld(ctx, held.ID, at.Add(time.Minute)); !errors.Is(err, lead.ErrAlreadySent) {
			t.Errorf("held back twice: got %v, want lead.ErrAlreadySent", err)
		}
		if err := s.MarkAlerted(ctx, alerted.ID, lead.Delivery{At: at, MessageID: "msg-1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAlertHeld(ctx, alerted.ID, at); !errors.Is(err, lead.ErrAlreadySent) {
			t.Errorf("an alerted lead held back: got %v, want lead.ErrAlreadySent", err)
		}
		got, err := s.Get(ctx, held.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !got.AlertHeld.Equal(at) || got.Alert != nil {
			t.Errorf("held back at %v, alert %+v; want %v and none", got.AlertHeld, got.Alert, at)
		}
		if _, err := s.Progress(ctx, got, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.Get(ctx, held.ID, t0); !got.AlertHeld.Equal(at) {
			t.Errorf("after a staff change: held back at %v, want %v", got.AlertHeld, at)
		}
		if err := s.MarkAlertHeld(ctx, uuid.NewString(), at); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown lead: got %v, want lead.ErrNotFound", err)
		}
	})

	// The zero Hours: call-backs at any time, in UTC.
	policy := lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: lead.DefaultMaxAttempts}
	attempt := func(o lead.Outcome, at time.Time) lead.Event {
		return lead.Event{At: at, Outcome: o, Channel: lead.ChannelCall, By: lead.ByLink, Note: "Tried at " + at.Format(time.Kitchen) + "\nno luck"}
	}
	// progress records e on the stored lead id as the staff page does.
	progress := func(t *testing.T, s Store, id string, change func(*lead.Lead) error, now time.Time) lead.Lead {
		t.Helper()
		l, err := s.Get(ctx, id, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := change(&l); err != nil {
			t.Fatal(err)
		}
		got, err := s.Progress(ctx, l, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, withVersion(l, l.Version+1)); diff != "" {
			t.Fatalf("stored (-got +want):\n%s", diff)
		}
		return got
	}

	t.Run("an attempt moves a lead from pending to the call-backs due", func(t *testing.T) {
		s := open(t)
		l, other := Lead(t0.Add(-2*time.Hour)), Lead(t0.Add(-3*time.Hour))
		for _, x := range []lead.Lead{l, other} {
			if err := s.Save(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		got := progress(t, s, l.ID, func(l *lead.Lead) error { return l.Record(attempt(lead.NoAnswer, t0), policy) }, t0)
		if got.Status != lead.StatusOpen || !got.Callback.After(t0) || got.Version != 1 {
			t.Errorf("after no answer: %s, due %v, version %d", got.Status, got.Callback, got.Version)
		}
		if diff := cmp.Diff(ids(t, s.Pending(ctx, t0, t0)), []string{other.ID}); diff != "" {
			t.Errorf("pending after the attempt (-got +want):\n%s", diff)
		}
		if n := len(ids(t, s.Due(ctx, got.Callback, t0))); n != 0 {
			t.Errorf("due before its call-back: %d listed", n)
		}
		if diff := cmp.Diff(ids(t, s.Due(ctx, got.Callback.Add(time.Second), t0)), []string{l.ID}); diff != "" {
			t.Errorf("due (-got +want):\n%s", diff)
		}
		if n := len(ids(t, s.Due(ctx, got.Callback.Add(time.Second), l.ExpiresAt))); n != 0 {
			t.Errorf("an expired lead listed as due")
		}
		booked := progress(t, s, l.ID, func(l *lead.Lead) error { return l.Record(attempt(lead.Booked, t0.Add(3*time.Hour)), policy) }, t0.Add(3*time.Hour))
		if booked.Status != lead.StatusClosed || booked.Closed != lead.ClosedBooked || len(booked.History) != 2 || booked.Version != 2 {
			t.Errorf("after booking: %+v", booked)
		}
		if n := len(ids(t, s.Due(ctx, t0.Add(30*24*time.Hour), t0))); n != 0 {
			t.Errorf("a closed lead listed as due")
		}
	})

	t.Run("a change over a stale version is refused, and nothing changes", func(t *testing.T) {
		s := open(t)
		l := Lead(t0.Add(-time.Hour))
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		first := progress(t, s, l.ID, func(l *lead.Lead) error { return l.Record(attempt(lead.LeftMessage, t0), policy) }, t0)
		stale := l // read before the first change: the same form sent twice
		if err := stale.Record(attempt(lead.NoAnswer, t0.Add(time.Minute)), policy); err != nil {
			t.Fatal(err)
		}
		cur, err := s.Progress(ctx, stale, t0.Add(time.Minute))
		if !errors.Is(err, lead.ErrChanged) || cur.Version != 1 {
			t.Errorf("stale change: %v, version %d; want lead.ErrChanged and the stored lead", err, cur.Version)
		}
		if got, _ := s.Get(ctx, l.ID, t0); !cmp.Equal(got, first) {
			t.Errorf("a refused change was stored: %+v", got.History)
		}
		// An alert recorded after the page was read moves the version on:
		// a change read before it is refused rather than put over it.
		read, err := s.Get(ctx, l.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAlerted(ctx, l.ID, lead.Delivery{At: t0, MessageID: "msg-1"}); err != nil {
			t.Fatal(err)
		}
		if err := read.Record(attempt(lead.Booked, t0.Add(2*time.Minute)), policy); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Progress(ctx, read, t0.Add(2*time.Minute)); !errors.Is(err, lead.ErrChanged) {
			t.Errorf("a change read before the alert: %v, want lead.ErrChanged", err)
		}
		if got, _ := s.Get(ctx, l.ID, t0); got.Alert == nil || got.Status != lead.StatusOpen {
			t.Errorf("after the refused change: alert %v, status %s", got.Alert, got.Status)
		}
		unknown := Lead(t0)
		if _, err := s.Progress(ctx, unknown, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown lead: got %v, want lead.ErrNotFound", err)
		}
		if _, err := s.Progress(ctx, first, first.ExpiresAt); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("expired lead: got %v, want lead.ErrNotFound", err)
		}
	})

	t.Run("what SES reports about an alert is recorded once, never undone", func(t *testing.T) {
		s := open(t)
		l := Lead(t0)
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		delivered := lead.MailOutcome{Event: lead.MailDelivered, MessageID: "msg-1", At: t0.Add(time.Minute)}
		if err := s.RecordAlertOutcome(ctx, l.ID, delivered); !errors.Is(err, lead.ErrMailNoChange) {
			t.Errorf("before the alert is recorded: got %v, want lead.ErrMailNoChange", err)
		}
		if err := s.MarkAlerted(ctx, l.ID, lead.Delivery{At: t0, MessageID: "msg-1"}); err != nil {
			t.Fatal(err)
		}
		read, err := s.Get(ctx, l.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			o    lead.MailOutcome
			want error
		}{
			{lead.MailOutcome{Event: lead.MailDelayed, MessageID: "msg-1", At: t0.Add(30 * time.Second)}, nil},
			{delivered, nil},
			{lead.MailOutcome{Event: lead.MailDelivered, MessageID: "msg-1", At: t0.Add(time.Hour)}, lead.ErrMailNoChange},
			{lead.MailOutcome{Event: lead.MailBounced, MessageID: "msg-2", At: t0.Add(time.Hour)}, lead.ErrMailNoChange},
			{lead.MailOutcome{Event: lead.MailBounced, MessageID: "msg-1", At: t0.Add(2 * time.Minute), BounceType: "Permanent", BounceSubType: "NoEmail"}, nil},
			{lead.MailOutcome{Event: lead.MailBounced, MessageID: "msg-1", At: t0.Add(2 * time.Minute), BounceType: "Permanent", BounceSubType: "NoEmail"}, lead.ErrMailNoChange},
			{lead.MailOutcome{Event: lead.MailComplained, MessageID: "msg-1", At: t0.Add(3 * time.Minute)}, lead.ErrMailNoChange},
		}
		for i, st := range steps {
			if err := s.RecordAlertOutcome(ctx, l.ID, st.o); !errors.Is(err, st.want) {
				t.Errorf("step %d (%s of %s): got %v, want %v", i, st.o.Event, st.o.MessageID, err, st.want)
			}
		}
		got, err := s.Get(ctx, l.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		want := &lead.Delivery{At: t0, MessageID: "msg-1", DeliveredAt: t0.Add(time.Minute),
			Problem: lead.MailBounced, ProblemAt: t0.Add(2 * time.Minute), BounceType: "Permanent", BounceSubType: "NoEmail"}
		if diff := cmp.Diff(got.Alert, want); diff != "" {
			t.Errorf("alert (-got +want):\n%s", diff)
		}
		// Each change moved the version on: a staff change read before is
		// refused, and one made after keeps what SES reported.
		if err := read.Record(attempt(lead.NoAnswer, t0.Add(5*time.Minute)), policy); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Progress(ctx, read, t0.Add(5*time.Minute)); !errors.Is(err, lead.ErrChanged) {
			t.Errorf("a change read before the outcome: %v, want lead.ErrChanged", err)
		}
		if err := got.Record(attempt(lead.NoAnswer, t0.Add(5*time.Minute)), policy); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Progress(ctx, got, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if after, _ := s.Get(ctx, l.ID, t0); !cmp.Equal(after.Alert, want) {
			t.Errorf("after a staff change the alert is %+v", after.Alert)
		}

		unknown := uuid.NewString()
		if err := s.RecordAlertOutcome(ctx, unknown, delivered); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("unknown lead: got %v, want lead.ErrNotFound", err)
		}
		if _, err := s.Get(ctx, unknown, t0); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("an outcome created lead %s: %v", unknown, err)
		}
	})

	t.Run("corrections, reopenings and picked call-backs round-trip", func(t *testing.T) {
		s := open(t)
		l := Lead(t0.Add(-time.Hour))
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		picked := t0.Add(50 * time.Hour)
		progress(t, s, l.ID, func(l *lead.Lead) error {
			e := attempt(lead.LeftMessage, t0)
			e.Channel, e.Callback = lead.ChannelText, picked
			return l.Record(e, policy)
		}, t0)
		progress(t, s, l.ID, func(l *lead.Lead) error {
			return l.Correct(lead.Event{At: t0.Add(time.Hour), Outcome: lead.Booked, By: lead.ByLink, Note: "They called back"}, policy)
		}, t0.Add(time.Hour))
		got := progress(t, s, l.ID, func(l *lead.Lead) error {
			return l.Reopen(lead.Event{At: t0.Add(2 * time.Hour), By: lead.ByLink}, policy)
		}, t0.Add(2*time.Hour))
		if got.Status != lead.StatusOpen || len(got.History) != 3 || !got.FirstReach.Equal(t0) || !got.FirstAttempt.Equal(t0) {
			t.Errorf("after reopening: %+v", got)
		}
	})

	t.Run("a lead closed as unreachable is reported once", func(t *testing.T) {
		s := open(t)
		l, other := Lead(t0.Add(-time.Hour)), Lead(t0.Add(-time.Hour))
		for _, x := range []lead.Lead{l, other} {
			if err := s.Save(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		once := lead.Policy{MaxAttempts: 1}
		closed := progress(t, s, l.ID, func(l *lead.Lead) error { return l.Record(attempt(lead.NoAnswer, t0), once) }, t0)
		if closed.Closed != lead.ClosedUnreachable || !closed.Unreported {
			t.Fatalf("after the last try: %+v", closed)
		}
		if diff := cmp.Diff(ids(t, s.Unreported(ctx, t0)), []string{l.ID}); diff != "" {
			t.Errorf("unreported (-got +want):\n%s", diff)
		}
		// As the digest does once it has said so.
		progress(t, s, l.ID, func(l *lead.Lead) error { l.Unreported = false; return nil }, t0)
		if n := len(ids(t, s.Unreported(ctx, t0))); n != 0 {
			t.Errorf("%d still unreported after MarkReported", n)
		}
		got, err := s.Get(ctx, l.ID, t0)
		if err != nil || got.Unreported || got.Status != lead.StatusClosed || got.Version != 2 {
			t.Errorf("after reporting: %v, %+v", err, got)
		}
		if o, _ := s.Get(ctx, other.ID, t0); o.Version != 0 || o.Status != lead.StatusNew {
			t.Errorf("the other lead changed: %+v", o)
		}
	})

	t.Run("a lead closed as not reached again is reported once too", func(t *testing.T) {
		s := open(t)
		l := Lead(t0.Add(-time.Hour))
		if err := s.Save(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		once := lead.Policy{MaxAttempts: 1}
		progress(t, s, l.ID, func(l *lead.Lead) error { return l.Record(attempt(lead.Reached, t0), once) }, t0)
		closed := progress(t, s, l.ID, func(l *lead.Lead) error { return l.Record(attempt(lead.NoAnswer, t0.Add(time.Hour)), once) }, t0.Add(time.Hour))
		if closed.Closed != lead.ClosedNotReachedAgain || !closed.Unreported {
			t.Fatalf("reached, then the last try: %+v", closed)
		}
		if diff := cmp.Diff(ids(t, s.Unreported(ctx, t0.Add(time.Hour))), []string{l.ID}); diff != "" {
			t.Errorf("unreported (-got +want):\n%s", diff)
		}
		if got, err := s.Get(ctx, l.ID, t0.Add(time.Hour)); err != nil || got.Closed != lead.ClosedNotReachedAgain || got.Tries != 1 {
			t.Errorf("read back: %v, closed %q after %d tries", err, got.Closed, got.Tries)
		}
	})

	t.Run("a run is claimed once, retried after a release or a stale claim, done once finished", func(t *testing.T) {
		s := open(t)
		key, lease, keep := "digest#"+uuid.NewString()[:8], 10*time.Minute, 48*time.Hour
		done := func(want bool) {
			t.Helper()
			if got, err := s.RunDone(ctx, key); err != nil || got != want {
				t.Errorf("RunDone: %v, %v; want %v", got, err, want)
			}
		}
		done(false)
		if err := s.ClaimRun(ctx, key, t0, lease, keep); err != nil {
			t.Fatal(err)
		}
		done(false)
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
		done(true)
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

	t.Run("a refund frees one charge, never below none", func(t *testing.T) {
		s := open(t)
		c := ratelimit.Charge{Key: uuid.NewString(), Limit: 1, Until: t0.Add(time.Hour)}
		if err := s.Refund(ctx, c); err != nil {
			t.Fatalf("refund of a counter never charged: %v", err)
		}
		if err := s.Charge(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.Refund(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.Refund(ctx, c); err != nil {
			t.Fatalf("refund of a counter at 0: %v", err)
		}
		if err := s.Charge(ctx, c); err != nil {
			t.Errorf("charge after the refund: %v, want it counted", err)
		}
		if err := s.Charge(ctx, c); !errors.Is(err, ratelimit.ErrLimited) {
			t.Errorf("a second charge after the refund: %v, want ratelimit.ErrLimited (refunds never go below 0)", err)
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

	runLists(t, open, progress, policy)
	runRequested(t, open, progress, policy)
	runHeld(t, open)
	runPatients(t, open, progress, policy)
	runSessions(t, open)
	runCodes(t, open)
	runAudit(t, open)
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

// withVersion is l at version v.
func withVersion(l lead.Lead, v int) lead.Lead {
	l.Version = v
	return l
}
