package emails

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// Item is one lead listed in a digest.
type Item struct {
	Lead lead.Lead
	// Link is the lead's signed staff page.
	Link StaffLink
}

// Section is one part of a digest: how many leads it holds, and the first
// of them (the follow-up lists a readable number and counts the rest).
type Section struct {
	Total  int
	Listed []Item
}

// Ways counts leads by how the clinic is to reach each patient
// (present.ReachFor).
type Ways struct{ Call, Text, Email int }

// Add counts l.
func (w *Ways) Add(l lead.Lead) {
	switch present.ReachFor(l).Verb {
	case "Text":
		w.Text++
	case "Email":
		w.Email++
	default:
		w.Call++
	}
}

// Digest is the follow-up's daily list of the leads that need the clinic.
// A lead is in one section only.
type Digest struct {
	// At is the run's time: ages and call-backs are told against it.
	At time.Time
	// EscalateAfter is when a request becomes overdue.
	EscalateAfter time.Duration
	// Overdue: not tried yet or with a call-back due today, and requested
	// longer than EscalateAfter ago.
	Overdue Section
	// NotTried: nobody has tried to reach the patient yet.
	NotTried Section
	// Due: a call-back is due by the end of the clinic's day.
	Due Section
	// Unreachable: closed as unreachable since the last digest.
	Unreachable Section
	// NotReachedAgain: closed since the last digest after the patient,
	// reached once, was not reached again (lead.ClosedNotReachedAgain).
	NotReachedAgain Section
	// Ways counts the leads of Overdue, NotTried and Due.
	Ways Ways
	// Headline is yesterday in one line (figures.Headline), computed by
	// the follow-up; empty: none.
	Headline string
	// Held is how many requests are held for review as the digest goes out
	// (lead.CountHeld: HeldMore when there are more than that), and
	// HeldLink the signed review page.
	Held     int
	HeldMore bool
	HeldLink StaffLink
	// InboxURL is the staff inbox (PUBLIC_BASE_URL/staff), which lists every
	// open request: where each "and N more" leads. Empty: no link.
	InboxURL string
}

// FollowUps counts the leads the clinic is to reach: every section but
// the closed ones (Unreachable, NotReachedAgain).
func (d Digest) FollowUps() int {
	return d.Overdue.Total + d.NotTried.Total + d.Due.Total
}

type digestView struct {
	Clinic   Clinic
	Day      string
	Headline string
	Summary  []string
	Sections []sectionView
	Held     string // "3 requests are held as likely spam: ..."
	HeldLink string
	Inbox    string // the inbox's URL, or empty
}

type sectionView struct {
	Title   string
	Total   int
	Overdue bool
	Items   []itemView
	More    string // "and 3 more overdue."
	Note    string // what the section's closings mean, or empty
}

type itemView struct {
	Who     string // the first name, or more when two listed leads share it
	Age     string // "waiting 2 days", "requested 6 days ago"
	Action  string // "Call", "Text" or "Email"
	Contact string // the number or address the action uses
	Href    markup.URL
	When    string     // "in the morning"
	Also    string     // the other way to reach them, or empty
	AlsoVia string     // "call" or "email"
	AlsoURL markup.URL // its link
	Status  string     // "Alert: sent ...", "Call-back due ...", "Closed ..."
	Alarm   bool       // the status needs attention (an alert that never went out)
	Link    string
}

