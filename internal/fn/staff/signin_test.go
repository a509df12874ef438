package staff

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

var codeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

// codeIn is the sign-in code an email carries.
func codeIn(t *testing.T, m sesmail.Message) string {
	t.Helper()
	code := codeRE.FindString(m.Subject)
	if code == "" || !strings.Contains(m.Text, code) {
		t.Fatalf("no code in %q / %q", m.Subject, m.Text)
	}
	return code
}

// askCode asks for a code for email and returns the page.
func (f *fixture) askCode(t *testing.T, email string) string {
	t.Helper()
	res := f.postTo(t, "/staff/signin", url.Values{"email": {email}, "next": {"staff"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ask for a code: %d %s", res.StatusCode, res.Body)
	}
	return res.Body
}

// lastCode is the code in the latest email.
func (f *fixture) lastCode(t *testing.T) string {
	t.Helper()
	sent := f.mail.messages()
	if len(sent) == 0 {
		t.Fatal("no email sent")
	}
	if kind := sent[len(sent)-1].Tags["kind"]; kind != "signin" {
		t.Errorf("sign-in email tagged kind=%q, want signin", kind)
	}
	return codeIn(t, sent[len(sent)-1])
}

// signIn signs staffEmail in through the pages, as a browser does.
func (f *fixture) signIn(t *testing.T) {
	t.Helper()
	f.askCode(t, staffEmail)
	res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}, "next": {"staff"}})
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff" || f.cookies[access.CookieName] == "" {
		t.Fatalf("sign in: %d, Location %q, cookies %v: %s", res.StatusCode, res.Headers["Location"], f.cookies, res.Body)
	}
}

func (f *fixture) trail(leadID string) []string {
	var out []string
	for _, e := range f.store.AuditEntries() {
		if e.Lead == leadID {
			out = append(out, e.Actor+" "+string(e.Action))
		}
	}
	return out
}

func TestSignInWithAnEmailedCode(t *testing.T) {
	f := newFixture(t)
	res := f.getURL(t, "/staff")
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "staff/signin?next=staff" {
		t.Fatalf("inbox without a session: %d, Location %q", res.StatusCode, res.Headers["Location"])
	}
	page := f.getURL(t, "/staff/signin?next=staff")
	mustContain(t, page.Body, `<form method="post" action="signin">`, `name="email"`, `<input type="hidden" name="next" value="staff">`, "Email me a code")

	body := f.askCode(t, " FrontDesk@Example-Clinic.com ")
	mustContain(t, body, "a 6-digit code is on its way", `name="code"`, `autocomplete="one-time-code"`)
	sent := f.mail.messages()
	// To the address as configured (the template's ses:Recipients names it
	// so), whatever its case as typed.
	if len(sent) != 1 || !slices.Equal(sent[0].To, []string{"FrontDesk@Example-Clinic.com"}) || sent[0].From.Address != "alerts@example-clinic.com" {
		t.Fatalf("sent %+v", sent)
	}
	code := codeIn(t, sent[0])
	for _, c := range f.store.Codes() {
		if strings.Contains(c.Digest, code) || c.Email != staffEmail || !c.Expires.Equal(start.Add(10*time.Minute)) {
			t.Errorf("stored code %+v: want only a keyed hash, for 10 minutes", c)
		}
	}

	res = f.postTo(t, "/staff/signin", url.Values{"email": {"frontdesk@example-clinic.com"}, "code": {code[:3] + " " + code[3:]}, "next": {"staff"}})
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff" {
		t.Fatalf("the code: %d, Location %q: %s", res.StatusCode, res.Headers["Location"], res.Body)
	}
	inbox := f.getURL(t, "/staff")
	if inbox.StatusCode != http.StatusOK {
		t.Fatalf("inbox: %d %s", inbox.StatusCode, inbox.Body)
	}
	mustContain(t, inbox.Body, "Signed in as "+staffEmail, `<a href="leads/`+f.lead.ID+`" class="lead">`, "&lt;script&gt;Pat&lt;/script&gt; O&#39;Brien",
		`<form method="post" action="staff/signout">`)
	if got := f.trail(""); !slices.Equal(got, []string{staffEmail + " sign-in"}) {
		t.Errorf("audit trail %q", got)
	}
	// A browser signed in already skips the page.
	if res := f.getURL(t, "/staff/signin?next=leads/"+f.lead.ID); res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../leads/"+f.lead.ID {
		t.Errorf("sign-in page when signed in: %d, Location %q", res.StatusCode, res.Headers["Location"])
	}
}

func TestAnAddressNotOnTheListGetsTheSamePageAndNoEmail(t *testing.T) {
	f := newFixture(t)
	listed := f.askCode(t, staffEmail)
	other := f.askCode(t, "patient@example.com")
	if strings.ReplaceAll(other, "patient@example.com", staffEmail) != listed {
		t.Errorf("the pages differ:\n%s\n---\n%s", listed, other)
	}
	if sent := f.mail.messages(); len(sent) != 1 || sent[0].To[0] != "FrontDesk@Example-Clinic.com" {
		t.Errorf("sent %+v, want one email, to the listed address", sent)
	}
	// Its "code" works no more than a wrong one, and leaves no audit entry
	// naming the address.
	res := f.postTo(t, "/staff/signin", url.Values{"email": {"patient@example.com"}, "code": {"123456"}})
	if res.StatusCode != http.StatusForbidden || f.cookies[access.CookieName] != "" {
		t.Errorf("status %d, cookies %v", res.StatusCode, f.cookies)
	}
	for _, e := range f.store.AuditEntries() {
		if strings.Contains(e.Actor, "patient") {
			t.Errorf("audit entry %+v", e)
		}
	}
}

