package lead

import (
	"iter"
	"strconv"
	"strings"
	"time"
)

// StatusHeld is a request the bot traps caught: kept a short while for
// staff to review, never alerted, never in the follow-up's lists, until
// staff release it (then it becomes a new lead) or delete it.
const StatusHeld Status = "held"

// DefaultHeldRetention is how long a held request is kept when
// HELD_RETENTION_DAYS is not set.
const DefaultHeldRetention = 14 * 24 * time.Hour

// Trap is why a submission was taken for a bot's.
type Trap struct {
	// Honeypot: the hidden website field was filled in.
	Honeypot bool
	// ElapsedMS is how long the form was open, as the form said; nil when
	// it sent no time (a form posted without JavaScript sends none).
	ElapsedMS *int64
	// TooFast: ElapsedMS was under MIN_FILL_TIME and the form's script saw
	// no key pressed, click or tap on the form (Submission.Interacted).
	TooFast bool
}

// Trapped reports whether the honeypot or the time trap caught s, and why.
// The time trap catches only a form sent sooner than minFill that nobody
// typed in or clicked: a browser's autofill fills a form in no time, but
// its visitor still clicks Send (or presses Enter). A missing time alone
// is no trap (a form posted without JavaScript has no script to measure
// it); it is recorded with the trap that caught s.
func (s Submission) Trapped(minFill time.Duration) (Trap, bool) {
	t := Trap{Honeypot: strings.TrimSpace(s.Website) != ""}
	if s.ElapsedMS != nil {
		ms := *s.ElapsedMS
		t.ElapsedMS = &ms
		t.TooFast = time.Duration(ms)*time.Millisecond < minFill && !s.Interacted
	}
	return t, t.Honeypot || t.TooFast
}

// Words says why, for the review page: "hidden website field filled in;
// sent 850 ms after the form was shown, with no key pressed, click or tap
// on it".
func (t Trap) Words() string {
	var parts []string
	if t.Honeypot {
		parts = append(parts, "hidden website field filled in")
	}
	switch {
	case t.ElapsedMS == nil:
		parts = append(parts, "no fill time sent")
	case t.TooFast:
		parts = append(parts, "sent "+strconv.FormatInt(*t.ElapsedMS, 10)+" ms after the form was shown, with no key pressed, click or tap on it")
	}
	return strings.Join(parts, "; ")
}

// Held is a trapped request, kept for review: the lead it would have been
// (Status held, ExpiresAt the short hold), and why it was held.
type Held struct {
	Lead
	Trap Trap
}

// NewHeld makes the held request a cleaned, trapped request becomes,
// received at now and kept for keep (HELD_RETENTION_DAYS).
func NewHeld(id string, r Request, t Trap, now time.Time, keep time.Duration) Held {
	l := New(id, r, now, keep)
	l.Status = StatusHeld
	return Held{Lead: l, Trap: t}
}

// Release is the new lead a held request becomes when staff release it at
// now: still received when the visitor sent it (the clinic's speed-to-lead
// figures count the wait for review), released now, and kept for retention
// from now (counted from its receipt, an old request would go at once);
// its consent as the visitor gave it.
func (h Held) Release(now time.Time, retention time.Duration) Lead {
	l := h.Lead
	now = now.UTC()
	l.Status, l.ReleasedAt, l.ExpiresAt = StatusNew, now, now.Add(retention)
	return l
}

// HeldShown bounds how many held requests a count reads: the digest and
// the inbox say "100 or more" beyond it, so a flood of bots does not make
// every page read them all.
const HeldShown = 100

// CountHeld counts the held requests list yields (a store's HeldList, which
// skips those released, deleted or past their hold), reading at most
// HeldShown; more reports that there are more than that.
func CountHeld(list iter.Seq2[Held, error]) (n int, more bool, err error) {
	for _, err := range list {
		if err != nil {
			return n, false, err
		}
		if n == HeldShown {
			return n, true, nil
		}
		n++
	}
	return n, false, nil
}

// GuardFrom is when the response guard starts counting a lead's wait: when
// it was received, or, for a request held for review, when staff released
// it (they have just seen it; the wait it shows still counts from its
// receipt).
func (l Lead) GuardFrom() time.Time {
	if l.ReleasedAt.After(l.CreatedAt) {
		return l.ReleasedAt
	}
	return l.CreatedAt
}
