package followup

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunSaysWhatItDid: a run reports the digest it sent (to whom, about
// how many), a second run in the digest's hour that it was already sent, a
// day with nobody to follow up that nothing was waiting, and a run in
// another hour that it was not the digest's.
func TestRunSaysWhatItDid(t *testing.T) {
	f := newFixture(t, nil)
	run := func(at time.Time) Outcome {
		t.Helper()
		out, err := f.h.Run(context.Background(), Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if diff := cmp.Diff(run(eight(26)), Outcome{Day: "2026-11-26", DigestAt: eight(26)}); diff != "" {
		t.Errorf("nothing waiting (-got +want):\n%s", diff)
	}
	f.add(t, eight(27), untried(7*24*time.Hour))
	f.add(t, eight(27), untried(30*time.Hour))
	sent := run(eight(27))
	if diff := cmp.Diff(sent, Outcome{Day: "2026-11-27", DigestAt: eight(27), Total: 2, To: []string{"frontdesk@example-clinic.com"}, MessageID: f.out.Sent()[0].ID}); diff != "" {
		t.Errorf("digest sent (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(run(eight(27).Add(30*time.Minute)), Outcome{Day: "2026-11-27", DigestAt: eight(27), Total: 2, AlreadySent: true}); diff != "" {
		t.Errorf("second run that day (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(run(eight(27).Add(time.Hour)), Outcome{Day: "2026-11-27", DigestAt: eight(27), Skipped: NotDigestHour}); diff != "" {
		t.Errorf("the next hour's run (-got +want):\n%s", diff)
	}
}
