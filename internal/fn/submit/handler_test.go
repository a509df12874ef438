package submit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/turnstile"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

var now = time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)

const site = testenv.ClinicSite

// Personal data used in the cases; none of it may appear in a log line.
var personal = []string{"Siobhán", "O'Brien", "202-555-0143", "2025550143", "555-0143", "siobhan@example.com", "sciatica"}

// sample is AWS's own HTTP API event, turned into a POST /leads.
func sample(t *testing.T, contentType, body string) events.APIGatewayV2HTTPRequest {
	return testenv.HTTPEvent(t, contentType, body)
}

func jsonBody(t *testing.T, change func(map[string]any)) string {
	t.Helper()
	v := map[string]any{
		"submissionId":     "0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f",
		"name":             "Siobhán O'Brien",
		"phone":            "202-555-0143",
		"email":            "siobhan@example.com",
		"preferredContact": "phone",
		"preferredTime":    "afternoon",
		"reason":           "sciatica down my left leg",
		"consent":          true,
		"elapsedMs":        12000,
		"page":             site + "/blog/sciatica",
		"utm_source":       "google",
	}
	if change != nil {
		change(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const formBody = "submissionId=5a1f6c2e-8b9d-4e3f-a7c6-1d2e3f4a5b6c&name=Siobh%C3%A1n+O%27Brien&phone=202-555-0143" +
	"&email=siobhan%40example.com&consent=on&elapsedMs=9000&website=&reason=sciatica" +
	"&page=https%3A%2F%2Fwww.example-clinic.com%2Fcontact%3Fref%3Dnav%23form"

func testConfig() config.Submit {
	return config.Submit{
		Table:          "leads",
		AllowedOrigins: []string{site, "https://example-clinic.com"},
		RateLimit:      ratelimit.Limit{Count: 3, Window: time.Hour},
		RateLimitSalt:  []byte("salt"),
		Retention:      365 * 24 * time.Hour,
		PhoneRegion:    "US",
		ConsentVersion: "1",
		MinFillTime:    time.Second,
	}
}

type fixture struct {
	h     *Handler
	store *storetest.MemStore
	logs  *bytes.Buffer
}

func newFixture(t *testing.T, change func(*config.Submit)) fixture {
	t.Helper()
	cfg := testConfig()
	if change != nil {
		change(&cfg)
	}
	f := fixture{store: storetest.NewMemStore(), logs: &bytes.Buffer{}}
	h, err := New(cfg, f.store, nil, slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	t.Cleanup(func() {
		for _, p := range personal {
			if strings.Contains(f.logs.String(), p) {
				t.Errorf("personal data %q in the logs:\n%s", p, f.logs)
			}
		}
	})
	return f
}

func (f fixture) do(t *testing.T, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	res, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	want := "application/json; charset=utf-8"
	if res.StatusCode == http.StatusBadRequest && strings.HasPrefix(req.Headers["content-type"], "application/x-www-form-urlencoded") {
		want = "text/html; charset=utf-8" // a form post without a script reads a page
	}
	if ct := res.Headers["Content-Type"]; res.StatusCode != http.StatusSeeOther && ct != want {
		t.Errorf("status %d with Content-Type %q, want %s", res.StatusCode, ct, want)
	}
	return res
}

func decode(t *testing.T, res events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(res.Body), &v); err != nil {
		t.Fatalf("body %q is not JSON: %v", res.Body, err)
	}
	return v
}

func TestValidJSONIsStored(t *testing.T) {
	f := newFixture(t, nil)
	res := f.do(t, sample(t, "application/json", jsonBody(t, nil)))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", res.StatusCode, res.Body)
	}
	if diff := cmp.Diff(decode(t, res), map[string]any{"id": "0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f", "status": "received", "message": "We'll call you within 15 minutes."}); diff != "" {
		t.Errorf("body (-got +want):\n%s", diff)
	}
	leads := f.store.Leads()
	if len(leads) != 1 {
		t.Fatalf("%d leads stored, want 1", len(leads))
	}
	want := lead.Lead{
		ID: "0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f", Status: lead.StatusNew, CreatedAt: now,
		Name: "Siobhán O'Brien", Phone: "+12025550143", PhoneDisplay: "(202) 555-0143", Email: "siobhan@example.com",
		PreferredContact: lead.ByPhone, PreferredTime: lead.Afternoon, Reason: "sciatica down my left leg",
		Consent:   lead.Consent{At: now, Version: "1"},
		Source:    lead.Source{Page: site + "/blog/sciatica", UTM: map[string]string{"utm_source": "google"}},
		ExpiresAt: now.Add(365 * 24 * time.Hour),
	}
	if diff := cmp.Diff(leads[0], want); diff != "" {
		t.Errorf("stored lead (-got +want):\n%s", diff)
	}
}

func TestReplayReturnsTheSameIDAndStoresNothingNew(t *testing.T) {
	f := newFixture(t, nil)
	req := sample(t, "application/json", jsonBody(t, nil))
	first := f.do(t, req)
	second := f.do(t, req)
	if first.StatusCode != http.StatusCreated || second.StatusCode != http.StatusOK {
		t.Fatalf("statuses %d, %d; want 201, 200", first.StatusCode, second.StatusCode)
	}
	if decode(t, first)["id"] != decode(t, second)["id"] {
		t.Errorf("ids differ: %s vs %s", first.Body, second.Body)
	}
	if n := len(f.store.Leads()); n != 1 {
		t.Errorf("%d leads stored, want 1", n)
	}
}

func TestWithoutSubmissionIDAnIDIsMade(t *testing.T) {
	f := newFixture(t, nil)
	res := f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") })))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	id, _ := decode(t, res)["id"].(string)
	leads := f.store.Leads()
	if len(leads) != 1 || leads[0].ID != id || len(id) != 36 {
		t.Errorf("answered id %q, stored %v", id, leads)
	}
}

func TestFormPostRedirects(t *testing.T) {
	tests := []struct {
		name     string
		thankYou string
		body     string
		base64   bool
		want     string // Location; empty: a JSON 201
	}{
		{"back to the form's page", "", formBody, false, site + "/contact?expect=We%27ll+call+you+within+15+minutes.&ref=nav&submitted=1"},
		{"base64-encoded by API Gateway", "", formBody, true, site + "/contact?expect=We%27ll+call+you+within+15+minutes.&ref=nav&submitted=1"},
		{"to THANK_YOU_URL", site + "/thanks", formBody, false, site + "/thanks?expect=We%27ll+call+you+within+15+minutes."},
		{"never to another site", "", strings.Replace(formBody, "www.example-clinic.com", "evil.example", 1), false, ""},
		{"no page: back to the Referer", "", formBody[:strings.Index(formBody, "&page=")], false, site + "/blog/sciatica?expect=We%27ll+call+you+within+15+minutes.&submitted=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Submit) { c.ThankYouURL = tt.thankYou })
			req := sample(t, "application/x-www-form-urlencoded", tt.body)
			req.Headers["referer"] = site + "/blog/sciatica"
			if tt.base64 {
				req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(tt.body)), true
			}
			res := f.do(t, req)
			if tt.want == "" {
				if res.StatusCode != http.StatusCreated || res.Headers["Location"] != "" {
					t.Errorf("status %d, Location %q; want 201 and no redirect", res.StatusCode, res.Headers["Location"])
				}
			} else if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != tt.want {
				t.Errorf("status %d, Location %q; want 303 to %s", res.StatusCode, res.Headers["Location"], tt.want)
			}
			if n := len(f.store.Leads()); n != 1 {
				t.Fatalf("%d leads stored, want 1", n)
			}
			// The way back keeps the page's query; the lead does not.
			if p := f.store.Leads()[0].Source.Page; strings.ContainsAny(p, "?#") {
				t.Errorf("stored page %q, want origin and path only", p)
			}
		})
	}
}

