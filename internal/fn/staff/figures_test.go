package staff

import (
	"context"
	"encoding/csv"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const ownerEmail = "owner@example-clinic.com"

// newOwnerFixture is the fixture with OWNER_EMAILS naming the owner (in
// another case than they type it) and opening hours every day 9 to 18.
func newOwnerFixture(t *testing.T) *fixture {
	t.Helper()
	cfg := testConfig(lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4, Hours: everyDay})
	cfg.OwnerEmails, cfg.Hours = []string{"Owner@Example-Clinic.com"}, everyDay
	return newFixtureConfig(t, cfg, nil)
}

// signInAs signs email in through the pages, as a browser does, in a
// fresh cookie jar.
func (f *fixture) signInAs(t *testing.T, email string) {
	t.Helper()
	f.cookies = map[string]string{}
	f.askCode(t, email)
	res := f.postTo(t, "/staff/signin", url.Values{"email": {email}, "code": {f.lastCode(t)}, "next": {"staff"}})
	if res.StatusCode != http.StatusSeeOther || f.cookies[access.CookieName] == "" {
		t.Fatalf("sign in as %s: %d: %s", email, res.StatusCode, res.Body)
	}
}

// saveToday stores n more leads requested in the hour before the fixture's
// now.
func (f *fixture) saveToday(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		f.save(t, storetest.Lead(f.now.Add(-time.Duration(i+1)*time.Minute)))
	}
}

