package local

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// TestCallbacksOverHTTP: the acceptance through make dev's code
// path. With MAX_ATTEMPTS=4, No answer, Left a message, Reached, No answer
// leaves the lead open with a call-back due; three more No answers close it
// as not reached again. With OPENING_HOURS one day of the week, every
// call-back falls on that day within its hours.
func TestCallbacksOverHTTP(t *testing.T) {
	zone, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Open on the weekday two days from now only, so every try is recorded
	// while the clinic is closed.
	open := time.Now().In(zone).AddDate(0, 0, 2).Weekday() // wall clock: the local server stamps tries with the real clock
	day := open.String()[:3]
	srv, base := serve(t, map[string]string{"MAX_ATTEMPTS": "4", "TIME_ZONE": zone.String(), "OPENING_HOURS": day + " 10:00-14:00"})
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(`{"name":"Pat Smith","phone":"(202) 555-0143","consent":true}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	link := staffLink(t, srv, "Pat")
	u, _ := url.Parse(link)
	desk := staffClient(t)
	noRedirect := &http.Client{Jar: desk.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	record := func(o lead.Outcome) lead.Lead {
		t.Helper()
		form := staffForm(t, desk, link)
		form.Set("outcome", string(o))
		form.Set("channel", string(lead.ChannelCall))
		res, err := noRedirect.PostForm(base+u.Path+"/contacted", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d, want 303", o, res.StatusCode)
		}
		return storedLead(t, srv, link)
	}
	for i, o := range []lead.Outcome{lead.NoAnswer, lead.LeftMessage, lead.Reached, lead.NoAnswer} {
		l := record(o)
		if l.Status != lead.StatusOpen {
			t.Fatalf("try %d (%s): %s %q, want open", i+1, o, l.Status, l.Closed)
		}
		due := l.Callback.In(zone)
		if clock := due.Hour()*60 + due.Minute(); due.Weekday() != open || clock < 10*60 || clock >= 14*60 {
			t.Errorf("try %d (%s): call-back %s, want a %s within 10:00-14:00", i+1, o, due.Format(time.RFC1123), open)
		}
	}
	// Still the front desk's: listed in the inbox, with its four tries.
	inbox, err := signedIn(t, srv, base).Get(base + "/staff")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(inbox.Body)
	inbox.Body.Close()
	if !strings.Contains(string(page), "Pat Smith") || !strings.Contains(string(page), "4 tries") {
		t.Errorf("the inbox should list Pat with 4 tries:\n%s", page)
	}
	for i := range 3 {
		if l := record(lead.NoAnswer); (i < 2) != (l.Status == lead.StatusOpen) {
			t.Fatalf("no answer %d after reaching them: %s %q", i+2, l.Status, l.Closed)
		} else if i == 2 && (l.Closed != lead.ClosedNotReachedAgain || !l.Unreported) {
			t.Errorf("the 4th no answer since reaching them: closed %q, unreported %v; want not-reached-again, to report", l.Closed, l.Unreported)
		}
	}
}
