package staff

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/render/charts"
	"github.com/openclinic/leadhandler/internal/render/export"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// ownersOnly is the sentence a signed-in page answers anyone else with.
const ownersOnly = "Only the clinic's owners (OWNER_EMAILS) may see the figures."

// MaxSpanDays bounds the span the figures page and the export read.
const MaxSpanDays = 366

// maxExport bounds the export's body: a Lambda behind the HTTP API answers
// at most 6 MB.
const maxExport = 5 << 20

// Spans the page offers, by their span= value, in days.
var spanDays = map[string]int{"7d": 7, "4w": 28, "12w": 84}

// spanLabels name them, in the page's order.
var spanLabels = []struct{ Key, Label string }{{"7d", "7 days"}, {"4w", "4 weeks"}, {"12w", "12 weeks"}}

// span is whole days of the clinic's calendar: the requests made in
// [From, To), its first day's midnight to the midnight after its last.
type span struct {
	From, To time.Time
	// First and Last are the first and the last day's midnights.
	First, Last time.Time
	Key         string // "7d", "4w" or "12w"; "" for from/to
}

// dates is the span as the audit entry and the file name say it:
// "2026-11-30..2026-12-06".
func (s span) dates() string {
	return s.First.Format(time.DateOnly) + ".." + s.Last.Format(time.DateOnly)
}

// days counts the span's calendar days.
func (s span) days() int {
	return int(civilDay(s.Last)-civilDay(s.First)) + 1
}

// query is the span as the page's links carry it.
func (s span) query() url.Values {
	if s.Key != "" {
		return url.Values{"span": {s.Key}}
	}
	return url.Values{"from": {s.First.Format(time.DateOnly)}, "to": {s.Last.Format(time.DateOnly)}}
}

func civilDay(t time.Time) int64 {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func midnight(t time.Time, zone *time.Location, addDays int) time.Time {
	t = t.In(zone)
	return time.Date(t.Year(), t.Month(), t.Day()+addDays, 0, 0, 0, 0, zone)
}

// errSpan is a span= value, or from/to dates, the page cannot read; its
// text is the page's.
type errSpan string

func (e errSpan) Error() string { return string(e) }

// parseSpan reads the span asked for: span=7d (the default: the last 7
// days, today included), 4w or 12w; or from and to, dates in the clinic's
// zone, both included (either alone: to today, or the 7 days to it).
func parseSpan(q map[string]string, now time.Time, zone *time.Location) (span, error) {
	today := midnight(now, zone, 0)
	key, from, to := q["span"], q["from"], q["to"]
	if from == "" && to == "" {
		if key == "" {
			key = "7d"
		}
		n, ok := spanDays[key]
		if !ok {
			return span{}, errSpan("The span can be 7d, 4w or 12w, or a from and to date.")
		}
		first := midnight(today, zone, 1-n)
		return span{From: first, To: midnight(today, zone, 1), First: first, Last: today, Key: key}, nil
	}
	if key != "" {
		return span{}, errSpan("Ask for a span, or for from and to dates, not both.")
	}
	day := func(name, v string) (time.Time, error) {
		d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), zone)
		if err != nil {
			return time.Time{}, errSpan("The " + name + " date must read as 2026-11-30 (year, month, day).")
		}
		return d, nil
	}
	var first, last time.Time
	var err error
	switch {
	case to == "":
		last = today
	default:
		if last, err = day("to", to); err != nil {
			return span{}, err
		}
	}
	switch {
	case from == "":
		first = midnight(last, zone, -6)
	default:
		if first, err = day("from", from); err != nil {
			return span{}, err
		}
	}
	s := span{From: first, To: midnight(last, zone, 1), First: first, Last: last}
	switch {
	case last.Before(first):
		return span{}, errSpan("The from date must not be after the to date.")
	case s.days() > MaxSpanDays:
		return span{}, errSpan("A span can be at most " + strconv.Itoa(MaxSpanDays) + " days.")
	}
	return s, nil
}

// isOwner reports whether s is a signed-in staff member on OWNER_EMAILS.
func (h *Handler) isOwner(s access.Session) bool {
	return s.SignedIn() && slices.ContainsFunc(h.cfg.OwnerEmails, func(e string) bool { return strings.EqualFold(e, s.Email) })
}

