// Package config loads each function's settings from its environment. Every
// variable is documented in docs/configuration.md (a test holds the two
// together); a missing or malformed one fails the cold start with an error
// naming it.
package config

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// Submit is the submit function's configuration.
type Submit struct {
	// Table is LEADS_TABLE: the DynamoDB table holding leads and counters.
	Table string
	// AllowedOrigins is ALLOWED_ORIGINS: the sites whose pages may post the
	// form, as scheme://host[:port], comma-separated.
	AllowedOrigins []string
	// ThankYouURL is THANK_YOU_URL: where a form posted without JavaScript
	// is redirected. Empty: back to the form's page with submitted=1.
	ThankYouURL string
	// RateLimit is RATE_LIMIT: stored (or trapped) submissions per client,
	// "10/1h" by default, "0" to disable.
	RateLimit ratelimit.Limit
	// RateLimitSalt is RATE_LIMIT_SALT: the salt of the client address hash.
	// Required unless the limit is disabled.
	RateLimitSalt []byte
	// Retention is RETENTION_DAYS: how long a lead is kept, 365 days by default.
	Retention time.Duration
	// PhoneRegion is PHONE_REGION: the region assumed for phone numbers
	// written without a country code, US by default.
	PhoneRegion string
	// ConsentVersion is CONSENT_VERSION: the consent text version recorded
	// when the form does not send one, "1" by default.
	ConsentVersion string
	// MinFillTime is MIN_FILL_TIME: a form sent sooner after it was shown,
	// with no key pressed, click or tap on it, is taken for a bot's, 1s by
	// default.
	MinFillTime time.Duration
	// TurnstileSecretARN is TURNSTILE_SECRET_ARN: the Secrets Manager
	// secret holding the Cloudflare Turnstile secret key, read at cold start
	// and again while the function runs (internal/fn/submit).
	// With it (or TURNSTILE_SECRET), every request must carry a Turnstile
	// token that Cloudflare confirms. Optional.
	TurnstileSecretARN string
	// TurnstileSecret is TURNSTILE_SECRET: the key itself, locally and in
	// tests; used only when TURNSTILE_SECRET_ARN is unset.
	TurnstileSecret string
	// HeldRetention is HELD_RETENTION_DAYS: how long a request the bot
	// traps caught is held for review, 14 days by default.
	HeldRetention time.Duration
	// TimeZone is TIME_ZONE: held requests are counted per day in the
	// clinic's zone, as the digest reads them; UTC when unset.
	TimeZone *time.Location
	// MetricNamespace is METRIC_NAMESPACE: the CloudWatch namespace of the
	// LeadsStored metric (one EMF line per stored lead) that the quiet-form
	// alarm watches. Empty: no metric line.
	MetricNamespace string
	// Edge is EDGE_ORIGIN_SECRET: set, requests that did not come through
	// the edge are refused.
	Edge Edge
	// Hours is OPENING_HOURS in TIME_ZONE (hours.Default when unset) and
	// SLA is RESPONSE_SLA (15m by default), as notify reads them: the
	// thank-you says when to expect the answer (present.Expect).
	Hours hours.Hours
	SLA   time.Duration
	// ClinicPhone is CLINIC_PHONE: the number the thank-you gives, optional.
	ClinicPhone string
	// BookingURL is BOOKING_URL: the thank-you offers to book online there
	// (https only); empty: no offer.
	BookingURL string
}

