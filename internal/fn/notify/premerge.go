package notify

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// TEMPORARY, until branch i30-store (the table's contact index) is merged:
// revert the commit that added this file then. The DynamoDB store does not
// index contacts yet, so notify's Store (which needs patient.Index) takes
// it through IndexPending. Each method uses the store's own once it has
// one, so this stays correct even if it outlives the merge.

// IndexPending is s as notify's Store.
func IndexPending(s *ddb.Store) Store { return pending{s} }

type pending struct{ *ddb.Store }

var errNoIndex = errors.New("the DynamoDB store has no contact index yet (branch i30-store)")

func (p pending) index() (patient.Index, bool) {
	idx, ok := any(p.Store).(patient.Index)
	return idx, ok
}

func (p pending) IndexContacts(ctx context.Context, l lead.Lead, keys []patient.Key) error {
	if idx, ok := p.index(); ok {
		return idx.IndexContacts(ctx, l, keys)
	}
	return errNoIndex
}

func (p pending) LinkEarlier(ctx context.Context, id string, earlier []string) error {
	if idx, ok := p.index(); ok {
		return idx.LinkEarlier(ctx, id, earlier)
	}
	return errNoIndex
}

func (p pending) ContactRequests(ctx context.Context, k patient.Key, since, now time.Time) iter.Seq2[patient.Ref, error] {
	if idx, ok := p.index(); ok {
		return idx.ContactRequests(ctx, k, since, now)
	}
	return func(yield func(patient.Ref, error) bool) { yield(patient.Ref{}, errNoIndex) }
}
