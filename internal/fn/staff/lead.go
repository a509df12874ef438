package staff

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

// What a POST asks for: its form's `action` field.
const (
	actAttempt = "attempt"
	actCorrect = "correct"
	actReopen  = "reopen"
)

var actAudit = map[string]access.Action{actAttempt: access.Attempt, actCorrect: access.Correct, actReopen: access.Reopen}

// maxCallbackAhead bounds a call-back time staff pick.
const maxCallbackAhead = 90 * 24 * time.Hour

// historyShown is how many audit entries a lead's page lists.
const historyShown = 20

// getLead answers GET /leads/{id}: the lead's page, its view recorded in
// the audit trail, for a session that may open the lead. With the emailed
// link's token the route is openLeadLink's instead.
func (h *Handler) getLead(r *request, id string) events.APIGatewayV2HTTPResponse {
	if token := r.QueryStringParameters["t"]; token != "" {
		return h.openLeadLink(r, id, token)
	}
	// Authorize.
	s, err := h.sessionFor(r, scope(id))
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if s.kind == noSession {
		return h.toSignIn(r, "leads/"+id)
	}
	// Read the lead, and record the view: the page is not shown without it.
	l, err := h.store.Get(r.ctx, id, r.now)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if !h.audit(r, s.actor(), access.View, id) {
		return h.storeProblem(r.log, errors.New("audit trail unavailable"))
	}
	// Answer.
	r.log.Info("staff page shown", "status", l.Status, "signedIn", s.kind == staffSession)
	v := h.leadPage(r, s.Session, l, formAtPage(id))
	v.Message = h.saved(l, r.QueryStringParameters["saved"], r.now)
	return h.render(http.StatusOK, v)
}

// openLeadLink answers GET /leads/{id}?t=: it takes the emailed link's
// token for a session (STAFF_SIGNIN=inbox) and sends the browser to the
// same page without it, so the token never lingers in history or a
// Referer. A closed lead's link starts no session and shows its page
// read-only (closedByLink). With STAFF_SIGNIN=always a link only leads to
// signing in.
func (h *Handler) openLeadLink(r *request, id, token string) events.APIGatewayV2HTTPResponse {
	page := "./" + url.PathEscape(id)
	s, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if s.kind == staffSession {
		return h.seeOther(page)
	}
	if h.cfg.SignIn == config.SignInAlways {
		r.log.Info("link leads to sign-in", "signIn", h.cfg.SignIn)
		return h.toSignIn(r, "leads/"+id)
	}
	expires, err := h.signer.Verify(token, link.PurposeStaff, id, r.now, h.cfg.LinkTTL)
	// A key id this copy does not hold may be a version newer than its own.
	if errors.Is(err, link.ErrUnknownKey) && h.recheck(r) {
		expires, err = h.signer.Verify(token, link.PurposeStaff, id, r.now, h.cfg.LinkTTL)
	}
	if err != nil {
		return h.linkProblem(r, id, err)
	}
	// A closed lead's link opens no session: its page, read-only.
	l, err := h.store.Get(r.ctx, id, r.now)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if l.Status == lead.StatusClosed {
		return h.closedByLink(r, l)
	}
	cookie, err := h.takeLink(r, s, scope(id), expires)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	res := h.seeOther(page)
	res.Cookies = []string{cookie}
	return res
}