// owner authorizes the figures routes: a signed-in owner's session, or the
// answer for anyone else (to the sign-in page without a session; 403 with
// who may see them for a session from an emailed link, or for staff not
// on OWNER_EMAILS).
func (h *Handler) owner(r *request, next string) (session, *events.APIGatewayV2HTTPResponse) {
	s, err := h.session(r)
	if err != nil {
		res := h.storeProblem(r.log, err)
		return s, &res
	}
	switch {
	case s.kind == noSession:
		if r.RawQueryString != "" {
			next += "?" + r.RawQueryString
		}
		res := h.toSignIn(r, next)
		return s, &res
	case !h.isOwner(s.Session):
		r.log.Info("figures refused", "reason", "not an owner", "signedIn", s.kind == staffSession)
		res := h.render(http.StatusForbidden, view{Title: "Owners only", Message: ownersOnly, Problem: true, Nav: h.nav(r, s.Session)})
		return s, &res
	}
	return s, nil
}

// figuresView is the figures page.
type figuresView struct {
	Span      string // "Mon 30 Nov to Sun 6 Dec 2026 (7 days)"
	Spans     []filterView
	From, To  string // the custom span's form
	Export    string
	ExportPII string
	Requests  int
	Held      string // "3 requests" held for review now; "" for none
	// Duplicates counts the span's requests closed as duplicates of a
	// returning patient's newer one: in none of the figures.
	Duplicates int

	DaysChart charts.SVG
	Days      []dayRow

	Median, P90 string // "38 min", "at least 2 h", "none"
	Untried     int
	WithinChart charts.SVG
	Within      []withinRow

	Rates []rateTable

	HeatRequests, HeatWait charts.SVG
	Heat                   []heatRow

	Slow []slowRow
}

type dayRow struct {
	Date                                    string
	Requests, Booked, Open, ClosedOtherwise int
}

type withinRow struct {
	Label, Share string
	Count        int
}

type rateTable struct {
	Title, Column string
	Chart         charts.SVG
	Rows          []rateRow
}

type rateRow struct {
	Key, Rate        string
	Requests, Booked int
	Small            bool
}

type heatRow struct {
	Day      string
	Requests [24]int
	Wait     [24]string
}

type slowRow struct {
	Number, Href, When, Wait string
	Waiting                  bool
}

// Series colors of the requests-per-day chart.
var daySeries = []charts.Series{{Name: "Booked", Color: "#1b7f3b"}, {Name: "Open", Color: "#0b57d0"}, {Name: "Closed otherwise", Color: "#8a8a8a"}}

// weekdays in the page's order, Monday first.
var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// withinLabels say figures.Thresholds.
var withinLabels = []string{"Within 5 min", "Within 1 h", "Within 1 day"}

// getFigures answers GET /staff/figures: the span's figures, for owners.
func (h *Handler) getFigures(r *request) events.APIGatewayV2HTTPResponse {
	// Authorize.
	s, res := h.owner(r, "staff/figures")
	if res != nil {
		return *res
	}
	// Read the span asked for, then the store.
	sp, err := parseSpan(r.QueryStringParameters, r.now, h.cfg.TimeZone)
	if err != nil {
		return h.problem(http.StatusBadRequest, "These figures cannot be shown", err.Error())
	}
	b, err := h.board(r, sp)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	// Answer.
	v := h.figuresView(r, sp, b)
	v.Held = h.heldCount(r, s.Session)
	r.log.Info("figures shown", "days", sp.days(), "requests", b.Total.Requests)
	return h.render(http.StatusOK, view{Title: "Figures", Nav: h.nav(r, s.Session), Figures: v})
}

// board adds up the span's requests.
func (h *Handler) board(r *request, sp span) (*figures.Board, error) {
	b := figures.New(sp.From, sp.To, r.now, h.cfg.Hours, h.cfg.TimeZone)
	for l, err := range h.store.Requested(r.ctx, sp.From, sp.To, r.now) {
		if err != nil {
			return nil, err
		}
		b.Add(l)
	}
	return b, nil
}

