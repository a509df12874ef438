package followup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
	"github.com/openclinic/leadhandler/internal/render/texts"
)

const (
	// nudgeLease is how long a nudge batch's claim is left to the invocation
	// that made it: longer than the function's timeout (120 s in the
	// template), so the claimer is gone before a retry takes over.
	nudgeLease = 3 * time.Minute
	// nudgeKeep is how long a batch's run marker is kept: past Lambda's
	// retries of the schedules that share it (an hour at most).
	nudgeKeep = 24 * time.Hour
	// nudgePoll and nudgePolls: a schedule that finds its batch being sent
	// looks again every nudgePoll, nudgePolls times, before it fails for
	// Lambda to retry it. Schedules of one batch fire together; failing
	// them all would raise FollowUpErrorsAlarm every morning.
	nudgePoll  = time.Second
	nudgePolls = 20
)

// WithSMS makes h text each nudge to s's numbers too (STAFF_SMS).
func (h *Handler) WithSMS(s *sms.Sender) *Handler {
	h.texts = s
	return h
}

// NudgeOutcome is what one nudge event did.
type NudgeOutcome struct {
	// Nudged is how many requests the email this event sent is about: 0
	// when it sent none (its lead tried, gone, or nudged with its batch).
	Nudged    int
	MessageID string
}

// Nudge is the response guard firing for one lead. The first schedule of a
// batch (those due at n.Due) to claim it emails one reminder about every
// request nobody has tried, not nudged yet and due by n.Due (RESPONSE_SLA of
// opening time after it came in), and records the nudge on each; the
// others find their lead nudged. An error fails the invocation, which
// Lambda's async retries deliver again; a nudge recorded is never sent
// again.
func (h *Handler) Nudge(ctx context.Context, n nudges.Nudge) (NudgeOutcome, error) {
	log := h.log.With("leadId", n.LeadID)
	if err := h.signer.Refresh(ctx); err != nil {
		log.Warn("link secret not read again; the versions read before stay in use", "err", err)
	}
	// Waits are told as of the schedule's time, the same on every retry.
	due := n.Due
	if due.IsZero() {
		due = h.now()
	}
	l, ok, err := h.untried(ctx, log, n.LeadID)
	if !ok || err != nil {
		return NudgeOutcome{}, err
	}
	key := "nudge#" + due.UTC().Format(time.RFC3339)
	alone := false
	for poll := 0; ; poll++ {
		switch err := h.store.ClaimRun(ctx, key, h.now(), nudgeLease, nudgeKeep); {
		case err == nil:
			return h.sendNudge(ctx, log, key, l, due, alone)
		case !errors.Is(err, lead.ErrRunTaken):
			return NudgeOutcome{}, fmt.Errorf("nudge lead %s: %w", l.ID, err)
		}
		// Taken: read the run before the lead, as a finished run has
		// recorded every lead it was about.
		done, err := h.store.RunDone(ctx, key)
		if err != nil {
			return NudgeOutcome{}, fmt.Errorf("nudge lead %s: %w", l.ID, err)
		}
		if l, ok, err = h.untried(ctx, log, n.LeadID); !ok || err != nil {
			return NudgeOutcome{}, err
		}
		switch {
		case done && alone:
			// Its own nudge went out, but was not recorded: sending it
			// again would be the second.
			log.Error("no nudge: sent before but not recorded")
			return NudgeOutcome{}, nil
		case done:
			// The batch went out without it (the lead reached the pending
			// index late): it gets a nudge of its own.
			log.Info("batch already sent without this lead; nudging it alone", "batch", key)
			key, alone, poll = key+"#"+l.ID, true, -1
			continue
		case poll == nudgePolls:
			return NudgeOutcome{}, fmt.Errorf("nudge lead %s: batch %s still being sent; retried later", l.ID, key)
		}
		select {
		case <-ctx.Done():
			return NudgeOutcome{}, fmt.Errorf("nudge lead %s: batch %s still being sent: %w", l.ID, key, ctx.Err())
		case <-time.After(nudgePoll):
		}
	}
}

// untried reads lead id, and says whether it still wants a nudge: new (no
// attempt recorded) and not nudged yet.
func (h *Handler) untried(ctx context.Context, log *slog.Logger, id string) (lead.Lead, bool, error) {
	l, err := h.store.Get(ctx, id, h.now())
	switch {
	case errors.Is(err, lead.ErrNotFound):
		log.Info("no nudge: lead gone")
		return l, false, nil
	case err != nil:
		return l, false, fmt.Errorf("nudge lead %s: %w", id, err)
	case l.Status != lead.StatusNew:
		log.Info("no nudge: an attempt is recorded", "status", l.Status)
		return l, false, nil
	case l.Nudge != nil:
		log.Info("no nudge: already sent", "messageId", l.Nudge.MessageID)
		return l, false, nil
	}
	return l, true, nil
}