func TestFiguresForOwnersOnly(t *testing.T) {
	f := newOwnerFixture(t)
	f.saveToday(t, 3)
	// Without a session: to the sign-in page, back to the figures after.
	if res := f.getURL(t, "/staff/figures?span=4w"); res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff/signin?next="+url.QueryEscape("staff/figures?span=4w") {
		t.Errorf("no session: %d, Location %q", res.StatusCode, res.Headers["Location"])
	}
	// A session from an emailed link: not the owner's.
	if res := f.get(t, f.lead.ID, f.token); res.StatusCode != http.StatusOK {
		t.Fatalf("the lead by its link: %d", res.StatusCode)
	}
	for _, path := range []string{"/staff/figures", "/staff/export"} {
		res := f.getURL(t, path)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "Only the clinic&#39;s owners (OWNER_EMAILS) may see the figures.") {
			t.Errorf("link session, %s: %d %s", path, res.StatusCode, res.Body)
		}
	}
	// The front desk, signed in: not an owner either; no Figures in its bar.
	f.signInAs(t, staffEmail)
	for _, path := range []string{"/staff/figures", "/staff/export?pii=1"} {
		res := f.getURL(t, path)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "Only the clinic&#39;s owners (OWNER_EMAILS) may see the figures.") ||
			strings.Contains(res.Body, "<svg") || res.Headers["Content-Type"] != "text/html; charset=utf-8" {
			t.Errorf("desk, %s: %d %s", path, res.StatusCode, res.Body)
		}
	}
	if inbox := f.getURL(t, "/staff"); strings.Contains(inbox.Body, ">Figures<") {
		t.Error("the desk's bar links the figures")
	}
	// The owner: the figures, linked from the inbox's bar.
	f.signInAs(t, ownerEmail)
	inbox := f.getURL(t, "/staff")
	mustContain(t, inbox.Body, `<a href="staff/figures">Figures</a>`)
	res := f.getURL(t, "/staff/figures")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("owner: %d %s", res.StatusCode, res.Body)
	}
	for k, v := range headers {
		if res.Headers[k] != v {
			t.Errorf("header %s = %q, want %q (the CSP unchanged)", k, res.Headers[k], v)
		}
	}
	// The fixture's lead (yesterday) and the three of today, in the last 7 days.
	mustContain(t, res.Body, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Requests per day`, "<table",
		"Sat 21 Nov 2026 to Fri 27 Nov 2026 (7 days): 4 requests.",
		`<tr><th scope="row">Fri 27 Nov</th><td>3</td><td>0</td><td>3</td><td>0</td></tr>`,
		`<tr><th scope="row">Thu 26 Nov</th><td>1</td><td>0</td><td>1</td><td>0</td></tr>`,
		`<a href="../leads/`+f.lead.ID+`">`, `href="../staff/export?span=7d"`, `href="../staff/export?pii=1&amp;span=7d"`,
		`<a href="figures?span=7d" aria-current="page">7 days</a>`, "<dt>Median</dt><dd>at least ")
	// No personal data in the page: not in a chart, not anywhere.
	for _, p := range []string{"Siobh", "Brien", "555-0143", "2025550143", "siobhan@", "Lower back"} {
		if strings.Contains(res.Body, p) {
			t.Errorf("%q in the figures page", p)
		}
	}
	if strings.Contains(res.Body, "<script") {
		t.Error("a script in the figures page")
	}
}

func TestFiguresSpans(t *testing.T) {
	f := newOwnerFixture(t)
	f.saveToday(t, 3)
	f.signInAs(t, ownerEmail)
	for _, c := range []struct {
		query, says string
	}{
		{"span=4w", "Sat 31 Oct 2026 to Fri 27 Nov 2026 (28 days): 4 requests."},
		{"span=12w", "Sat 5 Sep 2026 to Fri 27 Nov 2026 (84 days): 4 requests."},
		{"from=2026-11-27&to=2026-11-27", "Fri 27 Nov 2026 to Fri 27 Nov 2026 (1 day): 3 requests."},
		{"from=2026-11-26&to=2026-11-26", "Thu 26 Nov 2026 to Thu 26 Nov 2026 (1 day): 1 request."},
		{"to=2026-11-20", "Sat 14 Nov 2026 to Fri 20 Nov 2026 (7 days): 0 requests."},
	} {
		res := f.getURL(t, "/staff/figures?"+c.query)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, c.says) {
			t.Errorf("%s: %d, want %q", c.query, res.StatusCode, c.says)
		}
	}
	for _, c := range []struct{ query, says string }{
		{"span=3d", "The span can be 7d, 4w or 12w"},
		{"from=27/11/2026", "The from date must read as 2026-11-30"},
		{"from=2026-11-27&to=2026-11-02x", "The to date must read as"},
		{"from=2026-11-27&to=2026-11-26", "The from date must not be after the to date."},
		{"from=2025-11-01&to=2026-11-27", "A span can be at most 366 days."},
		{"span=4w&from=2026-11-01", "not both"},
	} {
		for _, path := range []string{"/staff/figures?", "/staff/export?"} {
			res := f.getURL(t, path+c.query)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body, c.says) {
				t.Errorf("%s%s: %d, want 400 saying %q: %s", path, c.query, res.StatusCode, c.says, res.Body)
			}
		}
	}
}

func TestParseSpanDays(t *testing.T) {
	now := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC) // Sun 8 Mar 2026, 23:00 in New York: the day DST began
	for _, c := range []struct {
		q           map[string]string
		first, last string
		days        int
	}{
		{map[string]string{}, "2026-03-02", "2026-03-08", 7},
		{map[string]string{"span": "4w"}, "2026-02-09", "2026-03-08", 28},
		{map[string]string{"from": "2025-03-08", "to": "2026-03-08"}, "2025-03-08", "2026-03-08", 366},
		{map[string]string{"from": "2026-03-08"}, "2026-03-08", "2026-03-08", 1},
	} {
		s, err := parseSpan(c.q, now, eastern)
		if err != nil || s.First.Format(time.DateOnly) != c.first || s.Last.Format(time.DateOnly) != c.last || s.days() != c.days ||
			!s.To.Equal(time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC)) && c.last == "2026-03-08" {
			t.Errorf("%v: %v..%v (%d days), to %v, %v; want %s..%s (%d)", c.q, s.First, s.Last, s.days(), s.To, err, c.first, c.last, c.days)
		}
	}
}

func TestExportForOwners(t *testing.T) {
	f := newOwnerFixture(t)
	f.saveToday(t, 3)
	f.signInAs(t, ownerEmail)
	read := func(query string) ([][]string, map[string]string) {
		t.Helper()
		res := f.getURL(t, "/staff/export"+query)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export%s: %d %s", query, res.StatusCode, res.Body)
		}
		rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatalf("export%s: %v", query, err)
		}
		return rows, res.Headers
	}
	rows, h := read("?from=2026-11-27&to=2026-11-27")
	if h["Content-Type"] != "text/csv; charset=utf-8" || h["Content-Disposition"] != `attachment; filename="requests-2026-11-27-to-2026-11-27.csv"` ||
		h["Cache-Control"] != "no-store" || h["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("headers %v", h)
	}
	if len(rows) != 1+3 || slices.Contains(rows[0], "phone") || slices.Contains(rows[0], "name") {
		t.Errorf("today's export: %d rows, header %v; want 3 requests without personal data", len(rows)-1, rows[0])
	}
	if strings.Contains(strings.Join(slices.Concat(rows...), ","), "Siobh") {
		t.Error("a name in the export without pii")
	}
	rows, h = read("?pii=1")
	if h["Content-Disposition"] != `attachment; filename="requests-2026-11-21-to-2026-11-27-personal.csv"` {
		t.Errorf("Content-Disposition %q", h["Content-Disposition"])
	}
	phone := slices.Index(rows[0], "phone")
	if len(rows) != 1+4 || phone < 0 || !slices.Contains(rows[0], "name") {
		t.Fatalf("the week's export with pii: %d rows, header %v", len(rows)-1, rows[0])
	}
	for _, r := range rows[1:] {
		if r[phone] != "+12025550143" || strings.HasPrefix(r[phone], "'") {
			t.Errorf("phone cell %q, want +12025550143 as written", r[phone])
		}
	}
	for _, r := range slices.Concat(rows[1:]...) {
		if strings.Contains(r, "Lower back pain") {
			t.Error("the reason (free text) in the export")
		}
	}
	// Both downloads audited: who, when, the span, with personal data or not.
	var got []string
	for _, e := range f.store.AuditEntries() {
		if e.Action == access.Export || e.Action == access.ExportPII {
			got = append(got, e.Actor+" "+string(e.Action)+" "+e.Span+" "+e.At.Format(time.RFC3339)+" "+e.Lead)
		}
	}
	want := []string{ownerEmail + " export 2026-11-27..2026-11-27 2026-11-27T15:00:00Z ", ownerEmail + " export-pii 2026-11-21..2026-11-27 2026-11-27T15:00:00Z "}
	if !slices.Equal(got, want) {
		t.Errorf("audit %q, want %q", got, want)
	}
	if res := f.getURL(t, "/staff/export?pii=yes"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("pii=yes: %d", res.StatusCode)
	}
}

func TestExportNotWithoutItsAuditEntry(t *testing.T) {
	f := newOwnerFixture(t)
	f.signInAs(t, ownerEmail)
	f.h.store = failingAudit{f.store}
	res := f.getURL(t, "/staff/export")
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.Headers["Content-Type"], "csv") {
		t.Errorf("audit down: %d %v", res.StatusCode, res.Headers)
	}
}

// TestFiguresPageEqualsTheBoard renders the page for a generated month and
// reads its tables back: every number is the board's, and the tables' text
// is the golden file's.
func TestFiguresPageEqualsTheBoard(t *testing.T) {
	f := newOwnerFixture(t)
	f.signInAs(t, ownerEmail)
	from := time.Date(2026, 10, 29, 0, 0, 0, 0, eastern)
	to := time.Date(2026, 11, 28, 0, 0, 0, 0, eastern)
	b := figures.New(from, to, f.now, everyDay, eastern)
	for i, l := range figures.Sample(from, f.now, f.now, 300, 28, everyDay) {
		if i%9 == 4 && l.Status != lead.StatusClosed { // a returning patient's older request
			if err := l.CloseDuplicate("newer", lead.ByLink, l.CreatedAt); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.store.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
		b.Add(l)
	}
	b.Add(f.lead)
	res := f.getURL(t, "/staff/figures?from=2026-10-29&to=2026-11-27")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	tables := tablesOf(res.Body)
	if len(tables) != 8 {
		t.Fatalf("%d tables, want 8", len(tables))
	}
	// Requests per day.
	days := tables[0]
	if len(days) != 1+len(b.Days) {
		t.Fatalf("%d day rows, want %d", len(days)-1, len(b.Days))
	}
	total := 0
	for i, d := range b.Days {
		want := []string{d.Date.Format("Mon 2 Jan"), strconv.Itoa(d.Requests), strconv.Itoa(d.Booked), strconv.Itoa(d.Open), strconv.Itoa(d.ClosedOther)}
		if !slices.Equal(days[i+1], want) {
			t.Errorf("day %d: %v, want %v", i, days[i+1], want)
		}
		total += d.Requests
	}
	if total != b.Total.Requests || b.Duplicates < 2 || !strings.Contains(res.Body, "(30 days): "+strconv.Itoa(b.Total.Requests)+" requests (and "+strconv.Itoa(b.Duplicates)+" duplicates, not counted in these figures") {
		t.Errorf("days add up to %d, board %d and %d duplicates", total, b.Total.Requests, b.Duplicates)
	}
	// Medians, every request counted.
	for _, p := range []int{50, 90} {
		if s := spread(&b.Total, p); !strings.Contains(res.Body, "<dd>"+s+"</dd>") {
			t.Errorf("p%d %q not on the page", p, s)
		}
	}
	// Within.
	for i, row := range tables[1][1:] {
		if row[1] != strconv.Itoa(b.Total.Within[i]) || row[2] != figures.Percent(float64(b.Total.Within[i])/float64(b.Total.Requests)) {
			t.Errorf("within %d: %v, board %d of %d", i, row, b.Total.Within[i], b.Total.Requests)
		}
	}
	// Booked rates.
	for k, a := range []*figures.Attribution{&b.Classes, &b.Pages, &b.Campaigns} {
		rows := a.Rows()
		if len(tables[2+k]) != 1+len(rows) {
			t.Fatalf("attribution %d: %d rows, want %d", k, len(tables[2+k])-1, len(rows))
		}
		for i, r := range rows {
			got := tables[2+k][i+1]
			if got[0] != r.Key || got[1] != strconv.Itoa(r.Requests) || got[2] != strconv.Itoa(r.Booked) || !strings.HasPrefix(got[3], figures.Percent(r.BookedRate())) ||
				strings.HasSuffix(got[3], "(few)") != r.Small() {
				t.Errorf("attribution %d row %d: %v, board %+v", k, i, got, r)
			}
		}
	}
	// The heat map's requests.
	for i, wd := range weekdays {
		for hr := range 24 {
			if got := tables[5][i+1][hr+1]; got != strconv.Itoa(b.Heat[wd][hr].Requests) {
				t.Errorf("%v %d:00: %s, board %d", wd, hr, got, b.Heat[wd][hr].Requests)
			}
		}
	}
	// The slowest.
	slow := b.Slowest()
	if len(tables[7]) != 1+len(slow) {
		t.Fatalf("%d slowest, want %d", len(tables[7])-1, len(slow))
	}
	for i, s := range slow {
		if got := tables[7][i+1]; got[0] != s.Number || !strings.HasPrefix(got[2], figures.Minutes(s.Wait)) {
			t.Errorf("slowest %d: %v, board %+v", i, got, s)
		}
		if !strings.Contains(res.Body, `<a href="../leads/`+s.ID+`">`+s.Number+"</a>") {
			t.Errorf("slowest %s not linked to its page", s.Number)
		}
	}
	// The golden file: the tables' text.
	var text strings.Builder
	for _, tb := range tables {
		for _, row := range tb {
			text.WriteString(strings.Join(row, " | ") + "\n")
		}
		text.WriteString("\n")
	}
	golden(t, "figures.golden", text.String())
}

func golden(t *testing.T, name, got string) {
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
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, got)
	}
}

var (
	tableRE = regexp.MustCompile(`(?s)<table>(.*?)</table>`)
	rowRE   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE  = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
)

// tablesOf reads a page's tables: rows of cells' text, header row first.
func tablesOf(page string) [][][]string {
	var out [][][]string
	for _, tm := range tableRE.FindAllStringSubmatch(page, -1) {
		var rows [][]string
		for _, rm := range rowRE.FindAllStringSubmatch(tm[1], -1) {
			var cells []string
			for _, cm := range cellRE.FindAllStringSubmatch(rm[1], -1) {
				cells = append(cells, strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(tagRE.ReplaceAllString(cm[1], "")))
			}
			rows = append(rows, cells)
		}
		out = append(out, rows)
	}
	return out
}

func TestSpreadWords(t *testing.T) {
	now := start
	untried := func(ago time.Duration) lead.Lead { return storetest.Lead(now.Add(-ago)) }
	tried := func(ago, after time.Duration) lead.Lead {
		l := storetest.Lead(now.Add(-ago))
		_ = l.Record(lead.Event{At: l.CreatedAt.Add(after), Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: lead.ByLink}, lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4})
		return l
	}
	for _, c := range []struct {
		leads []lead.Lead
		want  string
	}{
		{nil, "none"},
		{[]lead.Lead{tried(time.Hour, 5*time.Minute)}, "5 min"},
		{[]lead.Lead{untried(30 * time.Second)}, "under 1 min so far"},
		{[]lead.Lead{tried(time.Hour, 5*time.Minute), untried(2 * time.Hour)}, "at least 5 min"},
		{[]lead.Lead{untried(2 * time.Hour)}, "at least 2 h"},
	} {
		b := figures.New(now.Add(-24*time.Hour), now.Add(time.Hour), now, hours.Hours{}, eastern)
		for _, l := range c.leads {
			b.Add(l)
		}
		if got := spread(&b.Total, 50); got != c.want {
			t.Errorf("%d leads: %q, want %q", len(c.leads), got, c.want)
		}
	}
}
