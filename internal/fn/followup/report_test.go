package followup

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The fixed week of the golden files: Monday 26 Oct to Sunday 1 Nov 2026 in
// New York, the US daylight-saving change (Sunday 1 Nov, 2:00) inside it;
// the report runs Monday 2 Nov at 8:00. Leads come from 12 weeks before.
var (
	reportRun  = time.Date(2026, 11, 2, 8, 0, 0, 0, newYork)
	reportFrom = time.Date(2026, 8, 10, 0, 0, 0, 0, newYork)
)

func withHours(c *config.FollowUp) {
	h, err := hours.Parse("Mon-Fri 08:00-18:00,Sat 09:00-12:00", newYork)
	if err != nil {
		panic(err)
	}
	c.Report = config.Report{Emails: []string{"owner@example-clinic.com"}, Hours: h}
}

// sampleWeeks stores the generated 12 weeks of leads, and some after the
// run that no figure may count.
func sampleWeeks(t *testing.T, f *fixture, n int) {
	t.Helper()
	for _, l := range figures.Sample(reportFrom, reportRun.Add(36*time.Hour), reportRun, n, 2026, f.h.cfg.Report.Hours) {
		if err := f.store.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/fn/followup -update to write it)", err)
	}
	if diff := cmp.Diff(got, string(want)); diff != "" {
		t.Errorf("%s (-got +want):\n%s", path, diff)
	}
}

func TestWeeklyReportGolden(t *testing.T) {
	f := newFixture(t, withHours)
	sampleWeeks(t, f, 1200)
	f.now = reportRun
	ev := Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: reportRun.UTC().Format(time.RFC3339), Report: WeeklyReport}
	if err := f.h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d emails, want the report", len(sent))
	}
	m := sent[0]
	if strings.Join(m.To, ",") != "owner@example-clinic.com" || m.Tags["kind"] != "report" {
		t.Errorf("report to %v with tags %v, want REPORT_EMAIL and kind report", m.To, m.Tags)
	}
	goldenFile(t, "weekly.subject.txt.golden", m.Subject+"\n")
	goldenFile(t, "weekly.txt.golden", m.Text)
	goldenFile(t, "weekly.html.golden", m.HTML)
	for _, hostile := range []string{"<script>", "<b>bold</b>"} {
		if strings.Contains(m.HTML, hostile) {
			t.Errorf("the HTML report carries a visitor's %q unescaped", hostile)
		}
	}
	// The figures page linked; its two main figures as bars mail clients
	// draw (table cells, no image, no script); plain numbers in the text.
	figuresPage := "https://api.example-clinic.com/staff/figures"
	if !strings.Contains(m.HTML, `<a href="`+figuresPage+`"`) || !strings.Contains(m.Text, figuresPage) {
		t.Errorf("the report does not link the figures page %s", figuresPage)
	}
	for _, s := range []string{"Requests by day of the week", "First attempt within", "9 of 98 (9%)", `bgcolor="#1f6f43"`} {
		if !strings.Contains(m.HTML, s) {
			t.Errorf("the HTML report has no %q", s)
		}
	}
	for _, s := range []string{"<img", "<script", "<svg"} {
		if strings.Contains(strings.ToLower(m.HTML), s) {
			t.Errorf("the HTML report has %q: want bars drawn with table cells only", s)
		}
	}
	if strings.Contains(m.Text, "<td") || !strings.Contains(m.Text, "9 within 5 minutes, 30 within 1 hour, 58 within 1 day") {
		t.Errorf("the text part: want plain numbers, no markup:\n%.600s", m.Text)
	}
	// A retry of the same run sends nothing more.
	if err := f.h.Handle(context.Background(), ev); err != nil || len(f.out.Sent()) != 1 {
		t.Errorf("retry: %v, %d emails, want still 1", err, len(f.out.Sent()))
	}
}

// TestDigestHeadlineGolden runs each day's digest of the fixed week and
// the day after (none on Sunday, when the clinic is closed), and keeps each
// digest's first lines.
func TestDigestHeadlineGolden(t *testing.T) {
	f := newFixture(t, withHours)
	sampleWeeks(t, f, 1200)
	var got strings.Builder
	for d := 27; d <= 33; d++ {
		at, open := f.h.DigestAt(time.Date(2026, 10, d, 12, 0, 0, 0, newYork))
		if !open {
			continue
		}
		f.now = at
		n := len(f.out.Sent())
		if err := f.h.Handle(context.Background(), Event{Time: at.UTC().Format(time.RFC3339)}); err != nil {
			t.Fatal(err)
		}
		sent := f.out.Sent()
		if len(sent) != n+1 {
			t.Fatalf("%s: no digest", at)
		}
		lines := strings.SplitN(sent[n].Text, "\n", 3)
		got.WriteString(lines[0] + "\n" + lines[1] + "\n")
	}
	goldenFile(t, "headlines.txt.golden", got.String())
}
