package staff

import (
	"bytes"
	"context"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/storetest"
	"github.com/openclinic/leadhandler/internal/testenv"
)

var (
	now       = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	secret    = []byte("0123456789abcdef0123456789abcdef")
	signer, _ = link.NewSigner(secret)
)

type fixture struct {
	h     *Handler
	store *storetest.MemStore
	logs  *bytes.Buffer
	lead  lead.Lead
	token string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	eastern, _ := time.LoadLocation("America/New_York")
	f := &fixture{store: storetest.NewMemStore(), logs: &bytes.Buffer{}}
	f.h = New(config.Staff{Table: "leads", ClinicName: "Relief Physical Therapy", TimeZone: eastern},
		f.store, signer, slog.New(slog.NewJSONHandler(f.logs, nil)), func() time.Time { return now })
	f.lead = storetest.Lead(now.Add(-26 * time.Hour))
	f.lead.Name = "<script>Pat</script> O'Brien"
	if err := f.store.Save(context.Background(), f.lead, nil); err != nil {
		t.Fatal(err)
	}
	f.token = signer.Sign(link.PurposeStaff, f.lead.ID, now.Add(14*24*time.Hour))
	t.Cleanup(func() {
		for _, p := range []string{"Pat", f.lead.Email, f.lead.Phone, "back pain", "Booked Tue"} {
			if strings.Contains(f.logs.String(), p) {
				t.Errorf("personal data %q in the logs:\n%s", p, f.logs)
			}
		}
	})
	return f
}

func (f *fixture) get(t *testing.T, id, token string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return f.do(t, testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", "/leads/"+id+"?t="+url.QueryEscape(token), ""))
}

func (f *fixture) post(t *testing.T, id string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return f.do(t, testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+id+"/contacted", form.Encode()))
}

func (f *fixture) do(t *testing.T, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	res, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Headers["Content-Type"]; ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, h := range []string{"Cache-Control", "Referrer-Policy", "Content-Security-Policy", "X-Robots-Tag"} {
		if res.Headers[h] == "" {
			t.Errorf("no %s header", h)
		}
	}
	return res
}

func (f *fixture) stored(t *testing.T) lead.Lead {
	t.Helper()
	l, err := f.store.Get(context.Background(), f.lead.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPageShowsTheLeadAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	for range 2 { // mail scanners open every link, some more than once
		res := f.get(t, f.lead.ID, f.token)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, res.Body)
		}
		for _, want := range []string{
			"&lt;script&gt;Pat&lt;/script&gt; O&#39;Brien", `href="tel:&#43;12025550143"`, "waiting 1 day 2 hours",
			`<form method="post" action="` + f.lead.ID + `/contacted">`, `name="t" value="` + f.token + `"`,
			`value="booked"`, `value="not-interested"`, "Lower back pain\nfor three weeks",
		} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(res.Body, "<script>") {
			t.Error("the name reached the page unescaped")
		}
	}
	if l := f.stored(t); l.Status != lead.StatusNew || l.Contact != nil {
		t.Errorf("a GET changed the lead: %s %+v", l.Status, l.Contact)
	}
}

func TestOnlyE164PhonesAreLinked(t *testing.T) {
	f := newFixture(t)
	l := storetest.Lead(now.Add(-time.Hour))
	l.Phone = "+0123456" // a leading plus, but no E.164 number
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	res := f.get(t, l.ID, signer.Sign(link.PurposeStaff, l.ID, now.Add(time.Hour)))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	if strings.Contains(res.Body, `href="tel:`) || !strings.Contains(res.Body, "&#43;0123456") {
		t.Errorf("want the number shown without a tel: link:\n%s", res.Body)
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	f := newFixture(t)
	other := storetest.Lead(now)
	f.store.Save(context.Background(), other, nil)
	tampered := []byte(f.token)
	tampered[len(tampered)-3] ^= 1
	tests := map[string]string{
		"missing":    "",
		"forged":     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"tampered":   string(tampered),
		"expired":    signer.Sign(link.PurposeStaff, f.lead.ID, now.Add(-time.Second)),
		"other lead": signer.Sign(link.PurposeStaff, other.ID, now.Add(time.Hour)),
		"other key":  mustSigner(t, "another-secret-another-secret-xx").Sign(link.PurposeStaff, f.lead.ID, now.Add(time.Hour)),
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			if res := f.get(t, f.lead.ID, token); res.StatusCode != http.StatusForbidden {
				t.Errorf("GET: status %d, want 403", res.StatusCode)
			}
			res := f.post(t, f.lead.ID, url.Values{"t": {token}, "outcome": {"booked"}})
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("POST: status %d, want 403", res.StatusCode)
			}
			if l := f.stored(t); l.Status != lead.StatusNew {
				t.Error("a refused POST changed the lead")
			}
		})
	}
	t.Run("expired says so", func(t *testing.T) {
		if res := f.get(t, f.lead.ID, tests["expired"]); !strings.Contains(res.Body, "expired") {
			t.Errorf("page does not say the link expired: %s", res.Body)
		}
	})
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
	if res := f.get(t, id, signer.Sign(link.PurposeStaff, id, now.Add(time.Hour))); res.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.StatusCode)
	}
}

