package local

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPlainPostThankYouPage: with BOOKING_URL set, a form posted without
// JavaScript is redirected to the page it came from, whose thank-you says
// when to expect the answer, the way the visitor asked, and offers the
// booking link, and echoes nothing the visitor typed.
func TestPlainPostThankYouPage(t *testing.T) {
	_, base := serve(t, map[string]string{"OPENING_HOURS": "always", "BOOKING_URL": "https://book.example.com/new"})
	form := url.Values{
		"name": {"Tui Plain"}, "phone": {"(202) 555-0143"}, "email": {"tui@example.nz"}, "preferredContact": {"text"},
		"preferredTime": {"morning"}, "reason": {"Sore knee"}, "consent": {"on"}, "website": {""},
	}
	req, err := http.NewRequest(http.MethodPost, base+"/leads", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Referer", base+"/contact")
	res, err := http.DefaultClient.Do(req) // follows the 303 with a GET
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(string(b))
	if at := res.Request.URL; res.StatusCode != http.StatusOK || at.Path != "/contact" || at.Query().Get("submitted") != "1" {
		t.Fatalf("landed on %s with %d", at, res.StatusCode)
	}
	for _, want := range []string{
		"Thank you! We have received your request. We'll text you within 15 minutes. Need us sooner? Call (555) 010-0100.",
		`Prefer to pick a time yourself? <a href="https://book.example.com/new">Book online</a>.`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the thank-you page lacks %q", want)
		}
	}
	for _, typed := range []string{"Tui", "555-0143", "tui@", "Sore knee"} {
		if strings.Contains(res.Request.URL.String(), url.QueryEscape(typed)) || strings.Contains(res.Request.URL.String(), typed) {
			t.Errorf("the redirect carries %q: %s", typed, res.Request.URL)
		}
	}
}
