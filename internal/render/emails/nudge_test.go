package emails

import (
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
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

// nudgeAt is the fixture's nudge: Monday 8:15 in New York, RESPONSE_SLA
// after the opening.
var nudgeAt = time.Date(2026, 11, 30, 13, 15, 0, 0, time.UTC)

func waiting(l lead.Lead, waited time.Duration) Waiting {
	return Waiting{Lead: l, Waited: waited, Link: StaffLink{URL: "https://api.example-clinic.com/leads/" + l.ID + "?t=tok&x=1", Expires: nudgeAt.Add(72 * time.Hour)}}
}

// weekendNudge: three requests of the weekend, one with markup in its
// name, nudged together at the opening; 25 more counted, not listed.
func weekendNudge() Nudge {
	at := func(l lead.Lead, day, hour, minute int) Waiting {
		l.CreatedAt = time.Date(2026, 11, day, hour, minute, 0, 0, eastern)
		return waiting(l, 15*time.Minute)
	}
	return Nudge{
		Total: 28,
		Listed: []Waiting{
			at(patient("<b>Siobhán</b> O'Brien", "+12025550143", "(202) 555-0143", "", lead.ByPhone, lead.Morning, 0), 28, 22, 12),
			at(patient("Maria Garcia", "+12025550187", "(202) 555-0187", "maria@example.com", lead.ByText, lead.Evening, 0), 29, 9, 40),
			at(patient("Taro", "", "", "taro@example.jp", lead.ByEmail, lead.AnyTime, 0), 30, 7, 59),
		},
		SinceOpening: true,
		Shortest:     15 * time.Minute,
		Inbox:        "https://api.example-clinic.com/staff",
	}
}

func TestNudgeGolden(t *testing.T) {
	n := weekendNudge()
	got, err := NudgeEmail(n, clinic)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "nudge", got)
	if want := "28 requests waiting since the clinic opened"; got.Subject != want {
		t.Errorf("subject %q, want %q", got.Subject, want)
	}
	for _, want := range []string{"<b>Siobhán</b>, request ", "Maria, request ", "Taro, request ", "Prefers a phone call, in the morning", "Prefers a text message, in the evening", "Prefers an email, at any time",
		"Waiting 15 minutes of opening time (received Sat 28 Nov 2026, 10:12 PM EST)", "https://api.example-clinic.com/leads/" + n.Listed[1].Lead.ID + "?t=tok&x=1",
		"and 25 more, in the inbox.", "https://api.example-clinic.com/staff"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, got.Text)
		}
	}
	if strings.Contains(got.HTML, "<b>Siobhán") || !strings.Contains(got.HTML, "&lt;b&gt;Siobhán&lt;/b&gt;") || !strings.Contains(got.HTML, `?t=tok&amp;x=1"`) ||
		!strings.Contains(got.HTML, `href="https://api.example-clinic.com/staff"`) {
		t.Errorf("html not escaped, or without its links:\n%s", got.HTML)
	}
	// The nudge names patients by first name; nothing else about them.
	for _, l := range []lead.Lead{n.Listed[0].Lead, n.Listed[1].Lead, n.Listed[2].Lead} {
		for _, p := range []string{"O'Brien", "Garcia", l.Phone, l.PhoneDisplay, l.Email, l.Reason} {
			if p != "" && strings.Contains(got.Subject+got.Text+got.HTML, p) {
				t.Errorf("patient detail %q in the nudge", p)
			}
		}
	}
}

func TestNudgeHeadline(t *testing.T) {
	for _, tc := range []struct {
		n    Nudge
		want string
	}{
		{Nudge{Total: 3, SinceOpening: true}, "3 requests waiting since the clinic opened"},
		{Nudge{Total: 1, SinceOpening: true}, "1 request waiting since the clinic opened"},
		{Nudge{Total: 2, Shortest: 15*time.Minute + 59*time.Second}, "2 requests waiting over 15 minutes"},
		{Nudge{Total: 1, Shortest: 3*time.Hour + 50*time.Minute}, "1 request waiting over 3 hours"},
	} {
		if got := tc.n.Headline(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestNudgeOfOne(t *testing.T) {
	l := patient("Nora Night", "+12025550143", "(202) 555-0143", "", lead.ByPhone, lead.AnyTime, time.Hour)
	got, err := NudgeEmail(Nudge{Total: 1, Listed: []Waiting{waiting(l, 20*time.Minute)}, Shortest: 20 * time.Minute, Inbox: "https://api.example-clinic.com/staff"}, clinic)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "1 request waiting over 20 minutes" || strings.Contains(got.Text, "more, in the inbox") || !strings.Contains(got.Text, "Nora, request "+l.Number()) {
		t.Errorf("%q:\n%s", got.Subject, got.Text)
	}
	if _, err := NudgeEmail(Nudge{Total: 0}, clinic); err == nil {
		t.Error("a nudge about nothing rendered")
	}
}
