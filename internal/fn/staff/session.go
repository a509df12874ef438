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
// requests (heldScope). Sessions keep their scopes in access.Session.Scopes,
// each with its own end.
type scope string

const heldScope scope = access.HeldScope

// session loads the request's session. One past its absolute end (Created
// plus STAFF_SESSION_MAX), or signed in as an address no longer on
// STAFF_EMAILS, is ended here and now, and its cookie cleared. A signed-in
// one slides its end when due, never past its absolute end (and hands the
// browser its cookie again, for the time the session now has left:
// r.renew). A store failure is err.
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
	last := s.Created.Add(h.cfg.SessionMax)
	if !r.now.Before(last) {
		return h.endSession(r, s, "past STAFF_SESSION_MAX"), nil
	}
	if s.SignedIn() {
		if _, listed := access.Listed(h.cfg.StaffEmails, s.Email); !listed {
			return h.endSession(r, s, "address not on STAFF_EMAILS"), nil
		}
	}
	s.Expires = earlier(s.Expires, last) // a 1.0.x session's end may lie past it
	if next := earlier(r.now.Add(h.cfg.SessionTTL), last); s.SignedIn() && next.Sub(s.Expires) > slideAfter {
		switch err := h.store.TouchSession(r.ctx, s.Hash, next); {
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

// endSession ends session s, which may no longer be used (why says why, in
// the log), and clears the browser's cookie: the request goes on without a
// session. A failure to delete it is logged; the session is refused all
// the same, at every request.
func (h *Handler) endSession(r *request, s access.Session, why string) session {
	if err := h.store.EndSession(r.ctx, s.Hash); err != nil {
		r.log.Warn("session not deleted", "reason", why, "err", err)
	}
	r.log.Info("session ended", "reason", why, "signedIn", s.SignedIn())
	r.renew = access.ClearCookie()
	return session{}
}

// sessionFor loads the request's session if it may open sc; one that may
// not (a link's session for other leads, or whose link for sc has expired,
// or any link's session under STAFF_SIGNIN=always) is noSession, as none
// is.
func (h *Handler) sessionFor(r *request, sc scope) (session, error) {
	s, err := h.session(r)
	switch {
	case err != nil:
		return session{}, err
	case s.kind == staffSession:
		return s, nil
	case s.kind == linkSession && h.cfg.SignIn != config.SignInAlways && s.May(string(sc), r.now):
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

// startSession stores a new session, ending by expires and never after
// STAFF_SESSION_MAX, and returns the Set-Cookie value that hands its id to
// the browser. scopes are a link session's, each with its end; nil for
// staff who signed in.
func (h *Handler) startSession(r *request, email string, scopes map[string]time.Time, expires time.Time) (string, error) {
	id, err := access.NewSessionID()
	if err != nil {
		return "", err
	}
	expires = earlier(expires, r.now.Add(h.cfg.SessionMax))
	s := access.Session{Hash: access.IDHash(id), Email: email, Scopes: scopes, Created: r.now, Expires: expires}
	if err := h.store.CreateSession(r.ctx, s); err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return access.Cookie(id, expires.Sub(r.now)), nil
}

// takeLink exchanges a verified link for a new session (STAFF_SIGNIN=inbox)
// that may open sc until the link expires, besides the scopes of the
// browser's link session, each until its own end (never past that
// session's); that session is ended. A fresh id at every exchange: a
// session cookie planted in the browser, or left by someone else on a
// shared desk, never gains what the link opens. The session lasts as a
// signed-in one would, never past its last scope's end. cookie is the
// Set-Cookie value handing the browser the new session.
func (h *Handler) takeLink(r *request, s session, sc scope, linkExpires time.Time) (cookie string, err error) {
	scopes := map[string]time.Time{string(sc): linkExpires}
	if s.kind == linkSession {
		for k, end := range s.Scopes {
			if end = earlier(end, s.Expires); end.After(scopes[k]) {
				scopes[k] = end
			}
		}
	}
	last := r.now
	for k, end := range scopes {
		if !end.After(r.now) {
			delete(scopes, k)
		}
		if end.After(last) {
			last = end
		}
	}
	cookie, err = h.startSession(r, "", scopes, earlier(r.now.Add(h.cfg.SessionTTL), last))
	if err != nil {
		return "", err
	}
	if s.kind == linkSession {
		if err := h.store.EndSession(r.ctx, s.Hash); err != nil {
			return "", fmt.Errorf("end the session a link replaced: %w", err)
		}
	}
	r.log.Info("link exchanged for a session", "scopes", len(scopes))
	return cookie, nil
}

// earlier is the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// toSignIn sends the browser to the sign-in page, then back to next (a path
// from the API's root, such as "staff" or "leads/<id>").
func (h *Handler) toSignIn(r *request, next string) events.APIGatewayV2HTTPResponse {
	return h.seeOther(r.up.to("staff/signin?next=" + url.QueryEscape(next)))
}
