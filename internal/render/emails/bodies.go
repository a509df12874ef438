package emails

import (
	"strconv"

	"github.com/openclinic/leadhandler/internal/render/markup"
)

// The emails' text and HTML parts, written in plain Go: every value in the
// HTML goes through markup.Text, every link through markup.Href (a signed
// URL) or markup.URL.Href (a tel:, sms: or mailto: link present built), as
// html/template escaped them before.

var esc = markup.Text

// head is the HTML emails' document start, up to the body's first element.
func head(title string) string {
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + title + `</title>
</head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a;background:#ffffff">
`
}

const tail = "</body>\n</html>\n"

func (v alertView) text() string {
	var b markup.Builder
	l := v.Lead
	b.Add("New appointment request for ", v.Clinic.Name, "\n\n",
		v.Reach.Verb, " ", v.FirstName, " at ", v.Reach.To, ": ", l.Name, " would like ", v.Method, " ", v.When, ".\n\n")
	if v.Asked != "" {
		b.Add("Asked before: ", v.Asked, "\n", askedHint, "\n\n")
	}
	b.Add("Name:      ", l.Name)
	if l.Phone != "" {
		b.Add("\nPhone:     ", v.Phone)
	}
	if l.Email != "" {
		b.Add("\nEmail:     ", l.Email)
	}
	b.Add("\nPrefers:   ", v.Method, ", ", v.When, "\nReceived:  ", v.Received, "\n")
	if v.Clinic.BookingURL != "" {
		b.Add("\n", v.booking(), "\n")
	}
	switch {
	case v.Minimal:
		b.Add("\nReason for the visit: not included in emails; it is on the request's page.")
	case l.Reason != "":
		b.Add("\nReason for the visit:\n", l.Reason)
	default:
		b.Add("\nReason for the visit: none given.")
	}
	b.Add("\n\nOpen the request to record what came of each try (a call-back is then\n",
		"scheduled, and the daily digest keeps the patient until they are reached):\n", v.Link.URL, "\n\n",
		"(The link works until ", v.LinkUntil, ". Request ", l.Number(), ".)\n")
	if l.Email != "" {
		b.Add("\n", v.noReply("\n"), "\n")
	}
	return b.String()
}

func (v alertView) html() string {
	var b markup.Builder
	l := v.Lead
	verb := v.Reach.Verb
	if v.Reach.Href != "" && v.Reach.Href == v.Reply {
		verb = "Reply to" // the button that stands in for Reply
	}
	reach := esc(verb) + " " + esc(v.FirstName) + " at " + esc(v.Reach.To)
	b.Add(head("Appointment request"),
		`<p style="margin:0 0 4px;font-size:14px;color:#555555">New appointment request for `, esc(v.Clinic.Name), "</p>\n",
		`<h1 style="margin:0 0 12px;font-size:22px">`, esc(l.Name), " would like ", esc(v.Method), " ", esc(v.When), "</h1>\n")
	if v.Asked != "" {
		b.Add(`<p style="margin:0 0 12px;padding:8px 12px;background:#fff8e1;border-left:4px solid #b26a00"><strong>Asked before:</strong> `, esc(v.Asked),
			`<br><span style="font-size:13px;color:#555555">`, esc(askedHint), "</span></p>\n")
	}
	b.Add(`<p style="margin:0 0 16px">`)
	if v.Reach.Href != "" {
		b.Add(`<a href="`, v.Reach.Href.Href(), `" style="display:inline-block;padding:12px 20px;background:#0b57d0;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">`, reach, `</a>`)
	} else {
		b.Add(`<strong>`, reach, `</strong>`)
	}
	if v.Reply != "" && v.Reach.Href != v.Reply {
		b.Add(" ", `<a href="`, v.Reply.Href(), `" style="display:inline-block;margin:8px 0 0;padding:11px 19px;border:1px solid #0b57d0;color:#0b57d0;text-decoration:none;border-radius:6px;font-weight:600">Reply to `, esc(v.FirstName), `</a>`)
	}
	b.Add("</p>\n", `<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">`)
	row := func(name, value string) {
		b.Add("\n", `<tr><td style="padding:4px 12px 4px 0;color:#555555">`, name, `</td><td style="padding:4px 0">`, value, `</td></tr>`)
	}
	link := func(href markup.URL, text string) string {
		if href == "" {
			return esc(text)
		}
		return `<a href="` + href.Href() + `" style="color:#0b57d0">` + esc(text) + `</a>`
	}
	if l.Phone != "" {
		row("Phone", link(v.Tel, v.Phone))
	}
	if l.Email != "" {
		row("Email", link(v.Reply, l.Email))
	}
	b.Add("\n", `<tr><td style="padding:4px 12px 4px 0;color:#555555">Prefers</td><td style="padding:4px 0">`, esc(v.Method), ", ", esc(v.When), "</td></tr>\n",
		`<tr><td style="padding:4px 12px 4px 0;color:#555555">Received</td><td style="padding:4px 0">`, esc(v.Received), "</td></tr>\n",
		"</table>\n")
	if v.Clinic.BookingURL != "" {
		b.Add(`<p style="margin:0 0 16px">`, esc(v.booking()), "</p>\n")
	}
	b.Add(`<h2 style="margin:0 0 4px;font-size:16px">Reason for the visit</h2>`)
	switch {
	case v.Minimal:
		b.Add("\n", `<p style="margin:0 0 16px;color:#555555">Not included in emails; it is on the request's page.</p>`)
	case l.Reason != "":
		b.Add("\n", `<p style="margin:0 0 16px;white-space:pre-wrap">`, esc(l.Reason), `</p>`)
	default:
		b.Add("\n", `<p style="margin:0 0 16px;color:#555555">None given.</p>`)
	}
	b.Add("\n", `<p style="margin:0 0 16px"><a href="`, markup.Href(v.Link.URL), `" style="display:inline-block;padding:10px 18px;border:1px solid #0b57d0;color:#0b57d0;text-decoration:none;border-radius:6px;font-weight:600">Open the request</a></p>`, "\n")
	if l.Email != "" {
		b.Add(`<p style="margin:0 0 8px;font-size:13px;color:#555555">`, esc(v.noReply(" ")), "</p>\n")
	}
	b.Add(`<p style="margin:0;font-size:13px;color:#555555">Record what came of each try on that page: a call-back is then scheduled, and the daily digest keeps the patient until they are reached. The link works until `,
		esc(v.LinkUntil), ". Request ", esc(l.Number()), ".</p>\n", tail)
	return b.String()
}

