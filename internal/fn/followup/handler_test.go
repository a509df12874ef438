package followup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/outbox"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

var newYork, _ = time.LoadLocation("America/New_York")

// testConfig runs the digest at 8:00 every day: its Report.Hours (the zero
// Hours) counts every minute open. schedule_test.go gives the clinic its
// days and hours.
func testConfig() config.FollowUp {
	return config.FollowUp{
		Mail: config.Mail{
			Table: "leads", ClinicName: "Relief Physical Therapy",
			ClinicEmails: []string{"frontdesk@example-clinic.com"}, SenderEmail: "alerts@example-clinic.com",
			TimeZone: newYork, PublicBaseURL: "https://api.example-clinic.com", LinkTTL: 14 * 24 * time.Hour,
		},
		After:         24 * time.Hour,
		EscalateAfter: 72 * time.Hour,
		Hour:          8,
	}
}

// faultyStore is the in-memory store, with faults injected into the reads
// and writes that clear a reported lead.
type faultyStore struct {
	*storetest.MemStore
	get       func(id string) error
	progress  func(l lead.Lead) error
	requested error // fails the read of the headline's leads
}

func (s *faultyStore) Requested(ctx context.Context, from, to, now time.Time) iter.Seq2[lead.Lead, error] {
	if s.requested != nil {
		return func(yield func(lead.Lead, error) bool) { yield(lead.Lead{}, s.requested) }
	}
	return s.MemStore.Requested(ctx, from, to, now)
}

func (s *faultyStore) Get(ctx context.Context, id string, now time.Time) (lead.Lead, error) {
	if s.get != nil {
		if err := s.get(id); err != nil {
			return lead.Lead{}, err
		}
	}
	return s.MemStore.Get(ctx, id, now)
}

func (s *faultyStore) Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error) {
	if s.progress != nil {
		if err := s.progress(l); err != nil {
			return lead.Lead{}, err
		}
	}
	return s.MemStore.Progress(ctx, l, now)
}

type fixture struct {
	h      *Handler
	store  *storetest.MemStore
	faults *faultyStore
	out    *outbox.Outbox
	logs   *bytes.Buffer
	now    time.Time
}

func newFixture(t *testing.T, change func(*config.FollowUp)) *fixture {
	t.Helper()
	cfg := testConfig()
	if change != nil {
		change(&cfg)
	}
	signer, err := link.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: storetest.NewMemStore(), out: &outbox.Outbox{}, logs: &bytes.Buffer{}}
	f.faults = &faultyStore{MemStore: f.store}
	f.now = time.Date(2026, 11, 27, 13, 0, 5, 0, time.UTC)
	f.h = New(cfg, f.faults, sesmail.New(f.out), signer, slog.New(slog.NewJSONHandler(f.logs, nil)), func() time.Time { return f.now })
	t.Cleanup(func() {
		for _, l := range f.store.Leads() {
			for _, p := range []string{l.Name, l.FirstName(), l.Email, l.Phone, l.PhoneDisplay} {
				if p != "" && strings.Contains(f.logs.String(), p) {
					t.Errorf("personal data %q in the logs:\n%s", p, f.logs)
				}
			}
		}
	})
	return f
}

// seed is a lead to store: its age at the run, and how far staff got.
type seed struct {
	age      time.Duration
	status   lead.Status
	callback time.Time // open: when the call-back is due
	closed   time.Time // closed at
	reason   lead.Reason
	reported bool // closed as unreachable or not reached again, and a digest said so
	prefers  lead.ContactMethod
}

func untried(age time.Duration) seed { return seed{age: age, status: lead.StatusNew} }

func due(age time.Duration, at time.Time) seed {
	return seed{age: age, status: lead.StatusOpen, callback: at}
}

func unreachable(age time.Duration, closed time.Time) seed {
	return seed{age: age, status: lead.StatusClosed, closed: closed, reason: lead.ClosedUnreachable}
}

// notReachedAgain is a lead reached once, then closed after further tries.
func notReachedAgain(age time.Duration, closed time.Time) seed {
	return seed{age: age, status: lead.StatusClosed, closed: closed, reason: lead.ClosedNotReachedAgain}
}

