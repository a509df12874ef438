package staff

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/config"
)

// slideAfter is how long a session is used before its end moves on again:
// a page every few seconds does not write every time.
const slideAfter = 5 * time.Minute

// session is the request's session as the pages see it.
type session struct {
	access.Session
	kind sessionKind
}

// sessionKind is what the session check decided.
type sessionKind int

const (
	// noSession: no cookie, an unknown or ended session, or (sessionFor)
	// one that may not open the page asked for.
	noSession sessionKind = iota
	// linkSession: one an emailed link started; it opens the leads, or the
	// held requests, its links named.
	linkSession
	// staffSession: staff signed in with an emailed code; it opens every
	// page.
	staffSession
)

// scope is what a link's session may open: a lead (its id), or the held
// requests (heldScope). Sessions keep their scopes in access.Session.Leads.
type scope string

const heldScope scope = access.HeldScope

// session loads the request's session, sliding its end when due (and
// then handing the browser its cookie again, for the time the session now
// has left: r.renew). A store failure is err.
func (h *Handler) session(r *request) (session, error) {
	id := access.SessionID(r.Cookies)
	if id == "" {
		return session{}, nil
	}
	s, err := h.store.Session(r.ctx, access.IDHash(id), r.now)
	if errors.Is(err, access.ErrNoSession) {
		return session{}, nil
	}
	if err != nil {
		return session{}, fmt.Errorf("read session: %w", err)
	}
	if s.SignedIn() && s.Expires.Sub(r.now) < h.cfg.SessionTTL-slideAfter {
		next := r.now.Add(h.cfg.SessionTTL)
		switch err := h.store.TouchSession(r.ctx, s.Hash, next, ""); {
		case errors.Is(err, access.ErrNoSession): // signed out a moment ago
			return session{}, nil
		case err != nil:
			r.log.Warn("session not extended", "err", err)
		default:
			s.Expires = next
			r.renew = access.Cookie(id, next.Sub(r.now))
		}
	}
	if s.SignedIn() {
		return session{Session: s, kind: staffSession}, nil
	}
	return session{Session: s, kind: linkSession}, nil
}

// sessionFor loads the request's session if it may open sc; one that may
// not (a link's session for other leads, or any link's session under
// STAFF_SIGNIN=always) is noSession, as none is.
func (h *Handler) sessionFor(r *request, sc scope) (session, error) {
	s, err := h.session(r)
	switch {
	case err != nil:
		return session{}, err
	case s.kind == staffSession:
		return s, nil
	case s.kind == linkSession && h.cfg.SignIn != config.SignInAlways && s.May(string(sc)):
		return s, nil
	}
	return session{}, nil
}

// actor is who the session's acts are recorded as.
func (s session) actor() string {
	if s.kind == staffSession {
		return s.Email
	}
	return access.ByLink
}

// startSession stores a new session and returns the Set-Cookie value that
// hands its id to the browser.
func (h *Handler) startSession(r *request, email string, scopes []string, expires time.Time) (string, error) {
	id, err := access.NewSessionID()
	if err != nil {
		return "", err
	}
	s := access.Session{Hash: access.IDHash(id), Email: email, Leads: scopes, Created: r.now, Expires: expires}
	if err := h.store.CreateSession(r.ctx, s); err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return access.Cookie(id, expires.Sub(r.now)), nil
}

// takeLink gives a verified link's scope a session (STAFF_SIGNIN=inbox):
// the browser's session from other links when it has one, else a new one.
// The session lasts as a signed-in one would, never past the link, nor
// less than it had. cookie is the Set-Cookie value handing the browser the
// session for that time: a new one's, or its own session's again, as the
// link's session ends with its links.
func (h *Handler) takeLink(r *request, s session, sc scope, linkExpires time.Time) (cookie string, err error) {
	end := r.now.Add(h.cfg.SessionTTL)
	if linkExpires.Before(end) {
		end = linkExpires
	}
	if s.kind == linkSession {
		if s.Expires.After(end) {
			end = s.Expires
		}
		switch err := h.store.TouchSession(r.ctx, s.Hash, end, string(sc)); {
		case err == nil:
			r.log.Info("link taken into its session")
			return access.Cookie(access.SessionID(r.Cookies), end.Sub(r.now)), nil
		case !errors.Is(err, access.ErrNoSession):
			return "", fmt.Errorf("add a link to its session: %w", err)
		}
	}
	cookie, err = h.startSession(r, "", []string{string(sc)}, end)
	if err != nil {
		return "", err
	}
	r.log.Info("link exchanged for a session")
	return cookie, nil
}

// toSignIn sends the browser to the sign-in page, then back to next (a path
// from the API's root, such as "staff" or "leads/<id>").
func (h *Handler) toSignIn(r *request, next string) events.APIGatewayV2HTTPResponse {
	return h.seeOther(r.up.to("staff/signin?next=" + url.QueryEscape(next)))
}
