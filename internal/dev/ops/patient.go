package ops

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/phone"
	"github.com/openclinic/leadhandler/internal/render/export"
)

// Patients is the store's side of make patient-export and make erase.
type Patients interface {
	patient.Store
	Audit(ctx context.Context, e access.AuditEntry) error
}

// Guard deletes a lead's response-guard schedule (internal/adapter/nudges).
type Guard interface {
	Disarm(ctx context.Context, id string) error
}

// Reach is what make patient-export and make erase need beside the store:
// the link secret's keys for patient.Purpose (every version held, current
// first), and the guard that deletes the nudges' schedules; a nil Guard
// when the schedules cannot be reached (make dev's are in its own process).
type Reach struct {
	Keys  [][]byte
	Guard Guard
	// Actor is who runs the command (their AWS identity's ARN), for the
	// audit trail; "" for the command's name.
	Actor string
}

func actor(r Reach, command string) string {
	if r.Actor != "" {
		return r.Actor
	}
	return command
}

// printErase erases c's data and says what it did.
func printErase(ctx context.Context, w io.Writer, st Patients, r Reach, c patient.Contact, now time.Time, keep time.Duration) error {
	e, err := ErasePatient(ctx, st, r, c, now, keep, actor(r, byErase))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Erased: %d %s and their history, %d held %s, %d %s in all.\n", e.Requests, plural(e.Requests, "request", "requests"),
		e.Held, plural(e.Held, "request", "requests"), e.Items, plural(e.Items, "item", "items"))
	switch {
	case !e.Unscheduled:
		fmt.Fprintln(w, "Their response-guard schedules were not reachable from here (make dev's live in its own process): each fires, finds no request, and sends nothing.")
	case len(e.Kept) > 0:
		fmt.Fprintf(w, "The response-guard schedules of %d %s could not be deleted: each fires, finds no request, and sends nothing.\n", len(e.Kept), plural(len(e.Kept), "request", "requests"))
	}
	return nil
}

// NudgeGroup is the stack's schedule group for the response guard:
// NUDGE_GROUP if set, else the template's NudgeScheduleGroup name,
// "<stack>-nudges".
func NudgeGroup(getenv func(string) string, stack string) string {
	if g := strings.TrimSpace(getenv("NUDGE_GROUP")); g != "" {
		return g
	}
	return stack + "-nudges"
}

// The request ids (and the actor, without a better one) of the audit
// entries the commands write.
const (
	byPatientExport = "make patient-export"
	byErase         = "make erase"
)

// ReadContact reads CONTACT: an email address, or a phone number, with its
// country code or as dialled in region (PHONE_REGION, US when unset), as
// the form reads it.
func ReadContact(v, region string) (patient.Contact, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return patient.Contact{}, usageError{"say whose data: CONTACT=+13035550199 or CONTACT=margaret@example.com"}
	}
	if strings.Contains(v, "@") {
		c, err := patient.ParseContact(v)
		if err != nil {
			return c, usageError{fmt.Sprintf("CONTACT %q: %v", v, err)}
		}
		return c, nil
	}
	if region == "" {
		region = "US"
	}
	if !phone.KnownRegion(region) {
		return patient.Contact{}, usageError{fmt.Sprintf("PHONE_REGION %q: want a region code such as US or GB", region)}
	}
	e164, _, p := phone.Normalizer{Region: region}.Format(v)
	if p != phone.NoProblem {
		return patient.Contact{}, usageError{fmt.Sprintf("CONTACT %q: not a phone number of %s, nor an email address; give the number with its area code, or with its country code such as +13035550199", v, region)}
	}
	return patient.Contact{Phone: e164}, nil
}

// PatientExport writes everything st keeps about c as JSON (the owner's GET
// /staff/patient writes the same), after the audit entry recording it
// (actor actor, kept for keep): without the entry, nothing is written. It
// returns how many requests it held.
func PatientExport(ctx context.Context, w io.Writer, st Patients, keys [][]byte, c patient.Contact, now time.Time, keep time.Duration, actor string, zone *time.Location) (int, error) {
	rec, err := patient.Collect(ctx, st, keys, c, now)
	if err != nil {
		return 0, fmt.Errorf("read the patient's data: %w", err)
	}
	var buf bytes.Buffer
	if err := export.WritePatient(&buf, rec, now, zone); err != nil {
		return 0, err
	}
	e := access.AuditEntry{At: now, Actor: actor, Action: access.PatientExport, RequestID: byPatientExport, Requests: len(rec.Leads), Expires: now.Add(keep)}
	if err := st.Audit(ctx, e); err != nil {
		return 0, fmt.Errorf("the audit entry was not written, so nothing was exported: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return len(rec.Leads), err
}

// Erased is what ErasePatient did.
type Erased struct {
	Requests, Held, Items int
	// Unscheduled: the guard was reached; Kept are the leads whose
	// schedule it failed to delete (each fires, finds no lead, and sends
	// nothing).
	Unscheduled bool
	Kept        []string
}

// ErasePatient erases everything st keeps about c, as the owner's erase
// form does: every request of c with its index entries and history, the
// held requests giving c, and (guard not nil) the requests' response-guard
// schedules; then records it in the audit trail (actor, kept for keep:
// counts, never the contact).
func ErasePatient(ctx context.Context, st Patients, r Reach, c patient.Contact, now time.Time, keep time.Duration, actor string) (Erased, error) {
	rec, err := patient.Collect(ctx, st, r.Keys, c, now)
	if err != nil {
		return Erased{}, fmt.Errorf("read the patient's data: %w", err)
	}
	e := rec.Erasure()
	out := Erased{Requests: len(rec.Leads), Held: len(rec.Held), Unscheduled: r.Guard != nil}
	if r.Guard != nil {
		for _, id := range e.Leads {
			if err := r.Guard.Disarm(ctx, id); err != nil {
				out.Kept = append(out.Kept, id)
			}
		}
	}
	if out.Items, err = st.Erase(ctx, e); err != nil {
		return out, fmt.Errorf("erase: %w", err)
	}
	entry := access.AuditEntry{At: now, Actor: actor, Action: access.Erase, RequestID: byErase, Requests: out.Requests, Items: out.Items, Expires: now.Add(keep)}
	if err := st.Audit(ctx, entry); err != nil {
		return out, fmt.Errorf("erased %d items, but the audit entry was not written: %w", out.Items, err)
	}
	return out, nil
}
