package ops

// MERGE NOTE (issue 30): delete this file, and use the *ddb.Store itself
// where Pending wraps it (local.go, cmd/ops), once branch i30-store
// (ddb.Store's ContactRequests and Erase) is merged. Until then it lets
// ops build; after the merge it still works, delegating to the store's own
// methods.

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/patient"
)

type pendingStore struct{ *ddb.Store }

// Pending is st as a Store (see the note above).
func Pending(st *ddb.Store) Store { return pendingStore{st} }

var errPending = errors.New("the store has no contact index yet (issue 30's store part)")

func (p pendingStore) ContactRequests(ctx context.Context, k patient.Key, since, now time.Time) iter.Seq2[patient.Ref, error] {
	if s, ok := any(p.Store).(patient.Lookup); ok {
		return s.ContactRequests(ctx, k, since, now)
	}
	return func(yield func(patient.Ref, error) bool) { yield(patient.Ref{}, errPending) }
}

func (p pendingStore) Erase(ctx context.Context, e patient.Erasure) (int, error) {
	if s, ok := any(p.Store).(interface {
		Erase(context.Context, patient.Erasure) (int, error)
	}); ok {
		return s.Erase(ctx, e)
	}
	return 0, errPending
}
