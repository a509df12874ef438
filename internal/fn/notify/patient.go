package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/present"
	"github.com/openclinic/leadhandler/internal/render/texts"
)

// TextStore is what the text back to the patient needs of the store.
type TextStore interface {
	MarkTexted(ctx context.Context, id string, d lead.Delivery) error
}

// WithPatientTexts makes h text a patient who asked for it (PATIENT_SMS)
// once, through s (sms.ToOne, from STAFF_SMS_ORIGINATION).
func (h *Handler) WithPatientTexts(s *sms.Sender) *Handler {
	h.patients = s
	return h
}

// textBack sends the patient of l one short text: the clinic's name, when
// to expect its answer (present.Expect, as the acknowledgement says it)
// and how to opt out; never their name or anything they typed. Only with
// PATIENT_SMS on for how they asked to be contacted, their consent, a
// valid number, and never for a request that was held for review (a
// number a bot typed is how texting fraud pays). record never reaches
// here for a lead held back by ALERT_LIMIT. Recorded on the lead
// (MarkTexted), so a redelivered record sends nothing. A failure is logged
// without the number and fails nothing: the alert went out, and a number
// the service refuses (opted out with STOP, unreachable) would refuse
// every retry.
func (h *Handler) textBack(ctx context.Context, log *slog.Logger, l lead.Lead, now time.Time) {
	switch {
	case h.patients == nil || l.PatientText != nil:
		return
	case !h.cfg.PatientSMS.Texts(l.PreferredContact), l.Consent.At.IsZero(), !l.ReleasedAt.IsZero(), l.Phone == "":
		return
	}
	when := present.Expect(h.cfg.Guard.Hours, h.cfg.Guard.SLA, l.CreatedAt, l.PreferredContact)
	id, err := h.patients.Text(ctx, l.Phone, texts.Patient(h.cfg.ClinicName, when, h.cfg.BookingURL))
	if errors.Is(err, sms.ErrNotANumber) {
		log.Warn("patient text not sent", "reason", "not an E.164 number")
		return
	}
	if err != nil {
		log.Error("patient text not sent", "err", err)
		return
	}
	switch err := h.store.MarkTexted(ctx, l.ID, lead.Delivery{At: now, MessageID: id}); {
	case err == nil:
		log.Info("patient text sent", "messageId", id)
	case errors.Is(err, lead.ErrAlreadySent):
		log.Warn("patient text sent, but another copy was recorded first", "messageId", id)
	default:
		log.Error("patient text sent but not recorded", "messageId", id, "err", err)
	}
}