// postContacted answers POST /leads/{id}/contacted: it records what staff
// sent (an attempt, a correction or a reopening) over the version of the
// lead their page showed, so a form sent twice finds the lead moved on and
// records nothing; then 303 back to the page.
func (h *Handler) postContacted(r *request, id string) events.APIGatewayV2HTTPResponse {
	log := r.log
	// Authorize, in this order: a form from the clinic's own pages, a
	// session that may open the lead, and the form token its page gave (a
	// link's token, in the URL or the body, records nothing).
	form, refused := h.postedForm(r, "staff form refused", "Not sent from the request's page",
		"Open the request from the inbox or the clinic's email, and send the form from its page.")
	if refused != nil {
		return *refused
	}
	s, err := h.sessionFor(r, scope(id))
	if err != nil {
		return h.storeProblem(log, err)
	}
	if s.kind == noSession {
		log.Info("staff form refused", "reason", "no session")
		return h.problem(http.StatusForbidden, "Sign in to record this",
			"Nothing was recorded: open the request again from the inbox or the clinic's email, then send the form.")
	}
	if !h.anyKey(r, purposeForm, func(k []byte) bool { return access.FormTokenOK(k, s.Hash, id, form.Get("t")) }) {
		log.Info("staff form refused", "reason", "form token")
		return h.problem(http.StatusForbidden, "Not sent from the request's page",
			"Nothing was recorded. Open the request again and send the form from its page.")
	}

	// Read the form, against the lead as stored: a refused form comes back
	// on the lead's page as staff left it.
	in := entry{Action: form.Get("action"), Outcome: form.Get("outcome"), Channel: form.Get("channel"),
		Callback: form.Get("callback"), Note: form.Get("note"), Duplicates: form.Get("duplicates")}
	if in.Action == "" {
		in.Action = actAttempt
	}
	if !slices.Contains([]string{actAttempt, actCorrect, actReopen}, in.Action) {
		log.Info("staff form refused", "reason", "unknown action")
		return h.problem(http.StatusBadRequest, "Could not read the form", "Go back to the request's page and send the form again.")
	}
	log = log.With("action", in.Action)
	l, err := h.store.Get(r.ctx, id, r.now)
	if err != nil {
		return h.storeProblem(log, err)
	}
	if s.kind == linkSession && l.Status == lead.StatusClosed {
		// A closed lead is reopened or corrected signed in only.
		log.Info("staff form refused", "reason", "closed", "status", l.Status)
		h.audit(r, s.actor(), access.View, l.ID) // the page shows the lead as it is
		v := h.leadPage(r, s.Session, l, formAtPost)
		v.Message, v.Problem = "Nothing recorded: this request is closed.", true
		return h.render(http.StatusForbidden, v)
	}
	version, err := strconv.Atoi(form.Get("v"))
	if err != nil {
		// A page from before forms carried their version: send it again.
		in.Error = "This form was out of date. Check the request below and send it again."
		log.Info("staff form refused", "reason", "no version")
		return h.refused(r, s, l, in)
	}
	if version != l.Version {
		log.Info("staff form refused", "reason", "changed", "status", l.Status)
		return h.changed(r, s, l)
	}
	e, problem := h.event(in, r.now)
	if problem != "" {
		in.Error = problem
		log.Info("staff form refused", "reason", "bad form")
		return h.refused(r, s, l, in)
	}
	e.By = lead.ByLink
	if s.kind == staffSession {
		e.By = s.Email
	}

	// Apply, and store over the version read.
	next := l
	next.History = slices.Clone(l.History) // the lead as read stays as it was
	switch in.Action {
	case actAttempt:
		err = next.Record(e, h.cfg.Policy)
	case actCorrect:
		err = next.Correct(e, h.cfg.Policy)
	case actReopen:
		err = next.Reopen(e, h.cfg.Policy)
	}
	if err != nil {
		log.Info("staff form refused", "reason", err.Error(), "status", l.Status)
		return h.notNow(r, s, l, err)
	}
	saved, err := h.store.Progress(r.ctx, next, r.now)
	switch {
	case errors.Is(err, lead.ErrChanged):
		log.Info("staff form refused", "reason", "changed", "status", saved.Status)
		return h.changed(r, s, saved)
	case err != nil:
		return h.storeProblem(log, err)
	}

	// Audit, then tell the rest: the log, the bus, the metrics and the
	// response guard.
	h.audit(r, s.actor(), actAudit[in.Action], id)
	h.logSaved(log, in.Action, e, saved)
	h.publish(r, in.Action, l, saved)
	h.count(log, in.Action, e, l, saved)
	if h.guard != nil && l.Status == lead.StatusNew && saved.Status != lead.StatusNew {
		if err := h.guard.Disarm(r.ctx, id); err != nil {
			// The schedule fires, finds the attempt and sends nothing.
			log.Warn("response guard not deleted", "err", err)
		}
	}
	if in.Action == actAttempt && in.Duplicates == closeDuplicates {
		h.closeOlder(r, s, saved, e.By)
	}

	// Answer: 303 back to the page, so Back and reload never record twice.
	return h.seeOther("../" + url.PathEscape(id) + "?saved=" + in.Action)
}

