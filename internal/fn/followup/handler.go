// Package followup is the daily safety net: once on each day the clinic
// opens, at its first opening or FOLLOW_UP_HOUR if later, it emails the
// clinic the leads that need it (not tried yet, call-backs due that day,
// overdue, and those closed as unreachable or not reached again since the
// last digest) and how many requests are held for review.
package followup

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/render/emails"
)

// MaxListed is how many leads a digest lists in each section; the rest
// are counted.
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
	Due(ctx context.Context, before, now time.Time) iter.Seq2[lead.Lead, error]
	Unreported(ctx context.Context, now time.Time) iter.Seq2[lead.Lead, error]
	// Requested yields every lead requested in [from, to): the figures.
	Requested(ctx context.Context, from, to, now time.Time) iter.Seq2[lead.Lead, error]
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error)
	ClaimRun(ctx context.Context, key string, now time.Time, lease, keep time.Duration) error
	FinishRun(ctx context.Context, key string) error
	ReleaseRun(ctx context.Context, key string) error
	// HeldList yields the requests held for review now, newest first
	// (lead.CountHeld counts them).
	HeldList(ctx context.Context, before time.Time, beforeID string, now time.Time) iter.Seq2[lead.Held, error]
	// MarkNudged records the response guard's nudge, once.
	MarkNudged(ctx context.Context, id string, d lead.Delivery) error
	RunDone(ctx context.Context, key string) (bool, error) // the run was finished (a nudge batch's, nudge.go)
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
	// Nudge is set by a lead's response-guard schedule (internal/adapter/nudges)
	// instead of the fields above: that lead, not the day's digest.
	Nudge *nudges.Nudge `json:"nudge,omitempty"`
	// Report is set by the weekly schedule (WeeklyReport): the owner's
	// report, not the day's digest.
	Report string `json:"report,omitempty"`
}

// Handler runs the follow-up.
type Handler struct {
	cfg    config.FollowUp
	store  Store
	sender Sender
	signer *link.Signer
	log    *slog.Logger
	now    func() time.Time
	// texts doubles the nudge as a text to STAFF_SMS; nil for none.
	texts *sms.Sender
	// metrics counts digest sizes and nudges; nil for none.
	metrics *metric.Writer
}

// New returns a handler; now is only used when an event has no time, and
// for run leases.
func New(cfg config.FollowUp, store Store, sender Sender, signer *link.Signer, log *slog.Logger, now func() time.Time) *Handler {
	return &Handler{cfg: cfg, store: store, sender: sender, signer: signer, log: log, now: now}
}

// Handle runs one follow-up. An error fails the invocation, so the
// scheduler retries it (and, in the end, parks it in its dead-letter queue).
func (h *Handler) Handle(ctx context.Context, e Event) error {
	if e.Nudge != nil {
		_, err := h.Nudge(ctx, *e.Nudge)
		return err
	}
	switch e.Report {
	case "":
	case WeeklyReport:
		_, err := h.Report(ctx, e)
		return err
	default:
		return fmt.Errorf("event report %q: want %q", e.Report, WeeklyReport)
	}
	_, err := h.Run(ctx, e)
	return err
}

// Skip says why a run left the table unread: the schedule fires every hour,
// and one run a day is the digest's.
type Skip int

const (
	// NotSkipped: the run was the day's digest run.
	NotSkipped Skip = iota
	// ClosedDay: the clinic does not open on the run's day (OPENING_HOURS).
	ClosedDay
	// NotDigestHour: the run is outside the hour from the day's digest time.
	NotDigestHour
)

// Outcome is what one run did: sent the day's digest, found it already
// sent, found nothing waiting (Total 0), or was not the digest's run
// (Skipped).
type Outcome struct {
	// Day is the run's day in the clinic's zone (YYYY-MM-DD).
	Day string
	// Skipped says why the run did not look for a digest to send.
	Skipped Skip
	// DigestAt is the day's digest time (DigestAt); zero on a closed day.
	DigestAt time.Time
	// Total is how many leads (and held requests) the digest is about.
	Total int
	// AlreadySent: another run sent (or is sending) this day's digest.
	AlreadySent bool
	// To and MessageID are the digest's, when this run sent it.
	To        []string
	MessageID string
}

