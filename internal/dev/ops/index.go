package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// Backfill is the store's side of make index-patients.
type Backfill interface {
	// ScanLeads yields every lead still within retention (a Scan: the
	// terminal's tools only, never a function).
	ScanLeads(ctx context.Context, now time.Time) iter.Seq2[lead.Lead, error]
	IndexContacts(ctx context.Context, l lead.Lead, keys []patient.Key) error
}

// Backfilled is what IndexPatients did: how many requests it indexed, how
// many were indexed already, and how many give neither a phone number nor
// an email address (nothing to index).
type Backfilled struct {
	Indexed, Already, NoContact int
}

// IndexPatients puts every stored request not yet indexed under key (the
// link secret's current version for patient.Purpose) in the contact index,
// as notify indexes a new one: its phone number and email address hashed
// with key. That is every request stored before 1.1 (when notify began to
// index them), and, after the link secret was rotated, every request
// indexed under an older version only: once that version is retired, its
// hashes are looked up no more.
// The patient's data and erasure by contact (GET /staff/patient, make
// patient-export, make erase) then find it, and so does recognition of the
// patient's next request. It links no requests to one another: a request
// is linked to earlier ones only when it arrives. Running it again indexes
// nothing more (IndexContacts is idempotent); a request erased or ended
// meanwhile is skipped. It reads no personal data out: it prints counts.
func IndexPatients(ctx context.Context, st Backfill, key []byte, now time.Time) (Backfilled, error) {
	var out Backfilled
	if len(key) == 0 {
		return out, errors.New("no key of the link secret to index with")
	}
	for l, err := range st.ScanLeads(ctx, now) {
		if err != nil {
			return out, fmt.Errorf("after indexing %d %s: %w", out.Indexed, plural(out.Indexed, "request", "requests"), err)
		}
		keys := patient.Of(l).Keys(key)
		if len(keys) == 0 {
			out.NoContact++
			continue
		}
		if !slices.ContainsFunc(keys, func(k patient.Key) bool { return !slices.Contains(l.ContactKeys, string(k)) }) {
			out.Already++
			continue
		}
		err := st.IndexContacts(ctx, l, keys)
		if errors.Is(err, lead.ErrNotFound) {
			continue // erased since the scan read it
		}
		if err != nil {
			return out, fmt.Errorf("after indexing %d %s: %w", out.Indexed, plural(out.Indexed, "request", "requests"), err)
		}
		out.Indexed++
	}
	return out, nil
}

// printIndex indexes the requests st holds and says how many.
func printIndex(ctx context.Context, w io.Writer, st Backfill, r Reach, now time.Time) error {
	if len(r.Keys) == 0 {
		return errors.New("the link secret has no version to index with")
	}
	b, err := IndexPatients(ctx, st, r.Keys[0], now)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Indexed %d %s; %d %s already indexed; %d %s no phone or email.\n",
		b.Indexed, plural(b.Indexed, "request", "requests"),
		b.Already, plural(b.Already, "was", "were"),
		b.NoContact, plural(b.NoContact, "has", "have"))
	return nil
}
