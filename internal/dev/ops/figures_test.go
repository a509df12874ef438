package ops_test

import (
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// The figures' fixed week: Monday 26 Oct to Sunday 1 Nov 2026 in New
// York, the daylight-saving change inside it.
var (
	newYork, _ = time.LoadLocation("America/New_York")
	figuresNow = time.Date(2026, 11, 2, 8, 0, 0, 0, newYork)
	clinicEnv  = map[string]string{"TIME_ZONE": "America/New_York", "OPENING_HOURS": "Mon-Fri 08:00-18:00,Sat 09:00-12:00"}
)

// counts are how many requests came in, and how many of them staff tried.
type counts struct{ requests, tried int }

// sampleStore fills st with generated leads around the week and returns
// how many were requested in it.
func sampleStore(t *testing.T, st ops.Store, save func(context.Context, lead.Lead) error) counts {
	t.Helper()
	h, err := hours.Parse(clinicEnv["OPENING_HOURS"], newYork)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 10, 26, 0, 0, 0, 0, newYork), time.Date(2026, 11, 2, 0, 0, 0, 0, newYork)
	var n counts
	for _, l := range figures.Sample(from.Add(-72*time.Hour), to.Add(24*time.Hour), figuresNow, 300, 11, h) {
		if err := save(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		if !l.CreatedAt.Before(from) && l.CreatedAt.Before(to) {
			n.requests++
			if !l.FirstAttempt.IsZero() {
				n.tried++
			}
		}
	}
	return n
}

// runAt runs the tool at figuresNow with the clinic's settings.
func runAt(t *testing.T, st ops.Store, args ...string) (string, string) {
	t.Helper()
	return runAtTime(t, st, figuresNow, args...)
}

// runAtTime runs the tool at now with the clinic's settings.
func runAtTime(t *testing.T, st ops.Store, now time.Time, args ...string) (string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := ops.Run(context.Background(), args, ops.Env{
		Getenv: func(k string) string { return clinicEnv[k] },
		Stdout: &out, Stderr: &errOut, Now: func() time.Time { return now },
		Open: func(context.Context) (ops.Store, error) { return st, nil },
	})
	if code != 0 {
		t.Fatalf("ops %v: exit %d: %s", args, code, errOut.String())
	}
	return out.String(), errOut.String()
}

// checkFigures runs make report and make export's commands on st, which
// holds want requests in the week, and checks what a clinic would see.
func checkFigures(t *testing.T, st ops.Store, want counts) {
	t.Helper()
	report, _ := runAt(t, st, "report", "-from", "2026-10-26", "-to", "2026-11-01")
	for _, s := range []string{"Requests from Mon 26 Oct 2026 to Sun 1 Nov 2026 (America/New_York)", strconv.Itoa(want.requests) + " requests, ",
		"opening time only", " over " + strconv.Itoa(want.tried) + " tried; " + strconv.Itoa(want.requests-want.tried) + " not tried yet; ",
		"== By weekday of the request ==", "== Slowest requests ==", "== Booked rate by UTM campaign =="} {
		if !strings.Contains(report, s) {
			t.Errorf("the report does not say %q:\n%s", s, report)
		}
	}
	// Default span: the 7 days up to today, today included.
	def, _ := runAt(t, st, "report")
	same, _ := runAt(t, st, "report", "-from", "2026-10-27", "-to", "2026-11-02")
	if !strings.Contains(def, "Requests from Tue 27 Oct 2026 to Mon 2 Nov 2026") || same != def {
		t.Errorf("the default span is not the 7 days up to today:\n%s\nwant\n%s", def, same)
	}

	csvOut, _ := runAt(t, st, "export", "-from", "2026-10-26", "-to", "2026-11-01")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, csvOut)
	}
	if len(rows) != want.requests+1 {
		t.Errorf("%d rows, want a header and %d requests", len(rows), want.requests)
	}
	head := rows[0]
	if slices.Contains(head, "name") || slices.Contains(head, "phone") || slices.Contains(head, "reason") || strings.Contains(csvOut, "Patient ") {
		t.Errorf("the export without PII=1 holds personal data: %v", head)
	}
	for _, r := range rows[1:] {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("a cell a spreadsheet would run as a formula: %q", c)
			}
		}
	}
	if !strings.Contains(csvOut, `'=HYPERLINK(`) {
		t.Errorf("the visitor's formula is not defused in the export")
	}
	withPII, _ := runAt(t, st, "export", "-from", "2026-10-26", "-to", "2026-11-01", "-pii")
	piiRows, err := csv.NewReader(strings.NewReader(withPII)).ReadAll()
	if err != nil {
		t.Fatalf("PII=1: not CSV: %v\n%s", err, withPII)
	}
	if got := strings.Join(piiRows[0][len(piiRows[0])-3:], ","); got != "name,phone,email" || len(piiRows) != want.requests+1 {
		t.Fatalf("PII=1: %d rows ending in %q, want %d ending in name,phone,email", len(piiRows), got, want.requests+1)
	}
	for _, r := range piiRows[1:] {
		if name, phone := r[len(r)-3], r[len(r)-2]; !strings.HasPrefix(name, "Patient ") || phone != "+12025550143" {
			t.Errorf("PII=1: name %q, phone %q; want the patient's and +12025550143 as written (no apostrophe)", name, phone)
		}
	}
}

