package emails

import (
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/lead"
)

// digestAt is the fixture's run: 8:00 in New York.
var digestAt = time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)

// patient is a lead as the digest sees it: hostile()'s, with its own name,
// contacts and preference, created age before digestAt.
func patient(name, phone, display, email string, prefers lead.ContactMethod, when lead.TimeSlot, age time.Duration) lead.Lead {
	l := hostile()
	l.ID = fmt.Sprintf("id-%08x", crc32.ChecksumIEEE([]byte(name)))
	l.Name, l.Phone, l.PhoneDisplay, l.Email = name, phone, display, email
	l.PreferredContact, l.PreferredTime, l.CreatedAt = prefers, when, digestAt.Add(-age)
	return l
}

func alerted(l lead.Lead) lead.Lead {
	l.Alert = &lead.Delivery{At: l.CreatedAt.Add(2 * time.Second), MessageID: "m"}
	return l
}

// open is l tried tries times (none reaching the patient), with a
// call-back due at due.
func open(l lead.Lead, tries int, due time.Time) lead.Lead {
	l = alerted(l)
	l.Status, l.Tries, l.Callback = lead.StatusOpen, tries, due
	for i := range tries {
		l.History = append(l.History, lead.Event{At: l.CreatedAt.Add(time.Duration(i+1) * time.Hour), Kind: lead.EventAttempt, Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: lead.ByLink})
	}
	return l
}

func items(ls ...lead.Lead) []Item {
	var out []Item
	for _, l := range ls {
		out = append(out, Item{Lead: l, Link: StaffLink{URL: "https://api.example-clinic.com/leads/" + l.ID + "?t=tok", Expires: digestAt.Add(14 * 24 * time.Hour)}})
	}
	return out
}

// digestFixture has all five sections; patients who want a call, a text
// and an email; two Marias; national-format phones (and one from abroad).
func digestFixture() Digest {
	ny := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, eastern) }
	unreachable := patient("Dana Whitfield", "+12025550199", "(202) 555-0199", "", lead.ByText, lead.Evening, 6*24*time.Hour)
	unreachable = open(unreachable, 4, time.Time{})
	unreachable.Status, unreachable.Closed, unreachable.ClosedAt, unreachable.Unreported = lead.StatusClosed, lead.ClosedUnreachable, ny(26, 16, 10), true
	// Reached on the 21st, then not again in four tries.
	lapsed := open(patient("Lee Okafor", "+12025550176", "(202) 555-0176", "lee@example.com", lead.ByPhone, lead.AnyTime, 9*24*time.Hour), 4, time.Time{})
	lapsed.Status, lapsed.Closed, lapsed.ClosedAt, lapsed.Unreported = lead.StatusClosed, lead.ClosedNotReachedAgain, ny(26, 17, 45), true
	lapsed.FirstReach = ny(21, 10, 0)
	return Digest{
		At:            digestAt,
		EscalateAfter: 72 * time.Hour,
		Overdue: Section{Total: 2, Listed: items(
			patient("<b>Siobhán</b> O'Brien", "+12025550143", "(202) 555-0143", "", lead.ByPhone, lead.Morning, 98*time.Hour),
			open(patient("Maria Garcia", "+12025550143", "(202) 555-0143", "maria@example.com", lead.ByText, lead.Afternoon, 80*time.Hour), 2, ny(27, 11, 0)),
		)},
		NotTried: Section{Total: 4, Listed: items(
			alerted(patient("Maria Gómez", "+13125550187", "(312) 555-0187", "maria.gomez+pt@example.com", lead.ByEmail, lead.AnyTime, 30*time.Hour)),
			alerted(patient("山田 太郎", "", "", "taro@example.jp", lead.ByEmail, lead.AnyTime, 26*time.Hour)),
		)},
		Due: Section{Total: 1, Listed: items(
			open(patient("Pat & Co", "+442079460958", "+44 20 7946 0958", "pat@example.com", lead.ByPhone, lead.Evening, 50*time.Hour), 1, ny(26, 14, 0)),
		)},
		Unreachable:     Section{Total: 1, Listed: items(unreachable)},
		NotReachedAgain: Section{Total: 1, Listed: items(lapsed)},
		// The two not-tried leads left unlisted want a call and a text.
		Ways:     Ways{Call: 3, Text: 2, Email: 2},
		Headline: "Yesterday: 7 requests, median first call 38 min, 3 within 5 minutes, 2 booked.",
		Held:     3,
		HeldLink: StaffLink{URL: "https://api.example-clinic.com/staff/held?t=tok", Expires: digestAt.Add(72 * time.Hour)},
		InboxURL: "https://api.example-clinic.com/staff",
	}
}

