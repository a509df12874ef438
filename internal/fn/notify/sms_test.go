package notify

import (
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
)

var staffSMS = []string{"+12025550199", "+12025550198"}

func withSMS(t *testing.T, f *fixture, m *sms.Memory) {
	t.Helper()
	f.h.WithSMS(sms.New(m, staffSMS, f.h.log))
}

// TestAlertIsTextedToo: with STAFF_SMS, each alert also goes to every number
// as a text with the request number and the email's staff link, and
// nothing about the visitor, not even a name; a redelivered batch texts
// nothing again.
func TestAlertIsTextedToo(t *testing.T) {
	f := newFixture(t, func(c *config.Notify) { c.StaffSMS = staffSMS })
	m := &sms.Memory{}
	withSMS(t, f, m)
	batch := f.add(t, 2)
	for range 2 {
		if failed := f.handle(t, batch); len(failed) != 0 {
			t.Fatalf("failures %v", failed)
		}
	}
	texts := m.Texts()
	if len(texts) != 4 {
		t.Fatalf("%d texts, want 2 alerts to 2 numbers: %+v", len(texts), texts)
	}
	for _, l := range f.leads {
		var email string
		for _, e := range f.out.Sent() {
			if e.Tags["lead"] == l.ID {
				email = e.Text
			}
		}
		n := 0
		for _, x := range texts {
			if !strings.Contains(x.Body, " "+l.Number()+". ") {
				continue
			}
			n++
			if x.MessageType != "TRANSACTIONAL" {
				t.Errorf("message type %q", x.MessageType)
			}
			if want := "Relief Physical Therapy: new request " + l.Number() + ". "; !strings.HasPrefix(x.Body, want) {
				t.Errorf("text %q, want it to start %q", x.Body, want)
			}
			staffURL := x.Body[strings.LastIndex(x.Body, " ")+1:]
			if !strings.HasPrefix(staffURL, "https://api.example-clinic.com/leads/"+l.ID+"?t=") || !strings.Contains(email, staffURL) {
				t.Errorf("text's link %q is not the alert email's", staffURL)
			}
			for _, p := range append([]string{l.Email, l.Phone, l.Reason}, strings.Fields(l.Name)...) { // no name at all
				if strings.Contains(x.Body, p) {
					t.Errorf("text %q holds %q", x.Body, p)
				}
			}
		}
		if n != 2 {
			t.Errorf("lead %s texted %d times, want once to each number", l.ID, n)
		}
	}
}

// TestAFailedTextFailsNothing: the email went out and is recorded; the
// text's failure is logged without the number.
func TestAFailedTextFailsNothing(t *testing.T) {
	f := newFixture(t, func(c *config.Notify) { c.StaffSMS = staffSMS })
	withSMS(t, f, &sms.Memory{Fail: true})
	if failed := f.handle(t, f.add(t, 1)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if len(f.out.Sent()) != 1 {
		t.Fatalf("%d emails, want the alert", len(f.out.Sent()))
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "sms not sent") {
		t.Errorf("no failure logged:\n%s", logs)
	}
	for _, n := range staffSMS {
		if strings.Contains(logs, n[2:]) {
			t.Errorf("log names %s:\n%s", n, logs)
		}
	}
}
