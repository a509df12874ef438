package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

const origin = "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-1234567890abcdef"

// patientFixture is notify with PATIENT_SMS set to mode, opening hours
// open, and its texts kept in m.
func patientFixture(t *testing.T, mode config.PatientSMS, open string, m *sms.Memory, change func(*config.Notify)) *fixture {
	t.Helper()
	f := newFixture(t, func(c *config.Notify) {
		c.PatientSMS, c.SMSOrigin = mode, origin
		h, err := hours.Parse(open, c.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		c.Guard = config.Guard{Hours: h, SLA: 15 * time.Minute}
		if change != nil {
			change(c)
		}
	})
	f.h.WithPatientTexts(sms.ToOne(m, f.h.log).WithOrigin(origin))
	return f
}

// addLead stores the fixture's kind of lead, changed by change, and
// returns its insertion's record.
func (f *fixture) addLead(t *testing.T, change func(*lead.Lead)) insertion {
	t.Helper()
	l := storetest.Lead(now.Add(-time.Minute))
	change(&l)
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	f.leads = append(f.leads, l)
	return insertion{l, insert(t, l, "1"+l.ID[:4])}
}

type insertion struct {
	lead   lead.Lead
	record events.DynamoDBEventRecord
}

// TestPatientTextBack: with PATIENT_SMS, a patient who asked for texts
// (or a call, with all) and consented gets one text to their number, from
// the origination identity, saying when to expect the clinic's answer and
// how to opt out, with nothing of theirs in it; a redelivered record
// sends nothing; every other lead gets none.
func TestPatientTextBack(t *testing.T) {
	const texting = "Relief Physical Therapy: thanks for your request. We'll text you within 15 minutes. Reply STOP to opt out."
	for _, tc := range []struct {
		name   string
		mode   config.PatientSMS
		open   string
		change func(*lead.Lead)
		want   string // the text; empty: none
	}{
		{"on, chose text", config.PatientSMSText, "always", func(l *lead.Lead) { l.PreferredContact = lead.ByText }, texting},
		{"on, chose text, the clinic closed: when it opens", config.PatientSMSText, "Sat 08:00-12:00", func(l *lead.Lead) { l.PreferredContact = lead.ByText },
			"Relief Physical Therapy: thanks for your request. We're closed now; expect our text tomorrow from 8:00 AM. Reply STOP to opt out."},
		{"on, chose a call: none", config.PatientSMSText, "always", func(l *lead.Lead) { l.PreferredContact = lead.ByPhone }, ""},
		{"all, chose a call", config.PatientSMSAll, "always", func(l *lead.Lead) { l.PreferredContact = lead.ByPhone },
			"Relief Physical Therapy: thanks for your request. We'll call you within 15 minutes. Reply STOP to opt out."},
		{"all, chose email: none", config.PatientSMSAll, "always", func(l *lead.Lead) { l.PreferredContact = lead.ByEmail }, ""},
		{"off: none", config.PatientSMSOff, "always", func(l *lead.Lead) { l.PreferredContact = lead.ByText }, ""},
		{"no consent: none", config.PatientSMSAll, "always", func(l *lead.Lead) { l.PreferredContact, l.Consent = lead.ByText, lead.Consent{} }, ""},
		{"held for review, then released: none", config.PatientSMSAll, "always", func(l *lead.Lead) { l.PreferredContact, l.ReleasedAt = lead.ByText, now.Add(-time.Second) }, ""},
		{"not an E.164 number: none", config.PatientSMSAll, "always", func(l *lead.Lead) { l.PreferredContact, l.Phone = lead.ByText, "2025550143" }, ""},
		{"no number: none", config.PatientSMSAll, "always", func(l *lead.Lead) { l.PreferredContact, l.Phone = lead.ByText, "" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &sms.Memory{}
			f := patientFixture(t, tc.mode, tc.open, m, nil)
			in := f.addLead(t, tc.change)
			for range 2 { // the second: a redelivered batch
				if failed := f.handle(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{in.record}}); len(failed) != 0 {
					t.Fatalf("failures %v", failed)
				}
			}
			texts := m.Texts()
			stored, err := f.store.Get(context.Background(), in.lead.ID, now)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(texts) != 0 || stored.PatientText != nil {
					t.Errorf("texts %+v (recorded %+v), want none", texts, stored.PatientText)
				}
				return
			}
			if len(texts) != 1 {
				t.Fatalf("%d texts, want one: %+v", len(texts), texts)
			}
			x := texts[0]
			if x.To != in.lead.Phone || x.Body != tc.want || x.From != origin || x.MessageType != "TRANSACTIONAL" {
				t.Errorf("text %+v, want %q to the patient's number from %s, transactional", x, tc.want, origin)
			}
			for _, p := range append([]string{in.lead.Email, in.lead.Reason}, strings.Fields(in.lead.Name)...) {
				if strings.Contains(x.Body, p) {
					t.Errorf("text %q holds %q", x.Body, p)
				}
			}
			if stored.PatientText == nil || stored.PatientText.MessageID != x.ID || !stored.PatientText.At.Equal(now) {
				t.Errorf("recorded %+v, want the text %s at %s", stored.PatientText, x.ID, now)
			}
		})
	}
}

