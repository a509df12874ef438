package followup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/outbox"
	"github.com/openclinic/leadhandler/internal/sesmail"
	"github.com/openclinic/leadhandler/internal/storetest"
)

var newYork, _ = time.LoadLocation("America/New_York")

func testConfig() config.FollowUp {
	return config.FollowUp{
		Mail: config.Mail{
			Table: "leads", ClinicName: "Relief Physical Therapy",
			ClinicEmails: []string{"frontdesk@example-clinic.com"}, SenderEmail: "alerts@example-clinic.com",
			TimeZone: newYork, PublicBaseURL: "https://api.example-clinic.com", LinkTTL: 14 * 24 * time.Hour,
		},
		After:         24 * time.Hour,
		EscalateAfter: 72 * time.Hour,
	}
}

type fixture struct {
	h     *Handler
	store *storetest.MemStore
	out   *outbox.Outbox
	logs  *bytes.Buffer
	now   time.Time
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
	f.now = time.Date(2026, 11, 27, 13, 0, 5, 0, time.UTC)
	f.h = New(cfg, f.store, sesmail.New(f.out), signer, slog.New(slog.NewJSONHandler(f.logs, nil)), func() time.Time { return f.now })
	t.Cleanup(func() {
		for _, l := range f.store.Leads() {
			for _, p := range []string{l.Name, l.Email, l.Phone} {
				if p != "" && strings.Contains(f.logs.String(), p) {
					t.Errorf("personal data %q in the logs:\n%s", p, f.logs)
				}
			}
		}
	})
	return f
}

// add stores a lead created at created, named after its index.
func (f *fixture) add(t *testing.T, created time.Time) lead.Lead {
	t.Helper()
	l := storetest.Lead(created)
	l.Name = fmt.Sprintf("Patient%d Smith", len(f.store.Leads()))
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fixture) run(t *testing.T, at time.Time) error {
	t.Helper()
	return f.h.Handle(context.Background(), Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)})
}

// listed is the first names a digest lists, in order.
func listed(m outbox.Sent) []string {
	var out []string
	for _, line := range strings.Split(m.Text, "\n") {
		line = strings.TrimPrefix(line, "OVERDUE: ")
		if name, _, ok := strings.Cut(line, ", waiting "); ok {
			out = append(out, name)
		}
	}
	return out
}

// eight is 8:00 in New York on the given November 2026 day, as the schedule
// fires it.
func eight(day int) time.Time { return time.Date(2026, 11, day, 8, 0, 0, 0, newYork) }

func TestWhoIsListed(t *testing.T) {
	run := eight(27)
	tests := []struct {
		name  string
		ages  []time.Duration
		want  []string // first names listed, oldest first
		total int
	}{
		{"nothing pending", nil, nil, 0},
		{"only a fresh lead", []time.Duration{2 * time.Hour}, nil, 0},
		{"exactly FOLLOW_UP_AFTER is not yet overdue", []time.Duration{24 * time.Hour}, nil, 0},
		{"a second past FOLLOW_UP_AFTER is", []time.Duration{24*time.Hour + time.Second}, []string{"Patient0"}, 1},
		{"many, oldest first", []time.Duration{30 * time.Hour, 100 * time.Hour, 2 * time.Hour, 50 * time.Hour},
			[]string{"Patient1", "Patient3", "Patient0"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			for _, age := range tt.ages {
				f.add(t, run.Add(-age))
			}
			if err := f.run(t, run); err != nil {
				t.Fatal(err)
			}
			sent := f.out.Sent()
			if tt.total == 0 {
				if len(sent) != 0 {
					t.Errorf("%d emails, want none", len(sent))
				}
				return
			}
			if len(sent) != 1 {
				t.Fatalf("%d emails, want one digest", len(sent))
			}
			if diff := cmp.Diff(listed(sent[0]), tt.want); diff != "" {
				t.Errorf("listed (-got +want):\n%s", diff)
			}
			if !strings.HasPrefix(sent[0].Subject, fmt.Sprint(tt.total)) {
				t.Errorf("subject %q does not start with the count %d", sent[0].Subject, tt.total)
			}
		})
	}
}

