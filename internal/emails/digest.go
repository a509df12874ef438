package emails

import (
	"fmt"
	htmltemplate "html/template"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/present"
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
		Oldest:        present.Age(d.Oldest),
		EscalateAfter: present.Age(d.EscalateAfter),
	}
	for _, w := range d.Listed {
		l := w.Lead
		waited := d.At.Sub(l.CreatedAt)
		it := digestItem{
			FirstName: l.FirstName(),
			Phone:     l.Phone,
			Tel:       present.Tel(l.Phone),
			Email:     l.Email,
			Method:    l.PreferredContact.Words(),
			When:      l.PreferredTime.Words(),
			Waited:    present.Age(waited),
			Overdue:   waited > d.EscalateAfter,
			Alert:     present.AlertStatus(l.Alert, c.TimeZone),
			AlertSent: l.Alert != nil,
			Link:      w.Link.URL,
		}
		v.Items = append(v.Items, it)
	}
	subject := present.Plural(d.Total, "appointment request", "appointment requests") + " still waiting for a call"
	if d.Escalated > 0 {
		subject += fmt.Sprintf(" (%d over %s)", d.Escalated, present.Age(d.EscalateAfter))
	}
	return render("digest", subject, v)
}
