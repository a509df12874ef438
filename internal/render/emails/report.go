package emails

// The clinic's figures (internal/figures) as the weekly report's email
// and make report's terminal output. Rendered in plain Go, not through the
// templates: every value goes through markup.Text (as in the other
// emails) on its way into HTML, and landing pages and UTM values (a visitor's) arrive cleaned and
// bounded by figures.Clean.

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// Weekly is the weekly report: last week's speed to lead, and where
// booked patients came from over the last 4 and 12 weeks.
type Weekly struct {
	Week, Last4, Last12 *figures.Board
	// OpeningHours says how waits are counted ("opening hours" or "every
	// minute").
	OpeningHours bool
	// FiguresURL is the owner's figures page (PUBLIC_BASE_URL/staff/figures),
	// linked from the report; none when empty.
	FiguresURL string
}

// Table is one table of figures: a title, column heads and rows of cells.
type Table struct {
	Title string
	Head  []string
	Rows  [][]string
	// Note follows the table, or is said instead of it when it has no rows.
	Note string
}

// Summary says a board's totals in sentences; the requests closed as
// duplicates of a returning patient's newer request last, counted apart.
func Summary(b *figures.Board, hours bool) []string {
	out := summary(b, hours)
	if n := b.Duplicates; n > 0 {
		out = append(out, present.Plural(n, "duplicate", "duplicates")+" not counted above: a returning patient's older requests, closed when staff tried the newer one.")
	}
	return out
}

func summary(b *figures.Board, hours bool) []string {
	t := &b.Total
	if t.Requests == 0 {
		return []string{"No requests."}
	}
	out := []string{present.Plural(t.Requests, "request", "requests") + ", " + strconv.Itoa(t.Booked) + " booked (" + figures.Percent(t.BookedRate()) + ")."}
	counted := "every minute counted"
	if hours {
		counted = "opening time only"
	}
	untried := t.Requests - t.Tried
	if t.Tried == 0 {
		return append(out, "None tried yet: "+present.Plural(untried, "request", "requests")+" waiting for a first attempt.")
	}
	med, _ := t.Median()
	p90, _ := t.P90()
	// The untried beside the medians: a median of the few tried says
	// little while many wait.
	s := "Time to first attempt (" + counted + "): median " + figures.Minutes(med) + ", 90th percentile " + figures.Minutes(p90) +
		" over " + strconv.Itoa(t.Tried) + " tried"
	if untried > 0 {
		s += "; " + strconv.Itoa(untried) + " not tried yet"
	}
	s += "; " + strconv.Itoa(t.Within[0]) + " within 5 minutes, " + strconv.Itoa(t.Within[1]) + " within 1 hour, " + strconv.Itoa(t.Within[2]) + " within 1 day"
	return append(out, s+".")
}

// SpeedTables are a board's waits by weekday and by hour of the request
// (hours without requests left out), and its slowest requests.
func SpeedTables(b *figures.Board) []Table {
	head := []string{"", "Requests", "Booked", "Median", "90th pct", "Within 5 min"}
	row := func(name string, w *figures.Waits) []string {
		med, p90 := "-", "-"
		if d, ok := w.Median(); ok {
			med = figures.Minutes(d)
		}
		if d, ok := w.P90(); ok {
			p90 = figures.Minutes(d)
		}
		return []string{name, strconv.Itoa(w.Requests), strconv.Itoa(w.Booked), med, p90, strconv.Itoa(w.Within[0])}
	}
	days := Table{Title: "By weekday of the request", Head: append([]string{"Day"}, head[1:]...)}
	for i := range 7 {
		d := (i + 1) % 7 // Monday first
		days.Rows = append(days.Rows, row(time.Weekday(d).String()[:3], &b.ByWeekday[d]))
	}
	hours := Table{Title: "By hour of the request", Head: append([]string{"Hour"}, head[1:]...)}
	for h := range 24 {
		if b.ByHour[h].Requests > 0 {
			hours.Rows = append(hours.Rows, row(strconv.Itoa(h/10)+strconv.Itoa(h%10)+":00", &b.ByHour[h]))
		}
	}
	slow := Table{Title: "Slowest requests", Head: []string{"Request", "Received", "First attempt after"}, Note: "No requests."}
	for _, s := range b.Slowest() {
		wait := figures.Minutes(s.Wait)
		if !s.Tried {
			wait = "not tried yet (" + wait + " so far)"
		}
		slow.Rows = append(slow.Rows, []string{s.Number, s.CreatedAt.In(b.Zone()).Format("Mon 2 Jan, 3:04 PM MST"), wait})
	}
	if len(slow.Rows) > 0 {
		slow.Note = "By request number (the last 8 characters of its id), never by name."
	}
	days.Note = "Times to first attempt of the requests tried; nearest-rank percentiles."
	return []Table{days, hours, slow}
}

