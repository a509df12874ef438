package notify

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// byKind counts the emails sent by their kind: the alert and the
// acknowledgement carry a kind tag, the budget's summary none.
func byKind(f *fixture) map[string]int {
	n := map[string]int{}
	for _, m := range f.out.Sent() {
		k := m.Tags[sesmail.TagKind]
		if k == "" {
			k = "summary"
		}
		n[k]++
	}
	return n
}

// TestAlertBudget: with ALERT_LIMIT=3/1h, 8 new leads in the hour give 3
// alerts (each with its acknowledgement and text) and one summary email
// to the clinic saying 4 requests arrived, with the inbox's link; a
// redelivery and more leads in the same hour send nothing more; the next
// hour's first lead is alerted again.
func TestAlertBudget(t *testing.T) {
	f := newFixture(t, func(c *config.Notify) {
		c.AlertLimit = ratelimit.Limit{Count: 3, Window: time.Hour}
		c.Ack = true
		c.StaffSMS = staffSMS
		c.Concurrency = 1 // in order, so the first three are the ones alerted
	})
	texts := &sms.Memory{}
	withSMS(t, f, texts)
	batch := f.add(t, 8)
	for range 2 { // the second: a redelivery
		if failed := f.handle(t, batch); len(failed) != 0 {
			t.Fatalf("failures %v", failed)
		}
	}
	if got, want := byKind(f), map[string]int{"alert": 3, "ack": 3, "summary": 1}; !maps.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if n := len(texts.Texts()); n != 3*len(staffSMS) {
		t.Errorf("%d texts, want the 3 alerts to %d numbers", n, len(staffSMS))
	}
	var summary string
	for _, m := range f.out.Sent() {
		if m.Tags[sesmail.TagKind] == "" {
			summary = m.Subject + "\n" + m.Text
			if !slices.Equal(m.To, testConfig().ClinicEmails) {
				t.Errorf("summary to %v, want the clinic", m.To)
			}
		}
	}
	// 14:21 UTC is 9:21 in New York: the window began at 9:00.
	for _, want := range []string{"4 appointment requests since Fri 27 Nov 2026, 9:00 AM EST", "until\nFri 27 Nov 2026, 10:00 AM EST", "https://api.example-clinic.com/staff"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	for _, l := range f.leads {
		if strings.Contains(summary, l.FirstName()) {
			t.Errorf("summary names %s", l.FirstName())
		}
	}
	for i, l := range f.leads {
		got, err := f.store.Get(context.Background(), l.ID, now)
		if err != nil {
			t.Fatalf("lead %d not stored: %v", i, err)
		}
		if alerted := got.Alert != nil; alerted != (i < 3) {
			t.Errorf("lead %d alerted: %v", i, alerted)
		}
		if held := got.AlertHeld; held.IsZero() == (i >= 3) || (!held.IsZero() && !held.Equal(now)) {
			t.Errorf("lead %d recorded as held back at %v", i, held)
		}
	}
	if !strings.Contains(f.logs.String(), `"msg":"alert held back: ALERT_LIMIT used up"`) {
		t.Errorf("no held-back log line:\n%s", f.logs)
	}

	// Later in the hour: still held back, no second summary.
	if failed := f.handle(t, f.add(t, 2)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := byKind(f); got["alert"] != 3 || got["summary"] != 1 {
		t.Errorf("later in the hour: sent %v, want still 3 alerts and 1 summary", got)
	}
	// The next hour: alerts again.
	f.h.now = func() time.Time { return now.Add(40 * time.Minute) }
	if failed := f.handle(t, f.add(t, 1)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := byKind(f); got["alert"] != 4 || got["summary"] != 1 {
		t.Errorf("the next hour: sent %v, want a 4th alert", got)
	}
}

// TestAlertBudgetRefundsAFailedAlert: an alert SES refused is retried
// without using the budget twice; a summary SES refused fails its record,
// and the retry sends it.
func TestAlertBudgetRefundsAFailedAlert(t *testing.T) {
	f := newFixture(t, func(c *config.Notify) { c.AlertLimit = ratelimit.Limit{Count: 1, Window: time.Hour} })
	batch := f.add(t, 1)
	f.out.Fail = func(sesmail.Message) bool { return true }
	for range 3 {
		if failed := f.handle(t, batch); len(failed) != 1 {
			t.Fatalf("failures %v, want the one record", failed)
		}
	}
	f.out.Fail = nil
	if failed := f.handle(t, batch); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := byKind(f); got["alert"] != 1 || got["summary"] != 0 {
		t.Fatalf("after 3 failed tries: sent %v, want the alert and no summary", got)
	}

	second := f.add(t, 1)
	f.out.Fail = func(m sesmail.Message) bool { return m.Tags[sesmail.TagKind] == "" }
	if failed := f.handle(t, second); len(failed) != 1 {
		t.Fatalf("summary refused: failures %v, want the record", failed)
	}
	f.out.Fail = nil
	if failed := f.handle(t, second); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := byKind(f); got["alert"] != 1 || got["summary"] != 1 {
		t.Errorf("sent %v, want 1 alert and the summary once", got)
	}
}

// TestNoAlertLimit: ALERT_LIMIT=0 alerts every lead.
func TestNoAlertLimit(t *testing.T) {
	f := newFixture(t, nil) // the zero Limit: none
	if failed := f.handle(t, f.add(t, 5)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := byKind(f); got["alert"] != 5 || got["summary"] != 0 {
		t.Errorf("sent %v, want 5 alerts", got)
	}
}
