package phone

import "testing"

func TestFormat(t *testing.T) {
	for _, tt := range []struct{ region, in, e164, display string }{
		{"US", "(202) 555-0143", "+12025550143", "(202) 555-0143"},
		{"US", "202.555.0143", "+12025550143", "(202) 555-0143"},
		{"GB", "020 7946 0958", "+442079460958", "020 7946 0958"},
		{"US", "+44 20 7946 0958", "+442079460958", "+44 20 7946 0958"},
		{"US", "+81 3-1234-5678", "+81312345678", "+81 3-1234-5678"},
		{"US", "555-0100", "", ""},
		{"US", "not a number", "", ""},
	} {
		e164, display, ok := Normalizer{Region: tt.region}.Format(tt.in)
		if e164 != tt.e164 || display != tt.display || ok != (tt.e164 != "") {
			t.Errorf("%s %q: got %q %q %v; want %q %q", tt.region, tt.in, e164, display, ok, tt.e164, tt.display)
		}
	}
	if !KnownRegion("GB") || KnownRegion("XX") {
		t.Error("KnownRegion")
	}
}
