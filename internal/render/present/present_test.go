package present

import (
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/markup"
)

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Minute:              "less than an hour",
		time.Hour:                     "1 hour",
		23*time.Hour + 59*time.Minute: "23 hours",
		24 * time.Hour:                "1 day",
		25 * time.Hour:                "1 day 1 hour",
		72 * time.Hour:                "3 days",
		98*time.Hour + 30*time.Minute: "4 days 2 hours",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

var (
	eastern, _ = time.LoadLocation("America/New_York")
	received   = time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
)

func TestFormatTime(t *testing.T) {
	if got, want := FormatTime(received, eastern), "Fri 27 Nov 2026, 9:20 AM EST"; got != want {
		t.Errorf("FormatTime = %q, want %q", got, want)
	}
}

func TestTel(t *testing.T) {
	for phone, want := range map[string]string{
		"+12025550143":            "tel:+12025550143",
		"+442079460958":           "tel:+442079460958",
		"+123456":                 "tel:+123456", // shortest E.164
		"+123456789012345":        "tel:+123456789012345",
		"":                        "",
		"tel:javascript:alert(1)": "",
		"javascript:alert(1)":     "",
		"+1":                      "",
		"12025550143":             "",
		"+0123456":                "",
		"+1234567890123456":       "", // longer than E.164 allows
		"+1 202 555 0143":         "",
		"+12025550143\n":          "",
		"+12025550143;ext=1":      "",
		"(202) 555-0143":          "",
	} {
		if got := Tel(phone); string(got) != want {
			t.Errorf("Tel(%q) = %q, want %q", phone, got, want)
		}
	}
}