func (h *Handler) figuresView(r *request, sp span, b *figures.Board) *figuresView {
	zone := h.cfg.TimeZone
	v := &figuresView{
		Span:     sp.First.Format("Mon 2 Jan 2006") + " to " + sp.Last.Format("Mon 2 Jan 2006") + " (" + present.Plural(sp.days(), "day", "days") + ")",
		From:     sp.First.Format(time.DateOnly),
		To:       sp.Last.Format(time.DateOnly),
		Requests: b.Total.Requests,
		Untried:  b.Total.Requests - b.Total.Tried,

		Duplicates: b.Duplicates,
	}
	for _, l := range spanLabels {
		v.Spans = append(v.Spans, filterView{Label: l.Label, Href: "figures?span=" + l.Key, Current: l.Key == sp.Key})
	}
	q := sp.query()
	v.Export = r.up.to("staff/export?" + q.Encode())
	q.Set("pii", "1")
	v.ExportPII = r.up.to("staff/export?" + q.Encode())

	// Requests per day, by where they stand now.
	stacks := make([]charts.Stack, 0, len(b.Days))
	for _, d := range b.Days {
		label := d.Date.In(zone).Format("Mon 2 Jan")
		v.Days = append(v.Days, dayRow{Date: label, Requests: d.Requests, Booked: d.Booked, Open: d.Open, ClosedOtherwise: d.ClosedOther})
		short := d.Date.In(zone).Format("2 Jan")
		stacks = append(stacks, charts.Stack{Label: short, Values: []int{d.Booked, d.Open, d.ClosedOther}})
	}
	v.DaysChart = charts.StackedBars("Requests per day, by result: booked, open, closed otherwise", daySeries, stacks)

	// Time to first attempt, every request counted.
	v.Median, v.P90 = spread(&b.Total, 50), spread(&b.Total, 90)
	bars := make([]charts.Bar, 0, len(withinLabels))
	for i, label := range withinLabels {
		n := b.Total.Within[i]
		row := withinRow{Label: label, Count: n, Share: share(n, b.Total.Requests)}
		v.Within = append(v.Within, row)
		bars = append(bars, charts.Bar{Label: label, Value: ratio(n, b.Total.Requests), Text: row.Share + " (" + strconv.Itoa(n) + ")"})
	}
	v.WithinChart = charts.Bars("Share of requests first tried within 5 minutes, 1 hour and 1 day of opening time", 1, "#0b57d0", bars)

	// Booked rate by source class, landing page and campaign.
	for _, a := range []struct {
		title, column string
		rows          []figures.Rate
	}{
		{"By source", "Source", b.Classes.Rows()},
		{"By landing page", "Landing page", b.Pages.Rows()},
		{"By campaign", "Campaign", b.Campaigns.Rows()},
	} {
		t := rateTable{Title: a.title, Column: a.column}
		bars := make([]charts.Bar, 0, len(a.rows))
		for _, row := range a.rows {
			rr := rateRow{Key: row.Key, Requests: row.Requests, Booked: row.Booked, Rate: figures.Percent(row.BookedRate()), Small: row.Small()}
			t.Rows = append(t.Rows, rr)
			text := rr.Rate + " of " + strconv.Itoa(row.Requests)
			if rr.Small {
				text += " (few)"
			}
			bars = append(bars, charts.Bar{Label: row.Key, Value: row.BookedRate(), Text: text})
		}
		t.Chart = charts.Bars("Booked rate "+strings.ToLower(a.title), 1, "#1b7f3b", bars)
		v.Rates = append(v.Rates, t)
	}

	// Weekday by hour: requests, and their median wait.
	names := make([]string, len(weekdays))
	hoursNames := make([]string, 24)
	for i := range hoursNames {
		hoursNames[i] = strconv.Itoa(i)
	}
	counts := make([][]float64, len(weekdays))
	waits := make([][]float64, len(weekdays))
	for i, wd := range weekdays {
		names[i] = wd.String()[:3]
		row := heatRow{Day: wd.String()}
		counts[i], waits[i] = make([]float64, 24), make([]float64, 24)
		for hr := range 24 {
			w := &b.Heat[wd][hr]
			row.Requests[hr] = w.Requests
			counts[i][hr] = float64(w.Requests)
			if d, _, ok := w.Spread(50); ok {
				row.Wait[hr] = spread(w, 50)
				waits[i][hr] = max(d.Minutes(), 0.5)
			}
		}
		v.Heat = append(v.Heat, row)
	}
	v.HeatRequests = charts.Heat("Requests by weekday and hour of the request, clinic time", names, hoursNames, counts)
	v.HeatWait = charts.Heat("Median wait for a first attempt by weekday and hour of the request", names, hoursNames, waits)

	// The slowest, each to its page.
	for _, sl := range b.Slowest() {
		row := slowRow{Number: sl.Number, When: h.short(sl.CreatedAt, r.now), Wait: figures.Minutes(sl.Wait), Waiting: !sl.Tried}
		if sl.ID != "" {
			row.Href = r.up.to("leads/" + url.PathEscape(sl.ID))
		}
		v.Slow = append(v.Slow, row)
	}
	return v
}

// spread says the p-th percentile of every request's wait: "38 min", "at
// least 2 h" while any is untried ("under 1 min so far" below a minute),
// "none" for no requests.
func spread(w *figures.Waits, p int) string {
	d, atLeast, ok := w.Spread(p)
	switch {
	case !ok:
		return "none"
	case atLeast && d < time.Minute:
		return "under 1 min so far"
	case atLeast:
		return "at least " + figures.Minutes(d)
	}
	return figures.Minutes(d)
}