// TestAFormPostWithBadFieldsGetsAPage: without a script, the visitor reads
// an HTML page naming each problem once, by its label, in the form's order,
// with a link back to the form's page when that is on an allowed site.
func TestAFormPostWithBadFieldsGetsAPage(t *testing.T) {
	tests := []struct {
		name, body, referer string
		want, not           []string
	}{
		{"no way to reach them, no consent", "name=Pat&page=" + url.QueryEscape(site+"/contact?ref=nav&submitted=1"), "",
			[]string{"<li><strong>Phone or email:</strong> Please enter a phone number or an email address.</li>\n<li><strong>Consent:</strong>",
				`<a href="` + site + `/contact?ref=nav">Back to the form</a>`},
			[]string{"submitted=1", "<strong>Email:</strong>"}},
		{"a bad email, the page from the Referer", "name=Pat&email=nope&consent=on", site + "/blog/sciatica",
			[]string{"<strong>Email:</strong> Please enter a valid email address", `<a href="` + site + `/blog/sciatica">`}, nil},
		{"a page on another site: no link", "name=Pat&consent=on&page=" + url.QueryEscape("https://evil.example/x"), "",
			[]string{"<strong>Phone or email:</strong>", "Back button"}, []string{"evil", "<a "}},
		// The path keeps & and ' as they are: the link escapes them for HTML.
		{"a page whose path HTML escapes", "name=Pat&consent=on&page=" + url.QueryEscape(site+"/pat's&co/\"x\"><b>"), "",
			[]string{`<a href="` + site + `/pat%27s&amp;co/%22x%22%3E%3Cb%3E">`}, []string{"<b>", `"x"`}},
		{"an unreadable form", "name=Pat%zz", site + "/contact",
			[]string{"<strong>The form:</strong> It could not be read.", `<a href="` + site + `/contact">`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			req := sample(t, "application/x-www-form-urlencoded", tt.body)
			delete(req.Headers, "referer")
			if tt.referer != "" {
				req.Headers["referer"] = tt.referer
			}
			res := f.do(t, req)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Headers["Content-Security-Policy"], "default-src 'none'") {
				t.Fatalf("status %d, headers %v", res.StatusCode, res.Headers)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Body, w) {
					t.Errorf("page lacks %q:\n%s", w, res.Body)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(res.Body, n) {
					t.Errorf("page has %q:\n%s", n, res.Body)
				}
			}
		})
	}
	// A script's request still reads JSON.
	f := newFixture(t, nil)
	res := f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["email"] = "nope" })))
	if res.StatusCode != http.StatusBadRequest || decode(t, res)["fields"] == nil {
		t.Errorf("JSON request: status %d, %s", res.StatusCode, res.Body)
	}
}

