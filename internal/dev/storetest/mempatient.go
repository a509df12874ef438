package storetest

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// contactEntry is one index entry: a request under one contact key, kept
// until its lead's retention ends.
type contactEntry struct {
	ref     patient.Ref
	expires time.Time
}

// IndexContacts records keys on lead l and puts an index entry per key.
func (s *MemStore) IndexContacts(_ context.Context, l lead.Lead, keys []patient.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	cur, ok := s.leads[l.ID]
	if !ok {
		return lead.ErrNotFound
	}
	if s.contacts == nil {
		s.contacts = map[patient.Key]map[string]contactEntry{}
	}
	for _, k := range keys {
		if s.contacts[k] == nil {
			s.contacts[k] = map[string]contactEntry{}
		}
		s.contacts[k][l.ID] = contactEntry{ref: patient.Ref{ID: l.ID, CreatedAt: cur.CreatedAt}, expires: cur.ExpiresAt}
		if !slices.Contains(cur.ContactKeys, string(k)) {
			cur.ContactKeys = append(cur.ContactKeys, string(k))
		}
	}
	s.leads[l.ID] = cur
	return nil
}

// ContactRequests yields the requests under k created at or after since,
// newest first.
func (s *MemStore) ContactRequests(_ context.Context, k patient.Key, since, now time.Time) iter.Seq2[patient.Ref, error] {
	return func(yield func(patient.Ref, error) bool) {
		s.mu.Lock()
		if s.Err != nil {
			err := s.Err
			s.mu.Unlock()
			yield(patient.Ref{}, err)
			return
		}
		var out []patient.Ref
		for _, e := range s.contacts[k] {
			if e.expires.After(now) && !e.ref.CreatedAt.Before(since) {
				out = append(out, e.ref)
			}
		}
		s.mu.Unlock()
		slices.SortFunc(out, func(a, b patient.Ref) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
		})
		for _, r := range out {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// LinkEarlier records earlier on lead id, and id as Newer on each earlier
// lead still stored; each changed lead's Version moves on.
func (s *MemStore) LinkEarlier(_ context.Context, id string, earlier []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	cur, ok := s.leads[id]
	if !ok {
		return lead.ErrNotFound
	}
	cur.Earlier = slices.Clone(earlier)
	cur.Version++
	s.leads[id] = cur
	for _, e := range earlier {
		if old, ok := s.leads[e]; ok {
			old.Newer = id
			old.Version++
			s.leads[e] = old
		}
	}
	return nil
}

// Erase deletes what e names and counts the items it deleted.
func (s *MemStore) Erase(_ context.Context, e patient.Erasure) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return 0, s.Err
	}
	n := 0
	for _, k := range e.Keys {
		n += len(s.contacts[k])
		delete(s.contacts, k)
	}
	for _, id := range e.Leads {
		l, ok := s.leads[id]
		if !ok {
			continue
		}
		for _, k := range l.ContactKeys {
			if _, ok := s.contacts[patient.Key(k)][id]; ok {
				delete(s.contacts[patient.Key(k)], id)
				n++
			}
		}
		delete(s.leads, id)
		n++
	}
	for _, id := range e.Held {
		if _, ok := s.held[id]; ok {
			delete(s.held, id)
			n++
		}
	}
	return n, nil
}
