package emails_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
)

// TestSummary: the medians say how many requests they are of, and the
// untried are said beside them, never left out.
func TestSummary(t *testing.T) {
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	now := from.Add(12 * time.Hour)
	req := func(id int, tried time.Duration) lead.Lead {
		at := from.Add(time.Duration(id) * time.Hour)
		l := lead.Lead{ID: fmt.Sprintf("%08d", id), CreatedAt: at, Status: lead.StatusOpen}
		if tried > 0 {
			l.FirstAttempt = at.Add(tried)
		}
		return l
	}
	duplicate := func(l lead.Lead) lead.Lead {
		l.Status, l.Closed, l.ClosedAt = lead.StatusClosed, lead.ClosedDuplicate, l.CreatedAt.Add(6*time.Hour)
		return l
	}
	for _, tc := range []struct {
		name  string
		leads []lead.Lead
		want  []string
	}{
		{"none", nil, []string{"No requests."}},
		{"none tried", []lead.Lead{req(1, 0), req(2, 0)}, []string{"2 requests, 0 booked (0%).", "None tried yet: 2 requests waiting for a first attempt."}},
		{"some tried", []lead.Lead{req(1, 3*time.Minute), req(2, 7*time.Minute), req(3, 0)}, []string{"3 requests, 0 booked (0%).",
			"Time to first attempt (every minute counted): median 3 min, 90th percentile 7 min over 2 tried; 1 not tried yet; 1 within 5 minutes, 2 within 1 hour, 2 within 1 day."}},
		{"duplicates apart", []lead.Lead{req(1, 3*time.Minute), duplicate(req(2, 0)), duplicate(req(3, 5*time.Minute))}, []string{"1 request, 0 booked (0%).",
			"Time to first attempt (every minute counted): median 3 min, 90th percentile 3 min over 1 tried; 1 within 5 minutes, 1 within 1 hour, 1 within 1 day.",
			"2 duplicates not counted above: a returning patient's older requests, closed when staff tried the newer one."}},
	} {
		b := figures.New(from, from.Add(24*time.Hour), now, hours.Hours{}, time.UTC)
		for _, l := range tc.leads {
			b.Add(l)
		}
		if diff := cmp.Diff(tc.want, emails.Summary(b, false)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
