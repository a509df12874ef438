package charts

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"
)

// parse reads svg as XML and returns its rects' attributes and its texts;
// it fails the test on markup that is not well-formed.
func parse(t *testing.T, chart SVG) (rects []map[string]string, texts []string, root map[string]string) {
	t.Helper()
	svg := chart.String()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			m := map[string]string{}
			for _, a := range el.Attr {
				m[a.Name.Local] = a.Value
			}
			switch el.Name.Local {
			case "svg":
				root = m
			case "rect":
				rects = append(rects, m)
			case "script", "image", "foreignObject", "use":
				t.Errorf("chart has a <%s>", el.Name.Local)
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(el)); s != "" {
				texts = append(texts, s)
			}
		}
	}
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

func TestStackedBarsHeightsFollowTheValues(t *testing.T) {
	series := []Series{{"Booked", "#1b7f3b"}, {"Open", "#0b57d0"}, {"Closed otherwise", "#767676"}}
	chart := StackedBars(`Requests <per> day`, series, []Stack{{"Mon 1", []int{2, 1, 1}}, {"Tue 2", []int{0, 0, 0}}, {"Wed 3", []int{1, 0, 1}}})
	rects, texts, root := parse(t, chart)
	svg := chart.String()
	if root["role"] != "img" || root["aria-label"] != "Requests <per> day" || root["width"] != "100%" || root["viewBox"] == "" {
		t.Errorf("root %v: want role img, its name, width 100%% and a viewBox", root)
	}
	if !strings.Contains(svg, "Requests &lt;per&gt; day") {
		t.Error("title not escaped")
	}
	// 3 legend squares, then 3 + 0 + 2 bars' parts.
	if len(rects) != 3+5 {
		t.Fatalf("%d rects, want 8", len(rects))
	}
	// The first stack (4) is the tallest; its parts are 2:1:1.
	h := func(i int) float64 { return num(t, rects[i]["height"]) }
	if h(3) != 2*h(4) || h(4) != h(5) || h(3)+h(4)+h(5) != 160 {
		t.Errorf("first stack's parts %v %v %v, want 80 40 40", h(3), h(4), h(5))
	}
	if h(6) != 40 || h(7) != 40 {
		t.Errorf("third stack's parts %v %v, want 40 40", h(6), h(7))
	}
	if !strings.Contains(strings.Join(texts, "|"), "|4|0|Mon 1|") {
		t.Errorf("texts %v: want the axis 4 and 0 and the labels", texts)
	}
}

func TestStackedBarsEmpty(t *testing.T) {
	rects, _, _ := parse(t, StackedBars("None", []Series{{"Booked", "#000"}}, nil))
	if len(rects) != 1 {
		t.Errorf("%d rects, want the legend's only", len(rects))
	}
}

func TestBarsLengthAndEscaping(t *testing.T) {
	chart := Bars("Booked rate", 1, "#0b57d0", []Bar{{Label: `<script>alert(1)</script>`, Value: 0.5, Text: "50% of 4"}, {Label: "/", Value: 1, Text: "100% of 2"}, {Label: "none", Value: 0, Text: "0% of 3"}})
	rects, texts, _ := parse(t, chart)
	if strings.Contains(chart.String(), "<script") {
		t.Error("a label reached the SVG unescaped")
	}
	if len(rects) != 3 || num(t, rects[1]["width"]) != 2*num(t, rects[0]["width"]) || rects[2]["width"] != "0" {
		t.Errorf("rects %v: want widths x, 2x, 0", rects)
	}
	if !strings.Contains(strings.Join(texts, "|"), "50% of 4") {
		t.Errorf("texts %v", texts)
	}
}

func TestHeatShadesByShareOfTheLargest(t *testing.T) {
	chart := Heat("Requests by weekday and hour", []string{"Mon", "Tue"}, []string{"0", "1", "2", "3"}, [][]float64{{0, 1, 2, 4}, {4}})
	rects, texts, _ := parse(t, chart)
	if len(rects) != 8 {
		t.Fatalf("%d cells, want 8", len(rects))
	}
	if rects[0]["fill"] != "#ffffff" || rects[3]["fill"] != "rgba(11,87,208,1.00)" || rects[4]["fill"] != "rgba(11,87,208,1.00)" || rects[5]["fill"] != "#ffffff" {
		t.Errorf("fills %v %v %v %v", rects[0]["fill"], rects[3]["fill"], rects[4]["fill"], rects[5]["fill"])
	}
	if got := strings.Join(texts, "|"); got != "Requests by weekday and hour|0|3|Mon|Tue" {
		t.Errorf("texts %q", got)
	}
}
