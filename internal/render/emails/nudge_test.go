package emails

import (
	"strings"
	"testing"
	"time"
)

func TestWaited(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 minutes", 30 * time.Second: "1 minute", time.Minute: "1 minute", 25 * time.Minute: "25 minutes",
		119 * time.Minute: "119 minutes", 2 * time.Hour: "2 hours", 47*time.Hour + 59*time.Minute: "47 hours",
		48 * time.Hour: "2 days", 24 * time.Hour: "24 hours",
	} {
		if got := Waited(d); got != want {
			t.Errorf("Waited(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestNudge(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	received := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	link := StaffLink{URL: "https://api.example-clinic.com/leads/abc?t=x&amp=1", Expires: received.Add(72 * time.Hour)}
	c, err := Nudge(Clinic{Name: "Relief <PT>", TimeZone: ny}, "abc", received, 25*time.Minute, link)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "Not answered yet: a request from 25 minutes ago" {
		t.Errorf("subject %q", c.Subject)
	}
	for _, want := range []string{"A request from 25 minutes ago has not been answered.", link.URL, "Request abc", "Tue"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, c.Text)
		}
	}
	if !strings.Contains(c.HTML, "Relief &lt;PT&gt;") || !strings.Contains(c.HTML, `href="https://api.example-clinic.com/leads/abc?t=x&amp;amp=1"`) {
		t.Errorf("html not escaped:\n%s", c.HTML)
	}
}