// askedHint says where a returning patient's earlier requests are.
const askedHint = "The request's page links their earlier requests."

// booking tells staff the patient was offered the clinic's online booking
// (BOOKING_URL) in the acknowledgement and the thank-you.
func (v alertView) booking() string {
	return "Offered online booking (" + v.Clinic.BookingURL + "): they may have booked a time there already."
}

// noReply says why the alert has no Reply-To, in both parts; wrap
// separates its two lines.
func (v alertView) noReply(wrap string) string {
	return "Replying to this email does not reach " + v.FirstName + ": write a new message to" + wrap +
		"the address above, so the link to the request stays with the clinic."
}

func (v ackView) text() string {
	var b markup.Builder
	b.Add(v.Greeting, "\n\nThank you for contacting ", v.Clinic.Name, ". We have received your\nrequest", v.Asked, ".\n\n",
		v.Expect)
	if v.Clinic.Phone != "" {
		b.Add("\n\nTo reach us sooner, call ", v.Clinic.Phone, ".")
	}
	if v.Clinic.BookingURL != "" {
		b.Add("\n\nPrefer to pick a time yourself? Book online: ", v.Clinic.BookingURL)
	}
	b.Add("\n\n", v.Clinic.Name, "\n\n",
		"You receive this email because this address was entered in the appointment\n",
		"request form on our website. If that was not you, you can ignore it.\n")
	return b.String()
}

func (v ackView) html() string {
	var b markup.Builder
	b.Add(head("We received your request"),
		`<p style="margin:0 0 16px">`, esc(v.Greeting), "</p>\n",
		`<p style="margin:0 0 16px">Thank you for contacting `, esc(v.Clinic.Name), `. We have received your request`, esc(v.Asked), `.</p>`, "\n",
		`<p style="margin:0 0 16px;font-weight:600">`, esc(v.Expect), `</p>`)
	if v.Clinic.Phone != "" {
		b.Add("\n", `<p style="margin:0 0 16px">To reach us sooner, call `, esc(v.Clinic.Phone), `.</p>`)
	}
	if v.Clinic.BookingURL != "" {
		// The clinic's own URL, escaped all the same.
		b.Add("\n", `<p style="margin:0 0 16px">Prefer to pick a time yourself? <a href="`, markup.Href(v.Clinic.BookingURL), `" style="color:#0b57d0">Book online</a></p>`)
	}
	b.Add("\n", `<p style="margin:0 0 16px">`, esc(v.Clinic.Name), "</p>\n",
		`<p style="margin:0;font-size:13px;color:#555555">You receive this email because this address was entered in the appointment request form on our website. If that was not you, you can ignore it.</p>`, "\n", tail)
	return b.String()
}

