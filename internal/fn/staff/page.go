package staff

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/markup"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// view is what a page shows (html.go): a lead's page, the inbox, the
// sign-in page, or a message alone.
type view struct {
	Clinic  string
	Title   string
	Message string
	Problem bool
	Nav     *navView
	Lead    *leadView
	Inbox   *inboxView
	SignIn  *signInView
	Held    *heldView    // held.go
	Figures *figuresView // figures.go
	Erased  *erasedView  // patient.go
}

// navView is the bar of every page a session opens: who is signed in, the
// way to the inbox, and the sign-out form.
type navView struct {
	Email      string // "" for a session an emailed link started
	Inbox      string // the inbox's URL; or, without Email, the sign-in page's
	SignOutURL string
	Token      string // the sign-out form's token
	Figures    string // the figures page's URL, for owners; "" for others
}

// signInView is the sign-in page: the email step, the code step, or the
// word that codes are limited (Limited: no code was sent; ask again at
// TryAgain).
type signInView struct {
	Email, Next string
	CodeStep    bool
	Error       string
	Limited     bool
	TryAgain    string
}

// inboxView is one page of the inbox.
type inboxView struct {
	Show, Search string
	Filters      []filterView
	Sections     []sectionView
	Next, First  string // URLs of the next and the first page; "" when none
	Cut          bool   // a search stopped reading: Next goes on
	// Held is how many requests are held for review ("3 requests"), with a
	// link to them; "" when none is, or the session may not review them.
	Held string
}

type filterView struct {
	Label, Href string
	Current     bool
}

type sectionView struct {
	Title string
	Rows  []rowView
}

type rowView struct {
	Name, Href, Prefers, Received, Tries, Due string
	Overdue                                   bool
	// Requests is how many open requests of the patient the row stands
	// for ("2 requests", inbox.Row.Requests); "" for one.
	Requests string
	// Phone is the number as people read it, Call its tel: link ("" when
	// it cannot be linked).
	Phone string
	Call  markup.URL
	// Alert says the clinic never got the lead's alert, in a few words; ""
	// when it did.
	Alert string
}

// accessView is one entry of a lead's access history.
type accessView struct {
	When, Who, What string
}

// leadView is a lead's page, in the order a front desk on a phone needs it:
// the ways to reach the patient, where the lead stands, the form, then the
// details and the history.
type leadView struct {
	Name string
	// The primary actions; an empty href is not offered.
	Call  markup.URL
	Phone string
	Text  markup.URL
	Mail  markup.URL
	Email string

	Status string
	// The forms the lead's state allows; nil when not offered.
	Attempt, Reopen, Correct *form
	Latest                   string // the outcome Correct changes

	Number                           string // the request number (lead.Number)
	Prefers, Received, Reason, Alert string
	CameFrom                         string // "" when nothing is known
	FirstAttempt, FirstReach         string
	NextCallback                     string
	History                          []eventView
	Older                            string // "and 3 older entries"
	// Access is who opened or changed the lead, newest first; shown to
	// signed-in staff only.
	Access []accessView
	// Closed says why and when a closed lead shown without a signed-in
	// session was closed, and SignIn is the way to reopen or correct it:
	// such a page has no form. "" otherwise.
	Closed, SignIn string
	// Patient is the same patient's other requests (earlier.go); nil for
	// none.
	Patient *patientView
	// Erase is the owners' form erasing the patient's data (patient.go);
	// nil for others.
	Erase *eraseView
}

// form is one of the page's forms, as rendered or as staff left it.
type form struct {
	Action   string // the hidden `action` field; also prefixes the inputs' ids
	URL      string // where it posts, relative to the URL the page is shown at
	Token    string
	Version  int
	Outcomes []choice
	Channels []choice
	Callback string
	Note     string
	Error    string
	// Earliest and Latest bound the call-back time picker.
	Earliest, Latest string
	Open             bool // a folded form is shown open
}

type choice struct {
	ID, Value, Label string
	Checked          bool
}

type eventView struct {
	When, What, Channel, Callback, Note string
	By                                  string // who recorded it (byWords)
}

// entry is what staff sent in one of the page's forms, kept as sent so a
// refused form comes back as they left it.
type entry struct {
	Action, Outcome, Channel, Callback, Note string
	Duplicates                               string // the attempt form's `duplicates` box (earlier.go)
	Error                                    string
}

var outcomeLabels = map[lead.Outcome]string{
	lead.NoAnswer: "No answer", lead.LeftMessage: "Left a message", lead.Reached: "Reached, not booked yet",
	lead.Booked: "Booked", lead.NotInterested: "Not interested", lead.WrongNumber: "Wrong number",
}

