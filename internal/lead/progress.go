package lead

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The call-back loop: a lead is new until staff first try to reach the
// patient, open while a call-back is due, and closed with a reason. Every
// try, correction and reopening is an Event in the lead's History; the
// fields derived from them (status, call-back, figures) are kept beside it,
// so no reader has to replay the history.

// Outcome is what came of one attempt to reach the patient. Its values are
// the staff form's `outcome` field.
type Outcome string

const (
	Booked        Outcome = "booked"
	Reached       Outcome = "reached" // spoke with them, not booked yet
	LeftMessage   Outcome = "left-message"
	NoAnswer      Outcome = "no-answer"
	NotInterested Outcome = "not-interested"
	WrongNumber   Outcome = "wrong-number"
)

// Outcomes lists every outcome, in the order staff are offered them.
var Outcomes = []Outcome{NoAnswer, LeftMessage, Reached, Booked, NotInterested, WrongNumber}

// Closes reports whether o closes the lead: booked, not interested, or a
// wrong number. The others keep it open with a call-back due.
func (o Outcome) Closes() bool {
	return o == Booked || o == NotInterested || o == WrongNumber
}

// Reaches reports whether o means the clinic spoke with the patient: the
// clinic's "first reach" figure counts from the first such attempt.
func (o Outcome) Reaches() bool {
	return o == Booked || o == Reached || o == NotInterested
}

// Reason says why a lead was closed.
type Reason string

const (
	ClosedBooked        = Reason(Booked)
	ClosedNotInterested = Reason(NotInterested)
	ClosedWrongNumber   = Reason(WrongNumber)
	// ClosedUnreachable: MaxAttempts tries without reaching the patient.
	ClosedUnreachable Reason = "unreachable"
	// ClosedNotReachedAgain: the patient was reached once, then MaxAttempts
	// further tries did not reach them again.
	ClosedNotReachedAgain Reason = "not-reached-again"
)

// Channel is how staff tried to reach the patient.
type Channel string

const (
	ChannelCall  Channel = "call"
	ChannelText  Channel = "text"
	ChannelEmail Channel = "email"
)

// Channels lists every channel, in the order staff are offered them.
var Channels = []Channel{ChannelCall, ChannelText, ChannelEmail}

// EventKind says what an event of the history records.
type EventKind string

const (
	EventAttempt    EventKind = "attempt"
	EventCorrection EventKind = "correction" // of the latest attempt's outcome
	EventReopen     EventKind = "reopen"
)

// ByLink is who acted when the staff page was opened from an emailed link
// (rather than by a signed-in staff member).
const ByLink = "link"

// Event is one entry of a lead's history, which is only ever appended to.
type Event struct {
	At      time.Time
	Kind    EventKind
	Outcome Outcome // of an attempt, or the corrected one
	Channel Channel // of an attempt
	Note    string
	By      string
	// Callback is the call-back time staff picked, if they did.
	Callback time.Time
}

// MaxHistory bounds the history kept on a lead: older events are dropped
// and counted in Lead.Dropped.
const MaxHistory = 50

// Policy is the clinic's call-back rhythm.
type Policy struct {
	// Cadence is how long after the 1st, 2nd, ... open outcome the next
	// call-back is due; the last step repeats. A step under a day lands
	// within the clinic's day (else the next morning); a step of whole days
	// lands that many days later, in the morning.
	Cadence []time.Duration
	// MaxAttempts open outcomes without reaching the patient close the lead
	// as unreachable.
	MaxAttempts int
	// Zone is the clinic's time zone: its day and its mornings.
	Zone *time.Location
}

// The default policy: 2 hours later within the day, then the next
// morning, then two days later; closed as unreachable after 4 tries.
var (
	DefaultCadence     = []time.Duration{2 * time.Hour, 24 * time.Hour, 48 * time.Hour}
	DefaultMaxAttempts = 4
)

// The clinic's day, in its time zone: a call-back is never due outside it.
const (
	MorningHour = 9
	EveningHour = 18
)

// ParseCadence reads a cadence such as "2h,1d,2d" (Go durations, plus d for
// days).
func ParseCadence(v string) ([]time.Duration, error) {
	var out []time.Duration
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		var d time.Duration
		var err error
		if n, ok := strings.CutSuffix(s, "d"); ok {
			var days int
			days, err = strconv.Atoi(n)
			d = time.Duration(days) * 24 * time.Hour
		} else {
			d, err = time.ParseDuration(s)
		}
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("want positive durations such as 2h,1d,2d, got %q", s)
		}
		out = append(out, d)
	}
	return out, nil
}

// Errors of the call-back loop.
var (
	// ErrClosed: an attempt on a closed lead (reopen it first).
	ErrClosed = errors.New("lead is closed")
	// ErrNotClosed: reopening a lead that is not closed.
	ErrNotClosed = errors.New("lead is not closed")
	// ErrNothingToCorrect: a correction with no attempt to correct.
	ErrNothingToCorrect = errors.New("no attempt to correct")
	// ErrChanged: the lead changed since it was read (another attempt was
	// recorded meanwhile, or the same form was sent twice).
	ErrChanged = errors.New("lead changed meanwhile")
	// ErrBadEvent: an outcome or channel that is not one of the lists.
	ErrBadEvent = errors.New("unknown outcome or channel")
)

