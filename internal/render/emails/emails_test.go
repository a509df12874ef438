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

	"github.com/openclinic/leadhandler/internal/lead"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	eastern, _ = time.LoadLocation("America/New_York")
	clinic     = Clinic{Name: "Relief Physical Therapy & Pain Care", Phone: "(202) 555-0100", TimeZone: eastern}
	received   = time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
	staffLink  = StaffLink{
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
	}{
		{"alert-full", hostile(), false},
		{"alert-minimal", hostile(), true},
		{"alert-email-only", emailOnly, false},
		{"alert-text", texter, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Alert(tt.lead, clinic, staffLink, tt.minimal)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, got)
		})
	}
}

func TestAlertEscapesAndOmits(t *testing.T) {
	full, err := Alert(hostile(), clinic, staffLink, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<b>O'Brien", "& my back"} {
		if strings.Contains(full.HTML, bad) {
			t.Errorf("HTML part holds %q unescaped", bad)
		}
	}
	for _, want := range []string{`href="tel:&#43;12025550143"`, `href="mailto:siobhan%2Bpt@example.com"`, "Fri 27 Nov 2026, 9:20 AM EST", "&lt;script&gt;"} {
		if !strings.Contains(full.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	if !strings.Contains(full.Text, "<script>alert('x')</script> & my back hurts\nsince \"Tuesday\"") {
		t.Error("text part does not carry the reason as written")
	}

	minimal, err := Alert(hostile(), clinic, staffLink, true)
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
	c, err := Alert(l, clinic, staffLink, false)
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

func TestAckGolden(t *testing.T) {
	l := hostile()
	l.Name = "Siobhán O'Brien"
	got, err := Ack(l, clinic)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ack", got)
}

func TestAckNeverEchoesVisitorText(t *testing.T) {
	for _, name := range []string{"http://spam.example/win Smith", "Buy@once now", "<a>Pat</a>", "Pat2000"} {
		l := hostile()
		l.Name = name
		c, err := Ack(l, clinic)
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

// checkMailtos fails for a mailto: link in html that carries parameters, or
// that writes to anything but want.
func checkMailtos(t *testing.T, html, want string) {
	t.Helper()
	hrefs := regexp.MustCompile(`href="(mailto:[^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(hrefs) == 0 {
		t.Fatal("no mailto: link to check")
	}
	for _, m := range hrefs {
		href := stdhtml.UnescapeString(m[1])
		u, err := url.Parse(href)
		if err != nil {
			t.Fatalf("%s: %v", href, err)
		}
		if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Opaque, "?&=#") {
			t.Errorf("%s: carries mailto: parameters", href)
		}
		if to, err := url.PathUnescape(u.Opaque); err != nil || to != want {
			t.Errorf("%s writes to %q, want %q", href, to, want)
		}
	}
}

// TestStoredMailtoInjectionIsInert: a lead stored before submit refused
// such addresses still renders a link to that one address, no Bcc or subject,
// in the alert and in the digest.
func TestStoredMailtoInjectionIsInert(t *testing.T) {
	l := hostile()
	l.Email, l.PreferredContact = injected, lead.ByEmail
	alert, err := Alert(l, clinic, staffLink, false)
	if err != nil {
		t.Fatal(err)
	}
	checkMailtos(t, alert.HTML, injected)

	byPhone := l
	byPhone.PreferredContact = lead.ByPhone // the address as "Or email ..."
	for _, ls := range [][]lead.Lead{{l}, {byPhone}} {
		digest, err := DigestEmail(Digest{At: received.Add(30 * time.Hour), EscalateAfter: 72 * time.Hour,
			NotTried: Section{Total: 1, Listed: items(ls...)}, Ways: Ways{Email: 1}}, clinic)
		if err != nil {
			t.Fatal(err)
		}
		checkMailtos(t, digest.HTML, injected)
	}
}
