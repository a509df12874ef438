package followup

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunSaysWhatItDid: a run reports the digest it sent (to whom, about
// how many), a second run that day that it was already sent, and a day
// with nobody to follow up that nothing was waiting.
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
	if diff := cmp.Diff(run(eight(26)), Outcome{Day: "2026-11-26"}); diff != "" {
		t.Errorf("nothing waiting (-got +want):\n%s", diff)
	}
	f.add(t, eight(27), untried(7*24*time.Hour))
	f.add(t, eight(27), untried(30*time.Hour))
	sent := run(eight(27))
	if diff := cmp.Diff(sent, Outcome{Day: "2026-11-27", Total: 2, To: []string{"frontdesk@example-clinic.com"}, MessageID: f.out.Sent()[0].ID}); diff != "" {
		t.Errorf("digest sent (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(run(eight(27).Add(time.Hour)), Outcome{Day: "2026-11-27", Total: 2, AlreadySent: true}); diff != "" {
		t.Errorf("second run that day (-got +want):\n%s", diff)
	}
}
