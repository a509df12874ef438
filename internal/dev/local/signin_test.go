package local

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/openclinic/leadhandler/internal/access"
)

// TestAStrangerCannotJamAStaffMembersCode is the acceptance on make
// dev, with real HTTP clients as browsers: a staff member asks for a code;
// another browser, from another address, asks for a code for the same
// address and sends 5 wrong codes; the staff member's code still signs
// them in, and their browser keeps a device cookie.
func TestAStrangerCannotJamAStaffMembersCode(t *testing.T) {
	srv, base := serve(t, nil)
	browser := func(ip string) *http.Client {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		c := client(ip)
		c.Jar = jar
		return c
	}
	desk, stranger := browser("127.0.0.31"), browser("127.0.0.32")
	email := srv.StaffEmail()
	send := func(c *http.Client, form url.Values) *http.Response {
		t.Helper()
		res, err := c.PostForm(base+"/staff/signin", form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	lastCode := func() string {
		t.Helper()
		srv.stream.wait() // the code comes by the stream, from notify
		sent := srv.Outbox.Sent()
		code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sent[len(sent)-1].Subject)
		if code == "" {
			t.Fatal("no code in the latest email")
		}
		return code
	}

	if res := send(desk, url.Values{"email": {email}, "next": {"staff"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("the staff member's ask: %d", res.StatusCode)
	}
	code := lastCode()
	if res := send(stranger, url.Values{"email": {email}, "next": {"staff"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("the stranger's ask: %d", res.StatusCode)
	}
	wrong := "000000"
	for wrong == code || wrong == lastCode() {
		wrong = "1" + wrong[1:]
	}
	for i := range 5 {
		if res := send(stranger, url.Values{"email": {email}, "code": {wrong}, "next": {"staff"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("the stranger's wrong code %d: %d, want 403", i+1, res.StatusCode)
		}
	}
	res := send(desk, url.Values{"email": {email}, "code": {code}, "next": {"staff"}})
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/staff" {
		t.Fatalf("the staff member's code after the stranger's tries ends at %s with %d", res.Request.URL, res.StatusCode)
	}
	u, _ := url.Parse(base)
	names := func(c *http.Client) []string {
		var out []string
		for _, ck := range c.Jar.Cookies(u) {
			out = append(out, ck.Name)
		}
		return out
	}
	if got := names(desk); !slices.Contains(got, access.CookieName) || !slices.Contains(got, access.DeviceCookieName) || slices.Contains(got, access.CodeCookieName) {
		t.Errorf("the staff member's browser holds %q: want the session and device cookies, the code cookie ended", got)
	}
	if got := names(stranger); slices.Contains(got, access.CookieName) || slices.Contains(got, access.DeviceCookieName) {
		t.Errorf("the stranger's browser holds %q", got)
	}
}
