package emails

import (
	"flag"
	stdhtml "html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	eastern, _ = time.LoadLocation("America/New_York")
	clinic     = Clinic{Name: "Relief Physical Therapy & Pain Care", Phone: "(202) 555-0100", TimeZone: eastern}
	received   = time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC) // a Friday, 9:20 AM in New York
	// answer is hours.Default in New York and a 15-minute RESPONSE_SLA.
	answer = Answer{Hours: mustHours("Mon-Fri 08:00-18:00", eastern), SLA: 15 * time.Minute}
	// booking is a clinic with BOOKING_URL set.
	booking   = Clinic{Name: clinic.Name, Phone: clinic.Phone, TimeZone: eastern, BookingURL: "https://book.example.com/new?clinic=7&src=ack"}
	staffLink = StaffLink{
		URL:     "https://api.example-clinic.com/leads/0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f?t=AAAAAGmSB8Bx-token_part",
		Expires: received.Add(14 * 24 * time.Hour),
	}
)

// longName is a name at the length limit, with characters HTML escapes.
var longName = "Siobhán <b>O'Brien-Núñez</b> & " + strings.Repeat("x", lead.MaxName-31)

func hostile() lead.Lead {
	return lead.Lead{
		ID: "0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f", Status: lead.StatusNew, CreatedAt: received,
		Name: longName, Phone: "+12025550143", PhoneDisplay: "(202) 555-0143", Email: "siobhan+pt@example.com",
		PreferredContact: lead.ByPhone, PreferredTime: lead.Morning,
		Reason: "<script>alert('x')</script> & my back hurts\nsince \"Tuesday\"",
	}
}

// earlier are four earlier requests of hostile()'s patient, newest
// first, each with a name, phone and email of its own.
func earlier() []lead.Lead {
	att := lead.Event{Kind: lead.EventAttempt, Outcome: lead.NoAnswer}
	at := func(month time.Month, day int) time.Time { return time.Date(2026, month, day, 15, 0, 0, 0, time.UTC) }
	return []lead.Lead{
		{ID: "e1", CreatedAt: at(11, 12), Status: lead.StatusClosed, Closed: lead.ClosedUnreachable, History: []lead.Event{att, att, att, att},
			Name: "Maggie Earlier", Phone: "+13035550101", Email: "maggie.earlier@example.com", Reason: "an earlier reason"},
		{ID: "e2", CreatedAt: at(10, 3), Status: lead.StatusOpen, History: []lead.Event{att, att},
			Name: "Margaret Older", Phone: "+13035550102", Email: "margaret.older@example.com"},
		{ID: "e3", CreatedAt: time.Date(2025, 12, 30, 15, 0, 0, 0, time.UTC), Status: lead.StatusClosed, Closed: lead.ClosedBooked,
			Name: "M. Oldest", Email: "m.oldest@example.com"},
		{ID: "e4", CreatedAt: time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC), Status: lead.StatusNew, Name: "M. Older Still"},
	}
}