func TestRejectedRequestsStoreNothing(t *testing.T) {
	big := strings.Repeat("a", MaxBody)
	tests := []struct {
		name        string
		req         func(t *testing.T) events.APIGatewayV2HTTPRequest
		status      int
		fields      []string
		wantHeaders map[string]string
	}{
		{"invalid email and no consent", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["email"] = "nope"; v["consent"] = false }))
		}, 400, []string{"consent", "email"}, nil},
		{"CR/LF in the name", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["name"] = "Pat\r\nBcc: x@example.com" }))
		}, 400, []string{"name"}, nil},
		{"wrong types", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "application/json", `{"name":["Pat"],"consent":"yes","elapsedMs":"9000"}`)
		}, 400, []string{"consent", "elapsedMs", "name"}, nil},
		{"not JSON", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "application/json", `{"name":`)
		}, 400, []string{}, nil},
		{"body over the cap", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["reason"] = big }))
		}, 413, nil, nil},
		{"base64 body over the cap", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := sample(t, "application/x-www-form-urlencoded", "")
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte("reason="+big)), true
			return r
		}, 413, nil, nil},
		{"text/plain", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "text/plain", jsonBody(t, nil))
		}, 415, nil, nil},
		{"no content type", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "", jsonBody(t, nil))
		}, 415, nil, nil},
		{"multipart", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "multipart/form-data; boundary=x", "--x--")
		}, 415, nil, nil},
		{"JSON in Latin-1", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return sample(t, "application/json; charset=iso-8859-1", jsonBody(t, nil))
		}, 415, nil, nil},
		{"forged origin", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := sample(t, "application/json", jsonBody(t, nil))
			r.Headers["origin"] = "https://www.example-clinic.com.evil.example"
			return r
		}, 403, nil, nil},
		{"null origin", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := sample(t, "application/json", jsonBody(t, nil))
			r.Headers["origin"] = "null"
			return r
		}, 403, nil, nil},
		{"GET", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := sample(t, "application/json", "")
			r.RequestContext.HTTP.Method = http.MethodGet
			return r
		}, 405, nil, map[string]string{"Allow": "POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			res := f.do(t, tt.req(t))
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, res.Body)
			}
			body := decode(t, res)
			if msg, _ := body["error"].(string); msg == "" {
				t.Errorf("no error message in %s", res.Body)
			}
			if tt.fields != nil {
				fields, ok := body["fields"].(map[string]any)
				if !ok {
					t.Fatalf("no fields object in %s", res.Body)
				}
				var got []string
				for k := range fields {
					got = append(got, k)
				}
				if diff := cmp.Diff(got, tt.fields, sorted); diff != "" {
					t.Errorf("fields (-got +want):\n%s", diff)
				}
			}
			for k, v := range tt.wantHeaders {
				if res.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, res.Headers[k], v)
				}
			}
			if n := len(f.store.Leads()); n != 0 {
				t.Errorf("%d leads stored, want none", n)
			}
		})
	}
}

