package followup

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// nudgeFor is the schedule's input for l, due 25 minutes after it came in,
// as the function receives it.
func nudgeFor(t *testing.T, l lead.Lead) Event {
	t.Helper()
	return nudgeAt(t, l, l.CreatedAt.Add(25*time.Minute))
}

// nudgeAt is the schedule's input for l, due at due, through JSON as the
// scheduler delivers it.
func nudgeAt(t *testing.T, l lead.Lead, due time.Time) Event {
	t.Helper()
	b, err := json.Marshal(nudges.Event{Nudge: &nudges.Nudge{LeadID: l.ID, Due: due}})
	if err != nil {
		t.Fatal(err)
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// monday815 is when the weekend's requests fall due at a weekday clinic in
// New York with RESPONSE_SLA 15m: Monday 30 November, 8:15.
var monday815 = nyTime(30, 8, 15)

// weekdayFixture is the follow-up of a clinic open Mon-Fri 08:00-18:00 in
// New York with RESPONSE_SLA 15m, its clock 40 s after monday815 (a
// schedule fires within a minute of its time).
func weekdayFixture(t *testing.T, change func(*config.FollowUp)) *fixture {
	t.Helper()
	h, err := hours.Parse(hours.Default, newYork)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *config.FollowUp) {
		c.SLA, c.Report.Hours = 15*time.Minute, h
		if change != nil {
			change(c)
		}
	})
	f.now = monday815.Add(40 * time.Second)
	return f
}

// addAt stores s as a lead created at created.
func (f *fixture) addAt(t *testing.T, created time.Time, s seed) lead.Lead {
	t.Helper()
	return f.add(t, created, s) // s.age 0: created at created
}

