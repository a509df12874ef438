package present

import (
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

func TestAskedBeforeSaysTheDayAndWhereTheRequestStands(t *testing.T) {
	loc, err := time.LoadLocation("America/Denver")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 19, 15, 0, 0, 0, time.UTC)
	att := func(o lead.Outcome) lead.Event { return lead.Event{Kind: lead.EventAttempt, Outcome: o} }
	cases := []struct {
		name string
		l    lead.Lead
		want string
	}{
		{"unreachable", lead.Lead{CreatedAt: time.Date(2026, 11, 12, 16, 0, 0, 0, time.UTC), Status: lead.StatusClosed, Closed: lead.ClosedUnreachable,
			History: []lead.Event{att(lead.NoAnswer), att(lead.NoAnswer), att(lead.LeftMessage), att(lead.NoAnswer)}}, "12 Nov (closed: unreachable after 4 tries)"},
		// 02:00 UTC on 13 Nov is still 12 Nov in Denver.
		{"new, local day", lead.Lead{CreatedAt: time.Date(2026, 11, 13, 2, 0, 0, 0, time.UTC), Status: lead.StatusNew}, "12 Nov (new: not tried yet)"},
		{"open", lead.Lead{CreatedAt: time.Date(2026, 10, 1, 16, 0, 0, 0, time.UTC), Status: lead.StatusOpen, History: []lead.Event{att(lead.NoAnswer)}}, "1 Oct (open: 1 try)"},
		{"last year", lead.Lead{CreatedAt: time.Date(2025, 12, 30, 16, 0, 0, 0, time.UTC), Status: lead.StatusClosed, Closed: lead.ClosedBooked}, "30 Dec 2025 (closed: booked)"},
		{"duplicate", lead.Lead{CreatedAt: time.Date(2026, 11, 18, 16, 0, 0, 0, time.UTC), Status: lead.StatusClosed, Closed: lead.ClosedDuplicate}, "18 Nov (closed: a duplicate of a newer request)"},
	}
	for _, c := range cases {
		if got := AskedBefore(c.l, loc, now); got != c.want {
			t.Errorf("%s: AskedBefore = %q, want %q", c.name, got, c.want)
		}
	}
}