func TestAWrongCodeFiveTimesLocksIt(t *testing.T) {
	f := newFixture(t)
	f.askCode(t, staffEmail)
	code := f.lastCode(t)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range access.MaxTries {
		res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {wrong}})
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("wrong code %d: status %d", i+1, res.StatusCode)
		}
		mustContain(t, res.Body, "That code did not work.", `name="code"`)
	}
	res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {code}})
	if res.StatusCode != http.StatusForbidden || f.cookies[access.CookieName] != "" {
		t.Errorf("the right code after 5 wrong ones: status %d, cookies %v", res.StatusCode, f.cookies)
	}
	// One burst of failures: one audit entry; every refusal a log line.
	if got := f.trail(""); !slices.Equal(got, []string{staffEmail + " failed-code"}) {
		t.Errorf("audit trail %q, want one failed code for the burst", got)
	}
	// What the template's StaffFailedCodesMetricFilter counts.
	tpl, err := os.ReadFile(filepath.Join(testenv.Root(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `FilterPattern: '{ $.msg = "sign-in code refused" && $.listed IS TRUE }'`; !strings.Contains(string(tpl), want) {
		t.Errorf("template.yaml has no %s", want)
	}
	if n := strings.Count(f.logs.String(), `"msg":"sign-in code refused",`); n != access.MaxTries+1 ||
		strings.Count(f.logs.String(), `"listed":true`) != access.MaxTries+1 {
		t.Errorf("%d refused-code log lines for a listed address, want %d:\n%s", n, access.MaxTries+1, f.logs)
	}
	// A new code works.
	f.signIn(t)
}

func TestACodeWorksOnceAndForTenMinutes(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	used := f.lastCode(t)
	delete(f.cookies, access.CookieName)
	if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {used}}); res.StatusCode != http.StatusForbidden || f.cookies[access.CookieName] != "" {
		t.Errorf("a used code: status %d, cookies %v", res.StatusCode, f.cookies)
	}
	f.askCode(t, staffEmail)
	f.now = f.now.Add(access.CodeTTL + time.Second)
	if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("an expired code: status %d", res.StatusCode)
	}
	// A newer code replaces the one before it.
	f.askCode(t, staffEmail)
	first := f.lastCode(t)
	f.askCode(t, staffEmail)
	if second := f.lastCode(t); second != first {
		if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {first}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("a replaced code: status %d", res.StatusCode)
		}
	}
}

func TestAFewCodesAnHour(t *testing.T) {
	f := newFixture(t)
	for range access.CodesPerHour {
		f.askCode(t, staffEmail)
	}
	for range 2 {
		if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}}); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a code over the limit: status %d, want 429", res.StatusCode)
		}
	}
	if n := len(f.mail.messages()); n != access.CodesPerHour {
		t.Errorf("sent %d codes in an hour, want %d", n, access.CodesPerHour)
	}
	// From other places (a stranger who knows the address): CodesPerHour
	// each, CodesPerAddressHour from all, and still the owner's next hour.
	limited := 0
	for i := range 10 {
		for range access.CodesPerHour + 1 {
			req := testenv.HTTPRequest(t, http.MethodPost, "POST /staff/signin", "/staff/signin", url.Values{"email": {staffEmail}}.Encode())
			req.RequestContext.HTTP.SourceIP = "2001:db8:" + strconv.Itoa(i) + "::1"
			switch res := f.do(t, req); res.StatusCode {
			case http.StatusOK:
			case http.StatusTooManyRequests:
				limited++
			default:
				t.Fatalf("status %d", res.StatusCode)
			}
		}
	}
	if want := 10*(access.CodesPerHour+1) - (access.CodesPerAddressHour - access.CodesPerHour); limited != want {
		t.Errorf("%d asks told codes are limited, want %d (every one not sent)", limited, want)
	}
	if n := len(f.mail.messages()); n != access.CodesPerAddressHour {
		t.Errorf("sent %d codes to one address in an hour from 11 places, want %d", n, access.CodesPerAddressHour)
	}
	f.now = f.now.Add(time.Hour)
	f.askCode(t, staffEmail)
	if n := len(f.mail.messages()); n != access.CodesPerAddressHour+1 {
		t.Errorf("the next hour: %d codes in all, want %d", n, access.CodesPerAddressHour+1)
	}
}

func TestBadSignInForms(t *testing.T) {
	f := newFixture(t)
	for _, email := range []string{"", "frontdesk", "Desk <frontdesk@example-clinic.com>", "a@b.c\r\nBcc: x@y.z"} {
		res := f.postTo(t, "/staff/signin", url.Values{"email": {email}})
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("email %q: status %d, want 400", email, res.StatusCode)
		}
		mustContain(t, res.Body, "Enter your email address")
	}
	r := testenv.HTTPRequest(t, http.MethodPost, "POST /staff/signin", "/staff/signin", url.Values{"email": {staffEmail}}.Encode())
	r.Headers["sec-fetch-site"] = "cross-site"
	if res := f.do(t, r); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: status %d", res.StatusCode)
	}
	if n := len(f.mail.messages()); n != 0 {
		t.Errorf("sent %d codes, want none", n)
	}
}

