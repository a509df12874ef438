package submit

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/hours"
)

// weekdaysInAuckland is a clinic open Mon-Fri 8-18 in Auckland, where the
// fixture's clock (Friday 14:20 UTC) is Saturday 3:20 AM: closed.
func weekdaysInAuckland(t *testing.T) func(*config.Submit) {
	t.Helper()
	zone, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	h, err := hours.Parse("Mon-Fri 08:00-18:00", zone)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *config.Submit) {
		c.TimeZone, c.Hours, c.SLA = zone, h, 15*time.Minute
		c.ClinicPhone, c.BookingURL = "(09) 555 0100", "https://book.example.com/new"
	}
}

// TestThankYouSaysWhen: every accepted request, stored, replayed, held or
// trapped, gets the same thank-you: when to expect the answer, said the
// way the visitor asked, the clinic's phone and the booking link; a bot
// learns nothing from it, and none of the visitor's own text is in it.
func TestThankYouSaysWhen(t *testing.T) {
	const want = "We're closed now; expect our text Monday from 8:00 AM. Need us sooner? Call (09) 555 0100."
	cases := []struct {
		name   string
		change func(map[string]any)
		status int
	}{
		{"stored", nil, http.StatusCreated},
		{"held (too fast)", func(v map[string]any) { v["elapsedMs"] = 300 }, http.StatusCreated},
		{"trapped (honeypot, invalid)", func(v map[string]any) { v["website"] = "x"; v["consent"] = false }, http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, weekdaysInAuckland(t))
			body := jsonBody(t, func(v map[string]any) {
				v["preferredContact"] = "text"
				if tc.change != nil {
					tc.change(v)
				}
			})
			for i, status := range []int{tc.status, http.StatusOK} {
				if tc.name == "trapped (honeypot, invalid)" && i == 1 {
					status = http.StatusCreated // nothing stored: answered as new each time
				}
				res := f.do(t, sample(t, "application/json", body))
				got := decode(t, res)
				if res.StatusCode != status || got["message"] != want || got["booking"] != "https://book.example.com/new" || got["status"] != "received" {
					t.Errorf("answer %d: status %d %v; want %d with message %q and the booking link", i+1, res.StatusCode, got, status, want)
				}
				for _, p := range personal {
					if strings.Contains(res.Body, p) {
						t.Errorf("the answer echoes %q: %s", p, res.Body)
					}
				}
			}
		})
	}
}

// TestPlainPostThankYou: without JavaScript, the redirect carries the same
// "when" (never the visitor's text, never another site), and booking=1
// only with BOOKING_URL.
func TestPlainPostThankYou(t *testing.T) {
	f := newFixture(t, weekdaysInAuckland(t))
	// Sent again from a thank-you page of before, when BOOKING_URL was set
	// and it was open: nothing of that stays.
	f.h.cfg.BookingURL = ""
	res := f.do(t, sample(t, "application/x-www-form-urlencoded", strings.Replace(formBody, "ref%3Dnav", "ref%3Dnav%26booking%3D1%26expect%3DWe%2527ll%2Bcall%2Byou%2Bwithin%2B15%2Bminutes.", 1)))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	u, err := url.Parse(res.Headers["Location"])
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"ref": {"nav"}, "submitted": {"1"},
		"expect": {"We're closed now; expect our call Monday from 8:00 AM."}, // the page knows its phone
	}
	if diff := cmp.Diff(u.Query(), want); diff != "" || u.Host != "www.example-clinic.com" {
		t.Errorf("redirect to %s; query (-got +want):\n%s", u, diff)
	}
}
