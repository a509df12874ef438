package staff

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/render/export"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// A patient's right of access and erasure, for the clinic's owners
// (docs/patients.md): GET /staff/patient?contact= answers everything stored
// about one contact as JSON; the form on a lead's page, POST
// /leads/{id}/erase, erases every request of the lead's contact. Both are
// audited with counts only, never the contact.

// confirmWord is what the erase form's confirm field must say.
const confirmWord = "erase"

// getPatient answers GET /staff/patient?contact=: every stored request of
// the contact (a phone number with its country code, or an email
// address), its held requests, as export.WritePatient writes them. The
// entry in the audit trail comes first: without it, no data.
func (h *Handler) getPatient(r *request) events.APIGatewayV2HTTPResponse {
	// Without a session, to the sign-in page and back here without the
	// query: the contact never rides the sign-in form's next field.
	q := r.RawQueryString
	r.RawQueryString = ""
	s, res := h.owner(r, "staff/patient")
	r.RawQueryString = q
	if res != nil {
		return *res
	}
	c, err := patient.ParseContact(r.QueryStringParameters["contact"])
	if err != nil {
		return h.jsonError(http.StatusBadRequest, "contact: "+err.Error())
	}
	rec, err := patient.Collect(r.ctx, h.store, h.signer.Keys(patient.Purpose), c, r.now)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	var buf bytes.Buffer
	if err := export.WritePatient(&buf, rec, r.now, h.cfg.TimeZone); err != nil {
		return h.storeProblem(r.log, err)
	}
	err = h.store.Audit(r.ctx, access.AuditEntry{At: r.now, Actor: s.actor(), Action: access.PatientExport, RequestID: r.id,
		Requests: len(rec.Leads), Expires: r.now.Add(h.cfg.AuditRetention)})
	if err != nil {
		r.log.Error("audit entry not written", "action", access.PatientExport, "err", err)
		return h.storeProblem(r.log, errors.New("audit trail unavailable"))
	}
	r.log.Info("patient's data exported", "requests", len(rec.Leads), "held", len(rec.Held), "gone", len(rec.Gone))
	return h.jsonBody(http.StatusOK, buf.String())
}

// jsonBody answers body as JSON, with the pages' headers (no-store, nosniff,
// the CSP).
func (h *Handler) jsonBody(status int, body string) events.APIGatewayV2HTTPResponse {
	res := h.render(status, view{})
	res.Headers["Content-Type"] = "application/json; charset=utf-8"
	res.Body = body
	return res
}

// jsonError answers {"error": msg}.
func (h *Handler) jsonError(status int, msg string) events.APIGatewayV2HTTPResponse {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.Encode(struct {
		Error string `json:"error"`
	}{msg})
	return h.jsonBody(status, buf.String())
}

// eraseView is the erase form on a lead's page (owners only).
type eraseView struct {
	URL   string // where it posts, relative to the page's URL
	Token string // the page's form token
}

// eraseForm is the erase form of lead id's page, whose other forms post to
// target, for session s: nil unless s is an owner's.
func (h *Handler) eraseForm(s access.Session, target, token string) *eraseView {
	if !h.isOwner(s) || target == "" {
		return nil
	}
	return &eraseView{URL: strings.TrimSuffix(target, "contacted") + "erase", Token: token}
}

// erasePart is the erase form, folded, last on the page.
func erasePart(b *markup.Builder, e *eraseView) {
	if e == nil {
		return
	}
	b.Add("\n<details>\n<summary>Erase this patient's data</summary>\n",
		`<p class="hint">Deletes every request of this patient's phone number and email address, their history, held copies and scheduled reminders. It cannot be undone; the audit trail keeps only that an erase happened.</p>`, "\n",
		`<form method="post" action="`, href(e.URL), `">`, "\n",
		`<input type="hidden" name="t" value="`, esc(e.Token), `">`, "\n",
		`<input type="hidden" name="action" value="`, confirmWord, `">`, "\n",
		`<label class="block" for="confirm">Type `, confirmWord, ` to confirm</label>`, "\n",
		`<input class="confirm" type="text" id="confirm" name="confirm" autocomplete="off" autocapitalize="none" spellcheck="false" required>`, "\n",
		`<button type="submit">Erase this patient's data</button>`, "\n</form>\n</details>")
}