func (v nudgeView) text() string {
	var b markup.Builder
	b.Add(v.Clinic.Name, ": ", v.Headline, "\n\n",
		"Nobody has recorded an attempt for these yet. Call or write back, and\n",
		"record each try on the request's page:\n")
	for _, it := range v.Items {
		b.Add("\n", it.Who, "\n",
			"  Prefers ", it.Prefers, "\n",
			"  Waiting ", it.Waited, " of opening time (received ", it.Received, ")\n",
			"  Open: ", it.Link, "\n")
	}
	if v.More != "" {
		b.Add("\n...", v.More, "\n")
	}
	b.Add("\nThe inbox lists every open request in the order to call them:\n", v.Inbox, "\n\n",
		"(The links to requests work until ", v.LinkUntil, ".\n",
		"The response guard nudges once per request; the daily digest keeps each\n",
		"request until it is tried.)\n")
	return b.String()
}

func (v nudgeView) html() string {
	var b markup.Builder
	b.Add(head("Not answered yet"),
		`<p style="margin:0 0 4px;font-size:14px;color:#555555">`, esc(v.Clinic.Name), "</p>\n",
		`<h1 style="margin:0 0 8px;font-size:22px">`, esc(v.Headline), "</h1>\n",
		`<p style="margin:0 0 16px">Nobody has recorded an attempt for these yet. Call or write back, and record each try on the request's page.</p>`)
	for _, it := range v.Items {
		b.Add("\n", `<div style="margin:0 0 12px;padding:12px;border:1px solid #d0d0d0;border-radius:6px">`, "\n",
			`<p style="margin:0 0 4px;font-weight:600">`, esc(it.Who), "</p>\n",
			`<p style="margin:0">Prefers `, esc(it.Prefers), "</p>\n",
			`<p style="margin:0 0 8px;color:#555555">Waiting `, esc(it.Waited), " of opening time (received ", esc(it.Received), ")</p>\n",
			`<a href="`, markup.Href(it.Link), `" style="color:#0b57d0;font-weight:600">Open the request</a>`, "\n</div>")
	}
	if v.More != "" {
		b.Add("\n", `<p style="margin:0 0 16px">&hellip;`, esc(v.More), "</p>")
	}
	b.Add("\n", `<p style="margin:16px 0"><a href="`, markup.Href(v.Inbox), `" style="display:inline-block;padding:10px 18px;border:1px solid #0b57d0;color:#0b57d0;text-decoration:none;border-radius:6px;font-weight:600">Open the inbox</a></p>`, "\n",
		`<p style="margin:0;font-size:13px;color:#555555">The inbox lists every open request in the order to call them. The links to requests work until `, esc(v.LinkUntil),
		". The response guard nudges once per request; the daily digest keeps each request until it is tried.</p>\n", tail)
	return b.String()
}

func (v digestView) text() string {
	var b markup.Builder
	b.Add(v.Clinic.Name, ": daily follow-up, ", v.Day)
	if v.Headline != "" {
		b.Add("\n", v.Headline)
	}
	b.Add("\n")
	for _, s := range v.Summary {
		b.Add("\n", s)
	}
	b.Add("\n")
	for _, sec := range v.Sections {
		b.Add("\n== ", sec.Title, " (", strconv.Itoa(sec.Total), ") ==\n")
		if sec.Note != "" {
			b.Add(sec.Note, "\n")
		}
		for _, it := range sec.Items {
			b.Add("\n", it.Who, ", ", it.Age, "\n  ", it.Action, " ", it.Contact, " ", it.When)
			if it.Also != "" {
				b.Add("\n  Or ", it.AlsoVia, " ", it.Also)
			}
			b.Add("\n  ", it.Status, "\n  Open: ", it.Link, "\n")
		}
		if sec.More != "" {
			b.Add("\n...", sec.More, "\n")
			if v.Inbox != "" {
				b.Add("  Inbox: ", v.Inbox, "\n")
			}
		}
	}
	if v.Held != "" {
		b.Add("\n== Held as likely spam ==\n", v.Held, "\n  Review: ", v.HeldLink, "\n")
	}
	b.Add("\nRecord every call, text or email on the request's page. A request leaves\n",
		"this digest once it is tried, comes back on the day its call-back is due,\n",
		"and stays away once it is closed.")
	if v.Inbox != "" {
		b.Add(" Every open request is in the inbox:\n", v.Inbox)
	}
	b.Add("\n")
	return b.String()
}