// TestNoPatientTextOverTheAlertLimit: a lead held back by ALERT_LIMIT gets
// no text, as it gets no alert.
func TestNoPatientTextOverTheAlertLimit(t *testing.T) {
	m := &sms.Memory{}
	f := patientFixture(t, config.PatientSMSAll, "always", m, func(c *config.Notify) { c.AlertLimit = ratelimit.Limit{Count: 1, Window: time.Hour} })
	first := f.addLead(t, func(l *lead.Lead) { l.PreferredContact = lead.ByText })
	second := f.addLead(t, func(l *lead.Lead) { l.PreferredContact = lead.ByText; l.Phone = "+12025550144" })
	for _, in := range []insertion{first, second} {
		if failed := f.handle(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{in.record}}); len(failed) != 0 {
			t.Fatalf("failures %v", failed)
		}
	}
	if texts := m.Texts(); len(texts) != 1 || texts[0].To != first.lead.Phone {
		t.Errorf("texts %+v, want one, to the first patient only", texts)
	}
}

// TestAFailedPatientTextFailsNothing: the alert went out and is recorded;
// the text's failure is logged without the number, and not recorded.
func TestAFailedPatientTextFailsNothing(t *testing.T) {
	f := patientFixture(t, config.PatientSMSText, "always", &sms.Memory{Fail: true}, nil)
	in := f.addLead(t, func(l *lead.Lead) { l.PreferredContact = lead.ByText })
	if failed := f.handle(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{in.record}}); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	stored, err := f.store.Get(context.Background(), in.lead.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Alert == nil || stored.PatientText != nil {
		t.Errorf("alert %+v, text %+v: want the alert recorded and no text", stored.Alert, stored.PatientText)
	}
	if !strings.Contains(f.logs.String(), `"msg":"patient text not sent"`) {
		t.Errorf("the failure is not logged:\n%s", f.logs)
	}
}

// TestPatientTextOffersBooking: with BOOKING_URL set, the text back
// carries the clinic's booking page.
func TestPatientTextOffersBooking(t *testing.T) {
	m := &sms.Memory{}
	f := patientFixture(t, config.PatientSMSText, "always", m, func(c *config.Notify) { c.BookingURL = "https://book.example.com/new" })
	in := f.addLead(t, func(l *lead.Lead) { l.PreferredContact = lead.ByText })
	if failed := f.handle(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{in.record}}); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if texts := m.Texts(); len(texts) != 1 || !strings.Contains(texts[0].Body, "https://book.example.com/new") {
		t.Errorf("texts %+v, want one carrying the booking link", texts)
	}
}
