package emails

import (
	"fmt"
	"time"

	"github.com/openclinic/leadhandler/internal/render/present"
)

// nudgeView is what the nudge shows: how long the request has
// waited and where to open it, never the patient's details.
type nudgeView struct {
	Clinic    Clinic
	Waited    string // "25 minutes"
	Received  string // in the clinic's time zone
	ID        string
	Link      StaffLink
	LinkUntil string
}

// Nudge renders the response guard's reminder that the request id,
// received at received, has waited waited with no attempt recorded.
func Nudge(c Clinic, id string, received time.Time, waited time.Duration, link StaffLink) (Content, error) {
	v := nudgeView{
		Clinic:    c,
		Waited:    Waited(waited),
		Received:  present.FormatTime(received, c.TimeZone),
		ID:        id,
		Link:      link,
		LinkUntil: present.FormatTime(link.Expires, c.TimeZone),
	}
	return Content{Subject: oneLine("Not answered yet: a request from " + v.Waited + " ago"), Text: v.text(), HTML: v.html()}, nil
}

// Waited says a wait as people would: "25 minutes", "3 hours", "2 days".
func Waited(d time.Duration) string {
	switch m := int(d.Round(time.Minute) / time.Minute); {
	case m < 120:
		return plural(m, "minute")
	case m < 48*60:
		return plural(m/60, "hour")
	default:
		return plural(m/(24*60), "day")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