func TestSignInOnlyLeadsBackToStaffPages(t *testing.T) {
	f := newFixture(t)
	for next, want := range map[string]string{
		"staff?show=closed":        "../staff?show=closed",
		"leads/" + f.lead.ID:       "../leads/" + f.lead.ID,
		"https://evil.example/":    "../staff",
		"//evil.example/":          "../staff",
		"leads/../../evil":         "../staff",
		"staff\r\nSet-Cookie: x=1": "../staff",
		"javascript:alert(1)":      "../staff",
		"":                         "../staff",
	} {
		delete(f.cookies, access.CookieName)
		f.askCode(t, staffEmail)
		res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}, "next": {next}})
		if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != want {
			t.Errorf("next %q: status %d, Location %q, want %q", next, res.StatusCode, res.Headers["Location"], want)
		}
		f.now = f.now.Add(13 * time.Minute) // a new hour's worth of codes now and then
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	cookie := f.cookies[access.CookieName]
	inbox := f.getURL(t, "/staff").Body
	token := regexp.MustCompile(`action="staff/signout"><input type="hidden" name="t" value="([^"]+)">`).FindStringSubmatch(inbox)
	if token == nil {
		t.Fatalf("no sign-out form:\n%s", inbox)
	}
	// Without the page's token (another site's form, say), nothing ends;
	// nor with it, from another site.
	if res := f.postTo(t, "/staff/signout", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without its token: status %d", res.StatusCode)
	}
	cross := testenv.HTTPRequest(t, http.MethodPost, "POST /staff/signout", "/staff/signout", url.Values{"t": {token[1]}}.Encode())
	cross.Headers["sec-fetch-site"] = "cross-site"
	if res := f.do(t, cross); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out from another site: status %d", res.StatusCode)
	}
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusOK {
		t.Fatalf("still signed in: %d", res.StatusCode)
	}
	res := f.postTo(t, "/staff/signout", url.Values{"t": {token[1]}})
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "signin?signedout=1" || !slices.Contains(res.Cookies, access.ClearCookie()) {
		t.Fatalf("sign out: %d, Location %q, cookies %q", res.StatusCode, res.Headers["Location"], res.Cookies)
	}
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("inbox after signing out: %d, want 303 to sign-in", res.StatusCode)
	}
	// The old cookie is dead in the store too, not only in this browser.
	f.cookies[access.CookieName] = cookie
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the old cookie after signing out: %d, want 303 to sign-in", res.StatusCode)
	}
	if got := f.trail(""); !slices.Equal(got, []string{staffEmail + " sign-in", staffEmail + " sign-out"}) {
		t.Errorf("audit trail %q", got)
	}
}

func TestSessionsSlideThenEnd(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	for _, step := range []time.Duration{11 * time.Hour, 11 * time.Hour, 11 * time.Hour} {
		f.now = f.now.Add(step)
		if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusOK {
			t.Fatalf("used again after %s: status %d", step, res.StatusCode)
		}
	}
	f.now = f.now.Add(config.DefaultSessionTTL + time.Second)
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after %s unused: status %d, want 303 to sign-in", config.DefaultSessionTTL, res.StatusCode)
	}
}

func TestSignedInStaffWorkFromTheInbox(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	page := f.getURL(t, "/leads/"+f.lead.ID)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("lead page: %d %s", page.StatusCode, page.Body)
	}
	mustContain(t, page.Body, `<a href="../staff">Inbox</a>`, `<form method="post" action="../staff/signout">`,
		"<h2>Access history</h2>", staffEmail+" opened it")
	if res := f.send(t, actAttempt, url.Values{"outcome": {"left-message"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("attempt: %d %s", res.StatusCode, res.Body)
	}
	if l := f.stored(t); len(l.History) != 1 || l.History[0].By != staffEmail {
		t.Errorf("history %+v, want the attempt by %s", l.History, staffEmail)
	}
	mustContain(t, f.getURL(t, "/leads/"+f.lead.ID).Body, `<li><span class="when">Fri 27 Nov, 10:00 AM, by `+staffEmail+`</span>Left a message (call)</li>`)
	want := []string{staffEmail + " view", staffEmail + " view", staffEmail + " attempt", staffEmail + " view"}
	if got := f.trail(f.lead.ID); !slices.Equal(got, want) {
		t.Errorf("audit trail %q, want %q", got, want)
	}
	for _, e := range f.store.AuditEntries() {
		if e.RequestID == "" || !e.Expires.Equal(e.At.Add(2190*24*time.Hour)) {
			t.Errorf("audit entry %+v: want a request id and six years", e)
		}
	}
}

func TestTheEmailedLinkOpensItsLeadOnly(t *testing.T) {
	f := newFixture(t)
	other := storetest.Lead(start.Add(-time.Hour))
	otherToken := f.save(t, other)
	if res := f.get(t, f.lead.ID, f.token); res.StatusCode != http.StatusOK {
		t.Fatalf("the link: %d", res.StatusCode)
	}
	page := f.getURL(t, "/leads/"+f.lead.ID).Body
	mustContain(t, page, "Opened from an emailed link", `<a href="../staff/signin?next=staff">Sign in for the inbox</a>`)
	if strings.Contains(page, "Access history") {
		t.Error("a link's session sees the access history")
	}
	for path, want := range map[string]string{
		"/leads/" + other.ID: "../staff/signin?next=leads%2F" + other.ID,
		"/staff":             "staff/signin?next=staff",
	} {
		if res := f.getURL(t, path); res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != want {
			t.Errorf("%s with the link's session: %d, Location %q, want 303 to %s", path, res.StatusCode, res.Headers["Location"], want)
		}
	}
	// Its session records nothing on another lead, whatever form it sends.
	forged := url.Values{"t": {access.FormToken(f.h.signer.Key(purposeForm), access.IDHash(f.cookies[access.CookieName]), other.ID)}, "v": {"0"}, "outcome": {"booked"}}
	if res := f.post(t, other.ID, forged); res.StatusCode != http.StatusForbidden {
		t.Errorf("a POST on another lead with this link's session: %d, want 403", res.StatusCode)
	}
	// The other lead's link joins the same session: both open.
	if res := f.get(t, other.ID, otherToken); res.StatusCode != http.StatusOK {
		t.Errorf("the other link: %d", res.StatusCode)
	}
	if res := f.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusOK {
		t.Errorf("the first lead after the second link: %d", res.StatusCode)
	}
	f.record(t, lead.NoAnswer)
	if got := f.trail(f.lead.ID); len(got) == 0 || slices.ContainsFunc(got, func(s string) bool { return !strings.HasPrefix(s, access.ByLink+" ") }) ||
		got[len(got)-1] != access.ByLink+" attempt" {
		t.Errorf("audit trail %q, want the emailed link's views then its attempt", got)
	}
	// The session ends with the link.
	f.now = start.Add(config.DefaultLinkTTL)
	if res := f.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after the link expired: %d, want 303 to sign-in", res.StatusCode)
	}
}