func (v digestView) html() string {
	var b markup.Builder
	b.Add(head("Appointment requests to follow up"),
		`<p style="margin:0 0 4px;font-size:14px;color:#555555">`, esc(v.Clinic.Name), ": daily follow-up, ", esc(v.Day), "</p>")
	if v.Headline != "" {
		b.Add("\n", `<p style="margin:0 0 8px;font-size:14px;color:#1a1a1a">`, esc(v.Headline), "</p>")
	}
	for i, s := range v.Summary {
		if i == 0 {
			b.Add("\n", `<h1 style="margin:0 0 8px;font-size:22px">`, esc(s), "</h1>")
		} else {
			b.Add("\n", `<p style="margin:0 0 8px">`, esc(s), "</p>")
		}
	}
	for _, sec := range v.Sections {
		b.Add("\n", `<h2 style="margin:24px 0 8px;font-size:18px`)
		border := "#d0d0d0"
		if sec.Overdue {
			b.Add(";color:#b3261e")
			border = "#b3261e"
		}
		b.Add(`">`, esc(sec.Title), " (", strconv.Itoa(sec.Total), ")</h2>")
		if sec.Note != "" {
			b.Add("\n", `<p style="margin:0 0 8px;color:#555555">`, esc(sec.Note), "</p>")
		}
		for _, it := range sec.Items {
			b.Add("\n", `<div style="margin:0 0 12px;padding:12px;border:1px solid `, border, `;border-radius:6px">`, "\n",
				`<p style="margin:0 0 4px;font-weight:600">`, esc(it.Who), ", ", esc(it.Age), "</p>\n",
				`<p style="margin:0">`)
			if it.Href != "" {
				b.Add(`<a href="`, it.Href.Href(), `" style="color:#0b57d0;font-weight:600">`, esc(it.Action), " ", esc(it.Contact), "</a>")
			} else {
				b.Add(esc(it.Action), " ", esc(it.Contact))
			}
			b.Add(" ", esc(it.When), "</p>")
			if it.Also != "" {
				b.Add("\n", `<p style="margin:0">Or `, esc(it.AlsoVia), " ")
				if it.AlsoURL != "" {
					b.Add(`<a href="`, it.AlsoURL.Href(), `" style="color:#0b57d0">`, esc(it.Also), "</a>")
				} else {
					b.Add(esc(it.Also))
				}
				b.Add("</p>")
			}
			color := "#555555"
			if it.Alarm {
				color = "#b3261e"
			}
			b.Add("\n", `<p style="margin:0 0 8px;color:`, color, `">`, esc(it.Status), "</p>\n",
				`<a href="`, markup.Href(it.Link), `" style="color:#0b57d0;font-weight:600">Open the request</a>`, "\n</div>")
		}
		if sec.More != "" {
			b.Add("\n", `<p style="margin:0 0 16px">&hellip;`, esc(sec.More))
			if v.Inbox != "" {
				b.Add(` <a href="`, markup.Href(v.Inbox), `" style="color:#0b57d0;font-weight:600">Open the inbox</a>`)
			}
			b.Add("</p>")
		}
	}
	if v.Held != "" {
		b.Add("\n", `<h2 style="margin:24px 0 8px;font-size:18px">Held as likely spam</h2>`, "\n",
			`<p style="margin:0 0 8px">`, esc(v.Held), "</p>\n",
			`<a href="`, markup.Href(v.HeldLink), `" style="color:#0b57d0;font-weight:600">Review held requests</a>`)
	}
	b.Add("\n", `<p style="margin:24px 0 0;font-size:13px;color:#555555">Record every call, text or email on the request's page. A request leaves this digest once it is tried, comes back on the day its call-back is due, and stays away once it is closed.`)
	if v.Inbox != "" {
		b.Add(` Every open request is in <a href="`, markup.Href(v.Inbox), `" style="color:#0b57d0">the inbox</a>.`)
	}
	b.Add("</p>\n", tail)
	return b.String()
}
