// Package present is how times, ages, phone links and alert status are
// shown to clinic staff, in emails and on pages.
package present

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/markup"
)

// FormatTime says t in loc as emails and pages show times.
func FormatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 3:04 PM MST")
}

// Age says a duration as people do: "5 hours", "1 day 3 hours".
func Age(d time.Duration) string {
	hours := int(d / time.Hour)
	days, hours := hours/24, hours%24
	switch {
	case days == 0 && hours == 0:
		return "less than an hour"
	case days == 0:
		return Plural(hours, "hour", "hours")
	case hours == 0:
		return Plural(days, "day", "days")
	}
	return Plural(days, "day", "days") + " " + Plural(hours, "hour", "hours")
}

// Plural counts n of a thing: "1 hour", "3 hours".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// e164 is whether phone looks like a stored number: + and 6 to 15 digits,
// the first not 0 (a regexp compiled at every cold start would do the same).
func e164(phone string) bool {
	if len(phone) < 7 || len(phone) > 16 || phone[0] != '+' || phone[1] == '0' {
		return false
	}
	for i := 1; i < len(phone); i++ {
		if phone[i] < '0' || phone[i] > '9' {
			return false
		}
	}
	return true
}

// Tel is the tel: link to phone, or "" (no link) when phone is not an E.164
// number: the URL is trusted (markup.URL), so nothing else may reach it.
func Tel(phone string) markup.URL {
	if !e164(phone) {
		return ""
	}
	return markup.URL("tel:" + phone)
}

// SMS is the sms: link to phone, or "" when phone is not an E.164 number
// (the same gate as Tel).
func SMS(phone string) markup.URL {
	if !e164(phone) {
		return ""
	}
	return markup.URL("sms:" + phone)
}

// Mailto is the mailto: link to a plain address, every character but
// letters, digits, - . _ ~ and the @ before the domain percent-encoded: a +
// would otherwise read as a space, and ? & = # as the link's parameters (a
// hidden Bcc, a subject), which a lead stored before submit refused them
// may still hold. "" for anything that is not one address.
func Mailto(email string) markup.URL {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		return ""
	}
	at := strings.LastIndexByte(email, '@')
	return markup.URL("mailto:" + percent(email, at))
}

// MailtoSubject is Mailto with a subject: the one parameter, never a body
// (a staff link written into a body would reach the patient), or "" as
// Mailto.
func MailtoSubject(email, subject string) markup.URL {
	to := Mailto(email)
	if to == "" {
		return ""
	}
	return to + markup.URL("?subject="+percent(subject, -1))
}

// percent encodes every byte of s but letters, digits, - . _ ~ and the one
// at keep (RFC 6068: a space is %20, never +).
func percent(s string, keep int) string {
	var b strings.Builder
	for i, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~", c) >= 0, i == keep:
			b.WriteByte(c)
		default:
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

// PlainFirstName is the first name of l as a subject line or a greeting
// may show it, or "" when it is not a plain name: letters, combining marks,
// hyphens and apostrophes only. Mail and text apps make links of anything
// with a dot or a slash, so visitor text like "clinic-login.example.net/verify"
// would arrive as a link from the clinic's own sender; body text, escaped,
// may show the name as written.
func PlainFirstName(l lead.Lead) string {
	n := l.FirstName()
	if n == "" {
		return ""
	}
	for _, r := range n {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Mc, r) && r != '-' && r != '\'' && r != '’' {
			return ""
		}
	}
	return n
}

// Phone is the lead's number as people read it: as stored at submit
// (national format in the clinic's region), or E.164 for a lead stored
// before that was kept.
func Phone(l lead.Lead) string {
	if l.PhoneDisplay != "" {
		return l.PhoneDisplay
	}
	return l.Phone
}

// Reach is how staff reach a patient the way they asked: the verb ("Call",
// "Text", "Email"), what to use (the phone as people read it, or the
// address) and its link ("" when the value cannot be linked).
type Reach struct {
	Verb, To string
	Href     markup.URL
}

// ReachFor is how the patient of l asked to be reached, or the other way
// they gave when the one they prefer is missing.
func ReachFor(l lead.Lead) Reach {
	byPhone := l.PreferredContact != lead.ByEmail && l.Phone != ""
	switch {
	case byPhone && l.PreferredContact == lead.ByText:
		return Reach{"Text", Phone(l), SMS(l.Phone)}
	case byPhone || l.Email == "":
		return Reach{"Call", Phone(l), Tel(l.Phone)}
	}
	return Reach{"Email", l.Email, Mailto(l.Email)}
}

// LeadAlert is AlertStatus for l, or, for a lead whose alert notify held
// back because ALERT_LIMIT was used up, "held back by the alert limit
// <time>".
func LeadAlert(l lead.Lead, loc *time.Location) string {
	if l.Alert == nil && !l.AlertHeld.IsZero() {
		return "held back by the alert limit " + FormatTime(l.AlertHeld, loc)
	}
	return AlertStatus(l.Alert, loc)
}

// AlertStatus says whether the clinic's alert about a lead went out, and
// when, in loc.
func AlertStatus(alert *lead.Delivery, loc *time.Location) string {
	if alert == nil {
		return "never went out"
	}
	// What SES reported comes first: a bounce matters more than a delivery
	// to another of the clinic's addresses.
	var s string
	switch alert.Problem {
	case lead.MailBounced:
		s = "bounced " + FormatTime(alert.ProblemAt, loc)
		if alert.BounceType != "" {
			s += " (" + strings.TrimSuffix(alert.BounceType+", "+alert.BounceSubType, ", ") + ")"
		}
	case lead.MailRejected:
		s = "rejected by SES " + FormatTime(alert.ProblemAt, loc)
	case lead.MailComplained:
		s = "marked as spam " + FormatTime(alert.ProblemAt, loc)
	}
	switch {
	case s != "" && !alert.DeliveredAt.IsZero():
		return s + ", after delivery " + FormatTime(alert.DeliveredAt, loc)
	case s != "":
		return s
	case !alert.DeliveredAt.IsZero():
		return "delivered " + FormatTime(alert.DeliveredAt, loc)
	case alert.Problem == lead.MailDelayed:
		return "sent " + FormatTime(alert.At, loc) + ", delivery delayed"
	}
	return "sent " + FormatTime(alert.At, loc)
}
