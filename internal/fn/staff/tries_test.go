package staff

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
)

// attempt is an attempt event at at, by by.
func attempt(at time.Time, o lead.Outcome, by string) lead.Event {
	return lead.Event{At: at, Kind: lead.EventAttempt, Outcome: o, Channel: lead.ChannelCall, By: by}
}

func TestTheTryCountsAgree(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	// Reached once, then two tries without an answer: three tries in all,
	// two of them counting towards closing.
	l := storetest.Lead(start.Add(-50 * time.Hour))
	l.ID = "0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b"
	l.Name, l.Status, l.Callback, l.Tries = "Margaret Hill", lead.StatusOpen, start.Add(time.Hour), 2
	l.FirstAttempt, l.FirstReach = start.Add(-40*time.Hour), start.Add(-40*time.Hour)
	l.History = []lead.Event{attempt(start.Add(-40*time.Hour), lead.Reached, lead.ByLink),
		attempt(start.Add(-20*time.Hour), lead.NoAnswer, staffEmail), attempt(start.Add(-2*time.Hour), lead.LeftMessage, staffEmail)}
	f.save(t, l)

	page := f.getURL(t, "/leads/"+l.ID)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("status %d", page.StatusCode)
	}
	mustContain(t, page.Body, `<p class="status">Open: call back Fri 27 Nov, 11:00 AM (3 tries; 2 of 4 since they were last reached)</p>`,
		// Who recorded each: the staff member, or the emailed link's page.
		`<span class="when">Fri 27 Nov, 8:00 AM, by `+staffEmail+`</span>Left a message (call)`,
		`<span class="when">Wed 25 Nov, 6:00 PM, by emailed link</span>Reached, not booked yet (call)`,
		// The request number: the id's last 8.
		"<dt>Request number</dt><dd>3e4f5a6b</dd>")
	inbox := f.getURL(t, "/staff").Body
	mustContain(t, inbox, "3 tries · next:")

	// Found in the inbox by its request number and by its email address.
	for _, q := range []string{"3e4f5a6b", l.Email, "Hill Margaret"} {
		if body := f.getURL(t, "/staff?q="+q).Body; !strings.Contains(body, "Margaret Hill") {
			t.Errorf("search %q does not find it", q)
		}
	}

	// A correction to reached counts from that attempt.
	l.History = append(l.History, lead.Event{At: start.Add(-time.Hour), Kind: lead.EventCorrection, Outcome: lead.Reached, By: staffEmail})
	if got := sinceWhat(l); got != "they were last reached" {
		t.Errorf("after a correction to reached: since %q", got)
	}
	if got := sinceWhat(lead.Lead{History: []lead.Event{attempt(start, lead.Reached, staffEmail),
		{At: start, Kind: lead.EventCorrection, Outcome: lead.NoAnswer}}}); got != "the request" {
		t.Errorf("after a correction to no answer: since %q", got)
	}
}

func TestClosedReasonsCountTheirTries(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	again := storetest.Lead(start.Add(-50 * time.Hour))
	again.Name, again.Status, again.Closed, again.ClosedAt, again.Tries = "Nora Again", lead.StatusClosed, lead.ClosedNotReachedAgain, start.Add(-time.Hour), 4
	again.History = []lead.Event{attempt(start.Add(-48*time.Hour), lead.Reached, staffEmail)}
	for i := range 4 {
		again.History = append(again.History, attempt(start.Add(time.Duration(i-10)*time.Hour), lead.NoAnswer, staffEmail))
	}
	f.save(t, again)
	never := storetest.Lead(start.Add(-50 * time.Hour))
	never.Name, never.Status, never.Closed, never.ClosedAt, never.Tries = "Uma Unreached", lead.StatusClosed, lead.ClosedUnreachable, start.Add(-time.Hour), 4
	for i := range 6 { // reopened once: six tries in all
		never.History = append(never.History, attempt(start.Add(time.Duration(i-10)*time.Hour), lead.NoAnswer, staffEmail))
	}
	f.save(t, never)

	mustContain(t, f.getURL(t, "/leads/"+again.ID).Body,
		`<p class="status">Closed: not reached again after 4 tries since they were last reached on Fri 27 Nov, 9:00 AM</p>`)
	mustContain(t, f.getURL(t, "/leads/"+never.ID).Body, `<p class="status">Closed: unreachable after 6 tries on Fri 27 Nov, 9:00 AM</p>`)
	mustContain(t, f.getURL(t, "/staff?show=closed").Body,
		"5 tries · next: <span>closed: not reached again after 4 tries since they were last reached</span>",
		"6 tries · next: <span>closed: unreachable after 6 tries</span>")
}
