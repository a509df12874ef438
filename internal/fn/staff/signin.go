package staff

import (
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

// purposeDevice is the purpose of the key device cookies are signed with.
const purposeDevice = "signin-device"

// postSignIn answers POST /staff/signin: an email asks for a code, an email
// and a code start a session. Both steps do the same work for an address
// on the list as for one not on it: the same store calls, in the same
// order, and no email: notify sends the code, off the request's path, when
// the table's stream hands it the code item (docs/signin.md).
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
	ask := codeAsk{in: in, email: email}
	ask.device, ask.trusted = h.device(r, email)

	if !form.Has("code") {
		return h.askCode(r, ask)
	}
	return h.enterCode(r, ask, form.Get("code"))
}

// askCode is the email step: a code item for email, bound to this browser
// by its code cookie (a new one unless it holds one), stored whether the
// address is listed or not; notify emails a listed one its code. The page
// is the same for every address, and so is the cookie.
func (h *Handler) askCode(r *request, ask codeAsk) events.APIGatewayV2HTTPResponse {
	if ask.browser = access.CodeBrowser(r.Cookies); ask.browser == "" {
		var err error
		if ask.browser, err = access.NewSessionID(); err != nil {
			return h.storeProblem(r.log, err)
		}
	}
	limited, err := h.sendCode(r, ask)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if limited != nil {
		// The browser keeps its code cookie, and the code it came with.
		return h.codesLimited(r, ask.in.Next, *limited)
	}
	res := h.render(http.StatusOK, view{Title: "Enter your code", SignIn: ask.in})
	res.Cookies = []string{access.CodeCookie(ask.browser)}
	return res
}

// enterCode is the code step: the limits on tries first (a try over one is
// refused unread), then the code this browser asked for email, spent once
// if it matches; a session, and a device cookie for email, if it did.
func (h *Handler) enterCode(r *request, ask codeAsk, typed string) events.APIGatewayV2HTTPResponse {
	in, email, trusted := ask.in, ask.email, ask.trusted
	_, listed := access.Listed(h.cfg.StaffEmails, email)
	limited, err := h.chargeTry(r, ask)
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	if limited != nil {
		r.log.Info("sign-in code refused", "reason", "too many tries", "listed", listed, "deviceCookie", trusted)
		return h.triesLimited(r, in, *limited)
	}
	// Apply: spend the code, once.
	err = access.ErrNoCode
	if browser := access.CodeBrowser(r.Cookies); browser != "" {
		err = h.useCode(r, email, browser, typed, listed)
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
		r.log.Info("sign-in code refused", "reason", reason, "listed", listed, "deviceCookie", trusted)
		h.failedCode(r, email, listed)
		in.Error = "That code did not work. A code works once, for 10 minutes, in the browser that asked for it, and after 5 wrong tries it stops working: ask for a new one if needed."
		return h.render(http.StatusForbidden, view{Title: "Enter your code", SignIn: in})
	case err != nil:
		return h.storeProblem(r.log, err)
	}
	cookie, err := h.startSession(r, email, nil, r.now.Add(h.cfg.SessionTTL))
	if err != nil {
		return h.storeProblem(r.log, err)
	}
	// Audit, and answer with the session's cookie, the device cookie (a new
	// one: its end moves on at every sign-in), and the code cookie ended.
	h.audit(r, email, access.SignIn, "")
	r.log.Info("signed in", "deviceCookie", trusted)
	res := h.seeOther(r.up.to(in.Next))
	res.Cookies = []string{cookie, access.ClearCodeCookie()}
	if id, err := access.NewSessionID(); err != nil {
		r.log.Warn("no device cookie", "err", err)
	} else {
		d := access.Device{ID: id, Expires: r.now.Add(access.DeviceTTL)}
		res.Cookies = append(res.Cookies, access.DeviceCookie(access.DeviceToken(h.signer.Key(purposeDevice), email, d), d.Expires, r.now))
	}
	return res
}

// device reads the browser's device cookie for email: a browser that
// signed in as email before holds one (signed with a key of its own from
// the link secret, any version held).
func (h *Handler) device(r *request, email string) (access.Device, bool) {
	token := access.DeviceCookieValue(r.Cookies)
	if token == "" {
		return access.Device{}, false
	}
	var d access.Device
	ok := h.anyKey(r, purposeDevice, func(k []byte) bool {
		var ok bool
		d, ok = access.DeviceFor(k, token, email, r.now)
		return ok
	})
	return d, ok
}

// codeAsk is one sign-in form sent: for email (normalized; in is the page
// as typed), from the browser whose code cookie holds browser (the email
// step fills it in), with or without a device cookie for email (trusted).
type codeAsk struct {
	in             *signInView
	email, browser string
	trusted        bool
	device         access.Device
}

