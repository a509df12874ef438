package staff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// nextPage is where sign-in may send the browser back to: a staff page,
// as a path from the API's root. Anything else goes to the inbox, so the
// sign-in page never redirects off the site. Compiled at the first
// sign-in, not at every cold start.
var nextPage = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(staff(\?[A-Za-z0-9=&%._~+-]*)?|staff/held|leads/[A-Za-z0-9-]{1,64})$`)
})

func cleanNext(next string) string {
	if !nextPage().MatchString(next) {
		return "staff"
	}
	return next
}

// getSignIn answers GET /staff/signin: the email field, or, for a browser
// signed in already, the page it came for.
func (h *Handler) getSignIn(r *request) events.APIGatewayV2HTTPResponse {
	next := cleanNext(r.QueryStringParameters["next"])
	s, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if s.kind == staffSession {
		return h.seeOther(r.up.to(next))
	}
	v := view{Title: "Sign in", SignIn: &signInView{Next: next}}
	if r.QueryStringParameters["signedout"] != "" {
		v.Message = "You are signed out."
	}
	return h.render(http.StatusOK, v)
}

// postSignIn answers POST /staff/signin: an email asks for a code, an email
// and a code start a session.
func (h *Handler) postSignIn(r *request) events.APIGatewayV2HTTPResponse {
	// Authorize: a form from the clinic's own pages; anyone may send it.
	form, refused := h.postedForm(r, "sign-in refused", "Not sent from the sign-in page", "Open the sign-in page and try again.")
	if refused != nil {
		return *refused
	}
	// Read the form.
	in := &signInView{Email: strings.TrimSpace(form.Get("email")), Next: cleanNext(form.Get("next"))}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
		in.Error = "Enter your email address, such as frontdesk@example-clinic.com."
		return h.render(http.StatusBadRequest, view{Title: "Sign in", SignIn: in})
	}
	email := access.NormalizeEmail(in.Email)
	in.CodeStep = true

	if !form.Has("code") {
		// Apply and answer: email a code. Every address gets the same
		// page, so the page never tells who is on the list (the time it
		// takes may: only a listed address waits for the code's write and
		// SES).
		limited, err := h.sendCode(r, email)
		if err != nil {
			return h.storeProblem(r.log, err)
		}
		if limited != nil {
			return h.codesLimited(r, in.Next, *limited)
		}
		return h.render(http.StatusOK, view{Title: "Enter your code", SignIn: in})
	}

	// Apply: spend the code, once.
	_, listed := access.Listed(h.cfg.StaffEmails, email)
	err := access.ErrNoCode
	if listed {
		err = h.useCode(r, email, form.Get("code"))
	}
	switch {
	case errors.Is(err, access.ErrNoCode), errors.Is(err, access.ErrLocked), errors.Is(err, errWrongCode):
		reason := "no code"
		switch {
		case errors.Is(err, access.ErrLocked):
			reason = "locked"
		case errors.Is(err, errWrongCode):
			reason = "wrong code"
		}
		r.log.Info("sign-in code refused", "reason", reason, "listed", listed)
		if listed {
			h.audit(r, email, access.FailedCode, "")
		}
		in.Error = "That code did not work. A code works once, for 10 minutes, and after 5 wrong tries it stops working: ask for a new one if needed."
		return h.render(http.StatusForbidden, view{Title: "Enter your code", SignIn: in})
	case err != nil:
		return h.storeProblem(r.log, err)
	}
	cookie, err := h.startSession(r, email, nil, r.now.Add(h.cfg.SessionTTL))
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	// Audit, and answer with the session's cookie.
	h.audit(r, email, access.SignIn, "")
	r.log.Info("signed in")
	res := h.seeOther(r.up.to(in.Next))
	res.Cookies = []string{cookie}
	return res
}

// sendCode emails a code to email if it is on the allow-list. Every
// address is counted, listed or not (the counters' keys are keyed hashes,
// never the address or the client): from this client, then from all of
// them. limited is the charge over its limit when one is, whether the
// address is listed or not; nil when a code was sent, or would have been.
// Only a store failure is an error; an address not listed or a send that
// failed is logged, and the page the same.
func (h *Handler) sendCode(r *request, email string) (limited *ratelimit.Charge, err error) {
	key := h.signer.Key(purposeCode)
	client := ratelimit.Client(r.RequestContext.HTTP.SourceIP)
	for _, c := range []ratelimit.Charge{
		ratelimit.Limit{Count: access.CodesPerHour, Window: time.Hour}.ChargeFor(key, email+" "+client, r.now),
		ratelimit.Limit{Count: access.CodesPerAddressHour, Window: time.Hour}.ChargeFor(key, email, r.now),
	} {
		c.Key = "signin#" + c.Key
		switch err := h.store.Charge(r.ctx, c); {
		case errors.Is(err, ratelimit.ErrLimited):
			r.log.Warn("sign-in code not sent", "reason", "too many codes this hour")
			return &c, nil
		case err != nil:
			return nil, fmt.Errorf("count sign-in code: %w", err)
		}
	}
	to, listed := access.Listed(h.cfg.StaffEmails, email)
	if !listed {
		r.log.Info("sign-in code not sent", "reason", "not on the list")
		return nil, nil
	}
	code, err := access.NewCode()
	if err != nil {
		return nil, err
	}
	c := access.Code{Email: email, Digest: access.CodeDigest(h.signer.Key(purposeCode), email, code), Expires: r.now.Add(access.CodeTTL)}
	if err := h.store.PutCode(r.ctx, c); err != nil {
		return nil, fmt.Errorf("store sign-in code: %w", err)
	}
	if err := h.sendCodeMail(r.ctx, to, code); err != nil {
		// The same page still: an error here would tell who is listed.
		r.log.Error("sign-in code not sent", "reason", "send failed", "err", err)
		return nil, nil
	}
	r.log.Info("sign-in code sent")
	return nil, nil
}

// codesLimited answers a code not sent because a limit was reached: 429,
// with when to ask again (the window's end, in the clinic's time zone, and
// as Retry-After), and the code field for a code sent before. The page
// never names the address, so it is the same for every one, listed or not.
func (h *Handler) codesLimited(r *request, next string, c ratelimit.Charge) events.APIGatewayV2HTTPResponse {
	res := h.render(http.StatusTooManyRequests, view{Title: "Codes are limited",
		SignIn: &signInView{Next: next, Limited: true, TryAgain: h.short(c.Until, r.now)}})
	res.Headers["Retry-After"] = strconv.Itoa(c.RetryAfter(r.now))
	return res
}

func (h *Handler) sendCodeMail(ctx context.Context, to, code string) error {
	text := code + " is your code to sign in to " + h.cfg.ClinicName + "'s requests.\n\n" +
		"It works once, for the next 10 minutes. If you did not ask for it, ignore this email: nobody can sign in without the code.\n"
	_, err := h.mail.Send(ctx, sesmail.Message{
		From:    mail.Address{Name: h.cfg.ClinicName, Address: h.cfg.SenderEmail},
		To:      []string{to},
		Subject: "Your sign-in code: " + code,
		Text:    text,
		Tags:    map[string]string{sesmail.TagKind: sesmail.KindSignIn},
	})
	return err
}

// useCode spends the code typed for email if it is the address's current
// one. access.ErrNoCode, access.ErrLocked and errWrongCode say why not; any
// other error is the store's.
func (h *Handler) useCode(r *request, email, typed string) error {
	code := access.CleanCode(typed)
	if code == "" {
		return access.ErrNoCode
	}
	c, err := h.store.TryCode(r.ctx, email, r.now)
	if err != nil {
		return fmt.Errorf("read sign-in code: %w", err)
	}
	if !h.anyKey(r, purposeCode, func(k []byte) bool { return access.CodeMatches(k, c, code) }) {
		return errWrongCode
	}
	if err := h.store.UseCode(r.ctx, c); err != nil {
		return fmt.Errorf("spend sign-in code: %w", err)
	}
	return nil
}

var errWrongCode = errors.New("wrong sign-in code")

// postSignOut answers POST /staff/signout: the session ends, here and in
// the store, and the browser goes to the sign-in page.
func (h *Handler) postSignOut(r *request) events.APIGatewayV2HTTPResponse {
	// Authorize: a form from the clinic's own pages, and, for a session,
	// the form token its pages gave.
	form, refused := h.postedForm(r, "sign-out refused", "Not sent from the clinic's page", "Use the Sign out button on a staff page.")
	if refused != nil {
		return *refused
	}
	s, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if s.kind != noSession {
		if !h.anyKey(r, purposeForm, func(k []byte) bool { return access.FormTokenOK(k, s.Hash, signOutSubject, form.Get("t")) }) {
			r.log.Info("sign-out refused", "reason", "form token")
			return h.problem(http.StatusForbidden, "Not sent from the clinic's page", "Use the Sign out button on a staff page.")
		}
		// Apply and audit.
		if err := h.store.EndSession(r.ctx, s.Hash); err != nil {
			return h.storeProblem(r.log, fmt.Errorf("end session: %w", err))
		}
		h.audit(r, s.actor(), access.SignOut, "")
		r.log.Info("signed out", "signedIn", s.kind == staffSession)
	}
	// Answer: the cookie cleared, with a session or without.
	res := h.seeOther("signin?signedout=1")
	res.Cookies = []string{access.ClearCookie()}
	return res
}

// signOutSubject is what the sign-out form's token is made for.
const signOutSubject = "signout"
