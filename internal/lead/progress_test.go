package lead

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

var policy = Policy{Cadence: DefaultCadence, MaxAttempts: DefaultMaxAttempts, Zone: newYork}

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

func TestTheDefaultCadence(t *testing.T) {
	l := fresh()
	steps := []struct {
		name string
		e    Event
		want state
	}{
		{"no answer at 10:00: again 2 hours later", try(NoAnswer, at(11, 24, 10, 0)), state{StatusOpen, "", 1, at(11, 24, 12, 0), false, 1}},
		{"a message left at 12:10: the next morning", try(LeftMessage, at(11, 24, 12, 10)), state{StatusOpen, "", 2, at(11, 25, 9, 0), false, 2}},
		{"no answer the next morning: two days later", try(NoAnswer, at(11, 25, 9, 5)), state{StatusOpen, "", 3, at(11, 27, 9, 0), false, 3}},
		{"the fourth try without reaching them: closed as unreachable", try(NoAnswer, at(11, 27, 9, 30)), state{StatusClosed, ClosedUnreachable, 4, time.Time{}, true, 4}},
	}
	for _, s := range steps {
		if err := l.Record(s.e, policy); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(stateOf(l), s.want); diff != "" {
			t.Errorf("%s (-got +want):\n%s", s.name, diff)
		}
	}
	if !l.FirstAttempt.Equal(at(11, 24, 10, 0)) || !l.FirstReach.IsZero() {
		t.Errorf("first attempt %v, first reach %v", l.FirstAttempt, l.FirstReach)
	}
	if err := l.Record(try(Booked, at(11, 28, 9, 0)), policy); !errors.Is(err, ErrClosed) {
		t.Errorf("an attempt on a closed lead: %v, want ErrClosed", err)
	}
}

func TestCallbacksStayWithinTheClinicsDay(t *testing.T) {
	for _, tt := range []struct {
		name     string
		tried    time.Time
		cadence  []time.Duration
		tries    int
		wantDue  time.Time
		location *time.Location
	}{
		{"2 hours after 17:00 is past the day: the next morning", at(11, 24, 17, 0), DefaultCadence, 1, at(11, 25, 9, 0), newYork},
		{"2 hours after 15:59 is within it", at(11, 24, 15, 59), DefaultCadence, 1, at(11, 24, 17, 59), newYork},
		{"2 hours after 16:00 is its end: the next morning", at(11, 24, 16, 0), DefaultCadence, 1, at(11, 25, 9, 0), newYork},
		{"2 hours after 06:00 is before it opens: that morning", at(11, 24, 6, 0), DefaultCadence, 1, at(11, 24, 9, 0), newYork},
		{"2 hours after 23:30 is the next day: its morning", at(11, 24, 23, 30), DefaultCadence, 1, at(11, 25, 9, 0), newYork},
		{"the last step repeats", at(11, 24, 10, 0), DefaultCadence, 7, at(11, 26, 9, 0), newYork},
		{"the next morning across the change to summer time", time.Date(2026, 3, 7, 17, 30, 0, 0, newYork), DefaultCadence, 1, time.Date(2026, 3, 8, 9, 0, 0, 0, newYork), newYork},
		{"whole days from late at night", at(11, 24, 23, 59), []time.Duration{24 * time.Hour}, 1, at(11, 25, 9, 0), newYork},
		{"no zone: UTC", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), DefaultCadence, 1, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), nil},
		{"no cadence: the default", at(11, 24, 10, 0), nil, 2, at(11, 25, 9, 0), newYork},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Policy{Cadence: tt.cadence, Zone: tt.location}.next(tt.tried, tt.tries)
			if !got.Equal(tt.wantDue) {
				t.Errorf("due %v, want %v", got, tt.wantDue)
			}
		})
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
	if l.Status != StatusOpen || l.Tries != 6 || !l.FirstReach.Equal(at(11, 24, 10, 0)) {
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
		if l.Status != StatusOpen || l.Unreported || l.Tries != 1 {
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
