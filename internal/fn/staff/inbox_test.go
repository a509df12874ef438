package staff

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
)

// tried gives l n attempts with no answer, an hour apart, before at.
func tried(l *lead.Lead, n int, at time.Time) {
	for i := range n {
		l.History = append(l.History, lead.Event{At: at.Add(time.Duration(i-n) * time.Hour), Kind: lead.EventAttempt,
			Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: staffEmail})
	}
}

func TestTheInboxListsWhatToCallFirst(t *testing.T) {
	f := newFixture(t) // f.lead: new, 26 hours old, its alert not sent
	due := storetest.Lead(start.Add(-50 * time.Hour))
	due.Name, due.Status, due.Tries, due.Callback = "Dana Due", lead.StatusOpen, 2, start.Add(-time.Hour)
	tried(&due, 2, start.Add(-time.Hour))
	due.Alert = &lead.Delivery{At: due.CreatedAt, MessageID: "m-due", DeliveredAt: due.CreatedAt.Add(time.Second),
		Problem: lead.MailBounced, ProblemAt: due.CreatedAt.Add(time.Minute), BounceType: "Permanent"}
	f.save(t, due)
	later := storetest.Lead(start.Add(-50 * time.Hour))
	later.Name, later.Status, later.Tries, later.Callback = "Lee Later", lead.StatusOpen, 1, start.Add(3*time.Hour)
	later.Phone, later.PhoneDisplay, later.PreferredContact, later.PreferredTime = "+13105550199", "", lead.ByText, lead.Evening
	tried(&later, 1, start)
	later.Alert = &lead.Delivery{At: later.CreatedAt, MessageID: "m-later", DeliveredAt: later.CreatedAt.Add(20 * time.Second)}
	f.save(t, later)
	// Reopened after three tries: three tries, not the none since.
	reopened := storetest.Lead(start.Add(-50 * time.Hour))
	reopened.Name, reopened.Status, reopened.Tries, reopened.Callback = "Rey Reopened", lead.StatusOpen, 0, start.Add(5*time.Hour)
	tried(&reopened, 3, start.Add(-2*time.Hour))
	reopened.History = append(reopened.History, lead.Event{At: start.Add(-time.Hour), Kind: lead.EventReopen, By: lead.ByLink})
	reopened.Alert = &lead.Delivery{At: reopened.CreatedAt, MessageID: "m-reopened", Problem: lead.MailDelayed}
	f.save(t, reopened)
	// Just in: its alert is on its way, not failed.
	fresh := storetest.Lead(start.Add(-time.Minute))
	fresh.Name = "Fay Fresh"
	f.save(t, fresh)
	done := storetest.Lead(start.Add(-50 * time.Hour))
	done.Name, done.Status, done.Closed, done.ClosedAt, done.Tries = "Cory Closed", lead.StatusClosed, lead.ClosedBooked, start.Add(-2*time.Hour), 1
	tried(&done, 1, start.Add(-2*time.Hour))
	done.Alert = &lead.Delivery{At: done.CreatedAt, MessageID: "m-done", Problem: lead.MailComplained}
	f.save(t, done)
	f.signIn(t)

	body := f.getURL(t, "/staff").Body
	order := []string{"<h2>" + sectionTitles[inbox.Due], "&lt;script&gt;Pat", "now (not tried yet)", "Dana Due", "2 tries · next: <span class=\"overdue\">now (due Fri 27 Nov, 9:00 AM)</span>",
		"<h2>" + sectionTitles[inbox.Later], "Lee Later", "1 try · next: <span>Fri 27 Nov, 1:00 PM</span>", "Rey Reopened", "3 tries · next: <span>Fri 27 Nov, 3:00 PM</span>",
		"<h2>" + sectionTitles[inbox.Recent], "Cory Closed", "1 try · next: <span>closed: booked</span>"}
	last := -1
	for _, s := range order {
		i := strings.Index(body, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order %q:\n%s", s, order, body)
		}
		last = i
	}
	mustContain(t, body, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<a href="leads/`+due.ID+`" class="lead"><span class="name">Dana Due</span></a>`,
		// The phone, to call from the row, and how and when they prefer.
		`<span class="meta"><a href="tel:&#43;12025550143">(202) 555-0143</a> · Prefers a phone call, in the morning</span>`,
		`<span class="meta"><a href="tel:&#43;13105550199">&#43;13105550199</a> · Prefers a text message, in the evening</span>`,
		"Received Thu 26 Nov, 8:00 AM (1 day 2 hours ago)",
		`<a href="staff?show=open">Open</a>`, `<a href="staff?show=closed">Closed in the last 7 days</a>`, `<a href="staff?show=all" aria-current="page">All</a>`,
		`<form class="search" method="get" action="staff" role="search">`,
		// The alert only when the clinic never got it.
		`Received Thu 26 Nov, 8:00 AM (1 day 2 hours ago) · <span class="overdue">no alert sent</span>`,
		`Received Wed 25 Nov, 8:00 AM (2 days 2 hours ago) · <span class="overdue">alert bounced</span>`,
		`· <span class="overdue">alert marked as spam</span>`)
	mustContain(t, body, `<span class="meta">Received Fri 27 Nov, 9:59 AM (less than an hour ago)</span></li>`)
	if n := strings.Count(body, "alert"); n != 3 {
		t.Errorf("the inbox says %q %d times, want 3 (the failed and the unsent)", "alert", n)
	}
	if strings.Contains(body, "Held as likely spam") || strings.Contains(body, "this week") {
		t.Error("the inbox mentions held requests when none is held, or says \"this week\"")
	}

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

func TestTheInboxLeadsToTheHeldRequests(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	f.hold(t)
	f.hold(t)
	body := f.getURL(t, "/staff").Body
	mustContain(t, body, `<p class="held"><a href="staff/held">Held as likely spam: 2 requests</a> (nobody was alerted; release any real patient's)</p>`)
	// The link leads to the review page from the inbox's URL.
	if res := f.getURL(t, "/staff/held"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "Heldina Quarantino") {
		t.Errorf("the held page: %d", res.StatusCode)
	}
	// Today's state: one deleted, one said.
	page := f.getURL(t, "/staff/held").Body
	target, form := formOf(t, page, actDelete)
	form.Set("confirm", "yes")
	next := (&url.URL{Scheme: "https", Host: "api.example-clinic.com", Path: "/staff/held"}).ResolveReference(target)
	if res := f.do(t, testenv.HTTPRequest(t, http.MethodPost, "POST /staff/held/{id}", next.Path, form.Encode())); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Body)
	}
	mustContain(t, f.getURL(t, "/staff").Body, `<a href="staff/held">Held as likely spam: 1 request</a>`)

	// A flood: the count stops at lead.HeldShown.
	for range lead.HeldShown + 5 {
		f.hold(t)
	}
	mustContain(t, f.getURL(t, "/staff").Body, `<a href="staff/held">Held as likely spam: 100 or more requests</a>`)
}

