package phone

import "testing"

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		region, in, e164, display string
		problem                   Problem
	}{
		{"US", "(202) 555-0143", "+12025550143", "(202) 555-0143", NoProblem},
		{"US", "202.555.0143", "+12025550143", "(202) 555-0143", NoProblem},
		{"GB", "020 7946 0958", "+442079460958", "020 7946 0958", NoProblem},
		{"US", "+44 20 7946 0958", "+442079460958", "+44 20 7946 0958", NoProblem},
		{"US", "+81 3-1234-5678", "+81312345678", "+81 3-1234-5678", NoProblem},
		// Dialled locally: the area code is what is missing.
		{"US", "555-0100", "", "", NoAreaCode},
		{"US", "+1 555 0143", "", "", NoAreaCode},
		{"GB", "7946 0958", "", "", NoAreaCode},
		// Too short even for that.
		{"US", "555-014", "", "", TooShort},
		{"US", "12", "", "", TooShort},
		{"SG", "6123 456", "", "", TooShort},
		// Perhaps another country's: a country code is the hint.
		{"US", "442079460958", "", "", NotANumber},
		{"US", "+44 20 7946", "", "", NotANumber},
		{"US", "(123) 456-7890", "", "", NotANumber},
		{"US", "not a number", "", "", NotANumber},
	} {
		e164, display, p := Normalizer{Region: tt.region}.Format(tt.in)
		if e164 != tt.e164 || display != tt.display || p != tt.problem {
			t.Errorf("%s %q: got %q %q %v; want %q %q %v", tt.region, tt.in, e164, display, p, tt.e164, tt.display, tt.problem)
		}
	}
	if !KnownRegion("GB") || KnownRegion("XX") {
		t.Error("KnownRegion")
	}
}

func TestExample(t *testing.T) {
	for region, want := range map[string]string{"US": "(201) 555-0123", "GB": "0121 234 5678", "XX": ""} {
		if got := (Normalizer{Region: region}).Example(); got != want {
			t.Errorf("%s: %q, want %q", region, got, want)
		}
	}
}
