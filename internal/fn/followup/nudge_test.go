package followup

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
)

// nudgeFor is the schedule's input for l, due 25 minutes after it came in,
// as the function receives it.
func nudgeFor(t *testing.T, l lead.Lead) Event {
	t.Helper()
	b, err := json.Marshal(nudges.Event{Nudge: &nudges.Nudge{LeadID: l.ID, Due: l.CreatedAt.Add(25 * time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNudgeStillNew(t *testing.T) {
	f := newFixture(t, nil)
	// Fired late: the nudge still says how long it waited when it fell due.
	l := f.add(t, f.now, untried(2*time.Hour))
	if err := f.h.Handle(context.Background(), nudgeFor(t, l)); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d emails, want one nudge", len(sent))
	}
	m := sent[0]
	if m.Subject != "Not answered yet: a request from 25 minutes ago" || strings.Join(m.To, ",") != "frontdesk@example-clinic.com" {
		t.Errorf("nudge %q to %v", m.Subject, m.To)
	}
	if !strings.Contains(m.Text, "https://api.example-clinic.com/leads/"+l.ID) {
		t.Errorf("no staff link:\n%s", m.Text)
	}
	for _, p := range []string{l.Name, l.FirstName(), l.Phone, l.PhoneDisplay, l.Email, l.Reason} {
		if p != "" && (strings.Contains(m.Text, p) || strings.Contains(m.HTML, p) || strings.Contains(m.Subject, p)) {
			t.Errorf("patient detail %q in the nudge", p)
		}
	}
	got, _ := f.store.Get(context.Background(), l.ID, f.now)
	if got.Nudge == nil || got.Nudge.MessageID != m.ID || !got.Nudge.At.Equal(f.now) {
		t.Errorf("recorded %+v, want message %s at %s", got.Nudge, m.ID, f.now)
	}
	if got.Version != l.Version+1 {
		t.Errorf("version %d, want %d: staff's earlier read must not put over the nudge", got.Version, l.Version+1)
	}
	// Redelivered (Lambda's async retry, or the schedule again): nothing.
	if err := f.h.Handle(context.Background(), nudgeFor(t, l)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Errorf("redelivered: %d emails, want 1", n)
	}
}

func TestNudgeGoesToEscalation(t *testing.T) {
	f := newFixture(t, func(c *config.FollowUp) { c.EscalationEmails = []string{"owner@example-clinic.com"} })
	l := f.add(t, f.now, untried(time.Hour))
	if sent, err := f.h.Nudge(context.Background(), *nudgeFor(t, l).Nudge); err != nil || !sent {
		t.Fatalf("sent %v, %v", sent, err)
	}
	if to := f.out.Sent()[0].To; strings.Join(to, ",") != "owner@example-clinic.com" {
		t.Errorf("to %v", to)
	}
}

func TestNoNudge(t *testing.T) {
	tests := map[string]seed{
		"an attempt recorded":  due(time.Hour, time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)),
		"closed without a try": {age: time.Hour, status: lead.StatusClosed, closed: time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC), reason: lead.ClosedNotInterested},
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil)
			l := f.add(t, f.now, s)
			if sent, err := f.h.Nudge(context.Background(), *nudgeFor(t, l).Nudge); err != nil || sent {
				t.Errorf("sent %v, %v", sent, err)
			}
			if n := len(f.out.Sent()); n != 0 {
				t.Errorf("%d emails", n)
			}
		})
	}
	t.Run("lead gone", func(t *testing.T) {
		f := newFixture(t, nil)
		if sent, err := f.h.Nudge(context.Background(), nudges.Nudge{LeadID: "8f14e45f-ceea-4e7a-9a3b-2c5d1e8b7a10"}); err != nil || sent {
			t.Errorf("sent %v, %v", sent, err)
		}
	})
}

func TestNudgeStoreDownFailsTheInvocation(t *testing.T) {
	f := newFixture(t, nil)
	l := f.add(t, f.now, untried(time.Hour))
	f.faults.get = func(string) error { return errors.New("throttled") }
	if err := f.h.Handle(context.Background(), nudgeFor(t, l)); err == nil {
		t.Error("no error: Lambda's async retry would not try again")
	}
	if n := len(f.out.Sent()); n != 0 {
		t.Errorf("%d emails", n)
	}
}
