package emails

import (
	"fmt"
	"strconv"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// Waiting is one request a nudge lists.
type Waiting struct {
	Lead lead.Lead
	// Link is the lead's signed staff page.
	Link StaffLink
	// Waited is the opening time since the request came in, as of the
	// nudge's time.
	Waited time.Duration
}

// Nudge is the response guard's reminder: the requests nobody has tried
// yet that fell due by the same time.
type Nudge struct {
	// Total is how many requests it is about; Listed holds the first of
	// them (the follow-up lists a readable number and counts the rest).
	Total  int
	Listed []Waiting
	// SinceOpening: every one of them came in while the clinic was closed,
	// so each has waited since the opening.
	SinceOpening bool
	// Shortest is the shortest wait among them, in opening time.
	Shortest time.Duration
	// Inbox is the staff inbox (PUBLIC_BASE_URL/staff).
	Inbox string
}

// Headline says how many requests wait, and since when: "3 requests
// waiting since the clinic opened", "1 request waiting over 15 minutes".
// It is the email's subject and the text's words.
func (n Nudge) Headline() string {
	s := present.Plural(n.Total, "request", "requests") + " waiting "
	if n.SinceOpening {
		return s + "since the clinic opened"
	}
	return s + "over " + Waited(n.Shortest.Truncate(time.Minute))
}

// nudgeView is what the nudge shows: for each request the first name, how
// the patient wants to be contacted and how long they have waited, never a
// phone, an address or the reason.
type nudgeView struct {
	Clinic    Clinic
	Headline  string
	Items     []nudgeItem
	More      string // "and 3 more, in the inbox."
	Inbox     string
	LinkUntil string
}

type nudgeItem struct {
	Who      string // "Nora, request 1a2b3c4d"
	Prefers  string // "a phone call, in the morning"
	Waited   string // "15 minutes"
	Received string // in the clinic's time zone
	Link     string
}

// NudgeEmail renders the nudge n for the clinic c.
func NudgeEmail(n Nudge, c Clinic) (Content, error) {
	if n.Total < len(n.Listed) || len(n.Listed) == 0 {
		return Content{}, fmt.Errorf("nudge lists %d of %d requests", len(n.Listed), n.Total)
	}
	v := nudgeView{Clinic: c, Headline: n.Headline(), Inbox: n.Inbox}
	expires := n.Listed[0].Link.Expires
	for _, w := range n.Listed {
		l := w.Lead
		who := l.FirstName()
		if who == "" {
			who = "A visitor"
		}
		v.Items = append(v.Items, nudgeItem{
			Who:      who + ", request " + l.Number(),
			Prefers:  l.PreferredContact.Words() + ", " + l.PreferredTime.Words(),
			Waited:   Waited(w.Waited),
			Received: present.FormatTime(l.CreatedAt, c.TimeZone),
			Link:     w.Link.URL,
		})
		if w.Link.Expires.Before(expires) {
			expires = w.Link.Expires
		}
	}
	if more := n.Total - len(n.Listed); more > 0 {
		v.More = "and " + strconv.Itoa(more) + " more, in the inbox."
	}
	v.LinkUntil = present.FormatTime(expires, c.TimeZone)
	return Content{Subject: oneLine(v.Headline), Text: v.text(), HTML: v.html()}, nil
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
