// Package staff is the page behind the link in the clinic's emails: GET
// shows a lead and never changes anything (mail scanners open every link);
// POST marks it contacted, once.
package staff

import (
	"context"
	_ "embed" // the page template
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/logging"
	"github.com/openclinic/leadhandler/internal/present"
)

// Store is what the staff pages need of the lead store.
type Store interface {
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	MarkContacted(ctx context.Context, id string, c lead.Contact, now time.Time) (lead.Lead, error)
}

// maxForm bounds a POSTed form: an outcome, a note and a token.
const maxForm = 8 << 10

//go:embed templates/page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

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

// view is what the page template sees.
type view struct {
	Clinic   string
	Title    string
	Message  string
	Problem  bool
	Lead     *leadView
	Form     bool
	Action   string // the form's target, relative to the page's own URL
	Token    string
	Outcomes []outcomeView
	Note     string
	Error    string
}

type leadView struct {
	ID, Name, Phone, Email, Method, When, Reason string
	Tel                                          template.URL
	Received, Waited, Alert                      string
	Contacted                                    string // when and how, once marked
	ContactNote                                  string
}

type outcomeView struct {
	Value, Label string
	Checked      bool
}

var outcomeLabels = map[lead.Outcome]string{
	lead.Booked: "Booked an appointment", lead.Reached: "Reached them, not booked yet",
	lead.LeftMessage: "Left a message", lead.NoAnswer: "No answer", lead.NotInterested: "Not interested",
}

// Handle answers one request, always with an HTML page.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	id, marking := route(req)
	log := h.log.With("requestId", logging.RequestID(ctx, req.RequestContext.RequestID), "leadId", id)
	method := req.RequestContext.HTTP.Method
	switch {
	case id == "":
		return h.problem(http.StatusNotFound, "Not found", "There is no such page."), nil
	case marking && method == http.MethodPost:
		return h.mark(ctx, log, req, id), nil
	case !marking && (method == http.MethodGet || method == http.MethodHead):
		return h.show(ctx, log, req, id), nil
	}
	res := h.problem(http.StatusMethodNotAllowed, "Not allowed", "Open the link from the email instead.")
	res.Headers["Allow"] = map[bool]string{true: http.MethodPost, false: "GET, HEAD"}[marking]
	return res, nil
}

