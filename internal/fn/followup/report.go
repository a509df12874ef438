package followup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
)

// WeeklyReport is the Event.Report of the weekly schedule.
const WeeklyReport = "weekly"

// reportWeeks are the spans of the report's attribution tables.
const (
	shortWeeks = 4
	longWeeks  = 12
)

// ReportOutcome is what one weekly report run did.
type ReportOutcome struct {
	// Week is the Monday the reported week began (YYYY-MM-DD, clinic time).
	Week        string
	Requests    int
	AlreadySent bool
	To          []string
	MessageID   string
}

// Weekly adds up the week before at's (Monday to Sunday, clinic time) and
// the 4 and 12 weeks before at's, in one read of the leads requested in the
// last 12 weeks.
func (h *Handler) Weekly(ctx context.Context, at time.Time) (emails.Weekly, error) {
	zone := h.cfg.TimeZone
	y, m, d := at.In(zone).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, zone)
	// This week's Monday, midnight: the report's end.
	end := time.Date(y, m, d-(int(day.Weekday())+6)%7, 0, 0, 0, 0, zone)
	weeksBack := func(n int) time.Time { ey, em, ed := end.Date(); return time.Date(ey, em, ed-7*n, 0, 0, 0, 0, zone) }
	hrs := h.cfg.Report.Hours
	w := emails.Weekly{
		Week:         figures.New(weeksBack(1), end, at, hrs, zone),
		Last4:        figures.New(weeksBack(shortWeeks), end, at, hrs, zone),
		Last12:       figures.New(weeksBack(longWeeks), end, at, hrs, zone),
		OpeningHours: hrs.Location() != nil && hrs.Between(end, end.Add(7*24*time.Hour)) < 7*24*time.Hour,
		FiguresURL:   h.cfg.PublicBaseURL + "/staff/figures",
	}
	for l, err := range h.store.Requested(ctx, weeksBack(longWeeks), end, at) {
		if err != nil {
			return w, fmt.Errorf("read leads for the report: %w", err)
		}
		w.Week.Add(l)
		w.Last4.Add(l)
		w.Last12.Add(l)
	}
	return w, nil
}

// Report sends the weekly report to REPORT_EMAIL, once a week: a retry
// of the same run (the same scheduled time) finds it sent.
func (h *Handler) Report(ctx context.Context, e Event) (ReportOutcome, error) {
	at, err := h.runTime(e)
	if err != nil {
		return ReportOutcome{}, err
	}
	w, err := h.Weekly(ctx, at)
	if err != nil {
		return ReportOutcome{}, err
	}
	out := ReportOutcome{Week: w.Week.From.Format(time.DateOnly), Requests: w.Week.Total.Requests}
	log := h.log.With("week", out.Week)
	key := "report#" + out.Week
	switch err := h.store.ClaimRun(ctx, key, h.now(), runLease, 2*runKeep); {
	case errors.Is(err, lead.ErrRunTaken):
		log.Info("weekly report already sent")
		out.AlreadySent = true
		return out, nil
	case err != nil:
		return out, err
	}
	c := emails.WeeklyReport(w, emails.Clinic{Name: h.cfg.ClinicName, TimeZone: h.cfg.TimeZone})
	id, err := h.sender.Send(ctx, sesmail.Message{
		From: h.cfg.From(), To: h.cfg.Report.Emails, Subject: c.Subject, Text: c.Text, HTML: c.HTML,
		Tags: map[string]string{sesmail.TagKind: sesmail.KindReport},
	})
	if err != nil {
		if rerr := h.store.ReleaseRun(ctx, key); rerr != nil {
			log.Error("release run", "err", rerr)
		}
		return out, fmt.Errorf("weekly report: %w", err)
	}
	out.To, out.MessageID = h.cfg.Report.Emails, id
	if err := h.store.FinishRun(ctx, key); err != nil {
		log.Error("weekly report sent but its run not recorded", "messageId", id, "err", err)
	}
	log.Info("weekly report sent", "requests", out.Requests, "booked", w.Week.Total.Booked, "messageId", id)
	return out, nil
}

// headline is the digest's line about the clinic's day before at's.
func (h *Handler) headline(ctx context.Context, at time.Time) (string, error) {
	from, to, label := h.headlineSpan(at)
	b := figures.New(from, to, at, h.cfg.Report.Hours, h.cfg.TimeZone)
	for l, err := range h.store.Requested(ctx, from, to, at) {
		if err != nil {
			return "", fmt.Errorf("read the leads since the last digest: %w", err)
		}
		b.Add(l)
	}
	return figures.Headline(label, b), nil
}

// headlineSpan is what the headline of at's digest covers: the days since
// the day of the last digest, the clinic's last opening day before at's,
// up to at's day. After a weekend a weekday clinic's Monday digest covers
// Friday to Sunday, so no day's requests are left out of every headline.
func (h *Handler) headlineSpan(at time.Time) (from, to time.Time, label string) {
	zone := h.cfg.TimeZone
	y, m, d := at.In(zone).Date()
	to = time.Date(y, m, d, 0, 0, 0, 0, zone)
	for back := 1; back <= 7; back++ {
		from = time.Date(y, m, d-back, 0, 0, 0, 0, zone)
		if _, open := h.cfg.Report.Hours.Opens(from.Add(12 * time.Hour)); open {
			break
		}
	}
	if back := time.Date(y, m, d-1, 0, 0, 0, 0, zone); from.Equal(back) {
		return from, to, "Yesterday"
	}
	return from, to, "Since " + from.Format("Mon 2 Jan")
}
