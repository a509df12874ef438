package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/smithy-go"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// earlier recognises a returning patient (docs/patients.md): it indexes
// l's contact keys (its phone number and email address, hashed with the
// link secret's current key), finds the requests indexed under them (under
// every version of the secret held) since PATIENT_MEMORY_DAYS before l,
// never past RETENTION_DAYS, and links l to those created before it. It
// returns them, newest first, for the alert to say; none with
// PATIENT_MEMORY_DAYS 0.
//
// A failure of any step is logged (the step, never a contact or key) and
// gives none: the alert goes out as a first request's rather than late.
// A redelivered record does it all again, harmlessly: indexing again
// changes nothing, and linking again writes the same ids.
func (h *Handler) earlier(ctx context.Context, log *slog.Logger, l lead.Lead, now time.Time) []lead.Lead {
	memory := h.cfg.PatientMemory
	if memory <= 0 {
		return nil
	}
	c := patient.Of(l)
	keys := c.Keys(h.signer.Key(patient.Purpose))
	if len(keys) == 0 {
		return nil
	}
	failed := func(step string, err error) []lead.Lead {
		log.Error("returning patient not recognised; the alert says nothing of earlier requests", "step", step, "err", storeFailure(err))
		return nil
	}
	if err := h.store.IndexContacts(ctx, l, keys); err != nil {
		return failed("index", err)
	}
	refs, err := patient.Find(ctx, h.store, c.KeysUnder(h.signer.Keys(patient.Purpose)), patient.Since(l.CreatedAt, memory, h.cfg.Retention), now)
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
