// Package export writes the clinic's requests as CSV: the file make export
// writes and the owner downloads from GET /staff/export, one row per
// request.
//
// The columns, in order (times RFC 3339 in the clinic's zone, "" when the
// lead has none):
//
//	request                the request number staff search for (lead.Lead.Number)
//	id                     the lead's id
//	requested_at           when the request came in
//	weekday, hour          its day (Mon..Sun) and hour (0-23) in the clinic's zone
//	status                 open, booked or closed
//	closed_reason          why it was closed, when it was
//	closed_at              when it was booked or closed
//	first_attempt_at       the first call or text staff logged
//	first_attempt_minutes  minutes of opening time from the request to it ("" while untried)
//	first_reach_at         when staff first reached the patient
//	attempts               attempts logged, those dropped from the history included
//	last_outcome           the latest attempt's outcome
//	landing_path           the page the form was on, without its query
//	utm_source, utm_medium, utm_campaign, referrer   as the visitor's browser sent them, cleaned
//	alert_sent_at          when the staff alert went out
//
// With personal data (pii) three more: name, phone (E.164), email. Free text
// (the patient's reason, staff notes) is never exported.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// Head is the header row; with pii, PII follows it.
var (
	Head = []string{"request", "id", "requested_at", "weekday", "hour", "status", "closed_reason", "closed_at",
		"first_attempt_at", "first_attempt_minutes", "first_reach_at", "attempts", "last_outcome",
		"landing_path", "utm_source", "utm_medium", "utm_campaign", "referrer", "alert_sent_at"}
	PII = []string{"name", "phone", "email"}
)

// Header is the header row of an export with or without personal data.
func Header(pii bool) []string {
	if !pii {
		return append([]string(nil), Head...)
	}
	return append(append([]string(nil), Head...), PII...)
}

// Row is one lead's cells under Header(pii), defused: times in the zone of
// open (the clinic's opening hours, which first_attempt_minutes counts in;
// UTC for the zero Hours).
func Row(l lead.Lead, open hours.Hours, pii bool) []string {
	zone := open.Location()
	if zone == nil {
		zone = time.UTC
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(zone).Format(time.RFC3339)
	}
	local := l.CreatedAt.In(zone)
	wait := ""
	if !l.FirstAttempt.IsZero() {
		wait = strconv.Itoa(int(open.Between(l.CreatedAt, l.FirstAttempt) / time.Minute))
	}
	alert := ""
	if l.Alert != nil {
		alert = at(l.Alert.At)
	}
	row := []string{l.Number(), l.ID, at(l.CreatedAt), local.Weekday().String()[:3], strconv.Itoa(local.Hour()),
		string(l.Status), string(l.Closed), at(l.ClosedAt), at(l.FirstAttempt), wait, at(l.FirstReach),
		strconv.Itoa(l.Attempts()), string(l.LatestOutcome()), visitor(figures.PathOnly(l.Source.LandingPath)),
		visitor(l.Source.UTM["utm_source"]), visitor(l.Source.UTM["utm_medium"]), visitor(l.Source.UTM["utm_campaign"]),
		visitor(l.Source.Referrer), alert}
	if pii {
		row = append(row, l.Name, l.Phone, l.Email)
	}
	for i := range row {
		row[i] = Defuse(row[i])
	}
	return row
}

// WriteCSV writes the header and one row per lead, and says how many rows
// of leads it wrote. open are the clinic's opening hours, in its zone:
// they give the times' zone and first_attempt_minutes. Names and contacts
// only with pii. A lead that cannot be read stops the file with the error.
func WriteCSV(w io.Writer, leads iter.Seq2[lead.Lead, error], open hours.Hours, pii bool) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header(pii)); err != nil {
		return 0, fmt.Errorf("write the export's header: %w", err)
	}
	n := 0
	for l, err := range leads {
		if err != nil {
			return n, fmt.Errorf("read the leads: %w", err)
		}
		if err := cw.Write(Row(l, open, pii)); err != nil {
			return n, fmt.Errorf("write request %s: %w", l.Number(), err)
		}
		n++
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("write the export: %w", err)
	}
	return n, nil
}

// visitor is a value a visitor sent, bounded as the report bounds it; ""
// when there is none.
func visitor(v string) string {
	if v = figures.Clean(v); v == figures.None {
		return ""
	}
	return v
}

// Defuse keeps a spreadsheet from running a cell as a formula, following
// OWASP's CSV injection guidance (https://owasp.org/www-community/attacks/CSV_Injection):
// a cell starting with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe, which spreadsheets read as "text follows". One
// exception keeps phone numbers as they are: + or - followed by digits
// only (an E.164 phone such as +12025550102, a count such as -2) is a
// plain number that a spreadsheet reads as that number and nothing else,
// so it is written unchanged. "-2+3", "+1 202" or "+1e5" are defused.
func Defuse(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if (s[0] == '+' || s[0] == '-') && digits(s[1:]) {
		return s
	}
	return "'" + s
}

// digits says whether s is one or more ASCII digits and nothing else.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
