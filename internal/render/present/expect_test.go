package present

import (
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

func TestExpect(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	weekdays, err := hours.Parse(hours.Default, ny)
	if err != nil {
		t.Fatal(err)
	}
	wednesdays, err := hours.Parse("Wed 10:00-14:00", ny)
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 12, day, hour, minute, 0, 0, ny) } // Mon 7 Dec 2026
	for _, tt := range []struct {
		name string
		h    hours.Hours
		at   time.Time
		how  lead.ContactMethod
		want string
	}{
		{"open, a call", weekdays, at(7, 10, 0), lead.ByPhone, "We'll call you within 15 minutes."},
		{"open, a text", weekdays, at(7, 10, 0), lead.ByText, "We'll text you within 15 minutes."},
		{"open, an email", weekdays, at(7, 10, 0), lead.ByEmail, "We'll email you within 15 minutes."},
		{"closing in 5 minutes", weekdays, at(7, 17, 55), lead.ByPhone, "We're closing soon; expect our call tomorrow by 8:10 AM."},
		{"before opening", weekdays, at(7, 6, 30), lead.ByPhone, "We're closed now; expect our call today from 8:00 AM."},
		{"in the evening", weekdays, at(7, 20, 0), lead.ByPhone, "We're closed now; expect our call tomorrow from 8:00 AM."},
		{"on Saturday", weekdays, at(12, 11, 0), lead.ByText, "We're closed now; expect our text Monday from 8:00 AM."},
		{"one day a week, tomorrow", wednesdays, at(8, 11, 0), lead.ByPhone, "We're closed now; expect our call tomorrow from 10:00 AM."},
		{"one day a week, later", wednesdays, at(10, 11, 0), lead.ByPhone, "We're closed now; expect our call Wednesday from 10:00 AM."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expect(tt.h, 15*time.Minute, tt.at, tt.how); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	always, _ := hours.Parse(hours.Always, ny)
	if got := Expect(always, time.Hour, at(13, 3, 0), lead.ByPhone); got != "We'll call you within 1 hour." {
		t.Errorf("always open: %q", got)
	}
}