// DigestEmail renders the daily digest d for the clinic c.
func DigestEmail(d Digest, c Clinic) (Content, error) {
	who := names(d.Overdue.Listed, d.NotTried.Listed, d.Due.Listed, d.Unreachable.Listed, d.NotReachedAgain.Listed)
	v := digestView{Clinic: c, Day: d.At.In(c.TimeZone).Format("Mon 2 Jan 2006"), Headline: d.Headline, Inbox: d.InboxURL}
	if n := d.FollowUps(); n > 0 {
		v.Summary = append(v.Summary, present.Plural(n, "appointment request", "appointment requests")+" to follow up: "+d.Ways.words()+".")
	}
	if n := d.Overdue.Total; n > 0 {
		verb := "are"
		if n == 1 {
			verb = "is"
		}
		v.Summary = append(v.Summary, fmt.Sprintf("%d %s overdue: requested over %s ago.", n, verb, present.Age(d.EscalateAfter)))
	}
	if n := d.Unreachable.Total; n > 0 {
		v.Summary = append(v.Summary, present.Plural(n, "request was", "requests were")+" closed as unreachable since the last digest.")
	}
	if n := d.NotReachedAgain.Total; n > 0 {
		v.Summary = append(v.Summary, present.Plural(n, "request was", "requests were")+" closed as not reached again since the last digest.")
	}
	if d.Held > 0 && len(v.Summary) == 0 {
		v.Summary = append(v.Summary, "No appointment requests to follow up today.")
	}
	if d.Held > 0 {
		verb := " are"
		if d.Held == 1 && !d.HeldMore {
			verb = " is"
		}
		v.Held = heldCount(d) + verb + " held as likely spam: none was alerted. If a real patient's is among them, release it on the review page."
		v.HeldLink = d.HeldLink.URL
	}
	sections := []struct {
		s                 Section
		title, more, note string
		overdue           bool
	}{
		{d.Overdue, "Overdue: requested over " + present.Age(d.EscalateAfter) + " ago", "more overdue.", "", true},
		{d.NotTried, "Not tried yet", "more not tried yet.", "", false},
		{d.Due, "Call-backs due today", "more call-backs due today.", "", false},
		{d.Unreachable, "Closed as unreachable since the last digest", "more, listed in the next digests.",
			"Nobody could reach these patients in the tries allowed.", false},
		{d.NotReachedAgain, "Closed as not reached again since the last digest", "more, listed in the next digests.",
			"These patients were reached once, then not again in the tries allowed since.", false},
	}
	for _, s := range sections {
		if s.s.Total == 0 {
			continue
		}
		sv := sectionView{Title: s.title, Total: s.s.Total, Overdue: s.overdue, Note: s.note}
		if more := s.s.Total - len(s.s.Listed); more > 0 {
			sv.More = "and " + strconv.Itoa(more) + " " + s.more
		}
		for _, it := range s.s.Listed {
			sv.Items = append(sv.Items, item(it, who[it.Lead.ID], d.At, c.TimeZone))
		}
		v.Sections = append(v.Sections, sv)
	}
	return Content{Subject: oneLine(digestSubject(d)), Text: v.text(), HTML: v.html()}, nil
}

// digestSubject is one line: "5 appointment requests to follow up: 3 to
// call, 1 to text, 1 to email (2 overdue); 1 closed as unreachable; 1
// closed as not reached again; 2 held as likely spam".
func digestSubject(d Digest) string {
	var s string
	if n := d.FollowUps(); n > 0 {
		s = present.Plural(n, "appointment request", "appointment requests") + " to follow up: " + d.Ways.words()
		if d.Overdue.Total > 0 {
			s += " (" + strconv.Itoa(d.Overdue.Total) + " overdue)"
		}
	}
	if n := d.Unreachable.Total; n > 0 {
		if s == "" {
			s = present.Plural(n, "appointment request", "appointment requests") + " closed as unreachable"
		} else {
			s += "; " + strconv.Itoa(n) + " closed as unreachable"
		}
	}
	if n := d.NotReachedAgain.Total; n > 0 {
		if s == "" {
			s = present.Plural(n, "appointment request", "appointment requests") + " closed as not reached again"
		} else {
			s += "; " + strconv.Itoa(n) + " closed as not reached again"
		}
	}
	if d.Held > 0 {
		if s == "" {
			return heldCount(d) + " held as likely spam"
		}
		s += "; " + heldNumber(d) + " held as likely spam"
	}
	return s
}

// heldNumber is "3", or "100 or more" when the count stopped at
// lead.HeldShown.
func heldNumber(d Digest) string {
	if d.HeldMore {
		return strconv.Itoa(d.Held) + " or more"
	}
	return strconv.Itoa(d.Held)
}