// add stores s as of the run at run, named Patient<n> after the number of
// leads stored before it.
func (f *fixture) add(t *testing.T, run time.Time, s seed) lead.Lead {
	t.Helper()
	l := storetest.Lead(run.Add(-s.age))
	n := len(f.store.Leads())
	l.Name = fmt.Sprintf("Patient%d Smith", n)
	l.Phone, l.PhoneDisplay = fmt.Sprintf("+1202555%04d", 1000+n), fmt.Sprintf("(202) 555-%04d", 1000+n)
	if s.prefers != "" {
		l.PreferredContact = s.prefers
	}
	l.Status = s.status
	switch s.status {
	case lead.StatusOpen:
		l.Tries, l.Callback, l.FirstAttempt = 1, s.callback, l.CreatedAt.Add(time.Hour)
	case lead.StatusClosed:
		l.Tries, l.Closed, l.ClosedAt = lead.DefaultMaxAttempts, s.reason, s.closed
		l.Unreported = (s.reason == lead.ClosedUnreachable || s.reason == lead.ClosedNotReachedAgain) && !s.reported
	}
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fixture) run(t *testing.T, at time.Time) error {
	t.Helper()
	return f.h.Handle(context.Background(), Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)})
}

// The digest's sections, as its text part titles them (up to a colon).
const (
	overdue   = "Overdue"
	notTried  = "Not tried yet"
	dueToday  = "Call-backs due today"
	closedUnr = "Closed as unreachable since the last digest"
	closedNRA = "Closed as not reached again since the last digest"
)

// sections reads a digest's text part: the first names each section lists,
// in order, by section.
func sections(text string) map[string][]string {
	out := map[string][]string{}
	var section string
	for _, line := range strings.Split(text, "\n") {
		if title, ok := strings.CutPrefix(line, "== "); ok {
			section, _, _ = strings.Cut(title, " (")
			section, _, _ = strings.Cut(section, ":")
			continue
		}
		name, rest, ok := strings.Cut(line, ", ")
		if section != "" && ok && (strings.HasPrefix(rest, "waiting ") || strings.HasPrefix(rest, "requested ")) {
			out[section] = append(out[section], name)
		}
	}
	return out
}

// eight is 8:00 in New York on the given November 2026 day, as the schedule
// fires it.
func eight(day int) time.Time { return time.Date(2026, 11, day, 8, 0, 0, 0, newYork) }

// nyTime is a time in New York in November 2026.
func nyTime(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, newYork)
}