func ratio(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func share(n, of int) string { return figures.Percent(ratio(n, of)) }

// getExport answers GET /staff/export: the span's requests as the CSV make
// export writes, for owners, with names and contacts only with pii=1; the
// download is audited.
func (h *Handler) getExport(r *request) events.APIGatewayV2HTTPResponse {
	s, res := h.owner(r, "staff/figures")
	if res != nil {
		return *res
	}
	q := r.QueryStringParameters
	sp, err := parseSpan(map[string]string{"span": q["span"], "from": q["from"], "to": q["to"]}, r.now, h.cfg.TimeZone)
	if err != nil {
		return h.problem(http.StatusBadRequest, "This export cannot be made", err.Error())
	}
	pii := false
	switch q["pii"] {
	case "", "0":
	case "1":
		pii = true
	default:
		return h.problem(http.StatusBadRequest, "This export cannot be made", "pii can be 1 (with names and contacts) or left out.")
	}
	var buf bytes.Buffer
	n, err := export.WriteCSV(&buf, h.store.Requested(r.ctx, sp.From, sp.To, r.now), h.cfg.Hours, pii)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if buf.Len() > maxExport {
		r.log.Info("export refused", "reason", "too large", "rows", n, "days", sp.days())
		return h.problem(http.StatusRequestEntityTooLarge, "Too many requests for one download",
			"Choose a shorter span (from and to), or ask whoever runs the clinic's AWS account for make export.")
	}
	// Audit: nothing leaves without its entry.
	action := access.Export
	if pii {
		action = access.ExportPII
	}
	err = h.store.Audit(r.ctx, access.AuditEntry{At: r.now, Actor: s.actor(), Action: action, RequestID: r.id, Span: sp.dates(),
		Expires: r.now.Add(h.cfg.AuditRetention)})
	if err != nil {
		r.log.Error("audit entry not written", "action", action, "err", err)
		return h.storeProblem(r.log, errors.New("audit trail unavailable"))
	}
	r.log.Info("requests exported", "rows", n, "days", sp.days(), "pii", pii)
	name := "requests-" + sp.First.Format(time.DateOnly) + "-to-" + sp.Last.Format(time.DateOnly)
	if pii {
		name += "-personal"
	}
	// The pages' headers (no-store, nosniff, the CSP), as a download.
	res = new(events.APIGatewayV2HTTPResponse)
	*res = h.render(http.StatusOK, view{})
	res.Headers["Content-Type"] = "text/csv; charset=utf-8"
	res.Headers["Content-Disposition"] = `attachment; filename="` + name + `.csv"`
	res.Body = buf.String()
	return *res
}

// figuresPart is the figures page's body: every chart with its numbers in
// a table below it.
func figuresPart(b *markup.Builder, v *figuresView) {
	b.Add("\n", `<p>`, esc(v.Span), ": ", esc(present.Plural(v.Requests, "request", "requests")))
	if v.Duplicates > 0 {
		b.Add(" (and ", esc(present.Plural(v.Duplicates, "duplicate", "duplicates")),
			", not counted in these figures: a returning patient's older requests, closed when staff tried the newer one)")
	}
	b.Add(".</p>\n", `<nav class="filters" aria-label="Span">`)
	for _, f := range v.Spans {
		b.Add(`<a href="`, href(f.Href), `"`, when(f.Current, ` aria-current="page"`), ">", esc(f.Label), "</a>")
	}
	b.Add("</nav>\n", `<form method="get" action="figures" class="span"><label for="from">From</label><input type="date" id="from" name="from" value="`, esc(v.From),
		`"><label for="to">to</label><input type="date" id="to" name="to" value="`, esc(v.To), `"><button type="submit">Show</button></form>`)
	b.Add("\n", `<p class="actions"><a class="btn alt" href="`, href(v.Export), `">Download the requests (CSV)</a>`,
		`<a class="btn alt" href="`, href(v.ExportPII), `">With names and contacts</a></p>`)

	b.Add("\n<h2>Requests per day</h2>\n", `<div class="chart">`, v.DaysChart.String(), "</div>\n")
	table(b, "Requests per day", []string{"Day", "Requests", "Booked", "Open", "Closed otherwise"}, len(v.Days), func(i int) []string {
		d := v.Days[i]
		return []string{d.Date, strconv.Itoa(d.Requests), strconv.Itoa(d.Booked), strconv.Itoa(d.Open), strconv.Itoa(d.ClosedOtherwise)}
	})
	held := "none"
	if v.Held != "" {
		held = v.Held
	}
	b.Add("\n", `<p class="hint">Held for review as likely spam now: `, esc(held), " (not counted until released). Requests refused as spam or over the limits are counted only in the clinic's metrics (the CloudWatch dashboard), never stored.</p>")

	b.Add("\n<h2>Time to first attempt</h2>\n", `<dl class="speed"><dt>Median</dt><dd>`, esc(v.Median), "</dd><dt>90th percentile</dt><dd>", esc(v.P90), "</dd></dl>\n",
		`<p class="hint">In opening time, every request counted: `, esc(present.Plural(v.Untried, "request", "requests")),
		" not tried yet count the time they have waited so far", when(v.Untried > 0, ", so the figures are at least that"), ".</p>\n")
	b.Add(`<div class="chart">`, v.WithinChart.String(), "</div>\n")
	table(b, "First tried within", []string{"First tried", "Requests", "Share"}, len(v.Within), func(i int) []string {
		w := v.Within[i]
		return []string{w.Label + " of opening time", strconv.Itoa(w.Count), w.Share}
	})

	b.Add("\n<h2>Booked rate</h2>\n", `<p class="hint">Rows marked "few" have fewer than `, strconv.Itoa(figures.SmallCount), " requests: their rate says little.</p>")
	for _, t := range v.Rates {
		b.Add("\n<h3>", esc(t.Title), "</h3>\n", `<div class="chart">`, t.Chart.String(), "</div>\n")
		table(b, "Booked rate "+strings.ToLower(t.Title), []string{t.Column, "Requests", "Booked", "Booked rate"}, len(t.Rows), func(i int) []string {
			row := t.Rows[i]
			rate := row.Rate
			if row.Small {
				rate += " (few)"
			}
			return []string{row.Key, strconv.Itoa(row.Requests), strconv.Itoa(row.Booked), rate}
		})
	}

	b.Add("\n<h2>By weekday and hour</h2>\n<h3>Requests</h3>\n", `<div class="chart">`, v.HeatRequests.String(), "</div>\n")
	hoursHead := make([]string, 25)
	hoursHead[0] = "Day"
	for i := range 24 {
		hoursHead[i+1] = strconv.Itoa(i)
	}
	table(b, "Requests by weekday and hour", hoursHead, len(v.Heat), func(i int) []string {
		row := []string{v.Heat[i].Day}
		for _, n := range v.Heat[i].Requests {
			row = append(row, strconv.Itoa(n))
		}
		return row
	})
	b.Add("\n<h3>Median wait</h3>\n", `<div class="chart">`, v.HeatWait.String(), "</div>\n")
	table(b, "Median wait by weekday and hour", hoursHead, len(v.Heat), func(i int) []string {
		row := []string{v.Heat[i].Day}
		for _, w := range v.Heat[i].Wait {
			row = append(row, when(w != "", w))
		}
		return row
	})

	b.Add("\n<h2>Slowest requests</h2>\n")
	if len(v.Slow) == 0 {
		b.Add("<p>None in this span.</p>")
		return
	}
	b.Add(`<div class="scroll" role="region" aria-label="Slowest requests" tabindex="0"><table><thead><tr><th scope="col">Request</th><th scope="col">Requested</th><th scope="col">First attempt after</th></tr></thead><tbody>`)
	for _, s := range v.Slow {
		b.Add("\n<tr><td>")
		if s.Href != "" {
			b.Add(`<a href="`, href(s.Href), `">`, esc(s.Number), "</a>")
		} else {
			b.Add(esc(s.Number))
		}
		b.Add("</td><td>", esc(s.When), "</td><td>", esc(s.Wait), when(s.Waiting, " (still waiting)"), "</td></tr>")
	}
	b.Add("\n</tbody></table></div>")
}

// table is a table of n rows under head, each row's first cell its header,
// in a region that scrolls on a narrow screen.
func table(b *markup.Builder, name string, head []string, n int, row func(int) []string) {
	b.Add(`<div class="scroll" role="region" aria-label="`, esc(name), `" tabindex="0"><table><thead><tr>`)
	for _, c := range head {
		b.Add(`<th scope="col">`, esc(c), "</th>")
	}
	b.Add("</tr></thead><tbody>")
	for i := range n {
		b.Add("\n<tr>")
		for j, c := range row(i) {
			if j == 0 {
				b.Add(`<th scope="row">`, esc(c), "</th>")
			} else {
				b.Add("<td>", esc(c), "</td>")
			}
		}
		b.Add("</tr>")
	}
	b.Add("\n</tbody></table></div>")
}
