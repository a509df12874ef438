package phone

import "testing"

func TestE164(t *testing.T) {
	for _, tt := range []struct{ region, in, want string }{
		{"US", "(202) 555-0143", "+12025550143"},
		{"GB", "020 7946 0958", "+442079460958"},
		{"US", "+81 3-1234-5678", "+81312345678"},
		{"US", "555-0100", ""},
		{"US", "not a number", ""},
	} {
		got, ok := Normalizer{Region: tt.region}.E164(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s %q: got %q, %v; want %q", tt.region, tt.in, got, ok, tt.want)
		}
	}
	if !KnownRegion("GB") || KnownRegion("XX") {
		t.Error("KnownRegion")
	}
}
