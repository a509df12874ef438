package lead

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/hours"
)

var newYork = func() *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return l
}()

// at is a time in the clinic's zone.
func at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, newYork)
}

// opening parses opening hours in New York.
func opening(s string) hours.Hours {
	h, err := hours.Parse(s, newYork)
	if err != nil {
		panic(err)
	}
	return h
}

// The clinic of these tests opens Mon-Fri 08:00-18:00 (hours.Default);
// 2026-11-24 is a Tuesday. Most tests walk the steps of a set policy (the
// 1.x default, 2h,1d,2d and 4 tries), whatever the default is now;
// TestTheDefaultCadence walks the default.
var (
	cadence = []time.Duration{2 * time.Hour, 24 * time.Hour, 48 * time.Hour}
	policy  = Policy{Cadence: cadence, MaxAttempts: 4, Hours: opening(hours.Default)}
)

func fresh() Lead {
	return New("l1", Request{Name: "Pat Smith", Phone: "+12025550143", PreferredContact: ByPhone}, at(11, 24, 8, 0), 365*24*time.Hour)
}

func try(o Outcome, when time.Time) Event {
	return Event{At: when, Outcome: o, Channel: ChannelCall, By: ByLink}
}

// state is what a test compares of a lead after its events.
type state struct {
	Status     Status
	Closed     Reason
	Tries      int
	Callback   time.Time
	Unreported bool
	Events     int
}

func stateOf(l Lead) state {
	return state{l.Status, l.Closed, l.Tries, l.Callback, l.Unreported, len(l.History)}
}

// TestTheDefaultCadence: 10 minutes, 1 hour, 4 hours of opening time, the
// next opening day, two opening days; the 6th try without reaching the
// patient closes the lead.
func TestTheDefaultCadence(t *testing.T) {
	l := fresh()
	p := Policy{Cadence: DefaultCadence, MaxAttempts: DefaultMaxAttempts, Hours: opening(hours.Default)}
	steps := []struct {
		name string
		e    Event
		want state
	}{
		{"no answer at 10:00: again 10 minutes later", try(NoAnswer, at(11, 24, 10, 0)), state{StatusOpen, "", 1, at(11, 24, 10, 10), false, 1}},
		{"a message left at 10:10: an hour later", try(LeftMessage, at(11, 24, 10, 10)), state{StatusOpen, "", 2, at(11, 24, 11, 10), false, 2}},
		{"no answer at 11:10: 4 hours later", try(NoAnswer, at(11, 24, 11, 10)), state{StatusOpen, "", 3, at(11, 24, 15, 10), false, 3}},
		{"no answer at 15:10: the next day's opening", try(NoAnswer, at(11, 24, 15, 10)), state{StatusOpen, "", 4, at(11, 25, 8, 0), false, 4}},
		{"no answer the next morning: two opening days later", try(NoAnswer, at(11, 25, 8, 5)), state{StatusOpen, "", 5, at(11, 27, 8, 0), false, 5}},
		{"the sixth try without reaching them: closed as unreachable", try(NoAnswer, at(11, 27, 9, 30)), state{StatusClosed, ClosedUnreachable, 6, time.Time{}, true, 6}},
	}
	for _, s := range steps {
		if err := l.Record(s.e, p); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(stateOf(l), s.want); diff != "" {
			t.Errorf("%s (-got +want):\n%s", s.name, diff)
		}
	}
	if !l.FirstAttempt.Equal(at(11, 24, 10, 0)) || !l.FirstReach.IsZero() {
		t.Errorf("first attempt %v, first reach %v", l.FirstAttempt, l.FirstReach)
	}
	if err := l.Record(try(Booked, at(11, 28, 9, 0)), p); !errors.Is(err, ErrClosed) {
		t.Errorf("an attempt on a closed lead: %v, want ErrClosed", err)
	}
}

