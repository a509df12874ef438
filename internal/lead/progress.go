package lead

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/hours"
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
	// ClosedUnreachable: MaxAttempts tries, and the patient never reached.
	ClosedUnreachable Reason = "unreachable"
	// ClosedNotReachedAgain: the patient was reached once, then MaxAttempts
	// further tries did not reach them again.
	ClosedNotReachedAgain Reason = "not-reached-again"
	// ClosedDuplicate: an older open request of a patient whose newer
	// request staff are working on (internal/patient); counted apart in
	// the figures.
	ClosedDuplicate Reason = "duplicate"
)

// Reasons lists every close reason.
var Reasons = []Reason{ClosedBooked, ClosedNotInterested, ClosedWrongNumber, ClosedUnreachable, ClosedNotReachedAgain, ClosedDuplicate}

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
	// EventDuplicate: the lead was closed as a duplicate of the same
	// patient's newer request (Event.Of), when staff recorded an attempt
	// on that one (CloseDuplicate).
	EventDuplicate EventKind = "duplicate"
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
	// Of is the id of the newer request an EventDuplicate closed the lead
	// for; "" on other events.
	Of string
}

// MaxHistory bounds the history kept on a lead: older events are dropped
// and counted in Lead.Dropped.
const MaxHistory = 50

// Policy is the clinic's call-back rhythm.
type Policy struct {
	// Cadence is how long after the 1st, 2nd, ... try since the patient was
	// last reached the next call-back is due; the last step repeats (a
	// Reached try starts again from the first). When the call-back falls is
	// the call-back rule (Policy.next).
	Cadence []time.Duration
	// MaxAttempts tries since the patient was last reached (or since the
	// request, or the last reopening) close the lead: as unreachable if the
	// patient was never reached, else as not reached again.
	MaxAttempts int
	// Hours are the clinic's opening hours, in its time zone: call-backs
	// fall in them. The zero Hours are always open, in UTC.
	Hours hours.Hours
}

// The default policy, after the Lead Response Management study (Oldroyd,
// 2007: the odds of reaching a lead fall steeply after the first minutes;
// at least 6 attempts): 10 minutes of opening time later, then 1 hour,
// then 4 hours, then the next opening day, then two opening days later;
// closed after 6 tries since the patient was last reached.
var (
	DefaultCadence     = []time.Duration{10 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour, 48 * time.Hour}
	DefaultMaxAttempts = 6
)

// The parts of the day a patient may prefer (Request.PreferredTime), by
// the clock in the clinic's time zone: the morning until 12:00, the
// afternoon from 12:00 until 17:00, the evening from 17:00 until midnight.
const (
	AfternoonFrom = 12 * time.Hour
	EveningFrom   = 17 * time.Hour
)

// Part is the part of the day t stands for, as times after midnight
// [from, to); ok is false for "any" and for none given.
func (t TimeSlot) Part() (from, to time.Duration, ok bool) {
	switch t {
	case Morning:
		return 0, AfternoonFrom, true
	case Afternoon:
		return AfternoonFrom, EveningFrom, true
	case Evening:
		return EveningFrom, 24 * time.Hour, true
	}
	return 0, 0, false
}

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
// the MaxAttempts-th try since the patient was last reached, else open
// with the next call-back due.
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
	now, _ := l.tries()
	l.settle(e.Outcome, triesAfter(now, e.Outcome), e.At, e.At, e.Callback, p)
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
	if prev.Reaches() && !e.Outcome.Reaches() && l.FirstReach.Equal(attemptAt) {
		l.FirstReach = time.Time{}
	}
	_, before := l.tries()
	l.settle(e.Outcome, triesAfter(before, e.Outcome), attemptAt, e.At, e.Callback, p)
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

// CloseDuplicate closes a new or open lead as a duplicate of the same
// patient's newer request of, by whoever recorded an attempt on that one,
// at: status closed, reason ClosedDuplicate, and an EventDuplicate naming
// of in the history. Its tries and speed-to-lead times stay as they were;
// reopening it counts its tries afresh, as after any close. A closed lead
// is ErrClosed; of empty or the lead's own id is ErrBadEvent.
func (l *Lead) CloseDuplicate(of, by string, at time.Time) error {
	if of == "" || of == l.ID {
		return ErrBadEvent
	}
	if l.Status == StatusClosed {
		return ErrClosed
	}
	l.close(ClosedDuplicate, at)
	l.push(Event{At: at, Kind: EventDuplicate, By: by, Of: of})
	return nil
}

