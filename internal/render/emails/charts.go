package emails

// The weekly report's two main figures as small bar charts in its HTML
// part. Mail clients run no scripts and many hide images, so the bars are
// table cells whose width is the figure (a width attribute for Outlook, a
// style for the others, bgcolor and background both), each with its number
// in words beside it; the text part keeps the plain numbers.

import (
	"strconv"
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/figures"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// Chart is a small horizontal bar chart: one bar a row.
type Chart struct {
	Title string
	Bars  []Bar
	// Scale is the value of a full bar; 0 for the largest bar's value.
	Scale int
	// Note follows the chart: what the bars count, what their colours say.
	Note string
}

// Bar is one row of a chart: Value long, its first Part darker (booked of
// requests), Says beside it in words.
type Bar struct {
	Label       string
	Value, Part int
	Says        string
}

// Bar colours: booked and the rest of the requests, and the share reached.
const (
	barDark  = "#1f6f43"
	barLight = "#9cc9ad"
)

// WeekdayChart is the week's requests by weekday of the request, Monday
// first, the booked ones darker.
func WeekdayChart(b *figures.Board) Chart {
	c := Chart{Title: "Requests by day of the week", Note: "Darker: booked by now."}
	for i := range 7 {
		d := (i + 1) % 7 // Monday first
		w := &b.ByWeekday[d]
		c.Bars = append(c.Bars, Bar{Label: time.Weekday(d).String()[:3], Value: w.Requests, Part: w.Booked,
			Says: strconv.Itoa(w.Requests) + " (" + strconv.Itoa(w.Booked) + " booked)"})
	}
	return c
}

// SpeedChart is the share of the week's requests first tried within 5
// minutes, 1 hour and 1 day, and the share not tried yet: every bar out of
// all the requests, the untried among them.
func SpeedChart(b *figures.Board, hours bool) Chart {
	t := &b.Total
	counted := "every minute counted"
	if hours {
		counted = "opening time only"
	}
	c := Chart{Title: "First attempt within", Scale: t.Requests,
		Note: "Out of all " + present.Plural(t.Requests, "request", "requests") + " of the week, those not tried yet included (" + counted + ")."}
	of := func(n int) string {
		if t.Requests == 0 {
			return "0"
		}
		return strconv.Itoa(n) + " of " + strconv.Itoa(t.Requests) + " (" + figures.Percent(float64(n)/float64(t.Requests)) + ")"
	}
	for i, label := range []string{"5 minutes", "1 hour", "1 day"} {
		c.Bars = append(c.Bars, Bar{Label: label, Value: t.Within[i], Part: t.Within[i], Says: of(t.Within[i])})
	}
	untried := t.Requests - t.Tried
	c.Bars = append(c.Bars, Bar{Label: "Not tried yet", Value: untried, Says: of(untried)})
	return c
}

// percent is n's share of whole in whole percent, at least 1 when n > 0
// so a small figure still shows.
func percent(n, whole int) int {
	if n <= 0 || whole <= 0 {
		return 0
	}
	return max(1, min(100, (n*100+whole/2)/whole))
}

// htmlChart draws c as a table: label, bar, numbers.
func htmlChart(b *strings.Builder, c Chart) {
	e := markup.Text
	scale := c.Scale
	if scale == 0 {
		for _, r := range c.Bars {
			scale = max(scale, r.Value)
		}
	}
	b.WriteString(`<h2 style="margin:20px 0 6px;font-size:17px">` + e(c.Title) + "</h2>\n")
	b.WriteString(`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;max-width:520px;font-size:14px">` + "\n")
	for _, r := range c.Bars {
		dark, whole := percent(r.Part, scale), percent(r.Value, scale)
		light := max(0, whole-dark)
		b.WriteString(`<tr><td style="padding:3px 8px 3px 0;white-space:nowrap;width:1%">` + e(r.Label) + "</td>")
		b.WriteString(`<td style="padding:3px 0"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%"><tr>`)
		for _, s := range []struct {
			w     int
			color string
		}{{dark, barDark}, {light, barLight}} {
			if s.w > 0 {
				w := strconv.Itoa(s.w) + "%"
				b.WriteString(`<td width="` + w + `" bgcolor="` + s.color + `" style="width:` + w + `;background:` + s.color + `;height:14px;font-size:1px;line-height:1px">&nbsp;</td>`)
			}
		}
		if rest := 100 - whole; rest > 0 {
			w := strconv.Itoa(rest) + "%"
			b.WriteString(`<td width="` + w + `" style="width:` + w + `;font-size:1px;line-height:1px">&nbsp;</td>`)
		}
		b.WriteString("</tr></table></td>")
		b.WriteString(`<td style="padding:3px 0 3px 8px;white-space:nowrap;width:1%">` + e(r.Says) + "</td></tr>\n")
	}
	b.WriteString("</table>\n")
	if c.Note != "" {
		b.WriteString(`<p style="margin:4px 0 0;font-size:13px;color:#555555">` + e(c.Note) + "</p>\n")
	}
}
