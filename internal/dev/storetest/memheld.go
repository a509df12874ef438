package storetest

import (
	"cmp"
	"context"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// Hold stores a held request unless its id is taken, counts it under day,
// and charges c first when given.
func (s *MemStore) Hold(_ context.Context, h lead.Held, day string, c *ratelimit.Charge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if _, ok := s.held[h.ID]; ok {
		return lead.ErrExists
	}
	if c != nil {
		if err := s.charge(*c); err != nil {
			return err
		}
	}
	h.Source.UTM = maps.Clone(h.Source.UTM)
	s.held[h.ID] = h
	s.heldDays[day]++
	return nil
}

// HeldCount is how many requests were held on day.
func (s *MemStore) HeldCount(_ context.Context, day string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return 0, s.Err
	}
	return s.heldDays[day], nil
}

// GetHeld returns the held request id unless it is gone or its hold ended.
func (s *MemStore) GetHeld(_ context.Context, id string, now time.Time) (lead.Held, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return lead.Held{}, s.Err
	}
	h, ok := s.held[id]
	if !ok || !h.ExpiresAt.After(now) {
		return lead.Held{}, lead.ErrNotFound
	}
	return h, nil
}

// HeldList yields the held requests newest first, before (before,
// beforeID) when before is set.
func (s *MemStore) HeldList(_ context.Context, before time.Time, beforeID string, now time.Time) iter.Seq2[lead.Held, error] {
	return func(yield func(lead.Held, error) bool) {
		s.mu.Lock()
		if s.Err != nil {
			err := s.Err
			s.mu.Unlock()
			yield(lead.Held{}, err)
			return
		}
		order := func(a, b lead.Held) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		}
		var out []lead.Held
		for _, h := range s.held {
			if !h.ExpiresAt.After(now) {
				continue
			}
			if !before.IsZero() && order(h, lead.Held{Lead: lead.Lead{CreatedAt: before, ID: beforeID}}) >= 0 {
				continue
			}
			out = append(out, h)
		}
		s.mu.Unlock()
		slices.SortFunc(out, func(a, b lead.Held) int { return order(b, a) })
		for _, h := range out {
			if !yield(h, nil) {
				return
			}
		}
	}
}

// ReleaseHeld stores l and deletes the held request l.ID, or neither.
func (s *MemStore) ReleaseHeld(_ context.Context, l lead.Lead, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if h, ok := s.held[l.ID]; !ok || !h.ExpiresAt.After(now) {
		return lead.ErrNotFound
	}
	if _, ok := s.leads[l.ID]; ok {
		return lead.ErrExists
	}
	l.Source.UTM = maps.Clone(l.Source.UTM)
	s.leads[l.ID] = l
	delete(s.held, l.ID)
	return nil
}

// DeleteHeld deletes the held request id.
func (s *MemStore) DeleteHeld(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if _, ok := s.held[id]; !ok {
		return lead.ErrNotFound
	}
	delete(s.held, id)
	return nil
}

// HeldRequests returns every held request, for assertions.
func (s *MemStore) HeldRequests() []lead.Held {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Values(s.held))
}
