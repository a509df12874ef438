package patient

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// Index is the store's side of recognising a patient (notify).
type Index interface {
	Lookup
	// IndexContacts records keys on lead l (its ContactKeys) and puts one
	// index entry per key, kept as long as the lead. Doing it again
	// changes nothing.
	IndexContacts(ctx context.Context, l lead.Lead, keys []Key) error
	// LinkEarlier records on lead id the ids of its patient's earlier
	// requests (newest first), and on each of those that id as the newest
	// later request; every lead it changes moves on its Version. A lead
	// no longer stored is skipped.
	LinkEarlier(ctx context.Context, id string, earlier []string) error
}

// Store is the store's side of the right of access and erasure.
type Store interface {
	Lookup
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	// HeldList yields the held requests, newest first (lead.Held's list).
	HeldList(ctx context.Context, before time.Time, beforeID string, now time.Time) iter.Seq2[lead.Held, error]
	// Erase deletes what e names and says how many items it deleted.
	Erase(ctx context.Context, e Erasure) (int, error)
}

// Erasure is what erasing a patient deletes: every index entry under Keys,
// the leads Leads with every index entry of their own ContactKeys, and the
// held requests Held. Items already gone are no error.
type Erasure struct {
	Keys  []Key
	Leads []string
	Held  []string
}

// Record is everything the clinic keeps about one contact: its requests
// (newest first, with their history and the delivery of each email and
// text), the requests held for review that give it, and its keys.
type Record struct {
	Leads []lead.Lead
	Held  []lead.Held
	Keys  []Key
	// Gone are the ids the index still names whose lead has ended (its
	// retention passed; TTL deletes it within days).
	Gone []string
}

// Collect gathers what st keeps about c at now: the requests indexed under
// c's keys (under every version of the link secret in keys, current first),
// however old, and the held requests giving c (the held list is read
// whole: it is kept for days, HELD_RETENTION_DAYS, and bounded).
func Collect(ctx context.Context, st Store, keys [][]byte, c Contact, now time.Time) (Record, error) {
	r := Record{Keys: c.KeysUnder(keys)}
	if len(r.Keys) == 0 {
		return r, ErrContact
	}
	refs, err := Find(ctx, st, r.Keys, time.Time{}, now)
	if err != nil {
		return Record{}, fmt.Errorf("read the contact index: %w", err)
	}
	for _, ref := range refs {
		l, err := st.Get(ctx, ref.ID, now)
		switch {
		case errors.Is(err, lead.ErrNotFound):
			r.Gone = append(r.Gone, ref.ID)
		case err != nil:
			return Record{}, fmt.Errorf("read request %s: %w", ref.ID, err)
		default:
			r.Leads = append(r.Leads, l)
		}
	}
	for h, err := range st.HeldList(ctx, time.Time{}, "", now) {
		if err != nil {
			return Record{}, fmt.Errorf("read the held requests: %w", err)
		}
		if slices.ContainsFunc(Of(h.Lead).KeysUnder(keys), func(k Key) bool { return slices.Contains(r.Keys, k) }) {
			r.Held = append(r.Held, h)
		}
	}
	return r, nil
}

// Erasure is what erasing r deletes.
func (r Record) Erasure() Erasure {
	e := Erasure{Keys: slices.Clone(r.Keys), Leads: slices.Clone(r.Gone)}
	for _, l := range r.Leads {
		e.Leads = append(e.Leads, l.ID)
	}
	for _, h := range r.Held {
		e.Held = append(e.Held, h.ID)
	}
	return e
}

// IDs are the ids of r's requests, newest first.
func (r Record) IDs() []string {
	var out []string
	for _, l := range r.Leads {
		out = append(out, l.ID)
	}
	return out
}
