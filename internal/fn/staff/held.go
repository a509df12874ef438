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

// held answers GET /staff/held: with the digest link's token, the token is
// exchanged for a session that may review held requests; with such a
// session (or signed in), the page.
func (h *Handler) held(r *request) events.APIGatewayV2HTTPResponse {
	if token := r.QueryStringParameters["t"]; token != "" {
		return h.exchangeHeld(r, token)
	}
	s, ok, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if !h.lets(s, ok, s.MayReviewHeld()) {
		return h.toSignIn("../", "staff/held")
	}
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
	if !h.record(r, actor(s), access.ViewHeld, "") {
		return h.storeProblem(r.log, errors.New("audit trail unavailable"))
	}
	r.log.Info("held requests shown", "rows", len(v.Rows), "page", !before.IsZero(), "signedIn", s.SignedIn())
	msg := map[string]string{
		"released": "Released: it is now a request in the inbox, and the clinic is alerted as for any request.",
		"deleted":  "Deleted.",
		"gone":     "Nothing done: that request was already released or deleted, or its hold ended.",
		"exists":   "That request had already come in as a request of its own; the held copy was deleted.",
	}[q["done"]]
	return h.render(http.StatusOK, view{Title: "Held as likely spam", Message: msg, Nav: h.nav(r, s), Held: v})
}

func (h *Handler) heldRow(held lead.Held, now time.Time) heldRow {
	l := held.Lead
	return heldRow{
		ID: l.ID, URL: "held/" + url.PathEscape(l.ID), When: h.short(l.CreatedAt, now), Why: held.Trap.Words(),
		Name: l.Name, Phone: present.Phone(l), Email: l.Email, Prefers: prefers(l), Reason: l.Reason, Page: l.Source.Page,
	}
}

// heldAct answers POST /staff/held/{id}: release the held request (it
// becomes a new lead: the stream alerts the clinic once, the follow-up
// lists it) or delete it; then 303 back to the review page.
func (h *Handler) heldAct(r *request, id string) events.APIGatewayV2HTTPResponse {
	log := r.log
	form, refused := h.postedForm(r, "held form refused", "Not sent from the review page",
		"Open the held requests from the digest's link or the inbox, and send the form from that page.")
	if refused != nil {
		return *refused
	}
	s, ok, err := h.session(r)
	if err != nil {
		return h.storeProblem(log, err)
	}
	if !h.lets(s, ok, s.MayReviewHeld()) {
		log.Info("held form refused", "reason", "no session")
		return h.problem(http.StatusForbidden, "Sign in to do this",
			"Nothing was done: open the held requests again from the digest's link, or sign in, then send the form.")
	}
	if !h.anyKey(r, purposeForm, func(k []byte) bool { return access.FormTokenOK(k, s.Hash, heldSubject, form.Get("t")) }) {
		log.Info("held form refused", "reason", "form token")
		return h.problem(http.StatusForbidden, "Not sent from the review page",
			"Nothing was done. Open the held requests again and send the form from that page.")
	}
	action := form.Get("action")
	if action != actRelease && action != actDelete {
		log.Info("held form refused", "reason", "unknown action")
		return h.problem(http.StatusBadRequest, "Could not read the form", "Go back to the held requests and send the form again.")
	}
	log = log.With("action", action)
	back := func(done string) events.APIGatewayV2HTTPResponse { return h.seeOther("../held?done=" + done) }
	if action == actDelete {
		switch err := h.store.DeleteHeld(r.ctx, id); {
		case errors.Is(err, lead.ErrNotFound):
			log.Info("held request gone")
			return back("gone")
		case err != nil:
			return h.storeProblem(log, err)
		}
		h.record(r, actor(s), access.DeleteHeld, id)
		log.Info("held request deleted")
		return back("deleted")
	}
	held, err := h.store.GetHeld(r.ctx, id, r.now)
	if errors.Is(err, lead.ErrNotFound) {
		log.Info("held request gone")
		return back("gone")
	} else if err != nil {
		return h.storeProblem(log, err)
	}
	switch err := h.store.ReleaseHeld(r.ctx, held.Release(r.now, h.cfg.Retention), r.now); {
	case errors.Is(err, lead.ErrNotFound):
		log.Info("held request gone")
		return back("gone")
	case errors.Is(err, lead.ErrExists):
		// The visitor's request came in on its own: the copy is not needed.
		if err := h.store.DeleteHeld(r.ctx, id); err != nil && !errors.Is(err, lead.ErrNotFound) {
			return h.storeProblem(log, err)
		}
		h.record(r, actor(s), access.DeleteHeld, id)
		log.Info("held request already a lead; deleted")
		return back("exists")
	case err != nil:
		return h.storeProblem(log, err)
	}
	h.record(r, actor(s), access.Release, id)
	log.Info("held request released", "heldFor", r.now.Sub(held.CreatedAt).Round(time.Second).String())
	return back("released")
}

// exchangeHeld takes the digest link's token for a session that may
// review held requests (STAFF_SIGNIN=inbox), and sends the browser to the
// page without it; with STAFF_SIGNIN=always the link only leads to
// signing in. As exchange does for a lead's link.
func (h *Handler) exchangeHeld(r *request, token string) events.APIGatewayV2HTTPResponse {
	s, ok, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if ok && s.SignedIn() {
		return h.seeOther("held")
	}
	if h.cfg.SignIn == config.SignInAlways {
		r.log.Info("link leads to sign-in", "signIn", h.cfg.SignIn)
		return h.toSignIn("../", "staff/held")
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
	end := r.now.Add(h.cfg.SessionTTL)
	if expires.Before(end) {
		end = expires
	}
	if ok {
		if s.Expires.After(end) {
			end = s.Expires
		}
		switch err := h.store.TouchSession(r.ctx, s.Hash, end, access.HeldScope); {
		case err == nil:
			r.log.Info("link taken into its session")
			return h.seeOther("held")
		case !errors.Is(err, access.ErrNoSession):
			return h.storeProblem(r.log, err)
		}
	}
	_, cookie, err := h.startSession(r, "", []string{access.HeldScope}, end)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	r.log.Info("link exchanged for a session")
	res := h.seeOther("held")
	res.Cookies = []string{cookie}
	return res
}
