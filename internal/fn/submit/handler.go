// Package submit is the POST /leads endpoint: it takes a visitor's
// appointment request from API Gateway, guards against abuse, and stores it.
// It never sends email: the visitor does not wait on SES.
package submit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/turnstile"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/logging"
	"github.com/openclinic/leadhandler/internal/phone"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// MaxBody is the largest request body accepted, decoded. Every field at its
// limit fits with room to spare.
const MaxBody = 16 << 10

// MetricLeadsStored is the metric counting stored leads (not replays, not
// held requests): the template's LeadsQuietAlarm fires when it stays at 0.
var MetricLeadsStored = metric.LeadsStored.Name

// retryAfterStoreDown is what a visitor's browser is told to wait when the
// store fails.
const retryAfterStoreDown = 10

// ConfigErrorMessage is the log message of a setting found wrong while
// serving (such as a Turnstile secret Cloudflare refuses): template.yaml's
// metric filter counts these lines, and its alarm tells ops.
const ConfigErrorMessage = "configuration error"

// Store is what the handler needs of the lead store.
type Store interface {
	// Save stores a new lead: lead.ErrExists for a replay,
	// ratelimit.ErrLimited when the charge is over its limit.
	Save(ctx context.Context, l lead.Lead, charge *ratelimit.Charge) error
	// Charge counts a request without storing anything.
	Charge(ctx context.Context, c ratelimit.Charge) error
	// Hold stores a trapped request for review and counts it under day,
	// with Save's errors.
	Hold(ctx context.Context, h lead.Held, day string, charge *ratelimit.Charge) error
}

// Verifier checks a Cloudflare Turnstile token (internal/adapter/turnstile).
type Verifier interface {
	Verify(ctx context.Context, token, remoteIP string) error
}

// rereader is a Verifier whose secret is read again while the function
// runs (the Turnstile secret from Secrets Manager; secrets.Secret).
type rereader interface {
	// Refresh reads the secret if it was last read link.RefreshEvery ago.
	Refresh(ctx context.Context) error
	// Recheck reads the secret if it was last read link.RecheckAfter ago,
	// and reports whether it changed.
	Recheck(ctx context.Context) (bool, error)
}

// Handler answers POST /leads.
type Handler struct {
	cfg   config.Submit
	rules lead.Rules
	store Store
	log   *slog.Logger
	now   func() time.Time
	// turnstile is nil unless a Turnstile secret is configured.
	turnstile Verifier
	// metrics writes the function's EMF lines (stdout): stored leads for
	// the quiet-form alarm, and every request by what came of it.
	metrics *metric.Writer
}

// WithMetrics makes h write its EMF lines to w (Lambda: stdout).
func (h *Handler) WithMetrics(w io.Writer) *Handler {
	h.metrics = metric.New(w, h.cfg.MetricNamespace, h.now)
	return h
}

// New returns a handler; verifier checks Turnstile tokens, nil for no
// check. It fails if the configuration names a phone region the phone
// library does not know.
func New(cfg config.Submit, store Store, verifier Verifier, log *slog.Logger, now func() time.Time) (*Handler, error) {
	if !phone.KnownRegion(cfg.PhoneRegion) {
		return nil, fmt.Errorf("PHONE_REGION: unknown region %q", cfg.PhoneRegion)
	}
	if cfg.TimeZone == nil { // as config.LoadSubmit reads an unset TIME_ZONE
		cfg.TimeZone = time.UTC
	}
	if cfg.HeldRetention <= 0 {
		cfg.HeldRetention = lead.DefaultHeldRetention
	}
	if cfg.SLA <= 0 { // as config.LoadSubmit reads an unset RESPONSE_SLA
		cfg.SLA = 15 * time.Minute
	}
	if cfg.Hours.Location() == nil { // as config.LoadSubmit reads an unset OPENING_HOURS
		h, err := hours.Parse(hours.Default, cfg.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("OPENING_HOURS: %w", err)
		}
		cfg.Hours = h
	}
	numbers := phone.Normalizer{Region: cfg.PhoneRegion}
	return &Handler{
		turnstile: verifier,
		cfg:       cfg,
		rules: lead.Rules{
			PhoneRegion:    cfg.PhoneRegion,
			Phone:          readPhone(numbers),
			PhoneExample:   numbers.Example(),
			ConsentVersion: cfg.ConsentVersion,
		},
		store:   store,
		log:     log,
		now:     now,
		metrics: metric.New(os.Stdout, cfg.MetricNamespace, now),
	}, nil
}

// phoneProblems says each of phone's problems in lead's words.
var phoneProblems = [...]lead.PhoneProblem{
	phone.NoProblem:  lead.PhoneRead,
	phone.NotANumber: lead.PhoneNotANumber,
	phone.NoAreaCode: lead.PhoneNoAreaCode,
	phone.TooShort:   lead.PhoneTooShort,
}

