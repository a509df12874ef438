package followup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestNudgeIsTextedToo: with STAFF_SMS the nudge also goes out as a text
// saying how many wait, with one link (the request's own for one, the inbox
// for several), no patient detail, and once: a redelivered nudge texts
// nothing.
func TestNudgeIsTextedToo(t *testing.T) {
	f := weekdayFixture(t, nil)
	m := &sms.Memory{}
	f.h.WithSMS(sms.New(m, []string{"+12025550199"}, f.h.log))
	one := f.addAt(t, nyTime(27, 17, 55), untried(0)) // due Monday 8:10
	weekend := []lead.Lead{f.addAt(t, nyTime(28, 10, 0), untried(0)), f.addAt(t, nyTime(29, 10, 0), untried(0))}
	f.now = nyTime(30, 8, 10)
	for range 2 {
		if err := f.h.Handle(context.Background(), nudgeAt(t, one, nyTime(30, 8, 10))); err != nil {
			t.Fatal(err)
		}
	}
	f.now = monday815
	for _, l := range weekend {
		if err := f.h.Handle(context.Background(), nudgeAt(t, l, monday815)); err != nil {
			t.Fatal(err)
		}
	}
	texts := m.Texts()
	if len(texts) != 2 {
		t.Fatalf("%d texts, want two nudges: %+v", len(texts), texts)
	}
	body := texts[0].Body
	if want := "Relief Physical Therapy: 1 request waiting over 15 minutes, not answered yet. "; !strings.HasPrefix(body, want) {
		t.Errorf("text %q, want it to start %q", body, want)
	}
	url := body[strings.LastIndex(body, " ")+1:]
	if !strings.HasPrefix(url, "https://api.example-clinic.com/leads/"+one.ID+"?t=") || !strings.Contains(f.out.Sent()[0].Text, url) {
		t.Errorf("text's link %q is not the email's", url)
	}
	if want := "Relief Physical Therapy: 2 requests waiting since the clinic opened, not answered yet. https://api.example-clinic.com/staff"; texts[1].Body != want {
		t.Errorf("text %q, want %q", texts[1].Body, want)
	}
	for _, l := range append(weekend, one) {
		for _, p := range []string{l.Name, l.FirstName(), l.Phone, l.PhoneDisplay, l.Email, l.Reason} {
			if p != "" && strings.Contains(texts[0].Body+texts[1].Body, p) {
				t.Errorf("patient detail %q in a text", p)
			}
		}
	}
}

// TestAFailedTextStillNudges: the email went out and is recorded.
func TestAFailedTextStillNudges(t *testing.T) {
	f := newFixture(t, nil)
	f.h.WithSMS(sms.New(&sms.Memory{Fail: true}, []string{"+12025550199"}, f.h.log))
	l := f.add(t, f.now, untried(time.Hour))
	if out, err := f.h.Nudge(context.Background(), *nudgeFor(t, l).Nudge); err != nil || out.Nudged != 1 {
		t.Fatalf("%+v, %v", out, err)
	}
	if got, _ := f.store.Get(context.Background(), l.ID, f.now); got.Nudge == nil {
		t.Error("nudge not recorded")
	}
}