func TestDigestGolden(t *testing.T) {
	got, err := DigestEmail(digestFixture(), clinic)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digest", got)
	if want := "7 appointment requests to follow up: 3 to call, 2 to text, 2 to email (2 overdue); 1 closed as unreachable; 1 closed as not reached again; 3 held as likely spam"; got.Subject != want {
		t.Errorf("subject %q, want %q", got.Subject, want)
	}
	if strings.Contains(got.HTML, "<b>Siobhán") || !strings.Contains(got.HTML, "&lt;b&gt;Siobhán&lt;/b&gt;") || strings.Contains(got.HTML, "Pat & Co") {
		t.Error("a name reached the HTML part unescaped")
	}
	for _, want := range []string{
		`href="tel:&#43;12025550143" style="color:#0b57d0;font-weight:600">Call (202) 555-0143</a> in the morning`,
		`href="sms:&#43;12025550143" style="color:#0b57d0;font-weight:600">Text (202) 555-0143</a> in the afternoon`,
		`href="mailto:maria.gomez%2Bpt@example.com" style="color:#0b57d0;font-weight:600">Email maria.gomez&#43;pt@example.com</a> at any time`,
		`Or call <a href="tel:&#43;13125550187"`,
		"Maria G. (…43), waiting 3 days 8 hours", "Maria G. (…87), waiting 1 day 6 hours", "Call (202) 555-0143 in the morning",
		"Call-back due Fri 27 Nov 2026, 11:00 AM EST; 2 tries so far", "Call-back was due Thu 26 Nov 2026, 2:00 PM EST; 1 try so far",
		"Alert: never went out", "Closed Thu 26 Nov 2026, 4:10 PM EST after 4 tries, never reached", "and 2 more not tried yet.",
		"Closed Thu 26 Nov 2026, 5:45 PM EST: reached before, then not again in 4 tries",
		"== Closed as unreachable since the last digest (1) ==", "== Closed as not reached again since the last digest (1) ==",
		"1 request was closed as unreachable since the last digest.", "1 request was closed as not reached again since the last digest.",
		"3 requests are held as likely spam", `<a href="https://api.example-clinic.com/staff/held?t=tok"`,
		"Review: https://api.example-clinic.com/staff/held?t=tok",
		// "and N more" leads to the inbox, and so does the footer.
		"...and 2 more not tried yet.\n  Inbox: https://api.example-clinic.com/staff\n",
		`&hellip;and 2 more not tried yet. <a href="https://api.example-clinic.com/staff"`,
		"Every open request is in the inbox:\nhttps://api.example-clinic.com/staff\n",
		`Every open request is in <a href="https://api.example-clinic.com/staff"`,
	} {
		if !strings.Contains(got.HTML, want) && !strings.Contains(got.Text, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	for _, part := range []string{got.Subject, got.Text, got.HTML} {
		if strings.Contains(part, "back hurts") || strings.Contains(part, "script") {
			t.Error("the digest carries a reason for the visit")
		}
		if strings.Contains(part, "Siobhán O") || strings.Contains(part, "Whitfield") || strings.Contains(part, "Okafor") {
			t.Error("the digest carries a last name it did not need")
		}
	}
}

func TestDigestSubject(t *testing.T) {
	full := digestFixture()
	texter := open(patient("Pat Ruiz", "+12025550143", "(202) 555-0143", "", lead.ByText, lead.Evening, 50*time.Hour), 1, digestAt)
	text := func(d *Digest) {
		d.Overdue, d.NotTried, d.Due, d.Unreachable, d.NotReachedAgain = Section{}, Section{}, Section{Total: 1, Listed: items(texter)}, Section{}, Section{}
		d.Ways = Ways{Text: 1}
	}
	tests := []struct {
		name   string
		change func(*Digest)
		want   string
	}{
		{"one to text", text, "1 appointment request to follow up: 1 to text"},
		{"only held", func(d *Digest) {
			d.Overdue, d.NotTried, d.Due, d.Unreachable, d.NotReachedAgain, d.Ways, d.Held = Section{}, Section{}, Section{}, Section{}, Section{}, Ways{}, 1
		}, "1 request held as likely spam"},
		{"held past what a count reads", func(d *Digest) {
			d.Overdue, d.NotTried, d.Due, d.Unreachable, d.NotReachedAgain, d.Ways, d.Held, d.HeldMore = Section{}, Section{}, Section{}, Section{}, Section{}, Ways{}, lead.HeldShown, true
		}, "100 or more requests held as likely spam"},
		{"one to text, held past what a count reads", func(d *Digest) {
			text(d)
			d.Held, d.HeldMore = lead.HeldShown, true
		}, "1 appointment request to follow up: 1 to text; 100 or more held as likely spam"},
		{"only unreachable", func(d *Digest) {
			d.Overdue, d.NotTried, d.Due, d.NotReachedAgain, d.Ways = Section{}, Section{}, Section{}, Section{}, Ways{}
		}, "1 appointment request closed as unreachable"},
		{"only not reached again", func(d *Digest) {
			d.Overdue, d.NotTried, d.Due, d.Unreachable, d.Ways = Section{}, Section{}, Section{}, Section{}, Ways{}
		}, "1 appointment request closed as not reached again"},
		{"none overdue, one unreachable", func(d *Digest) {
			text(d)
			d.Unreachable = full.Unreachable
		}, "1 appointment request to follow up: 1 to text; 1 closed as unreachable"},
		{"all overdue, by email", func(d *Digest) {
			d.NotTried, d.Due, d.Unreachable, d.NotReachedAgain, d.Ways = Section{}, Section{}, Section{}, Section{}, Ways{Email: 2}
		}, "2 appointment requests to follow up: 2 to email (2 overdue)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := digestFixture()
			d.Held = 0
			tt.change(&d)
			got, err := DigestEmail(d, clinic)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != tt.want {
				t.Errorf("subject %q, want %q", got.Subject, tt.want)
			}
			if strings.Contains(got.Text, "...and ") {
				t.Error("\"and N more\" with nothing left out")
			}
		})
	}
}

func TestNamesToldApart(t *testing.T) {
	mk := func(name, phone string) lead.Lead {
		return patient(name, phone, "", "", lead.ByPhone, lead.Morning, time.Hour)
	}
	tests := []struct {
		name     string
		sections [][]lead.Lead
		want     []string
	}{
		{"different first names", [][]lead.Lead{{mk("Maria Garcia", "+12025550143"), mk("Ana Garcia", "+12025550143")}}, []string{"Maria", "Ana"}},
		{"the same first name across sections, any case", [][]lead.Lead{{mk("Maria Garcia", "+12025550143")}, {mk("maria lópez", "+12025550107"), mk("Ana Ruiz", "")}},
			[]string{"Maria G. (…43)", "maria L. (…07)", "Ana"}},
		{"no last name, no phone", [][]lead.Lead{{mk("Cher", ""), mk("Cher Sarkisian", "")}}, []string{"Cher", "Cher S."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sections [][]Item
			var order []string
			for _, s := range tt.sections {
				sections = append(sections, items(s...))
				for _, l := range s {
					order = append(order, l.ID)
				}
			}
			who := names(sections...)
			var got []string
			for _, id := range order {
				got = append(got, who[id])
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("names (-got +want):\n%s", diff)
			}
		})
	}
}