// Run is Handle, saying what the run did (make dev reports it).
func (h *Handler) Run(ctx context.Context, e Event) (Outcome, error) {
	at, err := h.runTime(e)
	if err != nil {
		return Outcome{}, err
	}
	day := at.In(h.cfg.TimeZone).Format(time.DateOnly)
	log := h.log.With("day", day)
	out := Outcome{Day: day}
	// The schedule fires every hour: all but the digest's run end here,
	// before reading the table or the link secret. A retry keeps its
	// scheduled time, so it stays in the digest's hour.
	digestAt, open := h.DigestAt(at)
	out.DigestAt = digestAt
	switch {
	case !open:
		out.Skipped = ClosedDay
		log.Debug("no digest: the clinic is closed that day")
		return out, nil
	case at.Before(digestAt) || !at.Before(digestAt.Add(time.Hour)):
		out.Skipped = NotDigestHour
		log.Debug("no digest: not the digest's hour", "digestAt", digestAt)
		return out, nil
	}
	if err := h.signer.Refresh(ctx); err != nil {
		h.log.Warn("link secret not read again; the versions read before stay in use", "err", err)
	}

	d, err := h.collect(ctx, at)
	if err != nil {
		return out, err
	}
	total := d.FollowUps() + d.Unreachable.Total + d.NotReachedAgain.Total + d.Held
	out.Total = total
	counts := []any{"total", total, "overdue", d.Overdue.Total, "notTried", d.NotTried.Total, "due", d.Due.Total,
		"unreachable", d.Unreachable.Total, "notReachedAgain", d.NotReachedAgain.Total, "held", d.Held}
	if total == 0 {
		log.Info("nothing to follow up")
		return out, nil
	}

	key := "digest#" + day
	switch err := h.store.ClaimRun(ctx, key, h.now(), runLease, runKeep); {
	case errors.Is(err, lead.ErrRunTaken):
		log.Info("digest already sent today", counts...)
		out.AlreadySent = true
		return out, nil
	case err != nil:
		return out, err
	}
	id, to, err := h.send(ctx, d)
	if err != nil {
		if rerr := h.store.ReleaseRun(ctx, key); rerr != nil {
			log.Error("release run", "err", rerr)
		}
		return out, err
	}
	out.To, out.MessageID = to, id
	if err := h.store.FinishRun(ctx, key); err != nil {
		// The digest went out: a retry would only repeat it.
		log.Error("digest sent but its run not recorded", "messageId", id, "err", err)
	}
	cleared := h.clearReported(ctx, log, slices.Concat(d.Unreachable.Listed, d.NotReachedAgain.Listed), at)
	log.Info("digest sent", append(counts, "cleared", cleared, "messageId", id)...)
	if err := h.metrics.Put(nil, metric.Value{Def: metric.DigestSize, Value: float64(total)}, metric.Value{Def: metric.DigestOverdue, Value: float64(d.Overdue.Total)}); err != nil {
		log.Warn("count digest", "err", err)
	}
	return out, nil
}