// LoadSubmit reads the submit function's configuration through getenv.
func LoadSubmit(getenv func(string) string) (Submit, error) {
	e := env{getenv: getenv}
	c := Submit{
		Table:           e.required("LEADS_TABLE"),
		AllowedOrigins:  e.origins("ALLOWED_ORIGINS"),
		ThankYouURL:     e.webURL("THANK_YOU_URL"),
		Retention:       time.Duration(e.positiveInt("RETENTION_DAYS", 365)) * 24 * time.Hour,
		PhoneRegion:     e.region("PHONE_REGION", "US"),
		ConsentVersion:  e.text("CONSENT_VERSION", "1"),
		MinFillTime:     e.duration("MIN_FILL_TIME", time.Second),
		TurnstileSecret: e.text("TURNSTILE_SECRET", ""),
	}
	c.TurnstileSecretARN = e.text("TURNSTILE_SECRET_ARN", "")
	c.MetricNamespace = e.text("METRIC_NAMESPACE", "")
	c.HeldRetention = time.Duration(e.positiveInt("HELD_RETENTION_DAYS", int(lead.DefaultHeldRetention/(24*time.Hour)))) * 24 * time.Hour
	c.TimeZone = time.UTC
	if e.text("TIME_ZONE", "") != "" {
		c.TimeZone = e.location("TIME_ZONE")
	}
	c.Hours = e.openingHours(c.TimeZone, hours.Default)
	if c.SLA = e.duration("RESPONSE_SLA", 15*time.Minute); c.SLA <= 0 {
		e.fail("RESPONSE_SLA", "must be positive")
	}
	c.ClinicPhone = e.singleLine("CLINIC_PHONE", e.text("CLINIC_PHONE", ""))
	c.BookingURL = e.bookingURL()
	limit := e.limit("RATE_LIMIT", "10/1h")
	c.RateLimit = limit
	c.Edge = e.edge()
	if limit.Enabled() {
		c.RateLimitSalt = []byte(e.required("RATE_LIMIT_SALT"))
	}
	return c, e.err()
}

// env collects every problem, so one failed cold start names them all.
type env struct {
	getenv func(string) string
	errs   []error
}

func (e *env) fail(name, why string) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, why))
}

func (e *env) err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %w", errors.Join(e.errs...))
}