func TestAlertStatus(t *testing.T) {
	if got, want := AlertStatus(nil, eastern), "never went out"; got != want {
		t.Errorf("no alert: %q, want %q", got, want)
	}
	sent := &lead.Delivery{At: received, MessageID: "m"}
	if got, want := AlertStatus(sent, eastern), "sent Fri 27 Nov 2026, 9:20 AM EST"; got != want {
		t.Errorf("alert sent: %q, want %q", got, want)
	}
	later := received.Add(time.Minute)
	for _, tt := range []struct {
		name string
		d    lead.Delivery
		want string
	}{
		{"delivered", lead.Delivery{DeliveredAt: later}, "delivered Fri 27 Nov 2026, 9:21 AM EST"},
		{"delayed", lead.Delivery{Problem: lead.MailDelayed, ProblemAt: later}, "sent Fri 27 Nov 2026, 9:20 AM EST, delivery delayed"},
		{"bounced", lead.Delivery{Problem: lead.MailBounced, ProblemAt: later, BounceType: "Permanent", BounceSubType: "NoEmail"},
			"bounced Fri 27 Nov 2026, 9:21 AM EST (Permanent, NoEmail)"},
		{"rejected", lead.Delivery{Problem: lead.MailRejected, ProblemAt: later}, "rejected by SES Fri 27 Nov 2026, 9:21 AM EST"},
		{"complaint after delivery", lead.Delivery{DeliveredAt: later, Problem: lead.MailComplained, ProblemAt: later.Add(time.Hour)},
			"marked as spam Fri 27 Nov 2026, 10:21 AM EST, after delivery Fri 27 Nov 2026, 9:21 AM EST"},
	} {
		d := tt.d
		d.At, d.MessageID = received, "m"
		if got := AlertStatus(&d, eastern); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestContactLinks(t *testing.T) {
	for _, tt := range []struct {
		in      string
		sms     markup.URL
		mailto  markup.URL
		isEmail bool
	}{
		{in: "+12025550143", sms: "sms:+12025550143"},
		{in: "12025550143"},
		{in: "tel:javascript:alert(1)"},
		{in: "siobhan+pt@example.com", mailto: "mailto:siobhan%2Bpt@example.com", isEmail: true},
		{in: "o'brien@example.ie", mailto: "mailto:o%27brien@example.ie", isEmail: true},
		{in: "Pat <pat@example.com>", isEmail: true},
		{in: "pat@example.com?cc=everyone@example.org", isEmail: true},
		// Addresses submit refuses now, as a lead stored before may hold them:
		// every character of a mailto: parameter is encoded, so the link
		// writes to that one (odd) address, with no Bcc or subject.
		{in: "x?bcc=attacker%40evil.example&subject=hi@example.com", mailto: "mailto:x%3Fbcc%3Dattacker%2540evil.example%26subject%3Dhi@example.com", isEmail: true},
		{in: "a#b/c@example.com", mailto: "mailto:a%23b%2Fc@example.com", isEmail: true},
		{in: `"x@evil.example?bcc=y"@example.com`, isEmail: true}, // quoted: not linked at all
		{in: "javascript:alert(1)", isEmail: true},
	} {
		if got := SMS(tt.in); got != tt.sms {
			t.Errorf("SMS(%q) = %q, want %q", tt.in, got, tt.sms)
		}
		if got := Mailto(tt.in); got != tt.mailto && tt.isEmail {
			t.Errorf("Mailto(%q) = %q, want %q", tt.in, got, tt.mailto)
		}
	}
}

func TestPhoneAsPeopleReadIt(t *testing.T) {
	if got := Phone(lead.Lead{Phone: "+12025550143", PhoneDisplay: "(202) 555-0143"}); got != "(202) 555-0143" {
		t.Errorf("got %q", got)
	}
	if got := Phone(lead.Lead{Phone: "+12025550143"}); got != "+12025550143" {
		t.Errorf("a lead from before the display form: got %q", got)
	}
}

func TestReachTheWayTheyAsked(t *testing.T) {
	phone, email := "+12025550143", "pat+pt@example.com"
	for _, tt := range []struct {
		name         string
		prefers      lead.ContactMethod
		phone, email string
		want         Reach
	}{
		{"a call", lead.ByPhone, phone, email, Reach{"Call", "(202) 555-0143", "tel:+12025550143"}},
		{"a text", lead.ByText, phone, email, Reach{"Text", "(202) 555-0143", "sms:+12025550143"}},
		{"an email", lead.ByEmail, phone, email, Reach{"Email", email, "mailto:pat%2Bpt@example.com"}},
		{"an email, none given", lead.ByEmail, phone, "", Reach{"Call", "(202) 555-0143", "tel:+12025550143"}},
		{"a call, no phone given", lead.ByPhone, "", email, Reach{"Email", email, "mailto:pat%2Bpt@example.com"}},
		{"a number that cannot be linked", lead.ByPhone, "+0123", "", Reach{"Call", "+0123", ""}},
		{"a text, no phone given", lead.ByText, "", email, Reach{"Email", email, "mailto:pat%2Bpt@example.com"}},
		{"no preference", "", phone, "", Reach{"Call", "(202) 555-0143", "tel:+12025550143"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := lead.Lead{PreferredContact: tt.prefers, Phone: tt.phone, Email: tt.email}
			if tt.phone == phone {
				l.PhoneDisplay = "(202) 555-0143"
			}
			if got := ReachFor(l); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMailtoSubject(t *testing.T) {
	for _, tt := range []struct{ to, subject, want string }{
		{"siobhan+pt@example.com", "Your appointment request - Relief Physical Therapy & Pain Care",
			"mailto:siobhan%2Bpt@example.com?subject=Your%20appointment%20request%20-%20Relief%20Physical%20Therapy%20%26%20Pain%20Care"},
		{"pat@example.com", "Re: a?b=c#d&body=x", "mailto:pat@example.com?subject=Re%3A%20a%3Fb%3Dc%23d%26body%3Dx"},
		{"Pat <pat@example.com>", "Hi", ""},
		{"", "Hi", ""},
	} {
		if got := MailtoSubject(tt.to, tt.subject); string(got) != tt.want {
			t.Errorf("MailtoSubject(%q, %q) = %q, want %q", tt.to, tt.subject, got, tt.want)
		}
	}
}

func TestPlainFirstName(t *testing.T) {
	for name, want := range map[string]string{
		"Siobhán O'Brien":                       "Siobhán",
		"Jean-Luc Picard":                       "Jean-Luc",
		"D’Arcy Smith":                          "D’Arcy",
		"山田 太郎":                                 "山田",
		"Zoë":                                   "Zoë",
		"":                                      "",
		"clinic-login.example.net/verify Smith": "",
		"example.com":                           "",
		"Pat@example.com":                       "",
		"http://spam.example/win":               "",
		"Pat2000":                               "",
		"<a>Pat</a>":                            "",
		"www．example．com":                       "", // fullwidth stops are punctuation
		"Pat\u202eevil":                         "", // a bidi override reorders what follows
	} {
		if got := PlainFirstName(lead.Lead{Name: name}); got != want {
			t.Errorf("PlainFirstName(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestLeadAlert: a lead held back by ALERT_LIMIT says so, with when; any
// other says what AlertStatus says.
func TestLeadAlert(t *testing.T) {
	held := lead.Lead{AlertHeld: received}
	if got, want := LeadAlert(held, eastern), "held back by the alert limit Fri 27 Nov 2026, 9:20 AM EST"; got != want {
		t.Errorf("held back: %q, want %q", got, want)
	}
	if got, want := LeadAlert(lead.Lead{}, eastern), "never went out"; got != want {
		t.Errorf("never sent: %q, want %q", got, want)
	}
	sent := lead.Lead{Alert: &lead.Delivery{At: received}}
	if got, want := LeadAlert(sent, eastern), "sent Fri 27 Nov 2026, 9:20 AM EST"; got != want {
		t.Errorf("sent: %q, want %q", got, want)
	}
}
