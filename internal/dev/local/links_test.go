package local

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/lead"
)

// sessionCookie is the staff session id c's jar holds for base; "" for none.
func sessionCookie(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == access.CookieName {
			return ck.Value
		}
	}
	return ""
}

// TestClosedLeadsLinkOverHTTP: the acceptance through make dev's
// code path, with a real HTTP client. After a lead is recorded as booked,
// its emailed link opened in a new browser offers no form that records
// anything (it says the request is closed and offers sign-in); the first
// browser's link session records nothing on it either. Every link taken
// gives the browser a new session id; make staff-signout ends the link
// sessions too.
func TestClosedLeadsLinkOverHTTP(t *testing.T) {
	srv, base := serve(t, map[string]string{"OPENING_HOURS": "always"})
	for _, body := range []string{`{"name":"Pat Closed","phone":"(202) 555-0143","consent":true}`, `{"name":"Ola Open","phone":"(202) 555-0144","consent":true}`} {
		res, err := http.Post(base+"/leads", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	pat, ola := staffLink(t, srv, "Pat"), staffLink(t, srv, "Ola")
	u, _ := url.Parse(pat)

	// The front desk opens Pat's link and records her as booked.
	desk := staffClient(t)
	form := staffForm(t, desk, pat)
	first := sessionCookie(t, desk, base)
	form.Set("outcome", string(lead.Booked))
	res, err := desk.PostForm(base+u.Path+"/contacted", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || storedLead(t, srv, pat).Closed != lead.ClosedBooked {
		t.Fatalf("booking: %d, stored %q", res.StatusCode, storedLead(t, srv, pat).Closed)
	}

	// Her link in a new browser: the page, read-only, and no session.
	fresh := staffClient(t)
	res, err = fresh.Get(pat)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "Pat Closed") {
		t.Fatalf("the closed lead's link: %d\n%s", res.StatusCode, page)
	}
	for _, want := range []string{"This request is closed (booked on ", `<a href="../staff/signin?next=leads%2F`, "Sign in to reopen or correct it"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(string(page), "<form") || strings.Contains(string(page), "<button") {
		t.Errorf("the closed lead's link offers a form:\n%s", page)
	}
	if sessionCookie(t, fresh, base) != "" {
		t.Error("the closed lead's link started a session")
	}

	// The first browser's session, with the form its page gave, neither
	// corrects nor reopens her.
	before := storedLead(t, srv, pat)
	for _, action := range []string{"correct", "reopen"} {
		form.Set("action", action)
		form.Set("v", "1")
		form.Set("outcome", string(lead.NoAnswer))
		res, err := desk.PostForm(base+u.Path+"/contacted", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s by the link's session: %d, want 403", action, res.StatusCode)
		}
	}
	if l := storedLead(t, srv, pat); l.Version != before.Version || l.Status != lead.StatusClosed {
		t.Errorf("the booked lead changed: %s, version %d", l.Status, l.Version)
	}

	// Ola's link in the same browser: a new session id, which opens both.
	staffForm(t, desk, ola)
	if second := sessionCookie(t, desk, base); second == "" || second == first {
		t.Errorf("the second link kept the session id (%v)", second == first)
	}
	for _, l := range []string{pat, ola} {
		p, _ := url.Parse(l)
		if res, err := desk.Get(base + p.Path); err != nil || res.StatusCode != http.StatusOK || res.Request.URL.Path != p.Path {
			t.Fatalf("%s with the new session: %v %v", p.Path, err, res)
		}
	}
	// The old id opens nothing.
	old, _ := http.NewRequest(http.MethodGet, pat, nil)
	old.URL.RawQuery = ""
	old.AddCookie(&http.Cookie{Name: access.CookieName, Value: first})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res, err := noRedirect.Do(old); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Errorf("the replaced session id: %v %v, want 303 to sign-in", err, res)
	}

	// make staff-signout (any address) ends the link sessions too.
	var out, errOut strings.Builder
	code := ops.Run(context.Background(), []string{"signout", "-email", srv.StaffEmail()}, ops.Env{
		Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut,
		Now:  time.Now, // wall clock: the local server stamps sessions with the real clock
		Open: func(context.Context) (ops.Store, error) { return ops.Pending(ddb.New(srv.db, srv.table)), nil },
	})
	if code != ops.ExitOK || !strings.Contains(out.String(), "every session an emailed link started") {
		t.Fatalf("staff-signout: exit %d: %s%s", code, out.String(), errOut.String())
	}
	p, _ := url.Parse(ola)
	res, err = desk.Get(base + p.Path)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/staff/signin" {
		t.Errorf("the link session after staff-signout ends at %s, want the sign-in page", res.Request.URL.Path)
	}
}