func TestStaffSignInAlways(t *testing.T) {
	cfg := testConfig(lead.Policy{MaxAttempts: 4, Hours: everyDay})
	cfg.SignIn = config.SignInAlways
	f := newFixtureConfig(t, cfg, nil)
	res := f.getURL(t, "/leads/"+f.lead.ID+"?t="+f.token)
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff/signin?next=leads%2F"+f.lead.ID || len(f.cookies) != 0 {
		t.Fatalf("the link: %d, Location %q, cookies %v; want 303 to sign-in, no session", res.StatusCode, res.Headers["Location"], f.cookies)
	}
	f.askCode(t, staffEmail)
	res = f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}, "next": {"leads/" + f.lead.ID}})
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../leads/"+f.lead.ID {
		t.Fatalf("sign in: %d, Location %q", res.StatusCode, res.Headers["Location"])
	}
	if res := f.getURL(t, "/leads/"+f.lead.ID+"?t="+f.token); res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "./"+f.lead.ID {
		t.Errorf("the link when signed in: %d, Location %q", res.StatusCode, res.Headers["Location"])
	}
	f.record(t, lead.Booked)
}

func TestAuditTrailFailureHidesTheLead(t *testing.T) {
	f := newFixture(t)
	f.signIn(t)
	failing := &failingAudit{MemStore: f.store}
	f.h.store = failing
	res := f.getURL(t, "/leads/"+f.lead.ID)
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.Body, "Brien") {
		t.Errorf("status %d: the page was shown though its view could not be recorded", res.StatusCode)
	}
}

type failingAudit struct{ *storetest.MemStore }

func (failingAudit) Audit(context.Context, access.AuditEntry) error { return context.DeadlineExceeded }

func regexpFind(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, s)
	}
	return m[1]
}

// TestAlwaysEndsLinkSessions: a session an emailed link started before the
// clinic switched to STAFF_SIGNIN=always opens and records nothing after.
func TestAlwaysEndsLinkSessions(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"t": {f.formToken(t)}, "v": {"0"}, "outcome": {"booked"}} // the link's session
	f.h.cfg.SignIn = config.SignInAlways
	if res := f.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the page with the link's session: %d, want 303 to sign-in", res.StatusCode)
	}
	if res := f.post(t, f.lead.ID, form); res.StatusCode != http.StatusForbidden {
		t.Errorf("the form with the link's session: %d, want 403", res.StatusCode)
	}
	if l := f.stored(t); len(l.History) != 0 {
		t.Errorf("recorded %+v", l.History)
	}
}

// setCookie is the session cookie an answer sets, parsed; nil for none.
func setCookie(t *testing.T, res events.APIGatewayV2HTTPResponse) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, line := range res.Cookies {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if c.Name == access.CookieName {
			if found != nil {
				t.Errorf("the session cookie set twice: %q", res.Cookies)
			}
			found = c
		}
	}
	return found
}

// wantSessionCookie checks c is the session cookie, kept across browser
// restarts for maxAge.
func wantSessionCookie(t *testing.T, c *http.Cookie, maxAge time.Duration) {
	t.Helper()
	if c == nil || c.Value == "" || c.Path != "/" || c.Domain != "" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
		c.MaxAge != int(maxAge/time.Second) {
		t.Errorf("session cookie %+v: want __Host-, Path=/, Secure, HttpOnly, SameSite=Lax and Max-Age=%d", c, int(maxAge/time.Second))
	}
}

