package staff

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/lead"
)

// published keeps the events the handler puts on the bus.
type published struct {
	mu     sync.Mutex
	events []bus.Event
}

func (p *published) Publish(_ context.Context, ev bus.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, ev)
}

var _ Events = (*published)(nil)

func (p *published) take() []bus.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.events
	p.events = nil
	return out
}

func TestStoredChangesArePublished(t *testing.T) {
	f := newFixtureWith(t, lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 2, Hours: everyDay}, nil)
	p := &published{}
	f.h.WithEvents(p)
	id := f.lead.ID
	f.signIn(t) // a closed lead is corrected and reopened signed in
	check := func(step string, want ...bus.Event) {
		t.Helper()
		if diff := cmp.Diff(p.take(), want); diff != "" {
			t.Errorf("%s: events (-got +want):\n%s", step, diff)
		}
	}

	f.record(t, lead.NoAnswer)
	check("first attempt", bus.Event{Type: bus.AttemptRecorded, LeadID: id, At: start, Status: "open", Outcome: "no-answer", Attempts: 1})

	// The form sent again records nothing, and puts nothing.
	res := f.post(t, id, url.Values{"t": {f.formToken(t)}, "v": {"0"}, "outcome": {"no-answer"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("stale form: status %d", res.StatusCode)
	}
	check("a refused form")

	f.now = start.Add(3 * time.Hour)
	f.record(t, lead.LeftMessage) // the second try of two closes it
	at := start.Add(3 * time.Hour)
	check("closing attempt",
		bus.Event{Type: bus.AttemptRecorded, LeadID: id, At: at, Status: "closed", Outcome: "left-message", Attempts: 2},
		bus.Event{Type: bus.Closed, LeadID: id, At: at, Status: "closed", Outcome: "unreachable", Attempts: 2})

	// An attempt on the closed lead is refused (409): nothing.
	res = f.post(t, id, url.Values{"t": {f.formToken(t)}, "v": {"2"}, "outcome": {"no-answer"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("attempt on a closed lead: status %d", res.StatusCode)
	}
	check("an attempt on a closed lead")

	// The patient calls back: the correction closes it again, as booked.
	f.now = start.Add(4 * time.Hour)
	if res := f.send(t, actCorrect, url.Values{"outcome": {"booked"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("correct: status %d", res.StatusCode)
	}
	check("correction to booked", bus.Event{Type: bus.Closed, LeadID: id, At: start.Add(4 * time.Hour), Status: "closed", Outcome: "booked", Attempts: 2})

	// Reopening puts no event of its own.
	f.now = start.Add(5 * time.Hour)
	if res := f.send(t, actReopen, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen: status %d", res.StatusCode)
	}
	check("reopen")
}
