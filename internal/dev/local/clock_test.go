package local

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestClockMovesEveryFunction: POST /_local/clock?advance= moves the clock
// every function reads, so a week can be played through: the staff page
// tells the wait by the moved clock, and after moving past midnight the
// follow-up sends that day's digest, not "already sent today".
func TestClockMovesEveryFunction(t *testing.T) {
	monday := mondayMorning(t) // 7:00
	srv, base := serveFrom(t, nil, slog.New(slog.DiscardHandler), nil, monday)
	submitLead(t, base, "Pat Smith")
	link := staffLink(t, srv, "Pat")
	waiting := func() string {
		t.Helper()
		res, err := staffClient(t).Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		_, rest, _ := strings.Cut(string(page), "(waiting ")
		wait, _, _ := strings.Cut(rest, ")")
		return wait
	}
	if got := waiting(); got != "less than an hour" {
		t.Errorf("just received: waiting %q", got)
	}
	if got := postFollowUp(t, base); got.Outcome != "sent" || got.Day != monday.Format(time.DateOnly) {
		t.Fatalf("Monday's digest: %+v", got)
	}
	if got := postFollowUp(t, base); got.Outcome != "already sent" {
		t.Fatalf("Monday again: %+v", got)
	}

	// Past midnight: Tuesday 0:30, the runner's clock for every function.
	tuesdayNight := monday.Add(17*time.Hour + 30*time.Minute)
	if st := advance(t, base, 17*time.Hour+30*time.Minute); st.Now.Before(tuesdayNight.Add(-time.Second)) || st.Now.After(tuesdayNight.Add(time.Minute)) {
		t.Errorf("the clock says %v, want about %v", st.Now, tuesdayNight)
	}
	if got := waiting(); got != "17 hours" {
		t.Errorf("the next night: waiting %q, want 17 hours", got)
	}
	before := len(srv.Outbox.Sent())
	got := postFollowUp(t, base)
	tuesday := monday.AddDate(0, 0, 1).Format(time.DateOnly)
	if got.Outcome != "sent" || got.Day != tuesday || got.DigestsSent != 1 {
		t.Fatalf("after moving past midnight: %+v, want Tuesday's digest", got)
	}
	digest := srv.Outbox.Sent()[before]
	// Told by Tuesday's 8:00: Pat has waited a day (the digest's own clock).
	if !strings.Contains(digest.Subject, "1 appointment request to follow up") || !strings.Contains(digest.Text, "Pat, waiting 1 day") ||
		!strings.Contains(digest.Text, base+"/staff") {
		t.Errorf("Tuesday's digest:\n%s\n%s", digest.Subject, digest.Text)
	}
}