// sendCode stores a code item for the ask's address and browser: one that
// owes a code (send) if the address is on the allow-list, one that owes
// none if not. Either way the item holds no code and no digest: notify,
// handed an owing item by the table's stream, makes the code, stores its
// digest and emails it, so this request's work and answer never depend on
// SES or on the list. Every address is counted, listed or not (the
// counters' keys are keyed hashes, never the address or the client): a
// browser with a device cookie for the address by that cookie alone; any
// other by its client, then from all of them. limited is the charge over
// its limit when one is, whether the address is listed or not; nil when a
// code item was stored. An unlisted address's item never gets a digest, so
// no typed code matches it, and its code step reads and counts it just as
// a listed one's.
func (h *Handler) sendCode(r *request, ask codeAsk) (limited *ratelimit.Charge, err error) {
	key := h.signer.Key(access.PurposeCode)
	var charges []ratelimit.Charge
	if ask.trusted {
		charges = append(charges, ratelimit.Limit{Count: access.CodesPerHour, Window: time.Hour}.ChargeFor(key, "device "+ask.device.ID+" "+ask.email, r.now))
	} else {
		client := ratelimit.Client(r.RequestContext.HTTP.SourceIP)
		charges = append(charges,
			ratelimit.Limit{Count: access.CodesPerHour, Window: time.Hour}.ChargeFor(key, ask.email+" "+client, r.now),
			ratelimit.Limit{Count: access.CodesPerAddressHour, Window: time.Hour}.ChargeFor(key, ask.email, r.now))
	}
	for _, c := range charges {
		c.Key = "signin#" + c.Key
		switch err := h.store.Charge(r.ctx, c); {
		case errors.Is(err, ratelimit.ErrLimited):
			r.log.Warn("sign-in code not sent", "reason", "too many codes this hour", "deviceCookie", ask.trusted)
			return &c, nil
		case err != nil:
			return nil, fmt.Errorf("count sign-in code: %w", err)
		}
	}
	_, listed := access.Listed(h.cfg.StaffEmails, ask.email)
	c := access.Code{Email: ask.email, Browser: access.IDHash(ask.browser), Send: listed, Expires: r.now.Add(access.CodeTTL)}
	if err := h.store.PutCode(r.ctx, c); err != nil {
		return nil, fmt.Errorf("store sign-in code: %w", err)
	}
	r.log.Info("sign-in code asked for", "codeOwed", listed, "deviceCookie", ask.trusted)
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

// triesLimited answers a code not read because a limit on tries was
// reached: 429, with when to try again, and the code field. The page is
// the same for every address, listed or not.
func (h *Handler) triesLimited(r *request, in *signInView, c ratelimit.Charge) events.APIGatewayV2HTTPResponse {
	in.Error = "Too many codes were entered just now, so this one was not checked. Try again after " + h.short(c.Until, r.now) +
		". A browser you signed in with before is not held back by others' tries."
	res := h.render(http.StatusTooManyRequests, view{Title: "Enter your code", SignIn: in})
	res.Headers["Retry-After"] = strconv.Itoa(c.RetryAfter(r.now))
	return res
}

// chargeTry counts one code entered for email: a browser with a device
// cookie for email against that cookie's own limit; any other against its
// client's, then against the address's, whose windows grow (10 minutes, an
// hour, a day). Listed or not, the same counters. limited is the charge
// over its limit when one is.
func (h *Handler) chargeTry(r *request, ask codeAsk) (limited *ratelimit.Charge, err error) {
	key, email := h.signer.Key(access.PurposeCode), ask.email
	var charges []ratelimit.Charge
	if ask.trusted {
		charges = append(charges, ratelimit.Limit{Count: access.DeviceTriesHour, Window: time.Hour}.ChargeFor(key, "try device "+ask.device.ID+" "+email, r.now))
	} else {
		client := ratelimit.Client(r.RequestContext.HTTP.SourceIP)
		charges = append(charges, ratelimit.Limit{Count: access.TriesPerClientHour, Window: time.Hour}.ChargeFor(key, "try client "+client, r.now))
		for _, l := range access.AddressTries {
			charges = append(charges, ratelimit.Limit{Count: l.Count, Window: l.Window}.ChargeFor(key, "try "+l.Window.String()+" "+email, r.now))
		}
	}
	for _, c := range charges {
		c.Key = "signin#" + c.Key
		switch err := h.store.Charge(r.ctx, c); {
		case errors.Is(err, ratelimit.ErrLimited):
			return &c, nil
		case err != nil:
			return nil, fmt.Errorf("count sign-in try: %w", err)
		}
	}
	return nil, nil
}

// failedCode records a code refused for email in the audit trail once per
// burst (at most once an access.BurstWindow for an address): the first
// refusal of a window writes an entry, the rest only their log lines. An
// unlisted address's entry names no address (access.Unlisted), and costs
// what a listed one's does.
func (h *Handler) failedCode(r *request, email string, listed bool) {
	c := ratelimit.Limit{Count: 1, Window: access.BurstWindow}.ChargeFor(h.signer.Key(access.PurposeCode), "burst "+email, r.now)
	c.Key = "signin#" + c.Key
	switch err := h.store.Charge(r.ctx, c); {
	case errors.Is(err, ratelimit.ErrLimited): // recorded already
		return
	case err != nil:
		r.log.Warn("failed code not counted; audited", "err", err)
	}
	actor := access.Unlisted
	if listed {
		actor = email
	}
	h.audit(r, actor, access.FailedCode, "")
}

// useCode spends the code typed for email if it is the one this browser
// (its code cookie's id) asked for. access.ErrNoCode, access.ErrLocked and
// errWrongCode say why not; any other error is the store's. An unlisted
// address's code has no digest, so never matches: it is read and counted
// all the same (as is a listed one's before notify has sent it).
func (h *Handler) useCode(r *request, email, browser, typed string, listed bool) error {
	code := access.CleanCode(typed)
	if code == "" {
		return access.ErrNoCode
	}
	c, err := h.store.TryCode(r.ctx, email, access.IDHash(browser), r.now)
	if err != nil {
		return fmt.Errorf("read sign-in code: %w", err)
	}
	if !h.anyKey(r, access.PurposeCode, func(k []byte) bool { return access.CodeMatches(k, c, code) }) || !listed {
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