func TestFiguresOnTheFake(t *testing.T) {
	st := storetest.NewMemStore()
	want := sampleStore(t, st, func(ctx context.Context, l lead.Lead) error { return st.Save(ctx, l, nil) })
	checkFigures(t, st, want)
}

// TestFiguresCountToday: right after requests made today, make report and
// make export with no FROM or TO have them (the report used to end
// yesterday and say "No requests."), with the untried beside the medians.
func TestFiguresCountToday(t *testing.T) {
	h, err := hours.Parse(clinicEnv["OPENING_HOURS"], newYork)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.NewMemStore()
	var today counts
	midnight, now := time.Date(2026, 11, 2, 0, 0, 0, 0, newYork), time.Date(2026, 11, 2, 15, 0, 0, 0, newYork)
	for _, l := range figures.Sample(midnight, now, now, 12, 5, h) {
		if err := st.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
		today.requests++
		if !l.FirstAttempt.IsZero() {
			today.tried++
		}
	}
	if today.tried == 0 || today.tried == today.requests {
		t.Fatalf("the sample has %d of %d tried: want some of each", today.tried, today.requests)
	}
	report, _ := runAtTime(t, st, now, "report")
	for _, s := range []string{strconv.Itoa(today.requests) + " requests, ",
		" over " + strconv.Itoa(today.tried) + " tried; " + strconv.Itoa(today.requests-today.tried) + " not tried yet; "} {
		if !strings.Contains(report, s) {
			t.Errorf("the default report does not say %q:\n%s", s, report)
		}
	}
	if !strings.Contains(report, "Requests from Tue 27 Oct 2026 to Mon 2 Nov 2026 (America/New_York)") {
		t.Errorf("the default report does not end today:\n%.200s", report)
	}
	csvOut, _ := runAtTime(t, st, now, "export")
	if n := strings.Count(csvOut, "\n"); n != today.requests+1 {
		t.Errorf("the default export: %d lines, want a header and today's %d requests", n, today.requests)
	}
}

// TestFiguresAgainstMoto: make report and make export on a table as
// DynamoDB keeps it (moto's server), made from template.yaml.
func TestFiguresAgainstMoto(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.Moto(t)))
	name := "leads-" + uuid.NewString()[:8]
	testenv.CreateTable(t, db, name)
	st := ddb.New(db, name)
	want := sampleStore(t, ops.Pending(st), func(ctx context.Context, l lead.Lead) error { return st.Save(ctx, l, nil) })
	checkFigures(t, ops.Pending(st), want)
}

func TestFiguresUsage(t *testing.T) {
	st := storetest.NewMemStore()
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"report", "-from", "yesterday"}, nil, "FROM"},
		{[]string{"report", "-to", "2026-13-01"}, nil, "TO"},
		{[]string{"report", "-from", "2026-11-05", "-to", "2026-11-01"}, nil, "after TO"},
		{[]string{"export"}, map[string]string{"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"},
		{[]string{"export"}, map[string]string{"OPENING_HOURS": "sometimes"}, "OPENING_HOURS"},
	} {
		var out, errOut strings.Builder
		code := ops.Run(context.Background(), tc.args, ops.Env{
			Getenv: func(k string) string { return tc.env[k] }, Stdout: &out, Stderr: &errOut,
			Now: func() time.Time { return figuresNow }, Open: func(context.Context) (ops.Store, error) { return st, nil },
		})
		if code != ops.ExitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v %v: exit %d %q, want 2 naming %s", tc.args, tc.env, code, errOut.String(), tc.want)
		}
	}
}

// TestFiguresCountInTheStacksSettings: with no TIME_ZONE or OPENING_HOURS
// set, make report reads the stack's (TimeZone, OpeningHours), so its
// figures are the weekly report's; a variable set wins over the stack's.
func TestFiguresCountInTheStacksSettings(t *testing.T) {
	st := storetest.NewMemStore()
	sampleStore(t, st, func(ctx context.Context, l lead.Lead) error { return st.Save(ctx, l, nil) })
	want, _ := runAt(t, st, "report")
	run := func(env map[string]string) string {
		t.Helper()
		var out, errOut strings.Builder
		asked := 0
		code := ops.Run(context.Background(), []string{"report"}, ops.Env{
			Getenv: func(k string) string { return env[k] },
			Stdout: &out, Stderr: &errOut, Now: func() time.Time { return figuresNow },
			Open: func(context.Context) (ops.Store, error) { return st, nil },
			Settings: func(context.Context) (map[string]string, error) {
				asked++
				return clinicEnv, nil
			},
		})
		if code != 0 || asked != 1 {
			t.Fatalf("exit %d, the stack asked %d times: %s", code, asked, errOut.String())
		}
		return out.String()
	}
	if got := run(nil); got != want {
		t.Errorf("without TIME_ZONE and OPENING_HOURS, not the stack's figures:\n%s\nwant\n%s", got, want)
	}
	if got := run(map[string]string{"TIME_ZONE": "UTC"}); !strings.Contains(got, "(UTC)") {
		t.Errorf("TIME_ZONE=UTC did not win over the stack's zone:\n%.200s", got)
	}
}
