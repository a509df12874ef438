package present

import (
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// Closed says why a closed lead was closed: "booked", "not interested",
// "wrong number", "unreachable after 4 tries" (every try,
// lead.Lead.Attempts), "not reached again after 2 tries since they were
// last reached" (lead.Lead.Tries), "a duplicate of a newer request".
func Closed(l lead.Lead) string {
	switch l.Closed {
	case lead.ClosedUnreachable:
		return "unreachable after " + Plural(l.Attempts(), "try", "tries")
	case lead.ClosedNotReachedAgain:
		return "not reached again after " + Plural(l.Tries, "try", "tries") + " since they were last reached"
	case lead.ClosedBooked:
		return "booked"
	case lead.ClosedNotInterested:
		return "not interested"
	case lead.ClosedWrongNumber:
		return "wrong number"
	case lead.ClosedDuplicate:
		return "a duplicate of a newer request"
	}
	return "closed"
}

// Standing says where a request stands, for a list of a patient's
// requests: "closed: unreachable after 4 tries", "open: 2 tries", "new:
// not tried yet".
func Standing(l lead.Lead) string {
	switch l.Status {
	case lead.StatusClosed:
		return "closed: " + Closed(l)
	case lead.StatusNew:
		return "new: not tried yet"
	}
	return "open: " + Plural(l.Attempts(), "try", "tries")
}

// AskedBefore says one earlier request of a returning patient, as the
// alert lists them: "12 Nov (closed: unreachable after 4 tries)", the
// day in loc, with the year when it is not now's.
func AskedBefore(l lead.Lead, loc *time.Location, now time.Time) string {
	return Day(l.CreatedAt, loc, now) + " (" + Standing(l) + ")"
}

// Day is t's day in loc: "12 Nov", or "12 Nov 2025" when that is not now's
// year.
func Day(t time.Time, loc *time.Location, now time.Time) string {
	t = t.In(loc)
	if t.Year() != now.In(loc).Year() {
		return t.Format("2 Jan 2006")
	}
	return t.Format("2 Jan")
}
