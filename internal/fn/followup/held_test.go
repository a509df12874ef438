package followup

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/link"
)

// TestDigestCountsHeld: the digest says how many requests the traps held
// the clinic's day before (each counted by one digest only), with a link
// whose token opens the review page; held requests alone are worth a
// digest, and are never listed as leads.
func TestDigestCountsHeld(t *testing.T) {
	f := newFixture(t, nil)
	run := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC) // 8:00 in New York
	ctx := context.Background()
	hold := func(day string, n int) {
		for range n {
			if err := f.store.Hold(ctx, storetest.Held(run.Add(-time.Hour)), day, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	hold("2026-11-26", 3) // yesterday in New York
	hold("2026-11-27", 5) // today: the next digest's
	hold("2026-11-25", 7) // the day before: the last digest's
	if err := f.run(t, run); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d emails, want the digest", len(sent))
	}
	m := sent[0]
	if m.Subject != "3 requests held as likely spam" {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.Contains(m.Text, "3 requests held as likely spam yesterday (Thu 26 Nov)") {
		t.Errorf("the digest does not count yesterday's held requests:\n%s", m.Text)
	}
	for _, h := range f.store.HeldRequests() {
		if strings.Contains(m.Text, h.ID) || strings.Contains(m.HTML, h.FirstName()) {
			t.Fatal("the digest lists a held request")
		}
	}
	i := strings.Index(m.Text, "Review: ")
	if i < 0 {
		t.Fatalf("no review link:\n%s", m.Text)
	}
	u, err := url.Parse(strings.Fields(m.Text[i+len("Review: "):])[0])
	if err != nil || u.Path != "/staff/held" {
		t.Fatalf("review link %v (%v)", u, err)
	}
	signer, _ := link.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if _, err := signer.Verify(u.Query().Get("t"), link.PurposeHeld, link.HeldSubject, f.now, 14*24*time.Hour); err != nil {
		t.Errorf("the review link's token: %v", err)
	}
	if _, err := signer.Verify(u.Query().Get("t"), link.PurposeStaff, link.HeldSubject, f.now, 14*24*time.Hour); err == nil {
		t.Error("the review link's token opens a lead's page too")
	}
	if !strings.Contains(f.logs.String(), `"held":3`) {
		t.Errorf("the log line does not count them:\n%s", f.logs)
	}
}
