package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// recognising bounds the time recognising a returning patient may take
// (Handler.recognising), indexing a batch and each lead's look-up and
// linking: a slow table delays no alert by more.
const recognising = 5 * time.Second

// index puts the contact keys of every lead recs insert in the index
// (IndexContacts: the phone number and email address, hashed with the link
// secret's current key), side by side, before any lead is looked up: two
// requests of one patient in one batch (a form sent twice within seconds)
// then find each other. It returns each record's error, nil for a record
// that is no lead's insertion. Every request is indexed, PATIENT_MEMORY_DAYS
// 0 too: recognition is off then, but a patient's right of access and
// erasure (GET /staff/patient, the erase form) find their requests by the
// index. Indexing a lead again (a redelivered record) changes nothing.
func (h *Handler) index(ctx context.Context, recs []events.DynamoDBEventRecord) []error {
	errs := make([]error, len(recs))
	ctx, cancel := context.WithTimeout(ctx, h.recognising)
	defer cancel()
	key := h.signer.Key(patient.Purpose)
	sem := make(chan struct{}, max(h.cfg.Concurrency, 1))
	var wg sync.WaitGroup
	for i, r := range recs {
		if !isLeadInsert(r) {
			continue
		}
		l, err := ddb.LeadFromStream(r.Change.NewImage)
		if err != nil {
			errs[i] = err // the record fails on it too
			continue
		}
		keys := patient.Of(l).Keys(key)
		if len(keys) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = h.store.IndexContacts(ctx, l, keys)
		}()
	}
	wg.Wait()
	return errs
}

// earlier recognises a returning patient (docs/patients.md): once its
// batch is indexed (indexed is l's error there), it finds the requests
// indexed under l's contact keys (under every version of the link secret
// held) since PATIENT_MEMORY_DAYS before l, never past RETENTION_DAYS, and
// links l to those created before it. It returns them, newest first, for
// the alert to say; none with PATIENT_MEMORY_DAYS 0.
//
// A failure of any step is logged (the step, never a contact or key) and
// gives none: the alert goes out as a first request's rather than late.
// A redelivered record does it all again, harmlessly: linking again
// writes the same ids.
func (h *Handler) earlier(ctx context.Context, log *slog.Logger, l lead.Lead, indexed error, now time.Time) []lead.Lead {
	memory := h.cfg.PatientMemory
	if memory <= 0 {
		return nil
	}
	keys := patient.Of(l).KeysUnder(h.signer.Keys(patient.Purpose))
	if len(keys) == 0 {
		return nil
	}
	failed := func(step string, err error) []lead.Lead {
		log.Error("returning patient not recognised; the alert says nothing of earlier requests", "step", step, "err", storeFailure(err))
		return nil
	}
	if indexed != nil {
		return failed("index", indexed)
	}
	ctx, cancel := context.WithTimeout(ctx, h.recognising)
	defer cancel()
	refs, err := patient.Find(ctx, h.store, keys, patient.Since(l.CreatedAt, memory, h.cfg.Retention), now)
	if err != nil {
		return failed("look up", err)
	}
	var out []lead.Lead
	var ids []string
	for _, r := range refs {
		if r.ID == l.ID || !r.CreatedAt.Before(l.CreatedAt) {
			continue // itself, or a later request (recognised in its own turn)
		}
		e, err := h.store.Get(ctx, r.ID, now)
		if errors.Is(err, lead.ErrNotFound) {
			continue // its retention ended, or it was erased
		}
		if err != nil {
			return failed("read", err)
		}
		out, ids = append(out, e), append(ids, e.ID)
	}
	if len(out) == 0 {
		return nil
	}
	if err := h.store.LinkEarlier(ctx, l.ID, ids); err != nil {
		return failed("link", err)
	}
	log.Info("returning patient recognised", "earlier", len(ids))
	return out
}

// storeFailure says why a store call failed without its message, which
// may quote a contact key: the service's error code, or the type of the
// innermost error.
func storeFailure(err error) string {
	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		return "DynamoDB " + api.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return "timed out"
	}
	for next := errors.Unwrap(err); next != nil; next = errors.Unwrap(err) {
		err = next
	}
	return fmt.Sprintf("%T", err)
}
