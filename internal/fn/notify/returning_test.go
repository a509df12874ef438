package notify

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/outbox"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/patient"
)

const day = 24 * time.Hour

// remembering is notify recognising returning patients memory back, leads
// kept retention.
func remembering(t *testing.T, memory, retention time.Duration) *fixture {
	t.Helper()
	return newFixture(t, func(c *config.Notify) { c.PatientMemory, c.Retention = memory, retention })
}

// margaret stores a request of Margaret's created ago before now, with
// email, closed unreachable after 4 tries when closed, and returns its
// insertion. Her phone number is stored as submit normalises it, however
// she wrote it.
func (f *fixture) margaret(t *testing.T, ago time.Duration, email string, closed bool) insertion {
	t.Helper()
	l := storetest.Lead(now.Add(-ago))
	l.Name, l.Phone, l.PhoneDisplay, l.Email = "Margaret Hale", "+13035550199", "(303) 555-0199", email
	if closed {
		att := lead.Event{Kind: lead.EventAttempt, Outcome: lead.NoAnswer}
		l.Status, l.Closed, l.History = lead.StatusClosed, lead.ClosedUnreachable, []lead.Event{att, att, att, att}
	}
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	f.leads = append(f.leads, l)
	return insertion{l, insert(t, l, "1"+l.ID[:4])}
}