func TestSections(t *testing.T) {
	run := eight(27)
	tests := []struct {
		name  string
		seeds []seed
		want  map[string][]string // first names listed, by section; nil: no digest
	}{
		{"nothing at all", nil, nil},
		{"only a fresh lead", []seed{untried(2 * time.Hour)}, nil},
		{"exactly FOLLOW_UP_AFTER is not yet listed", []seed{untried(24 * time.Hour)}, nil},
		{"a second past FOLLOW_UP_AFTER is", []seed{untried(24*time.Hour + time.Second)}, map[string][]string{notTried: {"Patient0"}}},
		{"not tried, oldest first; past ESCALATE_AFTER overdue instead",
			[]seed{untried(30 * time.Hour), untried(100 * time.Hour), untried(2 * time.Hour), untried(50 * time.Hour), untried(72 * time.Hour)},
			map[string][]string{overdue: {"Patient1"}, notTried: {"Patient4", "Patient3", "Patient0"}}},
		{"call-backs due before the clinic's midnight, soonest first", []seed{
			due(30*time.Hour, nyTime(27, 7, 0)),   // earlier today
			due(30*time.Hour, nyTime(26, 9, 0)),   // missed yesterday
			due(30*time.Hour, nyTime(27, 23, 59)), // tonight: 04:59 UTC tomorrow
			due(30*time.Hour, nyTime(28, 0, 0)),   // tomorrow
			due(30*time.Hour, nyTime(28, 9, 0)),   // tomorrow morning
			due(2*time.Hour, nyTime(27, 10, 0)),   // a fresh lead tried at once: still due
			due(30*time.Hour, nyTime(27, 20, 0)),  // after UTC's midnight
			unreachable(30*time.Hour, nyTime(26, 17, 0)),
		}, map[string][]string{dueToday: {"Patient1", "Patient0", "Patient5", "Patient6", "Patient2"}, closedUnr: {"Patient7"}}},
		{"overdue from both queries, oldest request first; not due today is not listed", []seed{
			untried(100 * time.Hour),
			due(90*time.Hour, nyTime(27, 15, 0)),
			untried(80 * time.Hour),
			due(120*time.Hour, nyTime(26, 9, 0)),
			due(150*time.Hour, nyTime(29, 9, 0)),
			due(50*time.Hour, nyTime(27, 9, 0)),
		}, map[string][]string{overdue: {"Patient3", "Patient0", "Patient1", "Patient2"}, dueToday: {"Patient5"}}},
		{"closed as unreachable and not reported: by closing, oldest first", []seed{
			unreachable(200*time.Hour, nyTime(26, 17, 0)),
			unreachable(100*time.Hour, nyTime(25, 12, 0)),
			{age: 300 * time.Hour, status: lead.StatusClosed, closed: nyTime(24, 12, 0), reason: lead.ClosedUnreachable, reported: true},
			{age: 50 * time.Hour, status: lead.StatusClosed, closed: nyTime(26, 12, 0), reason: lead.ClosedBooked},
		}, map[string][]string{closedUnr: {"Patient1", "Patient0"}}},
		{"reached once, then closed: a section of its own", []seed{
			unreachable(200*time.Hour, nyTime(26, 17, 0)),
			notReachedAgain(100*time.Hour, nyTime(26, 12, 0)),
			{age: 300 * time.Hour, status: lead.StatusClosed, closed: nyTime(24, 12, 0), reason: lead.ClosedNotReachedAgain, reported: true},
		}, map[string][]string{closedUnr: {"Patient0"}, closedNRA: {"Patient1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			for _, s := range tt.seeds {
				f.add(t, run, s)
			}
			if err := f.run(t, run); err != nil {
				t.Fatal(err)
			}
			sent := f.out.Sent()
			if tt.want == nil {
				if len(sent) != 0 {
					t.Errorf("%d emails, want none:\n%s", len(sent), sent[0].Text)
				}
				return
			}
			if len(sent) != 1 {
				t.Fatalf("%d emails, want one digest", len(sent))
			}
			if diff := cmp.Diff(sections(sent[0].Text), tt.want); diff != "" {
				t.Errorf("listed (-got +want):\n%s\n%s", diff, sent[0].Text)
			}
		})
	}
}

// TestCallbacksDueOnADaylightSavingDay: the clinic's day is 25 hours long
// when New York falls back (1 November 2026) and 23 when it springs forward
// (8 March 2026); "due today" ends at the clinic's own midnight on both.
func TestCallbacksDueOnADaylightSavingDay(t *testing.T) {
	for _, day := range []time.Time{time.Date(2026, 11, 1, 0, 0, 0, 0, newYork), time.Date(2026, 3, 8, 0, 0, 0, 0, newYork)} {
		t.Run(day.Format(time.DateOnly), func(t *testing.T) {
			f := newFixture(t, nil)
			y, m, d := day.Date()
			run := time.Date(y, m, d, 8, 0, 0, 0, newYork)
			f.add(t, run, due(30*time.Hour, time.Date(y, m, d, 23, 30, 0, 0, newYork)))  // tonight
			f.add(t, run, due(30*time.Hour, time.Date(y, m, d+1, 0, 30, 0, 0, newYork))) // after midnight
			if err := f.run(t, run); err != nil {
				t.Fatal(err)
			}
			sent := f.out.Sent()
			if len(sent) != 1 {
				t.Fatalf("%d digests, want 1", len(sent))
			}
			if diff := cmp.Diff(sections(sent[0].Text), map[string][]string{dueToday: {"Patient0"}}); diff != "" {
				t.Errorf("listed (-got +want):\n%s", diff)
			}
		})
	}
}

