package local

import (
	"context"
	_ "embed" // the local pages
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/fn/followup"
	"github.com/openclinic/leadhandler/internal/render/form"
)

var (
	//go:embed templates/demo.html
	demoHTML string
	//go:embed templates/outbox.html
	outboxHTML string

	demoPage   = template.Must(template.New("demo").Parse(demoHTML))
	outboxPage = template.Must(template.New("outbox").Funcs(template.FuncMap{"linkify": linkify, "mailHTML": mailHTML}).Parse(outboxHTML))
)

type apiHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.demo)
	mux.HandleFunc("GET /contact", s.demo) // a second page, for first-touch attribution across pages
	mux.HandleFunc("POST /leads", s.api("POST /leads", s.submit.Handle))
	mux.HandleFunc("GET /staff", s.api("GET /staff", s.staff.Handle))
	mux.HandleFunc("GET /staff/signin", s.api("GET /staff/signin", s.staff.Handle))
	mux.HandleFunc("POST /staff/signin", s.api("POST /staff/signin", s.staff.Handle))
	mux.HandleFunc("POST /staff/signout", s.api("POST /staff/signout", s.staff.Handle))
	mux.HandleFunc("GET /leads/{id}", s.api("GET /leads/{id}", s.staff.Handle))
	mux.HandleFunc("POST /leads/{id}/contacted", s.api("POST /leads/{id}/contacted", s.staff.Handle))
	mux.HandleFunc("GET /staff/held", s.api("GET /staff/held", s.staff.Handle))
	mux.HandleFunc("POST /staff/held/{id}", s.api("POST /staff/held/{id}", s.staff.Handle))
	mux.HandleFunc("GET /staff/figures", s.api("GET /staff/figures", s.staff.Handle))
	mux.HandleFunc("GET /staff/export", s.api("GET /staff/export", s.staff.Handle))
	mux.HandleFunc("GET /staff/patient", s.api("GET /staff/patient", s.staff.Handle))
	mux.HandleFunc("POST /leads/{id}/erase", s.api("POST /leads/{id}/erase", s.staff.Handle))
	mux.HandleFunc("GET /_local/outbox", s.outbox)
	mux.HandleFunc("GET /_local/texts", s.texts)
	mux.HandleFunc("POST /_local/followup", s.runFollowUp)
	mux.HandleFunc("GET /_local/clock", s.clock)
	mux.HandleFunc("POST /_local/clock", s.clock)
	mux.HandleFunc("POST /_local/mail-event", s.mailEvent)
	mux.HandleFunc("GET /_local/events", s.leadEvents)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local := r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/_local/") // the runner's own pages
		switch {
		case !s.hosts[strings.ToLower(r.Host)]:
			// DNS rebinding: a page on attacker.example whose name now
			// resolves to 127.0.0.1 reaches this server as same-origin, but
			// its requests still say Host: attacker.example.
			http.Error(w, "misdirected request: make dev answers only as "+strings.Join(slices.Sorted(maps.Keys(s.hosts)), " or "), http.StatusMisdirectedRequest)
			return
		case local:
		case s.cors.isPreflight(r):
			s.cors.preflight(w, r)
			return
		case r.Method == http.MethodOptions: // no OPTIONS route: API Gateway's answer
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found"}`))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// ownHosts are the Host headers the runner answers: base's own, and
// 127.0.0.1 and localhost at base's port (the two names make dev prints
// and ALLOWED_ORIGINS allows).
func ownHosts(base string) (map[string]bool, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("BaseURL %q: want http://127.0.0.1:PORT", base)
	}
	hosts := map[string]bool{strings.ToLower(u.Host): true}
	port := u.Port()
	for _, name := range []string{"127.0.0.1", "localhost"} {
		if port == "" {
			hosts[name] = true
		} else {
			hosts[name+":"+port] = true
		}
	}
	return hosts, nil
}

// api serves a route through a function's own handler, as API Gateway would.
func (s *Server) api(routeKey string, h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var params map[string]string
		if id := r.PathValue("id"); id != "" {
			params = map[string]string{"id": id}
		}
		s.cors.respond(w.Header(), r)
		e, err := toEvent(r, routeKey, params)
		if err != nil {
			http.Error(w, "could not read the request", http.StatusBadRequest)
			return
		}
		res, err := h(r.Context(), e)
		if err != nil { // as API Gateway answers a function error
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
			return
		}
		for k := range res.Headers { // API Gateway ignores the function's own CORS headers
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				delete(res.Headers, k)
			}
		}
		writeResponse(w, res)
	}
}

