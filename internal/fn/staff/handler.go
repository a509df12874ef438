// Package staff is the front desk's side of the leads: signing in with a
// code emailed to an allow-listed address, the inbox of requests to call,
// a lead's page (from the inbox, or from the link in the clinic's emails),
// recording attempts on it, and signing out; for the clinic's owners, the
// figures page and the export of the requests (figures.go). Every view and
// change, and every export, is written to the audit trail.
//
// GET never changes a lead (mail scanners open every link); a POST needs a
// session and its page's form token, then answers 303 back to a page, so
// Back and reload never record twice.
package staff

import (
	"context"
	"encoding/base64"
	"errors"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/inbox"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/logging"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// Store is what the staff pages need of the store.
type Store interface {
	Get(ctx context.Context, id string, now time.Time) (lead.Lead, error)
	Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error)
	inbox.Source
	Charge(ctx context.Context, c ratelimit.Charge) error

	CreateSession(ctx context.Context, s access.Session) error
	Session(ctx context.Context, hash string, now time.Time) (access.Session, error)
	TouchSession(ctx context.Context, hash string, expires time.Time) error
	EndSession(ctx context.Context, hash string) error

	PutCode(ctx context.Context, c access.Code) error
	TryCode(ctx context.Context, email, browser string, now time.Time) (access.Code, error)
	UseCode(ctx context.Context, c access.Code) error

	HeldStore
	// Requested yields the leads requested in [from, to), for the figures
	// page and the export.
	Requested(ctx context.Context, from, to, now time.Time) iter.Seq2[lead.Lead, error]

	// The contact index and the erase (patient.go): with Get and
	// HeldList, a patient.Store.
	patient.Lookup
	Erase(ctx context.Context, e patient.Erasure) (int, error)

	Audit(ctx context.Context, e access.AuditEntry) error
	AuditTrail(ctx context.Context, leadID string, since time.Time, newestFirst bool, now time.Time) iter.Seq2[access.AuditEntry, error]
}

// maxForm bounds a POSTed form: a note of lead.MaxNote characters, each up
// to 4 bytes of UTF-8 percent-encoded, and a few short fields.
const maxForm = 16 << 10

// Handler answers the staff routes: GET /staff, GET and POST /staff/signin,
// POST /staff/signout, GET /leads/{id}, POST /leads/{id}/contacted, GET
// /staff/held, POST /staff/held/{id}, and the owners' GET /staff/figures
// and GET /staff/export, and a patient's data: GET /staff/patient and POST
// /leads/{id}/erase (patient.go).
type Handler struct {
	cfg   config.Staff
	store Store
	// signer checks links and gives sign-in codes and form tokens keys of
	// their own (access.PurposeCode, purposeForm) from the link secret.
	signer *link.Signer
	log    *slog.Logger
	now    func() time.Time
	guard  Guard // nil: no response guard
	events Events
	// metrics counts attempts and closes, and times the first attempt and
	// reach; nil for none.
	metrics *metric.Writer
}

// Events puts lead events on the LeadEvents bus (internal/adapter/bus); a failure
// is the publisher's to log, never the request's.
type Events interface {
	Publish(ctx context.Context, ev bus.Event)
}

// WithEvents makes h put "Lead Attempt Recorded" and "Lead Closed" on the
// bus once a change is stored.
func (h *Handler) WithEvents(e Events) *Handler {
	h.events = e
	return h
}

// Guard deletes a lead's response-guard schedule (internal/adapter/nudges).
type Guard interface {
	Disarm(ctx context.Context, id string) error
}

// WithGuard makes h delete a lead's response-guard schedule once its first
// attempt is recorded: the nudge would send nothing, and this saves its run.
func (h *Handler) WithGuard(g Guard) *Handler {
	h.guard = g
	return h
}

// Purposes of the keys derived from the link secret.
// (Sign-in codes' is access.PurposeCode: notify makes their digests.)
const purposeForm = "form"

