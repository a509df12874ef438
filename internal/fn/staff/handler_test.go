package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/notify"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

var (
	// start is Fri 27 Nov 2026, 10:00 AM in the clinic's zone.
	start      = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	eastern, _ = time.LoadLocation("America/New_York")
	// everyDay are the clinic's opening hours in these tests (call-backs
	// fall in them): every day, 9:00 to 18:00.
	everyDay, _ = hours.Parse("Mon-Sun 09:00-18:00", eastern)
	secret      = []byte("0123456789abcdef0123456789abcdef")
	signer, _   = link.NewSigner(secret)
)

// headers are the page's security headers, on every answer.
var headers = map[string]string{
	"Content-Type":            "text/html; charset=utf-8",
	"Cache-Control":           "no-store",
	"Referrer-Policy":         "no-referrer",
	"X-Robots-Tag":            "noindex, nofollow",
	"X-Content-Type-Options":  "nosniff",
	"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}

type fixture struct {
	h     *Handler
	store *storetest.MemStore
	mail  *outbox
	logs  *bytes.Buffer
	lead  lead.Lead
	token string
	now   time.Time
	// cookies is the browser's cookie jar: the HTTP API hands cookies to
	// the function as "name=value" strings, and takes them back from the
	// answer's cookies.
	cookies map[string]string
	// notify is the notify function, as the table's stream runs it on the
	// code items the email step stores (deliverCodes): it sends the codes
	// into mail. holdStream, set, keeps deliverCodes from running after
	// each sign-in form.
	notify     *notify.Handler
	holdStream bool
}

// outbox keeps the emails the handler sends.
type outbox struct {
	mu   sync.Mutex
	sent []sesmail.Message
	Err  error
}

func (o *outbox) Send(_ context.Context, m sesmail.Message) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Err != nil {
		return "", o.Err
	}
	o.sent = append(o.sent, m)
	return "msg-" + strconv.Itoa(len(o.sent)), nil
}

func (o *outbox) messages() []sesmail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.sent)
}

// staffEmail is on the fixture's allow-list.
const staffEmail = "frontdesk@example-clinic.com"

func testConfig(p lead.Policy) config.Staff {
	return config.Staff{Table: "leads", ClinicName: "Relief Physical Therapy", TimeZone: eastern, LinkTTL: config.DefaultLinkTTL, Policy: p,
		StaffEmails: []string{"FrontDesk@Example-Clinic.com", "owner@example-clinic.com"},
		SessionTTL:  config.DefaultSessionTTL, SignIn: config.SignInInbox, AuditRetention: 2190 * 24 * time.Hour}
}

// newFixture's policy is set (2h,1d,2d and 4 tries, the 1.x default), not
// the default: its tests walk these steps.
func newFixture(t *testing.T) *fixture {
	return newFixtureWith(t, lead.Policy{Cadence: []time.Duration{2 * time.Hour, 24 * time.Hour, 48 * time.Hour}, MaxAttempts: 4, Hours: everyDay}, nil)
}

// newFixtureWith serves a lead created 26 hours before start under policy
// p, from store (a fresh MemStore when nil); its personal data must never
// reach the logs, nor tokens, codes or session ids.
func newFixtureWith(t *testing.T, p lead.Policy, store Store) *fixture {
	return newFixtureConfig(t, testConfig(p), store)
}

func newFixtureConfig(t *testing.T, cfg config.Staff, store Store) *fixture {
	t.Helper()
	f := &fixture{store: storetest.NewMemStore(), mail: &outbox{}, logs: &bytes.Buffer{}, now: start, cookies: map[string]string{}}
	if store == nil {
		store = f.store
	} else if r, ok := store.(*racingStore); ok {
		f.store = r.MemStore
	}
	if c, ok := store.(*countingStore); ok {
		f.store = c.Store.(*storetest.MemStore)
	}
	f.h = New(cfg, store, signer, slog.New(slog.NewJSONHandler(f.logs, nil)), func() time.Time { return f.now })
	f.useSigner(signer)
	f.lead = storetest.Lead(start.Add(-26 * time.Hour))
	f.lead.Name = "<script>Pat</script> O'Brien"
	if err := f.store.Save(context.Background(), f.lead, nil); err != nil {
		t.Fatal(err)
	}
	f.token = signer.Sign(link.PurposeStaff, f.lead.ID, start.Add(config.DefaultLinkTTL))
	t.Cleanup(func() {
		secrets := []string{"Pat", "Brien", f.lead.Email, f.lead.Phone, "555-0143", "back pain", "Booked Tue", "voicemail", f.token, "example-clinic.com"}
		for _, c := range f.cookies {
			secrets = append(secrets, c)
		}
		for _, p := range secrets {
			if p != "" && strings.Contains(f.logs.String(), p) {
				t.Errorf("%q in the logs:\n%s", p, f.logs)
			}
		}
		// A code is six digits: found as a number of its own, not inside
		// the digits of a log line's time (slog stamps the real clock).
		for _, m := range f.mail.messages() {
			code := codeIn(t, m)
			if regexp.MustCompile(`(^|\D)` + code + `(\D|$)`).MatchString(f.logs.String()) {
				t.Errorf("sign-in code %q in the logs:\n%s", code, f.logs)
			}
		}
	})
	return f
}

// useSigner makes the handler, and notify beside it, use s: notify makes
// the codes' digests with the key staff checks them with.
func (f *fixture) useSigner(s *link.Signer) {
	f.h.signer = s
	mail := config.Mail{ClinicName: f.h.cfg.ClinicName, ClinicEmails: []string{"frontdesk@example-clinic.com"}, SenderEmail: "alerts@example-clinic.com", TimeZone: eastern}
	cfg := config.Notify{Mail: mail, Concurrency: 1, StaffEmails: f.h.cfg.StaffEmails}
	f.notify = notify.New(cfg, f.store, f.mail, s, slog.New(slog.NewJSONHandler(f.logs, nil)), func() time.Time { return f.now })
}

// deliverCodes plays the table's stream after the email step: each code
// item that owes a code (the template's filter passes those, as
// ddb.IsCodeToSend) goes to the real notify handler as the INSERT record
// Lambda delivers, built from the item as stored, and notify makes the code,
// stores its digest and emails it.
func (f *fixture) deliverCodes(t *testing.T) {
	t.Helper()
	for _, c := range f.store.Codes() {
		if !c.Send {
			continue
		}
		img, err := ddb.CodeImage(c)
		if err != nil {
			t.Fatal(err)
		}
		rec := events.DynamoDBEventRecord{EventID: "code-" + c.Browser[:8], EventName: string(events.DynamoDBOperationTypeInsert), EventSource: "aws:dynamodb",
			Change: events.DynamoDBStreamRecord{NewImage: img, SequenceNumber: "1", StreamViewType: "NEW_IMAGE"}}
		res, err := f.notify.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("notify on the code item: %v, failures %v", err, res.BatchItemFailures)
		}
	}
}