// event reads staff's entry as the event it records, or says what is wrong
// with it.
func (h *Handler) event(in entry, now time.Time) (lead.Event, string) {
	e := lead.Event{At: now, By: lead.ByLink, Outcome: lead.Outcome(in.Outcome), Channel: lead.ChannelCall}
	if in.Action != actReopen && !slices.Contains(lead.Outcomes, e.Outcome) {
		return e, "Choose what came of it."
	}
	if in.Action == actAttempt && in.Channel != "" {
		if e.Channel = lead.Channel(in.Channel); !slices.Contains(lead.Channels, e.Channel) {
			return e, "Choose how you tried: call, text or email."
		}
	}
	note, problem := lead.CleanNote(in.Note)
	if problem != "" {
		return e, "The note: " + problem
	}
	e.Note = note
	if in.Callback != "" {
		at, err := time.ParseInLocation(callbackLayout, in.Callback, h.cfg.TimeZone)
		switch {
		case err != nil:
			return e, "The call-back time: give a date and a time, such as " + now.Add(24*time.Hour).In(h.cfg.TimeZone).Format(callbackLayout) + "."
		case !at.After(now):
			return e, "The call-back time has passed: pick a time from now on."
		case at.After(now.Add(maxCallbackAhead)):
			return e, "The call-back time: pick one within 90 days."
		}
		e.Callback = at.UTC()
	}
	return e, ""
}

// callbackLayout is an HTML datetime-local value, in the clinic's time zone.
const callbackLayout = "2006-01-02T15:04"

// notNow answers an action the lead's state refuses (lead.ErrClosed,
// ErrNotClosed, ErrNothingToCorrect) with 409 and the page as it is.
func (h *Handler) notNow(r *request, s session, l lead.Lead, err error) events.APIGatewayV2HTTPResponse {
	h.audit(r, s.actor(), access.View, l.ID) // the page shows the lead as it is
	v := h.leadPage(r, s.Session, l, formAtPost)
	v.Problem = true
	switch {
	case errors.Is(err, lead.ErrClosed):
		v.Message = "Nothing recorded: this request is closed (" + h.closedWords(l) + "). Reopen it below to record another attempt."
	case errors.Is(err, lead.ErrNotClosed):
		v.Message = "Nothing changed: this request is already open."
	case errors.Is(err, lead.ErrNothingToCorrect):
		v.Message = "Nothing changed: there is no attempt to correct since this request was opened."
	default: // lead.ErrBadEvent, which h.event rules out
		v.Message = "Nothing recorded: the form could not be read."
		return h.render(http.StatusBadRequest, v)
	}
	return h.render(http.StatusConflict, v)
}

// changed answers a form sent over a lead that has moved on since its page
// was rendered: 409 with the lead as it is now.
func (h *Handler) changed(r *request, s session, l lead.Lead) events.APIGatewayV2HTTPResponse {
	h.audit(r, s.actor(), access.View, l.ID) // the page shows the lead as it is
	v := h.leadPage(r, s.Session, l, formAtPost)
	v.Problem = true
	v.Message = "Nothing recorded: this request changed since the page was opened (perhaps this form was already sent). Here it is now."
	return h.render(http.StatusConflict, v)
}

// refused answers a form that cannot be recorded as sent with 400 and the
// page, the error beside the form and what staff entered kept.
func (h *Handler) refused(r *request, s session, l lead.Lead, in entry) events.APIGatewayV2HTTPResponse {
	h.audit(r, s.actor(), access.View, l.ID) // the page shows the lead as it is
	v := h.leadPage(r, s.Session, l, formAtPost)
	if f := v.Lead.form(in.Action); f != nil {
		f.keep(in)
		if p := v.Lead.Patient; p != nil && in.Action == actAttempt {
			p.Checked = in.Duplicates == closeDuplicates
		}
	} else { // the page no longer offers that form
		v.Message, v.Problem = in.Error, true
	}
	return h.render(http.StatusBadRequest, v)
}

func (h *Handler) logSaved(log *slog.Logger, action string, e lead.Event, l lead.Lead) {
	attrs := []any{"status", l.Status, "tries", l.Tries}
	if action != actReopen {
		attrs = append(attrs, "outcome", e.Outcome)
	}
	if action == actAttempt {
		attrs = append(attrs, "channel", e.Channel)
	}
	if l.Closed != "" {
		attrs = append(attrs, "closed", l.Closed)
	}
	if !l.FirstAttempt.IsZero() {
		attrs = append(attrs, "firstAttemptAfter", l.FirstAttempt.Sub(l.CreatedAt).Round(time.Second).String())
	}
	if !l.FirstReach.IsZero() {
		attrs = append(attrs, "firstReachAfter", l.FirstReach.Sub(l.CreatedAt).Round(time.Second).String())
	}
	msg := map[string]string{actAttempt: "attempt recorded", actCorrect: "outcome corrected", actReopen: "lead reopened"}[action]
	log.Info(msg, attrs...)
}