// New returns a handler.
func New(cfg config.Staff, store Store, signer *link.Signer, log *slog.Logger, now func() time.Time) *Handler {
	if cfg.Retention <= 0 { // as config.LoadStaff reads an unset RETENTION_DAYS
		cfg.Retention = 365 * 24 * time.Hour
	}
	if cfg.SessionMax <= 0 { // as config.LoadStaff reads an unset STAFF_SESSION_MAX
		cfg.SessionMax = config.DefaultSessionMax
	}
	return &Handler{cfg: cfg, store: store, signer: signer, log: log, now: now}
}

// anyKey reports whether ok holds for one of the keys for purpose from the
// versions of the link secret held, current first. When none does and the
// secret was not read in the last link.RecheckAfter, it is read again (a
// copy of the function that has read a newer version may have made the
// token or code) and the keys tried once more.
func (h *Handler) anyKey(r *request, purpose string, ok func(key []byte) bool) bool {
	for range 2 {
		for _, k := range h.signer.Keys(purpose) {
			if ok(k) {
				return true
			}
		}
		if !h.recheck(r) {
			return false
		}
	}
	return false
}

// recheck reads the link secret again (link.Signer.Recheck) and reports
// whether a version changed.
func (h *Handler) recheck(r *request) bool {
	changed, err := h.signer.Recheck(r.ctx)
	if err != nil {
		r.log.Warn("link secret not read again; the versions read before stay in use", "err", err)
	}
	return changed
}

// request is one request as the handlers see it.
type request struct {
	events.APIGatewayV2HTTPRequest
	ctx context.Context
	log *slog.Logger
	now time.Time
	id  string // the request id, for the audit trail
	up  toRoot // from the page's URL to the API's root: routed.up
	// renew is the session cookie again, with the session's new time left,
	// once its end moved on (session.go): the answer carries it unless it
	// sets the session cookie itself (a new session, or signing out).
	renew string
}

// Handle answers one request, always with an HTML page (or a 303 to one),
// and the session cookie again when the session's end moved on.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	rid := logging.RequestID(ctx, ev.RequestContext.RequestID)
	r := &request{APIGatewayV2HTTPRequest: ev, ctx: ctx, log: h.log.With("requestId", rid), now: h.now(), id: rid}
	if !h.cfg.Edge.Allows(ev.Headers) { // EDGE_ORIGIN_SECRET: only through the edge
		r.log.Warn("request not through the edge refused", "status", http.StatusForbidden)
		return h.problem(http.StatusForbidden, "Not available at this address",
			"The staff pages are reached through the clinic's own address: open the link in the clinic's email again."), nil
	}
	res := h.answer(r)
	if r.renew != "" && !slices.ContainsFunc(res.Cookies, setsSession) {
		res.Cookies = append(res.Cookies, r.renew)
	}
	return res, nil
}

// setsSession reports whether a Set-Cookie value sets the session cookie.
func setsSession(setCookie string) bool {
	c, err := http.ParseSetCookie(setCookie)
	return err == nil && c.Name == access.CookieName
}

// answer answers r: each route's path reads in order in its own function.
func (h *Handler) answer(r *request) events.APIGatewayV2HTTPResponse {
	ctx, ev := r.ctx, r.APIGatewayV2HTTPRequest
	if err := h.signer.Refresh(ctx); err != nil {
		r.log.Warn("link secret not read again; the versions read before stay in use", "err", err)
	}
	rt := route(ev)
	r.up = rt.up
	if rt.lead != "" {
		r.log = r.log.With("leadId", rt.lead)
	}
	switch m := methods[ev.RequestContext.HTTP.Method]; {
	case rt.page == pageInbox && m == reading:
		return h.getInbox(r) // inbox.go
	case rt.page == pageSignIn && m == reading:
		return h.getSignIn(r) // signin.go
	case rt.page == pageSignIn && m == posting:
		return h.postSignIn(r) // signin.go
	case rt.page == pageSignOut && m == posting:
		return h.postSignOut(r) // signin.go
	case rt.page == pageLead && m == reading:
		return h.getLead(r, rt.lead) // lead.go
	case rt.page == pageRecord && m == posting:
		return h.postContacted(r, rt.lead) // lead.go
	case rt.page == pageHeld && m == reading:
		return h.getHeld(r) // held.go
	case rt.page == pageHeldAct && m == posting:
		return h.postHeld(r, rt.lead) // held.go
	case rt.page == pageFigures && m == reading:
		return h.getFigures(r) // figures.go
	case rt.page == pageExport && m == reading:
		return h.getExport(r) // figures.go
	case rt.page == pagePatient && m == reading:
		return h.getPatient(r) // patient.go
	case rt.page == pageErase && m == posting:
		return h.postErase(r, rt.lead) // patient.go
	case rt.page == pageNone:
		return h.problem(http.StatusNotFound, "Not found", "There is no such page.")
	}
	res := h.problem(http.StatusMethodNotAllowed, "Not allowed", "Open the inbox or the link from the email instead.")
	res.Headers["Allow"] = map[page]string{pageInbox: "GET, HEAD", pageSignIn: "GET, HEAD, POST",
		pageSignOut: http.MethodPost, pageLead: "GET, HEAD", pageRecord: http.MethodPost,
		pageHeld: "GET, HEAD", pageHeldAct: http.MethodPost, pageFigures: "GET, HEAD", pageExport: "GET, HEAD",
		pagePatient: "GET, HEAD", pageErase: http.MethodPost}[rt.page]
	return res
}

