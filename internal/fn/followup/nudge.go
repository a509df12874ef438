package followup

import (
	"context"
	"errors"
	"fmt"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
	"github.com/openclinic/leadhandler/internal/render/texts"
)

// WithSMS makes h text each nudge to s's numbers too (STAFF_SMS).
func (h *Handler) WithSMS(s *sms.Sender) *Handler {
	h.texts = s
	return h
}

// Nudge is the response guard firing for one lead: if nobody has recorded
// an attempt yet and no nudge went out, the escalation channel gets a short
// reminder with a signed link and no patient details, and the lead records
// it. It reports whether a nudge went out. An error fails the invocation,
// which Lambda's async retries deliver again; a nudge sent is never sent
// twice once recorded.
func (h *Handler) Nudge(ctx context.Context, n nudges.Nudge) (bool, error) {
	log := h.log.With("leadId", n.LeadID)
	if err := h.signer.Refresh(ctx); err != nil {
		log.Warn("link secret not read again; the versions read before stay in use", "err", err)
	}
	now := h.now()
	l, err := h.store.Get(ctx, n.LeadID, now)
	switch {
	case errors.Is(err, lead.ErrNotFound):
		log.Info("no nudge: lead gone")
		return false, nil
	case err != nil:
		return false, fmt.Errorf("nudge lead %s: %w", n.LeadID, err)
	case l.Status != lead.StatusNew:
		log.Info("no nudge: an attempt is recorded", "status", l.Status)
		return false, nil
	case l.Nudge != nil:
		log.Info("no nudge: already sent", "messageId", l.Nudge.MessageID)
		return false, nil
	}
	// As of the schedule's time, the same on every retry: "25 minutes ago"
	// says how long the request waited when it fell due.
	due := n.Due
	if due.IsZero() {
		due = now
	}
	expires := now.Add(h.cfg.LinkTTL)
	staff := emails.StaffLink{URL: h.signer.StaffLink(h.cfg.PublicBaseURL, l.ID, expires), Expires: expires}
	clinic := emails.Clinic{Name: h.cfg.ClinicName, TimeZone: h.cfg.TimeZone}
	c, err := emails.Nudge(clinic, l.ID, l.CreatedAt, due.Sub(l.CreatedAt), staff)
	if err != nil {
		return false, fmt.Errorf("render nudge: %w", err)
	}
	to := h.cfg.EscalationEmails
	if len(to) == 0 {
		to = h.cfg.ClinicEmails
	}
	id, err := h.sender.Send(ctx, sesmail.Message{From: h.cfg.From(), To: to, Subject: c.Subject, Text: c.Text, HTML: c.HTML})
	if err != nil {
		return false, fmt.Errorf("nudge lead %s: %w", l.ID, err)
	}
	if err := h.metrics.Put(nil, metric.Value{Def: metric.NudgesSent, Value: 1}); err != nil {
		log.Warn("count nudge", "err", err)
	}
	// Beside the email, once it went out (a failed email is retried, the
	// text with it): same lead, same signed link.
	h.texts.Send(ctx, log, "nudge", texts.Nudge(h.cfg.ClinicName, l.ID, due.Sub(l.CreatedAt), staff.URL))
	switch err := h.store.MarkNudged(ctx, l.ID, lead.Delivery{At: now, MessageID: id}); {
	case err == nil:
		log.Info("nudge sent", "messageId", id)
	case errors.Is(err, lead.ErrAlreadySent):
		log.Warn("nudge sent twice", "messageId", id) // another delivery won the race
	default:
		// Sent; failing would send it again on the retry.
		log.Error("nudge sent but not recorded", "messageId", id, "err", err)
	}
	return true, nil
}
