package storetest

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
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

// IndexContacts records keys on lead l and puts an index entry per key;
// the lead's version moves on when a key is new.
func (s *MemStore) IndexContacts(_ context.Context, l lead.Lead, keys []patient.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if len(keys) == 0 {
		return nil
	}
	cur, ok := s.leads[l.ID]
	if !ok {
		return lead.ErrNotFound
	}
	if s.contacts == nil {
		s.contacts = map[patient.Key]map[string]contactEntry{}
	}
	cur.ContactKeys = slices.Clone(cur.ContactKeys)
	added := false
	for _, k := range keys {
		if s.contacts[k] == nil {
			s.contacts[k] = map[string]contactEntry{}
		}
		s.contacts[k][l.ID] = contactEntry{ref: patient.Ref{ID: l.ID, CreatedAt: cur.CreatedAt}, expires: cur.ExpiresAt}
		if !slices.Contains(cur.ContactKeys, string(k)) {
			cur.ContactKeys = append(cur.ContactKeys, string(k))
			added = true
		}
	}
	if !added {
		return nil // a replay: every key recorded
	}
	// A set, in no order as DynamoDB keeps it: read back sorted. The
	// version moves on, as the DynamoDB store's does, so a staff change
	// read before is refused rather than dropping the keys.
	slices.Sort(cur.ContactKeys)
	cur.Version++
	s.leads[l.ID] = cur
	return nil
}

// ScanLeads yields every lead whose retention has not ended at now, by id
// (the DynamoDB store's Scan yields them in no order).
func (s *MemStore) ScanLeads(_ context.Context, now time.Time) iter.Seq2[lead.Lead, error] {
	return func(yield func(lead.Lead, error) bool) {
		s.mu.Lock()
		if s.Err != nil {
			err := s.Err
			s.mu.Unlock()
			yield(lead.Lead{}, err)
			return
		}
		var out []lead.Lead
		for _, l := range s.leads {
			if l.ExpiresAt.After(now) {
				out = append(out, l)
			}
		}
		s.mu.Unlock()
		slices.SortFunc(out, func(a, b lead.Lead) int { return strings.Compare(a.ID, b.ID) })
		for _, l := range out {
			if !yield(l, nil) {
				return
			}
		}
	}
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

// Dump is every value the store holds, as text (Dumper): each lead, held
// request, index entry, session, code and audit entry, whole.
func (s *MemStore) Dump(testing.TB) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.leads {
		out = append(out, fmt.Sprintf("%+v", l))
	}
	for _, h := range s.held {
		out = append(out, fmt.Sprintf("%+v", h))
	}
	for k, entries := range s.contacts {
		for id, e := range entries {
			out = append(out, fmt.Sprintf("%s %s %+v", k, id, e))
		}
	}
	for _, x := range s.sessions {
		out = append(out, fmt.Sprintf("%+v", x))
	}
	for _, x := range s.codes {
		out = append(out, fmt.Sprintf("%+v", x))
	}
	for _, x := range s.audit {
		out = append(out, fmt.Sprintf("%+v", x))
	}
	for k := range s.counters {
		out = append(out, k)
	}
	for k := range s.runs {
		out = append(out, k)
	}
	return out
}