// heldCount is "1 request", "3 requests" or "100 or more requests".
func heldCount(d Digest) string {
	if d.Held == 1 && !d.HeldMore {
		return "1 request"
	}
	return heldNumber(d) + " requests"
}

// words says the counts as a list: "3 to call, 1 to text".
func (w Ways) words() string {
	var parts []string
	for _, p := range []struct {
		n    int
		verb string
	}{{w.Call, "call"}, {w.Text, "text"}, {w.Email, "email"}} {
		if p.n > 0 {
			parts = append(parts, strconv.Itoa(p.n)+" to "+p.verb)
		}
	}
	return strings.Join(parts, ", ")
}

func item(it Item, who string, at time.Time, zone *time.Location) itemView {
	l := it.Lead
	phone := present.Phone(l)
	v := itemView{Who: who, When: l.PreferredTime.Words(), Link: it.Link.URL}
	reach := present.ReachFor(l)
	v.Action, v.Contact, v.Href = reach.Verb, reach.To, reach.Href
	switch {
	case v.Action == "Email" && l.Phone != "":
		v.AlsoVia, v.Also, v.AlsoURL = "call", phone, present.Tel(l.Phone)
	case v.Action != "Email" && l.Email != "":
		v.AlsoVia, v.Also, v.AlsoURL = "email", l.Email, present.Mailto(l.Email)
	}
	v.Age = "waiting " + present.Age(at.Sub(l.CreatedAt))
	switch l.Status {
	case lead.StatusNew:
		v.Status, v.Alarm = "Alert: "+present.LeadAlert(l, zone), l.Alert == nil
	case lead.StatusOpen:
		due := "Call-back due "
		if l.Callback.Before(at) {
			due = "Call-back was due "
		}
		v.Status = due + present.FormatTime(l.Callback, zone) + "; " + tries(l.Attempts()) + " so far"
	default:
		v.Age = "requested " + present.Age(at.Sub(l.CreatedAt)) + " ago"
		closed := "Closed " + present.FormatTime(l.ClosedAt, zone)
		switch {
		case l.Closed == lead.ClosedNotReachedAgain:
			v.Status = closed + ": reached before, then not again in " + tries(l.Tries)
		case l.FirstReach.IsZero():
			v.Status = closed + " after " + tries(l.Attempts()) + ", never reached"
		default: // closed by an earlier release, which counted tries across a reach
			v.Status = closed + " after " + tries(l.Attempts())
		}
	}
	return v
}

// tries counts tries: the lead's every try (Lead.Attempts), as the inbox
// and the page count them, or those since the patient was last reached.
func tries(n int) string {
	return present.Plural(n, "try", "tries")
}

// names tells the listed patients apart: the first name alone, or, when
// another listed lead has the same one, with the last initial and the
// phone's last two digits ("Maria G. (…43)").
func names(sections ...[]Item) map[string]string {
	seen := map[string]int{}
	for _, s := range sections {
		for _, it := range s {
			seen[strings.ToLower(it.Lead.FirstName())]++
		}
	}
	out := map[string]string{}
	for _, s := range sections {
		for _, it := range s {
			l := it.Lead
			n := l.FirstName()
			if seen[strings.ToLower(n)] > 1 {
				n += lastInitial(l.Name) + lastDigits(l.Phone)
			}
			out[l.ID] = n
		}
	}
	return out
}

// lastInitial is " G." for "Maria Garcia", "" for a single name.
func lastInitial(name string) string {
	f := strings.Fields(name)
	if len(f) < 2 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(f[len(f)-1])
	return " " + string(unicode.ToUpper(r)) + "."
}

// lastDigits is " (…43)" for a number ending in 43, "" without a number.
func lastDigits(phone string) string {
	if len(phone) < 2 || strings.Trim(phone[len(phone)-2:], "0123456789") != "" {
		return ""
	}
	return " (…" + phone[len(phone)-2:] + ")"
}