// TestAlertSaysAskedBefore: a returning patient's alert says when they
// asked before and how each request stands, newest first, three at most
// and a count of the rest, in both parts, with nothing of the earlier
// requests' names, contacts or reasons; the subject is a first request's.
func TestAlertSaysAskedBefore(t *testing.T) {
	first, err := Alert(hostile(), nil, clinic, staffLink, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(first.Text+first.HTML, "Asked before") {
		t.Errorf("a first request's alert says Asked before:\n%s", first.Text)
	}
	for _, tt := range []struct {
		name    string
		earlier []lead.Lead
		want    string
	}{
		{"one", earlier()[:1], "Asked before: 12 Nov (closed: unreachable after 4 tries)\n"},
		{"oldest first given", []lead.Lead{earlier()[1], earlier()[0]}, "Asked before: 12 Nov (closed: unreachable after 4 tries); 3 Oct (open: 2 tries)\n"},
		{"four", earlier(), "Asked before: 12 Nov (closed: unreachable after 4 tries); 3 Oct (open: 2 tries); 30 Dec 2025 (closed: booked) and 1 more\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Alert(hostile(), tt.earlier, clinic, staffLink, false)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(c.Text, tt.want) {
				t.Errorf("text part does not say %q:\n%s", tt.want, c.Text)
			}
			html := strings.TrimSuffix(strings.TrimPrefix(tt.want, "Asked before: "), "\n")
			if !strings.Contains(c.HTML, "<strong>Asked before:</strong> "+html+"<br>") {
				t.Errorf("HTML part does not say Asked before %q:\n%s", html, c.HTML)
			}
			if c.Subject != first.Subject {
				t.Errorf("subject %q, want a first request's %q", c.Subject, first.Subject)
			}
			for _, e := range tt.earlier {
				for _, p := range []string{e.Name, e.Phone, e.Email, e.Reason} {
					if p != "" && strings.Contains(c.Text+c.HTML, p) {
						t.Errorf("the earlier request's %q is in the alert", p)
					}
				}
			}
		})
	}
}

func TestAlertGolden(t *testing.T) {
	emailOnly := hostile()
	emailOnly.Name, emailOnly.Phone, emailOnly.Reason = "山田 太郎", "", ""
	emailOnly.PreferredContact, emailOnly.PreferredTime = lead.ByEmail, lead.AnyTime

	texter := hostile()
	texter.Name, texter.Phone, texter.PhoneDisplay, texter.PreferredContact = "Margaret Hale", "+442079460958", "+44 20 7946 0958", lead.ByText

	tests := []struct {
		name    string
		lead    lead.Lead
		minimal bool
		earlier []lead.Lead
	}{
		{"alert-full", hostile(), false, nil},
		{"alert-minimal", hostile(), true, nil},
		{"alert-email-only", emailOnly, false, nil},
		{"alert-text", texter, false, nil},
		{"alert-returning", hostile(), true, earlier()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Alert(tt.lead, tt.earlier, clinic, staffLink, tt.minimal)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, got)
		})
	}
}