// settle applies outcome o of an attempt made at attemptAt, decided at at,
// which leaves tries since the patient was last reached.
func (l *Lead) settle(o Outcome, tries int, attemptAt, at, picked time.Time, p Policy) {
	if o.Reaches() && l.FirstReach.IsZero() {
		l.FirstReach = attemptAt
	}
	l.Tries = tries
	if o.Closes() {
		l.close(Reason(o), at)
		return
	}
	if !o.Reaches() && tries >= max(p.MaxAttempts, 1) {
		if l.FirstReach.IsZero() {
			l.close(ClosedUnreachable, at)
		} else {
			l.close(ClosedNotReachedAgain, at)
		}
		return
	}
	l.Status, l.Closed, l.ClosedAt, l.Unreported = StatusOpen, "", time.Time{}, false
	l.Callback = picked
	if picked.IsZero() {
		l.Callback = p.next(at, tries, l.PreferredTime)
	}
}

func (l *Lead) close(r Reason, at time.Time) {
	l.Status, l.Closed, l.ClosedAt, l.Callback = StatusClosed, r, at, time.Time{}
	// The next digest reports, once, a lead closed because nobody could
	// reach the patient (lately).
	l.Unreported = r == ClosedUnreachable || r == ClosedNotReachedAgain
}

// triesAfter is the count of tries since the patient was last reached
// after an attempt with outcome o, from n: reaching them starts it afresh
// (the try that reached them does not count), a closing outcome leaves it,
// another open one adds one.
func triesAfter(n int, o Outcome) int {
	switch {
	case o.Reaches():
		return 0
	case o.Closes():
		return n
	}
	return n + 1
}

// tries replays the history for the tries since the patient was last
// reached (or since the request, or the last reopening): now, and before
// the latest attempt (what a correction of it starts from). The stored
// Tries is not trusted: leads written by 1.0.x counted reaching tries too.
// Only when the history was cut (Dropped) with no reach or reopening left
// in it does the stored count say where the kept events start from.
func (l Lead) tries() (now, before int) {
	// A count is known when it started at a reach, a reopening or the
	// request, else it counts from the oldest kept event.
	type count struct {
		n     int
		known bool
	}
	cur := count{known: l.Dropped == 0}
	prev := cur
	for _, e := range l.History {
		switch e.Kind {
		case EventReopen:
			cur, prev = count{known: true}, count{known: true}
		case EventAttempt:
			prev = cur
			cur = count{triesAfter(cur.n, e.Outcome), cur.known || e.Outcome.Reaches()}
		case EventCorrection:
			cur = count{triesAfter(prev.n, e.Outcome), prev.known || e.Outcome.Reaches()}
		}
	}
	offset := 0
	if !cur.known {
		offset = max(l.Tries-cur.n, 0)
		cur.n += offset
	}
	if !prev.known {
		prev.n += offset
	}
	return cur.n, prev.n
}

// latestOutcome is the outcome of the latest attempt, as corrected since,
// and when that attempt was made; ok is false when there is none since the
// lead was last reopened.
func (l *Lead) latestOutcome() (o Outcome, attemptAt time.Time, ok bool) {
	for i := len(l.History) - 1; i >= 0; i-- {
		e := l.History[i]
		switch e.Kind {
		case EventReopen, EventDuplicate:
			// Nothing to correct since: a duplicate is reopened first.
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

// next is when the call-back after the tries-th try since the patient was
// last reached, decided at at, is due, for a patient who prefers pref. The
// call-back rule, "call-backs in opening hours, at the preferred time"
// (docs/hours.md, CALLBACK_CADENCE):
//   - a cadence step under a day counts opening time from at, as a
//     response time does (hours.Due), and lands on an open minute;
//   - a step of a day or more lands that many opening days later (whole
//     days, a part day dropped), at that day's first opening;
//   - then, when the patient prefers a part of the day (TimeSlot.Part),
//     the call-back moves to the start of the next open stretch of that
//     part, or stays when it is in one already; when the clinic is never
//     open in that part, it stays at the open time the step gave.
func (p Policy) next(at time.Time, tries int, pref TimeSlot) time.Time {
	cadence := p.Cadence
	if len(cadence) == 0 {
		cadence = DefaultCadence
	}
	step := cadence[min(max(tries, 1), len(cadence))-1]
	const day = 24 * time.Hour
	var due time.Time
	if step >= day {
		due = p.Hours.OpeningDay(at, int(step/day))
	} else {
		due = p.Hours.NextOpen(p.Hours.Due(at, step))
	}
	if from, to, ok := pref.Part(); ok {
		if t, ok := p.Hours.NextOpenBetween(due, from, to); ok {
			due = t
		}
	}
	return due
}
