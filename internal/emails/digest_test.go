package emails

import (
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

func digestFixture() Digest {
	at := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC) // 8:00 in New York
	mk := func(name, phone, email string, age time.Duration, alerted bool) Waiting {
		l := hostile()
		l.ID = "id-" + strings.Fields(name)[0]
		l.Name, l.Phone, l.Email, l.CreatedAt = name, phone, email, at.Add(-age)
		if alerted {
			l.Alert = &lead.Delivery{At: l.CreatedAt.Add(2 * time.Second), MessageID: "m"}
		}
		return Waiting{Lead: l, Link: StaffLink{URL: "https://api.example-clinic.com/leads/" + l.ID + "?t=tok", Expires: at.Add(14 * 24 * time.Hour)}}
	}
	return Digest{
		At:            at,
		Total:         5,
		Escalated:     1,
		Oldest:        98 * time.Hour,
		EscalateAfter: 72 * time.Hour,
		Listed: []Waiting{
			mk("<b>Siobhán</b> O'Brien", "+12025550143", "", 98*time.Hour, false),
			mk("山田 太郎", "", "taro@example.jp", 30*time.Hour, true),
			mk("Pat & Co", "+442079460958", "pat@example.com", 25*time.Hour, true),
		},
	}
}

func TestDigestGolden(t *testing.T) {
	got, err := DigestEmail(digestFixture(), clinic)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digest", got)
	if strings.Contains(got.HTML, "<b>Siobhán") || !strings.Contains(got.HTML, "&lt;b&gt;Siobhán&lt;/b&gt;") {
		t.Error("a name reached the HTML part unescaped")
	}
	for _, want := range []string{"and 2 more", "Overdue", "never went out"} {
		if !strings.Contains(got.HTML, want) || !strings.Contains(strings.ToLower(got.Text), strings.ToLower(want)) {
			t.Errorf("digest lacks %q", want)
		}
	}
}

func TestDigestSubject(t *testing.T) {
	d := digestFixture()
	d.Total, d.Escalated, d.Listed = 1, 0, d.Listed[1:2]
	got, err := DigestEmail(d, clinic)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 appointment request still waiting for a call"; got.Subject != want {
		t.Errorf("subject %q, want %q", got.Subject, want)
	}
	if strings.Contains(got.Text, "more waiting") {
		t.Error("\"more\" with nothing left out")
	}
}