// AttributionTables are booked rates by landing page, UTM source and UTM
// campaign: one column per board (such as the last 4 and 12 weeks), rows
// ordered by the last board's requests.
func AttributionTables(names []string, boards ...*figures.Board) []Table {
	kinds := []struct {
		title string
		get   func(*figures.Board) *figures.Attribution
	}{
		{"Booked rate by landing page", func(b *figures.Board) *figures.Attribution { return &b.Pages }},
		{"Booked rate by UTM source", func(b *figures.Board) *figures.Attribution { return &b.Sources }},
		{"Booked rate by UTM campaign", func(b *figures.Board) *figures.Attribution { return &b.Campaigns }},
	}
	var out []Table
	for _, k := range kinds {
		t := Table{Title: k.title, Head: append([]string{""}, names...)}
		last := k.get(boards[len(boards)-1])
		rows := last.Rows()
		for _, r := range rows {
			cells := []string{r.Key}
			for _, b := range boards {
				cells = append(cells, rate(rowOf(k.get(b), r.Key, rows, b.Total.Requests)))
			}
			t.Rows = append(t.Rows, cells)
		}
		if len(t.Rows) == 0 {
			t.Note = "No requests."
		}
		out = append(out, t)
	}
	return out
}

// rowOf is key's figures in a, or for figures.Other, what a holds
// outside the other keys of rows.
func rowOf(a *figures.Attribution, key string, rows []figures.Rate, total int) figures.Rate {
	if key != figures.Other {
		return a.Get(key)
	}
	rest := figures.Rate{Key: key, Requests: total}
	booked := a.Booked()
	for _, r := range rows {
		if r.Key != figures.Other {
			g := a.Get(r.Key)
			rest.Requests -= g.Requests
			booked -= g.Booked
		}
	}
	rest.Booked = booked
	return rest
}

func rate(r figures.Rate) string {
	if r.Requests == 0 {
		return "-"
	}
	return strconv.Itoa(r.Booked) + " of " + strconv.Itoa(r.Requests) + " (" + figures.Percent(r.BookedRate()) + ")"
}

// WeeklyReport renders the weekly report for the clinic c.
func WeeklyReport(w Weekly, c Clinic) Content {
	zone := w.Week.Zone()
	last := w.Week.To.In(zone).AddDate(0, 0, -1)
	span := w.Week.From.In(zone).Format("Mon 2 Jan") + " to " + last.Format("Mon 2 Jan 2006")
	title := c.Name + ": weekly report, " + span
	summary := Summary(w.Week, w.OpeningHours)
	tables := SpeedTables(w.Week)
	tables = append(tables, AttributionTables([]string{"Last 4 weeks", "Last 12 weeks"}, w.Last4, w.Last12)...)
	t := &w.Week.Total
	subject := "Weekly report: " + present.Plural(t.Requests, "request", "requests") + ", " + strconv.Itoa(t.Booked) + " booked"
	if d, ok := t.Median(); ok {
		subject += ", median first attempt " + figures.Minutes(d)
	}
	foot := "Requests are counted by when they came in (" + zone.String() + "); booked means closed as booked by now. " +
		"A request's number is the last 8 characters of its id, as texts, emails and the staff pages show it."
	charts := []Chart{WeekdayChart(w.Week), SpeedChart(w.Week, w.OpeningHours)}
	textSummary := summary
	if w.FiguresURL != "" {
		textSummary = append(append([]string(nil), summary...), "", "Charts and any span of days on the figures page: "+w.FiguresURL)
	}
	return Content{
		Subject: oneLine(subject),
		Text:    TextReport(title, textSummary, tables, foot),
		HTML:    htmlReport(title, summary, charts, w.FiguresURL, tables, foot),
	}
}

