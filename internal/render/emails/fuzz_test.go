package emails

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// FuzzAlert renders the alert and the acknowledgement for arbitrary lead
// text. Whatever it is: no panic, a subject without line breaks, no markup
// of the visitor's in the HTML part, no visitor text but a plain first name
// in the alert's subject and the acknowledgement, and no mailto: link with
// more than a subject.
func FuzzAlert(f *testing.F) {
	f.Add("Siobhán O'Brien-Núñez", "<script>alert(1)</script> & pain", "siobhan@example.com", "+12025550143")
	f.Add("山田 太郎", "", "", "")
	f.Add("a\r\nBcc: x@example.com", "\"><img src=x onerror=alert(1)>", "x@y.z", "tel:javascript:alert(1)")
	f.Add("Pat", "{{.Clinic.Name}} {{template \"x\"}}", "p@example.com", "+1")
	f.Add("Pat", "", "", "+0123456")
	f.Add("clinic-login.example.net/verify Smith", "", "pat@example.com", "")
	f.Fuzz(func(t *testing.T, name, reason, email, phone string) {
		if !utf8.ValidString(name + reason + email + phone) {
			return // stored leads are valid UTF-8 (the decoder refuses the rest)
		}
		l := hostile()
		l.Name, l.Reason, l.Email, l.Phone = name, reason, email, phone
		for _, minimal := range []bool{false, true} {
			c, err := Alert(l, nil, clinic, staffLink, minimal)
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, c, l, minimal)
		}
		ack, err := Ack(l, clinic, answer)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(ack.Subject, "\r\n") {
			t.Fatalf("acknowledgement subject %q", ack.Subject)
		}
		// Nothing but the first name is the visitor's: the same lead with
		// another reason, email and phone gets the very same email.
		other := l
		other.Reason, other.Email, other.Phone = "", "someone@example.com", "+12025550199"
		same, err := Ack(other, clinic, answer)
		if err != nil {
			t.Fatal(err)
		}
		if ack.Subject != same.Subject || ack.Text != same.Text || ack.HTML != same.HTML {
			t.Fatalf("the acknowledgement depends on the reason, email or phone (%q, %q, %q)", reason, email, phone)
		}
	})
}

func checkRendered(t *testing.T, c Content, l lead.Lead, minimal bool) {
	t.Helper()
	if strings.ContainsAny(c.Subject, "\r\n\u2028\u2029\u0085") {
		t.Fatalf("subject %q holds a line break", c.Subject)
	}
	// Of the visitor's text, the subject holds a plain first name at most:
	// no digit, dot, slash, @ or other mark a mail app makes a link of.
	who := strings.TrimSuffix(strings.TrimPrefix(c.Subject, "Appointment request: "), " prefers "+l.PreferredContact.Words())
	if i := strings.IndexFunc(who, func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsSymbol(r) || unicode.IsPunct(r) && !strings.ContainsRune("-'’", r)
	}); i >= 0 {
		t.Fatalf("name %q: subject %q", l.Name, c.Subject)
	}
	// Every mailto: link writes a new message with a subject: no body, no
	// staff link.
	for _, u := range mailtos(t, c.HTML) {
		if q, _ := url.ParseQuery(u.RawQuery); len(q) != 1 || q.Get("subject") != replySubject {
			t.Fatalf("email %q: mailto: link %s", l.Email, u)
		}
	}
	// The same lead with harmless text in each non-empty field renders the
	// same markup: the visitor's text added no tag of its own.
	plain := l
	for _, f := range []*string{&plain.Name, &plain.Reason, &plain.Email} {
		if *f != "" {
			*f = "x"
		}
	}
	if present.Mailto(l.Email) != "" { // linked as before, with a harmless address
		plain.Email = "x@example.com"
	}
	if plain.Phone != "" && present.Tel(plain.Phone) == "" {
		plain.Phone = "x"
	}
	base, err := Alert(plain, nil, clinic, staffLink, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(c.HTML, "<"), strings.Count(base.HTML, "<"); got != want {
		t.Fatalf("the visitor's text added markup: %d '<' in the HTML part, %d with plain text", got, want)
	}
	if strings.Contains(c.HTML, `href="tel:`) && !strings.Contains(c.HTML, `href="tel:&#43;`) {
		t.Fatalf("a tel: link for a number that is not E.164: %q", l.Phone)
	}
	// The link is there exactly when present.Tel's E.164 gate lets it be.
	if got, want := strings.Contains(c.HTML, `href="tel:`), present.Tel(l.Phone) != ""; got != want {
		t.Fatalf("phone %q: a tel: link %v, want %v", l.Phone, got, want)
	}
}
