package storetest

import (
	"cmp"
	"context"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// MemStore is an in-memory lead store for fast unit tests. It keeps the
// DynamoDB store's contract (Run checks both), and can be told to fail like
// an unreachable database. It holds leads and rate counters in maps.
type MemStore struct {
	mu       sync.Mutex
	leads    map[string]lead.Lead
	counters map[string]int
	runs     map[string]run
	sessions map[string]access.Session
	// linksEnded is when sessions from emailed links were last all ended.
	linksEnded time.Time
	codes      map[string]access.Code
	audit      []access.AuditEntry
	// held and heldDays are the held requests and their counts per day
	// (memheld.go), made on first use.
	held     map[string]lead.Held
	heldDays map[string]int
	// contacts is the contact index (mempatient.go), made on first use.
	contacts map[patient.Key]map[string]contactEntry
	// Err, when set, is returned by every call, and nothing changes.
	Err error
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{leads: map[string]lead.Lead{}, counters: map[string]int{}, runs: map[string]run{},
		sessions: map[string]access.Session{}, codes: map[string]access.Code{}, held: map[string]lead.Held{}, heldDays: map[string]int{}}
}

type run struct {
	claimedAt time.Time
	done      bool
}

// Progress writes l's call-back state over the stored lead if that is
// still at l.Version.
func (s *MemStore) Progress(_ context.Context, l lead.Lead, now time.Time) (lead.Lead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return lead.Lead{}, s.Err
	}
	cur, ok := s.leads[l.ID]
	if !ok || !cur.ExpiresAt.After(now) {
		return lead.Lead{}, lead.ErrNotFound
	}
	if cur.Version != l.Version {
		return cur, lead.ErrChanged
	}
	cur.Status, cur.History, cur.Dropped, cur.Tries = l.Status, slices.Clone(l.History), l.Dropped, l.Tries
	cur.Callback, cur.Closed, cur.ClosedAt, cur.Unreported = l.Callback, l.Closed, l.ClosedAt, l.Unreported
	cur.FirstAttempt, cur.FirstReach, cur.Version = l.FirstAttempt, l.FirstReach, l.Version+1
	s.leads[l.ID] = cur
	return cur, nil
}

// ClaimRun claims run key unless done or claimed less than lease ago.
func (s *MemStore) ClaimRun(_ context.Context, key string, now time.Time, lease, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if r, ok := s.runs[key]; ok && (r.done || !r.claimedAt.Before(now.Add(-lease))) {
		return lead.ErrRunTaken
	}
	s.runs[key] = run{claimedAt: now}
	return nil
}

// FinishRun marks run key done.
func (s *MemStore) FinishRun(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	s.runs[key] = run{claimedAt: s.runs[key].claimedAt, done: true}
	return nil
}

// ReleaseRun forgets a claimed, unfinished run.
func (s *MemStore) ReleaseRun(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if r, ok := s.runs[key]; ok && !r.done {
		delete(s.runs, key)
	}
	return nil
}

// RunDone is whether run key was finished.
func (s *MemStore) RunDone(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return false, s.Err
	}
	return s.runs[key].done, nil
}

// Save stores l unless its id is taken, charging c first when given.
func (s *MemStore) Save(_ context.Context, l lead.Lead, c *ratelimit.Charge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if _, ok := s.leads[l.ID]; ok {
		return lead.ErrExists
	}
	if c != nil {
		if err := s.charge(*c); err != nil {
			return err
		}
	}
	l.Source.UTM = maps.Clone(l.Source.UTM)
	s.leads[l.ID] = l
	return nil
}

// Charge counts one request against c's window.
func (s *MemStore) Charge(_ context.Context, c ratelimit.Charge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	return s.charge(c)
}

// Refund takes back one charge of c's window, never below 0.
func (s *MemStore) Refund(_ context.Context, c ratelimit.Charge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if s.counters[c.Key] > 0 {
		s.counters[c.Key]--
	}
	return nil
}

// charge counts one request against c's window; s.mu is held.
func (s *MemStore) charge(c ratelimit.Charge) error {
	if s.counters[c.Key] >= c.Limit {
		return ratelimit.ErrLimited
	}
	s.counters[c.Key]++
	return nil
}

// MarkAlertHeld records that lead id's alert was held back, once, never
// for a lead alerted.
func (s *MemStore) MarkAlertHeld(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	l, ok := s.leads[id]
	switch {
	case !ok:
		return lead.ErrNotFound
	case l.Alert != nil || !l.AlertHeld.IsZero():
		return lead.ErrAlreadySent
	}
	l.AlertHeld = at
	l.Version++
	s.leads[id] = l
	return nil
}