func TestOriginRules(t *testing.T) {
	tests := []struct {
		name, origin string
		want         int
	}{
		{"no Origin (a server or curl)", "", 201},
		{"allowed", site, 201},
		{"allowed, other case", "HTTPS://WWW.Example-Clinic.com", 201},
		{"second allowed origin", "https://example-clinic.com", 201},
		{"http instead of https", "http://www.example-clinic.com", 403},
		{"other port", site + ":8443", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			req := sample(t, "application/json", jsonBody(t, nil))
			delete(req.Headers, "origin")
			if tt.origin != "" {
				req.Headers["Origin"] = tt.origin
			}
			if res := f.do(t, req); res.StatusCode != tt.want {
				t.Errorf("status %d, want %d", res.StatusCode, tt.want)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, nil) // 3 per hour
	send := func(ip string) events.APIGatewayV2HTTPResponse {
		req := sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") }))
		req.RequestContext.HTTP.SourceIP = ip
		return f.do(t, req)
	}
	for i := range 3 {
		if res := send("198.51.100.7"); res.StatusCode != http.StatusCreated {
			t.Fatalf("request %d: status %d", i+1, res.StatusCode)
		}
	}
	res := send("198.51.100.7")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request: status %d, want 429", res.StatusCode)
	}
	if got, want := res.Headers["Retry-After"], "2400"; got != want { // 14:20 -> 15:00
		t.Errorf("Retry-After %q, want %q", got, want)
	}
	if res := send("203.0.113.9"); res.StatusCode != http.StatusCreated {
		t.Errorf("another client: status %d, want 201", res.StatusCode)
	}
	if n := len(f.store.Leads()); n != 4 {
		t.Errorf("%d leads stored, want 4", n)
	}
	if strings.Contains(f.logs.String(), "198.51.100.7") {
		t.Error("a client address reached the logs")
	}

	t.Run("refused requests do not count", func(t *testing.T) {
		// The acceptance: with RATE_LIMIT=8/1h, eight refused
		// submissions and then a valid one from the same client: stored.
		f := newFixture(t, func(c *config.Submit) { c.RateLimit = ratelimit.Limit{Count: 8, Window: time.Hour} })
		from := func(ip, body string) events.APIGatewayV2HTTPResponse {
			req := sample(t, "application/json", body)
			req.RequestContext.HTTP.SourceIP = ip
			return f.do(t, req)
		}
		refused := []string{ // what a patient mistypes, and what a script gets wrong
			jsonBody(t, func(v map[string]any) { v["phone"] = "555-0143" }),
			jsonBody(t, func(v map[string]any) { v["email"] = "siobhan@example" }),
			jsonBody(t, func(v map[string]any) { v["consent"] = false }),
			jsonBody(t, func(v map[string]any) { delete(v, "name") }),
			jsonBody(t, func(v map[string]any) { v["phone"] = "555-0143" }),
			`{"name":`,
			`{"name":"Pat","consent":true}`,
			jsonBody(t, func(v map[string]any) { v["consent"] = "yes" }),
		}
		for i, body := range refused {
			if res := from("198.51.100.7", body); res.StatusCode != http.StatusBadRequest {
				t.Fatalf("refused request %d: status %d, want 400", i+1, res.StatusCode)
			}
		}
		valid := func() string { return jsonBody(t, func(v map[string]any) { delete(v, "submissionId") }) }
		res := from("198.51.100.7", valid())
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("a valid request after 8 refused: status %d %s, want 201", res.StatusCode, res.Body)
		}
		if n := len(f.store.Leads()); n != 1 {
			t.Errorf("%d leads stored, want 1", n)
		}
		// The allowance is the stored requests': seven more, then 429;
		// a refused one past it is still told what to fix.
		for i := range 7 {
			if res := from("198.51.100.7", valid()); res.StatusCode != http.StatusCreated {
				t.Fatalf("valid request %d: status %d, want 201", i+2, res.StatusCode)
			}
		}
		if res := from("198.51.100.7", valid()); res.StatusCode != http.StatusTooManyRequests || res.Headers["Retry-After"] == "" {
			t.Errorf("the 9th valid request: status %d, want 429 with Retry-After", res.StatusCode)
		}
		if res := from("198.51.100.7", refused[0]); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body, "area code") {
			t.Errorf("a refused request past the limit: status %d %s, want the 400 naming what to fix", res.StatusCode, res.Body)
		}
	})

	t.Run("a refused request touches no counter", func(t *testing.T) {
		f := newFixture(t, nil)
		f.store.Err = errors.New("operation error DynamoDB: UpdateItem, dial tcp: connection refused")
		res := f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["email"] = "nope" })))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body, `"email"`) {
			t.Errorf("status %d %s, want the 400 naming the field", res.StatusCode, res.Body)
		}
	})

	t.Run("IPv6 clients by their /64", func(t *testing.T) {
		f := newFixture(t, nil) // 3 per hour
		from := func(ip string) int {
			req := sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") }))
			req.RequestContext.HTTP.SourceIP = ip
			return f.do(t, req).StatusCode
		}
		for i, ip := range []string{"2001:db8:aa:1::1", "2001:db8:aa:1::2", "2001:db8:aa:1:ffff:ffff:ffff:ffff"} {
			if got := from(ip); got != http.StatusCreated {
				t.Fatalf("request %d: status %d", i+1, got)
			}
		}
		if got := from("2001:db8:aa:1:1234:5678:9abc:def0"); got != http.StatusTooManyRequests {
			t.Errorf("a 4th address in the same /64: status %d, want 429", got)
		}
		if got := from("2001:db8:aa:2::1"); got != http.StatusCreated {
			t.Errorf("the next /64: status %d, want 201", got)
		}
		if strings.Contains(f.logs.String(), "2001:db8") {
			t.Error("a client address reached the logs")
		}
	})

	t.Run("0 disables it", func(t *testing.T) {
		f := newFixture(t, func(c *config.Submit) { c.RateLimit = ratelimit.Limit{} })
		for i := range 10 {
			req := sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") }))
			if res := f.do(t, req); res.StatusCode != http.StatusCreated {
				t.Fatalf("request %d: status %d", i+1, res.StatusCode)
			}
		}
	})
}