func TestEndOfDay(t *testing.T) {
	for _, tt := range []struct {
		at   time.Time
		want time.Duration // after at
	}{
		{eight(27), 16 * time.Hour},
		{time.Date(2026, 11, 1, 8, 0, 0, 0, newYork), 16 * time.Hour}, // 25-hour day, after the change
		{time.Date(2026, 11, 1, 0, 30, 0, 0, newYork), 24*time.Hour + 30*time.Minute},
		{time.Date(2026, 3, 8, 0, 30, 0, 0, newYork), 22*time.Hour + 30*time.Minute}, // 23-hour day
		{time.Date(2026, 10, 31, 23, 30, 0, 0, newYork), 30 * time.Minute},           // already 1 November in UTC
	} {
		if got := endOfDay(tt.at, newYork).Sub(tt.at); got != tt.want {
			t.Errorf("end of %v's day: %v later, want %v", tt.at, got, tt.want)
		}
	}
}

func TestOneDigestPerClinicDay(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, eight(27), untried(7*24*time.Hour))
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	// A retry of the same run, and another run in the digest's hour (make
	// dev's ?at=): nothing new.
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	if err := f.run(t, eight(27).Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Fatalf("%d digests on one day, want 1", n)
	}
	if err := f.run(t, eight(28)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 2 {
		t.Errorf("%d digests after the next day's run, want 2", n)
	}
}

// TestDaylightSavingChange: New York falls back on 1 November 2026. The
// 8:00 runs on 31 October (12:00 UTC) and 1 November (13:00 UTC) are two
// clinic days, and a lead from 31 October 8:00 has waited 25 hours, not 24.
func TestDaylightSavingChange(t *testing.T) {
	f := newFixture(t, nil)
	before, after := time.Date(2026, 10, 31, 8, 0, 0, 0, newYork), time.Date(2026, 11, 1, 8, 0, 0, 0, newYork)
	if got := after.Sub(before); got != 25*time.Hour {
		t.Fatalf("test premise: %v between the runs", got)
	}
	f.add(t, before, untried(30*time.Hour))
	f.add(t, before, untried(0)) // listed at the second run only because that day had 25 hours
	if err := f.run(t, before); err != nil {
		t.Fatal(err)
	}
	if err := f.run(t, after); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 2 {
		t.Fatalf("%d digests over the change, want one each day", len(sent))
	}
	got := []map[string][]string{sections(sent[0].Text), sections(sent[1].Text)}
	if diff := cmp.Diff(got, []map[string][]string{{notTried: {"Patient0"}}, {notTried: {"Patient0", "Patient1"}}}); diff != "" {
		t.Errorf("listed (-got +want):\n%s", diff)
	}
	// At FOLLOW_UP_HOUR 23, 23:00 on 31 October in New York is already 1
	// November in UTC: still the 31st's digest, and the 1st has its own.
	f2 := newFixture(t, func(c *config.FollowUp) { c.Hour = 23 })
	f2.add(t, before, untried(30*time.Hour))
	for i, want := range []string{"2026-10-31", "2026-11-01"} {
		out, err := f2.h.Run(context.Background(), Event{Time: time.Date(2026, 10, 31+i, 23, 0, 0, 0, newYork).UTC().Format(time.RFC3339)})
		if err != nil || out.Day != want || out.MessageID == "" {
			t.Errorf("the run at 23:00 on %s: %+v %v", want, out, err)
		}
	}
}