var channelLabels = map[lead.Channel]string{lead.ChannelCall: "Call", lead.ChannelText: "Text", lead.ChannelEmail: "Email"}

// Where a lead's forms post: from the page at /leads/{id}, or from a page
// answering a POST at /leads/{id}/contacted. "./" keeps an id from reading
// as a URL scheme.
func formAtPage(id string) string { return "./" + url.PathEscape(id) + "/contacted" }

const formAtPost = "./contacted"

// leadPage is lead l's page as session s sees it; its forms post to
// target.
func (h *Handler) leadPage(r *request, s access.Session, l lead.Lead, target string) view {
	now, token := r.now, access.FormToken(h.signer.Key(purposeForm), s.Hash, l.ID)
	v := &leadView{
		Name:         l.Name,
		Call:         present.Tel(l.Phone),
		Phone:        present.Phone(l),
		Mail:         present.Mailto(l.Email),
		Email:        l.Email,
		Status:       h.status(l, now),
		Number:       l.Number(),
		Prefers:      prefers(l),
		Received:     h.short(l.CreatedAt, now),
		Reason:       l.Reason,
		Alert:        present.LeadAlert(l, h.cfg.TimeZone),
		CameFrom:     cameFrom(l.Source),
		FirstAttempt: sinceRequest(l, l.FirstAttempt),
		FirstReach:   sinceRequest(l, l.FirstReach),
	}
	if l.PreferredContact == lead.ByText {
		v.Text = present.SMS(l.Phone)
	}
	if l.Status == lead.StatusClosed {
		v.Received += " (" + present.Age(now.Sub(l.CreatedAt)) + " ago)"
	} else {
		v.Received += " (waiting " + present.Age(now.Sub(l.CreatedAt)) + ")"
	}
	if !l.ReleasedAt.IsZero() {
		v.Received += "; held for review, released " + h.short(l.ReleasedAt, now)
	}
	if l.Status == lead.StatusOpen {
		v.NextCallback = "now"
		if !l.Callback.IsZero() {
			v.NextCallback = h.short(l.Callback, now)
		}
	}
	for i := len(l.History) - 1; i >= 0; i-- {
		v.History = append(v.History, h.eventView(l.History[i], now))
	}
	if l.Dropped > 0 {
		v.Older = "and " + present.Plural(l.Dropped, "older entry", "older entries")
	}

	newForm := func(action string) *form {
		f := &form{Action: action, URL: target, Token: token, Version: l.Version}
		if action != actReopen {
			f.Outcomes = choices(action, lead.Outcomes, outcomeLabels, "")
		}
		if action != actCorrect {
			f.Earliest = now.In(h.cfg.TimeZone).Format(callbackLayout)
			f.Latest = now.Add(maxCallbackAhead).In(h.cfg.TimeZone).Format(callbackLayout)
		}
		if action == actAttempt {
			f.Channels = choices(action, lead.Channels, channelLabels, lead.ChannelCall)
		}
		return f
	}
	switch {
	case l.Status == lead.StatusClosed && !s.SignedIn():
		// Read-only: an emailed link records nothing on a closed lead.
		v.Closed = h.closedWords(l)
		v.SignIn = r.up.to("staff/signin?next=" + url.QueryEscape("leads/"+l.ID))
	case l.Status == lead.StatusClosed:
		v.Reopen = newForm(actReopen)
	default:
		v.Attempt = newForm(actAttempt)
	}
	if o := l.LatestOutcome(); o != "" && v.Closed == "" {
		v.Correct, v.Latest = newForm(actCorrect), outcomeLabels[o]
	}
	if s.SignedIn() {
		v.Access = h.access(r, l.ID)
	}
	v.Patient = h.patient(r, s, l)
	if v.Attempt == nil && v.Patient != nil {
		v.Patient.Duplicates = "" // offered on the attempt form only
	}
	v.Erase = h.eraseForm(s, target, token)
	return view{Title: "Appointment request", Nav: h.nav(r, s), Lead: v}
}

var actionWords = map[access.Action]string{access.View: "opened it", access.Attempt: "recorded an attempt",
	access.Correct: "corrected the outcome", access.Reopen: "reopened it"}

// access is the lead's latest audit entries, newest first. The page is
// shown without them when they cannot be read.
func (h *Handler) access(r *request, id string) []accessView {
	var out []accessView
	for e, err := range h.store.AuditTrail(r.ctx, id, time.Time{}, true, r.now) {
		if err != nil {
			r.log.Warn("access history not read", "err", err)
			return out
		}
		what := actionWords[e.Action]
		if what == "" {
			what = string(e.Action)
		}
		out = append(out, accessView{When: h.short(e.At, r.now), Who: e.Actor, What: what})
		if len(out) == historyShown {
			break
		}
	}
	return out
}

