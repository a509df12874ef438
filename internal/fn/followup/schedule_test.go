package followup

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// openingHours gives the clinic OPENING_HOURS s and FOLLOW_UP_HOUR hour.
func openingHours(s string, hour int) func(*config.FollowUp) {
	return func(c *config.FollowUp) {
		h, err := hours.Parse(s, newYork)
		if err != nil {
			panic(err)
		}
		c.Report.Hours, c.Hour = h, hour
	}
}

// hourly runs the follow-up as the hourly schedule fires it, at every hour
// of the clinic's day from, and returns each run's outcome by its local
// hour. The store fails every read, except in the hours of want: a run
// that is not the digest's must return before reading the table.
func (f *fixture) hourly(t *testing.T, from time.Time, want ...int) map[int]Outcome {
	t.Helper()
	out := map[int]Outcome{}
	y, m, d := from.Date()
	for h := range 24 {
		at := time.Date(y, m, d, h, 0, 0, 0, newYork)
		f.store.Err = errors.New("the table was read")
		for _, w := range want {
			if w == h {
				f.store.Err = nil
			}
		}
		o, err := f.h.Run(context.Background(), Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)})
		if err != nil {
			t.Fatalf("the %02d:00 run: %v", h, err)
		}
		out[h] = o
	}
	f.store.Err = nil
	return out
}

// sentAt lists the local hours whose runs sent a digest.
func sentAt(runs map[int]Outcome) []int {
	var hours []int
	for h := range 24 {
		if runs[h].MessageID != "" {
			hours = append(hours, h)
		}
	}
	return hours
}

// TestDigestOnlyInItsHour: the schedule fires every hour; on an opening
// day only the run in the hour from the first opening, or FOLLOW_UP_HOUR
// if later, sends the digest, and every other run ends without reading the
// table, saying why.
func TestDigestOnlyInItsHour(t *testing.T) {
	tests := []struct {
		name   string
		hours  string
		hour   int
		wantAt int       // the run that sends
		digest time.Time // the day's digest time
	}{
		{"opening at FOLLOW_UP_HOUR", hours.Default, 8, 8, nyTime(27, 8, 0)},
		{"FOLLOW_UP_HOUR later than the opening", hours.Default, 10, 10, nyTime(27, 10, 0)},
		{"the opening later than FOLLOW_UP_HOUR", "Mon-Fri 09:00-18:00", 7, 9, nyTime(27, 9, 0)},
		{"an opening on the half hour: the run in the hour after it", "Fri 09:30-13:00", 8, 10, nyTime(27, 9, 30)},
		{"the earliest of the day's windows", "Fri 13:00-17:00,Fri 07:00-11:00", 6, 7, nyTime(27, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, openingHours(tt.hours, tt.hour))
			f.add(t, eight(27), untried(30*time.Hour))
			runs := f.hourly(t, eight(27), tt.wantAt)
			if diff := cmp.Diff(sentAt(runs), []int{tt.wantAt}); diff != "" {
				t.Errorf("hours whose run sent a digest (-got +want):\n%s", diff)
			}
			for h, o := range runs {
				if h != tt.wantAt && (o.Skipped != NotDigestHour || o.Total != 0 || !o.DigestAt.Equal(tt.digest)) {
					t.Errorf("the %02d:00 run: %+v, want skipped as not the digest's hour (%v)", h, o, tt.digest)
				}
			}
			if n := len(f.out.Sent()); n != 1 {
				t.Errorf("%d emails on one day", n)
			}
		})
	}
}

// TestNoDigestOnAClosedDay: on a day the clinic does not open, no run
// reads the table or sends a digest, whatever waits.
func TestNoDigestOnAClosedDay(t *testing.T) {
	f := newFixture(t, openingHours(hours.Default, 8))
	f.add(t, eight(28), untried(50*time.Hour))
	f.add(t, eight(28), unreachable(60*time.Hour, nyTime(27, 17, 0)))
	for _, day := range []time.Time{eight(28), eight(29)} { // Saturday, Sunday
		for h, o := range f.hourly(t, day) {
			if o.Skipped != ClosedDay || !o.DigestAt.IsZero() || o.Day != day.Format(time.DateOnly) {
				t.Errorf("%s %02d:00: %+v, want skipped as a closed day", day.Weekday(), h, o)
			}
		}
	}
	if n := len(f.out.Sent()); n != 0 {
		t.Errorf("%d digests over a closed weekend", n)
	}
	// Saturday opening hours of its own make Saturday a digest day.
	sat := newFixture(t, openingHours(hours.Default+",Sat 09:00-12:00", 8))
	sat.add(t, eight(28), untried(50*time.Hour))
	if diff := cmp.Diff(sentAt(sat.hourly(t, eight(28), 9)), []int{9}); diff != "" {
		t.Errorf("Saturday's digest (-got +want):\n%s", diff)
	}
}

