package staff

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

// linkTo is lead id's emailed link, valid until expires.
func linkTo(id string, expires time.Time) string {
	return "/leads/" + id + "?t=" + url.QueryEscape(signer.Sign(link.PurposeStaff, id, expires))
}

// ended reports whether the session with id is gone from the store.
func (f *fixture) ended(t *testing.T, id string) bool {
	t.Helper()
	_, err := f.store.Session(context.Background(), access.IDHash(id), f.now)
	if err != nil && !errors.Is(err, access.ErrNoSession) {
		t.Fatal(err)
	}
	return err != nil
}

func TestALinkIsExchangedForAFreshSession(t *testing.T) {
	f := newFixture(t)
	other := storetest.Lead(start.Add(-time.Hour))
	f.save(t, other)
	// Someone else's link session, its cookie planted in this browser
	// (or left on a shared desk's browser).
	planted, elsewhere := "", storetest.Lead(start.Add(-2*time.Hour))
	f.save(t, elsewhere)
	if res := f.getURL(t, linkTo(elsewhere.ID, start.Add(time.Hour))); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the planted session's link: %d", res.StatusCode)
	}
	planted = f.cookies[access.CookieName]

	// The staff member opens their lead's link: a new session, and the one
	// the browser had ends.
	if res := f.getURL(t, linkTo(f.lead.ID, start.Add(2*time.Hour))); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the link: %d", res.StatusCode)
	}
	first := f.cookies[access.CookieName]
	if first == planted || !f.ended(t, planted) {
		t.Errorf("the exchange kept the browser's session id (%v), or left it going (%v)", first == planted, !f.ended(t, planted))
	}
	// The planted id opens nothing, least of all the staff member's lead.
	stranger := &fixture{h: f.h, store: f.store, now: f.now, cookies: map[string]string{access.CookieName: planted}}
	if res := stranger.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the planted session on the lead: %d, want 303 to sign-in", res.StatusCode)
	}

	// Another link: another new session, keeping what the browser may still
	// open; the one before ends.
	f.now = start.Add(time.Minute)
	if res := f.getURL(t, linkTo(other.ID, start.Add(3*time.Hour))); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the second link: %d", res.StatusCode)
	}
	second := f.cookies[access.CookieName]
	if second == first || !f.ended(t, first) {
		t.Errorf("the second exchange kept the session id (%v), or left the first going (%v)", second == first, !f.ended(t, first))
	}
	for _, id := range []string{f.lead.ID, other.ID, elsewhere.ID} {
		if res := f.getURL(t, "/leads/"+id); res.StatusCode != http.StatusOK {
			t.Errorf("lead %s… with the new session: %d", id[:8], res.StatusCode)
		}
	}
}

func TestEachLeadEndsWithItsOwnLink(t *testing.T) {
	f := newFixture(t)
	other := storetest.Lead(start.Add(-time.Hour))
	f.save(t, other)
	// The first lead's link ends in 2 hours; an hour later the other's, in
	// 3 hours from then.
	f.getURL(t, linkTo(f.lead.ID, start.Add(2*time.Hour)))
	f.now = start.Add(time.Hour)
	res := f.getURL(t, linkTo(other.ID, f.now.Add(3*time.Hour)))
	wantSessionCookie(t, setCookie(t, res), 3*time.Hour)

	f.now = start.Add(2*time.Hour - time.Second)
	if res := f.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusOK {
		t.Errorf("the first lead within its link's time: %d", res.StatusCode)
	}
	f.now = start.Add(2 * time.Hour)
	if res := f.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the first lead once its link expired: %d, want 303 to sign-in", res.StatusCode)
	}
	form := url.Values{"t": {f.formToken(t)}, "v": {"0"}, "outcome": {"booked"}}
	if res := f.post(t, f.lead.ID, form); res.StatusCode != http.StatusForbidden || len(f.stored(t).History) != 0 {
		t.Errorf("a form on the first lead once its link expired: %d, want 403 and nothing recorded", res.StatusCode)
	}
	if res := f.getURL(t, "/leads/"+other.ID); res.StatusCode != http.StatusOK {
		t.Errorf("the other lead, its link still valid: %d", res.StatusCode)
	}
	// A third link takes nothing past its end along.
	third := storetest.Lead(start)
	f.save(t, third)
	f.getURL(t, linkTo(third.ID, f.now.Add(time.Hour)))
	if res := f.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the first lead after a third link: %d, want 303 to sign-in", res.StatusCode)
	}
	f.now = start.Add(4 * time.Hour)
	if res := f.getURL(t, "/leads/"+other.ID); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the other lead once its link expired: %d, want 303 to sign-in", res.StatusCode)
	}
}