func TestAlertEscapesAndOmits(t *testing.T) {
	full, err := Alert(hostile(), nil, clinic, staffLink, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<b>O'Brien", "& my back"} {
		if strings.Contains(full.HTML, bad) {
			t.Errorf("HTML part holds %q unescaped", bad)
		}
	}
	for _, want := range []string{`href="tel:&#43;12025550143"`, `href="mailto:siobhan%2Bpt@example.com?subject=`, "Fri 27 Nov 2026, 9:20 AM EST", "&lt;script&gt;"} {
		if !strings.Contains(full.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	if !strings.Contains(full.Text, "<script>alert('x')</script> & my back hurts\nsince \"Tuesday\"") {
		t.Error("text part does not carry the reason as written")
	}

	minimal, err := Alert(hostile(), nil, clinic, staffLink, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{minimal.Text, minimal.HTML} {
		if strings.Contains(part, "back hurts") || strings.Contains(part, "script") {
			t.Error("a minimal alert carries the reason for the visit")
		}
		if !strings.Contains(part, staffLink.URL[:40]) {
			t.Error("a minimal alert lacks the staff link")
		}
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	l := hostile()
	l.Name = "Pat\r\nBcc: all@example.com"
	c, err := Alert(l, nil, clinic, staffLink, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(c.Subject, "\r\n") {
		t.Errorf("subject %q holds a line break", c.Subject)
	}
	if got, want := c.Subject, "Appointment request: Pat prefers a phone call"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
}

// TestVisitorTextStaysOutOfTheSubject: a first name that is not a plain
// name (a link, an address, digits) never reaches the alert's subject,
// where mail apps would make a link of it from the clinic's own sender.
func TestVisitorTextStaysOutOfTheSubject(t *testing.T) {
	for name, want := range map[string]string{
		"clinic-login.example.net/verify Smith": "Appointment request: a visitor prefers a phone call",
		"https://x.example Pat":                 "Appointment request: a visitor prefers a phone call",
		"pat@example.com":                       "Appointment request: a visitor prefers a phone call",
		"Call0800123456 Now":                    "Appointment request: a visitor prefers a phone call",
		"Jean-Luc D'Arcy":                       "Appointment request: Jean-Luc prefers a phone call",
	} {
		l := hostile()
		l.Name = name
		c, err := Alert(l, nil, clinic, staffLink, false)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != want {
			t.Errorf("name %q: subject %q, want %q", name, c.Subject, want)
		}
		// The body still says who asked, escaped, as they wrote it.
		if first := strings.Fields(name)[0]; !strings.Contains(c.Text, "Call "+first+" at ") {
			t.Errorf("name %q: the text part does not name them", name)
		}
	}
}

// replySubject is the subject of every mailto: link in the alert.
const replySubject = "Your appointment request - Relief Physical Therapy & Pain Care"

// TestAlertReplyLeavesTheLinkOut: the alert's way to write to the patient
// is a mailto: link with a subject and nothing else (no body that could
// quote the staff link), there whenever the patient gave an address, and
// named "Reply to <first name>".
func TestAlertReplyLeavesTheLinkOut(t *testing.T) {
	emailOnly := hostile()
	emailOnly.Name, emailOnly.Phone, emailOnly.PreferredContact = "山田 太郎", "", lead.ByEmail
	noEmail := hostile()
	noEmail.Email = ""
	token := staffLink.URL[strings.Index(staffLink.URL, "?t=")+3:]
	for _, tt := range []struct {
		name   string
		lead   lead.Lead
		button string // the reply's label, or "" for none
	}{
		{"prefers a call", hostile(), ">Reply to Siobhán</a>"},
		{"prefers an email", emailOnly, ">Reply to 山田 at siobhan&#43;pt@example.com</a>"},
		{"gave no email", noEmail, ""},
	} {
		for _, minimal := range []bool{false, true} {
			c, err := Alert(tt.lead, nil, clinic, staffLink, minimal)
			if err != nil {
				t.Fatal(err)
			}
			if tt.button == "" {
				if strings.Contains(c.HTML, "mailto:") || strings.Contains(c.HTML+c.Text, "Reply") {
					t.Errorf("%s: a reply to no address:\n%s", tt.name, c.HTML)
				}
				continue
			}
			if !strings.Contains(c.HTML, tt.button) {
				t.Errorf("%s: no %q in the HTML part", tt.name, tt.button)
			}
			checkMailtos(t, c.HTML, tt.lead.Email, replySubject)
			for _, u := range mailtos(t, c.HTML) {
				if all, _ := url.QueryUnescape(u.String()); strings.Contains(all, token) || strings.Contains(all, "/leads/") {
					t.Errorf("%s: the staff link in a mailto: link %s", tt.name, u)
				}
			}
			for _, part := range []string{c.Text, c.HTML} {
				if !strings.Contains(part, "Replying to this email does not reach "+tt.lead.FirstName()) {
					t.Errorf("%s: the alert does not say a reply misses the patient:\n%s", tt.name, part)
				}
			}
		}
	}
}

func mustHours(s string, loc *time.Location) hours.Hours {
	h, err := hours.Parse(s, loc)
	if err != nil {
		panic(err)
	}
	return h
}

func TestAckGolden(t *testing.T) {
	l := hostile()
	l.Name = "Siobhán O'Brien"
	got, err := Ack(l, clinic, answer)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ack", got)

	// Saturday morning, a texter, with the booking page.
	l.CreatedAt = time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	l.PreferredContact, l.PreferredTime = lead.ByText, lead.Afternoon
	got, err = Ack(l, booking, answer)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ack-closed-booking", got)
}

// TestAckSaysWhen: the acknowledgement tells the patient when to expect
// the clinic's answer, from the hours, the SLA and the moment the request
// arrived, in the way they asked to be contacted.
func TestAckSaysWhen(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Time
		how   lead.ContactMethod
		hours string
		want  string
	}{
		{"open", received, lead.ByPhone, "Mon-Fri 08:00-18:00", "We'll call you within 15 minutes."},
		{"open, by email", received, lead.ByEmail, "Mon-Fri 08:00-18:00", "We'll email you within 15 minutes."},
		{"Friday night", time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC), lead.ByPhone, "Mon-Fri 08:00-18:00", "We're closed now; expect our call Monday from 8:00 AM."},
		{"closing soon", time.Date(2026, 11, 26, 22, 55, 0, 0, time.UTC), lead.ByText, "Mon-Fri 08:00-18:00", "We're closing soon; expect our text tomorrow by 8:10 AM."},
		{"open tomorrow only", received, lead.ByPhone, "Sat 09:00-13:00", "We're closed now; expect our call tomorrow from 9:00 AM."},
		// Held for review on Saturday, released Monday at 10:00: from the release.
		{"released", time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC), lead.ByPhone, "Mon-Fri 08:00-18:00", "We'll call you within 15 minutes."},
	}
	for _, tt := range tests {
		l := hostile()
		l.CreatedAt, l.PreferredContact = tt.at, tt.how
		if tt.name == "released" {
			l.CreatedAt, l.ReleasedAt = time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC), tt.at
		}
		c, err := Ack(l, clinic, Answer{Hours: mustHours(tt.hours, eastern), SLA: 15 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.Text, "\n"+tt.want+"\n") || !strings.Contains(stdhtml.UnescapeString(c.HTML), ">"+tt.want+"<") {
			t.Errorf("%s: the acknowledgement does not say %q:\n%s", tt.name, tt.want, c.Text)
		}
	}
}

// TestBookingURL: with BOOKING_URL the acknowledgement offers the booking
// page (a link in HTML, the URL in text, escaped though it is the
// clinic's), and the alert tells staff it was offered; without, neither
// mentions it.
func TestBookingURL(t *testing.T) {
	ack, err := Ack(hostile(), booking, answer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ack.Text, "Prefer to pick a time yourself? Book online: https://book.example.com/new?clinic=7&src=ack\n") {
		t.Errorf("text part does not offer the booking page:\n%s", ack.Text)
	}
	if !strings.Contains(ack.HTML, `<a href="https://book.example.com/new?clinic=7&amp;src=ack" style="color:#0b57d0">Book online</a>`) {
		t.Errorf("HTML part does not link the booking page:\n%s", ack.HTML)
	}
	alert, err := Alert(hostile(), nil, booking, staffLink, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{alert.Text, stdhtml.UnescapeString(alert.HTML)} {
		if !strings.Contains(part, "Offered online booking (https://book.example.com/new?clinic=7&src=ack)") {
			t.Errorf("the alert does not say online booking was offered:\n%s", part)
		}
	}

	// A value no config check would pass still cannot break out of the href.
	odd := booking
	odd.BookingURL = `https://book.example.com/"><script>x</script>`
	ack, err = Ack(hostile(), odd, answer)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ack.HTML, "<script>") || strings.Contains(ack.HTML, `/">`) {
		t.Errorf("the booking URL escapes its attribute:\n%s", ack.HTML)
	}

	for _, c := range []Content{must(Ack(hostile(), clinic, answer)), must(Alert(hostile(), nil, clinic, staffLink, true))} {
		if strings.Contains(c.Text+c.HTML, "ook online") {
			t.Errorf("without BOOKING_URL an email mentions booking online:\n%s", c.Text)
		}
	}
}

func must(c Content, err error) Content {
	if err != nil {
		panic(err)
	}
	return c
}

func TestAckNeverEchoesVisitorText(t *testing.T) {
	for _, name := range []string{"http://spam.example/win Smith", "Buy@once now", "<a>Pat</a>", "Pat2000"} {
		l := hostile()
		l.Name = name
		c, err := Ack(l, clinic, answer)
		if err != nil {
			t.Fatal(err)
		}
		first := strings.Fields(name)[0]
		for _, part := range []string{c.Subject, c.Text, c.HTML} {
			if strings.Contains(part, first) || strings.Contains(part, "back hurts") || strings.Contains(part, "siobhan") {
				t.Errorf("name %q: the acknowledgement echoes visitor text:\n%s", name, part)
			}
		}
		if !strings.HasPrefix(c.Text, "Hello,\n") {
			t.Errorf("name %q: greeting %q, want a plain Hello", name, strings.SplitN(c.Text, "\n", 2)[0])
		}
	}
}

func golden(t *testing.T, name string, c Content) {
	t.Helper()
	for ext, got := range map[string]string{"subject.txt": c.Subject + "\n", "txt": c.Text, "html": c.HTML} {
		path := filepath.Join("testdata", name+"."+ext+".golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/render/emails -update to write it)", err)
		}
		if diff := cmp.Diff(got, string(want)); diff != "" {
			t.Errorf("%s (-got +want):\n%s", path, diff)
		}
	}
}

// injected is an address submit refuses now (mailto: parameters in its local
// part), as a lead stored before that may still hold it.
const injected = "x?bcc=attacker%40evil.example&subject=hi@example.com"

// checkMailtos fails for a mailto: link in html that writes to anything
// but want, or carries a parameter but subject (none when subject is "").
func checkMailtos(t *testing.T, html, want, subject string) {
	t.Helper()
	hrefs := mailtos(t, html)
	if len(hrefs) == 0 {
		t.Fatal("no mailto: link to check")
	}
	wantQuery := url.Values{}
	if subject != "" {
		wantQuery.Set("subject", subject)
	}
	for _, u := range hrefs {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || u.Fragment != "" || strings.ContainsAny(u.Opaque, "?&=#") || !cmp.Equal(q, wantQuery, cmpopts.EquateEmpty()) {
			t.Errorf("%s: carries mailto: parameters %v, want %v", u, q, wantQuery)
		}
		if to, err := url.PathUnescape(u.Opaque); err != nil || to != want {
			t.Errorf("%s writes to %q, want %q", u, to, want)
		}
	}
}

// mailtos are the mailto: links of html.
func mailtos(t *testing.T, html string) []*url.URL {
	t.Helper()
	var out []*url.URL
	for _, m := range regexp.MustCompile(`href="(mailto:[^"]*)"`).FindAllStringSubmatch(html, -1) {
		u, err := url.Parse(stdhtml.UnescapeString(m[1]))
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		out = append(out, u)
	}
	return out
}

// TestStoredMailtoInjectionIsInert: a lead stored before submit refused
// such addresses still renders a link to that one address, no Bcc or subject,
// in the alert and in the digest.
func TestStoredMailtoInjectionIsInert(t *testing.T) {
	l := hostile()
	l.Email, l.PreferredContact = injected, lead.ByEmail
	alert, err := Alert(l, nil, clinic, staffLink, false)
	if err != nil {
		t.Fatal(err)
	}
	checkMailtos(t, alert.HTML, injected, replySubject)

	byPhone := l
	byPhone.PreferredContact = lead.ByPhone // the address as "Or email ..."
	for _, ls := range [][]lead.Lead{{l}, {byPhone}} {
		digest, err := DigestEmail(Digest{At: received.Add(30 * time.Hour), EscalateAfter: 72 * time.Hour,
			NotTried: Section{Total: 1, Listed: items(ls...)}, Ways: Ways{Email: 1}}, clinic)
		if err != nil {
			t.Fatal(err)
		}
		checkMailtos(t, digest.HTML, injected, "")
	}
}