// StaffEmail is an address that may sign in to the staff pages: the first
// of STAFF_EMAILS, else of CLINIC_EMAIL, as the staff function reads them.
func (s *Server) StaffEmail() string {
	for _, name := range []string{"STAFF_EMAILS", "CLINIC_EMAIL"} {
		if first, _, _ := strings.Cut(s.getenv(name), ","); strings.TrimSpace(first) != "" {
			return strings.TrimSpace(first)
		}
	}
	return ""
}

// demo is a clinic's article page ending with the embeddable form.
func (s *Server) demo(w http.ResponseWriter, r *http.Request) {
	o := form.Options{ClinicPhone: s.getenv("CLINIC_PHONE")}
	if v := s.getenv("CONSENT_VERSION"); v != "" { // else the form's own default
		o.ConsentText, o.ConsentVersion = form.DefaultConsent, v
	}
	snippet, err := form.Snippet(o)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	page := struct {
		Clinic                 string
		Submitted              bool
		Form                   template.HTML
		StaffEmail             string
		Expect, Phone, Booking string
	}{Clinic: s.getenv("CLINIC_NAME"), Submitted: q.Get("submitted") == "1", Form: template.HTML(snippet), StaffEmail: s.StaffEmail()}
	// The thank-you without JavaScript, as a clinic's own page would say
	// it: the redirect's expect (only in the API's shape), its own phone,
	// and its own BOOKING_URL when the redirect says booking=1 (docs/form.md).
	if page.Submitted && expectShape.MatchString(q.Get("expect")) {
		page.Expect, page.Phone = q.Get("expect"), s.getenv("CLINIC_PHONE")
	}
	if u, err := url.Parse(s.getenv("BOOKING_URL")); page.Submitted && q.Get("booking") == "1" && err == nil && u.Scheme == "https" {
		page.Booking = u.String()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	demoPage.Execute(w, page)
}

// expectShape is the shape of present.Expect's sentences, as the form's
// script checks the redirect's expect: nothing else in a link is shown.
var expectShape = regexp.MustCompile(`^We(?:'ll (?:call|text|email) you within \d{1,4} (?:minutes|hours?)|'re (?:closed now|closing soon); expect our (?:call|text|email) (?:today|tomorrow|[A-Z][a-z]{2,8}|[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}) (?:from|by) \d{1,2}:\d\d [AP]M)\.$`)

// sentMail is a kept message as /_local/outbox lists it.
type sentMail struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	File    string    `json:"file"`
	From    string    `json:"from"`
	To      []string  `json:"to"`
	ReplyTo []string  `json:"replyTo"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	HTML    string    `json:"html"`
	// Sent is At in the clinic's zone, the zone named, as the page shows it.
	Sent string `json:"-"`
}

// clinicZone is TIME_ZONE, as the functions read it (else UTC).
func (s *Server) clinicZone() *time.Location {
	if loc, err := time.LoadLocation(s.getenv("TIME_ZONE")); err == nil {
		return loc
	}
	return time.UTC
}

// texts lists the texts to STAFF_SMS, oldest first, as JSON.
func (s *Server) texts(w http.ResponseWriter, _ *http.Request) {
	s.stream.wait() // a lead just sent is texted before it is listed
	list := s.Texts.Texts()
	if list == nil {
		list = []sms.Text{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(list)
}

func (s *Server) outbox(w http.ResponseWriter, r *http.Request) {
	s.stream.wait() // a lead just sent is alerted before it is listed
	zone := s.clinicZone()
	var list []sentMail
	for _, m := range s.Outbox.Sent() {
		list = append(list, sentMail{
			ID: m.ID, At: m.At, File: m.File, From: m.From.String(), To: m.To, ReplyTo: m.ReplyTo, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
			Sent: m.At.In(zone).Format("Mon 2 Jan 2006 15:04:05 MST") + " (" + zone.String() + ")",
		})
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		if list == nil {
			list = []sentMail{}
		}
		json.NewEncoder(w).Encode(list)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 { // newest first
		list[i], list[j] = list[j], list[i]
	}
	outboxPage.Execute(w, struct {
		Clinic   string
		Mail     []sentMail
		FollowUp string
	}{s.getenv("CLINIC_NAME"), list, s.followUpReport(r.URL.Query().Get("ran"))})
}

// followUpRun is what a follow-up run did, as /_local/followup reports it.
type followUpRun struct {
	// Outcome is "sent", "already sent", "nothing waiting", "closed" (the
	// clinic does not open that day) or "not the digest's hour" (a ?at=
	// outside it).
	Outcome     string   `json:"outcome"`
	Message     string   `json:"message"`
	Day         string   `json:"day"`
	To          []string `json:"to,omitempty"`
	DigestsSent int      `json:"digestsSent"`
	// Week and ReportsSent are the weekly report's (?report=weekly): the
	// Monday its week began, and the reports the run put in the outbox.
	Week        string `json:"week,omitempty"`
	ReportsSent int    `json:"reportsSent,omitempty"`
}

// weeklyRun says what a weekly report run did in words.
func weeklyRun(o followup.ReportOutcome, sent int) followUpRun {
	run := followUpRun{Week: o.Week, To: o.To, ReportsSent: sent}
	if o.AlreadySent {
		run.Outcome = "already sent"
		run.Message = fmt.Sprintf("No weekly report: the report of the week from %s was already sent.", o.Week)
		return run
	}
	run.Outcome = "sent"
	run.Message = fmt.Sprintf("Weekly report sent to %s: the week from %s, %d %s.", strings.Join(o.To, ", "), o.Week, o.Requests, plural(o.Requests, "request", "requests"))
	if o.Requests == 0 {
		// Right after a demo: this week's requests are in next week's report.
		run.Message += " It reports the week before the clock's; move the clock on a week (POST /_local/clock?advance=168h) to report this one."
	}
	return run
}

// report says what the run did in words; next is the next digest's time
// after the run's day (zero: none within a week), now the runner's clock.
func report(o followup.Outcome, sent int, next, now time.Time) followUpRun {
	run := followUpRun{Day: o.Day, To: o.To, DigestsSent: sent}
	// Where the runner's clock is to be moved on to for the next digest.
	then := ""
	if !next.IsZero() {
		then = " The next goes out " + next.Format("Mon 2 Jan at 3:04 PM")
		if d := next.Sub(now); d > 0 {
			if d%time.Minute != 0 { // whole minutes, landing at the digest's time or just after
				d = d.Truncate(time.Minute) + time.Minute
			}
			then += fmt.Sprintf("; move the clock there with POST /_local/clock?advance=%s, then run the follow-up again", durationWords(d))
		}
		then += "."
	}
	switch {
	case o.MessageID != "":
		run.Outcome = "sent"
		run.Message = fmt.Sprintf("Digest sent to %s about %d %s (%s).", strings.Join(o.To, ", "), o.Total, plural(o.Total, "request", "requests"), o.Day)
	case o.Skipped == followup.ClosedDay:
		run.Outcome = "closed"
		run.Message = fmt.Sprintf("No digest: the clinic is closed on %s (%s; OPENING_HOURS).", o.Day, weekday(o.Day)) + then
	case o.Skipped == followup.NotDigestHour:
		run.Outcome = "not the digest's hour"
		run.Message = fmt.Sprintf("No digest: the digest of %s goes out in the hour from %s, not at the time asked.", o.Day, o.DigestAt.Format("3:04 PM"))
	case o.AlreadySent:
		run.Outcome = "already sent"
		run.Message = fmt.Sprintf("No digest: already sent today (%s).", o.Day) + then
	default:
		run.Outcome = "nothing waiting"
		run.Message = fmt.Sprintf("No digest: nothing waiting at %s (%s). Requests are listed once they are older than FOLLOW_UP_AFTER or a call-back is due.",
			o.DigestAt.Format("3:04 PM"), o.Day) + then
	}
	return run
}

// weekday is the day of the week of day (YYYY-MM-DD), or "" if it is not one.
func weekday(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return ""
	}
	return t.Weekday().String()
}

// durationWords is d, whole minutes, as ?advance= takes it without its
// zero parts: "59h", "14h30m", "45m".
func durationWords(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// keepFollowUpReport keeps what the last run said for the page the run's
// form is redirected to, and returns its number.
func (s *Server) keepFollowUpReport(message string) int {
	s.runsMu.Lock()
	defer s.runsMu.Unlock()
	s.runs++
	s.lastRun = message
	return s.runs
}

// followUpReport is what run number ran said, if it was the last run.
func (s *Server) followUpReport(ran string) string {
	s.runsMu.Lock()
	defer s.runsMu.Unlock()
	if ran == "" || ran != strconv.Itoa(s.runs) {
		return ""
	}
	return s.lastRun
}

// runFollowUp runs the daily follow-up as the schedule runs it: without
// ?at=, the run that sends the digest of the runner clock's day (at that
// day's digest time; on a closed day, at the clock's time, which says so);
// with ?at=RFC3339, the run scheduled then. With ?report=weekly, the
// weekly schedule's run instead, at the runner's clock (or ?at=): the
// report of the week before the clock's, once a week.
func (s *Server) runFollowUp(w http.ResponseWriter, r *http.Request) {
	s.stream.wait()
	now := s.sched.now()
	at := now
	weekly := false
	switch v := r.FormValue("report"); v {
	case "":
	case followup.WeeklyReport:
		weekly = true
	default:
		http.Error(w, "report: want "+followup.WeeklyReport+" (the weekly report), or none for the digest", http.StatusBadRequest)
		return
	}
	if v := r.FormValue("at"); v != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, v); err != nil {
			http.Error(w, "at: want an RFC 3339 time such as 2026-11-28T08:00:00-05:00", http.StatusBadRequest)
			return
		}
	} else if digestAt, open := s.followup.DigestAt(now); open && !weekly {
		at = digestAt
	}
	before := len(s.Outbox.Sent())
	ev := followup.Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)}
	var run followUpRun
	var err error
	if weekly {
		ev.Report = followup.WeeklyReport
		var outcome followup.ReportOutcome
		outcome, err = s.followup.Report(r.Context(), ev)
		run = weeklyRun(outcome, len(s.Outbox.Sent())-before)
	} else {
		var outcome followup.Outcome
		outcome, err = s.followup.Run(r.Context(), ev)
		run = report(outcome, len(s.Outbox.Sent())-before, s.nextDigest(at), now)
	}
	if !wantsJSON(r) && err == nil {
		n := s.keepFollowUpReport(run.Message)
		http.Redirect(w, r, "/_local/outbox?ran="+strconv.Itoa(n), http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]any{"error": err.Error()})
		return
	}
	json.NewEncoder(w).Encode(run)
}

// nextDigest is the time of the first digest on a day after at's (in the
// clinic's zone), or zero if the clinic opens on none of the next 7 days.
func (s *Server) nextDigest(at time.Time) time.Time {
	y, m, d := at.In(s.clinicZone()).Date()
	for i := 1; i <= 7; i++ {
		if next, open := s.followup.DigestAt(time.Date(y, m, d+i, 12, 0, 0, 0, s.clinicZone())); open {
			return next
		}
	}
	return time.Time{}
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify escapes text and makes its URLs links (the staff links above all).
func linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range urlPattern.FindAllStringIndex(text, -1) {
		b.WriteString(template.HTMLEscapeString(text[last:m[0]]))
		u := template.HTMLEscapeString(text[m[0]:m[1]])
		b.WriteString(`<a href="` + u + `">` + u + `</a>`)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String())
}

var (
	headTag = regexp.MustCompile(`(?i)<head(\s[^>]*)?>`)
	doctype = regexp.MustCompile(`(?i)^\s*<!doctype[^>]*>`)
)

// mailHTML is an email's HTML part with <base target="_blank"> first in its
// head, so its links open in a new tab: the outbox shows it in a frame
// sandboxed without scripts or forms, whose own navigation stays blocked.
func mailHTML(h string) string {
	const base = `<base target="_blank">`
	if loc := headTag.FindStringIndex(h); loc != nil {
		return h[:loc[1]] + base + h[loc[1]:]
	}
	if loc := doctype.FindStringIndex(h); loc != nil {
		return h[:loc[1]] + base + h[loc[1]:]
	}
	return base + h
}