func (e *env) text(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

func (e *env) required(name string) string {
	v := e.text(name, "")
	if v == "" {
		e.fail(name, "is required")
	}
	return v
}

func (e *env) positiveInt(name string, def int) int {
	v := e.text(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		e.fail(name, fmt.Sprintf("want a whole number of at least 1, got %q", v))
	}
	return n
}

// days reads a whole number of days, 0 or more (at most 36500, so it
// fits a time.Duration).
func (e *env) days(name string, def int) int {
	v := e.text(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 36500 {
		e.fail(name, fmt.Sprintf("want a whole number of days from 0 to 36500, got %q", v))
		return def
	}
	return n
}

// hourOfDay reads an hour of the day, 0 to 23.
func (e *env) hourOfDay(name string, def int) int {
	v := e.text(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 23 {
		e.fail(name, fmt.Sprintf("want an hour of the day from 0 to 23, got %q", v))
		return def
	}
	return n
}

func (e *env) rate(name string, def float64) float64 {
	v := e.text(name, "")
	if v == "" {
		return def
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r < 0 {
		e.fail(name, fmt.Sprintf("want a number of emails a second such as 14, or 0 for no limit, got %q", v))
		return def
	}
	return r
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v := e.text(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.fail(name, fmt.Sprintf("want a duration such as 2s or 24h, got %q", v))
		return def
	}
	return d
}

func (e *env) region(name, def string) string {
	v := strings.ToUpper(e.text(name, def))
	// Only the shape is checked here: the phone library that knows the
	// regions weighs on every cold start, so it stays in the submit path.
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
		e.fail(name, fmt.Sprintf("want a two-letter region code such as US or GB, got %q", v))
	}
	return v
}

func (e *env) webURL(name string) string {
	v := e.text(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		e.fail(name, fmt.Sprintf("want an absolute http(s) URL, got %q", v))
	}
	return v
}

// bookingURL reads BOOKING_URL: the clinic's own online booking page,
// offered to patients in the acknowledgement, the thank-you and the patient's
// text. Optional; set, it must be an absolute https URL (it reaches patients,
// so never a plain http one), with no user information, on one line.
func (e *env) bookingURL() string {
	v := e.text("BOOKING_URL", "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" ||
		strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' || r == '"' || r == '<' || r == '>' }) {
		e.fail("BOOKING_URL", fmt.Sprintf("want an absolute https URL such as https://book.example-clinic.com/new, got %q", v))
		return ""
	}
	return v
}

// origins reads a comma-separated list of web origins, each
// scheme://host[:port] with no path, as browsers send them in Origin.
func (e *env) origins(name string) []string {
	var out []string
	for _, o := range strings.Split(e.required(name), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			e.fail(name, fmt.Sprintf("want origins such as https://www.example-clinic.com, got %q", o))
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}

// Mail is what every function that emails the clinic needs.
type Mail struct {
	// Table is LEADS_TABLE.
	Table string
	// ClinicName is CLINIC_NAME: the display name of every email.
	ClinicName string
	// ClinicEmails is CLINIC_EMAIL: where alerts and digests go,
	// comma-separated.
	ClinicEmails []string
	// SenderEmail is SENDER_EMAIL: the SES-verified address emails come from.
	SenderEmail string
	// TimeZone is TIME_ZONE: the clinic's IANA zone, for times in emails and
	// the follow-up's day.
	TimeZone *time.Location
	// PublicBaseURL is PUBLIC_BASE_URL: where staff links point, without a
	// trailing slash.
	PublicBaseURL string
	// LinkTTL is LINK_TTL: how long a staff link works, 3 days by default
	// (the daily digest sends fresh ones).
	LinkTTL time.Duration
	// ConfigurationSet is SES_CONFIGURATION_SET: the SES configuration set
	// every email goes through, so its delivery events are published;
	// optional.
	ConfigurationSet string
	// MetricNamespace is METRIC_NAMESPACE: the CloudWatch namespace of the
	// function's EMF lines (internal/adapter/metric). Empty: no metric lines.
	MetricNamespace string
}

// From is the sender of every email to the clinic and to visitors: the
// clinic's name at SENDER_EMAIL.
func (m Mail) From() mail.Address {
	return mail.Address{Name: m.ClinicName, Address: m.SenderEmail}
}

func (e *env) mail() Mail {
	c := Mail{
		Table:         e.required("LEADS_TABLE"),
		ClinicName:    e.singleLine("CLINIC_NAME", e.required("CLINIC_NAME")),
		ClinicEmails:  e.addresses("CLINIC_EMAIL", true),
		SenderEmail:   e.address("SENDER_EMAIL"),
		TimeZone:      e.location("TIME_ZONE"),
		PublicBaseURL: strings.TrimSuffix(e.webURL("PUBLIC_BASE_URL"), "/"),
		LinkTTL:       e.linkTTL(),
	}
	c.ConfigurationSet = e.configurationSet()
	c.MetricNamespace = e.text("METRIC_NAMESPACE", "")
	if c.PublicBaseURL == "" {
		e.fail("PUBLIC_BASE_URL", "is required")
	}
	return c
}

// Notify is the notify function's configuration.
type Notify struct {
	Mail
	// ClinicPhone is CLINIC_PHONE: the number visitors are given, optional.
	ClinicPhone string
	// MinimalDetail is EMAIL_DETAIL=minimal (the default): the reason for the
	// visit stays out of emails, on the staff page. "full" includes it.
	MinimalDetail bool
	// Ack is ACK_EMAIL (true by default): visitors who gave an email get an
	// acknowledgement saying when to expect the answer. "false" turns it off.
	Ack bool
	// Concurrency is NOTIFY_CONCURRENCY: how many records of a batch are
	// handled at once, 10 by default (the template's batch size).
	Concurrency int
	// SendRate is SES_MAX_SEND_RATE: emails a second at most, from one
	// running copy of the function (its limiter is built at cold start); 14
	// by default (SES's usual quota out of the sandbox), 0 for no limit.
	SendRate float64
	// EventBus is LEAD_EVENTS_BUS: the EventBridge bus lead events go on
	// (internal/adapter/bus). Empty: none are put.
	EventBus string
	// Guard is the response guard's schedule for each new lead.
	Guard Guard
	// StaffSMS is STAFF_SMS: E.164 numbers the alert also goes to as a
	// text, comma-separated; empty: no texts.
	StaffSMS []string
	// SMSOrigin is STAFF_SMS_ORIGINATION (smsOrigin).
	SMSOrigin string
	// BookingURL is BOOKING_URL (bookingURL): the acknowledgement offers
	// it, and the alert tells staff it was offered. Empty: not offered.
	BookingURL string
	// PatientSMS is PATIENT_SMS: which patients get a text back (from
	// SMSOrigin), off by default.
	PatientSMS PatientSMS
	// AlertLimit is ALERT_LIMIT: alerts (with their acknowledgements and
	// texts) for the whole clinic per window, "100/1h" by default, "0" for
	// no limit. Past it, requests are stored and one summary email goes out.
	AlertLimit ratelimit.Limit
	// StaffEmails is STAFF_EMAILS, as staff reads it (CLINIC_EMAIL's when
	// it is not set): sign-in codes go to these addresses only, spelled as
	// configured.
	StaffEmails []string
	// PatientMemory is PATIENT_MEMORY_DAYS: how far back a new request is
	// compared with earlier ones of the same phone number or email address
	// (patient.DefaultMemory by default); 0 turns recognising a returning
	// patient off (requests are still indexed, for the right of access).
	PatientMemory time.Duration
	// Retention is RETENTION_DAYS, as submit reads it: recognition never
	// looks back further than a lead is kept.
	Retention time.Duration
}

// PatientSMS is PATIENT_SMS: which patients who consented get one text
// back with when to expect the clinic's answer (internal/fn/notify).
type PatientSMS string

const (
	// PatientSMSOff: no texts to patients (the default).
	PatientSMSOff PatientSMS = "off"
	// PatientSMSText: patients who chose to be contacted by text.
	PatientSMSText PatientSMS = "on"
	// PatientSMSAll: those who chose text or a phone call.
	PatientSMSAll PatientSMS = "all"
)

// Texts reports whether a patient who chose how to be contacted gets the
// text back.
func (p PatientSMS) Texts(how lead.ContactMethod) bool {
	switch p {
	case PatientSMSText:
		return how == lead.ByText
	case PatientSMSAll:
		return how == lead.ByText || how == lead.ByPhone
	}
	return false
}

// LoadNotify reads the notify function's configuration through getenv. The
// link secret is read separately (secrets.LoadSigner in internal/adapter/secrets): it may need AWS.
func LoadNotify(getenv func(string) string) (Notify, error) {
	e := env{getenv: getenv}
	c := Notify{
		Mail:          e.mail(),
		ClinicPhone:   e.singleLine("CLINIC_PHONE", e.text("CLINIC_PHONE", "")),
		MinimalDetail: e.choice("EMAIL_DETAIL", "minimal", "full", "minimal") != "full",
		Ack:           e.choice("ACK_EMAIL", "true", "true", "false") == "true",
		Concurrency:   e.positiveInt("NOTIFY_CONCURRENCY", 10),
		SendRate:      e.rate("SES_MAX_SEND_RATE", 14),
	}
	c.EventBus = e.text("LEAD_EVENTS_BUS", "")
	c.Guard = e.guard(c.TimeZone)
	c.StaffSMS = e.staffSMS()
	c.SMSOrigin = e.smsOrigin()
	c.PatientSMS = PatientSMS(e.choice("PATIENT_SMS", string(PatientSMSOff), string(PatientSMSOff), string(PatientSMSText), string(PatientSMSAll)))
	c.AlertLimit = e.limit("ALERT_LIMIT", "100/1h")
	c.BookingURL = e.bookingURL()
	if c.StaffEmails = e.addresses("STAFF_EMAILS", false); len(c.StaffEmails) == 0 {
		c.StaffEmails = c.ClinicEmails
	}
	c.PatientMemory = time.Duration(e.days("PATIENT_MEMORY_DAYS", int(patient.DefaultMemory/(24*time.Hour)))) * 24 * time.Hour
	c.Retention = time.Duration(e.positiveInt("RETENTION_DAYS", 365)) * 24 * time.Hour
	return c, e.err()
}

// limit reads a count per window such as 100/1h, or 0 for none.
func (e *env) limit(name, def string) ratelimit.Limit {
	l, err := ratelimit.Parse(e.text(name, def))
	if err != nil {
		e.fail(name, err.Error())
	}
	return l
}

// Edge is EDGE_ORIGIN_SECRET: the value CloudFront (infra/edge.yaml) sends
// in the X-Origin-Verify header. Set, a request without it is refused (403),
// so the API's own URL no longer bypasses the edge's WAF; empty, no check.
type Edge struct {
	Secret string
}

// EdgeHeader is the header the edge sends Edge.Secret in, lower-cased as
// API Gateway's payload 2.0 gives header names.
const EdgeHeader = "x-origin-verify"

// Allows reports whether a request whose headers (payload 2.0) are h came
// through the edge, or whether no edge is set.
func (e Edge) Allows(h map[string]string) bool {
	if e.Secret == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(h[EdgeHeader]), []byte(e.Secret)) == 1
}

func (e *env) edge() Edge {
	v := e.text("EDGE_ORIGIN_SECRET", "")
	if v != "" && len(v) < 32 {
		e.fail("EDGE_ORIGIN_SECRET", "want at least 32 characters, as infra/edge.yaml's OriginSecret")
	}
	return Edge{Secret: v}
}

// Guard is the response guard's configuration (internal/adapter/nudges).
type Guard struct {
	// TargetARN is NUDGE_TARGET_ARN: the function a lead's schedule
	// invokes (the follow-up function). Unset: no schedules.
	TargetARN string
	// RoleARN is NUDGE_ROLE_ARN: the role EventBridge Scheduler invokes it
	// as; required with NUDGE_TARGET_ARN.
	RoleARN string
	// SLA is RESPONSE_SLA: how much opening time a lead may wait for a
	// first attempt before the clinic is nudged, 15m by default.
	SLA time.Duration
	// Hours is OPENING_HOURS in TIME_ZONE, hours.Default when unset.
	Hours hours.Hours
	// Group is NUDGE_GROUP: the EventBridge Scheduler schedule group the
	// schedules are made in (the stack's own); empty: the account's
	// default group.
	Group string
}

func (e *env) guard(loc *time.Location) Guard {
	g := Guard{TargetARN: e.text("NUDGE_TARGET_ARN", ""), SLA: e.duration("RESPONSE_SLA", 15*time.Minute)}
	if g.TargetARN != "" {
		g.RoleARN = e.required("NUDGE_ROLE_ARN")
	}
	if g.SLA <= 0 {
		e.fail("RESPONSE_SLA", "must be positive")
	}
	g.Hours = e.openingHours(loc, hours.Default)
	g.Group = e.scheduleGroup()
	return g
}

// scheduleGroup reads NUDGE_GROUP: 1 to 64 of [0-9A-Za-z_.-], as
// EventBridge Scheduler names a group, or empty.
func (e *env) scheduleGroup() string {
	g := e.text("NUDGE_GROUP", "")
	if len(g) > 64 || strings.IndexFunc(g, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || r == '_' || r == '.' || r == '-')
	}) >= 0 {
		e.fail("NUDGE_GROUP", "want a schedule group's name: up to 64 of 0-9, A-Z, a-z, _ . -")
	}
	return g
}

// openingHours reads OPENING_HOURS in loc, def when unset.
func (e *env) openingHours(loc *time.Location, def string) hours.Hours {
	h, err := hours.Parse(e.text("OPENING_HOURS", def), loc)
	if err != nil {
		e.fail("OPENING_HOURS", err.Error())
	}
	return h
}

// FollowUp is the follow-up function's configuration.
type FollowUp struct {
	Mail
	// After is FOLLOW_UP_AFTER: a lead nobody has tried for longer is listed
	// in the daily digest, 24h by default.
	After time.Duration
	// EscalateAfter is ESCALATE_AFTER: a lead waiting longer stands out, 72h
	// by default.
	EscalateAfter time.Duration
	// Hour is FOLLOW_UP_HOUR (0-23, in TIME_ZONE, 8 by default): on a day the
	// clinic opens (Report.Hours), the digest goes out at this hour, or at
	// the day's first opening when that is later.
	Hour int
	// EscalationEmails is ESCALATION_EMAIL: who else gets the digest when a
	// lead waits past EscalateAfter, comma-separated; optional.
	EscalationEmails []string
	// StaffSMS is STAFF_SMS: E.164 numbers the response guard's nudge also
	// goes to as a text; empty: no texts.
	StaffSMS []string
	// SMSOrigin is STAFF_SMS_ORIGINATION (smsOrigin).
	SMSOrigin string
	// SLA is RESPONSE_SLA, as notify reads it: a nudge takes in every lead
	// nobody tried that has waited this much opening time (Report.Hours).
	SLA time.Duration
	// Report is the owner's figures: the digest's headline and the weekly
	// report.
	Report Report
}

// Report is what the clinic's figures (internal/figures) need.
type Report struct {
	// Emails is REPORT_EMAIL: who gets the weekly report, comma-separated;
	// CLINIC_EMAIL when unset.
	Emails []string
	// Hours is OPENING_HOURS in TIME_ZONE: times to first attempt count
	// only opening time, and the digest goes out on opening days only.
	// hours.Default when unset, as everywhere.
	Hours hours.Hours
}

func (e *env) report(m Mail) Report {
	r := Report{Emails: e.addresses("REPORT_EMAIL", false)}
	if len(r.Emails) == 0 {
		r.Emails = m.ClinicEmails
	}
	r.Hours = e.openingHours(m.TimeZone, hours.Default)
	return r
}

// LoadFollowUp reads the follow-up function's configuration through getenv.
func LoadFollowUp(getenv func(string) string) (FollowUp, error) {
	e := env{getenv: getenv}
	c := FollowUp{
		Mail:             e.mail(),
		After:            e.duration("FOLLOW_UP_AFTER", 24*time.Hour),
		EscalateAfter:    e.duration("ESCALATE_AFTER", 72*time.Hour),
		Hour:             e.hourOfDay("FOLLOW_UP_HOUR", 8),
		EscalationEmails: e.addresses("ESCALATION_EMAIL", false),
		StaffSMS:         e.staffSMS(),
		SMSOrigin:        e.smsOrigin(),
		SLA:              e.duration("RESPONSE_SLA", 15*time.Minute),
	}
	c.Report = e.report(c.Mail)
	if c.SLA <= 0 {
		e.fail("RESPONSE_SLA", "must be positive")
	}
	if c.After <= 0 {
		e.fail("FOLLOW_UP_AFTER", "must be positive")
	}
	if c.EscalateAfter < c.After {
		e.fail("ESCALATE_AFTER", "must not be shorter than FOLLOW_UP_AFTER")
	}
	return c, e.err()
}

// Staff is the staff page function's configuration.
type Staff struct {
	// Table is LEADS_TABLE.
	Table string
	// ClinicName is CLINIC_NAME, shown on the pages.
	ClinicName string
	// TimeZone is TIME_ZONE, for times on the pages.
	TimeZone *time.Location
	// LinkTTL is LINK_TTL, as notify and followup read it: a staff link
	// whose expiry lies further ahead is refused.
	LinkTTL time.Duration
	// StaffEmails is STAFF_EMAILS: the addresses that may sign in,
	// comma-separated; CLINIC_EMAIL's when it is not set. (Their codes are
	// emailed by notify, which reads the same list.)
	StaffEmails []string
	// SessionTTL is STAFF_SESSION_TTL: how long a session lasts after its
	// last use, 12h by default.
	SessionTTL time.Duration
	// SessionMax is STAFF_SESSION_MAX: how long a session lasts at most
	// after it started, however it slides; 168h (7 days) by default, at
	// least SessionTTL, at most access.LongestSession.
	SessionMax time.Duration
	// SignIn is STAFF_SIGNIN: "inbox" (the default) lets an emailed link
	// open its one lead without signing in; "always" requires a session
	// for every staff page.
	SignIn string
	// AuditRetention is AUDIT_RETENTION_DAYS: how long the audit trail is
	// kept, 2190 days (six years) by default.
	AuditRetention time.Duration
	// Retention is RETENTION_DAYS, as submit reads it: a held request
	// staff release becomes a lead kept this long.
	Retention time.Duration
	// Policy is the call-back rhythm: CALLBACK_CADENCE ("10m,1h,4h,1d,2d" by
	// default: how long after each try that kept a lead open the next
	// call-back is due, in opening time or opening days, the last
	// repeating), MAX_ATTEMPTS (6 by default: tries since the patient was
	// last reached before the lead closes as unreachable, or as not
	// reached again), and Hours (call-backs fall in them).
	Policy lead.Policy
	// EventBus is LEAD_EVENTS_BUS, as notify reads it: attempts and closes
	// go on it.
	EventBus string
	// Hours is OPENING_HOURS in TIME_ZONE: the time to first attempt and
	// to first reach count only opening time, and call-backs fall in it;
	// hours.Default when unset, as in every function ("always" counts
	// every minute).
	Hours hours.Hours
	// MetricNamespace is METRIC_NAMESPACE, as Mail reads it.
	MetricNamespace string
	// NudgeGroup is NUDGE_GROUP, as notify reads it: the group whose
	// response-guard schedules a first attempt deletes.
	NudgeGroup string
	// Edge is EDGE_ORIGIN_SECRET, as submit reads it.
	Edge Edge
	// OwnerEmails is OWNER_EMAILS: the signed-in staff who may see the
	// figures page and export the requests, comma-separated; REPORT_EMAIL's
	// when it is not set, and CLINIC_EMAIL's when neither is (as the weekly
	// report's).
	OwnerEmails []string
}

// LoadStaff reads the staff function's configuration through getenv.
func LoadStaff(getenv func(string) string) (Staff, error) {
	e := env{getenv: getenv}
	c := Staff{
		Table:          e.required("LEADS_TABLE"),
		ClinicName:     e.singleLine("CLINIC_NAME", e.required("CLINIC_NAME")),
		TimeZone:       e.location("TIME_ZONE"),
		LinkTTL:        e.linkTTL(),
		SessionTTL:     e.duration("STAFF_SESSION_TTL", DefaultSessionTTL),
		SessionMax:     e.duration("STAFF_SESSION_MAX", DefaultSessionMax),
		SignIn:         e.choice("STAFF_SIGNIN", SignInInbox, SignInInbox, SignInAlways),
		AuditRetention: time.Duration(e.positiveInt("AUDIT_RETENTION_DAYS", 2190)) * 24 * time.Hour,
	}
	c.Retention = time.Duration(e.positiveInt("RETENTION_DAYS", 365)) * 24 * time.Hour
	if c.StaffEmails = e.addresses("STAFF_EMAILS", false); len(c.StaffEmails) == 0 {
		c.StaffEmails = e.addresses("CLINIC_EMAIL", true)
	}
	if c.OwnerEmails = e.addresses("OWNER_EMAILS", false); len(c.OwnerEmails) == 0 {
		if c.OwnerEmails = e.addresses("REPORT_EMAIL", false); len(c.OwnerEmails) == 0 {
			c.OwnerEmails = e.addresses("CLINIC_EMAIL", true)
		}
	}
	if c.SessionTTL <= 0 {
		e.fail("STAFF_SESSION_TTL", "must be positive")
	}
	switch {
	case c.SessionMax < c.SessionTTL:
		e.fail("STAFF_SESSION_MAX", "must not be shorter than STAFF_SESSION_TTL")
	case c.SessionMax > access.LongestSession:
		e.fail("STAFF_SESSION_MAX", fmt.Sprintf("must be at most %v (90 days)", access.LongestSession))
	}
	c.EventBus = e.text("LEAD_EVENTS_BUS", "")
	c.Hours = e.openingHours(c.TimeZone, hours.Default)
	c.Policy = lead.Policy{Cadence: e.cadence("CALLBACK_CADENCE"), MaxAttempts: e.positiveInt("MAX_ATTEMPTS", lead.DefaultMaxAttempts), Hours: c.Hours}
	c.MetricNamespace = e.text("METRIC_NAMESPACE", "")
	c.NudgeGroup = e.scheduleGroup()
	c.Edge = e.edge()
	return c, e.err()
}

// MailEvents is the mail events function's configuration.
type MailEvents struct {
	// Table is LEADS_TABLE.
	Table string
	// EventBus is LEAD_EVENTS_BUS, as notify reads it: alerts delivered
	// and bounced go on it.
	EventBus string
	// StaffSMS is STAFF_SMS: E.164 numbers a bounced or rejected alert goes
	// to at once as a text; empty: no texts. With numbers, CLINIC_NAME and
	// PUBLIC_BASE_URL are required (the text names the clinic and carries
	// a staff link, valid LINK_TTL).
	StaffSMS []string
	// SMSOrigin is STAFF_SMS_ORIGINATION (smsOrigin).
	SMSOrigin     string
	ClinicName    string
	PublicBaseURL string
	LinkTTL       time.Duration
	// MetricNamespace is METRIC_NAMESPACE, as Mail reads it.
	MetricNamespace string
}

// LoadMailEvents reads the mail events function's configuration through
// getenv.
func LoadMailEvents(getenv func(string) string) (MailEvents, error) {
	e := env{getenv: getenv}
	c := MailEvents{Table: e.required("LEADS_TABLE"), EventBus: e.text("LEAD_EVENTS_BUS", ""), StaffSMS: e.staffSMS(), SMSOrigin: e.smsOrigin()}
	c.MetricNamespace = e.text("METRIC_NAMESPACE", "")
	if len(c.StaffSMS) > 0 {
		c.ClinicName = e.singleLine("CLINIC_NAME", e.required("CLINIC_NAME"))
		c.PublicBaseURL = strings.TrimSuffix(e.webURL("PUBLIC_BASE_URL"), "/")
		if c.PublicBaseURL == "" {
			e.fail("PUBLIC_BASE_URL", "is required with STAFF_SMS")
		}
		c.LinkTTL = e.linkTTL()
	}
	return c, e.err()
}

// DefaultSessionTTL is how long a staff session lasts after its last use
// when STAFF_SESSION_TTL is not set.
const DefaultSessionTTL = 12 * time.Hour

// DefaultSessionMax is how long a staff session lasts at most after it
// started when STAFF_SESSION_MAX is not set: 7 days.
const DefaultSessionMax = 7 * 24 * time.Hour

// What STAFF_SIGNIN may say.
const (
	SignInInbox  = "inbox"
	SignInAlways = "always"
)

// configurationSet reads SES_CONFIGURATION_SET: empty, or a name SES
// accepts (letters, digits, _ and -, at most 64).
func (e *env) configurationSet() string {
	v := e.text("SES_CONFIGURATION_SET", "")
	if len(v) > 64 || strings.TrimFunc(v, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
	}) != "" {
		e.fail("SES_CONFIGURATION_SET", "must be at most 64 letters, digits, _ or -")
	}
	return v
}

