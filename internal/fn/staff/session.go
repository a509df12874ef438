package staff

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/link"
)

// slideAfter is how long a session is used before its end moves on again:
// a page every few seconds does not write every time.
const slideAfter = 5 * time.Minute

// session returns the request's session, sliding its end when due; ok is
// false when there is none (no cookie, an unknown or ended one). A store
// failure is err.
func (h *Handler) session(r *request) (s access.Session, ok bool, err error) {
	id := access.SessionID(r.Cookies)
	if id == "" {
		return access.Session{}, false, nil
	}
	s, err = h.store.Session(r.ctx, access.IDHash(id), r.now)
	if errors.Is(err, access.ErrNoSession) {
		return access.Session{}, false, nil
	}
	if err != nil {
		return access.Session{}, false, err
	}
	if s.SignedIn() && s.Expires.Sub(r.now) < h.cfg.SessionTTL-slideAfter {
		next := r.now.Add(h.cfg.SessionTTL)
		switch err := h.store.TouchSession(r.ctx, s.Hash, next, ""); {
		case errors.Is(err, access.ErrNoSession): // signed out a moment ago
			return access.Session{}, false, nil
		case err != nil:
			r.log.Warn("session not extended", "err", err)
		default:
			s.Expires = next
		}
	}
	return s, true, nil
}

// lets reports whether session s (ok: there is one) may act where may
// says: a session from an emailed link never may under STAFF_SIGNIN=always.
func (h *Handler) lets(s access.Session, ok, may bool) bool {
	return ok && may && (s.SignedIn() || h.cfg.SignIn != config.SignInAlways)
}

// actor is who a session's acts are recorded as.
func actor(s access.Session) string {
	if s.SignedIn() {
		return s.Email
	}
	return access.ByLink
}

// startSession stores a new session and returns the Set-Cookie value that
// hands its id to the browser.
func (h *Handler) startSession(r *request, email string, leads []string, expires time.Time) (access.Session, string, error) {
	id, err := access.NewSessionID()
	if err != nil {
		return access.Session{}, "", err
	}
	s := access.Session{Hash: access.IDHash(id), Email: email, Leads: leads, Created: r.now, Expires: expires}
	if err := h.store.CreateSession(r.ctx, s); err != nil {
		return access.Session{}, "", err
	}
	return s, access.Cookie(id), nil
}

// toSignIn sends the browser to the sign-in page, then back to next (a path
// from the API's root, such as "staff" or "leads/<id>").
func (h *Handler) toSignIn(up, next string) events.APIGatewayV2HTTPResponse {
	return h.seeOther(up + "staff/signin?next=" + url.QueryEscape(next))
}

// exchange takes an emailed link's token for a session (STAFF_SIGNIN=inbox)
// and sends the browser to the same page without it, so the token never
// lingers in history or a Referer. With STAFF_SIGNIN=always a link only
// leads to signing in.
func (h *Handler) exchange(r *request, id, token string) events.APIGatewayV2HTTPResponse {
	page := "./" + url.PathEscape(id)
	s, ok, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if ok && s.SignedIn() {
		return h.seeOther(page)
	}
	if h.cfg.SignIn == config.SignInAlways {
		r.log.Info("link leads to sign-in", "signIn", h.cfg.SignIn)
		return h.toSignIn("../", "leads/"+id)
	}
	expires, err := h.signer.Verify(token, link.PurposeStaff, id, r.now, h.cfg.LinkTTL)
	// A key id this copy does not hold may be a version newer than its own.
	if errors.Is(err, link.ErrUnknownKey) && h.recheck(r) {
		expires, err = h.signer.Verify(token, link.PurposeStaff, id, r.now, h.cfg.LinkTTL)
	}
	if err != nil {
		return h.linkProblem(r, id, err)
	}
	// The session lasts as a signed-in one would, never past the link.
	end := r.now.Add(h.cfg.SessionTTL)
	if expires.Before(end) {
		end = expires
	}
	if ok { // a session from another link: it may open this lead too
		if s.Expires.After(end) {
			end = s.Expires
		}
		switch err := h.store.TouchSession(r.ctx, s.Hash, end, id); {
		case err == nil:
			r.log.Info("link taken into its session")
			return h.seeOther(page)
		case !errors.Is(err, access.ErrNoSession):
			return h.storeProblem(r.log, err)
		}
	}
	_, cookie, err := h.startSession(r, "", []string{id}, end)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	r.log.Info("link exchanged for a session")
	res := h.seeOther(page)
	res.Cookies = []string{cookie}
	return res
}

// needSession answers a lead's page or form that no session may open.
func (h *Handler) needSession(r *request, up, id string, posting bool) events.APIGatewayV2HTTPResponse {
	if posting {
		r.log.Info("staff form refused", "reason", "no session")
		return h.problem(http.StatusForbidden, "Sign in to record this",
			"Nothing was recorded: open the request again from the inbox or the clinic's email, then send the form.")
	}
	return h.toSignIn(up, "leads/"+id)
}