func (h *Handler) show(ctx context.Context, log *slog.Logger, req events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPResponse {
	token := req.QueryStringParameters["t"]
	now := h.now()
	if res, ok := h.checkToken(log, token, id, now); !ok {
		return res
	}
	l, err := h.store.Get(ctx, id, now)
	if err != nil {
		return h.storeProblem(log, err)
	}
	log.Info("staff page shown", "status", l.Status)
	v := view{Title: "Appointment request", Lead: h.leadView(l, now), Token: token}
	if l.Status == lead.StatusNew {
		v.Form, v.Outcomes, v.Action = true, outcomes(""), url.PathEscape(l.ID)+"/contacted"
	}
	return h.render(http.StatusOK, v)
}

func (h *Handler) mark(ctx context.Context, log *slog.Logger, req events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPResponse {
	form, ok := readForm(req)
	if !ok {
		return h.problem(http.StatusBadRequest, "Could not read the form", "Go back to the request's page and send the form again.")
	}
	token := req.QueryStringParameters["t"]
	if token == "" {
		token = form.Get("t")
	}
	now := h.now()
	if res, ok := h.checkToken(log, token, id, now); !ok {
		return res
	}
	outcome := lead.Outcome(form.Get("outcome"))
	note, noteProblem := lead.CleanNote(form.Get("note"))
	if !slices.Contains(lead.Outcomes, outcome) || noteProblem != "" {
		l, err := h.store.Get(ctx, id, now)
		if err != nil {
			return h.storeProblem(log, err)
		}
		v := view{Title: "Appointment request", Lead: h.leadView(l, now), Token: token, Form: l.Status == lead.StatusNew,
			Action: "contacted", Outcomes: outcomes(outcome), Note: form.Get("note"), Error: "Choose what came of the call."}
		if noteProblem != "" {
			v.Error = "The note: " + noteProblem
		}
		log.Info("mark contacted refused: bad form")
		return h.render(http.StatusBadRequest, v)
	}
	l, err := h.store.MarkContacted(ctx, id, lead.Contact{At: now, Outcome: outcome, Note: note}, now)
	switch {
	case errors.Is(err, lead.ErrAlreadyContacted):
		log.Info("already marked contacted")
		return h.render(http.StatusOK, view{Title: "Already marked contacted",
			Message: "Nothing changed: this request was already marked contacted.", Lead: h.leadView(l, now)})
	case err != nil:
		return h.storeProblem(log, err)
	}
	log.Info("marked contacted", "outcome", outcome, "speedToLead", l.Contact.At.Sub(l.CreatedAt).Round(time.Second).String())
	return h.render(http.StatusOK, view{Title: "Marked contacted", Message: "Thank you. This request is marked contacted and leaves the daily follow-up.", Lead: h.leadView(l, now)})
}

// checkToken answers a missing, forged, tampered, other-lead or expired
// token with a 403 page.
func (h *Handler) checkToken(log *slog.Logger, token, id string, now time.Time) (events.APIGatewayV2HTTPResponse, bool) {
	_, err := h.signer.Verify(token, link.PurposeStaff, id, now)
	switch {
	case err == nil:
		return events.APIGatewayV2HTTPResponse{}, true
	case errors.Is(err, link.ErrExpired):
		log.Info("link refused: expired")
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

func (h *Handler) leadView(l lead.Lead, now time.Time) *leadView {
	v := &leadView{
		ID: l.ID, Name: l.Name, Phone: l.Phone, Email: l.Email, Reason: l.Reason,
		Method:   l.PreferredContact.Words(),
		When:     l.PreferredTime.Words(),
		Tel:      present.Tel(l.Phone),
		Received: h.time(l.CreatedAt),
		Waited:   present.Age(now.Sub(l.CreatedAt)),
		Alert:    present.AlertStatus(l.Alert, h.cfg.TimeZone),
	}
	if c := l.Contact; c != nil {
		v.Contacted = outcomeLabels[c.Outcome] + ", " + h.time(c.At) + " (" + present.Age(c.At.Sub(l.CreatedAt)) + " after the request)"
		v.ContactNote = c.Note
	}
	return v
}

func (h *Handler) time(t time.Time) string {
	return present.FormatTime(t, h.cfg.TimeZone)
}

func outcomes(checked lead.Outcome) []outcomeView {
	out := make([]outcomeView, 0, len(lead.Outcomes))
	for _, o := range lead.Outcomes {
		out = append(out, outcomeView{Value: string(o), Label: outcomeLabels[o], Checked: o == checked})
	}
	return out
}

func (h *Handler) problem(status int, title, msg string) events.APIGatewayV2HTTPResponse {
	return h.render(status, view{Title: title, Message: msg, Problem: true})
}

func (h *Handler) render(status int, v view) events.APIGatewayV2HTTPResponse {
	v.Clinic = h.cfg.ClinicName
	var b strings.Builder
	if err := page.Execute(&b, v); err != nil {
		h.log.Error("render page", "err", err)
		status, b = http.StatusInternalServerError, strings.Builder{}
		b.WriteString("<!DOCTYPE html><title>Error</title><p>Something went wrong.</p>")
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "text/html; charset=utf-8",
			"Cache-Control": "no-store",
			// The token is in the URL: it must not leak to other sites.
			"Referrer-Policy":         "no-referrer",
			"X-Robots-Tag":            "noindex, nofollow",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		},
		Body: b.String(),
	}
}

// route reads the lead id and whether the request is for /contacted.
func route(req events.APIGatewayV2HTTPRequest) (id string, marking bool) {
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	marking = strings.HasSuffix(path, "/contacted")
	if id = req.PathParameters["id"]; id != "" {
		return id, marking
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
	return id, marking
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