// readPhone is n's Format as lead.Rules takes it.
func readPhone(n phone.Normalizer) func(string) (string, string, lead.PhoneProblem) {
	return func(v string) (string, string, lead.PhoneProblem) {
		e164, display, p := n.Format(v)
		return e164, display, phoneProblems[p]
	}
}

// Handle answers one request. It never returns an error: every outcome is an
// HTTP response, and no response carries an internal error's text.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := h.log.With("requestId", logging.RequestID(ctx, req.RequestContext.RequestID))
	// A Turnstile secret changed in Secrets Manager is taken within
	// link.RefreshEvery, without waiting for a cold start.
	if r, ok := h.turnstile.(rereader); ok {
		if err := r.Refresh(ctx); err != nil {
			log.Warn("turnstile secret not read again; the one read before stays in use", "err", err)
		}
	}
	r := h.handle(ctx, log, req)
	res := h.answer(log, r)
	if r.id != "" {
		log = log.With("leadId", r.id)
	}
	named := outcomes[r.kind]
	log.Info("submit", "status", res.StatusCode, "outcome", named.log)
	if err := h.metrics.Put([]string{named.result}, metric.Value{Def: metric.Requests, Value: 1}); err != nil {
		log.Warn("count request", "err", err)
	}
	if named.reason != "" {
		if err := h.metrics.Put([]string{named.reason}, metric.Value{Def: metric.RequestsRefused, Value: 1}); err != nil {
			log.Warn("count refused request", "err", err)
		}
	}
	return res, nil
}

// poster is what posted a request, which decides how it is answered.
type poster int

const (
	script    poster = iota // JSON, from the form's script: answered in JSON
	plainForm               // a form posted without a script: answered with a redirect or a page
)

// post is a request read far enough to decide on.
type post struct {
	// sub is the submission as sent; empty when it could not be read.
	sub lead.Submission
	by  poster
	// page is the form's page (formPage), for the way on or back.
	page string
	now  time.Time
	// charge counts the request against its client; nil without a rate
	// limit.
	charge *ratelimit.Charge
}

// handle decides what comes of req.
func (h *Handler) handle(ctx context.Context, log *slog.Logger, req events.APIGatewayV2HTTPRequest) result {
	if !h.cfg.Edge.Allows(req.Headers) {
		return result{kind: notViaEdge}
	}
	if m := req.RequestContext.HTTP.Method; m != "" && m != http.MethodPost {
		return result{kind: wrongMethod}
	}
	if origin := header(req.Headers, "origin"); origin != "" && !h.allowedOrigin(origin) {
		return result{kind: wrongOrigin}
	}
	by, ok := mediaType(header(req.Headers, "content-type"))
	if !ok {
		return result{kind: wrongMediaType}
	}
	body, ok := readBody(req)
	if !ok {
		return result{kind: tooLarge}
	}

	p := post{by: by, page: formPage("", req), now: h.now()}
	if h.cfg.RateLimit.Enabled() {
		c := h.cfg.RateLimit.ChargeFor(h.cfg.RateLimitSalt, req.RequestContext.HTTP.SourceIP, p.now)
		p.charge = &c
	}

	decode := lead.DecodeJSON
	if p.by == plainForm {
		decode = lead.DecodeForm
	}
	sub, err := decode(body)
	if err != nil {
		return refuse(p, err)
	}
	p.sub, p.page = sub, formPage(sub.Page, req)

	if trap, caught := sub.Trapped(h.cfg.MinFillTime); caught {
		return h.hold(ctx, log, p, trap)
	}

	r, err := lead.Normalize(sub, h.rules)
	if err != nil {
		return refuse(p, err)
	}
	if h.turnstile != nil {
		switch err := h.verify(ctx, log, sub.Turnstile, req.RequestContext.HTTP.SourceIP); {
		case errors.Is(err, turnstile.ErrRejected):
			return result{kind: turnstileRejected, post: p, err: &lead.InvalidError{Message: "Please confirm that you are not a robot, then send the form again.",
				Fields: map[string]string{lead.FieldTurnstile: "Please complete this check."}}}
		case errors.Is(err, turnstile.ErrMisconfigured):
			// Our secret is wrong or revoked: taking requests unchecked would
			// switch the bot check off unnoticed. Refuse, and say so in the
			// line the template's metric filter counts (its alarm tells ops).
			log.Error(ConfigErrorMessage, "setting", "TURNSTILE_SECRET", "err", err)
			return result{kind: turnstileMisconfigured, post: p}
		case err != nil:
			// Cloudflare's trouble must not cost the clinic a patient: take the request.
			log.Error("turnstile unavailable; request taken unchecked", "err", err)
		}
	}
	id := r.SubmissionID
	if id == "" {
		id = newID()
	}
	l := lead.New(id, r, p.now, h.cfg.Retention)
	switch err := h.store.Save(ctx, l, p.charge); {
	case err == nil:
		if err := h.metrics.Count(MetricLeadsStored); err != nil {
			log.Warn("count stored lead", "err", err)
		}
		if err := h.metrics.Put([]string{l.Source.Class()}, metric.Value{Def: metric.LeadsBySource, Value: 1}); err != nil {
			log.Warn("count stored lead by source", "err", err)
		}
		return result{kind: stored, post: p, id: id, at: l.CreatedAt, how: l.PreferredContact}
	case errors.Is(err, lead.ErrExists):
		// Answered at this request's time: the stored lead is not read back.
		return result{kind: replayed, post: p, id: id, at: p.now, how: r.PreferredContact}
	case errors.Is(err, ratelimit.ErrLimited):
		return result{kind: limited, post: p, id: id}
	default:
		log.Error("save lead", "leadId", id, "err", err)
		return result{kind: storeError, post: p, id: id}
	}
}

