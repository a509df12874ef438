package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
)

// armed records the schedules the handler asked for.
type armed struct {
	mu   sync.Mutex
	ids  []string
	at   map[string][2]time.Time // created, now
	fail error
}

func (a *armed) Arm(_ context.Context, id string, created, now time.Time) (time.Time, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = append(a.ids, id)
	if a.at == nil {
		a.at = map[string][2]time.Time{}
	}
	a.at[id] = [2]time.Time{created, now}
	return created.Add(15 * time.Minute), a.fail
}

func TestGuardArmedForEachNewLead(t *testing.T) {
	f := newFixture(t, nil)
	g := &armed{}
	f.h.WithGuard(g)
	e := f.add(t, 2)
	if failed := f.handle(t, e); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	slices.Sort(g.ids)
	want := []string{f.leads[0].ID, f.leads[1].ID}
	slices.Sort(want)
	if !slices.Equal(g.ids, want) {
		t.Fatalf("armed %v, want %v", g.ids, want)
	}
	// Due from when the lead was stored, not from when the record came.
	if got := g.at[f.leads[0].ID]; !got[0].Equal(f.leads[0].CreatedAt) || !got[1].Equal(now) {
		t.Errorf("armed with created %s, now %s", got[0], got[1])
	}
	// A redelivered batch arms again (the schedule's name makes it one).
	f.handle(t, e)
	if len(g.ids) != 4 {
		t.Errorf("redelivered: armed %d times, want 4", len(g.ids))
	}
}

func TestGuardNotArmedOnceTriedOrNudged(t *testing.T) {
	f := newFixture(t, nil)
	g := &armed{}
	f.h.WithGuard(g)
	e := f.add(t, 2)
	ctx := context.Background()
	tried, _ := f.store.Get(ctx, f.leads[0].ID, now)
	policy := lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: lead.DefaultMaxAttempts}
	if err := tried.Record(lead.Event{At: now, Outcome: lead.LeftMessage, Channel: lead.ChannelCall, By: lead.ByLink}, policy); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Progress(ctx, tried, now); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkNudged(ctx, f.leads[1].ID, lead.Delivery{At: now, MessageID: "m"}); err != nil {
		t.Fatal(err)
	}
	f.handle(t, e)
	if len(g.ids) != 0 {
		t.Errorf("armed %v, want none", g.ids)
	}
}

func TestGuardFailureKeepsTheRecord(t *testing.T) {
	f := newFixture(t, nil)
	f.h.WithGuard(&armed{fail: errors.New("scheduler down")})
	if failed := f.handle(t, f.add(t, 1)); len(failed) != 0 {
		t.Errorf("failures %v: a failed schedule must not redeliver (and resend) the alert", failed)
	}
	if len(f.out.Sent()) != 1 {
		t.Errorf("%d emails, want the alert", len(f.out.Sent()))
	}
	if !strings.Contains(f.logs.String(), "response guard not set") {
		t.Errorf("failure not logged:\n%s", f.logs)
	}
}

// TestGuardClashIsAnError: a schedule of the lead's name that holds
// another lead is said as an error, not taken for "armed"; the alert
// stands and the record is not retried.
func TestGuardClashIsAnError(t *testing.T) {
	f := newFixture(t, nil)
	f.h.WithGuard(&armed{fail: fmt.Errorf("create schedule for lead x: %w", nudges.ErrClash)})
	if failed := f.handle(t, f.add(t, 1)); len(failed) != 0 {
		t.Errorf("failures %v", failed)
	}
	var line string
	for l := range strings.Lines(f.logs.String()) {
		if strings.Contains(l, "response guard not set") {
			line = l
		}
	}
	if !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, nudges.ErrClash.Error()) || strings.Contains(line, "response guard set") {
		t.Errorf("the clash logged as %q, want an error naming it:\n%s", line, f.logs)
	}
}

// A request released from review days after it came keeps its received
// time, but the response guard counts from the release: staff have just
// seen it, and a nudge a minute later would only be noise.
func TestGuardOfAReleasedRequestCountsFromTheRelease(t *testing.T) {
	f := newFixture(t, nil)
	g := &armed{}
	f.h.WithGuard(g)
	l := storetest.Lead(now.Add(-72 * time.Hour))
	l.ReleasedAt = now.Add(-time.Minute)
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	f.handle(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{insert(t, l, "100")}})
	if got := g.at[l.ID]; !got[0].Equal(l.ReleasedAt) {
		t.Errorf("armed from %s, want the release %s (received %s)", got[0], l.ReleasedAt, l.CreatedAt)
	}
}
