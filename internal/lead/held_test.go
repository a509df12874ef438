package lead

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTrapped: the time trap holds only a form sent sooner than
// MIN_FILL_TIME that nobody typed in, clicked or tapped (a browser's
// autofill fills a form at once, and its visitor still clicks Send); the
// honeypot holds whatever the timing; and the review page says why.
func TestTrapped(t *testing.T) {
	ms := func(n int64) *int64 { return &n }
	tests := []struct {
		name   string
		sub    Submission
		caught bool
		want   Trap
		words  string
	}{
		{"fast, no interaction", Submission{ElapsedMS: ms(400)}, true,
			Trap{ElapsedMS: ms(400), TooFast: true}, "sent 400 ms after the form was shown, with no key pressed, click or tap on it"},
		{"fast, interaction recorded (autofill, then Send)", Submission{ElapsedMS: ms(400), Interacted: true}, false,
			Trap{ElapsedMS: ms(400)}, ""},
		{"slow, no interaction", Submission{ElapsedMS: ms(1000)}, false,
			Trap{ElapsedMS: ms(1000)}, ""},
		{"no time sent (no JavaScript)", Submission{}, false,
			Trap{}, "no fill time sent"},
		{"honeypot, slow and typed in", Submission{Website: "http://spam.example", ElapsedMS: ms(9000), Interacted: true}, true,
			Trap{Honeypot: true, ElapsedMS: ms(9000)}, "hidden website field filled in"},
		{"honeypot and fast", Submission{Website: "x", ElapsedMS: ms(10)}, true,
			Trap{Honeypot: true, ElapsedMS: ms(10), TooFast: true},
			"hidden website field filled in; sent 10 ms after the form was shown, with no key pressed, click or tap on it"},
		{"honeypot, no time sent", Submission{Website: "x"}, true,
			Trap{Honeypot: true}, "hidden website field filled in; no fill time sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, caught := tt.sub.Trapped(time.Second)
			if caught != tt.caught {
				t.Errorf("caught = %v, want %v", caught, tt.caught)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("trap (-got +want):\n%s", diff)
			}
			if caught {
				if w := got.Words(); w != tt.words {
					t.Errorf("Words = %q, want %q", w, tt.words)
				}
			}
		})
	}
}

// TestDecodeInteracted: the form's script says whether the visitor typed
// or clicked, as JSON's true or false and as a plain form's value.
func TestDecodeInteracted(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  func() (Submission, error)
		want bool
	}{
		{"JSON true", func() (Submission, error) { return DecodeJSON([]byte(`{"interacted":true}`)) }, true},
		{"JSON false", func() (Submission, error) { return DecodeJSON([]byte(`{"interacted":false}`)) }, false},
		{"JSON absent", func() (Submission, error) { return DecodeJSON([]byte(`{"name":"Pat"}`)) }, false},
		{"form true", func() (Submission, error) { return DecodeForm([]byte("interacted=true")) }, true},
		{"form 1", func() (Submission, error) { return DecodeForm([]byte("interacted=1")) }, true},
		{"form false", func() (Submission, error) { return DecodeForm([]byte("interacted=false")) }, false},
		{"form absent", func() (Submission, error) { return DecodeForm([]byte("name=Pat")) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if s.Interacted != tt.want {
				t.Errorf("Interacted = %v, want %v", s.Interacted, tt.want)
			}
		})
	}
}

// TestReleaseKeepsTheReceivedTime: a request released from review days
// later is still received when the visitor sent it (the speed-to-lead
// figures count the wait), records its release, and is kept for the
// retention from the release, not deleted at once.
func TestReleaseKeepsTheReceivedTime(t *testing.T) {
	sent := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	released := sent.Add(3*24*time.Hour + 5*time.Minute)
	h := NewHeld("id-1", Request{Name: "Pat", ConsentVersion: "3"}, Trap{Honeypot: true}, sent, DefaultHeldRetention)
	got := h.Release(released.In(time.FixedZone("EST", -5*3600)), 30*24*time.Hour)
	want := Lead{
		ID: "id-1", Status: StatusNew, CreatedAt: sent, Name: "Pat",
		Consent:    Consent{At: sent, Version: "3"},
		ExpiresAt:  released.Add(30 * 24 * time.Hour),
		ReleasedAt: released,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("released lead (-got +want):\n%s", diff)
	}
}