// verify asks Cloudflare about token. When Cloudflare refuses our secret
// and it comes from Secrets Manager, the secret is read again (at most every
// link.RecheckAfter, however many requests fail) and, if ops changed it, the
// token is asked about once more with the new one: a fixed secret takes
// effect at the next request, not when Lambda recycles the instance.
func (h *Handler) verify(ctx context.Context, log *slog.Logger, token, remoteIP string) error {
	err := h.turnstile.Verify(ctx, token, remoteIP)
	r, ok := h.turnstile.(rereader)
	if !ok || !errors.Is(err, turnstile.ErrMisconfigured) {
		return err
	}
	changed, rerr := r.Recheck(ctx)
	if rerr != nil {
		log.Warn("turnstile secret not read again; the one read before stays in use", "err", rerr)
	}
	if !changed {
		return err
	}
	log.Info("turnstile secret changed; token checked again")
	return h.turnstile.Verify(ctx, token, remoteIP)
}

// hold decides on a post the honeypot or the time trap caught, which is
// answered as if it were taken, so the bot learns nothing: one that
// otherwise validates is held for review (no alert, no follow-up; staff may
// release it), the rest only charge the client's counter.
func (h *Handler) hold(ctx context.Context, log *slog.Logger, p post, trap lead.Trap) result {
	r, err := lead.Normalize(p.sub, h.rules)
	if err != nil {
		if p.charge != nil {
			if err := h.store.Charge(ctx, *p.charge); errors.Is(err, ratelimit.ErrLimited) {
				return result{kind: trappedLimited, post: p}
			} else if err != nil {
				log.Error("charge rate counter", "err", err)
				return result{kind: storeError, post: p}
			}
		}
		return result{kind: trapped, post: p, at: p.now, how: contactOf(p.sub)}
	}
	id := r.SubmissionID
	if id == "" {
		id = newID()
	}
	kept := lead.NewHeld(id, r, trap, p.now, h.cfg.HeldRetention)
	switch err := h.store.Hold(ctx, kept, p.now.In(h.cfg.TimeZone).Format(time.DateOnly), p.charge); {
	case err == nil:
		return result{kind: held, post: p, id: id, at: kept.CreatedAt, how: r.PreferredContact}
	case errors.Is(err, lead.ErrExists): // as a lead's replay is answered
		return result{kind: heldReplayed, post: p, id: id, at: p.now, how: r.PreferredContact}
	case errors.Is(err, ratelimit.ErrLimited):
		return result{kind: trappedLimited, post: p, id: id}
	default:
		log.Error("hold request", "leadId", id, "err", err)
		return result{kind: storeError, post: p, id: id}
	}
}

// refuse decides on a post the visitor must correct (400). It is not
// counted against the client: a patient who mistypes, or shares a
// carrier's or an office's address with others who do, keeps the
// allowance for the request that is stored (docs/form.md).
func refuse(p post, err error) result {
	return result{kind: invalid, post: p, err: err}
}

// newID is a time-ordered id for a request that brought none.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (h *Handler) allowedOrigin(origin string) bool {
	return slices.Contains(h.cfg.AllowedOrigins, strings.ToLower(strings.TrimSuffix(origin, "/")))
}

// accepted answers a stored (or replayed, or trapped) request: JSON for a
// script, a redirect to a thank-you page for a plain form post.
func (h *Handler) accepted(id string, status int, r result) events.APIGatewayV2HTTPResponse {
	when, msg := h.thanks(r.at, r.how)
	if r.post.by == plainForm {
		if target := h.thankYou(r.post.page, when); target != "" {
			return events.APIGatewayV2HTTPResponse{
				StatusCode: http.StatusSeeOther,
				Headers:    map[string]string{"Location": target, "Cache-Control": "no-store"},
			}
		}
	}
	body := map[string]string{"id": id, "status": "received", "message": msg}
	if h.cfg.BookingURL != "" {
		body["booking"] = h.cfg.BookingURL
	}
	return jsonResponse(status, body)
}

