package staff

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// HeldStore is what the review page needs of the store's held requests.
type HeldStore interface {
	GetHeld(ctx context.Context, id string, now time.Time) (lead.Held, error)
	HeldList(ctx context.Context, before time.Time, beforeID string, now time.Time) iter.Seq2[lead.Held, error]
	ReleaseHeld(ctx context.Context, l lead.Lead, now time.Time) error
	DeleteHeld(ctx context.Context, id string) error
}

// heldPageSize is how many held requests a page of the review lists.
const heldPageSize = 25

// heldSubject is what the review page's form token is made for.
const heldSubject = "held"

// What a POST to /staff/held/{id} asks for.
const (
	actRelease = "release"
	actDelete  = "delete"
)

// heldView is one page of held requests, newest first.
type heldView struct {
	Rows        []heldRow
	Token       string
	Next, First string
}

type heldRow struct {
	ID, URL, When, Why          string
	Name, Phone, Email, Prefers string
	Reason, Page                string
}

// getHeld answers GET /staff/held: a page of held requests, for a session
// that may review them (signed in, or from the digest's link). With the
// digest link's token the route is openHeldLink's instead.
func (h *Handler) getHeld(r *request) events.APIGatewayV2HTTPResponse {
	if token := r.QueryStringParameters["t"]; token != "" {
		return h.openHeldLink(r, token)
	}
	// Authorize.
	s, err := h.sessionFor(r, heldScope)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if s.kind == noSession {
		return h.toSignIn(r, "staff/held")
	}
	// Read the page asked for.
	q := r.QueryStringParameters
	var before time.Time
	if q["before"] != "" {
		if before, err = time.Parse(time.RFC3339Nano, q["before"]); err != nil || q["id"] == "" {
			return h.problem(http.StatusBadRequest, "This page cannot be found", "Start again from the first page of held requests.")
		}
	}
	v := &heldView{Token: access.FormToken(h.signer.Key(purposeForm), s.Hash, heldSubject)}
	var last lead.Held
	for held, err := range h.store.HeldList(r.ctx, before, q["id"], r.now) {
		if err != nil {
			return h.storeProblem(r.log, err)
		}
		if len(v.Rows) == heldPageSize {
			v.Next = "held?" + url.Values{"before": {last.CreatedAt.Format(time.RFC3339Nano)}, "id": {last.ID}}.Encode()
			break
		}
		v.Rows = append(v.Rows, h.heldRow(held, r.now))
		last = held
	}
	if !before.IsZero() {
		v.First = "held"
	}
	// Audit: the page is not shown without its view recorded.
	if !h.audit(r, s.actor(), access.ViewHeld, "") {
		return h.storeProblem(r.log, errors.New("audit trail unavailable"))
	}
	// Answer.
	r.log.Info("held requests shown", "rows", len(v.Rows), "page", !before.IsZero(), "signedIn", s.kind == staffSession)
	return h.render(http.StatusOK, view{Title: "Held as likely spam", Message: heldDoneWords[heldDone(q["done"])], Nav: h.nav(r, s.Session), Held: v})
}

// heldDone is what a held request's form did, for the review page it
// returns to (?done=) to say.
type heldDone string

const (
	heldReleased heldDone = "released"
	heldDeleted  heldDone = "deleted"
	heldGone     heldDone = "gone"
	heldExists   heldDone = "exists"
)

var heldDoneWords = map[heldDone]string{
	heldReleased: "Released: it is now a request in the inbox, and the clinic is alerted as for any request.",
	heldDeleted:  "Deleted.",
	heldGone:     "Nothing done: that request was already released or deleted, or its hold ended.",
	heldExists:   "That request had already come in as a request of its own; the held copy was deleted.",
}

func (h *Handler) heldRow(held lead.Held, now time.Time) heldRow {
	l := held.Lead
	return heldRow{
		ID: l.ID, URL: "held/" + url.PathEscape(l.ID), When: h.short(l.CreatedAt, now), Why: held.Trap.Words(),
		Name: l.Name, Phone: present.Phone(l), Email: l.Email, Prefers: prefers(l), Reason: l.Reason, Page: l.Source.Page,
	}
}

