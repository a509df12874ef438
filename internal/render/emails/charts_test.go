package emails

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHTMLChartWidths: each bar's cells are its share of the scale (the
// largest bar without one), booked darker; a small figure still shows and
// none overflows the row.
func TestHTMLChartWidths(t *testing.T) {
	widths := regexp.MustCompile(`<td width="(\d+%)"(?: bgcolor="(#[0-9a-f]+)")?`)
	for _, tc := range []struct {
		name  string
		chart Chart
		want  [][]string // per bar: width and colour of each cell
	}{
		{"largest is full", Chart{Bars: []Bar{{Value: 20, Part: 5}, {Value: 10}, {Value: 0}}},
			[][]string{{"25%", barDark, "75%", barLight}, {"50%", barLight, "50%", ""}, {"100%", ""}}},
		{"scale", Chart{Scale: 1000, Bars: []Bar{{Value: 1, Part: 1}, {Value: 1000, Part: 1000}}},
			[][]string{{"1%", barDark, "99%", ""}, {"100%", barDark}}},
		{"nothing", Chart{Bars: []Bar{{Value: 0}}}, [][]string{{"100%", ""}}},
	} {
		var b strings.Builder
		htmlChart(&b, tc.chart)
		var got [][]string
		for _, row := range strings.Split(b.String(), "</tr></table>")[:len(tc.chart.Bars)] {
			var cells []string
			for _, m := range widths.FindAllStringSubmatch(row, -1) {
				cells = append(cells, m[1], m[2])
			}
			got = append(got, cells)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestChartsEscape: labels and words reach the HTML escaped.
func TestChartsEscape(t *testing.T) {
	var b strings.Builder
	htmlChart(&b, Chart{Title: "<b>", Bars: []Bar{{Label: "<i>", Value: 1, Says: "a & b"}}, Note: "<script>"})
	if s := b.String(); strings.Contains(s, "<b>") || strings.Contains(s, "<i>") || strings.Contains(s, "<script>") || !strings.Contains(s, "a &amp; b") {
		t.Errorf("not escaped:\n%s", s)
	}
}