func TestTheInboxShowsAReturningPatientOnce(t *testing.T) {
	f := newFixture(t)
	first := storetest.Lead(start.Add(-7 * 24 * time.Hour))
	first.Name, first.Status, first.Tries, first.Callback = "Margaret Hill", lead.StatusOpen, 4, start.Add(3*time.Hour)
	tried(&first, 4, start.Add(-24*time.Hour))
	f.save(t, first)
	second := storetest.Lead(start.Add(-time.Hour))
	second.Name, second.Email = "Margaret Hill", "margaret.hill@example.com"
	f.save(t, second)
	if err := f.store.LinkEarlier(context.Background(), second.ID, []string{first.ID}); err != nil {
		t.Fatal(err)
	}
	f.signIn(t)

	body := f.getURL(t, "/staff").Body
	mustContain(t, body, `<a href="leads/`+second.ID+`" class="lead"><span class="name">Margaret Hill</span> · 2 requests</a>`)
	if strings.Contains(body, first.ID) {
		t.Errorf("the earlier open request has a row of its own:\n%s", body)
	}
	// A search lists each request, and counts none.
	found := f.getURL(t, "/staff?q="+url.QueryEscape("margaret hill")).Body
	if !strings.Contains(found, `href="leads/`+first.ID+`"`) || !strings.Contains(found, `href="leads/`+second.ID+`"`) || strings.Contains(found, "2 requests") {
		t.Errorf("a search for the patient:\n%s", found)
	}
}
