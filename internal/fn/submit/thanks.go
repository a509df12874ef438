package submit

import (
	"strings"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// thanks is what the thank-you says: when to expect the clinic's answer
// (present.Expect, from OPENING_HOURS, TIME_ZONE and RESPONSE_SLA), in the
// way the visitor asked to be contacted, and the clinic's phone. It is
// computed only from the configuration, the time the request was taken and
// the contact method (one of three words): nothing the visitor typed.
// The redirect of a plain post carries only when (expect): the page knows
// its clinic's phone.
func (h *Handler) thanks(at time.Time, how lead.ContactMethod) (when, msg string) {
	when = present.Expect(h.cfg.Hours, h.cfg.SLA, at, how)
	if h.cfg.ClinicPhone != "" {
		return when, when + " Need us sooner? Call " + h.cfg.ClinicPhone + "."
	}
	return when, when
}

// contactOf is how a submission asked to be contacted, as lead.Normalize
// reads it: for a trapped request, which was not read as a lead, so its
// answer is computed the same way as a stored one's.
func contactOf(s lead.Submission) lead.ContactMethod {
	switch m := lead.ContactMethod(strings.TrimSpace(s.PreferredContact)); m {
	case lead.ByPhone, lead.ByEmail, lead.ByText:
		return m
	}
	if strings.TrimSpace(s.Phone) == "" && strings.TrimSpace(s.Email) != "" {
		return lead.ByEmail
	}
	return lead.ByPhone
}