// sendNudge, holding run key, emails the nudge about own and (unless
// alone) every other request due by due that nobody has tried or been
// nudged about, records it on each, and finishes the run. A failed email
// releases the run for a retry.
func (h *Handler) sendNudge(ctx context.Context, log *slog.Logger, key string, own lead.Lead, due time.Time, alone bool) (NudgeOutcome, error) {
	now := h.now()
	batch := []lead.Lead{own}
	if !alone {
		var err error
		if batch, err = h.nudgeBatch(ctx, own, due, now); err != nil {
			h.release(ctx, log, key)
			return NudgeOutcome{}, err
		}
	}
	n := h.nudgeOf(batch, due, now)
	c, err := emails.NudgeEmail(n, emails.Clinic{Name: h.cfg.ClinicName, TimeZone: h.cfg.TimeZone})
	if err != nil {
		h.release(ctx, log, key)
		return NudgeOutcome{}, fmt.Errorf("render nudge: %w", err)
	}
	to := h.cfg.EscalationEmails
	if len(to) == 0 {
		to = h.cfg.ClinicEmails
	}
	id, err := h.sender.Send(ctx, sesmail.Message{From: h.cfg.From(), To: to, Subject: c.Subject, Text: c.Text, HTML: c.HTML})
	if err != nil {
		h.release(ctx, log, key)
		return NudgeOutcome{}, fmt.Errorf("nudge lead %s: %w", own.ID, err)
	}
	// Beside the email, once it went out (a failed email is retried, the
	// text with it).
	h.texts.Send(ctx, log, "nudge", texts.Nudge(h.cfg.ClinicName, n))
	unrecorded := 0
	for _, l := range batch {
		switch err := h.store.MarkNudged(ctx, l.ID, lead.Delivery{At: now, MessageID: id}); {
		case err == nil:
		case errors.Is(err, lead.ErrAlreadySent):
			log.Warn("nudge sent twice", "nudgedLeadId", l.ID, "messageId", id) // another delivery won the race
		default:
			// Sent; failing would send it again on the retry.
			unrecorded++
			log.Error("nudge sent but not recorded", "nudgedLeadId", l.ID, "messageId", id, "err", err)
		}
	}
	if err := h.store.FinishRun(ctx, key); err != nil {
		log.Error("nudge sent but its run not recorded", "batch", key, "messageId", id, "err", err)
	}
	if err := h.metrics.Put(nil, metric.Value{Def: metric.NudgesSent, Value: float64(len(batch))}); err != nil {
		log.Warn("count nudge", "err", err)
	}
	log.Info("nudge sent", "batch", key, "requests", len(batch), "unrecorded", unrecorded, "messageId", id)
	return NudgeOutcome{Nudged: len(batch), MessageID: id}, nil
}

// release gives up a batch's claim, so a retry may claim it (even once
// ctx is cancelled: the claim would otherwise hold for nudgeLease).
func (h *Handler) release(ctx context.Context, log *slog.Logger, key string) {
	if err := h.store.ReleaseRun(context.WithoutCancel(ctx), key); err != nil {
		log.Error("release run", "batch", key, "err", err)
	}
}

// nudgeBatch is own and every other lead still new and not nudged whose
// RESPONSE_SLA of opening time ran out by due, oldest first, read from the
// pending index (never a Scan).
func (h *Handler) nudgeBatch(ctx context.Context, own lead.Lead, due, now time.Time) ([]lead.Lead, error) {
	batch := []lead.Lead{own}
	for l, err := range h.store.Pending(ctx, due, now) {
		if err != nil {
			return nil, fmt.Errorf("list leads to nudge: %w", err)
		}
		if l.ID == own.ID || l.Nudge != nil || h.cfg.Report.Hours.Due(l.GuardFrom(), h.cfg.SLA).After(due) {
			continue
		}
		batch = append(batch, l)
	}
	slices.SortStableFunc(batch, func(a, b lead.Lead) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return batch, nil
}

// nudgeOf is the email about batch as of due: each request's wait in
// opening time, the first MaxListed listed with a signed link.
func (h *Handler) nudgeOf(batch []lead.Lead, due, now time.Time) emails.Nudge {
	hours := h.cfg.Report.Hours
	expires := now.Add(h.cfg.LinkTTL)
	n := emails.Nudge{Total: len(batch), SinceOpening: true, Inbox: h.cfg.PublicBaseURL + "/staff"}
	for i, l := range batch {
		waited := hours.Between(l.CreatedAt, due)
		if i == 0 || waited < n.Shortest {
			n.Shortest = waited
		}
		// Came in while the clinic was closed: no opening time just after.
		if hours.Between(l.CreatedAt, l.CreatedAt.Add(time.Nanosecond)) > 0 {
			n.SinceOpening = false
		}
		if len(n.Listed) < MaxListed {
			link := emails.StaffLink{URL: h.signer.StaffLink(h.cfg.PublicBaseURL, l.ID, expires), Expires: expires}
			n.Listed = append(n.Listed, emails.Waiting{Lead: l, Link: link, Waited: waited})
		}
	}
	return n
}
