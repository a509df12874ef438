// Package charts draws small charts as inline SVG: stacked bars, bars and a
// heat map, from plain numbers. The SVG has no script, no style sheet and
// no external asset (a page's Content-Security-Policy needs nothing for
// it); every label goes through markup.Text. Each chart is an image with an
// accessible name (role="img", aria-label and <title>): the page puts its
// numbers in a table beside it, for screen readers and copying. It scales
// to its container (viewBox, width 100%), readable from 390 px up.
package charts

import (
	"strconv"

	"github.com/openclinic/leadhandler/internal/render/markup"
)

// SVG is a chart's markup. Only this package makes one, every label in it
// escaped, so a page may write it as it is (String).
type SVG struct{ markup string }

// String is the chart's markup.
func (s SVG) String() string { return s.markup }

// Series is one layer of stacked bars, or the fill of plain bars.
type Series struct {
	Name  string
	Color string // a CSS color, such as "#0b57d0"; a constant of the caller's, never a visitor's
}

// Stack is one bar of a stacked bar chart: its label under it and one
// value per series, bottom first.
type Stack struct {
	Label  string
	Values []int
}

// Bar is one bar of a bar chart: its label, its length (0 to Max) and the
// words at its end.
type Bar struct {
	Label string
	Value float64
	Text  string
}

const (
	// width is the viewBox's width; the SVG scales to its container, so
	// its 12-unit text is 11 px on a phone's 390 px and 16 px on a desktop's.
	width     = 400
	font      = 12
	ink       = "#1a1a1a"
	faint     = "#767676"
	rule      = "#dddddd"
	heatColor = "11,87,208" // #0b57d0, at the cell's share of the largest value
)

