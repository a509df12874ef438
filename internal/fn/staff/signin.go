package staff

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"regexp"
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

// signInPage answers GET /staff/signin: the email field, or, for a browser
// signed in already, the page it came for.
func (h *Handler) signInPage(r *request) events.APIGatewayV2HTTPResponse {
	next := cleanNext(r.QueryStringParameters["next"])
	s, ok, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if ok && s.SignedIn() {
		return h.seeOther("../" + next)
	}
	v := view{Title: "Sign in", SignIn: &signInView{Next: next}}
	if r.QueryStringParameters["signedout"] != "" {
		v.Message = "You are signed out."
	}
	return h.render(http.StatusOK, v)
}

// signIn answers POST /staff/signin: an email asks for a code, an email and
// a code start a session.
func (h *Handler) signIn(r *request) events.APIGatewayV2HTTPResponse {
	form, refused := h.postedForm(r, "sign-in refused", "Not sent from the sign-in page", "Open the sign-in page and try again.")
	if refused != nil {
		return *refused
	}
	in := &signInView{Email: strings.TrimSpace(form.Get("email")), Next: cleanNext(form.Get("next"))}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
		in.Error = "Enter your email address, such as frontdesk@example-clinic.com."
		return h.render(http.StatusBadRequest, view{Title: "Sign in", SignIn: in})
	}
	if !form.Has("code") {
		return h.sendCode(r, in)
	}
	return h.takeCode(r, in, form.Get("code"))
}

// sendCode emails a code to an allow-listed address. Every address gets
// the same page, so the page never tells who is on the list (the time it
// takes may: only a listed address waits for the code's write and SES).
func (h *Handler) sendCode(r *request, in *signInView) events.APIGatewayV2HTTPResponse {
	in.CodeStep = true
	page := h.render(http.StatusOK, view{Title: "Enter your code", SignIn: in})
	email := access.NormalizeEmail(in.Email)
	// Every address is counted, listed or not (the counters' keys are keyed
	// hashes, never the address or the client): from this client, then from
	// all of them.
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
			return page
		case err != nil:
			return h.storeProblem(r.log, err)
		}
	}
	to, listed := access.Listed(h.cfg.StaffEmails, email)
	if !listed {
		r.log.Info("sign-in code not sent", "reason", "not on the list")
		return page
	}
	code, err := access.NewCode()
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	c := access.Code{Email: email, Digest: access.CodeDigest(h.signer.Key(purposeCode), email, code), Expires: r.now.Add(access.CodeTTL)}
	if err := h.store.PutCode(r.ctx, c); err != nil {
		return h.storeProblem(r.log, err)
	}
	if err := h.sendCodeMail(r.ctx, to, code); err != nil {
		// The same page still: an error here would tell who is listed.
		r.log.Error("sign-in code not sent", "reason", "send failed", "err", err)
		return page
	}
	r.log.Info("sign-in code sent")
	return page
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

// takeCode starts a session for a code that matches, once.
func (h *Handler) takeCode(r *request, in *signInView, typed string) events.APIGatewayV2HTTPResponse {
	in.CodeStep = true
	email := access.NormalizeEmail(in.Email)
	_, listed := access.Listed(h.cfg.StaffEmails, email)
	code := access.CleanCode(typed)
	var c access.Code
	err := access.ErrNoCode
	if listed && code != "" {
		c, err = h.store.TryCode(r.ctx, email, r.now)
		if err == nil && !h.anyKey(r, purposeCode, func(k []byte) bool { return access.CodeMatches(k, c, code) }) {
			err = errWrongCode
		}
		if err == nil {
			err = h.store.UseCode(r.ctx, c)
		}
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
			h.record(r, email, access.FailedCode, "")
		}
		in.Error = "That code did not work. A code works once, for 10 minutes, and after 5 wrong tries it stops working: ask for a new one if needed."
		return h.render(http.StatusForbidden, view{Title: "Enter your code", SignIn: in})
	case err != nil:
		return h.storeProblem(r.log, err)
	}
	_, cookie, err := h.startSession(r, email, nil, r.now.Add(h.cfg.SessionTTL))
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	h.record(r, email, access.SignIn, "")
	r.log.Info("signed in")
	res := h.seeOther("../" + in.Next)
	res.Cookies = []string{cookie}
	return res
}

var errWrongCode = errors.New("wrong sign-in code")

// signOut answers POST /staff/signout: the session ends, here and in the
// store, and the browser goes to the sign-in page.
func (h *Handler) signOut(r *request) events.APIGatewayV2HTTPResponse {
	form, refused := h.postedForm(r, "sign-out refused", "Not sent from the clinic's page", "Use the Sign out button on a staff page.")
	if refused != nil {
		return *refused
	}
	s, ok, err := h.session(r)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if ok {
		if !h.anyKey(r, purposeForm, func(k []byte) bool { return access.FormTokenOK(k, s.Hash, signOutSubject, form.Get("t")) }) {
			r.log.Info("sign-out refused", "reason", "form token")
			return h.problem(http.StatusForbidden, "Not sent from the clinic's page", "Use the Sign out button on a staff page.")
		}
		if err := h.store.EndSession(r.ctx, s.Hash); err != nil {
			return h.storeProblem(r.log, err)
		}
		h.record(r, actor(s), access.SignOut, "")
		r.log.Info("signed out", "signedIn", s.SignedIn())
	}
	res := h.seeOther("signin?signedout=1")
	res.Cookies = []string{access.ClearCookie()}
	return res
}

// signOutSubject is what the sign-out form's token is made for.
const signOutSubject = "signout"
