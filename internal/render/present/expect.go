package present

import (
	"strconv"
	"time"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// Expect tells a patient whose request arrived at at when to expect the
// clinic's answer: within RESPONSE_SLA (sla) of opening time, said in the
// way they asked to be contacted (a call, a text or an email). During
// opening hours with sla left before closing: "We'll call you within 15
// minutes." Otherwise the first open minute the clinic will answer from:
// "We're closed now; expect our call tomorrow from 8:00 AM." (today,
// tomorrow, the weekday within a week, else the date). Nothing of the
// visitor's own text goes in.
func Expect(h hours.Hours, sla time.Duration, at time.Time, how lead.ContactMethod) string {
	noun, verb := "call", "call"
	switch how {
	case lead.ByText:
		noun, verb = "text", "text"
	case lead.ByEmail:
		noun, verb = "email", "email"
	}
	if due := h.Due(at, sla); !due.After(at.Add(sla)) {
		return "We'll " + verb + " you within " + minutes(sla) + "."
	}
	from := h.NextOpen(at)
	if from.Equal(at) { // open now, but closing before sla runs out
		return "We're closing soon; expect our " + noun + " " + when(h.Due(at, sla), at, h.Location(), "by") + "."
	}
	return "We're closed now; expect our " + noun + " " + when(from, at, h.Location(), "from") + "."
}

// minutes says a short wait: "15 minutes", "1 hour", "90 minutes".
func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m%60 == 0 {
		return Plural(m/60, "hour", "hours")
	}
	return strconv.Itoa(m) + " minutes"
}

// when says t as seen at now in loc, with prep ("from" or "by"): "today
// from 8:00 AM", "tomorrow by 8:15 AM", "Monday from 8:00 AM", or "Mon 14
// Dec from 8:00 AM".
func when(t, now time.Time, loc *time.Location, prep string) string {
	if loc == nil {
		loc = time.UTC
	}
	t, now = t.In(loc), now.In(loc)
	clock := prep + " " + t.Format("3:04 PM")
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	days := int(time.Date(ty, tm, td, 12, 0, 0, 0, time.UTC).Sub(time.Date(ny, nm, nd, 12, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	switch {
	case days == 0:
		return "today " + clock
	case days == 1:
		return "tomorrow " + clock
	case days < 7:
		return t.Weekday().String() + " " + clock
	}
	return t.Format("Mon 2 Jan") + " " + clock
}