// thankYou is where a plain form post goes next: THANK_YOU_URL, else the
// form's own page with submitted=1, but only on an allowed site (anything
// else would make this an open redirect). Either way its query gains
// expect, when to expect the answer (present.Expect: from the
// configuration and the time, nothing the visitor typed), and booking=1
// with BOOKING_URL, so a page can say what the JSON answer says
// (docs/form.md).
func (h *Handler) thankYou(page, when string) string {
	u := h.onSite(page)
	if h.cfg.ThankYouURL != "" {
		u, _ = url.Parse(h.cfg.ThankYouURL) // config.LoadSubmit parsed it
	}
	if u == nil {
		return ""
	}
	q := u.Query()
	for _, k := range thankYouQuery { // from an earlier thank-you, in a Referer
		q.Del(k)
	}
	if h.cfg.ThankYouURL == "" {
		q.Set("submitted", "1")
	}
	q.Set("expect", when)
	if h.cfg.BookingURL != "" {
		q.Set("booking", "1")
	}
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String()
}

// thankYouQuery are the query's keys thankYou sets.
var thankYouQuery = []string{"submitted", "expect", "booking"}

// onSite is page parsed, if it is on an allowed origin; else nil.
func (h *Handler) onSite(page string) *url.URL {
	u, err := url.Parse(page)
	if page == "" || err != nil || !h.allowedOrigin(u.Scheme+"://"+u.Host) {
		return nil
	}
	return u
}

// formPage is the page the form was on: as the form said, else as the
// browser's Referer says (a form posted without JavaScript has no script to
// fill in its page). Its query stays for the way back to it (the visitor's
// own page); the stored lead keeps only origin and path (lead.Normalize).
func formPage(page string, req events.APIGatewayV2HTTPRequest) string {
	if page = strings.TrimSpace(page); page != "" {
		return page
	}
	return header(req.Headers, "referer")
}

// mediaType reports what posted a request of content type ct; ok is false
// for a type that is neither JSON nor a form, or not UTF-8.
func mediaType(ct string) (by poster, ok bool) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return script, false
	}
	if cs, set := params["charset"]; set && !strings.EqualFold(cs, "utf-8") {
		return script, false
	}
	switch mt {
	case "application/json":
		return script, true
	case "application/x-www-form-urlencoded":
		return plainForm, true
	}
	return script, false
}

// readBody returns the decoded body, or false when it exceeds MaxBody.
func readBody(req events.APIGatewayV2HTTPRequest) ([]byte, bool) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), len(req.Body) <= MaxBody
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBody+3 {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, true // an undecodable body is bad input: the decoder says so
	}
	return b, len(b) <= MaxBody
}

func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// badRequest is the 400 for a request the visitor must correct: a small
// HTML page for a plain form post (its visitor has no script to read JSON),
// with a link back to the form's page when that is on an allowed site;
// JSON otherwise.
func (h *Handler) badRequest(log *slog.Logger, err error, p post) events.APIGatewayV2HTTPResponse {
	var bad *lead.InvalidError
	if !errors.As(err, &bad) {
		bad = &lead.InvalidError{Message: "The request could not be read.", Fields: map[string]string{}}
	}
	names := make([]string, 0, len(bad.Fields))
	for n := range bad.Fields {
		names = append(names, n)
	}
	slices.Sort(names)
	log.Info("invalid request", "fields", names) // field names only, never values
	if p.by == plainForm {
		return fixPage(bad, h.back(p.page))
	}
	return jsonResponse(http.StatusBadRequest, map[string]any{"error": bad.Message, "fields": bad.Fields})
}

func tooMany(c ratelimit.Charge, now time.Time) events.APIGatewayV2HTTPResponse {
	res := jsonError(http.StatusTooManyRequests, "Too many requests from your network. Please try again later or call us.")
	res.Headers["Retry-After"] = strconv.Itoa(c.RetryAfter(now))
	return res
}

func storeDown() events.APIGatewayV2HTTPResponse {
	res := jsonError(http.StatusServiceUnavailable, "We could not take your request just now. Please try again in a moment or call us.")
	res.Headers["Retry-After"] = strconv.Itoa(retryAfterStoreDown)
	return res
}

func jsonError(status int, msg string) events.APIGatewayV2HTTPResponse {
	return jsonResponse(status, map[string]string{"error": msg})
}

func jsonResponse(status int, v any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil { // maps of strings always marshal
		panic(err)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":           "application/json; charset=utf-8",
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		},
		Body: string(b),
	}
}