// TestTrappedRequestsAreHeld: a request the honeypot or the time trap
// caught is answered like a stored one (the bot learns nothing) and, when
// it otherwise validates, held for review with why, for
// HELD_RETENTION_DAYS, counted under the clinic's day; never a lead (so
// never alerted or followed up). One that does not validate is only
// charged.
func TestTrappedRequestsAreHeld(t *testing.T) {
	ms := func(n int64) *int64 { return &n }
	tests := []struct {
		name   string
		change func(map[string]any)
		want   *lead.Trap // nil: nothing held
	}{
		{"honeypot filled", func(v map[string]any) { v["website"] = "http://cheap-pills.example"; v["elapsedMs"] = 9000 },
			&lead.Trap{Honeypot: true, ElapsedMS: ms(9000)}},
		{"sent in under 1 s, no key, click or tap", func(v map[string]any) { v["elapsedMs"] = 800 },
			&lead.Trap{ElapsedMS: ms(800), TooFast: true}},
		{"sent in under 1 s, interaction not true", func(v map[string]any) { v["elapsedMs"] = 800; v["interacted"] = false },
			&lead.Trap{ElapsedMS: ms(800), TooFast: true}},
		{"honeypot filled, no time sent", func(v map[string]any) { v["website"] = "x"; delete(v, "elapsedMs") },
			&lead.Trap{Honeypot: true}},
		{"honeypot filled, other fields invalid", func(v map[string]any) { v["website"] = "x"; v["email"] = "bad" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Submit) { c.HeldRetention = 7 * 24 * time.Hour })
			res := f.do(t, sample(t, "application/json", jsonBody(t, tt.change)))
			if res.StatusCode != http.StatusCreated || decode(t, res)["status"] != "received" {
				t.Fatalf("status %d %s, want a normal-looking 201", res.StatusCode, res.Body)
			}
			if n := len(f.store.Leads()); n != 0 {
				t.Errorf("%d leads stored, want none", n)
			}
			held := f.store.HeldRequests()
			if tt.want == nil {
				if len(held) != 0 {
					t.Errorf("%d held, want none", len(held))
				}
				return
			}
			if len(held) != 1 {
				t.Fatalf("%d held, want 1", len(held))
			}
			h := held[0]
			if diff := cmp.Diff(h.Trap, *tt.want); diff != "" {
				t.Errorf("why held (-got +want):\n%s", diff)
			}
			if h.ID != decode(t, res)["id"] || h.Status != lead.StatusHeld || h.Name == "" || !h.ExpiresAt.Equal(h.CreatedAt.Add(7*24*time.Hour)) {
				t.Errorf("held: id %s (answered %s), status %s, expires %v after", h.ID, decode(t, res)["id"], h.Status, h.ExpiresAt.Sub(h.CreatedAt))
			}
			if n, _ := f.store.HeldCount(context.Background(), h.CreatedAt.Format(time.DateOnly)); n != 1 {
				t.Errorf("held count of the day = %d, want 1", n)
			}
			if strings.Contains(f.logs.String(), h.Name) || strings.Contains(f.logs.String(), "cheap-pills") {
				t.Errorf("the log holds what the visitor sent:\n%s", f.logs)
			}
		})
	}
	t.Run("sent in under 1 s by a visitor who typed or clicked: stored", func(t *testing.T) {
		// A browser's autofill fills the form at once; its visitor
		// still clicks Send, and the form's script says so.
		f := newFixture(t, nil)
		res := f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["elapsedMs"] = 300; v["interacted"] = true })))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("status %d %s, want 201", res.StatusCode, res.Body)
		}
		if leads, held := len(f.store.Leads()), len(f.store.HeldRequests()); leads != 1 || held != 0 {
			t.Errorf("%d leads, %d held; want the lead stored, nothing held", leads, held)
		}
		form := strings.Replace(formBody, "elapsedMs=9000", "elapsedMs=300&interacted=true", 1)
		if res := f.do(t, sample(t, "application/x-www-form-urlencoded", form)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("form post: status %d, want 303", res.StatusCode)
		}
		if leads, held := len(f.store.Leads()), len(f.store.HeldRequests()); leads != 2 || held != 0 {
			t.Errorf("after the form post: %d leads, %d held; want 2 stored, nothing held", leads, held)
		}
	})
	// Trapped requests use up the allowance as stored ones do, held or
	// not (invalid ones are only counted), so a bot cannot tell them apart.
	for name, change := range map[string]func(map[string]any){
		"held (honeypot)":     func(v map[string]any) { v["website"] = "x" },
		"held (time trap)":    func(v map[string]any) { v["elapsedMs"] = 200 },
		"invalid and trapped": func(v map[string]any) { v["website"] = "x"; v["email"] = "bad"; delete(v, "phone") },
	} {
		t.Run("still counted against the rate limit: "+name, func(t *testing.T) {
			f := newFixture(t, nil) // 3 per hour
			var got []int
			for range 4 {
				got = append(got, f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) { change(v); delete(v, "submissionId") }))).StatusCode)
			}
			if want := []int{201, 201, 201, 429}; !slices.Equal(got, want) {
				t.Errorf("statuses %v, want %v", got, want)
			}
			valid := sample(t, "application/json", jsonBody(t, func(v map[string]any) { delete(v, "submissionId") }))
			if res := f.do(t, valid); res.StatusCode != http.StatusTooManyRequests {
				t.Errorf("a valid request after 3 trapped: status %d, want 429", res.StatusCode)
			}
		})
	}
	t.Run("still counted against the rate limit: held ones kept within it", func(t *testing.T) {
		f := newFixture(t, nil)
		for range 4 {
			f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["website"] = "x"; delete(v, "submissionId") })))
		}
		if n := len(f.store.HeldRequests()); n != 3 {
			t.Errorf("%d held, want the 3 within the limit", n)
		}
	})
	t.Run("a replay is answered as a lead's", func(t *testing.T) {
		f := newFixture(t, nil)
		body := jsonBody(t, func(v map[string]any) { v["website"] = "x" })
		for i, want := range []int{http.StatusCreated, http.StatusOK} {
			if res := f.do(t, sample(t, "application/json", body)); res.StatusCode != want {
				t.Errorf("request %d: status %d, want %d", i+1, res.StatusCode, want)
			}
		}
		// The handler's clock (the fixture's now), never the wall clock.
		if n, _ := f.store.HeldCount(context.Background(), f.h.now().UTC().Format(time.DateOnly)); n != 1 {
			t.Errorf("held count = %d, want 1", n)
		}
	})
	t.Run("counted under the clinic's day", func(t *testing.T) {
		zone, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		// 02:00 UTC is still the day before in New York.
		at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
		f := newFixture(t, func(c *config.Submit) { c.TimeZone = zone })
		f.h.now = func() time.Time { return at }
		f.do(t, sample(t, "application/json", jsonBody(t, func(v map[string]any) { v["website"] = "x" })))
		if n, _ := f.store.HeldCount(context.Background(), "2026-11-26"); n != 1 {
			t.Errorf("held count of 2026-11-26 = %d, want 1", n)
		}
	})
}

