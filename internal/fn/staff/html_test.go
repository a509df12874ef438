package staff

import (
	"reflect"
	"strings"
	"testing"
)

// hostileText is put in every string a page shows: were one written
// unescaped, its tag or its quote would be in the page as it is.
const hostileText = `<i>x</i>"'&`

// fill sets every string of v (through pointers, structs and slices of two
// elements) to hostileText and every bool to on.
func fill(v reflect.Value, on bool) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostileText)
	case reflect.Bool:
		v.SetBool(on)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), on)
	case reflect.Struct:
		for i := range v.NumField() {
			// An unexported field (a chart's markup) only its own package
			// makes, escaping every value it holds.
			if v.Field(i).CanSet() {
				fill(v.Field(i), on)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), on)
		}
	}
}

// TestNoValueReachesThePageUnescaped renders every part of every page (the
// bar, sign-in, inbox, held requests, a lead with all its forms) with
// hostile text in each value it shows, every flag on and then off.
func TestNoValueReachesThePageUnescaped(t *testing.T) {
	for _, on := range []bool{true, false} {
		var v view
		fill(reflect.ValueOf(&v).Elem(), on)
		page := pageHTML(v)
		if strings.Contains(page, "<i>") || strings.Contains(page, `x</i>"`) || strings.Contains(page, `"'&`) {
			t.Errorf("flags %v: a value reached the page unescaped:\n%s", on, page)
		}
		// Each text value is there, escaped; each link, encoded.
		if !strings.Contains(page, "&lt;i&gt;x&lt;/i&gt;&#34;&#39;&amp;") || !strings.Contains(page, `href="%3ci%3ex%3c/i%3e%22%27&amp;"`) {
			t.Errorf("flags %v: the values are not shown escaped:\n%s", on, page)
		}
	}
}