func TestTheSessionCookieOutlastsTheBrowser(t *testing.T) {
	f := newFixture(t)
	f.askCode(t, staffEmail)
	res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}, "next": {"staff"}})
	wantSessionCookie(t, setCookie(t, res), config.DefaultSessionTTL)
	id := f.cookies[access.CookieName]

	// Used again within a few minutes: the session's end stays, and so
	// does the cookie's.
	f.now = f.now.Add(slideAfter - time.Second)
	if res := f.getURL(t, "/staff"); res.StatusCode != http.StatusOK || setCookie(t, res) != nil {
		t.Errorf("used again at once: status %d, cookies %q; want the page and no cookie", res.StatusCode, res.Cookies)
	}
	// Used later: the session slides, and its cookie is sent again for
	// the session's whole time, on any page.
	for _, path := range []string{"/staff", "/leads/" + f.lead.ID, "/staff/held", "/staff/signin"} {
		f.now = f.now.Add(slideAfter + time.Second)
		res := f.getURL(t, path)
		c := setCookie(t, res)
		wantSessionCookie(t, c, config.DefaultSessionTTL)
		if c != nil && c.Value != id {
			t.Errorf("%s: the cookie changed its session", path)
		}
	}
	s, err := f.store.Session(context.Background(), access.IDHash(id), f.now)
	if err != nil || !s.Expires.Equal(f.now.Add(config.DefaultSessionTTL)) {
		t.Errorf("stored session ends %v (%v), want %v: as its cookie", s.Expires, err, f.now.Add(config.DefaultSessionTTL))
	}
	// Signing out clears the cookie, even when the session was due to slide.
	f.now = f.now.Add(slideAfter + time.Second)
	page := f.getURL(t, "/staff")
	_, form := formOf(t, page.Body, "")
	f.now = f.now.Add(slideAfter + time.Second)
	res = f.postTo(t, "/staff/signout", form)
	if c := setCookie(t, res); c == nil || c.MaxAge >= 0 || len(res.Cookies) != 1 {
		t.Errorf("sign out sets %q, want the cookie cleared only", res.Cookies)
	}
}

func TestALinkSessionsCookieEndsWithIt(t *testing.T) {
	cfg := testConfig(lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4, Hours: everyDay})
	cfg.LinkTTL = 2 * time.Hour
	f := newFixtureConfig(t, cfg, nil)
	res := f.getURL(t, "/leads/"+f.lead.ID+"?t="+url.QueryEscape(signer.Sign(link.PurposeStaff, f.lead.ID, f.now.Add(2*time.Hour))))
	wantSessionCookie(t, setCookie(t, res), 2*time.Hour)
	// A later link takes the same session to its own end, and the cookie
	// with it; link sessions never slide.
	f.now = f.now.Add(time.Hour)
	other := storetest.Lead(f.now.Add(-time.Hour))
	f.save(t, other)
	res = f.getURL(t, "/leads/"+other.ID+"?t="+url.QueryEscape(signer.Sign(link.PurposeStaff, other.ID, f.now.Add(2*time.Hour))))
	wantSessionCookie(t, setCookie(t, res), 2*time.Hour)
	f.now = f.now.Add(slideAfter + time.Minute)
	if res := f.getURL(t, "/leads/"+other.ID); res.StatusCode != http.StatusOK || setCookie(t, res) != nil {
		t.Errorf("a link session used again: status %d, cookies %q", res.StatusCode, res.Cookies)
	}
}

func TestCodesLimitedSaysWhenToAskAgain(t *testing.T) {
	f := newFixture(t)
	f.now = start.Add(10 * time.Minute) // Fri 27 Nov, 10:10 AM in the clinic's zone
	pages := map[string]events.APIGatewayV2HTTPResponse{}
	for _, email := range []string{staffEmail, "patient@example.com"} {
		for range access.CodesPerHour {
			f.askCode(t, email)
		}
		pages[email] = f.postTo(t, "/staff/signin", url.Values{"email": {email}, "next": {"staff"}})
	}
	listed, other := pages[staffEmail], pages["patient@example.com"]
	if listed.StatusCode != http.StatusTooManyRequests || listed.Headers["Retry-After"] != "3000" {
		t.Errorf("status %d, Retry-After %q; want 429 and 3000 (seconds to 11:00 AM)", listed.StatusCode, listed.Headers["Retry-After"])
	}
	mustContain(t, listed.Body, "<h1>Codes are limited</h1>", "No code was sent just now: codes are limited to 5 an hour for one address from one network",
		"20 an hour for one address in all", "Ask for a new code after Fri 27 Nov, 11:00 AM.", `name="code"`, `name="email"`)
	if strings.Contains(listed.Body, "on its way") {
		t.Error("the page says a code is on its way")
	}
	if other.StatusCode != listed.StatusCode || other.Headers["Retry-After"] != listed.Headers["Retry-After"] || other.Body != listed.Body {
		t.Errorf("listed and unlisted addresses get different answers:\n%d %s\n---\n%d %s", listed.StatusCode, listed.Body, other.StatusCode, other.Body)
	}
	// A code that came before still signs in from the page's form.
	res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}, "next": {"staff"}})
	if res.StatusCode != http.StatusSeeOther || f.cookies[access.CookieName] == "" {
		t.Errorf("an earlier code: status %d", res.StatusCode)
	}
}

// browser is another browser than the fixture's: its own cookie jar, from
// its own address (the sample event's when ip is "").
type browser struct {
	cookies map[string]string
	ip      string
}

func newBrowser(ip string) *browser { return &browser{cookies: map[string]string{}, ip: ip} }

