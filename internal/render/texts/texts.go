// Package texts words the clinic's short texts, which internal/adapter/sms
// sends to STAFF_SMS: the alert, the response guard's nudge, an alert that
// bounced. A text names a lead by first name and request number and
// carries the signed staff link: never the email, the phone or the reason.
package texts

import (
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/emails"
)

// Alert is the text of a new lead's alert.
func Alert(clinic, firstName, id, link string) string {
	return clinic + ": new request " + lead.RequestNumber(id) + " from " + name(firstName) + ". " + link
}

// Nudge is the response guard's text: the lead waited this long unanswered.
func Nudge(clinic, id string, waited time.Duration, link string) string {
	return clinic + ": request " + lead.RequestNumber(id) + " from " + emails.Waited(waited) + " ago has not been answered. " + link
}

// Bounced is the text of an alert email that did not arrive.
func Bounced(clinic, firstName, id, link string) string {
	return clinic + ": the alert email for request " + lead.RequestNumber(id) + " from " + name(firstName) + " did not arrive. " + link
}

func name(first string) string {
	if first == "" {
		return "a visitor"
	}
	return first
}
