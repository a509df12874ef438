package ddb

import (
	"context"
	"iter"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// Requested yields every lead requested in [from, to), for the clinic's
// figures (internal/figures), page by page and never by a Scan: a lead
// is in exactly one of the three sparse lists whatever its status, each
// read from a bound that cannot miss one requested in the span.
//   - new: the pending index, by when it was requested: exactly the span;
//   - open: the queue index's call-backs, all of them (the clinic's open
//     queue: a call-back picked in the past would escape a bound);
//   - closed: the list index's closed leads, closed at or after from (a
//     lead closes after it is requested).
//
// Leads stored by the version before the call-back loop (status
// "contacted") and leads closed before the list index existed are in none
// of them until staff change them: docs/figures.md says so. A lead that
// moves between lists while the read runs (a GSI lags its table) may be
// seen in both or neither; a report run once a week takes that.
func (s *Store) Requested(ctx context.Context, from, to, now time.Time) iter.Seq2[lead.Lead, error] {
	in := func(l lead.Lead) bool { return !l.CreatedAt.Before(from) && l.CreatedAt.Before(to) }
	lists := []iter.Seq2[lead.Lead, error]{
		s.query(ctx, "new leads requested", pendingList, stamp(from), stampUp(to), false, now,
			func(l lead.Lead) bool { return l.Status == lead.StatusNew && in(l) }),
		s.query(ctx, "open leads", callbackList, "", "", false, now,
			func(l lead.Lead) bool { return l.Status == lead.StatusOpen && in(l) }),
		s.query(ctx, "closed leads", closedList, stamp(from), "", false, now,
			func(l lead.Lead) bool { return l.Status == lead.StatusClosed && in(l) }),
	}
	return func(yield func(lead.Lead, error) bool) {
		for _, list := range lists {
			for l, err := range list {
				if !yield(l, err) {
					return
				}
			}
		}
	}
}