// signInFrom sends the sign-in form from b, with b's cookies, keeping
// those the answer sets in b's jar.
func (f *fixture) signInFrom(t *testing.T, b *browser, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := testenv.HTTPRequest(t, http.MethodPost, "POST /staff/signin", "/staff/signin", form.Encode())
	if b.ip != "" {
		req.RequestContext.HTTP.SourceIP = b.ip
	}
	mine := f.cookies
	f.cookies = b.cookies
	defer func() { f.cookies = mine }()
	return f.do(t, req)
}

// wrongCode is a code that is neither of codes.
func wrongCode(codes ...string) string {
	for _, w := range []string{"000000", "111111", "222222"} {
		if !slices.Contains(codes, w) {
			return w
		}
	}
	panic("unreachable")
}

// cookieNamed is the Set-Cookie of name in res, or nil.
func cookieNamed(t *testing.T, res events.APIGatewayV2HTTPResponse, name string) *http.Cookie {
	t.Helper()
	for _, line := range res.Cookies {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestACodeWorksOnlyInTheBrowserThatAskedForIt(t *testing.T) {
	f := newFixture(t)
	res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "next": {"staff"}})
	c := cookieNamed(t, res, access.CodeCookieName)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != int(access.CodeTTL/time.Second) {
		t.Fatalf("code cookie %+v: want __Host-, Secure, HttpOnly, SameSite=Strict, Path=/, for the code's 10 minutes", c)
	}
	code := f.lastCode(t)
	for name, b := range map[string]*browser{
		"a browser without a code cookie":         newBrowser(""),
		"a browser whose cookie is no code id":    {cookies: map[string]string{access.CodeCookieName: "x"}},
		"a browser that asked for another's code": newBrowser(""),
	} {
		if name == "a browser that asked for another's code" {
			f.signInFrom(t, b, url.Values{"email": {"owner@example-clinic.com"}})
		}
		res := f.signInFrom(t, b, url.Values{"email": {staffEmail}, "code": {code}, "next": {"staff"}})
		if res.StatusCode != http.StatusForbidden || b.cookies[access.CookieName] != "" {
			t.Errorf("%s: the staff member's code gave %d, cookies %v", name, res.StatusCode, b.cookies)
		}
	}
	res = f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {code}, "next": {"staff"}})
	if res.StatusCode != http.StatusSeeOther || f.cookies[access.CookieName] == "" {
		t.Fatalf("the code in its own browser: %d %s", res.StatusCode, res.Body)
	}
	if _, kept := f.cookies[access.CodeCookieName]; kept {
		t.Error("the code cookie outlived its spent code")
	}
}

// The acceptance, in the handler: a stranger's ask and wrong tries
// for a staff address never spoil the staff member's code.
func TestAStrangerCannotSpoilAStaffMembersCode(t *testing.T) {
	f := newFixture(t)
	f.askCode(t, staffEmail)
	code := f.lastCode(t)
	stranger := newBrowser("203.0.113.66")
	if res := f.signInFrom(t, stranger, url.Values{"email": {staffEmail}}); res.StatusCode != http.StatusOK {
		t.Fatalf("the stranger's ask: %d", res.StatusCode)
	}
	theirs := f.lastCode(t) // sent to the staff member, never to the stranger
	wrong := wrongCode(code, theirs)
	for i := range access.MaxTries + 1 {
		if res := f.signInFrom(t, stranger, url.Values{"email": {staffEmail}, "code": {wrong}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("the stranger's wrong code %d: %d", i+1, res.StatusCode)
		}
	}
	res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {code}, "next": {"staff"}})
	if res.StatusCode != http.StatusSeeOther || f.cookies[access.CookieName] == "" {
		t.Fatalf("the staff member's code after the stranger's tries: %d %s", res.StatusCode, res.Body)
	}
}

