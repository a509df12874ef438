package staff

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
)

func TestTheInboxListsWhatToCallFirst(t *testing.T) {
	f := newFixture(t) // f.lead: new, 26 hours old
	due := storetest.Lead(start.Add(-50 * time.Hour))
	due.Name, due.Status, due.Tries, due.Callback = "Dana Due", lead.StatusOpen, 2, start.Add(-time.Hour)
	due.Alert = &lead.Delivery{At: due.CreatedAt, MessageID: "m-due", DeliveredAt: due.CreatedAt.Add(time.Second),
		Problem: lead.MailBounced, ProblemAt: due.CreatedAt.Add(time.Minute), BounceType: "Permanent"}
	f.save(t, due)
	later := storetest.Lead(start.Add(-50 * time.Hour))
	later.Name, later.Status, later.Tries, later.Callback = "Lee Later", lead.StatusOpen, 1, start.Add(3*time.Hour)
	later.Alert = &lead.Delivery{At: later.CreatedAt, MessageID: "m-later", DeliveredAt: later.CreatedAt.Add(20 * time.Second)}
	f.save(t, later)
	done := storetest.Lead(start.Add(-50 * time.Hour))
	done.Name, done.Status, done.Closed, done.ClosedAt, done.Tries = "Cory Closed", lead.StatusClosed, lead.ClosedBooked, start.Add(-2*time.Hour), 1
	f.save(t, done)
	f.signIn(t)

	body := f.getURL(t, "/staff").Body
	order := []string{sectionTitles[inbox.Due], "&lt;script&gt;Pat", "now (not tried yet)", "Dana Due", "2 tries · next: <span class=\"overdue\">now (due Fri 27 Nov, 9:00 AM)</span>",
		sectionTitles[inbox.Later], "Lee Later", "1 try · next: <span>Fri 27 Nov, 1:00 PM</span>",
		sectionTitles[inbox.Recent], "Cory Closed", "closed: booked"}
	last := -1
	for _, s := range order {
		i := strings.Index(body, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order %q:\n%s", s, order, body)
		}
		last = i
	}
	mustContain(t, body, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<a href="leads/`+due.ID+`">`, "Prefers a phone call, in the morning", "Received Thu 26 Nov, 8:00 AM (1 day 2 hours ago)",
		`<a href="staff?show=open">Open</a>`, `<a href="staff?show=closed">Closed this week</a>`, `<a href="staff?show=all" aria-current="page">All</a>`,
		`<form class="search" method="get" action="staff" role="search">`,
		// What SES reported of each alert: a bounce stands out.
		`Received Wed 25 Nov, 8:00 AM (2 days 2 hours ago) · <span class="overdue">alert bounced</span>`,
		`· <span>alert delivered Wed 25 Nov, 8:00 AM</span>`)

	open := f.getURL(t, "/staff?show=open").Body
	if strings.Contains(open, "Cory Closed") || !strings.Contains(open, "Lee Later") {
		t.Errorf("the open filter lists closed requests or misses open ones")
	}
	closed := f.getURL(t, "/staff?show=closed").Body
	if strings.Contains(closed, "Lee Later") || !strings.Contains(closed, "Cory Closed") {
		t.Errorf("the closed filter lists open requests or misses closed ones")
	}
	found := f.getURL(t, "/staff?show=all&q="+url.QueryEscape("dana")).Body
	if !strings.Contains(found, "Dana Due") || strings.Contains(found, "Lee Later") {
		t.Errorf("search by name:\n%s", found)
	}
	none := f.getURL(t, "/staff?q=nobody").Body
	mustContain(t, none, "No request matches that search.")
	// The search's words go into the page escaped, and into links encoded.
	evil := f.getURL(t, "/staff?q="+url.QueryEscape(`"><script>x</script>`)).Body
	if strings.Contains(evil, "<script>x") {
		t.Error("the search reached the page unescaped")
	}
	if res := f.getURL(t, "/staff?after=garbage"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad cursor: status %d, want 400", res.StatusCode)
	}
}

func TestTheInboxPages(t *testing.T) {
	f := newFixture(t)
	for i := range inbox.PageSize + 5 {
		l := storetest.Lead(start.Add(-time.Duration(i+1) * time.Minute))
		l.Name = "Patient " + string(rune('A'+i%26))
		f.save(t, l)
	}
	f.signIn(t)
	first := f.getURL(t, "/staff").Body
	if n := strings.Count(first, `<li><a href="leads/`); n != inbox.PageSize {
		t.Errorf("the first page lists %d rows, want %d", n, inbox.PageSize)
	}
	next := regexpFind(t, first, `<a href="(staff\?[^"]+)">Next page</a>`)
	second := f.getURL(t, "/"+strings.ReplaceAll(next, "&amp;", "&")).Body
	if n := strings.Count(second, `<li><a href="leads/`); n != 6 { // 55 more + f.lead
		t.Errorf("the second page lists %d rows, want 6", n)
	}
	if strings.Contains(second, "Next page") || !strings.Contains(second, "First page") {
		t.Error("the last page offers a next page, or no way back")
	}
}