// nav is the page's bar for session s.
func (h *Handler) nav(r *request, s access.Session) *navView {
	n := &navView{Email: s.Email, SignOutURL: r.up.to("staff/signout"), Token: access.FormToken(h.signer.Key(purposeForm), s.Hash, signOutSubject)}
	if s.SignedIn() {
		n.Inbox = r.up.to("staff")
		if h.isOwner(s) {
			n.Figures = r.up.to("staff/figures")
		}
	} else {
		n.Inbox = r.up.to("staff/signin?next=staff")
	}
	return n
}

// prefers says how and when the patient prefers to be reached.
// clickIDs says which ad network a click id comes from.
var clickIDs = map[string]string{"gclid": "a Google Ads click", "fbclid": "a Facebook or Instagram click"}

// cameFrom is a lead's first touch in a line: the site the visit came
// from, its campaign tags, its first page and the form's page, as known.
func cameFrom(src lead.Source) string {
	var parts, tags []string
	if u, err := url.Parse(src.Referrer); err == nil && u.Host != "" {
		parts = append(parts, u.Host)
	}
	for _, k := range lead.CampaignFields {
		v := src.UTM[k]
		switch {
		case v == "":
		case clickIDs[k] != "":
			parts = append(parts, clickIDs[k])
		default:
			tags = append(tags, k+"="+v)
		}
	}
	if len(tags) > 0 {
		parts = append(parts, strings.Join(tags, ", "))
	}
	if src.LandingPath != "" {
		parts = append(parts, "first page "+src.LandingPath)
	}
	if u, err := url.Parse(src.Page); err == nil && u.Host != "" && len(parts) > 0 {
		parts = append(parts, "form on "+u.EscapedPath())
	}
	return strings.Join(parts, "; ")
}

func prefers(l lead.Lead) string {
	return strings.TrimSuffix(l.PreferredContact.Words()+", "+l.PreferredTime.Words(), ", ")
}

// form is the page's form for action, if the page offers it.
func (v *leadView) form(action string) *form {
	return map[string]*form{actAttempt: v.Attempt, actCorrect: v.Correct, actReopen: v.Reopen}[action]
}

// keep puts what staff sent back into the form, with the error.
func (f *form) keep(in entry) {
	f.Callback, f.Note, f.Error, f.Open = in.Callback, in.Note, in.Error, true
	for i := range f.Outcomes {
		f.Outcomes[i].Checked = f.Outcomes[i].Value == in.Outcome
	}
	if in.Channel != "" {
		for i := range f.Channels {
			f.Channels[i].Checked = f.Channels[i].Value == in.Channel
		}
	}
}

func choices[T ~string](prefix string, values []T, labels map[T]string, checked T) []choice {
	out := make([]choice, 0, len(values))
	for _, v := range values {
		out = append(out, choice{ID: prefix + "-" + string(v), Value: string(v), Label: labels[v], Checked: v == checked})
	}
	return out
}

// status is the lead's one status line.
func (h *Handler) status(l lead.Lead, now time.Time) string {
	switch l.Status {
	case lead.StatusNew:
		return "Not tried yet"
	case lead.StatusClosed:
		return "Closed: " + present.Closed(l) + " on " + h.short(l.ClosedAt, now)
	}
	when := "now"
	switch {
	case l.Callback.IsZero(): // an item from before call-backs were kept
	case l.Callback.After(now):
		when = h.short(l.Callback, now)
	default:
		when = "now (due " + h.short(l.Callback, now) + ")"
	}
	return "Open: call back " + when + " (" + h.triesWords(l) + ")"
}

// triesWords counts an open lead's tries: in all (Lead.Attempts), and,
// against MAX_ATTEMPTS, those since it was last reached, reopened or
// requested (Lead.Tries), which close it when they run out:
// "3 tries; 1 of 4 since they were last reached".
func (h *Handler) triesWords(l lead.Lead) string {
	s := present.Plural(l.Attempts(), "try", "tries")
	if l.Attempts() == 0 {
		s = "no tries yet"
	}
	return s + "; " + strconv.Itoa(l.Tries) + " of " + strconv.Itoa(h.cfg.Policy.MaxAttempts) + " since " + sinceWhat(l)
}