// TextReport lays the figures out for a terminal or a plain-text email:
// columns padded to their widest cell.
func TextReport(title string, summary []string, tables []Table, foot string) string {
	var b strings.Builder
	b.WriteString(title + "\n\n")
	for _, s := range summary {
		b.WriteString(s + "\n")
	}
	for _, t := range tables {
		b.WriteString("\n== " + t.Title + " ==\n")
		if len(t.Rows) > 0 {
			widths := make([]int, len(t.Head))
			for _, r := range append([][]string{t.Head}, t.Rows...) {
				for i, c := range r {
					widths[i] = max(widths[i], utf8.RuneCountInString(c))
				}
			}
			for _, r := range append([][]string{t.Head}, t.Rows...) {
				var line strings.Builder
				for i, c := range r {
					if i > 0 {
						line.WriteString("  ")
					}
					line.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
				}
				b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
			}
		}
		if t.Note != "" {
			b.WriteString(t.Note + "\n")
		}
	}
	if foot != "" {
		b.WriteString("\n" + foot + "\n")
	}
	return b.String()
}

// htmlReport is the HTML part: the summary, the charts and a link to the
// figures page, then the tables; every value escaped.
func htmlReport(title string, summary []string, charts []Chart, figuresURL string, tables []Table, foot string) string {
	e := markup.Text
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + e(title) + `</title>
</head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.4;color:#1a1a1a;background:#ffffff">
`)
	b.WriteString(`<p style="margin:0 0 4px;font-size:14px;color:#555555">` + e(title) + "</p>\n")
	for i, s := range summary {
		if i == 0 {
			b.WriteString(`<h1 style="margin:0 0 8px;font-size:22px">` + e(s) + "</h1>\n")
			continue
		}
		b.WriteString(`<p style="margin:0 0 8px">` + e(s) + "</p>\n")
	}
	for _, c := range charts {
		htmlChart(&b, c)
	}
	if figuresURL != "" {
		b.WriteString(`<p style="margin:16px 0 0"><a href="` + markup.Href(figuresURL) + `" style="color:#0b57d0">Charts, and any span of days, on the figures page</a></p>` + "\n")
	}
	for _, t := range tables {
		b.WriteString(`<h2 style="margin:20px 0 6px;font-size:17px">` + e(t.Title) + "</h2>\n")
		if len(t.Rows) > 0 {
			b.WriteString(`<table style="border-collapse:collapse;font-size:14px">` + "\n<thead><tr>")
			for _, h := range t.Head {
				b.WriteString(`<th scope="col" style="text-align:left;padding:2px 10px 2px 0;border-bottom:1px solid #d0d0d0">` + e(h) + "</th>")
			}
			b.WriteString("</tr></thead>\n<tbody>\n")
			for _, r := range t.Rows {
				b.WriteString("<tr>")
				for i, c := range r {
					if i == 0 {
						b.WriteString(`<th scope="row" style="text-align:left;font-weight:normal;padding:2px 10px 2px 0;word-break:break-all">` + e(c) + "</th>")
						continue
					}
					b.WriteString(`<td style="padding:2px 10px 2px 0;white-space:nowrap">` + e(c) + "</td>")
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</tbody>\n</table>\n")
		}
		if t.Note != "" {
			b.WriteString(`<p style="margin:4px 0 0;font-size:13px;color:#555555">` + e(t.Note) + "</p>\n")
		}
	}
	if foot != "" {
		b.WriteString(`<p style="margin:24px 0 0;font-size:13px;color:#555555">` + e(foot) + "</p>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}
