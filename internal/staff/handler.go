// Package staff is the front desk's call-back page behind the link in the
// clinic's emails: GET shows a lead and never changes anything (mail
// scanners open every link); POST records an attempt to reach the patient,
// corrects the latest outcome or reopens a closed lead, then answers 303
// back to the page, so Back and reload never record twice.
package staff

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/logging"
)

// Store is what the staff pages need of the lead store.
type Store interface {
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error)
}

// maxForm bounds a POSTed form: a note of lead.MaxNote characters, each up
// to 4 bytes of UTF-8 percent-encoded, and a few short fields.
const maxForm = 16 << 10

// What a POST asks for: its form's `action` field.
const (
	actAttempt = "attempt"
	actCorrect = "correct"
	actReopen  = "reopen"
)

// maxCallbackAhead bounds a call-back time staff pick.
const maxCallbackAhead = 90 * 24 * time.Hour

// Handler answers GET /leads/{id} and POST /leads/{id}/contacted.
type Handler struct {
	cfg    config.Staff
	store  Store
	signer *link.Signer
	log    *slog.Logger
	now    func() time.Time
}

// New returns a handler.
func New(cfg config.Staff, store Store, signer *link.Signer, log *slog.Logger, now func() time.Time) *Handler {
	return &Handler{cfg: cfg, store: store, signer: signer, log: log, now: now}
}

// Handle answers one request, always with an HTML page (or a 303 to one).
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	id, posting := route(req)
	log := h.log.With("requestId", logging.RequestID(ctx, req.RequestContext.RequestID), "leadId", id)
	method := req.RequestContext.HTTP.Method
	switch {
	case id == "":
		return h.problem(http.StatusNotFound, "Not found", "There is no such page."), nil
	case posting && method == http.MethodPost:
		return h.post(ctx, log, req, id), nil
	case !posting && (method == http.MethodGet || method == http.MethodHead):
		return h.show(ctx, log, req, id), nil
	}
	res := h.problem(http.StatusMethodNotAllowed, "Not allowed", "Open the link from the email instead.")
	res.Headers["Allow"] = map[bool]string{true: http.MethodPost, false: "GET, HEAD"}[posting]
	return res, nil
}

