package ops

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
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
// yesterday, FROM to the 6 days before TO (a week).
func Span(fromArg, toArg string, now time.Time, zone *time.Location) (from, to time.Time, err error) {
	y, m, d := now.In(zone).Date()
	last := time.Date(y, m, d-1, 0, 0, 0, 0, zone)
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

// exportHead are the export's columns; exportPII are added with PII=1.
var (
	exportHead = []string{"request", "id", "requested_at", "weekday", "hour", "status", "closed_reason", "closed_at",
		"first_attempt_at", "first_attempt_minutes", "first_reach_at", "attempts", "last_outcome",
		"landing_path", "utm_source", "utm_medium", "utm_campaign", "referrer", "alert_sent_at"}
	exportPII = []string{"name", "phone", "email"}
)

// Export writes the requests in [from, to) as CSV, one row each: times in
// the clinic's zone, first_attempt_minutes in opening time, and no free
// text (no reason, no notes); names and contacts only with pii. Every cell
// is guarded against spreadsheet formulas.
func Export(ctx context.Context, w io.Writer, st Figures, c Clinic, from, to, now time.Time, pii bool) (int, error) {
	cw := csv.NewWriter(w)
	head := exportHead
	if pii {
		head = append(append([]string{}, exportHead...), exportPII...)
	}
	if err := cw.Write(head); err != nil {
		return 0, err
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(c.Zone).Format(time.RFC3339)
	}
	n := 0
	for l, err := range st.Requested(ctx, from, to, now) {
		if err != nil {
			return n, fmt.Errorf("read the leads: %w", err)
		}
		local := l.CreatedAt.In(c.Zone)
		wait := ""
		if !l.FirstAttempt.IsZero() {
			wait = strconv.Itoa(int(c.Hours.Between(l.CreatedAt, l.FirstAttempt) / time.Minute))
		}
		attempts := l.Dropped
		for _, e := range l.History {
			if e.Kind == lead.EventAttempt {
				attempts++
			}
		}
		alert := ""
		if l.Alert != nil {
			alert = at(l.Alert.At)
		}
		row := []string{l.Number(), l.ID, at(l.CreatedAt), local.Weekday().String()[:3], strconv.Itoa(local.Hour()),
			string(l.Status), string(l.Closed), at(l.ClosedAt), at(l.FirstAttempt), wait, at(l.FirstReach),
			strconv.Itoa(attempts), string(l.LatestOutcome()), visitor(figures.PathOnly(l.Source.LandingPath)),
			visitor(l.Source.UTM["utm_source"]), visitor(l.Source.UTM["utm_medium"]), visitor(l.Source.UTM["utm_campaign"]),
			visitor(l.Source.Referrer), alert}
		if pii {
			row = append(row, l.Name, l.Phone, l.Email)
		}
		for i := range row {
			row[i] = Defuse(row[i])
		}
		if err := cw.Write(row); err != nil {
			return n, err
		}
		n++
	}
	cw.Flush()
	return n, cw.Error()
}

// visitor is a value a visitor sent, bounded as the report bounds it; ""
// when there is none.
func visitor(v string) string {
	if v = figures.Clean(v); v == figures.None {
		return ""
	}
	return v
}

// Defuse keeps a spreadsheet from reading a cell as a formula: a cell
// starting with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe (OWASP's CSV injection advice), so "+12025550143" reads
// '+12025550143, shown as the number's text.
func Defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
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