func TestMarkContacted(t *testing.T) {
	f := newFixture(t)
	res := f.post(t, f.lead.ID, url.Values{"t": {f.token}, "outcome": {"booked"}, "note": {"Booked Tue 10:00\r\nwith Dr Lee"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "Marked contacted") {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	l := f.stored(t)
	want := lead.Contact{At: now, Outcome: lead.Booked, Note: "Booked Tue 10:00\nwith Dr Lee"}
	if l.Status != lead.StatusContacted || l.Contact == nil || *l.Contact != want {
		t.Fatalf("stored %s %+v, want contacted %+v", l.Status, l.Contact, want)
	}
	if !strings.Contains(res.Body, "1 day 2 hours after the request") {
		t.Error("the confirmation does not show the time to first contact")
	}

	t.Run("a second POST changes nothing and says when", func(t *testing.T) {
		res := f.do(t, withQueryToken(testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted",
			"/leads/"+f.lead.ID+"/contacted", url.Values{"outcome": {"no-answer"}}.Encode()), f.token))
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "already marked contacted") ||
			!strings.Contains(res.Body, "Booked an appointment, Fri 27 Nov 2026, 10:00 AM EST") {
			t.Errorf("status %d: %s", res.StatusCode, res.Body)
		}
		if l := f.stored(t); *l.Contact != want {
			t.Errorf("contact changed to %+v", l.Contact)
		}
	})
	t.Run("the page now shows it, without a form", func(t *testing.T) {
		res := f.get(t, f.lead.ID, f.token)
		if strings.Contains(res.Body, "<form") || !strings.Contains(res.Body, "Booked an appointment") {
			t.Errorf("page after marking:\n%s", res.Body)
		}
	})
}

func withQueryToken(req events.APIGatewayV2HTTPRequest, token string) events.APIGatewayV2HTTPRequest {
	req.QueryStringParameters = map[string]string{"t": token}
	return req
}

func TestBadFormsChangeNothing(t *testing.T) {
	tests := map[string]url.Values{
		"no outcome":      {},
		"unknown outcome": {"outcome": {"sold"}},
		"note too long":   {"outcome": {"booked"}, "note": {strings.Repeat("n", lead.MaxNote+1)}},
		"NUL in the note": {"outcome": {"booked"}, "note": {"a\x00b"}},
	}
	for name, form := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			form.Set("t", f.token)
			res := f.post(t, f.lead.ID, form)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body, `role="alert"`) ||
				!strings.Contains(res.Body, `action="contacted"`) {
				t.Errorf("status %d, want 400 with the form again: %s", res.StatusCode, res.Body)
			}
			if l := f.stored(t); l.Status != lead.StatusNew {
				t.Error("a bad form changed the lead")
			}
		})
	}
}

func TestWrongMethods(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ method, route, path string }{
		{http.MethodPost, "POST /leads/{id}", "/leads/" + f.lead.ID},
		{http.MethodGet, "GET /leads/{id}/contacted", "/leads/" + f.lead.ID + "/contacted"},
	} {
		if res := f.do(t, testenv.HTTPRequest(t, tt.method, tt.route, tt.path, "")); res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405", tt.method, tt.path, res.StatusCode)
		}
	}
}

func TestStoreDown(t *testing.T) {
	f := newFixture(t)
	f.store.Err = errors.New("dial tcp: connection refused")
	res := f.get(t, f.lead.ID, f.token)
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.Body, "dial") {
		t.Errorf("status %d: %s", res.StatusCode, res.Body)
	}
}

// formOf reads the page's own form: its action and fields, as a browser
// would send them (the first outcome chosen).
func formOf(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form on the page")
	}
	v := url.Values{}
	for _, in := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		v.Set(in[1], html.UnescapeString(in[2]))
	}
	return html.UnescapeString(m[1]), v
}

func TestThePagesOwnFormMarksTheLead(t *testing.T) {
	f := newFixture(t)
	page := f.get(t, f.lead.ID, f.token)
	action, form := formOf(t, page.Body)
	form.Set("outcome", "left-message")
	target, err := url.Parse("https://api.example-clinic.com/leads/" + f.lead.ID + "?t=" + f.token)
	if err != nil {
		t.Fatal(err)
	}
	next := target.ResolveReference(&url.URL{Path: action})
	res := f.do(t, testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", next.Path, form.Encode()))
	if res.StatusCode != http.StatusOK || f.stored(t).Status != lead.StatusContacted {
		t.Errorf("status %d, lead %s: %s", res.StatusCode, f.stored(t).Status, res.Body)
	}
}
