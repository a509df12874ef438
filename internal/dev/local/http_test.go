package local

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestToEventAsAPIGateway: the request reaches a function in the shape an
// HTTP API (payload 2.0) gives it: cookies in their own list and not among
// the headers, header names lower-cased, repeated values comma-joined.
func TestToEventAsAPIGateway(t *testing.T) {
	r := httptest.NewRequest("POST", "/leads/abc/contacted?x=1&x=2", strings.NewReader("outcome=booked"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Add("Cookie", "session=s1; theme=dark")
	r.Header.Add("Cookie", "other=o")
	r.Header.Add("X-Forwarded-For", "198.51.100.7")
	r.Header.Add("X-Forwarded-For", "203.0.113.9")
	e, err := toEvent(r, "POST /leads/{id}/contacted", map[string]string{"id": "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.Cookies, []string{"session=s1", "theme=dark", "other=o"}); diff != "" {
		t.Errorf("cookies (-got +want):\n%s", diff)
	}
	if _, ok := e.Headers["cookie"]; ok {
		t.Errorf("a cookie header reached the function: %v", e.Headers)
	}
	if got := e.Headers["x-forwarded-for"]; got != "198.51.100.7,203.0.113.9" {
		t.Errorf("x-forwarded-for %q", got)
	}
	if got := e.QueryStringParameters["x"]; got != "1,2" {
		t.Errorf("query x %q", got)
	}
	if !e.IsBase64Encoded || e.RequestContext.HTTP.Method != "POST" || e.PathParameters["id"] != "abc" {
		t.Errorf("event %+v", e)
	}
}