// nudged is the message id of l's recorded nudge, or "".
func (f *fixture) nudged(t *testing.T, l lead.Lead) string {
	t.Helper()
	got, err := f.store.Get(context.Background(), l.ID, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Nudge == nil {
		return ""
	}
	return got.Nudge.MessageID
}

// named is whether the nudge's text lists l (by first name and request
// number).
func named(m string, l lead.Lead) bool {
	return strings.Contains(m, l.FirstName()+", request "+l.Number())
}

// TestNudgeBatchAtOpening: the requests of the weekend fall due together at
// Monday's opening plus RESPONSE_SLA; whichever schedule fires first sends
// one email naming all of them, and the others send nothing. Requests
// tried, closed, already nudged or due later are left out.
func TestNudgeBatchAtOpening(t *testing.T) {
	f := weekdayFixture(t, nil)
	weekend := []lead.Lead{
		f.addAt(t, nyTime(28, 22, 12), untried(0)),
		f.addAt(t, nyTime(29, 9, 40), untried(0)),
		f.addAt(t, nyTime(30, 7, 59), untried(0)),
	}
	tried := f.addAt(t, nyTime(29, 10, 0), due(0, nyTime(30, 9, 0)))
	closed := f.addAt(t, nyTime(29, 11, 0), seed{status: lead.StatusClosed, closed: nyTime(29, 11, 30), reason: lead.ClosedNotInterested})
	before := f.addAt(t, nyTime(29, 12, 0), untried(0))
	if err := f.store.MarkNudged(context.Background(), before.ID, lead.Delivery{At: nyTime(30, 8, 0), MessageID: "earlier"}); err != nil {
		t.Fatal(err)
	}
	later := f.addAt(t, nyTime(30, 8, 1), untried(0)) // due 8:16: the next batch's

	for _, l := range slices.Concat(weekend, weekend) { // each schedule, then each again (an async retry)
		if err := f.h.Handle(context.Background(), nudgeAt(t, l, monday815)); err != nil {
			t.Fatal(err)
		}
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d emails, want one nudge", len(sent))
	}
	m := sent[0]
	if m.Subject != "3 requests waiting since the clinic opened" || strings.Join(m.To, ",") != "frontdesk@example-clinic.com" {
		t.Errorf("nudge %q to %v", m.Subject, m.To)
	}
	for _, l := range weekend {
		if !named(m.Text, l) || !strings.Contains(m.Text, "https://api.example-clinic.com/leads/"+l.ID+"?t=") {
			t.Errorf("%s (%s) not listed with its link:\n%s", l.FirstName(), l.ID, m.Text)
		}
		if got := f.nudged(t, l); got != m.ID {
			t.Errorf("%s: nudge recorded %q, want %q", l.FirstName(), got, m.ID)
		}
	}
	if !strings.Contains(m.Text, "Waiting 15 minutes of opening time") || !strings.Contains(m.Text, "https://api.example-clinic.com/staff\n") {
		t.Errorf("no wait in opening time, or no inbox link:\n%s", m.Text)
	}
	for _, l := range []lead.Lead{tried, closed, before, later} {
		if strings.Contains(m.Text, l.Number()) || strings.Contains(m.Text, l.FirstName()+",") {
			t.Errorf("%s listed:\n%s", l.FirstName(), m.Text)
		}
	}
	if got := f.nudged(t, later); got != "" {
		t.Errorf("the lead due at 8:16 recorded as nudged by %q", got)
	}
	if got := f.nudged(t, before); got != "earlier" {
		t.Errorf("an earlier nudge overwritten: %q", got)
	}
	// The lead due at 8:16 gets its own nudge at 8:20.
	f.now = nyTime(30, 8, 20)
	out, err := f.h.Nudge(context.Background(), *nudgeAt(t, later, nyTime(30, 8, 20)).Nudge)
	if err != nil || out.Nudged != 1 {
		t.Fatalf("8:20: %+v, %v", out, err)
	}
	if m := f.out.Sent()[1]; m.Subject != "1 request waiting over 19 minutes" || !named(m.Text, later) {
		t.Errorf("8:20 nudge %q:\n%s", m.Subject, m.Text)
	}
}

// TestNudgeFiringsTogether: schedules of one batch firing at once send one
// email, and none of them fails (that would raise FollowUpErrorsAlarm).
func TestNudgeFiringsTogether(t *testing.T) {
	f := weekdayFixture(t, nil)
	var ls []lead.Lead
	for i := range 6 {
		ls = append(ls, f.addAt(t, nyTime(29, 10, i), untried(0)))
	}
	// The email takes a while: the other firings find the batch being sent.
	f.out.Fail = func(sesmail.Message) bool { time.Sleep(200 * time.Millisecond); return false }
	var wg sync.WaitGroup
	errs := make([]error, len(ls))
	for i, l := range ls {
		wg.Go(func() { errs[i] = f.h.Handle(context.Background(), nudgeAt(t, l, monday815)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Errorf("a firing failed: %v", err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 || sent[0].Subject != "6 requests waiting since the clinic opened" {
		t.Fatalf("%d emails, want one about 6 requests: %+v", len(sent), sent)
	}
	for _, l := range ls {
		if f.nudged(t, l) != sent[0].ID || !named(sent[0].Text, l) {
			t.Errorf("%s not nudged with the batch", l.FirstName())
		}
	}
}

// TestNudgeLateLead: a lead missing from a batch already sent (it reached
// the pending index late) is nudged on its own when its schedule fires.
func TestNudgeLateLead(t *testing.T) {
	f := weekdayFixture(t, nil)
	first := f.addAt(t, nyTime(29, 10, 0), untried(0))
	if err := f.h.Handle(context.Background(), nudgeAt(t, first, monday815)); err != nil {
		t.Fatal(err)
	}
	late := f.addAt(t, nyTime(29, 11, 0), untried(0))
	for range 2 { // and its retry: nothing more
		if err := f.h.Handle(context.Background(), nudgeAt(t, late, monday815)); err != nil {
			t.Fatal(err)
		}
	}
	sent := f.out.Sent()
	if len(sent) != 2 {
		t.Fatalf("%d emails, want the batch's and the late lead's", len(sent))
	}
	if m := sent[1]; m.Subject != "1 request waiting since the clinic opened" || !named(m.Text, late) || named(m.Text, first) {
		t.Errorf("late nudge %q:\n%s", m.Subject, m.Text)
	}
	if f.nudged(t, late) != sent[1].ID || f.nudged(t, first) != sent[0].ID {
		t.Error("nudges not recorded on their leads")
	}
}

// TestNudgeBatchBeingSent: a schedule whose batch another invocation is
// still sending waits for it; if it never finishes, the schedule fails so
// Lambda retries it, and the retry finds its lead nudged.
func TestNudgeBatchBeingSent(t *testing.T) {
	f := weekdayFixture(t, nil)
	l := f.addAt(t, nyTime(29, 10, 0), untried(0))
	ctx := context.Background()
	key := "nudge#" + monday815.UTC().Format(time.RFC3339)
	if err := f.store.ClaimRun(ctx, key, f.now, nudgeLease, nudgeKeep); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := f.h.Handle(short, nudgeAt(t, l, monday815)); err == nil || !strings.Contains(err.Error(), "still being sent") {
		t.Errorf("got %v, want an error for Lambda to retry", err)
	}
	// The other invocation finishes, having nudged the lead.
	if err := f.store.MarkNudged(ctx, l.ID, lead.Delivery{At: f.now, MessageID: "batch"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.FinishRun(ctx, key); err != nil {
		t.Fatal(err)
	}
	if out, err := f.h.Nudge(ctx, *nudgeAt(t, l, monday815).Nudge); err != nil || out.Nudged != 0 {
		t.Errorf("retry: %+v, %v", out, err)
	}
	if n := len(f.out.Sent()); n != 0 {
		t.Errorf("%d emails", n)
	}
}

// TestNudgeFailedEmailIsRetried: a failed send releases the batch, and the
// retry sends it once.
func TestNudgeFailedEmailIsRetried(t *testing.T) {
	f := weekdayFixture(t, nil)
	a, b := f.addAt(t, nyTime(29, 10, 0), untried(0)), f.addAt(t, nyTime(29, 11, 0), untried(0))
	f.out.Fail = func(sesmail.Message) bool { return true }
	if err := f.h.Handle(context.Background(), nudgeAt(t, a, monday815)); err == nil {
		t.Fatal("no error: Lambda's async retry would not try again")
	}
	if f.nudged(t, a) != "" || f.nudged(t, b) != "" {
		t.Fatal("recorded as nudged without an email")
	}
	f.out.Fail = nil
	for _, l := range []lead.Lead{a, a, b} {
		if err := f.h.Handle(context.Background(), nudgeAt(t, l, monday815)); err != nil {
			t.Fatal(err)
		}
	}
	if sent := f.out.Sent(); len(sent) != 1 || sent[0].Subject != "2 requests waiting since the clinic opened" {
		t.Errorf("%d emails, want one about both: %+v", len(sent), sent)
	}
}

// TestNudgeTakesOverdueLeads: a lead whose own nudge never went out (its
// schedule failed) joins the next batch; the subject then says the
// shortest wait.
func TestNudgeTakesOverdueLeads(t *testing.T) {
	f := weekdayFixture(t, nil)
	friday := f.addAt(t, nyTime(27, 17, 50), untried(0)) // due Monday 8:05, never nudged
	sunday := f.addAt(t, nyTime(29, 10, 0), untried(0))
	if err := f.h.Handle(context.Background(), nudgeAt(t, sunday, monday815)); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 || sent[0].Subject != "2 requests waiting over 15 minutes" || !named(sent[0].Text, friday) || !named(sent[0].Text, sunday) {
		t.Fatalf("%+v", sent)
	}
	if !strings.Contains(sent[0].Text, "Waiting 25 minutes of opening time") {
		t.Errorf("Friday's wait not told in opening time:\n%s", sent[0].Text)
	}
}

// TestNudgeOfOldSchedule: a schedule armed before batching (due to the
// second) still nudges its lead, with those due by then.
func TestNudgeOfOldSchedule(t *testing.T) {
	f := weekdayFixture(t, nil)
	a := f.addAt(t, nyTime(30, 8, 0).Add(2*time.Second), untried(0))
	b := f.addAt(t, nyTime(29, 10, 0), untried(0))
	if err := f.h.Handle(context.Background(), nudgeAt(t, a, monday815.Add(2*time.Second))); err != nil {
		t.Fatal(err)
	}
	if sent := f.out.Sent(); len(sent) != 1 || sent[0].Subject != "2 requests waiting over 15 minutes" || !named(sent[0].Text, a) || !named(sent[0].Text, b) {
		t.Errorf("%+v", sent)
	}
}

// TestNudgeListsAtMostMaxListed: a batch larger than MaxListed lists that
// many, counts the rest, and records every one.
func TestNudgeListsAtMostMaxListed(t *testing.T) {
	f := weekdayFixture(t, nil)
	var ls []lead.Lead
	for i := range MaxListed + 5 {
		ls = append(ls, f.addAt(t, nyTime(29, 10, 0).Add(time.Duration(i)*time.Minute), untried(0)))
	}
	if err := f.h.Handle(context.Background(), nudgeAt(t, ls[len(ls)-1], monday815)); err != nil {
		t.Fatal(err)
	}
	m := f.out.Sent()[0]
	if m.Subject != "30 requests waiting since the clinic opened" || strings.Count(m.Text, "\n  Open: ") != MaxListed || !strings.Contains(m.Text, "and 5 more, in the inbox.") {
		t.Errorf("%q:\n%s", m.Subject, m.Text)
	}
	for _, l := range ls {
		if f.nudged(t, l) != m.ID {
			t.Errorf("%s not recorded", l.ID)
		}
	}
}

// TestNudgeStillNew: with every minute counted, a lead's nudge fired late
// says how long it had waited when it fell due, and links to it.
func TestNudgeStillNew(t *testing.T) {
	f := newFixture(t, func(c *config.FollowUp) { c.SLA = 15 * time.Minute })
	l := f.add(t, f.now, untried(2*time.Hour))
	if err := f.h.Handle(context.Background(), nudgeFor(t, l)); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d emails, want one nudge", len(sent))
	}
	m := sent[0]
	if m.Subject != "1 request waiting over 25 minutes" || !named(m.Text, l) || !strings.Contains(m.Text, "https://api.example-clinic.com/leads/"+l.ID) {
		t.Errorf("nudge %q:\n%s", m.Subject, m.Text)
	}
	// The first name only: nothing else about the patient.
	for _, p := range []string{l.Name, l.Phone, l.PhoneDisplay, l.Email, l.Reason} {
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
	if out, err := f.h.Nudge(context.Background(), *nudgeFor(t, l).Nudge); err != nil || out.Nudged != 1 {
		t.Fatalf("%+v, %v", out, err)
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
			f.add(t, f.now, untried(2*time.Hour)) // another waits, but its own schedule nudges it
			if out, err := f.h.Nudge(context.Background(), *nudgeFor(t, l).Nudge); err != nil || out.Nudged != 0 {
				t.Errorf("%+v, %v", out, err)
			}
			if n := len(f.out.Sent()); n != 0 {
				t.Errorf("%d emails", n)
			}
		})
	}
	t.Run("lead gone", func(t *testing.T) {
		f := newFixture(t, nil)
		if out, err := f.h.Nudge(context.Background(), nudges.Nudge{LeadID: "8f14e45f-ceea-4e7a-9a3b-2c5d1e8b7a10"}); err != nil || out.Nudged != 0 {
			t.Errorf("%+v, %v", out, err)
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

// TestNudgeCountsAReleasedRequestFromItsRelease: a request held over the
// weekend and released on Monday at 8:10 is not swept into the 8:15 batch
// (staff have just released it), though it still shows as received on
// Saturday; its own schedule, from the release, nudges it if nobody tries.
func TestNudgeCountsAReleasedRequestFromItsRelease(t *testing.T) {
	f := weekdayFixture(t, nil)
	sunday := f.addAt(t, nyTime(29, 10, 0), untried(0))
	released := storetest.Lead(nyTime(28, 11, 0))
	released.ReleasedAt = nyTime(30, 8, 10)
	if err := f.store.Save(context.Background(), released, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.h.Handle(context.Background(), nudgeAt(t, sunday, monday815)); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 || !named(sent[0].Text, sunday) || named(sent[0].Text, released) {
		t.Fatalf("the 8:15 batch should name Sunday's request only: %+v", sent)
	}
	if f.nudged(t, released) != "" {
		t.Error("the released request was marked nudged by a batch that did not name it")
	}
}