func TestCallbacksFallInOpeningHours(t *testing.T) {
	weekdays := opening(hours.Default)
	utc := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, time.UTC)
	}
	oneDay := []time.Duration{24 * time.Hour}
	// 2026-12-05 is a Saturday; New York's clocks go forward on Sunday
	// 2026-03-08 at 02:00 (EST, UTC-5, becomes EDT, UTC-4).
	for _, tt := range []struct {
		name    string
		hours   hours.Hours
		tried   time.Time
		cadence []time.Duration
		tries   int
		pref    TimeSlot
		wantDue time.Time
	}{
		{"2 hours after 15:59 are within the day", weekdays, at(11, 24, 15, 59), cadence, 1, "", at(11, 24, 17, 59)},
		{"2 hours after 17:00: one that day, one after the next opening", weekdays, at(11, 24, 17, 0), cadence, 1, "", at(11, 25, 9, 0)},
		{"2 hours after 16:00 end at closing: the next opening", weekdays, at(11, 24, 16, 0), cadence, 1, "", at(11, 25, 8, 0)},
		{"2 hours after 06:00 count from the opening", weekdays, at(11, 24, 6, 0), cadence, 1, "", at(11, 24, 10, 0)},
		{"saturday 17:59, 2 hours: monday within hours, not sunday", weekdays, at(12, 5, 17, 59), cadence, 1, "", at(12, 7, 10, 0)},
		{"saturday 17:59, 2 hours, in the evening: monday 17:00", weekdays, at(12, 5, 17, 59), cadence, 1, Evening, at(12, 7, 17, 0)},
		{"in the morning, due in the afternoon: the next opening", weekdays, at(11, 24, 11, 0), cadence, 1, Morning, at(11, 25, 8, 0)},
		{"in the afternoon, due in it: stays", weekdays, at(11, 24, 12, 30), cadence, 1, Afternoon, at(11, 24, 14, 30)},
		{"in the afternoon, due in the morning: 12:00", weekdays, at(11, 24, 8, 0), cadence, 1, Afternoon, at(11, 24, 12, 0)},
		{"any time: no preference", weekdays, at(11, 24, 17, 0), cadence, 1, AnyTime, at(11, 25, 9, 0)},
		{"in the evening, never open then: the open time the step gave", opening("Mon-Fri 08:00-17:00"), at(11, 24, 10, 0), cadence, 1, Evening, at(11, 24, 12, 0)},
		{"a day from friday: monday's opening", weekdays, at(11, 27, 10, 0), cadence, 2, "", at(11, 30, 8, 0)},
		{"a day from friday, in the afternoon: monday 12:00", weekdays, at(11, 27, 10, 0), cadence, 2, Afternoon, at(11, 30, 12, 0)},
		{"whole days from late at night", weekdays, at(11, 24, 23, 59), oneDay, 1, "", at(11, 25, 8, 0)},
		{"the last step repeats", weekdays, at(11, 24, 10, 0), cadence, 7, "", at(11, 26, 8, 0)},
		{"no cadence: the default (an hour after the 2nd try)", weekdays, at(11, 24, 10, 0), nil, 2, "", at(11, 24, 11, 0)},
		{"open one day a week, 2 hours from thursday: wednesday within its hours", opening("Wed 10:00-14:00"), at(11, 26, 10, 0), cadence, 1, "", at(12, 2, 12, 0)},
		{"open one day a week, a day from thursday: wednesday's opening", opening("Wed 10:00-14:00"), at(11, 26, 10, 0), oneDay, 1, "", at(12, 2, 10, 0)},
		{"open one day a week, in the evening: within its hours", opening("Wed 10:00-14:00"), at(11, 26, 10, 0), cadence, 1, Evening, at(12, 2, 12, 0)},
		{"across the change to summer time: friday's last half hour, then monday in EDT", weekdays, at(3, 6, 17, 30), cadence, 1, "", utc(3, 9, 13, 30)},
		{"across the change to summer time: sunday's opening in EDT", opening("Mon-Sun 08:00-18:00"), at(3, 7, 10, 0), oneDay, 1, "", utc(3, 8, 12, 0)},
		{"across the change to summer time, in the evening: sunday 17:00 EDT", opening("Mon-Sun 08:00-20:00"), at(3, 7, 19, 0), cadence, 1, Evening, utc(3, 8, 21, 0)},
		{"zero hours: always open, in UTC", hours.Hours{}, utc(11, 24, 22, 0), cadence, 1, "", utc(11, 25, 0, 0)},
		{"zero hours, in the evening: 17:00 UTC", hours.Hours{}, utc(11, 24, 22, 0), cadence, 1, Evening, utc(11, 25, 17, 0)},
		{"zero hours, whole days: the same time of day", hours.Hours{}, utc(11, 24, 22, 0), oneDay, 1, "", utc(11, 25, 22, 0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Policy{Cadence: tt.cadence, Hours: tt.hours}.next(tt.tried, tt.tries, tt.pref)
			if !got.Equal(tt.wantDue) {
				t.Errorf("due %v, want %v", got.In(newYork), tt.wantDue.In(newYork))
			}
		})
	}
}