// TestRetriesStayInTheDigestsHour: a retry carries its run's scheduled
// time, so it sends the digest however late it arrives, and only once.
func TestRetriesStayInTheDigestsHour(t *testing.T) {
	f := newFixture(t, openingHours(hours.Default, 8))
	f.add(t, eight(27), untried(30*time.Hour))
	f.out.Fail = func(sesmail.Message) bool { return true }
	f.now = eight(27).Add(5 * time.Second)
	if err := f.run(t, eight(27)); err == nil {
		t.Fatal("a failed send did not fail the run (Lambda would not retry it)")
	}
	// Lambda's retries come minutes later; the clock says 9:40.
	f.out.Fail = nil
	f.now = nyTime(27, 9, 40)
	for range 2 {
		if err := f.run(t, eight(27)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Errorf("%d digests after the retries, want 1", n)
	}
	// The 9:00 run that fired meanwhile is not the digest's.
	if o, err := f.h.Run(context.Background(), Event{Time: nyTime(27, 9, 0).UTC().Format(time.RFC3339)}); err != nil || o.Skipped != NotDigestHour {
		t.Errorf("the 9:00 run: %+v %v", o, err)
	}
}

// TestWeekendWaitsForMonday: a Mon-Fri clinic sends no digest on Saturday
// or Sunday; Monday's lists what waited since Friday's: requests from the
// weekend, call-backs that fell due on it, and closings not yet reported.
func TestWeekendWaitsForMonday(t *testing.T) {
	f := newFixture(t, openingHours(hours.Default, 8))
	friday, monday := eight(27), eight(30)
	f.add(t, friday, untried(30*time.Hour))
	if n := len(sentAt(f.hourly(t, friday, 8))); n != 1 {
		t.Fatalf("Friday: %d digests", n)
	}
	for _, s := range []seed{
		untried(monday.Sub(nyTime(27, 18, 30))),                                    // Friday evening
		untried(monday.Sub(nyTime(28, 10, 0))),                                     // Saturday morning
		untried(monday.Sub(nyTime(29, 7, 0))),                                      // Sunday, early
		due(60*time.Hour, nyTime(28, 9, 0)),                                        // a call-back due Saturday
		unreachable(100*time.Hour, nyTime(27, 17, 0)),                              // closed Friday, after the digest
		notReachedAgain(90*time.Hour, nyTime(28, 11, 0)),                           // closed Saturday
		{age: 20 * time.Hour, status: lead.StatusOpen, callback: nyTime(31, 9, 0)}, // due Tuesday
	} {
		f.add(t, monday, s)
	}
	for _, day := range []time.Time{eight(28), eight(29)} {
		if sent := sentAt(f.hourly(t, day)); len(sent) != 0 {
			t.Errorf("%s: digests at %v", day.Weekday(), sent)
		}
	}
	if diff := cmp.Diff(sentAt(f.hourly(t, monday, 8)), []int{8}); diff != "" {
		t.Fatalf("Monday's digest (-got +want):\n%s", diff)
	}
	sent := f.out.Sent()
	want := map[string][]string{
		overdue:   {"Patient0"},
		notTried:  {"Patient1", "Patient2", "Patient3"},
		dueToday:  {"Patient4"},
		closedUnr: {"Patient5"},
		closedNRA: {"Patient6"},
	}
	if diff := cmp.Diff(sections(sent[len(sent)-1].Text), want); diff != "" {
		t.Errorf("Monday's digest (-got +want):\n%s\n%s", diff, sent[len(sent)-1].Text)
	}
}

// TestNotReachedAgainReportedOnce: a lead closed as not reached again is
// reported by one digest, in its own section, then cleared.
func TestNotReachedAgainReportedOnce(t *testing.T) {
	f := newFixture(t, nil)
	l := f.add(t, eight(27), notReachedAgain(100*time.Hour, nyTime(26, 17, 0)))
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	m := f.out.Sent()[0]
	if diff := cmp.Diff(sections(m.Text), map[string][]string{closedNRA: {"Patient0"}}); diff != "" {
		t.Errorf("listed (-got +want):\n%s", diff)
	}
	if want := "1 appointment request closed as not reached again"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	got, err := f.store.Get(context.Background(), l.ID, eight(27))
	if err != nil || got.Unreported || got.Closed != lead.ClosedNotReachedAgain {
		t.Errorf("after the digest: %v, %s, unreported %v", err, got.Closed, got.Unreported)
	}
	if err := f.run(t, eight(28)); err != nil || len(f.out.Sent()) != 1 {
		t.Errorf("the next day: %v, %d digests, want none more", err, len(f.out.Sent()))
	}
}
