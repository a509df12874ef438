package emails

import (
	"strings"
	"testing"
	"time"
)

func TestBudgetGolden(t *testing.T) {
	since := time.Date(2026, 11, 27, 19, 0, 0, 0, time.UTC) // 2 PM in New York
	b := Budget{Arrived: 4, Limit: 3, Window: time.Hour, Since: since, Until: since.Add(time.Hour), Inbox: "https://api.example-clinic.com/staff"}
	got, err := BudgetEmail(b, clinic)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "budget", got)
	if want := "Alerts paused: 4 appointment requests since Fri 27 Nov 2026, 2:00 PM EST"; got.Subject != want {
		t.Errorf("subject %q, want %q", got.Subject, want)
	}
	for _, want := range []string{"3 per hour, ALERT_LIMIT", "until\nFri 27 Nov 2026, 3:00 PM EST none gets an alert", "https://api.example-clinic.com/staff"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, got.Text)
		}
	}
	if !strings.Contains(got.HTML, `href="https://api.example-clinic.com/staff"`) || !strings.Contains(got.HTML, "Relief Physical Therapy &amp; Pain Care") {
		t.Errorf("html without the inbox link, or not escaped:\n%s", got.HTML)
	}
	b.Window, b.Limit, b.Arrived = 10*time.Minute, 20, 21
	if got, err := BudgetEmail(b, clinic); err != nil || !strings.Contains(got.Text, "(20 per 10 minutes, ALERT_LIMIT)") {
		t.Errorf("20/10m: %v\n%s", err, got.Text)
	}
	b.Arrived = 20
	if _, err := BudgetEmail(b, clinic); err == nil {
		t.Error("an email for a window within its limit: want an error")
	}
}