// method is what a request's HTTP method asks of a route.
type method int

const (
	otherMethod method = iota // answered 405
	reading                   // GET or HEAD: shows a page, never changes a lead
	posting                   // POST: sends a page's form
)

var methods = map[string]method{http.MethodGet: reading, http.MethodHead: reading, http.MethodPost: posting}

// page is a staff route, by what it shows or does.
type page string

// The pages, by route.
const (
	pageNone    page = ""
	pageInbox   page = "inbox"   // /staff
	pageSignIn  page = "signin"  // /staff/signin
	pageSignOut page = "signout" // /staff/signout
	pageLead    page = "lead"    // /leads/{id}
	pageRecord  page = "record"  // /leads/{id}/contacted
	pageHeld    page = "held"    // /staff/held
	pageHeldAct page = "heldact" // /staff/held/{id}
	pageFigures page = "figures" // /staff/figures
	pageExport  page = "export"  // /staff/export
	pagePatient page = "patient" // /staff/patient
	pageErase   page = "erase"   // /leads/{id}/erase
)

// toRoot leads from a page's URL back to the API's root, so every link
// and redirect is relative and holds behind any base path.
type toRoot string

const (
	atRoot toRoot = ""       // /staff
	oneUp  toRoot = "../"    // /staff/signin, /staff/signout, /leads/{id}, /staff/held, /staff/figures, /staff/export, /staff/patient
	twoUp  toRoot = "../../" // /leads/{id}/contacted, /leads/{id}/erase, /staff/held/{id}
)

// to is path, given from the API's root (such as "staff/signin"), as a URL
// relative to the page's.
func (up toRoot) to(path string) string { return string(up) + path }

type routed struct {
	page page
	lead string
	up   toRoot
}

// route reads which page a request is for: by the API's route key (such as
// "GET /leads/{id}") and the id path parameter, so the pages work under any
// base path (a custom domain's mapping or a named stage stays in the path);
// by the path's last segments when there is no route key. The /contacted
// route's name is older than the call-back loop; every form of a lead's
// page posts there.
func route(req events.APIGatewayV2HTTPRequest) routed {
	if _, tmpl, ok := strings.Cut(req.RouteKey, " "); ok {
		rt, ok := routes[tmpl]
		if !ok {
			return routed{}
		}
		if rt.page == pageLead || rt.page == pageRecord || rt.page == pageHeldAct || rt.page == pageErase {
			if rt.lead = req.PathParameters["id"]; rt.lead == "" {
				return routed{}
			}
		}
		return rt
	}
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	if i := strings.LastIndex(path, "/staff/held/"); i >= 0 {
		rest := path[i+len("/staff/held/"):]
		id, err := url.PathUnescape(rest)
		if err != nil || id == "" || strings.Contains(rest, "/") {
			return routed{}
		}
		rt := routes["/staff/held/{id}"]
		rt.lead = id
		return rt
	}
	if i := strings.LastIndex(path, "/leads/"); i >= 0 {
		rest := path[i+len("/leads/"):]
		rt := routes["/leads/{id}"]
		if r, ok := strings.CutSuffix(rest, "/contacted"); ok {
			rest, rt = r, routes["/leads/{id}/contacted"]
		} else if r, ok := strings.CutSuffix(rest, "/erase"); ok {
			rest, rt = r, routes["/leads/{id}/erase"]
		}
		id, err := url.PathUnescape(rest)
		if err != nil || id == "" || strings.Contains(rest, "/") {
			return routed{}
		}
		rt.lead = id
		return rt
	}
	for _, tmpl := range []string{"/staff/signin", "/staff/signout", "/staff/held", "/staff/figures", "/staff/export", "/staff/patient", "/staff"} {
		if strings.HasSuffix(path, tmpl) {
			return routes[tmpl]
		}
	}
	return routed{}
}

