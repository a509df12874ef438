package submit

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/config"
)

// edgeSecret is the fixture's EDGE_ORIGIN_SECRET.
var edgeSecret = strings.Repeat("e7", 16)

// TestEdgeOriginSecret: with EDGE_ORIGIN_SECRET, a form post without the
// edge's X-Origin-Verify header, or with another value, is refused (403)
// and nothing is stored; with it, it is stored. Without the setting, no
// header is needed (TestValidJSONIsStored).
func TestEdgeOriginSecret(t *testing.T) {
	f := newFixture(t, func(c *config.Submit) { c.Edge = config.Edge{Secret: edgeSecret} })
	for _, h := range []string{"", "wrong", edgeSecret[:len(edgeSecret)-1]} {
		req := sample(t, "application/json", jsonBody(t, nil))
		if h != "" {
			req.Headers["x-origin-verify"] = h
		}
		res := f.do(t, req)
		if res.StatusCode != http.StatusForbidden || decode(t, res)["error"] != "Requests to this address are not accepted." {
			t.Errorf("header %q: %d %s, want 403", h, res.StatusCode, res.Body)
		}
	}
	if n := len(f.store.Leads()); n != 0 {
		t.Fatalf("%d leads stored from requests around the edge", n)
	}
	if !strings.Contains(f.logs.String(), `"outcome":"not-via-edge"`) {
		t.Errorf("no not-via-edge log line:\n%s", f.logs)
	}
	req := sample(t, "application/json", jsonBody(t, nil))
	req.Headers["x-origin-verify"] = edgeSecret
	if res := f.do(t, req); res.StatusCode != http.StatusCreated {
		t.Errorf("through the edge: %d %s, want 201", res.StatusCode, res.Body)
	}
}