func TestTheCallbackFollowsThePreferredTime(t *testing.T) {
	l := New("l1", Request{Name: "Pat Smith", Phone: "+12025550143", PreferredContact: ByPhone, PreferredTime: Evening}, at(12, 5, 16, 0), 365*24*time.Hour)
	if err := l.Record(try(NoAnswer, at(12, 5, 17, 59)), policy); err != nil {
		t.Fatal(err)
	}
	if want := at(12, 7, 17, 0); !l.Callback.Equal(want) {
		t.Errorf("no answer saturday 17:59 for a patient who asked for the evening: call-back %v, want %v", l.Callback, want)
	}
	picked := at(12, 6, 9, 0)
	e := try(NoAnswer, at(12, 7, 17, 5))
	e.Callback = picked
	if err := l.Record(e, policy); err != nil {
		t.Fatal(err)
	}
	if !l.Callback.Equal(picked) {
		t.Errorf("a call-back staff picked (on a closed sunday morning): %v, want it as picked", l.Callback)
	}
}

func TestClosingOutcomes(t *testing.T) {
	for _, o := range []Outcome{Booked, NotInterested, WrongNumber} {
		l := fresh()
		if err := l.Record(try(o, at(11, 24, 10, 0)), policy); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stateOf(l), state{StatusClosed, Reason(o), 0, time.Time{}, false, 1}); diff != "" {
			t.Errorf("%s (-got +want):\n%s", o, diff)
		}
		if reached := !l.FirstReach.IsZero(); reached != (o != WrongNumber) {
			t.Errorf("%s: first reach %v", o, l.FirstReach)
		}
	}
}

func TestReachedIsNeverUnreachable(t *testing.T) {
	l := fresh()
	for i := range 6 {
		if err := l.Record(try(Reached, at(11, 24+i, 10, 0)), policy); err != nil {
			t.Fatal(err)
		}
	}
	if l.Status != StatusOpen || l.Tries != 0 || !l.FirstReach.Equal(at(11, 24, 10, 0)) {
		t.Errorf("after 6 reached: %+v", stateOf(l))
	}
}

func TestAPickedCallbackWins(t *testing.T) {
	l := fresh()
	tuesday := at(12, 1, 14, 0)
	e := try(LeftMessage, at(11, 24, 10, 0))
	e.Callback = tuesday
	if err := l.Record(e, policy); err != nil {
		t.Fatal(err)
	}
	if !l.Callback.Equal(tuesday) || !l.History[0].Callback.Equal(tuesday) {
		t.Errorf("callback %v", l.Callback)
	}
}

