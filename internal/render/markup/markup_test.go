package markup

import (
	"html/template"
	"strings"
	"testing"
)

// asTemplate is what html/template writes for s in a text node, in a
// quoted title, as an href from a string, and as an href from its URL type.
var asTemplate = template.Must(template.New("").Parse(
	`<p>{{.S}}</p><p title="{{.S}}"></p><a href="{{.S}}"></a><a href="{{.U}}"></a>`))

func both(t *testing.T, s string) (got, want string) {
	t.Helper()
	var b strings.Builder
	if err := asTemplate.Execute(&b, struct {
		S string
		U template.URL
	}{s, template.URL(s)}); err != nil {
		t.Fatal(err)
	}
	return `<p>` + Text(s) + `</p><p title="` + Text(s) + `"></p><a href="` + Href(s) + `"></a><a href="` + URL(s).Href() + `"></a>`, b.String()
}

var cases = []string{
	"", "plain", "Siobhán O'Brien & <b>Co</b>", `"quoted" + 'single'`, "nul\x00byte", "bad utf8 \xff\xfe",
	"https://api.example.com/leads/x?t=a&b=c+d", "javascript:alert(1)", "JavaScript:x", "tel:+12025550143",
	"mailto:a%2Bb@example.com", "sms:+1", "//evil.example/x", "/relative:path", "a b(c)'d\"e<f>", "%41%zz%4", "é€😀",
	"\u2028\u2029\ufdd0\uffff", "data:text/html,<script>", "HTTP://X", "#frag", "?q=1&r=<2>",
}

// TestAsHTMLTemplate: every escaper writes byte for byte what html/template
// writes in the same place.
func TestAsHTMLTemplate(t *testing.T) {
	for _, s := range cases {
		if got, want := both(t, s); got != want {
			t.Errorf("%q:\n got %s\nwant %s", s, got, want)
		}
	}
}

// FuzzEscape holds the escapers to html/template for any string.
func FuzzEscape(f *testing.F) {
	for _, s := range cases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := both(t, s); got != want {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
	})
}