func TestEscalation(t *testing.T) {
	run := eight(27)
	owner := []string{"owner@example-clinic.com"}
	tests := []struct {
		name       string
		escalation []string
		seeds      []seed
		wantTo     []string
	}{
		{"none overdue", owner, []seed{untried(30 * time.Hour), due(70*time.Hour, run)}, []string{"frontdesk@example-clinic.com"}},
		{"exactly ESCALATE_AFTER is not overdue", owner, []seed{untried(72 * time.Hour)}, []string{"frontdesk@example-clinic.com"}},
		{"an overdue lead not tried brings in ESCALATION_EMAIL", owner, []seed{untried(30 * time.Hour), untried(73 * time.Hour)},
			[]string{"frontdesk@example-clinic.com", "owner@example-clinic.com"}},
		{"an overdue call-back too", owner, []seed{due(73*time.Hour, run)}, []string{"frontdesk@example-clinic.com", "owner@example-clinic.com"}},
		{"an old lead whose call-back is not due today does not", owner, []seed{untried(30 * time.Hour), due(200*time.Hour, nyTime(28, 9, 0))},
			[]string{"frontdesk@example-clinic.com"}},
		{"an old lead closed as unreachable does not", owner, []seed{unreachable(200*time.Hour, nyTime(26, 9, 0))},
			[]string{"frontdesk@example-clinic.com"}},
		{"overdue, no ESCALATION_EMAIL", nil, []seed{untried(100 * time.Hour)}, []string{"frontdesk@example-clinic.com"}},
		{"ESCALATION_EMAIL already a clinic address", []string{"frontdesk@example-clinic.com"}, []seed{untried(100 * time.Hour)},
			[]string{"frontdesk@example-clinic.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.FollowUp) { c.EscalationEmails = tt.escalation })
			for _, s := range tt.seeds {
				f.add(t, run, s)
			}
			if err := f.run(t, run); err != nil {
				t.Fatal(err)
			}
			m := f.out.Sent()[0]
			if diff := cmp.Diff(m.To, tt.wantTo); diff != "" {
				t.Errorf("To (-got +want):\n%s", diff)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	run := eight(27)
	f := newFixture(t, nil)
	for _, s := range []seed{
		{age: 30 * time.Hour, status: lead.StatusNew, prefers: lead.ByPhone},
		{age: 100 * time.Hour, status: lead.StatusNew, prefers: lead.ByText},
		{age: 30 * time.Hour, status: lead.StatusOpen, callback: run, prefers: lead.ByText},
		{age: 80 * time.Hour, status: lead.StatusOpen, callback: run, prefers: lead.ByEmail},
		{age: 30 * time.Hour, status: lead.StatusOpen, callback: nyTime(28, 9, 0), prefers: lead.ByEmail}, // not due
		unreachable(100*time.Hour, nyTime(26, 9, 0)),
	} {
		f.add(t, run, s)
	}
	if err := f.run(t, run); err != nil {
		t.Fatal(err)
	}
	if tags := f.out.Sent()[0].Tags; tags["kind"] != "digest" || len(tags) != 1 {
		t.Errorf("digest tags %v, want kind=digest only", tags)
	}
	got := f.out.Sent()[0].Subject
	if want := "4 appointment requests to follow up: 1 to call, 2 to text, 1 to email (2 overdue); 1 closed as unreachable"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
}

func TestUnreachableReportedOnce(t *testing.T) {
	f := newFixture(t, nil)
	l := f.add(t, eight(27), unreachable(100*time.Hour, nyTime(26, 17, 0)))
	other := f.add(t, eight(27), unreachable(100*time.Hour, nyTime(26, 18, 0)))
	// The staff page records an attempt on a lead: it moves its version.
	other.Status, other.Closed, other.ClosedAt, other.Unreported = lead.StatusOpen, "", time.Time{}, false
	other.Callback = nyTime(30, 9, 0)
	if _, err := f.store.Progress(context.Background(), other, eight(27)); err != nil {
		t.Fatal(err)
	}
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sections(f.out.Sent()[0].Text), map[string][]string{closedUnr: {"Patient0"}}); diff != "" {
		t.Fatalf("first digest (-got +want):\n%s", diff)
	}
	got, err := f.store.Get(context.Background(), l.ID, eight(27))
	if err != nil {
		t.Fatal(err)
	}
	if got.Unreported || got.Status != lead.StatusClosed || got.Closed != lead.ClosedUnreachable || got.Version != l.Version+1 {
		t.Errorf("after the digest: %s %s, unreported %v, version %d", got.Status, got.Closed, got.Unreported, got.Version)
	}
	if err := f.run(t, eight(28)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Errorf("%d digests; the next day's reported the same lead again:\n%s", n, f.out.Sent()[n-1].Text)
	}
	if !strings.Contains(f.logs.String(), `"cleared":1`) {
		t.Errorf("logs do not count the cleared lead:\n%s", f.logs)
	}
}

// TestClearingNeverFailsTheRun: the digest went out, so a lead that changed
// since it was read, or a store that fails, is logged and left; the run
// succeeds and is not repeated.
func TestClearingNeverFailsTheRun(t *testing.T) {
	tests := []struct {
		name     string
		get      func(id string) error
		progress func(lead.Lead) error
		change   func(*lead.Lead) // staff's change between the query and the clearing
		wantLog  string
		reported bool // the lead is still to be reported
	}{
		{"reopened meanwhile", nil, nil, func(l *lead.Lead) {
			l.Status, l.Closed, l.ClosedAt, l.Unreported, l.Callback = lead.StatusOpen, "", time.Time{}, false, nyTime(28, 9, 0)
		}, "", false},
		{"reopened and closed again: not the closing reported", nil, nil, func(l *lead.Lead) { l.ClosedAt = nyTime(27, 8, 30) }, "", true},
		{"changed between its read and its write", nil, func(lead.Lead) error { return lead.ErrChanged }, nil, "changed meanwhile", true},
		{"gone", func(string) error { return lead.ErrNotFound }, nil, nil, "changed meanwhile", true},
		{"the store fails", func(string) error { return errors.New("connection reset") }, nil, nil, `"level":"ERROR"`, true},
		{"the write fails", nil, func(lead.Lead) error { return errors.New("throttled") }, nil, `"level":"ERROR"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			l := f.add(t, eight(27), unreachable(100*time.Hour, nyTime(26, 17, 0)))
			f.faults.get, f.faults.progress = tt.get, tt.progress
			if tt.change != nil {
				f.faults.get = func(id string) error {
					f.faults.get = nil
					cur, _ := f.store.Get(context.Background(), id, eight(27))
					tt.change(&cur)
					_, err := f.store.Progress(context.Background(), cur, eight(27))
					return err
				}
			}
			if err := f.run(t, eight(27)); err != nil {
				t.Fatalf("the run failed: %v", err)
			}
			if n := len(f.out.Sent()); n != 1 {
				t.Fatalf("%d digests, want 1", n)
			}
			if !strings.Contains(f.logs.String(), tt.wantLog) || !strings.Contains(f.logs.String(), `"cleared":0`) {
				t.Errorf("logs lack %q and a count of none cleared:\n%s", tt.wantLog, f.logs)
			}
			f.faults.get, f.faults.progress = nil, nil
			if got, err := f.store.Get(context.Background(), l.ID, eight(27)); err != nil || got.Unreported != tt.reported {
				t.Errorf("the lead: %v, unreported %v, want %v", err, got.Unreported, tt.reported)
			}
			if err := f.run(t, eight(27)); err != nil || len(f.out.Sent()) != 1 {
				t.Errorf("a second run the same day: %v, %d digests", err, len(f.out.Sent()))
			}
		})
	}
}

func TestAFailedSendReleasesTheRunAndClearsNothing(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, eight(27), untried(7*24*time.Hour))
	l := f.add(t, eight(27), unreachable(100*time.Hour, nyTime(26, 17, 0)))
	f.out.Fail = func(sesmail.Message) bool { return true }
	if err := f.run(t, eight(27)); err == nil {
		t.Fatal("a failed send did not fail the run (the scheduler would not retry it)")
	}
	if got, _ := f.store.Get(context.Background(), l.ID, eight(27)); !got.Unreported {
		t.Fatal("a lead was recorded as reported by a digest that never went out")
	}
	f.out.Fail = nil
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d digests after the retry, want 1", len(sent))
	}
	if diff := cmp.Diff(sections(sent[0].Text), map[string][]string{overdue: {"Patient0"}, closedUnr: {"Patient1"}}); diff != "" {
		t.Errorf("the retry lists (-got +want):\n%s", diff)
	}
	if got, _ := f.store.Get(context.Background(), l.ID, eight(27)); got.Unreported {
		t.Error("the retry's digest did not record the lead as reported")
	}
}

func TestMaxListedPerSection(t *testing.T) {
	f := newFixture(t, nil)
	run := eight(27)
	extra := map[string]int{overdue: 3, notTried: 7, dueToday: 2, closedUnr: 1}
	var oldest []string // the overdue section's first names, oldest first
	for i := range MaxListed + extra[notTried] {
		f.add(t, run, untried(30*time.Hour+time.Duration(i)*time.Minute))
	}
	// Overdue leads from both queries, interleaved by age.
	for i := range MaxListed + extra[overdue] {
		s := untried(200*time.Hour - time.Duration(i)*time.Hour)
		if i%2 == 1 {
			s = due(200*time.Hour-time.Duration(i)*time.Hour, nyTime(27, 17, 0).Add(-time.Duration(i)*time.Minute))
		}
		l := f.add(t, run, s)
		if i < MaxListed {
			oldest = append(oldest, l.FirstName())
		}
	}
	for i := range MaxListed + extra[dueToday] {
		f.add(t, run, due(30*time.Hour, nyTime(27, 9, 0).Add(time.Duration(i)*time.Minute)))
	}
	for i := range MaxListed + extra[closedUnr] {
		f.add(t, run, unreachable(100*time.Hour, nyTime(26, 9, 0).Add(time.Duration(i)*time.Minute)))
	}
	if err := f.run(t, run); err != nil {
		t.Fatal(err)
	}
	m := f.out.Sent()[0]
	got := sections(m.Text)
	for _, s := range []string{overdue, notTried, dueToday, closedUnr} {
		if len(got[s]) != MaxListed {
			t.Errorf("%s: %d listed, want %d", s, len(got[s]), MaxListed)
		}
	}
	if diff := cmp.Diff(got[overdue], oldest); diff != "" {
		t.Errorf("overdue lists (-got +want) rather than the oldest requests:\n%s", diff)
	}
	for _, want := range []string{"...and 3 more overdue.", "...and 7 more not tried yet.", "...and 2 more call-backs due today.",
		"...and 1 more, listed in the next digests."} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	total := 3*MaxListed + extra[overdue] + extra[notTried] + extra[dueToday]
	if !strings.HasPrefix(m.Subject, fmt.Sprint(total, " appointment requests to follow up: ", total, " to call (")) {
		t.Errorf("subject %q does not count %d", m.Subject, total)
	}
	// Only the listed unreachable leads were reported: the next digest lists the last one.
	if err := f.run(t, eight(28)); err != nil {
		t.Fatal(err)
	}
	next := sections(f.out.Sent()[1].Text)[closedUnr]
	if want := []string{fmt.Sprint("Patient", len(f.store.Leads())-1)}; !cmp.Equal(next, want) {
		t.Errorf("the next digest reports %v as unreachable, want %v", next, want)
	}
}

func TestTimeFromTheEventElseTheClock(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, f.now, untried(25*time.Hour))
	if err := f.h.Handle(context.Background(), Event{}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Fatalf("%d digests with no event time, want 1 (by now)", n)
	}
	if err := f.h.Handle(context.Background(), Event{Time: "yesterday"}); err == nil {
		t.Error("a malformed time was accepted")
	}
	// The event's time, not now, decides who is listed: at 8:00:00 the
	// lead is 2 seconds short of FOLLOW_UP_AFTER (by now, 3 past it).
	f2 := newFixture(t, nil)
	f2.add(t, f2.now, untried(24*time.Hour+3*time.Second))
	if err := f2.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	if n := len(f2.out.Sent()); n != 0 {
		t.Errorf("%d digests; at the event's time the lead was not 24 hours old", n)
	}
}

func TestStoreDownFailsTheRun(t *testing.T) {
	f := newFixture(t, nil)
	f.store.Err = errors.New("connection refused")
	if err := f.run(t, eight(27)); err == nil {
		t.Error("the run succeeded with the store down")
	}
}

// The digest is the safety net for leads nobody reached: a failed read of
// yesterday's figures costs its headline, never the digest.
func TestHeadlineNeverStopsTheDigest(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, eight(27), untried(30*time.Hour))
	f.faults.requested = errors.New("throttled")
	if err := f.run(t, eight(27)); err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d digests, want 1", len(sent))
	}
	if got := sections(sent[0].Text)[notTried]; len(got) != 1 || strings.Contains(sent[0].Text, "Yesterday:") {
		t.Errorf("digest without its headline should still list the lead not tried (%v), and no headline:\n%s", got, sent[0].Text)
	}
	if !strings.Contains(f.logs.String(), "digest sent without its headline") {
		t.Errorf("the failure is not logged:\n%s", f.logs)
	}
}