// DefaultLinkTTL is how long a staff link works when LINK_TTL is not set.
const DefaultLinkTTL = 72 * time.Hour

// linkTTL reads LINK_TTL, which the functions that make staff links and the
// one that checks them must read alike.
func (e *env) linkTTL() time.Duration {
	d := e.duration("LINK_TTL", DefaultLinkTTL)
	if d <= 0 {
		e.fail("LINK_TTL", "must be positive")
	}
	return d
}

// e164 is a number as End User Messaging SMS takes it: +, country code,
// at most 15 digits. Compiled only where STAFF_SMS is set.
var e164 = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`) })

// smsOrigin reads STAFF_SMS_ORIGINATION: the ARN of the origination
// identity (phone number, pool or sender ID) the texts to STAFF_SMS go
// from, which the template's IAM statements allow and nothing else; empty:
// End User Messaging SMS picks one of the account's.
func (e *env) smsOrigin() string {
	o := e.text("STAFF_SMS_ORIGINATION", "")
	if o != "" && !smsOriginARN().MatchString(o) {
		e.fail("STAFF_SMS_ORIGINATION", "want the ARN of a phone number, pool or sender ID, such as arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-1234567890abcdef")
	}
	return o
}

// smsOriginARN is an End User Messaging SMS origination identity's ARN.
var smsOriginARN = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:[0-9]{12}:(phone-number|pool|sender-id)/[A-Za-z0-9_/-]+$`)
})