// MarkAlerted records the alert of lead id, once.
func (s *MemStore) MarkAlerted(_ context.Context, id string, d lead.Delivery) error {
	return s.mark(id, d, func(l *lead.Lead) **lead.Delivery { return &l.Alert })
}

// MarkAcknowledged records the acknowledgement of lead id, once.
func (s *MemStore) MarkAcknowledged(_ context.Context, id string, d lead.Delivery) error {
	return s.mark(id, d, func(l *lead.Lead) **lead.Delivery { return &l.Ack })
}

// MarkTexted records the text to the patient of lead id, once.
func (s *MemStore) MarkTexted(_ context.Context, id string, d lead.Delivery) error {
	return s.mark(id, d, func(l *lead.Lead) **lead.Delivery { return &l.PatientText })
}

// MarkNudged records the response guard's nudge about lead id, once.
func (s *MemStore) MarkNudged(_ context.Context, id string, d lead.Delivery) error {
	return s.mark(id, d, func(l *lead.Lead) **lead.Delivery { return &l.Nudge })
}

// RecordAlertOutcome records what SES reported about lead id's alert, as
// lead.Delivery.Apply says.
func (s *MemStore) RecordAlertOutcome(_ context.Context, id string, o lead.MailOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	l, ok := s.leads[id]
	if !ok {
		return lead.ErrNotFound
	}
	if l.Alert == nil {
		return lead.ErrMailNoChange
	}
	d := *l.Alert
	if !d.Apply(o) {
		return lead.ErrMailNoChange
	}
	l.Alert = &d
	l.Version++
	s.leads[id] = l
	return nil
}

func (s *MemStore) mark(id string, d lead.Delivery, field func(*lead.Lead) **lead.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	l, ok := s.leads[id]
	if !ok {
		return lead.ErrNotFound
	}
	f := field(&l)
	if *f != nil {
		return lead.ErrAlreadySent
	}
	*f = &d
	l.Version++
	s.leads[id] = l
	return nil
}

// Get returns the lead with id unless it is missing or expired at now.
func (s *MemStore) Get(_ context.Context, id string, now time.Time) (lead.Lead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return lead.Lead{}, s.Err
	}
	l, ok := s.leads[id]
	if !ok || !l.ExpiresAt.After(now) {
		return lead.Lead{}, lead.ErrNotFound
	}
	return l, nil
}

// Pending yields new leads created before cutoff, oldest first.
func (s *MemStore) Pending(_ context.Context, cutoff, now time.Time) iter.Seq2[lead.Lead, error] {
	return s.list(now, func(l lead.Lead) (time.Time, bool) {
		return l.CreatedAt, l.Status == lead.StatusNew && l.CreatedAt.Before(cutoff)
	})
}

// Due yields open leads whose call-back is due before before, soonest first.
func (s *MemStore) Due(_ context.Context, before, now time.Time) iter.Seq2[lead.Lead, error] {
	return s.list(now, func(l lead.Lead) (time.Time, bool) {
		return l.Callback, l.Status == lead.StatusOpen && !l.Callback.IsZero() && l.Callback.Before(before)
	})
}

// Unreported yields leads closed as unreachable not yet reported, oldest
// closing first.
func (s *MemStore) Unreported(_ context.Context, now time.Time) iter.Seq2[lead.Lead, error] {
	return s.list(now, func(l lead.Lead) (time.Time, bool) { return l.ClosedAt, l.Unreported })
}

// list yields the unexpired leads pick takes, ordered by the time it gives.
func (s *MemStore) list(now time.Time, pick func(lead.Lead) (time.Time, bool)) iter.Seq2[lead.Lead, error] {
	return func(yield func(lead.Lead, error) bool) {
		s.mu.Lock()
		if s.Err != nil {
			err := s.Err
			s.mu.Unlock()
			yield(lead.Lead{}, err)
			return
		}
		type keyed struct {
			at time.Time
			l  lead.Lead
		}
		var out []keyed
		for _, l := range s.leads {
			if at, ok := pick(l); ok && l.ExpiresAt.After(now) {
				out = append(out, keyed{at, l})
			}
		}
		s.mu.Unlock()
		slices.SortFunc(out, func(a, b keyed) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.l.ID, b.l.ID)) })
		for _, k := range out {
			if !yield(k.l, nil) {
				return
			}
		}
	}
}

// Leads returns every stored lead, for assertions.
func (s *MemStore) Leads() []lead.Lead {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Values(s.leads))
}

// Requested yields the leads requested in [from, to), whatever their
// status, in request order (the order is no part of the contract).
func (s *MemStore) Requested(_ context.Context, from, to, now time.Time) iter.Seq2[lead.Lead, error] {
	return s.list(now, func(l lead.Lead) (time.Time, bool) {
		return l.CreatedAt, !l.CreatedAt.Before(from) && l.CreatedAt.Before(to)
	})
}
