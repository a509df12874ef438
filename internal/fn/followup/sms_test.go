package followup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
)

// TestNudgeIsTextedToo: with STAFF_SMS the nudge also goes out as a text
// with the request number and the email's staff link, no patient detail,
// and once: a redelivered nudge texts nothing.
func TestNudgeIsTextedToo(t *testing.T) {
	f := newFixture(t, nil)
	m := &sms.Memory{}
	f.h.WithSMS(sms.New(m, []string{"+12025550199"}, f.h.log))
	l := f.add(t, f.now, untried(2*time.Hour))
	for range 2 {
		if err := f.h.Handle(context.Background(), nudgeFor(t, l)); err != nil {
			t.Fatal(err)
		}
	}
	texts := m.Texts()
	if len(texts) != 1 {
		t.Fatalf("%d texts, want one nudge: %+v", len(texts), texts)
	}
	body := texts[0].Body
	if want := "Relief Physical Therapy: request " + l.Number() + " from 25 minutes ago has not been answered. "; !strings.HasPrefix(body, want) {
		t.Errorf("text %q, want it to start %q", body, want)
	}
	url := body[strings.LastIndex(body, " ")+1:]
	if !strings.HasPrefix(url, "https://api.example-clinic.com/leads/"+l.ID+"?t=") || !strings.Contains(f.out.Sent()[0].Text, url) {
		t.Errorf("text's link %q is not the email's", url)
	}
	for _, p := range []string{l.Name, l.FirstName(), l.Phone, l.PhoneDisplay, l.Email, l.Reason} {
		if p != "" && strings.Contains(body, p) {
			t.Errorf("patient detail %q in the text", p)
		}
	}
}

// TestAFailedTextStillNudges: the email went out and is recorded.
func TestAFailedTextStillNudges(t *testing.T) {
	f := newFixture(t, nil)
	f.h.WithSMS(sms.New(&sms.Memory{Fail: true}, []string{"+12025550199"}, f.h.log))
	l := f.add(t, f.now, untried(time.Hour))
	if sent, err := f.h.Nudge(context.Background(), *nudgeFor(t, l).Nudge); err != nil || !sent {
		t.Fatalf("sent %v, %v", sent, err)
	}
	if got, _ := f.store.Get(context.Background(), l.ID, f.now); got.Nudge == nil {
		t.Error("nudge not recorded")
	}
}
