package staff

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestEdgeOriginSecret: with EDGE_ORIGIN_SECRET, every staff route refuses
// (403) a request without the edge's X-Origin-Verify header, or with
// another value, before anything else: no lead page, no session, no
// sign-in code. With the header, the pages work as ever.
func TestEdgeOriginSecret(t *testing.T) {
	secret := strings.Repeat("e7", 16)
	cfg := testConfig(lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4, Hours: everyDay})
	cfg.Edge = config.Edge{Secret: secret}
	f := newFixtureConfig(t, cfg, nil)
	signin := url.Values{"email": {staffEmail}, "next": {"staff"}}.Encode()
	for _, h := range []string{"", "wrong"} {
		for _, req := range []struct{ method, route, path, body string }{
			{http.MethodGet, "GET /leads/{id}", "/leads/" + f.lead.ID + "?t=" + url.QueryEscape(f.token), ""},
			{http.MethodGet, "GET /staff", "/staff", ""},
			{http.MethodPost, "POST /staff/signin", "/staff/signin", signin},
		} {
			ev := testenv.HTTPRequest(t, req.method, req.route, req.path, req.body)
			if h != "" {
				ev.Headers[config.EdgeHeader] = h
			}
			res := f.do(t, ev)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "Not available at this address") || len(res.Cookies) != 0 {
				t.Errorf("%s %s, header %q: %d, cookies %v; want 403 and none", req.method, req.path, h, res.StatusCode, res.Cookies)
			}
		}
	}
	if n := len(f.mail.messages()); n != 0 {
		t.Errorf("%d sign-in codes sent to requests around the edge", n)
	}
	ev := testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", "/leads/"+f.lead.ID+"?t="+url.QueryEscape(f.token), "")
	ev.Headers[config.EdgeHeader] = secret
	if res := f.do(t, ev); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the emailed link through the edge: %d, want 303 to the page", res.StatusCode)
	}
}