func TestMaxAttemptsIsTheClinics(t *testing.T) {
	l := fresh()
	p := policy
	p.MaxAttempts = 2
	for i, want := range []Status{StatusOpen, StatusClosed} {
		if err := l.Record(try(NoAnswer, at(11, 24+i, 10, 0)), p); err != nil {
			t.Fatal(err)
		}
		if l.Status != want {
			t.Fatalf("after %d: %s, want %s", i+1, l.Status, want)
		}
	}
	if l.Closed != ClosedUnreachable || !l.Unreported {
		t.Errorf("closed %q, unreported %v", l.Closed, l.Unreported)
	}
}

func TestCorrectTheLatestOutcome(t *testing.T) {
	t.Run("a message left, then they call back and book", func(t *testing.T) {
		l := fresh()
		l.Record(try(LeftMessage, at(11, 24, 10, 0)), policy)
		if err := l.Correct(Event{At: at(11, 24, 15, 0), Outcome: Booked, By: ByLink}, policy); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stateOf(l), state{StatusClosed, ClosedBooked, 0, time.Time{}, false, 2}); diff != "" {
			t.Errorf("(-got +want):\n%s", diff)
		}
		if !l.FirstReach.Equal(at(11, 24, 10, 0)) || l.LatestOutcome() != Booked {
			t.Errorf("first reach %v, latest %q", l.FirstReach, l.LatestOutcome())
		}
		if h := l.History; h[0].Kind != EventAttempt || h[0].Outcome != LeftMessage || h[1].Kind != EventCorrection || h[1].Outcome != Booked {
			t.Errorf("history rewritten: %+v", h)
		}
	})
	t.Run("booked by mistake: open again, its reach undone", func(t *testing.T) {
		l := fresh()
		l.Record(try(Booked, at(11, 24, 10, 0)), policy)
		if err := l.Correct(Event{At: at(11, 24, 10, 5), Outcome: NoAnswer, By: ByLink}, policy); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stateOf(l), state{StatusOpen, "", 1, at(11, 24, 12, 5), false, 2}); diff != "" {
			t.Errorf("(-got +want):\n%s", diff)
		}
		if !l.FirstReach.IsZero() {
			t.Errorf("first reach %v, want none", l.FirstReach)
		}
	})
	t.Run("the try that closed it as unreachable", func(t *testing.T) {
		l := fresh()
		p := policy
		p.MaxAttempts = 1
		l.Record(try(NoAnswer, at(11, 24, 10, 0)), p)
		l.Correct(Event{At: at(11, 24, 10, 5), Outcome: Reached, By: ByLink}, p)
		if l.Status != StatusOpen || l.Unreported || l.Tries != 0 {
			t.Errorf("%+v", stateOf(l))
		}
	})
	t.Run("nothing to correct", func(t *testing.T) {
		l := fresh()
		if err := l.Correct(Event{At: at(11, 24, 10, 0), Outcome: Booked}, policy); !errors.Is(err, ErrNothingToCorrect) {
			t.Errorf("got %v", err)
		}
	})
}