// DigestAt is when the digest goes out on t's day in the clinic's zone: at
// FOLLOW_UP_HOUR, or at the day's first opening (OPENING_HOURS) when that
// is later; open is false on a day the clinic does not open. The run whose
// scheduled time lies in the hour from then sends it.
func (h *Handler) DigestAt(t time.Time) (at time.Time, open bool) {
	t = t.In(h.cfg.TimeZone)
	opens, open := h.cfg.Report.Hours.Opens(t)
	if !open {
		return time.Time{}, false
	}
	y, m, d := t.Date()
	at = time.Date(y, m, d, h.cfg.Hour, 0, 0, 0, h.cfg.TimeZone)
	if opens.After(at) {
		at = opens
	}
	return at, true
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

// collect reads, at at, one query per section: the leads nobody tried that
// are older than FOLLOW_UP_AFTER, the call-backs due by the end of the
// clinic's day, the leads closed as unreachable or not reached again that
// no digest has reported, and the requests held for review now. Those of
// the first two requested longer than ESCALATE_AFTER ago are overdue
// instead. Each section keeps its first MaxListed and counts the rest, so
// memory stays flat however many leads there are.
func (h *Handler) collect(ctx context.Context, at time.Time) (emails.Digest, error) {
	d := emails.Digest{At: at, EscalateAfter: h.cfg.EscalateAfter}
	// The leads to reach: each in its own section, or overdue.
	toReach := []struct {
		what    string
		leads   iter.Seq2[lead.Lead, error]
		section *emails.Section
	}{
		{"leads not tried", h.store.Pending(ctx, at.Add(-h.cfg.After), at), &d.NotTried},
		{"call-backs due", h.store.Due(ctx, endOfDay(at, h.cfg.TimeZone), at), &d.Due},
	}
	for _, q := range toReach {
		for l, err := range q.leads {
			if err != nil {
				return d, fmt.Errorf("list %s: %w", q.what, err)
			}
			d.Ways.Add(l)
			if at.Sub(l.CreatedAt) > h.cfg.EscalateAfter {
				listOldest(&d.Overdue, l)
			} else {
				list(q.section, l)
			}
		}
	}
	for l, err := range h.store.Unreported(ctx, at) {
		if err != nil {
			return d, fmt.Errorf("list leads closed as unreachable: %w", err)
		}
		if l.Closed == lead.ClosedNotReachedAgain {
			list(&d.NotReachedAgain, l)
		} else {
			list(&d.Unreachable, l)
		}
	}
	// The requests held now, as the review page lists them: one released
	// or deleted since is no longer counted.
	var err error
	if d.Held, d.HeldMore, err = lead.CountHeld(h.store.HeldList(ctx, time.Time{}, "", at)); err != nil {
		return d, fmt.Errorf("count held requests: %w", err)
	}
	// The headline is a figure for the owner; the digest is the clinic's
	// safety net for leads nobody reached, so it goes out without one.
	if d.Headline, err = h.headline(ctx, at); err != nil {
		h.log.Error("digest sent without its headline", "err", err)
	}
	// Links last LINK_TTL from when the digest goes out (the clock), not
	// from the run's scheduled time, which a retry or make dev's ?at= may
	// put in the past or the future.
	expires := h.now().Add(h.cfg.LinkTTL)
	d.InboxURL = h.cfg.PublicBaseURL + "/staff"
	for _, s := range []*emails.Section{&d.Overdue, &d.NotTried, &d.Due, &d.Unreachable, &d.NotReachedAgain} {
		for i := range s.Listed {
			s.Listed[i].Link = emails.StaffLink{URL: h.signer.StaffLink(h.cfg.PublicBaseURL, s.Listed[i].Lead.ID, expires), Expires: expires}
		}
	}
	if d.Held > 0 {
		d.HeldLink = emails.StaffLink{URL: h.signer.HeldLink(h.cfg.PublicBaseURL, expires), Expires: expires}
	}
	return d, nil
}

// list counts l in s, and lists it while s has room: a section read in its
// own order.
func list(s *emails.Section, l lead.Lead) {
	s.Total++
	if len(s.Listed) < MaxListed {
		s.Listed = append(s.Listed, emails.Item{Lead: l})
	}
}

// listOldest counts l in s, and keeps s's MaxListed oldest requests, oldest
// first: the overdue section, fed by two queries in their own orders.
func listOldest(s *emails.Section, l lead.Lead) {
	s.Total++
	i := len(s.Listed)
	for i > 0 && l.CreatedAt.Before(s.Listed[i-1].Lead.CreatedAt) {
		i--
	}
	if i == MaxListed {
		return
	}
	s.Listed = slices.Insert(s.Listed, i, emails.Item{Lead: l})
	if len(s.Listed) > MaxListed {
		s.Listed = s.Listed[:MaxListed]
	}
}

// endOfDay is the end of at's day in the clinic's zone: the next midnight
// there, whatever the day's length (23 or 25 hours on a daylight-saving
// change).
func endOfDay(at time.Time, zone *time.Location) time.Time {
	y, m, d := at.In(zone).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, zone)
}

// clearReported records that the digest reported each lead of reported,
// closed as unreachable or not reached again, so the next one does not again: a lead changed
// since (reopened, closed anew, gone) is left as it is. A failure is
// logged, never returned: the digest already went out. It returns how many
// it cleared.
func (h *Handler) clearReported(ctx context.Context, log *slog.Logger, reported []emails.Item, at time.Time) int {
	cleared := 0
	for _, it := range reported {
		l, err := h.store.Get(ctx, it.Lead.ID, at)
		if err == nil && (!l.Unreported || !l.ClosedAt.Equal(it.Lead.ClosedAt)) {
			continue
		}
		if err == nil {
			l.Unreported = false
			_, err = h.store.Progress(ctx, l, at)
		}
		switch {
		case err == nil:
			cleared++
		case errors.Is(err, lead.ErrChanged), errors.Is(err, lead.ErrNotFound):
			log.Info("reported lead changed meanwhile; left as it is", "leadId", it.Lead.ID)
		default:
			log.Error("record a lead as reported", "leadId", it.Lead.ID, "err", err)
		}
	}
	return cleared
}

// send emails the digest d and returns its message id and recipients.
func (h *Handler) send(ctx context.Context, d emails.Digest) (string, []string, error) {
	c, err := emails.DigestEmail(d, emails.Clinic{Name: h.cfg.ClinicName, TimeZone: h.cfg.TimeZone})
	if err != nil {
		return "", nil, fmt.Errorf("render digest: %w", err)
	}
	to := slices.Clone(h.cfg.ClinicEmails)
	if d.Overdue.Total > 0 {
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
		Tags:    map[string]string{sesmail.TagKind: sesmail.KindDigest},
	})
	if err != nil {
		return "", nil, fmt.Errorf("digest: %w", err)
	}
	return id, to, nil
}