// f is a coordinate with one decimal at most.
func f(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func open(b *markup.Builder, title string, height float64) {
	b.Add(`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="`, markup.Text(title), `" viewBox="0 0 `,
		strconv.Itoa(width), " ", f(height), `" width="100%" preserveAspectRatio="xMinYMin meet" font-family="sans-serif" font-size="`,
		strconv.Itoa(font), `">`, "<title>", markup.Text(title), "</title>")
}

// StackedBars draws one bar per stack, its series stacked bottom first,
// with a legend above, the largest total on the axis and every label
// thinned out to fit (the table beside has them all).
func StackedBars(title string, series []Series, stacks []Stack) SVG {
	const top, plot, bottom = 28, 160, 22
	height := float64(top + plot + bottom)
	var b markup.Builder
	open(&b, title, height)
	x := 0.0
	for _, s := range series {
		b.Add(`<rect x="`, f(x), `" y="4" width="12" height="12" fill="`, markup.Text(s.Color), `"/>`,
			`<text x="`, f(x+16), `" y="14" fill="`, ink, `">`, markup.Text(s.Name), "</text>")
		x += 16 + float64(len(s.Name))*7 + 16
	}
	most := 0
	for _, st := range stacks {
		t := 0
		for _, v := range st.Values {
			t += max(v, 0)
		}
		most = max(most, t)
	}
	const left = 36.0
	b.Add(`<line x1="`, f(left), `" y1="`, f(top+plot), `" x2="`, strconv.Itoa(width), `" y2="`, f(top+plot), `" stroke="`, rule, `"/>`,
		`<text x="`, f(left-4), `" y="`, f(top+font), `" text-anchor="end" fill="`, faint, `">`, strconv.Itoa(most), "</text>",
		`<text x="`, f(left-4), `" y="`, f(top+plot), `" text-anchor="end" fill="`, faint, `">0</text>`)
	if len(stacks) == 0 {
		b.Add("</svg>")
		return SVG{b.String()}
	}
	slot := (width - left) / float64(len(stacks))
	gap := min(slot*0.2, 6)
	// Label every n-th bar so labels never overlap (about 42 units each).
	every := max(1, int(42/slot+0.999))
	for i, st := range stacks {
		x := left + float64(i)*slot + gap/2
		y := float64(top + plot)
		for j, v := range st.Values {
			if v <= 0 || most == 0 || j >= len(series) {
				continue
			}
			h := float64(v) / float64(most) * plot
			y -= h
			b.Add(`<rect x="`, f(round(x)), `" y="`, f(round(y)), `" width="`, f(round(slot-gap)), `" height="`, f(round(h)),
				`" fill="`, markup.Text(series[j].Color), `"/>`)
		}
		if i%every == 0 {
			b.Add(`<text x="`, f(round(x+(slot-gap)/2)), `" y="`, f(height-6), `" text-anchor="middle" fill="`, ink, `">`, markup.Text(st.Label), "</text>")
		}
	}
	b.Add("</svg>")
	return SVG{b.String()}
}

// Bars draws horizontal bars, one row each: the label on the left, the bar
// at Value of max (at least 1 unit when Value > 0), Text at its end.
func Bars(title string, maxValue float64, color string, bars []Bar) SVG {
	const row, label = 24, 150.0
	height := float64(max(len(bars), 1)*row + 4)
	var b markup.Builder
	open(&b, title, height)
	room := width - label - 90
	for i, br := range bars {
		y := float64(i*row + 2)
		w := 0.0
		if maxValue > 0 && br.Value > 0 {
			w = max(1, min(br.Value/maxValue, 1)*room)
		}
		b.Add(`<text x="`, f(label-6), `" y="`, f(y+16), `" text-anchor="end" fill="`, ink, `">`, markup.Text(cut(br.Label, 22)), "</text>",
			`<rect x="`, f(label), `" y="`, f(y+3), `" width="`, f(round(w)), `" height="`, strconv.Itoa(row-6), `" fill="`, markup.Text(color), `"/>`,
			`<text x="`, f(round(label+w+6)), `" y="`, f(y+16), `" fill="`, ink, `">`, markup.Text(br.Text), "</text>")
	}
	b.Add("</svg>")
	return SVG{b.String()}
}

// Heat draws a grid of cells, rows by columns, each shaded by its share of
// the largest value (none: white with a faint border); rowNames label the
// rows, and every third column is labelled with colNames'.
func Heat(title string, rowNames, colNames []string, cells [][]float64) SVG {
	const left, cell, top = 40.0, 24.0, 18.0
	cols := len(colNames)
	cw := (width - left) / float64(max(cols, 1))
	height := top + float64(len(rowNames))*cell + 2
	most := 0.0
	for _, r := range cells {
		for _, v := range r {
			most = max(most, v)
		}
	}
	var b markup.Builder
	open(&b, title, height)
	for j, c := range colNames {
		if j%3 == 0 {
			b.Add(`<text x="`, f(round(left+float64(j)*cw+cw/2)), `" y="12" text-anchor="middle" fill="`, ink, `">`, markup.Text(c), "</text>")
		}
	}
	for i, rn := range rowNames {
		y := top + float64(i)*cell
		b.Add(`<text x="`, f(left-6), `" y="`, f(y+16), `" text-anchor="end" fill="`, ink, `">`, markup.Text(rn), "</text>")
		for j := range cols {
			v := 0.0
			if i < len(cells) && j < len(cells[i]) {
				v = cells[i][j]
			}
			fill := "#ffffff"
			if most > 0 && v > 0 {
				fill = "rgba(" + heatColor + "," + strconv.FormatFloat(0.12+0.88*v/most, 'f', 2, 64) + ")"
			}
			b.Add(`<rect x="`, f(round(left+float64(j)*cw)), `" y="`, f(y), `" width="`, f(round(cw-1)), `" height="`, f(cell-1),
				`" fill="`, fill, `" stroke="`, rule, `"/>`)
		}
	}
	b.Add("</svg>")
	return SVG{b.String()}
}

func round(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

// cut shortens s to n characters, ending in "…".
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