// strangers use up email's codes for the hour, and the first 10-minute
// window of its tries, from browsers without a device cookie.
func (f *fixture) strangersUseUp(t *testing.T, email string) {
	t.Helper()
	for i := range access.CodesPerAddressHour / access.CodesPerHour {
		b := newBrowser("198.51.100." + strconv.Itoa(i+1))
		for range access.CodesPerHour {
			// 429 once the address's codes (some perhaps its staff's) are used.
			if res := f.signInFrom(t, b, url.Values{"email": {email}}); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("a stranger's ask: %d", res.StatusCode)
			}
		}
	}
	b := newBrowser("198.51.100.99")
	for range access.AddressTries[0].Count {
		if res := f.signInFrom(t, b, url.Values{"email": {email}, "code": {"000000"}}); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a stranger's try: %d", res.StatusCode)
		}
	}
	newcomer := newBrowser("192.0.2.200")
	if res := f.signInFrom(t, newcomer, url.Values{"email": {email}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a new browser's ask once strangers used the address's codes: %d, want 429", res.StatusCode)
	}
	if res := f.signInFrom(t, newcomer, url.Values{"email": {email}, "code": {"123456"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a new browser's try once strangers used the address's tries: %d, want 429", res.StatusCode)
	}
}

func TestADeviceCookieKeepsAStaffMembersOwnBrowserIn(t *testing.T) {
	f := newFixture(t)
	f.askCode(t, staffEmail)
	res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}, "next": {"staff"}})
	d := cookieNamed(t, res, access.DeviceCookieName)
	if d == nil || !d.Secure || !d.HttpOnly || d.SameSite != http.SameSiteLaxMode || d.Path != "/" || d.MaxAge != int(access.DeviceTTL/time.Second) {
		t.Fatalf("device cookie %+v: want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, for %s", d, access.DeviceTTL)
	}
	if strings.Contains(d.Value, "frontdesk") {
		t.Errorf("the device cookie shows the address: %q", d.Value)
	}
	delete(f.cookies, access.CookieName) // the session ended; the browser stays the staff member's

	f.strangersUseUp(t, staffEmail)
	f.strangersUseUp(t, "owner@example-clinic.com")
	// A tampered device cookie, or one for another address, is none.
	tampered := &browser{cookies: map[string]string{access.DeviceCookieName: tamper(d.Value)}}
	if res := f.signInFrom(t, tampered, url.Values{"email": {staffEmail}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a tampered device cookie: %d, want 429", res.StatusCode)
	}
	if res := f.postTo(t, "/staff/signin", url.Values{"email": {"owner@example-clinic.com"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the device cookie for another address: %d, want 429", res.StatusCode)
	}
	// The staff member's own browser asks, and signs in, all the same.
	sent := len(f.mail.messages())
	f.askCode(t, staffEmail)
	if len(f.mail.messages()) != sent+1 {
		t.Fatal("no code sent to the browser with its device cookie")
	}
	res = f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}, "next": {"staff"}})
	if res.StatusCode != http.StatusSeeOther || f.cookies[access.CookieName] == "" || cookieNamed(t, res, access.DeviceCookieName) == nil {
		t.Fatalf("the device cookie's browser signing in: %d %s", res.StatusCode, res.Body)
	}
	// Its own limit still holds: access.DeviceTriesHour an hour, for the
	// new device cookie signing in gave it.
	delete(f.cookies, access.CookieName)
	limited := 0
	for range access.DeviceTriesHour + 1 {
		if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {"999999"}}); res.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 1 {
		t.Errorf("%d of the device cookie's %d tries over its limit, want 1", limited, access.DeviceTriesHour+1)
	}
	// Once it ends, the browser is like any other.
	f.now = f.now.Add(access.DeviceTTL)
	f.strangersUseUp(t, staffEmail)
	if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("an ended device cookie: %d, want 429", res.StatusCode)
	}
}

func TestWrongCodesWaitLongerAndLonger(t *testing.T) {
	f := newFixture(t)
	f.now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	n := 0
	try := func() events.APIGatewayV2HTTPResponse { // each from a client of its own
		n++
		return f.signInFrom(t, newBrowser(fmt.Sprintf("2001:db8:%x::1", n)), url.Values{"email": {staffEmail}, "code": {"000000"}})
	}
	steps := []struct {
		at         time.Duration // after 9:00
		tries      int
		retryAfter time.Duration // once they are used
	}{
		{0, 10, 10 * time.Minute},                                      // 10 in 10 minutes
		{10 * time.Minute, 10, 0},                                      // 20 in the hour...
		{20 * time.Minute, 0, 40 * time.Minute},                        // ...then until 10:00
		{time.Hour, 10, 0},                                             // 30 in the day...
		{time.Hour + 10*time.Minute, 0, 13*time.Hour + 50*time.Minute}, // ...then until midnight UTC
	}
	for _, s := range steps {
		f.now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC).Add(s.at)
		for i := range s.tries {
			if res := try(); res.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: try %d: %d, want 403", f.now.Format("15:04"), i+1, res.StatusCode)
			}
		}
		if s.retryAfter == 0 {
			continue
		}
		res := try()
		if res.StatusCode != http.StatusTooManyRequests || res.Headers["Retry-After"] != strconv.Itoa(int(s.retryAfter/time.Second)) {
			t.Errorf("%s: %d, Retry-After %q; want 429 and %s", f.now.Format("15:04"), res.StatusCode, res.Headers["Retry-After"], s.retryAfter)
		}
		mustContain(t, res.Body, "Too many codes were entered just now", `name="code"`)
	}
}

