package texts_test

import (
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
	"github.com/openclinic/leadhandler/internal/render/texts"
)

const link = "https://leads.example-clinic.com/l/3f2a9c1e?e=1&s=abc"

func TestBodies(t *testing.T) {
	id := "3f2a9c1e-1111-4222-8333-444455556666"
	const inbox = "https://leads.example-clinic.com/staff"
	siobhan := emails.Waiting{Lead: lead.Lead{ID: id, Name: "Siobhán O'Brien"}, Link: emails.StaffLink{URL: link}, Waited: 25 * time.Minute}
	one := emails.Nudge{Total: 1, Listed: []emails.Waiting{siobhan}, Shortest: 25 * time.Minute, Inbox: inbox}
	several := emails.Nudge{Total: 3, Listed: []emails.Waiting{siobhan, siobhan, siobhan}, SinceOpening: true, Inbox: inbox}
	for _, tc := range []struct{ name, got, want string }{
		{"alert", texts.Alert("Lakeside Physio", id, link), "Lakeside Physio: new request 55556666. " + link},
		{"nudge of one: its link", texts.Nudge("Lakeside Physio", one), "Lakeside Physio: 1 request waiting over 25 minutes, not answered yet. " + link},
		{"nudge of several: the inbox", texts.Nudge("Lakeside Physio", several), "Lakeside Physio: 3 requests waiting since the clinic opened, not answered yet. " + inbox},
		{"bounced", texts.Bounced("Lakeside Physio", id, link), "Lakeside Physio: the alert email for request 55556666 did not arrive. " + link},
		{"patient, no booking link", texts.Patient("Lakeside Physio", "We'll text you within 15 minutes.", ""),
			"Lakeside Physio: thanks for your request. We'll text you within 15 minutes. Reply STOP to opt out."},
		{"patient, with the booking link", texts.Patient("Lakeside Physio", "We're closed now; expect our call Monday from 8:00 AM.", "https://book.example.com/new"),
			"Lakeside Physio: thanks for your request. We're closed now; expect our call Monday from 8:00 AM. Prefer to pick a time yourself? Book online: https://book.example.com/new Reply STOP to opt out."},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
