package emails

import (
	"fmt"
	"strconv"
	"time"

	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// Budget is the one email of a window in which more requests arrived than
// ALERT_LIMIT allows alerts for: sent by the first request over it, it says
// how many had arrived, that the rest of the window's requests get no alert,
// acknowledgement or text, and links to the inbox, which lists them all.
type Budget struct {
	// Arrived is how many requests the window had counted when the email
	// was sent: the limit's count and the one over it.
	Arrived int
	// Limit is ALERT_LIMIT's count, Window its window.
	Limit  int
	Window time.Duration
	// Since and Until are the window's start and end: alerts resume at Until.
	Since, Until time.Time
	// Inbox is the staff inbox (PUBLIC_BASE_URL/staff).
	Inbox string
}

type budgetView struct {
	Clinic   Clinic
	Headline string // "Alerts paused: 4 appointment requests since ..."
	Limit    string // "3 per hour"
	Until    string
	Inbox    string
}

// BudgetEmail renders b for the clinic c. It names no request and no
// patient: it is about how many came.
func BudgetEmail(b Budget, c Clinic) (Content, error) {
	if b.Arrived <= b.Limit || b.Limit < 1 || !b.Until.After(b.Since) {
		return Content{}, fmt.Errorf("alert budget: %d requests within a limit of %d from %s to %s", b.Arrived, b.Limit, b.Since, b.Until)
	}
	v := budgetView{
		Clinic:   c,
		Headline: "Alerts paused: " + present.Plural(b.Arrived, "appointment request", "appointment requests") + " since " + present.FormatTime(b.Since, c.TimeZone),
		Limit:    strconv.Itoa(b.Limit) + " per " + per(b.Window),
		Until:    present.FormatTime(b.Until, c.TimeZone),
		Inbox:    b.Inbox,
	}
	return Content{Subject: oneLine(v.Headline), Text: v.text(), HTML: v.html()}, nil
}

// per says a window as "hour", "day" or "10 minutes".
func per(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	}
	return Waited(d)
}

func (v budgetView) text() string {
	var b markup.Builder
	b.Add(v.Clinic.Name, ": ", v.Headline, "\n\n",
		"More requests came in than the alert limit allows (", v.Limit, ", ALERT_LIMIT):\n",
		"perhaps a flood of the form. Every request is stored, but until\n",
		v.Until, " none gets an alert of its own, an acknowledgement or a\n",
		"text; this is the one email about them.\n\n",
		"The inbox lists them all, in the order to call them:\n", v.Inbox, "\n\n",
		"(The daily digest lists every request nobody has tried yet.)\n")
	return b.String()
}

func (v budgetView) html() string {
	var b markup.Builder
	b.Add(head("Alerts paused"),
		`<p style="margin:0 0 4px;font-size:14px;color:#555555">`, esc(v.Clinic.Name), "</p>\n",
		`<h1 style="margin:0 0 8px;font-size:22px">`, esc(v.Headline), "</h1>\n",
		`<p style="margin:0 0 16px">More requests came in than the alert limit allows (`, esc(v.Limit),
		`): perhaps a flood of the form. Every request is stored, but until `, esc(v.Until),
		" none gets an alert of its own, an acknowledgement or a text; this is the one email about them.</p>\n",
		`<p style="margin:16px 0"><a href="`, markup.Href(v.Inbox), `" style="display:inline-block;padding:10px 18px;border:1px solid #0b57d0;color:#0b57d0;text-decoration:none;border-radius:6px;font-weight:600">Open the inbox</a></p>`, "\n",
		`<p style="margin:0;font-size:13px;color:#555555">The inbox lists them all, in the order to call them. The daily digest lists every request nobody has tried yet.</p>`, "\n", tail)
	return b.String()
}