// alertOf is the one alert sent about l.
func (f *fixture) alertOf(t *testing.T, l lead.Lead) outbox.Sent {
	t.Helper()
	var out []outbox.Sent
	for _, m := range f.out.Sent() {
		if m.Tags["lead"] == l.ID && m.Tags["kind"] == "alert" {
			out = append(out, m)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d alerts about %s, want 1", len(out), l.ID)
	}
	return out[0]
}

func (f *fixture) storedLead(t *testing.T, id string) lead.Lead {
	t.Helper()
	l, err := f.store.Get(context.Background(), id, now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func batch(ins ...insertion) events.DynamoDBEvent {
	var e events.DynamoDBEvent
	for _, i := range ins {
		e.Records = append(e.Records, i.record)
	}
	return e
}

// TestReturningPatientAlertSaysAskedBefore: Margaret asks again ten days
// later with the same phone number and another email address; the second
// alert says when she asked before and how that ended, in both parts,
// with nothing of the first request's contacts; the two are linked, and a
// redelivered record changes nothing.
func TestReturningPatientAlertSaysAskedBefore(t *testing.T) {
	f := remembering(t, patient.DefaultMemory, 365*day)
	first := f.margaret(t, 10*day, "margaret.hale@example.com", true)
	if failed := f.handle(t, batch(first)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if m := f.alertOf(t, first.lead); strings.Contains(m.Text+m.HTML, "Asked before") {
		t.Errorf("a first request's alert says Asked before:\n%s", m.Text)
	}
	second := f.margaret(t, time.Minute, "maggie@example.net", false)
	for range 2 { // the stream may deliver a record again
		if failed := f.handle(t, batch(second)); len(failed) != 0 {
			t.Fatalf("failures %v", failed)
		}
	}
	m := f.alertOf(t, second.lead)
	if want := "Asked before: 17 Nov (closed: unreachable after 4 tries)\n"; !strings.Contains(m.Text, want) {
		t.Errorf("the alert's text does not say %q:\n%s", want, m.Text)
	}
	if want := "<strong>Asked before:</strong> 17 Nov (closed: unreachable after 4 tries)"; !strings.Contains(m.HTML, want) {
		t.Errorf("the alert's HTML does not say %q:\n%s", want, m.HTML)
	}
	if strings.Contains(m.Text+m.HTML, first.lead.Email) {
		t.Errorf("the alert shows the earlier request's email address")
	}
	if got := f.storedLead(t, second.lead.ID).Earlier; !slices.Equal(got, []string{first.lead.ID}) {
		t.Errorf("the second request's earlier requests: %v, want the first's id", got)
	}
	if got := f.storedLead(t, first.lead.ID).Newer; got != second.lead.ID {
		t.Errorf("the first request's newer request: %q, want the second's id", got)
	}
	f.noKeysLogged(t)
}

// TestReturningPatientOnlyEarlierRequests: the records of two requests of
// one patient arrive newest first; the older one's alert says nothing of
// the newer, and neither names itself.
func TestReturningPatientOnlyEarlierRequests(t *testing.T) {
	f := remembering(t, patient.DefaultMemory, 365*day)
	older := f.margaret(t, 2*day, "margaret.hale@example.com", false)
	newer := f.margaret(t, time.Minute, "margaret.hale@example.com", false)
	f.handle(t, batch(newer))
	f.handle(t, batch(older))
	if m := f.alertOf(t, newer.lead); strings.Contains(m.Text, "Asked before") {
		t.Errorf("the newer request, handled first, says Asked before (itself?):\n%s", m.Text)
	}
	if m := f.alertOf(t, older.lead); strings.Contains(m.Text, "Asked before") {
		t.Errorf("the older request's alert names the newer one:\n%s", m.Text)
	}
	// Each is indexed: a third request finds both, newest first.
	third := f.margaret(t, 0, "m@example.org", false)
	f.handle(t, batch(third))
	if want := "Asked before: 27 Nov (new: not tried yet); 25 Nov (new: not tried yet)\n"; !strings.Contains(f.alertOf(t, third.lead).Text, want) {
		t.Errorf("the third alert does not say %q:\n%s", want, f.alertOf(t, third.lead).Text)
	}
	f.noKeysLogged(t)
}

// TestReturningPatientTwiceInOneBatch: Margaret sends the form twice
// within seconds and both records come in one batch, handled side by
// side; the newer one's alert still says the older one.
func TestReturningPatientTwiceInOneBatch(t *testing.T) {
	for range 20 { // the records are handled side by side: in any order
		f := remembering(t, patient.DefaultMemory, 365*day)
		older := f.margaret(t, 2*time.Minute, "margaret.hale@example.com", false)
		newer := f.margaret(t, time.Minute, "margaret.hale@example.com", false)
		if failed := f.handle(t, batch(older, newer)); len(failed) != 0 {
			t.Fatalf("failures %v", failed)
		}
		if want := "Asked before: 27 Nov (new: not tried yet)\n"; !strings.Contains(f.alertOf(t, newer.lead).Text, want) {
			t.Fatalf("the newer alert does not say %q:\n%s", want, f.alertOf(t, newer.lead).Text)
		}
		if m := f.alertOf(t, older.lead); strings.Contains(m.Text, "Asked before") {
			t.Fatalf("the older request's alert names the newer one:\n%s", m.Text)
		}
	}
}

// TestReturningPatientForgotten: a request older than PATIENT_MEMORY_DAYS,
// or than the leads' retention when that is shorter, is not mentioned nor
// linked; PATIENT_MEMORY_DAYS 0 mentions nothing, yet indexes every
// request (the right of access finds requests by the index).
func TestReturningPatientForgotten(t *testing.T) {
	for _, tt := range []struct {
		name              string
		memory, retention time.Duration
		ago               time.Duration
	}{
		{"past PATIENT_MEMORY_DAYS", 30 * day, 365 * day, 31 * day},
		{"past RETENTION_DAYS", patient.DefaultMemory, 20 * day, 21 * day},
		{"PATIENT_MEMORY_DAYS 0", 0, 365 * day, 2 * day},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := remembering(t, tt.memory, tt.retention)
			first := f.margaret(t, tt.ago, "margaret.hale@example.com", true)
			f.handle(t, batch(first))
			second := f.margaret(t, time.Minute, "margaret.hale@example.com", false)
			f.handle(t, batch(second))
			if m := f.alertOf(t, second.lead); strings.Contains(m.Text+m.HTML, "Asked before") {
				t.Errorf("the alert mentions a request it should not:\n%s", m.Text)
			}
			if l := f.storedLead(t, second.lead.ID); len(l.Earlier) != 0 {
				t.Errorf("linked to %v", l.Earlier)
			}
			if len(f.storedLead(t, second.lead.ID).ContactKeys) != 2 {
				t.Errorf("the second request is not indexed by phone and email: %v", f.storedLead(t, second.lead.ID).ContactKeys)
			}
		})
	}
}

// failing is the fake store with one of the index's calls failing.
type failing struct {
	*storetest.MemStore
	step string
}

var errIndex = errors.New("index down")

func (s failing) IndexContacts(ctx context.Context, l lead.Lead, keys []patient.Key) error {
	if s.step == "index" {
		return errIndex
	}
	return s.MemStore.IndexContacts(ctx, l, keys)
}

func (s failing) ContactRequests(ctx context.Context, k patient.Key, since, now time.Time) iter.Seq2[patient.Ref, error] {
	switch s.step {
	case "look up":
		return func(yield func(patient.Ref, error) bool) { yield(patient.Ref{}, errIndex) }
	case "slow":
		return func(yield func(patient.Ref, error) bool) { <-ctx.Done(); yield(patient.Ref{}, ctx.Err()) }
	}
	return s.MemStore.ContactRequests(ctx, k, since, now)
}

func (s failing) LinkEarlier(ctx context.Context, id string, earlier []string) error {
	if s.step == "link" {
		return errIndex
	}
	return s.MemStore.LinkEarlier(ctx, id, earlier)
}

// TestReturningPatientStoreFailure: when indexing, the look-up or the
// linking fails, or the look-up hangs, the alert still goes out (after
// at most the time recognition is given), without "Asked before", and
// the log says the step and no contact; the record fails only when the
// index was not written, so that it is written when Lambda hands the
// record over again (which sends no second alert).
func TestReturningPatientStoreFailure(t *testing.T) {
	for _, step := range []string{"index", "look up", "link", "slow"} {
		t.Run(step, func(t *testing.T) {
			f := remembering(t, patient.DefaultMemory, 365*day)
			first := f.margaret(t, 10*day, "margaret.hale@example.com", true)
			f.handle(t, batch(first))
			f.h.store = failing{MemStore: f.store, step: step}
			f.h.recognising = 20 * time.Millisecond
			second := f.margaret(t, time.Minute, "maggie@example.net", false)
			failed := f.handle(t, batch(second))
			switch {
			case step == "index" && len(failed) != 1:
				// The alert goes out, and the record fails so that Lambda
				// hands it over again to write the index.
				t.Fatalf("indexing failed, yet the record did not (%v): the request would never be indexed", failed)
			case step != "index" && len(failed) != 0:
				t.Fatalf("the record failed (%v): its alert waits for a retry", failed)
			}
			if m := f.alertOf(t, second.lead); strings.Contains(m.Text+m.HTML, "Asked before") {
				t.Errorf("the alert says Asked before though %s failed", step)
			}
			if f.storedLead(t, second.lead.ID).Alert == nil {
				t.Error("the alert is not recorded")
			}
			want := `"step":"` + step + `"`
			if step == "slow" {
				want = `"step":"look up","err":"timed out"`
			}
			if !strings.Contains(f.logs.String(), want) {
				t.Errorf("no log line with %s:\n%s", want, f.logs)
			}
			f.noKeysLogged(t)
			if step == "index" {
				// Handed over again with the index back: indexed now, and
				// the alert (alertOf: exactly one) not sent twice.
				f.h.store = f.store
				if failed := f.handle(t, batch(second)); len(failed) != 0 {
					t.Fatalf("the record handed over again failed: %v", failed)
				}
				f.alertOf(t, second.lead)
				if len(f.storedLead(t, second.lead.ID).ContactKeys) == 0 {
					t.Error("the record handed over again did not index the request")
				}
			}
		})
	}
}

// noKeysLogged: no contact key of any of f's leads, under the fixture's
// link secret, is in the logs (newFixture checks their contacts).
func (f *fixture) noKeysLogged(t *testing.T) {
	t.Helper()
	signer, err := link.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range f.leads {
		for _, k := range patient.Of(l).Keys(signer.Key(patient.Purpose)) {
			if strings.Contains(f.logs.String(), string(k)) {
				t.Errorf("a contact key of %s is in the logs:\n%s", l.ID, f.logs)
			}
		}
	}
}
