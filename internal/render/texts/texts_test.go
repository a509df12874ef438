package texts_test

import (
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/render/texts"
)

const link = "https://leads.example-clinic.com/l/3f2a9c1e?e=1&s=abc"

func TestBodies(t *testing.T) {
	id := "3f2a9c1e-1111-4222-8333-444455556666"
	for _, tc := range []struct{ name, got, want string }{
		{"alert", texts.Alert("Lakeside Physio", "Siobhán", id, link), "Lakeside Physio: new request 55556666 from Siobhán. " + link},
		{"alert without a name", texts.Alert("Lakeside Physio", "", id, link), "Lakeside Physio: new request 55556666 from a visitor. " + link},
		{"nudge", texts.Nudge("Lakeside Physio", id, 25*time.Minute, link), "Lakeside Physio: request 55556666 from 25 minutes ago has not been answered. " + link},
		{"bounced", texts.Bounced("Lakeside Physio", "Siobhán", id, link), "Lakeside Physio: the alert email for request 55556666 from Siobhán did not arrive. " + link},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
