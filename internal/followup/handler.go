// Package followup is the daily safety net: it emails the clinic the leads
// nobody has marked contacted, oldest first, once per clinic-local day.
package followup

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"time"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/emails"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/sesmail"
)

// MaxListed is how many leads a digest lists; the rest are counted.
const MaxListed = 25

const (
	// runLease is how long a claimed run is left to the invocation that
	// claimed it before a retry may take over.
	runLease = 10 * time.Minute
	// runKeep is how long a day's run marker is kept (then TTL removes it).
	runKeep = 7 * 24 * time.Hour
)

// Store is what the follow-up needs of the lead store.
type Store interface {
	Pending(ctx context.Context, cutoff, now time.Time) iter.Seq2[lead.Lead, error]
	ClaimRun(ctx context.Context, key string, now time.Time, lease, keep time.Duration) error
	FinishRun(ctx context.Context, key string) error
	ReleaseRun(ctx context.Context, key string) error
}

// Sender sends one email and returns its message id.
type Sender interface {
	Send(ctx context.Context, m sesmail.Message) (string, error)
}

// Event is the schedule's input, the standard scheduled-event shape. Time is
// the scheduled time, the same on every retry of a run.
type Event struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Time       string `json:"time"`
}

// Handler runs the follow-up.
type Handler struct {
	cfg    config.FollowUp
	store  Store
	sender Sender
	signer *link.Signer
	log    *slog.Logger
	now    func() time.Time
}

// New returns a handler; now is only used when an event has no time, and
// for run leases.
func New(cfg config.FollowUp, store Store, sender Sender, signer *link.Signer, log *slog.Logger, now func() time.Time) *Handler {
	return &Handler{cfg: cfg, store: store, sender: sender, signer: signer, log: log, now: now}
}

// Handle runs one follow-up. An error fails the invocation, so the
// scheduler retries it (and, in the end, parks it in its dead-letter queue).
func (h *Handler) Handle(ctx context.Context, e Event) error {
	at, err := h.runTime(e)
	if err != nil {
		return err
	}
	day := at.In(h.cfg.TimeZone).Format(time.DateOnly)
	log := h.log.With("day", day)

	d, err := h.collect(ctx, at)
	if err != nil {
		return err
	}
	if d.Total == 0 {
		log.Info("nothing pending")
		return nil
	}

	key := "digest#" + day
	switch err := h.store.ClaimRun(ctx, key, h.now(), runLease, runKeep); {
	case errors.Is(err, lead.ErrRunTaken):
		log.Info("digest already sent today", "pending", d.Total)
		return nil
	case err != nil:
		return err
	}
	id, err := h.send(ctx, d)
	if err != nil {
		if rerr := h.store.ReleaseRun(ctx, key); rerr != nil {
			log.Error("release run", "err", rerr)
		}
		return err
	}
	if err := h.store.FinishRun(ctx, key); err != nil {
		// The digest went out: a retry would only repeat it.
		log.Error("digest sent but its run not recorded", "messageId", id, "err", err)
	}
	log.Info("digest sent", "pending", d.Total, "escalated", d.Escalated, "listed", len(d.Listed), "messageId", id)
	return nil
}

// runTime is the event's scheduled time, or now when it has none.
func (h *Handler) runTime(e Event) (time.Time, error) {
	if e.Time == "" {
		return h.now(), nil
	}
	at, err := time.Parse(time.RFC3339, e.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("event time %q: %w", e.Time, err)
	}
	return at, nil
}

// collect reads every lead waiting longer than FOLLOW_UP_AFTER at at, oldest
// first, keeping the first MaxListed and counting the rest: memory stays
// flat however many are waiting.
func (h *Handler) collect(ctx context.Context, at time.Time) (emails.Digest, error) {
	d := emails.Digest{At: at, EscalateAfter: h.cfg.EscalateAfter}
	expires := at.Add(h.cfg.LinkTTL)
	for l, err := range h.store.Pending(ctx, at.Add(-h.cfg.After), at) {
		if err != nil {
			return d, fmt.Errorf("list pending leads: %w", err)
		}
		waited := at.Sub(l.CreatedAt)
		if d.Total == 0 {
			d.Oldest = waited
		}
		d.Total++
		if waited > h.cfg.EscalateAfter {
			d.Escalated++
		}
		if len(d.Listed) < MaxListed {
			staff := emails.StaffLink{URL: h.signer.StaffLink(h.cfg.PublicBaseURL, l.ID, expires), Expires: expires}
			d.Listed = append(d.Listed, emails.Waiting{Lead: l, Link: staff})
		}
	}
	return d, nil
}

func (h *Handler) send(ctx context.Context, d emails.Digest) (string, error) {
	c, err := emails.DigestEmail(d, emails.Clinic{Name: h.cfg.ClinicName, TimeZone: h.cfg.TimeZone})
	if err != nil {
		return "", fmt.Errorf("render digest: %w", err)
	}
	to := slices.Clone(h.cfg.ClinicEmails)
	if d.Escalated > 0 {
		for _, a := range h.cfg.EscalationEmails {
			if !slices.Contains(to, a) {
				to = append(to, a)
			}
		}
	}
	id, err := h.sender.Send(ctx, sesmail.Message{
		From:    h.cfg.From(),
		To:      to,
		Subject: c.Subject,
		Text:    c.Text,
		HTML:    c.HTML,
	})
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	return id, nil
}