// sinceWhat says what a lead's Tries count from: the latest attempt that
// reached the patient (as corrected since), the latest reopening, or the
// request.
func sinceWhat(l lead.Lead) string {
	var corrected lead.Outcome // the latest attempt's outcome, if a correction changed it
	for i := len(l.History) - 1; i >= 0; i-- {
		switch e := l.History[i]; e.Kind {
		case lead.EventReopen:
			return "it was reopened"
		case lead.EventCorrection:
			if corrected == "" {
				corrected = e.Outcome
			}
		case lead.EventAttempt:
			o := e.Outcome
			if corrected != "" {
				o = corrected
			}
			if o.Reaches() {
				return "they were last reached"
			}
			corrected = ""
		}
	}
	if l.Dropped > 0 && !l.FirstReach.IsZero() {
		return "they were last reached"
	}
	return "the request"
}

// saved confirms what the POST that sent staff back here recorded, when it
// is still the lead's latest event.
func (h *Handler) saved(l lead.Lead, action string, now time.Time) string {
	if len(l.History) == 0 {
		return ""
	}
	e := l.History[len(l.History)-1]
	var s string
	switch {
	case action == actAttempt && e.Kind == lead.EventAttempt:
		s = "Recorded: " + strings.ToLower(outcomeLabels[e.Outcome]) + "."
	case action == actCorrect && e.Kind == lead.EventCorrection:
		s = "Corrected: the latest outcome is now " + strings.ToLower(outcomeLabels[e.Outcome]) + "."
	case action == actReopen && e.Kind == lead.EventReopen:
		s = "Reopened."
	default:
		return ""
	}
	switch {
	case l.Status == lead.StatusOpen && !l.Callback.IsZero():
		return s + " Next call-back " + h.short(l.Callback, now) + "."
	case l.Closed == lead.ClosedUnreachable, l.Closed == lead.ClosedNotReachedAgain:
		return s + " Closed: " + present.Closed(l) + "."
	case l.Status == lead.StatusClosed:
		return s + " The request is closed."
	}
	return s
}

func (h *Handler) eventView(e lead.Event, now time.Time) eventView {
	v := eventView{When: h.short(e.At, now), By: byWords(e.By), Note: e.Note}
	switch e.Kind {
	case lead.EventAttempt:
		v.What, v.Channel = outcomeLabels[e.Outcome], strings.ToLower(channelLabels[e.Channel])
	case lead.EventCorrection:
		v.What = "Corrected to " + strings.ToLower(outcomeLabels[e.Outcome])
	case lead.EventReopen:
		v.What = "Reopened"
	case lead.EventDuplicate:
		v.What = duplicateWords(e)
	}
	if !e.Callback.IsZero() {
		v.Callback = "call back " + h.short(e.Callback, now)
	}
	return v
}

// byWords says who recorded an event: the staff member's address, or
// "emailed link" for a page an emailed link opened; "" when the event does
// not say.
func byWords(by string) string {
	if by == lead.ByLink {
		return "emailed link"
	}
	return by
}

// closedWords says why and when a closed lead was closed, by date.
func (h *Handler) closedWords(l lead.Lead) string {
	return present.Closed(l) + " on " + l.ClosedAt.In(h.cfg.TimeZone).Format("Mon 2 Jan 2006")
}

// short says t in the clinic's zone as a phone screen has room for: "Tue 1
// Dec, 2:00 PM", with the year when it is not now's.
func (h *Handler) short(t, now time.Time) string {
	t = t.In(h.cfg.TimeZone)
	if t.Year() != now.In(h.cfg.TimeZone).Year() {
		return t.Format("Mon 2 Jan 2006, 3:04 PM")
	}
	return t.Format("Mon 2 Jan, 3:04 PM")
}

// sinceRequest says how long after the request t came (a speed-to-lead
// figure), or "not yet".
func sinceRequest(l lead.Lead, t time.Time) string {
	if t.IsZero() {
		return "not yet"
	}
	d := t.Sub(l.CreatedAt)
	switch {
	case d < time.Minute:
		return "less than a minute after the request"
	case d < time.Hour:
		return present.Plural(int(d/time.Minute), "minute", "minutes") + " after the request"
	}
	return present.Age(d) + " after the request"
}

func (h *Handler) problem(status int, title, msg string) events.APIGatewayV2HTTPResponse {
	return h.render(status, view{Title: title, Message: msg, Problem: true})
}

func (h *Handler) render(status int, v view) events.APIGatewayV2HTTPResponse {
	v.Clinic = h.cfg.ClinicName
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "text/html; charset=utf-8",
			"Cache-Control": "no-store",
			// The token is in the URL: it must not leak to other sites.
			"Referrer-Policy":         "no-referrer",
			"X-Robots-Tag":            "noindex, nofollow",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		},
		Body: pageHTML(v),
	}
}
