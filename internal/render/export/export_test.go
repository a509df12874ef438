package export_test

import (
	"encoding/csv"
	"errors"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/export"
)

// TestDefuse: what a visitor or a patient could send that a spreadsheet
// would run is defused; numbers, phones first among them, stay as written.
func TestDefuse(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"E.164 phone", "+12025550102", "+12025550102"},
		{"negative count", "-2", "-2"},
		{"hyperlink", `=HYPERLINK("http://x","click")`, `'=HYPERLINK("http://x","click")`},
		{"at function", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"sum in a minus", "-2+3", "'-2+3"},
		{"sum in a plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"phone with spaces", "+1 202 555 0102", "'+1 202 555 0102"},
		{"exponent", "+1e5", "'+1e5"},
		{"plus alone", "+", "'+"},
		{"minus alone", "-", "'-"},
		{"equals number", "=1", "'=1"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"path", "/knee", "/knee"},
		{"text", "google", "google"},
		{"formula later", "a=1", "a=1"},
		{"empty", "", ""},
	} {
		if got := export.Defuse(tc.in); got != tc.want {
			t.Errorf("%s: Defuse(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

var (
	newYork, _ = time.LoadLocation("America/New_York")
	requested  = time.Date(2026, 11, 2, 7, 50, 0, 0, newYork) // Monday, 10 minutes before opening
)

func seq(ls ...lead.Lead) iter.Seq2[lead.Lead, error] {
	return func(yield func(lead.Lead, error) bool) {
		for _, l := range ls {
			if !yield(l, nil) {
				return
			}
		}
	}
}

func hostile() lead.Lead {
	return lead.Lead{
		ID: "0a1b2c3d-0000-4000-8000-000000000001", CreatedAt: requested, Status: lead.StatusOpen,
		Name: "=HYPERLINK(\"http://x\")", Phone: "+12025550102", Email: "@SUM(A1)@example.com",
		FirstAttempt: requested.Add(25 * time.Minute),
		Source: lead.Source{LandingPath: "/knee?x=1", Referrer: "-2+3",
			UTM: map[string]string{"utm_source": "=HYPERLINK(\"http://x\")", "utm_campaign": "@SUM(A1)", "utm_medium": "+12025550102"}},
	}
}

// TestWriteCSV: one row per lead under the header; times in the clinic's
// zone, the wait in opening time; hostile values defused, the phone not.
func TestWriteCSV(t *testing.T) {
	open, err := hours.Parse("Mon-Fri 08:00-18:00", newYork)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n, err := export.WriteCSV(&b, seq(hostile()), open, true)
	if err != nil || n != 1 {
		t.Fatalf("WriteCSV: %d, %v; want 1 row", n, err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, b.String())
	}
	if diff := cmp.Diff(export.Header(true), rows[0]); diff != "" || len(rows) != 2 {
		t.Fatalf("%d rows, header (-want +got):\n%s", len(rows), diff)
	}
	got := map[string]string{}
	for i, h := range rows[0] {
		got[h] = rows[1][i]
	}
	want := map[string]string{
		"requested_at": "2026-11-02T07:50:00-05:00", "weekday": "Mon", "hour": "7", "status": "open",
		"first_attempt_at": "2026-11-02T08:15:00-05:00", "first_attempt_minutes": "15", "first_reach_at": "",
		"landing_path": "/knee", "utm_source": `'=HYPERLINK("http://x")`, "utm_campaign": "'@SUM(A1)",
		"utm_medium": "+12025550102", "referrer": "'-2+3",
		"name": `'=HYPERLINK("http://x")`, "phone": "+12025550102", "email": "'@SUM(A1)@example.com",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}

func TestWriteCSVWithoutPII(t *testing.T) {
	var b strings.Builder
	if _, err := export.WriteCSV(&b, seq(hostile()), hours.Hours{}, false); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(rows[0], "name") || slices.Contains(rows[0], "phone") || strings.Contains(b.String(), "example.com") {
		t.Errorf("without pii the export holds contacts:\n%s", b.String())
	}
	if got := rows[1][slices.Index(rows[0], "requested_at")]; got != "2026-11-02T12:50:00Z" {
		t.Errorf("the zero Hours: requested_at %q, want UTC", got)
	}
}

func TestWriteCSVStopsOnAReadError(t *testing.T) {
	broken := errors.New("table gone")
	leads := func(yield func(lead.Lead, error) bool) {
		if yield(hostile(), nil) {
			yield(lead.Lead{}, broken)
		}
	}
	n, err := export.WriteCSV(&strings.Builder{}, leads, hours.Hours{}, false)
	if n != 1 || !errors.Is(err, broken) {
		t.Errorf("WriteCSV = %d, %v; want 1 row and the read error", n, err)
	}
}