func TestReopen(t *testing.T) {
	l := fresh()
	if err := l.Reopen(Event{At: at(11, 24, 9, 0)}, policy); !errors.Is(err, ErrNotClosed) {
		t.Errorf("reopening a new lead: %v", err)
	}
	l.Record(try(NotInterested, at(11, 24, 10, 0)), policy)
	now := at(11, 26, 11, 0)
	if err := l.Reopen(Event{At: now, By: ByLink}, policy); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stateOf(l), state{StatusOpen, "", 0, now, false, 2}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	if err := l.Correct(Event{At: now, Outcome: Booked}, policy); !errors.Is(err, ErrNothingToCorrect) {
		t.Errorf("correcting across a reopening: %v", err)
	}
	if err := l.Record(try(NoAnswer, at(11, 26, 11, 5)), policy); err != nil || l.Tries != 1 {
		t.Errorf("an attempt after reopening: %v, tries %d", err, l.Tries)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	l := fresh()
	for i := range MaxHistory + 10 {
		if err := l.Record(try(Reached, at(11, 24, 9, 0).Add(time.Duration(i)*time.Minute)), policy); err != nil {
			t.Fatal(err)
		}
	}
	if len(l.History) != MaxHistory || l.Dropped != 10 || !l.History[0].At.Equal(at(11, 24, 9, 10)) {
		t.Errorf("%d kept, %d dropped, oldest %v", len(l.History), l.Dropped, l.History[0].At)
	}
}

func TestBadEvents(t *testing.T) {
	l := fresh()
	for _, e := range []Event{
		{At: at(11, 24, 10, 0), Outcome: "contacted", Channel: ChannelCall},
		{At: at(11, 24, 10, 0), Outcome: NoAnswer, Channel: "pigeon"},
		{At: at(11, 24, 10, 0), Outcome: NoAnswer},
	} {
		if err := l.Record(e, policy); !errors.Is(err, ErrBadEvent) {
			t.Errorf("%+v: %v", e, err)
		}
	}
	if len(l.History) != 0 || l.Status != StatusNew {
		t.Errorf("a refused event changed the lead: %+v", stateOf(l))
	}
}

func TestParseCadence(t *testing.T) {
	got, err := ParseCadence("2h, 1d,2d,90m")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []time.Duration{2 * time.Hour, 24 * time.Hour, 48 * time.Hour, 90 * time.Minute}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	for _, bad := range []string{"", "2h,", "x", "0h", "-1d", "1.5d", "2h,0"} {
		if _, err := ParseCadence(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestAttemptsCountEveryTry(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := Policy{MaxAttempts: 4}
	l := Lead{Status: StatusNew, CreatedAt: t0}
	for i, o := range []Outcome{NoAnswer, Reached, Booked} {
		if err := l.Record(Event{At: t0.Add(time.Duration(i+1) * time.Minute), Outcome: o, Channel: ChannelCall}, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.Attempts(); got != 3 {
		t.Fatalf("3 attempts, the last booked: Attempts = %d", got)
	}
	if err := l.Reopen(Event{At: t0.Add(time.Hour)}, p); err != nil {
		t.Fatal(err)
	}
	if got := l.Attempts(); got != 3 {
		t.Errorf("reopened: Attempts = %d, want the 3 made before", got)
	}
	l.Dropped = 2
	if got := l.Attempts(); got != 5 {
		t.Errorf("2 events dropped: Attempts = %d, want 5", got)
	}
}

func TestUnreachableMeansNeverReachedLately(t *testing.T) {
	l := fresh()
	day := func(i int) time.Time { return at(11, 24, 8, 0).AddDate(0, 0, i) } // Tue 24 to Thu 3 Dec, 08:00
	steps := []struct {
		o    Outcome
		when time.Time
		want state
	}{
		{NoAnswer, day(0), state{StatusOpen, "", 1, at(11, 24, 10, 0), false, 1}},
		{LeftMessage, day(1), state{StatusOpen, "", 2, at(11, 26, 8, 0), false, 2}},
		{Reached, day(2), state{StatusOpen, "", 0, at(11, 26, 10, 0), false, 3}},
		// The acceptance case: with MaxAttempts 4, no answer after reaching
		// them keeps the lead open with a call-back due.
		{NoAnswer, day(3), state{StatusOpen, "", 1, at(11, 27, 10, 0), false, 4}},
		{NoAnswer, day(6), state{StatusOpen, "", 2, at(12, 1, 8, 0), false, 5}},
		{NoAnswer, day(7), state{StatusOpen, "", 3, at(12, 3, 8, 0), false, 6}},
		{NoAnswer, day(9), state{StatusClosed, ClosedNotReachedAgain, 4, time.Time{}, true, 7}},
	}
	for i, s := range steps {
		if err := l.Record(try(s.o, s.when), policy); err != nil {
			t.Fatalf("try %d: %v", i+1, err)
		}
		if diff := cmp.Diff(stateOf(l), s.want); diff != "" {
			t.Errorf("try %d, %s (-got +want):\n%s", i+1, s.o, diff)
		}
	}
	if l.Attempts() != 7 {
		t.Errorf("Attempts = %d, want every try (7)", l.Attempts())
	}
}

func TestCorrectionsKeepTheCountSinceTheLastReach(t *testing.T) {
	t.Run("the reach undone: the tries before it count, closed as unreachable", func(t *testing.T) {
		l := fresh()
		for i, o := range []Outcome{NoAnswer, NoAnswer, NoAnswer, Reached} {
			l.Record(try(o, at(11, 24, 9+i, 0)), policy)
		}
		if err := l.Correct(Event{At: at(11, 24, 13, 0), Outcome: NoAnswer, By: ByLink}, policy); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stateOf(l), state{StatusClosed, ClosedUnreachable, 4, time.Time{}, true, 5}); diff != "" {
			t.Errorf("(-got +want):\n%s", diff)
		}
	})
	t.Run("the try that closed it as not reached again, corrected to reached", func(t *testing.T) {
		l := fresh()
		for i, o := range []Outcome{Reached, NoAnswer, NoAnswer, NoAnswer, NoAnswer} {
			l.Record(try(o, at(11, 24, 9+i, 0)), policy)
		}
		if l.Closed != ClosedNotReachedAgain || !l.Unreported {
			t.Fatalf("after reached and 4 no answers: %+v", stateOf(l))
		}
		if err := l.Correct(Event{At: at(11, 24, 14, 0), Outcome: Reached, By: ByLink}, policy); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stateOf(l), state{StatusOpen, "", 0, at(11, 24, 16, 0), false, 6}); diff != "" {
			t.Errorf("(-got +want):\n%s", diff)
		}
	})
	t.Run("corrected twice: from the count before the attempt", func(t *testing.T) {
		l := fresh()
		l.Record(try(NoAnswer, at(11, 24, 9, 0)), policy)
		l.Record(try(LeftMessage, at(11, 24, 10, 0)), policy)
		l.Correct(Event{At: at(11, 24, 10, 5), Outcome: Reached, By: ByLink}, policy)
		l.Correct(Event{At: at(11, 24, 10, 10), Outcome: NoAnswer, By: ByLink}, policy)
		if l.Tries != 2 || l.Status != StatusOpen {
			t.Errorf("%+v, want 2 tries, open", stateOf(l))
		}
	})
	t.Run("after a reopening, a patient reached before closes as not reached again", func(t *testing.T) {
		l := fresh()
		l.Record(try(Booked, at(11, 24, 9, 0)), policy)
		l.Reopen(Event{At: at(11, 24, 10, 0), By: ByLink}, policy)
		for i := range 4 {
			l.Record(try(NoAnswer, at(11, 25+i, 9, 0)), policy)
		}
		if l.Closed != ClosedNotReachedAgain || l.Tries != 4 {
			t.Errorf("%+v", stateOf(l))
		}
	})
}

// A lead written by 1.0.x counted a Reached try in Tries; its history
// says what the count is under the new rule.
func TestAnOldLeadFollowsTheNewCount(t *testing.T) {
	l := fresh()
	l.Status, l.Tries, l.FirstAttempt, l.FirstReach = StatusOpen, 3, at(11, 24, 9, 0), at(11, 24, 11, 0)
	l.History = []Event{
		{At: at(11, 24, 9, 0), Kind: EventAttempt, Outcome: NoAnswer, Channel: ChannelCall},
		{At: at(11, 24, 10, 0), Kind: EventAttempt, Outcome: LeftMessage, Channel: ChannelCall},
		{At: at(11, 24, 11, 0), Kind: EventAttempt, Outcome: Reached, Channel: ChannelCall},
	}
	if err := l.Record(try(NoAnswer, at(11, 24, 12, 0)), policy); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stateOf(l), state{StatusOpen, "", 1, at(11, 24, 14, 0), false, 4}); diff != "" {
		t.Errorf("1.0.x lead, its 4th try (-got +want):\n%s", diff)
	}
}

// A history cut at MaxHistory with no reach left in it: the stored count
// says where the kept events start from.
func TestACutHistoryKeepsCounting(t *testing.T) {
	l := fresh()
	p := policy
	p.MaxAttempts = 100
	for i := range MaxHistory + 10 {
		if err := l.Record(try(NoAnswer, at(11, 24, 8, 0).Add(time.Duration(i)*time.Minute)), p); err != nil {
			t.Fatal(err)
		}
	}
	if l.Dropped != 10 || l.Tries != MaxHistory+10 || l.Status != StatusOpen {
		t.Errorf("%d dropped, %d tries, %s; want 10, %d, open", l.Dropped, l.Tries, l.Status, MaxHistory+10)
	}
}

// TestCloseDuplicate: an older open request of a returning patient closes
// as a duplicate of the newer one, its history naming it; a closed one is
// left as it was, and a duplicate is reopened before it is corrected.
func TestCloseDuplicate(t *testing.T) {
	l := fresh()
	if err := l.Record(try(NoAnswer, at(11, 24, 9, 0)), policy); err != nil {
		t.Fatal(err)
	}
	first := l.FirstAttempt
	if err := l.CloseDuplicate("l2", "desk@clinic.example", at(11, 26, 10, 0)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stateOf(l), state{StatusClosed, ClosedDuplicate, 1, time.Time{}, false, 2}); diff != "" {
		t.Errorf("closed as a duplicate (-got +want):\n%s", diff)
	}
	want := Event{At: at(11, 26, 10, 0), Kind: EventDuplicate, By: "desk@clinic.example", Of: "l2"}
	if diff := cmp.Diff(l.History[len(l.History)-1], want); diff != "" {
		t.Errorf("history's last event (-got +want):\n%s", diff)
	}
	if !l.ClosedAt.Equal(at(11, 26, 10, 0)) || !l.FirstAttempt.Equal(first) || l.Attempts() != 1 {
		t.Errorf("closed at %v, first attempt %v, %d attempts", l.ClosedAt, l.FirstAttempt, l.Attempts())
	}
	if l.LatestOutcome() != "" {
		t.Errorf("a duplicate offers its earlier attempt's outcome (%s) for correction", l.LatestOutcome())
	}
	if err := l.Correct(try(Booked, at(11, 26, 11, 0)), policy); !errors.Is(err, ErrNothingToCorrect) {
		t.Errorf("correcting a duplicate: %v, want ErrNothingToCorrect", err)
	}

	before := l
	if err := l.CloseDuplicate("l3", "desk@clinic.example", at(11, 27, 10, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("closing a closed lead as a duplicate: %v, want ErrClosed", err)
	}
	if diff := cmp.Diff(l, before); diff != "" {
		t.Errorf("a refused close changed the lead (-got +want):\n%s", diff)
	}

	if err := l.Reopen(Event{At: at(11, 27, 9, 0)}, policy); err != nil {
		t.Fatal(err)
	}
	if l.Status != StatusOpen || l.Closed != "" || l.Tries != 0 {
		t.Errorf("reopened duplicate: %+v", stateOf(l))
	}

	n := fresh()
	for _, of := range []string{"", n.ID} {
		if err := n.CloseDuplicate(of, ByLink, at(11, 24, 9, 0)); !errors.Is(err, ErrBadEvent) {
			t.Errorf("a duplicate of %q: %v, want ErrBadEvent", of, err)
		}
	}
	if err := n.CloseDuplicate("l2", ByLink, at(11, 24, 9, 0)); err != nil || n.Status != StatusClosed || n.Closed != ClosedDuplicate || !n.FirstAttempt.IsZero() {
		t.Errorf("a new lead closed as a duplicate: %v, %+v, first attempt %v", err, stateOf(n), n.FirstAttempt)
	}
}