// save stores another lead for the test and returns a token for it.
func (f *fixture) save(t *testing.T, l lead.Lead) string {
	t.Helper()
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	return signer.Sign(link.PurposeStaff, l.ID, f.now.Add(config.DefaultLinkTTL))
}

// get opens lead id as a browser does: with the emailed link's token, it
// follows the 303 to the page without it.
func (f *fixture) get(t *testing.T, id, token string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	if token == "" {
		return f.getURL(t, "/leads/"+id)
	}
	res := f.getURL(t, "/leads/"+id+"?t="+url.QueryEscape(token))
	if res.StatusCode != http.StatusSeeOther {
		return res
	}
	if want := "./" + id; res.Headers["Location"] != want {
		t.Fatalf("the link leads to %q, want %q", res.Headers["Location"], want)
	}
	return f.getURL(t, "/leads/"+id)
}

func (f *fixture) getURL(t *testing.T, path string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	route := "GET /leads/{id}"
	if strings.HasPrefix(path, "/staff") {
		route = "GET " + strings.SplitN(path, "?", 2)[0]
	}
	return f.do(t, testenv.HTTPRequest(t, http.MethodGet, route, path, ""))
}

func (f *fixture) post(t *testing.T, id string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return f.do(t, testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+id+"/contacted", form.Encode()))
}

func (f *fixture) postTo(t *testing.T, path string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	route := "POST " + path
	if strings.HasPrefix(path, "/leads/") {
		route = "POST /leads/{id}/contacted"
	}
	return f.do(t, testenv.HTTPRequest(t, http.MethodPost, route, path, form.Encode()))
}

// do sends req with the jar's cookies, keeps the cookies the answer sets,
// and checks the security headers.
func (f *fixture) do(t *testing.T, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req.Cookies = nil
	for name, v := range f.cookies {
		req.Cookies = append(req.Cookies, name+"="+v)
	}
	res, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if req.RouteKey == "POST /staff/signin" && !f.holdStream {
		f.deliverCodes(t)
	}
	for _, line := range res.Cookies {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if c.MaxAge < 0 {
			delete(f.cookies, c.Name)
		} else {
			f.cookies[c.Name] = c.Value
		}
	}
	got, want := map[string]string{}, maps.Clone(headers)
	for k := range headers {
		got[k] = res.Headers[k]
	}
	if strings.HasPrefix(res.Headers["Content-Disposition"], "attachment;") { // the export's CSV
		want["Content-Type"] = "text/csv; charset=utf-8"
	}
	if strings.HasPrefix(res.Headers["Content-Type"], "application/json") { // a patient's data (patient_test.go)
		want["Content-Type"] = "application/json; charset=utf-8"
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("%s %s: headers (-got +want):\n%s", req.RequestContext.HTTP.Method, req.RawPath, diff)
	}
	return res
}