func TestMorePendingThanTheCap(t *testing.T) {
	f := newFixture(t, nil)
	run := eight(27)
	for i := range MaxListed + 7 {
		f.add(t, run.Add(-30*time.Hour-time.Duration(i)*time.Minute))
	}
	if err := f.run(t, run); err != nil {
		t.Fatal(err)
	}
	m := f.out.Sent()[0]
	got := listed(m)
	if len(got) != MaxListed || got[0] != fmt.Sprint("Patient", MaxListed+6) {
		t.Errorf("listed %d starting with %v, want %d starting with the oldest", len(got), got[:1], MaxListed)
	}
	if !strings.Contains(m.Text, "...and 7 more waiting.") || !strings.HasPrefix(m.Subject, fmt.Sprint(MaxListed+7, " ")) {
		t.Errorf("subject %q; text lacks \"and 7 more\"", m.Subject)
	}
}

func TestOneDigestPerClinicDay(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, eight(20))
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	// A retry of the same run, and a second firing that day: nothing new.
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	if err := f.run(t, eight(27).Add(9*time.Hour)); err != nil {
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
	f.add(t, before.Add(-30*time.Hour))
	f.add(t, before) // overdue at the second run only because that day had 25 hours
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
	if diff := cmp.Diff([][]string{listed(sent[0]), listed(sent[1])}, [][]string{{"Patient0"}, {"Patient0", "Patient1"}}); diff != "" {
		t.Errorf("listed (-got +want):\n%s", diff)
	}
	// 23:30 on 31 October in New York is already 1 November in UTC: still the 31st's run.
	f2 := newFixture(t, nil)
	f2.add(t, before.Add(-30*time.Hour))
	f2.run(t, before)
	f2.run(t, time.Date(2026, 10, 31, 23, 30, 0, 0, newYork))
	if n := len(f2.out.Sent()); n != 1 {
		t.Errorf("%d digests on the clinic's 31 October, want 1", n)
	}
}

func TestEscalation(t *testing.T) {
	run := eight(27)
	tests := []struct {
		name       string
		escalation []string
		ages       []time.Duration
		wantTo     []string
		overdue    int
	}{
		{"none overdue", []string{"owner@example-clinic.com"}, []time.Duration{30 * time.Hour}, []string{"frontdesk@example-clinic.com"}, 0},
		{"exactly ESCALATE_AFTER is not overdue", []string{"owner@example-clinic.com"}, []time.Duration{72 * time.Hour}, []string{"frontdesk@example-clinic.com"}, 0},
		{"overdue goes to ESCALATION_EMAIL too", []string{"owner@example-clinic.com"}, []time.Duration{30 * time.Hour, 73 * time.Hour},
			[]string{"frontdesk@example-clinic.com", "owner@example-clinic.com"}, 1},
		{"overdue, no ESCALATION_EMAIL", nil, []time.Duration{100 * time.Hour}, []string{"frontdesk@example-clinic.com"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.FollowUp) { c.EscalationEmails = tt.escalation })
			for _, age := range tt.ages {
				f.add(t, run.Add(-age))
			}
			if err := f.run(t, run); err != nil {
				t.Fatal(err)
			}
			m := f.out.Sent()[0]
			if diff := cmp.Diff(m.To, tt.wantTo); diff != "" {
				t.Errorf("To (-got +want):\n%s", diff)
			}
			if got := strings.Count(m.Text, "OVERDUE: "); got != tt.overdue {
				t.Errorf("%d overdue marks, want %d", got, tt.overdue)
			}
		})
	}
}

func TestAFailedSendIsRetried(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, eight(20))
	f.out.Fail = func(sesmail.Message) bool { return true }
	if err := f.run(t, eight(27)); err == nil {
		t.Fatal("a failed send did not fail the run (the scheduler would not retry it)")
	}
	f.out.Fail = nil
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Errorf("%d digests after the retry, want 1", n)
	}
}

func TestTimeFromTheEventElseTheClock(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, f.now.Add(-25*time.Hour))
	if err := f.h.Handle(context.Background(), Event{}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Fatalf("%d digests with no event time, want 1 (by now)", n)
	}
	if err := f.h.Handle(context.Background(), Event{Time: "yesterday"}); err == nil {
		t.Error("a malformed time was accepted")
	}
	// The event's time, not now, decides who is overdue.
	f2 := newFixture(t, nil)
	f2.add(t, f2.now.Add(-25*time.Hour))
	if err := f2.run(t, f2.now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(f2.out.Sent()); n != 0 {
		t.Errorf("%d digests; at the event's time the lead was 23 hours old", n)
	}
}

func TestStoreDownFailsTheRun(t *testing.T) {
	f := newFixture(t, nil)
	f.store.Err = errors.New("connection refused")
	if err := f.run(t, eight(27)); err == nil {
		t.Error("the run succeeded with the store down")
	}
}
