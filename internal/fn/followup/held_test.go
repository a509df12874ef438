package followup

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

// TestDigestCountsHeld: the digest says how many requests are held for
// review as it goes out, whenever they were held (a request released or
// deleted since is not counted, nor one whose hold ended), with a link
// whose token opens the review page; held requests alone are worth a
// digest, and are never listed as leads.
func TestDigestCountsHeld(t *testing.T) {
	f := newFixture(t, nil)
	run := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC) // 8:00 in New York
	ctx := context.Background()
	hold := func(at time.Time) lead.Held {
		t.Helper()
		h := storetest.Held(at)
		if err := f.store.Hold(ctx, h, at.In(newYork).Format(time.DateOnly), nil); err != nil {
			t.Fatal(err)
		}
		return h
	}
	hold(run.Add(-time.Hour))           // this morning
	hold(run.Add(-30 * time.Hour))      // yesterday
	hold(run.Add(-6 * 24 * time.Hour))  // last week
	hold(run.Add(-15 * 24 * time.Hour)) // its hold ended yesterday
	released, deleted := hold(run.Add(-20*time.Hour)), hold(run.Add(-50*time.Hour))
	if err := f.store.ReleaseHeld(ctx, released.Release(run.Add(-time.Minute), 365*24*time.Hour), run.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeleteHeld(ctx, deleted.ID); err != nil {
		t.Fatal(err)
	}
	// The released request is a lead now, just received: not yet a follow-up.
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
	if !strings.Contains(m.Text, "3 requests are held as likely spam: none was alerted.") {
		t.Errorf("the digest does not count the requests held now:\n%s", m.Text)
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

// TestDigestCountsHeldToday: the digest counts what is held as it goes
// out, not what was held the day before: after one held request is
// released and the other deleted, the next digest names none.
func TestDigestCountsHeldToday(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var held []lead.Held
	for _, at := range []time.Time{nyTime(26, 10, 0), nyTime(26, 15, 0)} {
		h := storetest.Held(at)
		if err := f.store.Hold(ctx, h, "2026-11-26", nil); err != nil {
			t.Fatal(err)
		}
		held = append(held, h)
	}
	f.add(t, eight(27), untried(30*time.Hour))
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	if m := f.out.Sent()[0]; !strings.Contains(m.Text, "2 requests are held as likely spam") || !strings.Contains(m.Text, "Review: ") {
		t.Fatalf("the first digest does not count both:\n%s", m.Text)
	}
	// Staff release one and delete the other on the review page.
	if err := f.store.ReleaseHeld(ctx, held[0].Release(nyTime(27, 9, 0), 365*24*time.Hour), nyTime(27, 9, 0)); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeleteHeld(ctx, held[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.run(t, eight(28)); err != nil {
		t.Fatal(err)
	}
	sent := f.out.Sent()
	if len(sent) != 2 {
		t.Fatalf("%d digests, want the next day's", len(sent))
	}
	if m := sent[1]; strings.Contains(m.Subject+m.Text+m.HTML, "held") || strings.Contains(m.Text, "/staff/held") {
		t.Errorf("the next digest still speaks of held requests:\n%s", m.Text)
	}
	if !strings.Contains(f.logs.String(), `"held":0`) {
		t.Errorf("the log does not count none held:\n%s", f.logs)
	}
}

// TestHeldCountStopsAtHeldShown: a flood of held requests is read no
// further than lead.HeldShown, and told as "100 or more".
func TestHeldCountStopsAtHeldShown(t *testing.T) {
	f := newFixture(t, nil)
	for i := range lead.HeldShown + 5 {
		if err := f.store.Hold(context.Background(), storetest.Held(nyTime(26, 9, 0).Add(time.Duration(i)*time.Minute)), "2026-11-26", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.run(t, eight(27)); err != nil {
		t.Fatal(err)
	}
	if m := f.out.Sent()[0]; m.Subject != "100 or more requests held as likely spam" || !strings.Contains(m.Text, "100 or more requests are held as likely spam") {
		t.Errorf("subject %q:\n%s", m.Subject, m.Text)
	}
}
