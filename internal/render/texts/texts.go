// Package texts words the clinic's short texts, which internal/adapter/sms
// sends to STAFF_SMS: the alert, the response guard's nudge, an alert that
// bounced; and the text back to a patient (Patient). A text names a lead by its request number only (the nudge only
// counts requests) and carries a signed staff link: never a name, the
// email, the phone or the reason. A text shows on a locked phone, and a
// phone makes a link of any visitor text that looks like one.
package texts

import (
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
)

// Alert is the text of a new lead's alert.
func Alert(clinic, id, link string) string {
	return clinic + ": new request " + lead.RequestNumber(id) + ". " + link
}

// Nudge is the response guard's text: how many requests wait unanswered,
// and one link: the request's signed page for one, else the inbox.
func Nudge(clinic string, n emails.Nudge) string {
	link := n.Inbox
	if n.Total == 1 && len(n.Listed) == 1 {
		link = n.Listed[0].Link.URL
	}
	return clinic + ": " + n.Headline() + ", not answered yet. " + link
}

// Bounced is the text of an alert email that did not arrive.
func Bounced(clinic, id, link string) string {
	return clinic + ": the alert email for request " + lead.RequestNumber(id) + " did not arrive. " + link
}

// Patient is the one text back to a patient who asked for texts
// (PATIENT_SMS): the clinic's name, when to expect its answer
// (present.Expect), the booking link when there is one (BOOKING_URL), and
// how to opt out (End User Messaging SMS keeps the opt-outs). Nothing of
// the patient's: not their name, nor anything they typed.
func Patient(clinic, when, booking string) string {
	t := clinic + ": thanks for your request. " + when
	if booking != "" {
		t += " Prefer to pick a time yourself? Book online: " + booking
	}
	return t + " Reply STOP to opt out."
}
