package local

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// signedIn signs frontdesk@example.com in on make dev, as a browser does.
func signedIn(t *testing.T, srv *Server, base string) *http.Client {
	t.Helper()
	c := staffClient(t)
	res, err := c.PostForm(base+"/staff/signin", url.Values{"email": {srv.StaffEmail()}, "next": {"staff"}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("ask for a code: %v %v", err, res)
	}
	res.Body.Close()
	srv.stream.wait() // the code comes by the stream, from notify
	sent := srv.Outbox.Sent()
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sent[len(sent)-1].Subject)
	res, err = c.PostForm(base+"/staff/signin", url.Values{"email": {srv.StaffEmail()}, "code": {code}, "next": {"staff"}})
	if err != nil || res.Request.URL.Path != "/staff" {
		t.Fatalf("sign in: %v %v", err, res)
	}
	res.Body.Close()
	return c
}

// heldAction sends the review page's form for action on the first row
// naming who, and returns where it ended.
func heldAction(t *testing.T, c *http.Client, base, who, action string) *http.Response {
	t.Helper()
	res, err := c.Get(base + "/staff/held")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("review page: %v %v", err, res)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	i := strings.Index(string(page), who)
	if i < 0 {
		t.Fatalf("%s not on the review page:\n%s", who, page)
	}
	m := regexp.MustCompile(`<form method="post" action="(held/[^"]+)"[^>]*><input type="hidden" name="t" value="([^"]+)"><input type="hidden" name="action" value="` + action + `">`).FindStringSubmatch(string(page[i:]))
	if m == nil {
		t.Fatalf("no %s form after %s", action, who)
	}
	form := url.Values{"t": {m[2]}, "action": {action}}
	if action == "delete" {
		form.Set("confirm", "yes") // the box a person ticks to confirm
	}
	res, err = c.PostForm(base+"/staff/"+m[1], form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestHeldReleasedAlertsOnce: on make dev, a trapped request alerts
// nobody; released from the review page it is alerted exactly once
// through the local stream (the filter passes the lead's INSERT, never
// the held item's); deleted, it is gone without a word.
func TestHeldReleasedAlertsOnce(t *testing.T) {
	srv, base := serve(t, map[string]string{"MIN_FILL_TIME": "2s"})
	alerts := func(name string) int {
		srv.stream.wait()
		n := 0
		for _, m := range srv.Outbox.Sent() {
			if strings.Contains(m.Subject, name) {
				n++
			}
		}
		return n
	}
	for _, body := range []string{
		`{"name":"Quick Fingers","phone":"(202) 555-0143","consent":true,"elapsedMs":400}`,
		`{"name":"Spammy Sam","email":"sam@example.com","consent":true,"website":"http://spam.example"}`,
	} {
		res, err := http.Post(base+"/leads", "application/json", strings.NewReader(body))
		if err != nil || res.StatusCode != 201 {
			t.Fatalf("submit: %v %v", err, res)
		}
		res.Body.Close()
	}
	if n := alerts("Quick") + alerts("Spammy"); n != 0 {
		t.Fatalf("%d alerts about held requests", n)
	}
	desk := signedIn(t, srv, base)
	if res := heldAction(t, desk, base, "Quick Fingers", "release"); res.Request.URL.RawQuery != "done=released" {
		t.Fatalf("release ended at %s", res.Request.URL)
	}
	if n := alerts("Quick"); n != 1 {
		t.Errorf("%d alerts after release, want 1", n)
	}
	if res := heldAction(t, desk, base, "Spammy Sam", "delete"); res.Request.URL.RawQuery != "done=deleted" {
		t.Fatalf("delete ended at %s", res.Request.URL)
	}
	if n := alerts("Quick") + alerts("Spammy"); n != 1 {
		t.Errorf("%d alerts in all, want the one release", n)
	}
}