// routes are the staff function's routes, as the template declares them.
var routes = map[string]routed{
	"/staff":                {page: pageInbox, up: atRoot},
	"/staff/signin":         {page: pageSignIn, up: oneUp},
	"/staff/signout":        {page: pageSignOut, up: oneUp},
	"/leads/{id}":           {page: pageLead, up: oneUp},
	"/leads/{id}/contacted": {page: pageRecord, up: twoUp},
	"/staff/held":           {page: pageHeld, up: oneUp},
	"/staff/held/{id}":      {page: pageHeldAct, up: twoUp},
	"/staff/figures":        {page: pageFigures, up: oneUp},
	"/staff/export":         {page: pageExport, up: oneUp},
	"/staff/patient":        {page: pagePatient, up: oneUp},
	"/leads/{id}/erase":     {page: pageErase, up: twoUp},
}

// postedForm reads a POST's form. A form another site's page sent (its
// browser says so) is refused before it is read: it never changes anything,
// whatever it carries. refused names the form in the log line; title and
// again head and end the page answering a refused or unreadable form.
func (h *Handler) postedForm(r *request, refused, title, again string) (url.Values, *events.APIGatewayV2HTTPResponse) {
	if r.Headers["sec-fetch-site"] == "cross-site" {
		r.log.Info(refused, "reason", "cross-site")
		res := h.problem(http.StatusForbidden, title, "Nothing was done: forms from other sites are refused. "+again)
		return nil, &res
	}
	form, ok := readForm(r.APIGatewayV2HTTPRequest)
	if !ok {
		res := h.problem(http.StatusBadRequest, "Could not read the form", again)
		return nil, &res
	}
	return form, nil
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

// audit writes one entry to the audit trail, reporting whether it did. A
// lead's page is not shown unless its view is recorded; a change already
// made is kept (the lead's history names who made it) and the failure
// logged.
func (h *Handler) audit(r *request, actor string, action access.Action, leadID string) bool {
	err := h.store.Audit(r.ctx, access.AuditEntry{At: r.now, Actor: actor, Action: action, Lead: leadID, RequestID: r.id,
		Expires: r.now.Add(h.cfg.AuditRetention)})
	if err != nil {
		r.log.Error("audit entry not written", "action", action, "err", err)
	}
	return err == nil
}

func (h *Handler) storeProblem(log *slog.Logger, err error) events.APIGatewayV2HTTPResponse {
	if errors.Is(err, lead.ErrNotFound) {
		log.Info("lead not found")
		return h.problem(http.StatusNotFound, "No such request",
			"It may have passed the clinic's retention time and been deleted.")
	}
	log.Error("store failed", "err", err)
	res := h.problem(http.StatusServiceUnavailable, "Please try again",
		"The page could not be loaded just now. Try again in a moment.")
	res.Headers["Retry-After"] = "10"
	return res
}

// seeOther answers 303 to loc, relative to the request's URL.
func (h *Handler) seeOther(loc string) events.APIGatewayV2HTTPResponse {
	res := h.render(http.StatusSeeOther, view{Title: "Moved", Message: "Continue."})
	res.Headers["Location"] = loc
	return res
}
