package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
	"github.com/openclinic/leadhandler/internal/render/export"
)

// Figures is the store's side of make report and make export.
type Figures interface {
	Requested(ctx context.Context, from, to, now time.Time) iter.Seq2[lead.Lead, error]
}

// Clinic is how make report and make export read the clinic's day: its
// zone (TIME_ZONE, UTC when unset) and opening hours (OPENING_HOURS, every
// minute when unset), as the follow-up function reads them.
type Clinic struct {
	Zone  *time.Location
	Hours hours.Hours
}

// ClinicFrom reads TIME_ZONE and OPENING_HOURS through getenv.
func ClinicFrom(getenv func(string) string) (Clinic, error) {
	c := Clinic{Zone: time.UTC}
	if z := strings.TrimSpace(getenv("TIME_ZONE")); z != "" {
		loc, err := time.LoadLocation(z)
		if err != nil {
			return c, usageError{fmt.Sprintf("TIME_ZONE %q: want an IANA zone such as America/New_York", z)}
		}
		c.Zone = loc
	}
	oh := strings.TrimSpace(getenv("OPENING_HOURS"))
	if oh == "" {
		oh = hours.Default
	}
	h, err := hours.Parse(oh, c.Zone)
	if err != nil {
		return c, usageError{fmt.Sprintf("OPENING_HOURS: %v", err)}
	}
	c.Hours = h
	return c, nil
}

// Span reads FROM and TO, dates in the clinic's zone, TO included: the
// requests from FROM's midnight to the midnight after TO. TO defaults to
// today (its requests so far: right after a demo, the report has them),
// FROM to the 6 days before TO (a week).
func Span(fromArg, toArg string, now time.Time, zone *time.Location) (from, to time.Time, err error) {
	y, m, d := now.In(zone).Date()
	last := time.Date(y, m, d, 0, 0, 0, 0, zone)
	if s := strings.TrimSpace(toArg); s != "" {
		if last, err = time.ParseInLocation(time.DateOnly, s, zone); err != nil {
			return from, to, usageError{fmt.Sprintf("TO %q: want a date such as 2026-11-07", s)}
		}
	}
	ly, lm, ld := last.Date()
	first := time.Date(ly, lm, ld-6, 0, 0, 0, 0, zone)
	if s := strings.TrimSpace(fromArg); s != "" {
		if first, err = time.ParseInLocation(time.DateOnly, s, zone); err != nil {
			return from, to, usageError{fmt.Sprintf("FROM %q: want a date such as 2026-11-01", s)}
		}
	}
	to = time.Date(ly, lm, ld+1, 0, 0, 0, 0, zone)
	if !first.Before(to) {
		return from, to, usageError{fmt.Sprintf("FROM %s is after TO %s", first.Format(time.DateOnly), last.Format(time.DateOnly))}
	}
	return first, to, nil
}

// Report prints the figures of the requests in [from, to) as the weekly
// report has them, for any span.
func Report(ctx context.Context, w io.Writer, st Figures, c Clinic, from, to, now time.Time) error {
	b := figures.New(from, to, now, c.Hours, c.Zone)
	for l, err := range st.Requested(ctx, from, to, now) {
		if err != nil {
			return fmt.Errorf("read the leads: %w", err)
		}
		b.Add(l)
	}
	last := to.Add(-time.Hour).In(c.Zone)
	title := "Requests from " + from.In(c.Zone).Format("Mon 2 Jan 2006") + " to " + last.Format("Mon 2 Jan 2006") + " (" + c.Zone.String() + ")"
	opening := c.Hours.Between(from, from.Add(7*24*time.Hour)) < 7*24*time.Hour
	tables := append(emails.SpeedTables(b), emails.AttributionTables([]string{"Booked"}, b)...)
	_, err := io.WriteString(w, emails.TextReport(title, emails.Summary(b, opening), tables, ""))
	return err
}

// Export writes the requests in [from, to) as CSV (internal/render/export,
// the owner's download too): times in the clinic's zone,
// first_attempt_minutes in opening time, no free text, names and contacts
// only with pii.
func Export(ctx context.Context, w io.Writer, st Figures, c Clinic, from, to, now time.Time, pii bool) (int, error) {
	return export.WriteCSV(w, st.Requested(ctx, from, to, now), c.Hours, pii)
}

// LocalFile is where make dev says, in its folder (.local), how to reach
// its embedded DynamoDB: make report LOCAL=1 and make export LOCAL=1 read
// it.
const LocalFile = "dynamodb.json"

// LocalTable is make dev's embedded table, and the clinic settings it runs
// with.
type LocalTable struct {
	Endpoint     string `json:"endpoint"`
	Table        string `json:"table"`
	TimeZone     string `json:"timeZone"`
	OpeningHours string `json:"openingHours"`
	// ClockOffset is how far make dev's clock, the one its functions read,
	// is ahead of the wall clock (POST /_local/clock): the figures read the
	// same time.
	ClockOffset time.Duration `json:"clockOffset"`
	// LinkSecret is make dev's link secret (LINK_SECRET, random at each
	// start): make patient-export LOCAL=1 and make erase LOCAL=1 find a
	// patient's contact keys with it. The file is the user's alone (0600).
	LinkSecret string `json:"linkSecret,omitempty"`
}

// WriteLocal records t in dir (make dev, on start and when its clock moves).
func WriteLocal(dir string, t LocalTable) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, LocalFile), b, 0o600)
}

// ReadLocal reads what make dev recorded in dir.
func ReadLocal(dir string) (LocalTable, error) {
	var t LocalTable
	b, err := os.ReadFile(filepath.Join(dir, LocalFile))
	if errors.Is(err, os.ErrNotExist) {
		return t, errors.New("make dev is not running with its embedded DynamoDB (no " + filepath.Join(dir, LocalFile) + "): start make dev first, or leave LOCAL unset for the deployed stack")
	}
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t); err != nil || t.Endpoint == "" || t.Table == "" {
		return t, fmt.Errorf("%s: not what make dev writes: %v", filepath.Join(dir, LocalFile), err)
	}
	return t, nil
}