// postHeld answers POST /staff/held/{id}: release the held request (it
// becomes a new lead: the stream alerts the clinic once, the follow-up
// lists it) or delete it; then 303 back to the review page.
func (h *Handler) postHeld(r *request, id string) events.APIGatewayV2HTTPResponse {
	log := r.log
	// Authorize, in this order: a form from the clinic's own pages, a
	// session that may review held requests, and the review page's form
	// token.
	form, refused := h.postedForm(r, "held form refused", "Not sent from the review page",
		"Open the held requests from the digest's link or the inbox, and send the form from that page.")
	if refused != nil {
		return *refused
	}
	s, err := h.sessionFor(r, heldScope)
	if err != nil {
		return h.storeProblem(log, err)
	}
	if s.kind == noSession {
		log.Info("held form refused", "reason", "no session")
		return h.problem(http.StatusForbidden, "Sign in to do this",
			"Nothing was done: open the held requests again from the digest's link, or sign in, then send the form.")
	}
	if !h.anyKey(r, purposeForm, func(k []byte) bool { return access.FormTokenOK(k, s.Hash, heldSubject, form.Get("t")) }) {
		log.Info("held form refused", "reason", "form token")
		return h.problem(http.StatusForbidden, "Not sent from the review page",
			"Nothing was done. Open the held requests again and send the form from that page.")
	}
	// Read the form.
	action := form.Get("action")
	if action != actRelease && action != actDelete {
		log.Info("held form refused", "reason", "unknown action")
		return h.problem(http.StatusBadRequest, "Could not read the form", "Go back to the held requests and send the form again.")
	}
	log = log.With("action", action)
	back := func(done heldDone) events.APIGatewayV2HTTPResponse { return h.seeOther("../held?done=" + string(done)) }

	// Apply, audit and answer: a delete, once confirmed on the page.
	if action == actDelete && form.Get("confirm") != "yes" {
		log.Info("held form refused", "reason", "not confirmed")
		return h.problem(http.StatusBadRequest, "Not deleted: confirm first",
			"Nothing was deleted. Go back to the held requests, tick \"Not a real patient: delete it for good\" beside Delete, and press Delete again.")
	}
	if action == actDelete {
		switch err := h.store.DeleteHeld(r.ctx, id); {
		case errors.Is(err, lead.ErrNotFound):
			log.Info("held request gone")
			return back(heldGone)
		case err != nil:
			return h.storeProblem(log, err)
		}
		h.audit(r, s.actor(), access.DeleteHeld, id)
		log.Info("held request deleted")
		return back(heldDeleted)
	}

	// Apply, audit and answer: a release.
	held, err := h.store.GetHeld(r.ctx, id, r.now)
	if errors.Is(err, lead.ErrNotFound) {
		log.Info("held request gone")
		return back(heldGone)
	} else if err != nil {
		return h.storeProblem(log, err)
	}
	switch err := h.store.ReleaseHeld(r.ctx, held.Release(r.now, h.cfg.Retention), r.now); {
	case errors.Is(err, lead.ErrNotFound):
		log.Info("held request gone")
		return back(heldGone)
	case errors.Is(err, lead.ErrExists):
		// The visitor's request came in on its own: the copy is not needed.
		if err := h.store.DeleteHeld(r.ctx, id); err != nil && !errors.Is(err, lead.ErrNotFound) {
			return h.storeProblem(log, err)
		}
		h.audit(r, s.actor(), access.DeleteHeld, id)
		log.Info("held request already a lead; deleted")
		return back(heldExists)
	case err != nil:
		return h.storeProblem(log, err)
	}
	h.audit(r, s.actor(), access.Release, id)
	log.Info("held request released", "heldFor", r.now.Sub(held.CreatedAt).Round(time.Second).String())
	return back(heldReleased)
}

// openHeldLink answers GET /staff/held?t=: it takes the digest link's
// token for a session that may review held requests (STAFF_SIGNIN=inbox),
// and sends the browser to the page without it; with STAFF_SIGNIN=always
// the link only leads to signing in. As openLeadLink does for a lead's
// link.
func (h *Handler) openHeldLink(r *request, token string) events.APIGatewayV2HTTPResponse {
	s, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if s.kind == staffSession {
		return h.seeOther("held")
	}
	if h.cfg.SignIn == config.SignInAlways {
		r.log.Info("link leads to sign-in", "signIn", h.cfg.SignIn)
		return h.toSignIn(r, "staff/held")
	}
	expires, err := h.signer.Verify(token, link.PurposeHeld, link.HeldSubject, r.now, h.cfg.LinkTTL)
	if errors.Is(err, link.ErrUnknownKey) && h.recheck(r) {
		expires, err = h.signer.Verify(token, link.PurposeHeld, link.HeldSubject, r.now, h.cfg.LinkTTL)
	}
	switch {
	case errors.Is(err, link.ErrExpired):
		r.log.Info("link refused: expired")
		return h.problem(http.StatusForbidden, "This link has expired",
			"Use the link in a newer digest, or sign in and open the held requests.")
	case err != nil:
		r.log.Info("link refused: invalid")
		return h.problem(http.StatusForbidden, "This link is not valid",
			"Open the held requests from the link in the clinic's digest, unchanged, or sign in.")
	}
	cookie, err := h.takeLink(r, s, heldScope, expires)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	res := h.seeOther("held")
	res.Cookies = []string{cookie}
	return res
}