// Record adds an attempt e (its At, Outcome, Channel, Note, By and maybe a
// picked Callback) and moves the lead on: closed by a closing outcome or by
// the MaxAttempts-th try without reaching the patient, else open with the
// next call-back due.
func (l *Lead) Record(e Event, p Policy) error {
	if l.Status == StatusClosed {
		return ErrClosed
	}
	if !slices.Contains(Outcomes, e.Outcome) || !slices.Contains(Channels, e.Channel) {
		return ErrBadEvent
	}
	e.Kind = EventAttempt
	if l.FirstAttempt.IsZero() {
		l.FirstAttempt = e.At
	}
	l.settle(e.Outcome, e.At, e.At, e.Callback, p)
	l.push(e)
	return nil
}

// Correct changes the outcome of the latest attempt to e.Outcome (a patient
// who had a message left calls back and books), as if the attempt had gone
// that way; the correction is added to the history, which keeps the
// original.
func (l *Lead) Correct(e Event, p Policy) error {
	if !slices.Contains(Outcomes, e.Outcome) {
		return ErrBadEvent
	}
	prev, attemptAt, ok := l.latestOutcome()
	if !ok {
		return ErrNothingToCorrect
	}
	e.Kind, e.Channel = EventCorrection, ""
	if !prev.Closes() {
		l.Tries--
	}
	if prev.Reaches() && !e.Outcome.Reaches() && l.FirstReach.Equal(attemptAt) {
		l.FirstReach = time.Time{}
	}
	l.settle(e.Outcome, attemptAt, e.At, e.Callback, p)
	l.push(e)
	return nil
}

// Reopen opens a closed lead again, with a call-back due at once (or when
// staff picked), and its tries counted afresh.
func (l *Lead) Reopen(e Event, p Policy) error {
	if l.Status != StatusClosed {
		return ErrNotClosed
	}
	e.Kind, e.Outcome, e.Channel = EventReopen, "", ""
	l.Status, l.Closed, l.ClosedAt, l.Unreported, l.Tries = StatusOpen, "", time.Time{}, false, 0
	l.Callback = e.At
	if !e.Callback.IsZero() {
		l.Callback = e.Callback
	}
	l.push(e)
	return nil
}

// settle applies outcome o of an attempt made at attemptAt, decided at at.
func (l *Lead) settle(o Outcome, attemptAt, at, picked time.Time, p Policy) {
	if o.Reaches() && l.FirstReach.IsZero() {
		l.FirstReach = attemptAt
	}
	if o.Closes() {
		l.close(Reason(o), at)
		return
	}
	l.Tries++
	if l.Tries >= max(p.MaxAttempts, 1) && o != Reached {
		l.close(ClosedUnreachable, at)
		return
	}
	l.Status, l.Closed, l.ClosedAt, l.Unreported = StatusOpen, "", time.Time{}, false
	l.Callback = picked
	if picked.IsZero() {
		l.Callback = p.next(at, l.Tries)
	}
}

func (l *Lead) close(r Reason, at time.Time) {
	l.Status, l.Closed, l.ClosedAt, l.Callback = StatusClosed, r, at, time.Time{}
	// The next digest reports a lead nobody could reach, once.
	l.Unreported = r == ClosedUnreachable
}

// latestOutcome is the outcome of the latest attempt, as corrected since,
// and when that attempt was made; ok is false when there is none since the
// lead was last reopened.
func (l *Lead) latestOutcome() (o Outcome, attemptAt time.Time, ok bool) {
	for i := len(l.History) - 1; i >= 0; i-- {
		e := l.History[i]
		switch e.Kind {
		case EventReopen:
			return "", time.Time{}, false
		case EventCorrection:
			if o == "" {
				o = e.Outcome
			}
		case EventAttempt:
			if o == "" {
				o = e.Outcome
			}
			return o, e.At, true
		}
	}
	return "", time.Time{}, false
}

// LatestOutcome is the outcome staff would correct: the latest attempt's,
// as corrected since; empty when there is none to correct.
func (l Lead) LatestOutcome() Outcome {
	o, _, _ := l.latestOutcome()
	return o
}

// Attempts is how many tries staff recorded on the lead, whatever came of
// them and across reopenings: the one try count the inbox, the page and the
// digest show. Events dropped from a long history (Dropped) count as tries.
func (l Lead) Attempts() int {
	n := l.Dropped
	for _, e := range l.History {
		if e.Kind == EventAttempt {
			n++
		}
	}
	return n
}

func (l *Lead) push(e Event) {
	l.History = append(l.History, e)
	if n := len(l.History) - MaxHistory; n > 0 {
		l.History = slices.Clone(l.History[n:])
		l.Dropped += n
	}
}

// next is when the call-back after the tries-th open outcome, decided at
// at, is due.
func (p Policy) next(at time.Time, tries int) time.Time {
	cadence := p.Cadence
	if len(cadence) == 0 {
		cadence = DefaultCadence
	}
	zone := p.Zone
	if zone == nil {
		zone = time.UTC
	}
	d := cadence[min(max(tries, 1), len(cadence))-1]
	local := at.In(zone)
	morning := func(days int) time.Time {
		y, m, dd := local.Date()
		return time.Date(y, m, dd+days, MorningHour, 0, 0, 0, zone)
	}
	if d >= 24*time.Hour {
		return morning(int(d / (24 * time.Hour)))
	}
	due := local.Add(d)
	switch {
	case due.Before(morning(0)):
		return morning(0)
	case due.YearDay() != local.YearDay() || due.Hour() >= EveningHour:
		return morning(1)
	}
	return due
}