// staffSMS reads STAFF_SMS: comma-separated E.164 numbers, or none.
func (e *env) staffSMS() []string {
	var out []string
	for _, n := range strings.Split(e.text("STAFF_SMS", ""), ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !e164().MatchString(n) {
			// Not the number itself: it is a person's.
			e.fail("STAFF_SMS", "want E.164 numbers such as +12025550100, comma-separated")
			continue
		}
		out = append(out, n)
	}
	return out
}

func (e *env) cadence(name string) []time.Duration {
	v := e.text(name, "")
	if v == "" {
		return lead.DefaultCadence
	}
	c, err := lead.ParseCadence(v)
	if err != nil {
		e.fail(name, err.Error())
	}
	return c
}

func (e *env) singleLine(name, v string) string {
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		e.fail(name, "must be one line of text")
	}
	return v
}

func (e *env) choice(name, def string, allowed ...string) string {
	v := strings.ToLower(e.text(name, def))
	if !slices.Contains(allowed, v) {
		e.fail(name, fmt.Sprintf("want one of %s, got %q", strings.Join(allowed, ", "), v))
	}
	return v
}

func (e *env) location(name string) *time.Location {
	v := e.required(name)
	if v == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		e.fail(name, fmt.Sprintf("want an IANA time zone such as America/New_York, got %q", v))
		return time.UTC
	}
	return loc
}

// address reads one plain email address (no display name).
func (e *env) address(name string) string {
	v := e.required(name)
	if v != "" && !plainAddress(v) {
		e.fail(name, fmt.Sprintf("want a plain address such as frontdesk@example-clinic.com, got %q", v))
	}
	return v
}

func (e *env) addresses(name string, required bool) []string {
	v := e.text(name, "")
	if required {
		v = e.required(name)
	}
	var out []string
	for _, a := range strings.Split(v, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if !plainAddress(a) {
			e.fail(name, fmt.Sprintf("want plain addresses such as frontdesk@example-clinic.com, got %q", a))
			continue
		}
		out = append(out, a)
	}
	if required && v != "" && len(out) == 0 {
		e.fail(name, "names no address")
	}
	return out
}

func plainAddress(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Name == "" && a.Address == v
}