func (f *fixture) stored(t *testing.T) lead.Lead {
	t.Helper()
	l, err := f.store.Get(context.Background(), f.lead.ID, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// send fills in the page's form for action (its hidden fields as
// rendered, plus fields) and posts it where a browser would.
func (f *fixture) send(t *testing.T, action string, fields url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	page := f.get(t, f.lead.ID, f.token)
	target, form := formOf(t, page.Body, action)
	for k, v := range fields {
		form[k] = v
	}
	next := pageURL(f.lead.ID).ResolveReference(target)
	return f.do(t, testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", next.Path, form.Encode()))
}

// record sends the attempt form with outcome and expects the 303.
func (f *fixture) record(t *testing.T, outcome lead.Outcome) {
	t.Helper()
	if res := f.send(t, actAttempt, url.Values{"outcome": {string(outcome)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record %s: status %d: %s", outcome, res.StatusCode, res.Body)
	}
}

// formToken is the form token of the lead's page for the fixture's
// session, opening the lead's link first when there is none.
func (f *fixture) formToken(t *testing.T) string {
	t.Helper()
	if f.cookies[access.CookieName] == "" {
		if res := f.get(t, f.lead.ID, f.token); res.StatusCode != http.StatusOK {
			t.Fatalf("open the lead: %d %s", res.StatusCode, res.Body)
		}
	}
	return access.FormToken(f.h.signer.Key(purposeForm), access.IDHash(f.cookies[access.CookieName]), f.lead.ID)
}

func pageURL(id string) *url.URL {
	return &url.URL{Scheme: "https", Host: "api.example-clinic.com", Path: "/leads/" + id}
}

var (
	formRE   = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// formOf reads the page's form for action: where it posts and its hidden
// fields, as a browser would send them.
func formOf(t *testing.T, page, action string) (*url.URL, url.Values) {
	t.Helper()
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		v := url.Values{}
		for _, in := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
			v.Set(in[1], html.UnescapeString(in[2]))
		}
		if v.Get("action") == action {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			return u, v
		}
	}
	t.Fatalf("no %s form on the page:\n%s", action, page)
	return nil, nil
}

func hasForm(page, action string) bool {
	return strings.Contains(page, `<input type="hidden" name="action" value="`+action+`">`)
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
	}
}

func TestPageShowsTheLeadAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	before := f.stored(t)
	// The emailed link: its token is exchanged for a session cookie, and
	// the browser sent to the page without it.
	res := f.getURL(t, "/leads/"+f.lead.ID+"?t="+f.token)
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "./"+f.lead.ID || len(res.Cookies) != 1 {
		t.Fatalf("the link: status %d, Location %q, cookies %q", res.StatusCode, res.Headers["Location"], res.Cookies)
	}
	// The link's session lasts as a signed-in one would, never past the
	// link: so does its cookie, across browser restarts.
	if c := res.Cookies[0]; !strings.HasPrefix(c, access.CookieName+"=") ||
		!strings.Contains(c, "; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax") || strings.Contains(c, "Domain") || strings.Contains(c, f.token) {
		t.Errorf("session cookie %q", c)
	}
	for _, method := range []string{http.MethodGet, http.MethodGet, http.MethodHead} { // mail scanners open every link, some more than once
		res := f.do(t, testenv.HTTPRequest(t, method, "GET /leads/{id}", "/leads/"+f.lead.ID, ""))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", method, res.StatusCode, res.Body)
		}
		mustContain(t, res.Body,
			"<h1>&lt;script&gt;Pat&lt;/script&gt; O&#39;Brien</h1>",
			`<a class="btn call" href="tel:&#43;12025550143">Call (202) 555-0143</a>`,
			`<p class="status">Not tried yet</p>`,
			`<form method="post" action="./`+f.lead.ID+`/contacted">`,
			`name="t" value="`+f.formToken(t)+`"`, `name="v" value="0"`, `name="action" value="attempt"`,
			`value="booked"`, `value="not-interested"`, `value="wrong-number"`, `name="channel" value="call" checked`,
			`name="callback" value="" min="2026-11-27T10:00" max="2027-02-25T10:00"`,
			"<button type=\"submit\">Record attempt</button>",
			"Thu 26 Nov, 8:00 AM (waiting 1 day 2 hours)", "Lower back pain\nfor three weeks",
			"First attempt: not yet", "First reached: not yet", "No attempts yet.",
			"<dt>Came from</dt><dd class=\"text\">www.google.com; a Google Ads click; utm_source=newsletter; first page /blog/back-pain; form on /blog/back-pain</dd>",
		)
		if strings.Contains(res.Body, "<script>") {
			t.Error("the name reached the page unescaped")
		}
		for _, action := range []string{actCorrect, actReopen} {
			if hasForm(res.Body, action) {
				t.Errorf("a new lead's page offers to %s", action)
			}
		}
	}
	if diff := cmp.Diff(f.stored(t), before); diff != "" {
		t.Errorf("a GET changed the lead (-got +want):\n%s", diff)
	}
}

func TestCameFrom(t *testing.T) {
	tests := []struct {
		name string
		src  lead.Source
		want string
	}{
		{"nothing known (a lead from before, or a form without JavaScript)", lead.Source{}, ""},
		{"the form's page alone says nothing of where the visit came from", lead.Source{Page: "https://www.example-clinic.com/contact"}, ""},
		{"a campaign that landed elsewhere",
			lead.Source{Page: "https://www.example-clinic.com/contact", UTM: map[string]string{"utm_campaign": "spring", "utm_source": "x", "fbclid": "IwAR"}, LandingPath: "/"},
			"a Facebook or Instagram click; utm_source=x, utm_campaign=spring; first page /; form on /contact"},
		{"a referring site only", lead.Source{Referrer: "https://duckduckgo.com"}, "duckduckgo.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cameFrom(tt.src); got != tt.want {
				t.Errorf("cameFrom = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTheFormStartsBeforeTheDetails(t *testing.T) {
	f := newFixture(t)
	body := f.get(t, f.lead.ID, f.token).Body
	order := []string{"<h1>", `class="btn call"`, `class="status"`, `<form method="post" action="./`, "Record attempt", "<h2>Details</h2>", "Reason for the visit", "<h2>History</h2>"}
	last := -1
	for _, s := range order {
		i := strings.Index(body, s)
		if i < last {
			t.Errorf("%q comes before what precedes it in %q", s, order)
		}
		last = i
	}
}

func TestPrimaryActions(t *testing.T) {
	tests := []struct {
		name             string
		change           func(*lead.Lead)
		want, wantNoneOf []string
	}{
		{
			name:       "prefers a call: call and email, no text",
			change:     func(*lead.Lead) {},
			want:       []string{`href="tel:&#43;12025550143">Call (202) 555-0143</a>`, `href="mailto:siobhan@example.com">Email</a>`},
			wantNoneOf: []string{`href="sms:`},
		},
		{
			name:   "prefers texts: text too",
			change: func(l *lead.Lead) { l.PreferredContact = lead.ByText },
			want:   []string{`href="tel:&#43;12025550143"`, `<a class="btn alt" href="sms:&#43;12025550143">Text</a>`},
		},
		{
			name:       "an address with a plus is percent-encoded",
			change:     func(l *lead.Lead) { l.Email = "pat+clinic@example.com" },
			want:       []string{`href="mailto:pat%2Bclinic@example.com">Email</a>`},
			wantNoneOf: []string{`mailto:pat+`},
		},
		{
			// Submit refuses such an address now; a lead stored before may hold it.
			name:       "a stored address with mailto: parameters links to that one address",
			change:     func(l *lead.Lead) { l.Email = "x?bcc=attacker%40evil.example&subject=hi@example.com" },
			want:       []string{`href="mailto:x%3Fbcc%3Dattacker%2540evil.example%26subject%3Dhi@example.com">Email</a>`},
			wantNoneOf: []string{`mailto:x?`, `%3Dattacker%40`, `&amp;subject=hi@example.com"`},
		},
		{
			name:       "no email: no email action",
			change:     func(l *lead.Lead) { l.Email = "" },
			wantNoneOf: []string{`mailto:`, ">Email</a>"},
		},
		{
			name:       "a stored phone that is not E.164 is shown, never linked",
			change:     func(l *lead.Lead) { l.Phone, l.PhoneDisplay, l.PreferredContact = "+0123456", "", lead.ByText },
			want:       []string{"<dt>Phone</dt><dd>&#43;0123456</dd>"},
			wantNoneOf: []string{`href="tel:`, `href="sms:`, "Call &#43;0123456"},
		},
		{
			name:   "a lead from before display phones were kept shows E.164",
			change: func(l *lead.Lead) { l.PhoneDisplay = "" },
			want:   []string{`href="tel:&#43;12025550143">Call &#43;12025550143</a>`},
		},
		{
			name:   "an international number as stored at submit",
			change: func(l *lead.Lead) { l.Phone, l.PhoneDisplay = "+442079460958", "+44 20 7946 0958" },
			want:   []string{`href="tel:&#43;442079460958">Call &#43;44 20 7946 0958</a>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			l := storetest.Lead(start.Add(-time.Hour))
			tt.change(&l)
			res := f.get(t, l.ID, f.save(t, l))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, res.Body)
			}
			mustContain(t, res.Body, tt.want...)
			for _, s := range tt.wantNoneOf {
				if strings.Contains(res.Body, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
}

func TestEveryOutcomeIsAccepted(t *testing.T) {
	want := map[lead.Outcome]struct {
		status lead.Status
		closed lead.Reason
	}{
		lead.NoAnswer:      {lead.StatusOpen, ""},
		lead.LeftMessage:   {lead.StatusOpen, ""},
		lead.Reached:       {lead.StatusOpen, ""},
		lead.Booked:        {lead.StatusClosed, lead.ClosedBooked},
		lead.NotInterested: {lead.StatusClosed, lead.ClosedNotInterested},
		lead.WrongNumber:   {lead.StatusClosed, lead.ClosedWrongNumber},
	}
	if len(want) != len(lead.Outcomes) {
		t.Fatalf("the test knows %d outcomes, the lead %d", len(want), len(lead.Outcomes))
	}
	for _, o := range lead.Outcomes {
		t.Run(string(o), func(t *testing.T) {
			f := newFixture(t)
			f.record(t, o)
			l := f.stored(t)
			got := []any{l.Status, l.Closed, len(l.History), l.History[0].Outcome, l.History[0].Channel, l.History[0].By, l.Version}
			if diff := cmp.Diff(got, []any{want[o].status, want[o].closed, 1, o, lead.ChannelCall, lead.ByLink, 1}); diff != "" {
				t.Errorf("stored (-got +want):\n%s", diff)
			}
		})
	}
}

func TestAttemptAnswers303ThenThePageShowsIt(t *testing.T) {
	f := newFixture(t)
	res := f.send(t, actAttempt, url.Values{"outcome": {"no-answer"}, "channel": {"text"}, "note": {"Booked Tue? no: voicemail full"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	loc := res.Headers["Location"]
	if want := "../" + f.lead.ID + "?saved=attempt"; loc != want {
		t.Errorf("Location %q, want %q", loc, want)
	}
	// Relative, so it leads back to the page behind any base path.
	for _, base := range []string{"https://api.example-clinic.com", "https://abc.execute-api.us-east-1.amazonaws.com/prod"} {
		posted, _ := url.Parse(base + "/leads/" + f.lead.ID + "/contacted")
		ref, _ := url.Parse(loc)
		if got, want := posted.ResolveReference(ref).String(), base+"/leads/"+f.lead.ID+"?saved=attempt"; got != want {
			t.Errorf("from %s: Location leads to %s, want %s", posted, got, want)
		}
	}

	// The patient asked for the morning: 2 hours later is past it.
	page := f.getURL(t, "/leads/"+f.lead.ID+"?saved=attempt")
	mustContain(t, page.Body,
		`<p class="msg" role="status">Recorded: no answer. Next call-back Sat 28 Nov, 9:00 AM.</p>`,
		`<p class="status">Open: call back Sat 28 Nov, 9:00 AM (1 try; 1 of 4 since the request)</p>`,
		"<dt>Next call-back</dt><dd>Sat 28 Nov, 9:00 AM</dd>",
		`<li><span class="when">Fri 27 Nov, 10:00 AM, by emailed link</span>No answer (text)<div class="text">Booked Tue? no: voicemail full</div></li>`,
		`name="v" value="1"`, "First attempt: 1 day 2 hours after the request", "First reached: not yet",
		"<summary>Correct the latest outcome (No answer)</summary>",
	)
	if !hasForm(page.Body, actAttempt) || !hasForm(page.Body, actCorrect) || hasForm(page.Body, actReopen) {
		t.Error("an open lead's page offers the attempt and correct forms only")
	}
	if plain := f.get(t, f.lead.ID, f.token); strings.Contains(plain.Body, "Recorded:") {
		t.Error("the confirmation shows without ?saved")
	}
}

func TestTheSameFormTwiceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	target, form := formOf(t, f.get(t, f.lead.ID, f.token).Body, actAttempt)
	form.Set("outcome", "left-message")
	path := pageURL(f.lead.ID).ResolveReference(target).Path
	send := func() events.APIGatewayV2HTTPResponse {
		return f.do(t, testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", path, form.Encode()))
	}
	if res := send(); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first: status %d: %s", res.StatusCode, res.Body)
	}
	again := send() // reload of the POST, or Back and send again
	if again.StatusCode != http.StatusConflict {
		t.Errorf("again: status %d, want 409", again.StatusCode)
	}
	mustContain(t, again.Body,
		"Nothing recorded: this request changed since the page was opened (perhaps this form was already sent). Here it is now.",
		"Left a message (call)", `name="v" value="1"`, `<form method="post" action="./contacted">`)
	if l := f.stored(t); len(l.History) != 1 || l.Version != 1 {
		t.Errorf("stored %d events at version %d, want 1 at 1", len(l.History), l.Version)
	}
}

// racingStore records another attempt just before the handler's own write.
type racingStore struct {
	*storetest.MemStore
	meanwhile func()
}

func (s *racingStore) Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error) {
	if s.meanwhile != nil {
		s.meanwhile()
		s.meanwhile = nil
	}
	return s.MemStore.Progress(ctx, l, now)
}

func TestAnAttemptRecordedMeanwhileWins(t *testing.T) {
	race := &racingStore{MemStore: storetest.NewMemStore()}
	f := newFixtureWith(t, lead.Policy{MaxAttempts: 4, Hours: everyDay}, race)
	race.meanwhile = func() { // another desk records booked
		l := f.stored(t)
		if err := l.Record(lead.Event{At: f.now, Outcome: lead.Booked, Channel: lead.ChannelCall, By: lead.ByLink}, lead.Policy{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Progress(context.Background(), l, f.now); err != nil {
			t.Fatal(err)
		}
	}
	res := f.send(t, actAttempt, url.Values{"outcome": {"no-answer"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("status %d, want 409: %s", res.StatusCode, res.Body)
	}
	mustContain(t, res.Body, "Nothing recorded: this request changed", "Closed: booked on Fri 27 Nov, 10:00 AM")
	if l := f.stored(t); len(l.History) != 1 || l.History[0].Outcome != lead.Booked {
		t.Errorf("stored %+v, want the other desk's booked alone", l.History)
	}
}

func TestCallbacksFollowTheCadenceInTheClinicsZone(t *testing.T) {
	f := newFixture(t)
	steps := []struct {
		at   time.Time // when staff record no-answer
		want string    // the call-back then due, in New York
	}{
		{start, "2026-11-28 09:00"},                         // 2 hours later is past the morning the patient asked for: the next morning
		{start.Add(7 * time.Hour), "2026-11-28 09:00"},      // 5 PM: the next morning
		{start.Add(24 * time.Hour), "2026-11-30 09:00"},     // then two days later
		{start.Add(24*time.Hour + time.Minute), "(closed)"}, // the 4th try
	}
	for _, s := range steps {
		f.now = s.at
		f.record(t, lead.NoAnswer)
		l := f.stored(t)
		got := "(closed)"
		if l.Status == lead.StatusOpen {
			got = l.Callback.In(eastern).Format("2006-01-02 15:04")
		}
		if got != s.want {
			t.Errorf("no answer at %s: call back %s, want %s", s.at.In(eastern).Format(time.Kitchen), got, s.want)
		}
	}
}

func TestMaxAttemptsCloseAsUnreachable(t *testing.T) {
	f := newFixtureWith(t, lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 2, Hours: everyDay}, nil)
	f.record(t, lead.NoAnswer)
	if got := f.get(t, f.lead.ID, f.token).Body; !strings.Contains(got, "(1 try; 1 of 2 since the request)") {
		t.Errorf("after one try the page does not count 1 of 2:\n%s", got)
	}
	f.record(t, lead.LeftMessage)
	l := f.stored(t)
	if l.Status != lead.StatusClosed || l.Closed != lead.ClosedUnreachable || !l.Unreported {
		t.Errorf("stored %s %q (unreported %v), want closed unreachable", l.Status, l.Closed, l.Unreported)
	}
	page := f.getURL(t, "/leads/"+f.lead.ID+"?saved=attempt").Body
	mustContain(t, page, "Recorded: left a message. Closed: unreachable after 2 tries.",
		`<p class="status">Closed: unreachable after 2 tries on Fri 27 Nov, 10:00 AM</p>`,
		`This request is closed (unreachable after 2 tries on Fri 27 Nov 2026); nothing can be recorded on it from an emailed link. <a href="../staff/signin?next=leads%2F`+f.lead.ID+`">Sign in to reopen or correct it</a>.`)
	if hasForm(page, actAttempt) || hasForm(page, actReopen) || hasForm(page, actCorrect) {
		t.Error("a closed lead's page offers a form to the emailed link's session")
	}
	f.signIn(t)
	page = f.getURL(t, "/leads/"+f.lead.ID).Body
	mustContain(t, page, "<button type=\"submit\">Reopen</button>")
	if hasForm(page, actAttempt) || !hasForm(page, actReopen) || !hasForm(page, actCorrect) || strings.Contains(page, "Sign in to reopen") {
		t.Error("a closed lead's page offers signed-in staff reopen and correct, not another attempt")
	}
}

func TestCorrectThenReopen(t *testing.T) {
	f := newFixture(t)
	f.record(t, lead.LeftMessage)

	// The patient calls back and books.
	f.now = start.Add(3 * time.Hour)
	res := f.send(t, actCorrect, url.Values{"outcome": {"booked"}, "note": {"Called back, booked Tue 10:00"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Headers["Location"], "?saved=correct") {
		t.Fatalf("correct: status %d, Location %q: %s", res.StatusCode, res.Headers["Location"], res.Body)
	}
	if l := f.stored(t); l.Status != lead.StatusClosed || l.Closed != lead.ClosedBooked || !l.FirstReach.Equal(start) {
		t.Errorf("after the correction: %s %q, first reach %v", l.Status, l.Closed, l.FirstReach)
	}
	page := f.getURL(t, "/leads/"+f.lead.ID+"?saved=correct").Body
	mustContain(t, page, "Corrected: the latest outcome is now booked. The request is closed.",
		"Closed: booked on Fri 27 Nov, 1:00 PM", "First reached: 1 day 2 hours after the request",
		`<span class="when">Fri 27 Nov, 1:00 PM, by emailed link</span>Corrected to booked<div class="text">Called back, booked Tue 10:00</div>`,
		`<span class="when">Fri 27 Nov, 10:00 AM, by emailed link</span>Left a message (call)</li>`)

	// The booking falls through: reopen (signed in), with a call-back picked.
	f.now = start.Add(24 * time.Hour)
	f.signIn(t)
	res = f.send(t, actReopen, url.Values{"callback": {"2026-11-30T11:30"}, "note": {"Cancelled"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Headers["Location"], "?saved=reopen") {
		t.Fatalf("reopen: status %d, Location %q: %s", res.StatusCode, res.Headers["Location"], res.Body)
	}
	page = f.getURL(t, "/leads/"+f.lead.ID+"?saved=reopen").Body
	mustContain(t, page, "Reopened. Next call-back Mon 30 Nov, 11:30 AM.", "Open: call back Mon 30 Nov, 11:30 AM (1 try; 0 of 4 since it was reopened)",
		"Reopened; call back Mon 30 Nov, 11:30 AM", "Corrected to booked", "Left a message (call)")
	if !hasForm(page, actAttempt) || hasForm(page, actCorrect) || hasForm(page, actReopen) {
		t.Error("a reopened lead offers the attempt form only (nothing to correct since)")
	}
	l := f.stored(t)
	var kinds []lead.EventKind
	for _, e := range l.History {
		kinds = append(kinds, e.Kind)
	}
	if diff := cmp.Diff(kinds, []lead.EventKind{lead.EventAttempt, lead.EventCorrection, lead.EventReopen}); diff != "" {
		t.Errorf("history (-got +want):\n%s", diff)
	}
}

func TestActionsTheLeadsStateRefuses(t *testing.T) {
	t.Run("an attempt on a closed lead offers reopening", func(t *testing.T) {
		f := newFixture(t)
		f.signIn(t)
		f.record(t, lead.Booked)
		res := f.post(t, f.lead.ID, url.Values{"t": {f.formToken(t)}, "v": {"1"}, "outcome": {"no-answer"}})
		if res.StatusCode != http.StatusConflict {
			t.Errorf("status %d, want 409", res.StatusCode)
		}
		mustContain(t, res.Body, "Nothing recorded: this request is closed (booked on Fri 27 Nov 2026). Reopen it below", "Reopen</button>")
		if l := f.stored(t); len(l.History) != 1 {
			t.Errorf("%d events stored", len(l.History))
		}
	})
	t.Run("correcting with no attempt", func(t *testing.T) {
		f := newFixture(t)
		res := f.post(t, f.lead.ID, url.Values{"t": {f.formToken(t)}, "v": {"0"}, "action": {"correct"}, "outcome": {"booked"}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "Nothing changed: there is no attempt to correct") {
			t.Errorf("status %d: %s", res.StatusCode, res.Body)
		}
	})
	t.Run("reopening an open lead", func(t *testing.T) {
		f := newFixture(t)
		res := f.post(t, f.lead.ID, url.Values{"t": {f.formToken(t)}, "v": {"0"}, "action": {"reopen"}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "Nothing changed: this request is already open.") {
			t.Errorf("status %d: %s", res.StatusCode, res.Body)
		}
	})
}

func TestAPickedCallbackIsUsed(t *testing.T) {
	f := newFixture(t)
	res := f.send(t, actAttempt, url.Values{"outcome": {"reached"}, "callback": {"2026-12-01T14:00"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	l := f.stored(t)
	if want := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC); !l.Callback.Equal(want) || !l.History[0].Callback.Equal(want) {
		t.Errorf("call-back %v (event %v), want %v", l.Callback, l.History[0].Callback, want)
	}
	mustContain(t, f.getURL(t, "/leads/"+f.lead.ID+"?saved=attempt").Body,
		"Recorded: reached, not booked yet. Next call-back Tue 1 Dec, 2:00 PM.", "First reached: 1 day 2 hours after the request")
}

func TestBadFormsChangeNothing(t *testing.T) {
	tests := []struct {
		name      string
		form      url.Values
		wantError string
		wantKept  []string // what staff entered, back in the form
	}{
		{"no outcome", url.Values{}, "Choose what came of it.", nil},
		{"unknown outcome", url.Values{"outcome": {"sold"}, "note": {"kept"}}, "Choose what came of it.", []string{">kept</textarea>"}},
		{"unknown channel", url.Values{"outcome": {"booked"}, "channel": {"fax"}}, "Choose how you tried", []string{`value="booked" required checked`}},
		{"note too long", url.Values{"outcome": {"booked"}, "note": {strings.Repeat("n", lead.MaxNote+1)}}, "The note:", nil},
		{"NUL in the note", url.Values{"outcome": {"booked"}, "note": {"a\x00b"}}, "The note:", nil},
		{"a call-back in the past", url.Values{"outcome": {"no-answer"}, "channel": {"email"}, "callback": {"2026-11-27T09:59"}},
			"The call-back time has passed", []string{`value="2026-11-27T09:59"`, `value="email" checked`}},
		{"a call-back not a time", url.Values{"outcome": {"no-answer"}, "callback": {"Tuesday afternoon"}},
			"The call-back time: give a date and a time, such as 2026-11-28T10:00.", []string{`value="Tuesday afternoon"`}},
		{"a call-back beyond 90 days", url.Values{"outcome": {"no-answer"}, "callback": {"2027-02-26T10:00"}},
			"The call-back time: pick one within 90 days.", nil},
		{"no version", url.Values{"v": {""}, "outcome": {"booked"}}, "This form was out of date.", []string{`value="booked" required checked`}},
		{"a version not a number", url.Values{"v": {"x"}, "outcome": {"booked"}}, "This form was out of date.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			form := url.Values{"t": {f.formToken(t)}, "v": {"0"}}
			for k, v := range tt.form {
				form[k] = v
			}
			res := f.post(t, f.lead.ID, form)
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.StatusCode)
			}
			mustContain(t, res.Body, append(tt.wantKept, `<p class="err" id="attempt-error" role="alert">`+html.EscapeString(tt.wantError),
				`<form method="post" action="./contacted">`, `name="v" value="0"`)...)
			if l := f.stored(t); l.Status != lead.StatusNew || l.Version != 0 {
				t.Error("a bad form changed the lead")
			}
		})
	}
	t.Run("an unknown action", func(t *testing.T) {
		f := newFixture(t)
		res := f.post(t, f.lead.ID, url.Values{"t": {f.formToken(t)}, "v": {"0"}, "action": {"delete"}, "outcome": {"booked"}})
		if res.StatusCode != http.StatusBadRequest || f.stored(t).Status != lead.StatusNew {
			t.Errorf("status %d, lead %s", res.StatusCode, f.stored(t).Status)
		}
	})
	t.Run("a bad correction opens the folded form with the error", func(t *testing.T) {
		f := newFixture(t)
		f.record(t, lead.NoAnswer)
		res := f.post(t, f.lead.ID, url.Values{"t": {f.formToken(t)}, "v": {"1"}, "action": {"correct"}, "outcome": {"maybe"}})
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", res.StatusCode)
		}
		mustContain(t, res.Body, "<details open>", `<p class="err" id="correct-error" role="alert">Choose what came of it.</p>`)
		if l := f.stored(t); len(l.History) != 1 {
			t.Errorf("%d events stored", len(l.History))
		}
	})
}

func TestSpeedToLead(t *testing.T) {
	f := newFixture(t)
	l := storetest.Lead(start.Add(-25 * time.Minute))
	f.lead, f.token = l, f.save(t, l)
	f.record(t, lead.NoAnswer)
	f.now = start.Add(95 * time.Minute)
	f.record(t, lead.Reached)
	mustContain(t, f.get(t, l.ID, f.token).Body,
		"First attempt: 25 minutes after the request", "First reached: 2 hours after the request")
	var line map[string]any // the last line about an attempt
	for _, s := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatal(err)
		}
		if l["msg"] == "attempt recorded" {
			line = l
		}
	}
	got := map[string]any{}
	for _, k := range []string{"msg", "leadId", "action", "outcome", "channel", "status", "tries", "firstAttemptAfter", "firstReachAfter"} {
		got[k] = line[k]
	}
	want := map[string]any{"msg": "attempt recorded", "leadId": l.ID, "action": "attempt", "outcome": "reached", "channel": "call",
		"status": "open", "tries": 0.0, "firstAttemptAfter": "25m0s", "firstReachAfter": "2h0m0s"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("the last attempt's log line (-got +want):\n%s", diff)
	}
}

// TestALeadThePreviousVersionMarked: an item the previous version wrote
// (status contacted, contactedAt, outcome, note) reaches the page as ddb
// reads it: open, its one attempt in the history, one try counted, no
// call-back set.
func TestALeadThePreviousVersionMarked(t *testing.T) {
	f := newFixture(t)
	contactedAt := start.Add(-20 * time.Hour)
	l := storetest.Lead(start.Add(-26 * time.Hour))
	l.Status, l.Tries, l.FirstAttempt = lead.StatusOpen, 1, contactedAt
	l.History = []lead.Event{{At: contactedAt, Kind: lead.EventAttempt, Outcome: lead.LeftMessage, Channel: lead.ChannelCall,
		Note: "Left a voicemail", By: lead.ByLink}}
	f.lead, f.token = l, f.save(t, l)
	page := f.get(t, l.ID, f.token)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", page.StatusCode, page.Body)
	}
	mustContain(t, page.Body, `<p class="status">Open: call back now (1 try; 1 of 4 since the request)</p>`,
		`<span class="when">Thu 26 Nov, 2:00 PM, by emailed link</span>Left a message (call)<div class="text">Left a voicemail</div>`,
		"First attempt: 6 hours after the request", "<summary>Correct the latest outcome (Left a message)</summary>")
	f.record(t, lead.Booked)
	got := f.stored(t)
	if got.Status != lead.StatusClosed || got.Closed != lead.ClosedBooked || len(got.History) != 2 || !got.FirstAttempt.Equal(contactedAt) {
		t.Errorf("stored %s %q, %d events, first attempt %v", got.Status, got.Closed, len(got.History), got.FirstAttempt)
	}
}

func TestExpiredLinks(t *testing.T) {
	f := newFixture(t)
	closed := storetest.Lead(start.Add(-50 * time.Hour))
	closed.Status, closed.Closed, closed.ClosedAt = lead.StatusClosed, lead.ClosedBooked, start.Add(-time.Hour)
	closed.History = []lead.Event{{At: start.Add(-time.Hour), Kind: lead.EventAttempt, Outcome: lead.Booked, Channel: lead.ChannelCall, By: lead.ByLink}}
	f.save(t, closed)
	unreachable := storetest.Lead(start.Add(-50 * time.Hour))
	unreachable.Status, unreachable.Closed, unreachable.ClosedAt, unreachable.Tries = lead.StatusClosed, lead.ClosedUnreachable, start.Add(-26*time.Hour), 4
	for i := range 4 {
		unreachable.History = append(unreachable.History, lead.Event{At: start.Add(time.Duration(i-30) * time.Hour), Kind: lead.EventAttempt,
			Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: lead.ByLink})
	}
	f.save(t, unreachable)
	open := storetest.Lead(start.Add(-50 * time.Hour))
	open.Status, open.Callback = lead.StatusOpen, start
	f.save(t, open)

	tests := []struct {
		name string
		id   string
		want string
	}{
		{"closed as booked", closed.ID, "This request is closed (booked on Fri 27 Nov 2026). Sign in to reopen or correct it."},
		{"closed as unreachable", unreachable.ID, "This request is closed (unreachable after 4 tries on Thu 26 Nov 2026). Sign in to reopen or correct it."},
		{"open", open.ID, "Use the link in a newer email (the daily follow-up sends fresh ones for every request still waiting), or sign in to see the inbox."},
		{"new", f.lead.ID, "Use the link in a newer email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expired := signer.Sign(link.PurposeStaff, tt.id, start.Add(-time.Second))
			for i, res := range []events.APIGatewayV2HTTPResponse{
				f.get(t, tt.id, expired),
				f.post(t, tt.id, url.Values{"t": {expired}, "v": {"0"}, "outcome": {"booked"}}),
			} {
				if res.StatusCode != http.StatusForbidden || len(res.Cookies) != 0 {
					t.Errorf("status %d, cookies %q; want 403 and no session", res.StatusCode, res.Cookies)
				}
				if i == 0 {
					mustContain(t, res.Body, tt.want)
				}
				for _, p := range []string{"Siobh", "Pat", "0143", "example.com", "back pain", "<form"} {
					if strings.Contains(res.Body, p) {
						t.Errorf("an expired link shows %q", p)
					}
				}
			}
		})
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	f := newFixture(t)
	other := storetest.Lead(start)
	f.save(t, other)
	tampered := []byte(f.token)
	tampered[len(tampered)-3] ^= 1
	tests := map[string]string{
		"missing":    "",
		"forged":     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"tampered":   string(tampered),
		"expired":    signer.Sign(link.PurposeStaff, f.lead.ID, start.Add(-time.Second)),
		"other lead": signer.Sign(link.PurposeStaff, other.ID, start.Add(time.Hour)),
		"other key":  mustSigner(t, "another-secret-another-secret-xx").Sign(link.PurposeStaff, f.lead.ID, start.Add(time.Hour)),
		// Made to last longer than LINK_TTL allows (a 14-day link from
		// before it was shortened, or a forger who holds the key).
		"beyond LINK_TTL": signer.Sign(link.PurposeStaff, f.lead.ID, start.Add(config.DefaultLinkTTL+2*time.Minute)),
		"other use":       signer.Sign("digest", f.lead.ID, start.Add(time.Hour)),
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			res := f.get(t, f.lead.ID, token)
			if name == "missing" { // no link and no session: sign in first
				if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff/signin?next=leads%2F"+f.lead.ID {
					t.Errorf("GET: status %d, Location %q; want 303 to sign-in", res.StatusCode, res.Headers["Location"])
				}
			} else if res.StatusCode != http.StatusForbidden || strings.Contains(res.Body, "Brien") || len(f.cookies) != 0 {
				t.Errorf("GET: status %d, cookies %v; want 403 without the lead or a session", res.StatusCode, f.cookies)
			}
			res = f.post(t, f.lead.ID, url.Values{"t": {token}, "v": {"0"}, "outcome": {"booked"}})
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("POST: status %d, want 403", res.StatusCode)
			}
			if l := f.stored(t); l.Status != lead.StatusNew {
				t.Error("a refused POST changed the lead")
			}
		})
	}
}

func mustSigner(t *testing.T, secret string) *link.Signer {
	s, err := link.NewSigner([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUnknownLead(t *testing.T) {
	f := newFixture(t)
	id := "9d9d9d9d-0000-4000-8000-000000000000"
	token := signer.Sign(link.PurposeStaff, id, start.Add(time.Hour))
	if res := f.get(t, id, token); res.StatusCode != http.StatusNotFound || len(f.cookies) != 0 {
		t.Errorf("GET: status %d, cookies %v; want 404 and no session", res.StatusCode, f.cookies)
	}
	f.signIn(t)
	form := url.Values{"t": {access.FormToken(f.h.signer.Key(purposeForm), access.IDHash(f.cookies[access.CookieName]), id)}, "v": {"0"}, "outcome": {"booked"}}
	if res := f.post(t, id, form); res.StatusCode != http.StatusNotFound {
		t.Errorf("POST: status %d, want 404", res.StatusCode)
	}
}

func TestWrongMethods(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ method, route, path, allow string }{
		{http.MethodPost, "POST /leads/{id}", "/leads/" + f.lead.ID, "GET, HEAD"},
		{http.MethodPut, "PUT /leads/{id}", "/leads/" + f.lead.ID, "GET, HEAD"},
		{http.MethodGet, "GET /leads/{id}/contacted", "/leads/" + f.lead.ID + "/contacted", "POST"},
	} {
		res := f.do(t, testenv.HTTPRequest(t, tt.method, tt.route, tt.path, ""))
		if res.StatusCode != http.StatusMethodNotAllowed || res.Headers["Allow"] != tt.allow {
			t.Errorf("%s %s: status %d, Allow %q; want 405, %q", tt.method, tt.path, res.StatusCode, res.Headers["Allow"], tt.allow)
		}
	}
	if l := f.stored(t); l.Version != 0 {
		t.Error("a refused method changed the lead")
	}
}

func TestStoreDown(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"t": {f.formToken(t)}, "v": {"0"}, "outcome": {"booked"}} // signed in by the link
	f.store.Err = errors.New("dial tcp: connection refused")
	expired := signer.Sign(link.PurposeStaff, f.lead.ID, start.Add(-time.Second))
	for name, res := range map[string]events.APIGatewayV2HTTPResponse{
		"GET":          f.getURL(t, "/leads/"+f.lead.ID),
		"link":         f.getURL(t, "/leads/"+f.lead.ID+"?t="+f.token),
		"POST":         f.post(t, f.lead.ID, form),
		"expired link": f.getURL(t, "/leads/"+f.lead.ID+"?t="+expired),
		"inbox":        f.getURL(t, "/staff"),
		"sign-in":      f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}}),
	} {
		if res.StatusCode != http.StatusServiceUnavailable || res.Headers["Retry-After"] == "" || strings.Contains(res.Body, "dial") {
			t.Errorf("%s: status %d, Retry-After %q: %s", name, res.StatusCode, res.Headers["Retry-After"], res.Body)
		}
	}
}

func TestTheFormsWorkBehindABasePath(t *testing.T) {
	f := newFixture(t)
	base := "https://abc.execute-api.us-east-1.amazonaws.com/prod"
	pagePath, _ := url.Parse(base + "/leads/" + f.lead.ID + "?t=" + f.token)
	target, form := formOf(t, f.get(t, f.lead.ID, f.token).Body, actAttempt)
	if got, want := pagePath.ResolveReference(target).String(), base+"/leads/"+f.lead.ID+"/contacted"; got != want {
		t.Errorf("the page's form posts to %s, want %s", got, want)
	}
	// A page answering a POST (here a refused form) posts to the same place.
	refused := f.post(t, f.lead.ID, url.Values{"t": {f.formToken(t)}, "v": {"0"}, "outcome": {"sold"}})
	target, _ = formOf(t, refused.Body, actAttempt)
	postPath, _ := url.Parse(base + "/leads/" + f.lead.ID + "/contacted")
	if got, want := postPath.ResolveReference(target).String(), base+"/leads/"+f.lead.ID+"/contacted"; got != want {
		t.Errorf("the refused form posts to %s, want %s", got, want)
	}
	if form.Get("v") != strconv.Itoa(f.stored(t).Version) {
		t.Errorf("the form carries version %q", form.Get("v"))
	}
}

// TestAPostNeedsThePagesOwnForm: a POST records only with a session that
// may open the lead and its page's form token, never with a link's token
// (in the query or the body), and never from another site.
func TestAPostNeedsThePagesOwnForm(t *testing.T) {
	f := newFixture(t)
	post := func(t *testing.T, query string, form url.Values, fetchSite string) int {
		t.Helper()
		req := testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+f.lead.ID+"/contacted"+query, form.Encode())
		if fetchSite != "" {
			req.Headers["sec-fetch-site"] = fetchSite
		}
		return f.do(t, req).StatusCode
	}
	bare := url.Values{"v": {"0"}, "outcome": {"booked"}}
	withLink := url.Values{"t": {f.token}, "v": {"0"}, "outcome": {"booked"}}
	t.Run("no session: the link's token in the query", func(t *testing.T) {
		if got := post(t, "?t="+url.QueryEscape(f.token), bare, ""); got != http.StatusForbidden {
			t.Errorf("status %d, want 403", got)
		}
	})
	t.Run("no session: the link's token in the body", func(t *testing.T) {
		if got := post(t, "", withLink, "same-origin"); got != http.StatusForbidden {
			t.Errorf("status %d, want 403", got)
		}
	})
	own := url.Values{"t": {f.formToken(t)}, "v": {"0"}, "outcome": {"booked"}} // opens the link: a session
	t.Run("a session, but the link's token for the form's", func(t *testing.T) {
		if got := post(t, "", withLink, "same-origin"); got != http.StatusForbidden {
			t.Errorf("status %d, want 403", got)
		}
	})
	t.Run("a session, but no form token", func(t *testing.T) {
		if got := post(t, "?t="+url.QueryEscape(f.token), bare, "same-origin"); got != http.StatusForbidden {
			t.Errorf("status %d, want 403", got)
		}
	})
	t.Run("another lead's form token", func(t *testing.T) {
		other := url.Values{"t": {access.FormToken(f.h.signer.Key(purposeForm), access.IDHash(f.cookies[access.CookieName]), "another-lead")}, "v": {"0"}, "outcome": {"booked"}}
		if got := post(t, "", other, "same-origin"); got != http.StatusForbidden {
			t.Errorf("status %d, want 403", got)
		}
	})
	t.Run("the page's own form from another site", func(t *testing.T) {
		if got := post(t, "", own, "cross-site"); got != http.StatusForbidden {
			t.Errorf("status %d, want 403", got)
		}
	})
	if l := f.stored(t); l.Status != lead.StatusNew || len(l.History) != 0 {
		t.Errorf("a refused POST changed the lead: %s, %d events", l.Status, len(l.History))
	}
	if got := post(t, "", own, "same-origin"); got != http.StatusSeeOther {
		t.Errorf("the page's own form: status %d, want 303", got)
	}
}

// TestTheRoutesWorkUnderABasePath: behind a custom domain's mapping or a
// named stage the path keeps its prefix; the route key and the id path
// parameter still name the page, and without a route key the path's last
// segments do.
func TestTheRoutesWorkUnderABasePath(t *testing.T) {
	f := newFixture(t)
	prefixed := func(method, route, path string, form url.Values, withKey bool) events.APIGatewayV2HTTPResponse {
		t.Helper()
		req := testenv.HTTPRequest(t, method, route, path, form.Encode())
		req.RawPath, req.RequestContext.HTTP.Path = "/clinic"+req.RawPath, "/clinic"+req.RequestContext.HTTP.Path
		if !withKey {
			req.RouteKey, req.RequestContext.RouteKey, req.PathParameters = "", "", nil
		}
		return f.do(t, req)
	}
	for _, withKey := range []bool{true, false} {
		f.cookies = map[string]string{}
		if res := prefixed(http.MethodGet, "GET /staff", "/staff", nil, withKey); res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "staff/signin?next=staff" {
			t.Fatalf("route key %v: inbox: %d %q", withKey, res.StatusCode, res.Headers["Location"])
		}
		if res := prefixed(http.MethodGet, "GET /staff/signin", "/staff/signin", nil, withKey); res.StatusCode != http.StatusOK {
			t.Fatalf("route key %v: sign-in page: %d", withKey, res.StatusCode)
		}
		link := prefixed(http.MethodGet, "GET /leads/{id}", "/leads/"+f.lead.ID+"?t="+url.QueryEscape(f.token), nil, withKey)
		if link.StatusCode != http.StatusSeeOther || link.Headers["Location"] != "./"+f.lead.ID {
			t.Fatalf("route key %v: the link: %d %q", withKey, link.StatusCode, link.Headers["Location"])
		}
		page := prefixed(http.MethodGet, "GET /leads/{id}", "/leads/"+f.lead.ID, nil, withKey)
		if page.StatusCode != http.StatusOK {
			t.Fatalf("route key %v: the page: %d", withKey, page.StatusCode)
		}
		_, form := formOf(t, page.Body, actAttempt)
		form.Set("outcome", "no-answer")
		if res := prefixed(http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+f.lead.ID+"/contacted", form, withKey); res.StatusCode != http.StatusSeeOther {
			t.Errorf("route key %v: the attempt: %d %s", withKey, res.StatusCode, res.Body)
		}
	}
	if res := f.do(t, testenv.HTTPRequest(t, http.MethodGet, "GET /elsewhere", "/elsewhere", "")); res.StatusCode != http.StatusNotFound {
		t.Errorf("another route: %d, want 404", res.StatusCode)
	}
}