// TestAClosedLeadsLinkRecordsNothing: after a lead is recorded as booked,
// its emailed link opened in a new browser offers no form that records
// anything, and says how to reopen or correct it.
func TestAClosedLeadsLinkRecordsNothing(t *testing.T) {
	f := newFixture(t)
	f.record(t, lead.Booked) // from the emailed link
	desk := f.cookies[access.CookieName]
	booked := f.stored(t)

	// A new browser opens the link.
	f.now = start.Add(time.Hour)
	f.cookies = map[string]string{}
	res := f.getURL(t, "/leads/"+f.lead.ID+"?t="+url.QueryEscape(f.token))
	if res.StatusCode != http.StatusOK || len(res.Cookies) != 0 {
		t.Fatalf("a closed lead's link: status %d, cookies %q; want its page, and no session", res.StatusCode, res.Cookies)
	}
	mustContain(t, res.Body, "<h1>&lt;script&gt;Pat&lt;/script&gt; O&#39;Brien</h1>", "Closed: booked on Fri 27 Nov, 10:00 AM",
		`This request is closed (booked on Fri 27 Nov 2026); nothing can be recorded on it from an emailed link. <a href="../staff/signin?next=leads%2F`+f.lead.ID+`">Sign in to reopen or correct it</a>.`)
	if strings.Contains(res.Body, "<form") || strings.Contains(res.Body, "<button") {
		t.Errorf("the closed lead's page offers a form:\n%s", res.Body)
	}
	if got := f.trail(f.lead.ID); got[len(got)-1] != access.ByLink+" view" {
		t.Errorf("audit trail %q, want the read-only view last", got)
	}

	// The first browser's link session, with a form token made for it,
	// records nothing on the closed lead either: no correction, no reopening.
	f.cookies = map[string]string{access.CookieName: desk}
	for _, form := range []url.Values{
		{"action": {actCorrect}, "outcome": {"no-answer"}},
		{"action": {actReopen}},
		{"action": {actAttempt}, "outcome": {"no-answer"}},
	} {
		form.Set("t", f.formToken(t))
		form.Set("v", "1")
		res := f.post(t, f.lead.ID, form)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "Nothing recorded: this request is closed.") || strings.Contains(res.Body, "contacted") {
			t.Errorf("%s by the link's session: %d, want 403 and the page read-only:\n%s", form.Get("action"), res.StatusCode, res.Body)
		}
	}
	if l := f.stored(t); l.Version != booked.Version || len(l.History) != 1 {
		t.Errorf("the closed lead changed: version %d, %d events", l.Version, len(l.History))
	}
	// Signed in, staff correct it as ever.
	f.signIn(t)
	if res := f.send(t, actCorrect, url.Values{"outcome": {"reached"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("correct signed in: %d %s", res.StatusCode, res.Body)
	}
}

func TestARemovedAddressIsSignedOut(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	id := f.cookies[access.CookieName]
	f.h.cfg.StaffEmails = []string{"owner@example-clinic.com"} // the address taken off STAFF_EMAILS
	f.now = f.now.Add(time.Minute)
	res := f.getURL(t, "/staff")
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "staff/signin?next=staff" {
		t.Errorf("the inbox: %d, Location %q; want 303 to sign-in", res.StatusCode, res.Headers["Location"])
	}
	if c := setCookie(t, res); c == nil || c.MaxAge >= 0 {
		t.Errorf("cookies %q, want the session cookie cleared", res.Cookies)
	}
	if !f.ended(t, id) {
		t.Error("the session is still stored")
	}
	// Put back on the list, the address signs in again; the old session
	// stays ended.
	f.h.cfg.StaffEmails = testConfig(lead.Policy{}).StaffEmails
	f.cookies = map[string]string{access.CookieName: id}
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the old session once listed again: %d, want 303 to sign-in", res.StatusCode)
	}
	if !strings.Contains(f.logs.String(), `"reason":"address not on STAFF_EMAILS"`) {
		t.Errorf("no log line says why the session ended:\n%s", f.logs)
	}
}

func TestNoSessionOutlivesSessionMax(t *testing.T) {
	cfg := testConfig(lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4, Hours: everyDay})
	cfg.SessionMax = 30 * time.Hour
	f := newFixtureConfig(t, cfg, nil)
	f.signIn(t)
	signedIn := f.now
	// Used every 10 hours, the session slides, but never past 30 hours
	// from its start: nor does its cookie.
	for _, want := range []time.Duration{12 * time.Hour, 10 * time.Hour} {
		f.now = f.now.Add(10 * time.Hour)
		res := f.getURL(t, "/staff")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("at %v: %d", f.now.Sub(signedIn), res.StatusCode)
		}
		wantSessionCookie(t, setCookie(t, res), want)
	}
	f.now = signedIn.Add(30*time.Hour - time.Second)
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusOK || setCookie(t, res) != nil {
		t.Errorf("a second before its end: %d, cookies %q", res.StatusCode, res.Cookies)
	}
	f.now = signedIn.Add(30 * time.Hour)
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("at its absolute end: %d, want 303 to sign-in", res.StatusCode)
	}

	// A session stored by 1.0.x (no end of its own beyond the sliding one)
	// ends STAFF_SESSION_MAX after it started, and is deleted.
	old, _ := access.NewSessionID()
	s := access.Session{Hash: access.IDHash(old), Email: staffEmail, Created: f.now.Add(-30 * time.Hour), Expires: f.now.Add(11 * time.Hour)}
	if err := f.store.CreateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	f.cookies = map[string]string{access.CookieName: old}
	res := f.getURL(t, "/staff")
	if c := setCookie(t, res); res.StatusCode != http.StatusSeeOther || c == nil || c.MaxAge >= 0 || !f.ended(t, old) {
		t.Errorf("a 1.0.x session past its absolute end: %d, cookies %q", res.StatusCode, res.Cookies)
	}
	// One within it works, its cookie capped at its absolute end.
	young, _ := access.NewSessionID()
	s = access.Session{Hash: access.IDHash(young), Email: staffEmail, Created: f.now.Add(-25 * time.Hour), Expires: f.now.Add(time.Minute)}
	if err := f.store.CreateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	f.cookies = map[string]string{access.CookieName: young}
	res = f.getURL(t, "/staff")
	if res.StatusCode != http.StatusOK {
		t.Errorf("a 1.0.x session within its absolute end: %d", res.StatusCode)
	}
	wantSessionCookie(t, setCookie(t, res), 5*time.Hour)
	if got := f.trail(""); !slices.Equal(got, []string{staffEmail + " sign-in"}) {
		t.Errorf("audit trail %q", got)
	}
}