func (h *Handler) show(ctx context.Context, log *slog.Logger, req events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPResponse {
	token := req.QueryStringParameters["t"]
	now := h.now()
	if res, ok := h.checkToken(ctx, log, token, id, now); !ok {
		return res
	}
	l, err := h.store.Get(ctx, id, now)
	if err != nil {
		return h.storeProblem(log, err)
	}
	log.Info("staff page shown", "status", l.Status)
	v := h.leadPage(l, token, formAtPage(id), now)
	v.Message = h.saved(l, req.QueryStringParameters["saved"], now)
	return h.render(http.StatusOK, v)
}

// post records what staff sent, over the version of the lead their page
// showed (the form's v): a form sent twice finds the lead moved on, and
// records nothing.
func (h *Handler) post(ctx context.Context, log *slog.Logger, req events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPResponse {
	// A form another site's page sends (its browser says so) never records
	// anything, whatever it carries.
	if req.Headers["sec-fetch-site"] == "cross-site" {
		log.Info("staff form refused", "reason", "cross-site")
		return h.problem(http.StatusForbidden, "Not sent from the request's page",
			"Nothing was recorded: forms from other sites are refused. Open the request from the clinic's email.")
	}
	form, ok := readForm(req)
	if !ok {
		return h.problem(http.StatusBadRequest, "Could not read the form", "Go back to the request's page and send the form again.")
	}
	// The token comes in the page's form only: a link (a URL with ?t=)
	// opens the page, it never records anything.
	token := form.Get("t")
	now := h.now()
	if res, ok := h.checkToken(ctx, log, token, id, now); !ok {
		return res
	}
	in := entry{Action: form.Get("action"), Outcome: form.Get("outcome"), Channel: form.Get("channel"),
		Callback: form.Get("callback"), Note: form.Get("note")}
	if in.Action == "" {
		in.Action = actAttempt
	}
	if !slices.Contains([]string{actAttempt, actCorrect, actReopen}, in.Action) {
		log.Info("staff form refused", "reason", "unknown action")
		return h.problem(http.StatusBadRequest, "Could not read the form", "Go back to the request's page and send the form again.")
	}
	log = log.With("action", in.Action)
	l, err := h.store.Get(ctx, id, now)
	if err != nil {
		return h.storeProblem(log, err)
	}
	version, err := strconv.Atoi(form.Get("v"))
	if err != nil {
		// A page from before forms carried their version: send it again.
		in.Error = "This form was out of date. Check the request below and send it again."
		log.Info("staff form refused", "reason", "no version")
		return h.refused(http.StatusBadRequest, l, token, in, now)
	}
	if version != l.Version {
		log.Info("staff form refused", "reason", "changed", "status", l.Status)
		return h.changed(l, token, now)
	}
	e, problem := h.event(in, now)
	if problem != "" {
		in.Error = problem
		log.Info("staff form refused", "reason", "bad form")
		return h.refused(http.StatusBadRequest, l, token, in, now)
	}

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
		return h.notNow(l, token, err, now)
	}
	saved, err := h.store.Progress(ctx, next, now)
	switch {
	case errors.Is(err, lead.ErrChanged):
		log.Info("staff form refused", "reason", "changed", "status", saved.Status)
		return h.changed(saved, token, now)
	case err != nil:
		return h.storeProblem(log, err)
	}
	h.logSaved(log, in.Action, e, saved)
	return h.seeOther(id, token, in.Action)
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
func (h *Handler) notNow(l lead.Lead, token string, err error, now time.Time) events.APIGatewayV2HTTPResponse {
	v := h.leadPage(l, token, formAtPost, now)
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
func (h *Handler) changed(l lead.Lead, token string, now time.Time) events.APIGatewayV2HTTPResponse {
	v := h.leadPage(l, token, formAtPost, now)
	v.Problem = true
	v.Message = "Nothing recorded: this request changed since the page was opened (perhaps this form was already sent). Here it is now."
	return h.render(http.StatusConflict, v)
}

// refused answers a form that cannot be recorded as sent, with the page,
// the error beside the form and what staff entered kept.
func (h *Handler) refused(status int, l lead.Lead, token string, in entry, now time.Time) events.APIGatewayV2HTTPResponse {
	v := h.leadPage(l, token, formAtPost, now)
	if f := v.Lead.form(in.Action); f != nil {
		f.keep(in)
	} else { // the page no longer offers that form
		v.Message, v.Problem = in.Error, true
	}
	return h.render(status, v)
}

// seeOther sends the browser back to the lead's page (POST/redirect/GET),
// relative to the POST's own URL so it holds behind any base path.
func (h *Handler) seeOther(id, token, action string) events.APIGatewayV2HTTPResponse {
	loc := "../" + url.PathEscape(id) + "?t=" + url.QueryEscape(token) + "&saved=" + action
	res := h.render(http.StatusSeeOther, view{Title: "Saved", Message: "Saved."})
	res.Headers["Location"] = loc
	return res
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

// checkToken answers a missing, forged, tampered, other-lead or expired
// token with a 403 page. An expired token's signature is still genuine, so
// it may learn that its lead is closed; never any patient detail.
func (h *Handler) checkToken(ctx context.Context, log *slog.Logger, token, id string, now time.Time) (events.APIGatewayV2HTTPResponse, bool) {
	_, err := h.signer.Verify(token, link.PurposeStaff, id, now, h.cfg.LinkTTL)
	switch {
	case err == nil:
		return events.APIGatewayV2HTTPResponse{}, true
	case errors.Is(err, link.ErrExpired):
		l, err := h.store.Get(ctx, id, now)
		if err != nil {
			return h.storeProblem(log, err), false
		}
		log.Info("link refused: expired", "status", l.Status)
		if l.Status == lead.StatusClosed {
			return h.problem(http.StatusForbidden, "This request is closed",
				"This request is closed ("+h.closedWords(l)+"); nothing more to do."), false
		}
		return h.problem(http.StatusForbidden, "This link has expired",
			"Use the link in a newer email: the daily follow-up sends fresh ones for every request still waiting."), false
	}
	log.Info("link refused: invalid")
	return h.problem(http.StatusForbidden, "This link is not valid",
		"Open the request from the link in the clinic's email, unchanged."), false
}

func (h *Handler) storeProblem(log *slog.Logger, err error) events.APIGatewayV2HTTPResponse {
	if errors.Is(err, lead.ErrNotFound) {
		log.Info("lead not found")
		return h.problem(http.StatusNotFound, "No such request",
			"It may have passed the clinic's retention time and been deleted.")
	}
	log.Error("store failed", "err", err)
	res := h.problem(http.StatusServiceUnavailable, "Please try again",
		"The request could not be loaded just now. Try again in a moment.")
	res.Headers["Retry-After"] = "10"
	return res
}

// route reads the lead id and whether the request is for /contacted (the
// route's name is older than the call-back loop; forms post every action
// there).
func route(req events.APIGatewayV2HTTPRequest) (id string, posting bool) {
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	posting = strings.HasSuffix(path, "/contacted")
	if id = req.PathParameters["id"]; id != "" {
		return id, posting
	}
	rest, ok := strings.CutPrefix(path, "/leads/")
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, "/contacted")
	if rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		return "", false
	}
	return id, posting
}

func readForm(req events.APIGatewayV2HTTPRequest) (url.Values, bool) {
	body := req.Body
	if len(body) > 2*maxForm {
		return nil, false
	}
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, false
		}
		body = string(b)
	}
	if len(body) > maxForm {
		return nil, false
	}
	v, err := url.ParseQuery(body)
	return v, err == nil
}