// publish puts what a stored change did on the LeadEvents bus: an attempt,
// and the lead's closing (by an attempt, a correction, or a correction of
// the close reason). Only ids, times, counts and words from lead's lists.
func (h *Handler) publish(r *request, action string, before, saved lead.Lead) {
	if h.events == nil {
		return
	}
	if action == actAttempt {
		h.events.Publish(r.ctx, bus.Event{Type: bus.AttemptRecorded, LeadID: saved.ID, At: r.now, Status: string(saved.Status),
			Outcome: string(saved.LatestOutcome()), Attempts: saved.Attempts()})
	}
	if saved.Status == lead.StatusClosed && (before.Status != lead.StatusClosed || before.Closed != saved.Closed) {
		h.events.Publish(r.ctx, bus.Event{Type: bus.Closed, LeadID: saved.ID, At: saved.ClosedAt, Status: string(saved.Status),
			Outcome: string(saved.Closed), Attempts: saved.Attempts()})
	}
}

// count writes what a stored change did to the metrics: an attempt by its
// outcome, the lead's closing by why, and the time to the first attempt
// and to the first reach when this change set them (in opening time, and
// plain).
func (h *Handler) count(log *slog.Logger, action string, e lead.Event, before, saved lead.Lead) {
	put := func(dims []string, values ...metric.Value) {
		if err := h.metrics.Put(dims, values...); err != nil {
			log.Warn("count", "err", err)
		}
	}
	if action == actAttempt {
		put([]string{string(e.Outcome)}, metric.Value{Def: metric.Attempts, Value: 1})
	}
	if saved.Status == lead.StatusClosed && (before.Status != lead.StatusClosed || before.Closed != saved.Closed) {
		put([]string{string(saved.Closed)}, metric.Value{Def: metric.LeadsClosed, Value: 1})
	}
	since := func(t time.Time, open, wall metric.Def) {
		put(nil, metric.Value{Def: open, Value: h.cfg.Hours.Between(saved.CreatedAt, t).Seconds()},
			metric.Value{Def: wall, Value: max(t.Sub(saved.CreatedAt).Seconds(), 0)})
	}
	if before.FirstAttempt.IsZero() && !saved.FirstAttempt.IsZero() {
		since(saved.FirstAttempt, metric.TimeToFirstAttempt, metric.TimeToFirstAttemptWallClock)
	}
	if before.FirstReach.IsZero() && !saved.FirstReach.IsZero() {
		since(saved.FirstReach, metric.TimeToFirstReach, metric.TimeToFirstReachWallClock)
	}
}

// closedByLink answers a valid link to a closed lead: its page, with no
// form (a link never reopens or corrects a request; signed-in staff do),
// its view recorded, and no session started.
func (h *Handler) closedByLink(r *request, l lead.Lead) events.APIGatewayV2HTTPResponse {
	if !h.audit(r, access.ByLink, access.View, l.ID) {
		return h.storeProblem(r.log, errors.New("audit trail unavailable"))
	}
	r.log.Info("staff page shown read-only", "status", l.Status, "reason", "closed")
	v := h.leadPage(r, access.Session{}, l, "")
	v.Nav = nil // no session: nothing to sign out of
	return h.render(http.StatusOK, v)
}

// linkProblem answers a forged, tampered, other-lead or expired link token
// with a 403 page. An expired token's signature is still genuine, so it may
// learn that its lead is closed; never any patient detail.
func (h *Handler) linkProblem(r *request, id string, err error) events.APIGatewayV2HTTPResponse {
	if errors.Is(err, link.ErrExpired) {
		l, err := h.store.Get(r.ctx, id, r.now)
		if err != nil {
			return h.storeProblem(r.log, err)
		}
		r.log.Info("link refused: expired", "status", l.Status)
		if l.Status == lead.StatusClosed {
			return h.problem(http.StatusForbidden, "This request is closed",
				"This request is closed ("+h.closedWords(l)+"). Sign in to reopen or correct it.")
		}
		return h.problem(http.StatusForbidden, "This link has expired",
			"Use the link in a newer email (the daily follow-up sends fresh ones for every request still waiting), or sign in to see the inbox.")
	}
	r.log.Info("link refused: invalid")
	return h.problem(http.StatusForbidden, "This link is not valid",
		"Open the request from the link in the clinic's email, unchanged, or sign in to see the inbox.")
}