func TestStoreDown(t *testing.T) {
	f := newFixture(t, nil)
	f.store.Err = errors.New("operation error DynamoDB: TransactWriteItems, dial tcp 10.1.2.3:443: connect: connection refused")
	res := f.do(t, sample(t, "application/json", jsonBody(t, nil)))
	if res.StatusCode != http.StatusServiceUnavailable || res.Headers["Retry-After"] == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Headers["Retry-After"])
	}
	if strings.Contains(res.Body, "dial") || strings.Contains(res.Body, "DynamoDB") {
		t.Errorf("internal error text in the body: %s", res.Body)
	}
	if !strings.Contains(f.logs.String(), "connection refused") {
		t.Errorf("the cause was not logged:\n%s", f.logs)
	}
}

func TestUnknownPhoneRegionFailsTheColdStart(t *testing.T) {
	cfg := testConfig()
	cfg.PhoneRegion = "XX"
	if _, err := New(cfg, storetest.NewMemStore(), nil, slog.Default(), time.Now); err == nil || !strings.Contains(err.Error(), "PHONE_REGION") {
		t.Errorf("got %v, want an error naming PHONE_REGION", err)
	}
}

// fakeTurnstile answers as Cloudflare would, and counts the questions.
type fakeTurnstile struct {
	err   error
	asked int
}

