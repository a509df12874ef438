// Package emails renders what the functions send: the clinic's alert about a
// new lead and the visitor's acknowledgement. Every lead value is escaped in
// HTML (markup.Text, markup.Href: html/template's escaping, written in plain
// Go so no Lambda binary links text/template), no visitor text can reach
// a subject as a line break, and a subject shows no visitor text but a plain
// first name (present.PlainFirstName).
package emails

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// Content is one rendered email.
type Content struct {
	Subject string
	Text    string
	HTML    string
}

// Clinic is how the emails present the clinic.
type Clinic struct {
	Name     string
	Phone    string // shown to visitors, or empty
	TimeZone *time.Location
	// BookingURL is the clinic's online booking page (BOOKING_URL), or
	// empty: the acknowledgement offers it, the alert says it was offered.
	BookingURL string
}

// Answer is when the clinic answers a new request: its opening hours
// (OPENING_HOURS in TIME_ZONE) and how much opening time may pass before
// the first attempt (RESPONSE_SLA).
type Answer struct {
	Hours hours.Hours
	SLA   time.Duration
}

// StaffLink is the signed link to a lead's staff page.
type StaffLink struct {
	URL     string
	Expires time.Time
}

// alertView is what the alert's text and HTML show.
type alertView struct {
	Clinic    Clinic
	Lead      lead.Lead
	FirstName string
	Method    string        // "a phone call"
	When      string        // "in the morning"
	Received  string        // in the clinic's time zone
	Reach     present.Reach // the first thing to do: "Call Pat at (202) 555-0143"
	Phone     string        // as people read it
	Tel       markup.URL
	Reply     markup.URL // a new message to the patient: every mailto: link of the alert
	Minimal   bool
	Link      StaffLink
	LinkUntil string
	// Asked says the patient's earlier requests, newest first: "12 Nov
	// (closed: unreachable after 4 tries)"; empty for a first request.
	Asked string
}

// maxAsked is how many earlier requests the alert names; the rest are
// counted ("and 2 more").
const maxAsked = 3

// Alert renders the clinic's email about l. With minimal, the reason for
// the visit stays out of it (it is on the staff page). earlier are the
// patient's earlier requests (a returning patient: internal/patient), the
// alert says when each was and how it stands ("Asked before"), never a
// name or contact of theirs; the request's page links them.
//
// The alert has no Reply-To: its body carries the staff link, and a reply
// quoting it would hand the patient a working link to their own request
// (notes, history). Staff write to the patient through the alert's "Reply
// to <first name>" mailto: link instead: a new message with a subject and
// nothing of this email.
func Alert(l lead.Lead, earlier []lead.Lead, c Clinic, link StaffLink, minimal bool) (Content, error) {
	v := alertView{
		Clinic:    c,
		Lead:      l,
		FirstName: l.FirstName(),
		Method:    l.PreferredContact.Words(),
		When:      l.PreferredTime.Words(),
		Received:  present.FormatTime(l.CreatedAt, c.TimeZone),
		Reach:     present.ReachFor(l),
		Phone:     present.Phone(l),
		Tel:       present.Tel(l.Phone),
		Reply:     present.MailtoSubject(l.Email, "Your appointment request - "+c.Name),
		Minimal:   minimal,
		Link:      link,
		LinkUntil: present.FormatTime(link.Expires, c.TimeZone),
		Asked:     askedBefore(earlier, c.TimeZone, l.CreatedAt),
	}
	if v.Reach.Verb == "Email" {
		v.Reach.Href = v.Reply // the way they asked is the reply
	}
	who := present.PlainFirstName(l)
	if who == "" {
		who = "a visitor"
	}
	subject := "Appointment request: " + who + " prefers " + v.Method
	return Content{Subject: oneLine(subject), Text: v.text(), HTML: v.html()}, nil
}

// askedBefore says earlier requests newest first, at most maxAsked of
// them, each as present.AskedBefore at now (the year shown when not now's).
func askedBefore(earlier []lead.Lead, loc *time.Location, now time.Time) string {
	earlier = slices.Clone(earlier)
	slices.SortStableFunc(earlier, func(a, b lead.Lead) int { return b.CreatedAt.Compare(a.CreatedAt) })
	var parts []string
	for _, e := range earlier[:min(len(earlier), maxAsked)] {
		parts = append(parts, present.AskedBefore(e, loc, now))
	}
	s := strings.Join(parts, "; ")
	if n := len(earlier) - maxAsked; n > 0 {
		s += " and " + strconv.Itoa(n) + " more"
	}
	return s
}

// ackView is what the acknowledgement shows: never the visitor's
// own text beyond a plain first name, so the form cannot relay spam.
type ackView struct {
	Clinic   Clinic
	Greeting string
	Asked    string // " for a phone call in the morning": the form's choices, in the clinic's words
	Expect   string // present.Expect: "We'll call you within 15 minutes."
}

// Ack renders the acknowledgement to the visitor of l: when to expect the
// clinic's answer (present.Expect, from a and when l arrived, or was
// released from review: l.GuardFrom, as the response guard counts), how they
// asked to be contacted, the clinic's phone and booking page when set.
func Ack(l lead.Lead, c Clinic, a Answer) (Content, error) {
	v := ackView{Clinic: c, Greeting: "Hello,", Expect: present.Expect(a.Hours, a.SLA, l.GuardFrom(), l.PreferredContact)}
	if n := present.PlainFirstName(l); n != "" {
		v.Greeting = "Hello " + n + ","
	}
	if m := l.PreferredContact.Words(); m != "" {
		v.Asked = " for " + m
		if t := l.PreferredTime.Words(); t != "" {
			v.Asked += " " + t
		}
	}
	return Content{Subject: oneLine("We received your request - " + c.Name), Text: v.text(), HTML: v.html()}, nil
}

// oneLine drops anything that could end a header line. Stored names hold
// none; this holds even if a future field does.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return -1
		}
		return r
	}, s)
}