func TestWrongCodesAreLimitedPerClient(t *testing.T) {
	f := newFixture(t)
	guesser := newBrowser("203.0.113.7")
	for i := range access.TriesPerClientHour { // an address each: no address's limit is reached
		email := fmt.Sprintf("guess%d@example.com", i)
		if res := f.signInFrom(t, guesser, url.Values{"email": {email}, "code": {"000000"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("try %d: %d", i+1, res.StatusCode)
		}
	}
	if res := f.signInFrom(t, guesser, url.Values{"email": {staffEmail}, "code": {"000000"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the client's try over its limit: %d, want 429", res.StatusCode)
	}
	// Another client is not held back by it.
	f.askCode(t, staffEmail)
	if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {f.lastCode(t)}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another client's code: %d", res.StatusCode)
	}
}

func TestOneAuditEntryPerBurstOfWrongCodes(t *testing.T) {
	f := newFixture(t)
	stranger := newBrowser("203.0.113.9")
	wrong := func(email string, n int) {
		t.Helper()
		for range n {
			if res := f.signInFrom(t, stranger, url.Values{"email": {email}, "code": {"000000"}}); res.StatusCode != http.StatusForbidden {
				t.Fatalf("wrong code: %d", res.StatusCode)
			}
		}
	}
	wrong(staffEmail, 5)
	if got := f.trail(""); !slices.Equal(got, []string{staffEmail + " failed-code"}) {
		t.Errorf("after a burst of 5: audit trail %q, want one failed code", got)
	}
	// Every one is still a log line StaffFailedCodesMetricFilter counts.
	if n := strings.Count(f.logs.String(), `"msg":"sign-in code refused",`); n != 5 || strings.Count(f.logs.String(), `"listed":true`) != 5 {
		t.Errorf("%d refused-code log lines, want 5:\n%s", n, f.logs)
	}
	f.now = f.now.Add(access.BurstWindow)
	wrong(staffEmail, 2)
	wrong("patient@example.com", 3)
	want := []string{staffEmail + " failed-code", staffEmail + " failed-code", access.Unlisted + " failed-code"}
	if got := f.trail(""); !slices.Equal(got, want) {
		t.Errorf("after a second burst, and one for an unlisted address: %q, want %q", got, want)
	}
}

// countingStore counts the store calls sign-in makes, in order.
type countingStore struct {
	Store
	calls []string
}

func (s *countingStore) Charge(ctx context.Context, c ratelimit.Charge) error {
	s.calls = append(s.calls, "Charge")
	return s.Store.Charge(ctx, c)
}

func (s *countingStore) PutCode(ctx context.Context, c access.Code) error {
	s.calls = append(s.calls, "PutCode")
	return s.Store.PutCode(ctx, c)
}

func (s *countingStore) TryCode(ctx context.Context, email, browser string, now time.Time) (access.Code, error) {
	s.calls = append(s.calls, "TryCode")
	return s.Store.TryCode(ctx, email, browser, now)
}

func (s *countingStore) UseCode(ctx context.Context, c access.Code) error {
	s.calls = append(s.calls, "UseCode")
	return s.Store.UseCode(ctx, c)
}

func (s *countingStore) Audit(ctx context.Context, e access.AuditEntry) error {
	s.calls = append(s.calls, "Audit")
	return s.Store.Audit(ctx, e)
}

func (s *countingStore) Session(ctx context.Context, hash string, now time.Time) (access.Session, error) {
	s.calls = append(s.calls, "Session")
	return s.Store.Session(ctx, hash, now)
}

func (s *countingStore) CreateSession(ctx context.Context, sess access.Session) error {
	s.calls = append(s.calls, "CreateSession")
	return s.Store.CreateSession(ctx, sess)
}

// takes returns the store calls each step made.
func (s *countingStore) takes(step func()) []string {
	s.calls = nil
	step()
	return s.calls
}

// Timing the sign-in steps must not tell which addresses are on the list:
// both steps make the same store calls, in the same order, for an address
// on the list and one not on it, store the same item, and send no email
// themselves: the code's email goes out from notify, off the request's
// path, when the table's stream hands it a listed address's item.
func TestListedAndUnlistedAddressesCostTheSameStoreCalls(t *testing.T) {
	work := map[string][][]string{}
	items := map[string][]access.Code{}
	for _, email := range []string{staffEmail, "patient@example.com"} {
		store := &countingStore{Store: storetest.NewMemStore()}
		f := newFixtureWith(t, lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4, Hours: everyDay}, store)
		f.holdStream = true
		steps := []url.Values{
			{"email": {email}},                     // ask for a code
			{"email": {email}, "code": {"000000"}}, // a wrong one: a burst begins
			{"email": {email}, "code": {"111111"}}, // another
			{"email": {email}, "code": {"12"}},     // no code at all
			{"email": {email}},                     // ask again, from the same browser
		}
		for i, form := range steps {
			work[email] = append(work[email], store.takes(func() { f.postTo(t, "/staff/signin", form) }))
			if sent := f.mail.messages(); len(sent) != 0 {
				t.Errorf("%s, step %d: the sign-in page sent %d emails itself", email, i+1, len(sent))
			}
		}
		items[email] = f.store.Codes()
		// The stream's part: notify sends the listed address its code, once
		// (the second ask replaced the first item), and the other nothing.
		f.deliverCodes(t)
		want := 0
		if email == staffEmail {
			want = 1
		}
		if sent := f.mail.messages(); len(sent) != want {
			t.Errorf("%s: notify sent %d emails, want %d", email, len(sent), want)
		}
	}
	listed, unlisted := work[staffEmail], work["patient@example.com"]
	if !slices.Contains(listed[0], "PutCode") || !slices.Contains(listed[1], "TryCode") || !slices.Contains(listed[1], "Audit") {
		t.Fatalf("the listed address's store calls %q: want a code stored, then tried and a failure audited", listed)
	}
	for i := range listed {
		if !slices.Equal(listed[i], unlisted[i]) {
			t.Errorf("step %d: listed %q, unlisted %q", i+1, listed[i], unlisted[i])
		}
	}
	// The items differ only in the address and whether a code is owed.
	a, b := items[staffEmail], items["patient@example.com"]
	if len(a) != 1 || len(b) != 1 || !a[0].Send || b[0].Send || a[0].Digest != "" || b[0].Digest != "" || a[0].Tries != b[0].Tries || !a[0].Expires.Equal(b[0].Expires) {
		t.Errorf("code items: listed %+v, unlisted %+v", a, b)
	}
}

// tamper changes one character in the middle of a token, where every
// character carries whole bits (the last one of base64 may only carry
// padding), to another: always a different token.
func tamper(v string) string {
	i := len(v) / 2
	c := byte('A')
	if v[i] == 'A' {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}