func (f *fakeTurnstile) Verify(_ context.Context, token, _ string) error {
	f.asked++
	if token == "" {
		return turnstile.ErrRejected
	}
	return f.err
}

func TestTurnstile(t *testing.T) {
	withToken := func(token string) string {
		return jsonBody(t, func(v map[string]any) { v["cf-turnstile-response"] = token })
	}
	tests := []struct {
		name   string
		answer error
		body   string
		status int
		stored int
	}{
		{"passed", nil, withToken("ok"), 201, 1},
		{"rejected", turnstile.ErrRejected, withToken("forged"), 400, 0},
		{"missing", nil, jsonBody(t, nil), 400, 0},
		{"Cloudflare unreachable: taken anyway", errors.New("turnstile: dial tcp: timeout"), withToken("ok"), 201, 1},
		{"our secret refused: not taken unchecked", fmt.Errorf("%w: invalid-input-secret", turnstile.ErrMisconfigured), withToken("ok"), 503, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			fake := &fakeTurnstile{err: tt.answer}
			f.h.turnstile = fake
			res := f.do(t, sample(t, "application/json", tt.body))
			if res.StatusCode != tt.status || len(f.store.Leads()) != tt.stored || fake.asked != 1 {
				t.Fatalf("status %d, %d stored, asked %d times: %s", res.StatusCode, len(f.store.Leads()), fake.asked, res.Body)
			}
			if tt.status == 400 && !strings.Contains(res.Body, `"cf-turnstile-response"`) {
				t.Errorf("the error does not name the check: %s", res.Body)
			}
			// The line the template's metric filter counts, for this case only.
			configErrors := strings.Count(f.logs.String(), `"msg":"`+ConfigErrorMessage+`"`)
			if want := map[bool]int{true: 1}[tt.status == 503]; configErrors != want {
				t.Errorf("%d configuration error lines, want %d:\n%s", configErrors, want, f.logs)
			}
			if tt.status == 503 && (res.Headers["Retry-After"] == "" || strings.Contains(res.Body, "secret")) {
				t.Errorf("503 without Retry-After, or telling the visitor why: %v %s", res.Headers, res.Body)
			}
		})
	}
	t.Run("the template's metric filter matches the line", func(t *testing.T) {
		tpl, err := os.ReadFile(filepath.Join(testenv.Root(t), "template.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if want := `FilterPattern: '{ $.msg = "` + ConfigErrorMessage + `" }'`; !strings.Contains(string(tpl), want) {
			t.Errorf("template.yaml has no %s", want)
		}
	})
	t.Run("off without TURNSTILE_SECRET", func(t *testing.T) {
		build := func(secret string) *Handler {
			env := map[string]string{"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": testenv.ClinicSite, "RATE_LIMIT": "0", "TURNSTILE_SECRET": secret}
			h, err := FromEnv(context.Background(), func(k string) string { return env[k] }, Clients{Now: time.Now}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		if build("").turnstile != nil {
			t.Error("a verifier without a secret")
		}
		if build("s").turnstile == nil {
			t.Error("no verifier with a secret")
		}
	})
	t.Run("the secret from Secrets Manager, checked against the allowed origins' hosts", func(t *testing.T) {
		const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:turnstile-AbCdEf"
		env := map[string]string{"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": testenv.ClinicSite + ",https://example-clinic.com:8443", "RATE_LIMIT": "0",
			"TURNSTILE_SECRET_ARN": arn, "TURNSTILE_SECRET": "the-local-one"}
		secrets := &fakeSecrets{values: map[string]string{arn: "0x4AAAA-from-secrets-manager"}}
		h, err := FromEnv(context.Background(), func(k string) string { return env[k] }, Clients{Secrets: secrets, Now: time.Now}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		v, ok := h.turnstile.(*storedVerifier)
		if !ok || v.Value() != "0x4AAAA-from-secrets-manager" || !slices.Equal(v.check.Hostnames, []string{"www.example-clinic.com", "example-clinic.com"}) {
			t.Errorf("verifier %+v", h.turnstile)
		}
		for name, clients := range map[string]Clients{
			"unreadable": {Secrets: &fakeSecrets{}, Now: time.Now},
			"empty":      {Secrets: &fakeSecrets{values: map[string]string{arn: ""}}, Now: time.Now},
			"no client":  {Now: time.Now},
		} {
			if _, err := FromEnv(context.Background(), func(k string) string { return env[k] }, clients, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "TURNSTILE_SECRET_ARN") {
				t.Errorf("%s: the cold start gave %v, want an error naming TURNSTILE_SECRET_ARN", name, err)
			}
		}
	})
}

// fakeSecrets is Secrets Manager holding values by ARN.
type fakeSecrets struct{ values map[string]string }

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	v, ok := f.values[aws.ToString(in.SecretId)]
	if !ok {
		return nil, errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}
