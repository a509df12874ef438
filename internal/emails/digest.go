package emails

import (
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// Waiting is one uncontacted lead in a digest.
type Waiting struct {
	Lead lead.Lead
	// Link is the lead's signed staff page.
	Link StaffLink
}

// Digest is the follow-up's list of leads nobody has marked contacted.
type Digest struct {
	// At is the run's time: ages are counted to it.
	At time.Time
	// Total counts every lead waiting, listed or not.
	Total int
	// Escalated counts those waiting longer than EscalateAfter.
	Escalated int
	// Oldest is how long the oldest has waited.
	Oldest time.Duration
	// Listed are the oldest leads, at most a readable number.
	Listed []Waiting
	// EscalateAfter is when a wait becomes overdue.
	EscalateAfter time.Duration
}

type digestView struct {
	Clinic        Clinic
	Total, More   int
	Escalated     int
	Oldest        string
	EscalateAfter string
	Items         []digestItem
}

type digestItem struct {
	FirstName string
	Phone     string
	Tel       htmltemplate.URL
	Email     string
	Method    string
	When      string
	Waited    string
	Overdue   bool
	Alert     string // when the alert went out, or that it never did
	AlertSent bool
	Link      string
}

// DigestEmail renders the daily digest d for the clinic c.
func DigestEmail(d Digest, c Clinic) (Content, error) {
	v := digestView{
		Clinic:        c,
		Total:         d.Total,
		More:          d.Total - len(d.Listed),
		Escalated:     d.Escalated,
		Oldest:        Age(d.Oldest),
		EscalateAfter: Age(d.EscalateAfter),
	}
	for _, w := range d.Listed {
		l := w.Lead
		waited := d.At.Sub(l.CreatedAt)
		it := digestItem{
			FirstName: l.FirstName(),
			Phone:     l.Phone,
			Email:     l.Email,
			Method:    l.PreferredContact.Words(),
			When:      l.PreferredTime.Words(),
			Waited:    Age(waited),
			Overdue:   waited > d.EscalateAfter,
			Alert:     "never went out",
			Link:      w.Link.URL,
		}
		if e164.MatchString(l.Phone) {
			it.Tel = htmltemplate.URL("tel:" + l.Phone)
		}
		if l.Alert != nil {
			it.Alert, it.AlertSent = "sent "+FormatTime(l.Alert.At, c.TimeZone), true
		}
		v.Items = append(v.Items, it)
	}
	subject := plural(d.Total, "appointment request", "appointment requests") + " still waiting for a call"
	if d.Escalated > 0 {
		subject += fmt.Sprintf(" (%d over %s)", d.Escalated, Age(d.EscalateAfter))
	}
	return render("digest", subject, v)
}

// Age says a duration as people do: "5 hours", "1 day 3 hours".
func Age(d time.Duration) string {
	hours := int(d / time.Hour)
	days, hours := hours/24, hours%24
	switch {
	case days == 0 && hours == 0:
		return "less than an hour"
	case days == 0:
		return plural(hours, "hour", "hours")
	case hours == 0:
		return plural(days, "day", "days")
	}
	return plural(days, "day", "days") + " " + plural(hours, "hour", "hours")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