// postErase answers POST /leads/{id}/erase: an owner erases every request
// of lead id's contact (patient.Collect), the lead itself even if the
// contact index does not name it, their response-guard schedules, and the
// held requests giving the contact; the audit trail records how many, and
// the lead's id, never the contact.
func (h *Handler) postErase(r *request, id string) events.APIGatewayV2HTTPResponse {
	log := r.log
	// Authorize as the attempt form does: a form from the clinic's own
	// pages, a session, the lead page's form token; then an owner's.
	form, refused := h.postedForm(r, "erase refused", "Not sent from the request's page",
		"Open the request from the inbox, and send the form from its page.")
	if refused != nil {
		return *refused
	}
	s, err := h.session(r)
	if err != nil {
		return h.storeProblem(log, err)
	}
	if s.kind == noSession {
		log.Info("erase refused", "reason", "no session")
		return h.problem(http.StatusForbidden, "Sign in to erase",
			"Nothing was erased: sign in, open the request from the inbox, then send the form.")
	}
	if !h.anyKey(r, purposeForm, func(k []byte) bool { return access.FormTokenOK(k, s.Hash, id, form.Get("t")) }) {
		log.Info("erase refused", "reason", "form token")
		return h.problem(http.StatusForbidden, "Not sent from the request's page",
			"Nothing was erased. Open the request again and send the form from its page.")
	}
	if !h.isOwner(s.Session) {
		log.Info("erase refused", "reason", "not an owner", "signedIn", s.kind == staffSession)
		return h.problem(http.StatusForbidden, "Owners only", "Nothing was erased: only the clinic's owners (OWNER_EMAILS) may erase a patient's data.")
	}
	if strings.TrimSpace(strings.ToLower(form.Get("confirm"))) != confirmWord {
		log.Info("erase refused", "reason", "not confirmed")
		return h.problem(http.StatusBadRequest, "Nothing was erased",
			"To erase this patient's data, type the word "+confirmWord+" in the box, then send the form again from the request's page.")
	}

	// Gather: the lead, and everything of its contact.
	l, err := h.store.Get(r.ctx, id, r.now)
	if err != nil {
		return h.storeProblem(log, err)
	}
	rec, err := patient.Collect(r.ctx, h.store, h.signer.Keys(patient.Purpose), patient.Of(l), r.now)
	if err != nil && !errors.Is(err, patient.ErrContact) { // a lead with no contact: itself alone
		return h.storeProblem(log, err)
	}
	e := rec.Erasure()
	requests := len(rec.Leads)
	if !slices.Contains(e.Leads, id) { // stored before the index, or not indexed yet
		e.Leads = append(e.Leads, id)
		requests++
	}

	// Erase: the schedules first (a nudge would find nothing, but need not
	// run), then the items.
	if h.guard != nil {
		for _, lid := range e.Leads {
			if err := h.guard.Disarm(r.ctx, lid); err != nil {
				log.Warn("response guard not deleted", "erased", lid, "err", err)
			}
		}
	}
	n, err := h.store.Erase(r.ctx, e)
	if err != nil {
		return h.storeProblem(log, err)
	}
	err = h.store.Audit(r.ctx, access.AuditEntry{At: r.now, Actor: s.actor(), Action: access.Erase, Lead: id, RequestID: r.id,
		Requests: requests, Items: n, Expires: r.now.Add(h.cfg.AuditRetention)})
	if err != nil { // the data is gone: the log line keeps the count
		log.Error("audit entry not written", "action", access.Erase, "requests", requests, "items", n, "err", err)
	}
	log.Info("patient's data erased", "requests", requests, "held", len(e.Held), "items", n)
	return h.render(http.StatusOK, view{Title: "Erased", Nav: h.nav(r, s.Session), Erased: &erasedView{
		Message: "Erased: " + present.Plural(requests, "request", "requests") + " and their history.", Inbox: r.up.to("staff")}})
}

// erasedView is the page an erase answers with.
type erasedView struct {
	Message, Inbox string
}

func erasedPart(b *markup.Builder, e *erasedView) {
	b.Add("\n", `<p class="msg" role="status">`, esc(e.Message), "</p>\n", `<p><a href="`, href(e.Inbox), `">Back to the inbox</a></p>`)
}
