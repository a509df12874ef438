package mailevents

import (
	"context"
	"log/slog"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/render/texts"
)

// Leads reads the lead a bounced alert was about: a text links only to a
// lead still kept.
type Leads interface {
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
}

// second is the second channel: a bounced or rejected alert goes out at
// once as a text to STAFF_SMS.
type second struct {
	cfg    config.MailEvents
	texts  *sms.Sender
	leads  Leads
	signer *link.Signer
	now    func() time.Time
}

// WithSMS makes h text a bounced or rejected alert to texts's numbers, with
// the lead's request number and a fresh staff link.
func (h *Handler) WithSMS(cfg config.MailEvents, texts *sms.Sender, leads Leads, signer *link.Signer, now func() time.Time) *Handler {
	if texts != nil {
		h.sms = &second{cfg: cfg, texts: texts, leads: leads, signer: signer, now: now}
	}
	return h
}

// alert texts lead id's alert. It runs once per bounce: a repeated event
// changes nothing and never gets here. A failure is logged, and the event
// still counts as recorded: the alarm has told ops already.
func (s *second) alert(ctx context.Context, log *slog.Logger, id string) {
	if s == nil {
		return
	}
	if err := s.signer.Refresh(ctx); err != nil {
		log.Warn("link secret not read again; the versions read before stay in use", "err", err)
	}
	now := s.now()
	l, err := s.leads.Get(ctx, id, now)
	if err != nil {
		log.Error("bounced alert not texted: lead not read", "err", err)
		return
	}
	url := s.signer.StaffLink(s.cfg.PublicBaseURL, l.ID, now.Add(s.cfg.LinkTTL))
	s.texts.Send(ctx, log, "bounced alert", texts.Bounced(s.cfg.ClinicName, l.ID, url))
}
