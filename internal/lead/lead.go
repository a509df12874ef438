// Package lead holds the rules for an appointment request: what a visitor may
// send, how it is cleaned, and what the clinic keeps of it.
package lead

import (
	"errors"
	"strings"
	"time"
)

// Status is where a lead stands with the clinic.
type Status string

const (
	StatusNew    Status = "new"    // no attempt yet
	StatusOpen   Status = "open"   // attempted, a call-back due
	StatusClosed Status = "closed" // with a Reason
)

// ContactMethod is how the visitor wants to be reached.
type ContactMethod string

const (
	ByPhone ContactMethod = "phone"
	ByEmail ContactMethod = "email"
	ByText  ContactMethod = "text"
)

// Words says the method as a sentence would: "a phone call".
func (m ContactMethod) Words() string {
	return map[ContactMethod]string{ByPhone: "a phone call", ByText: "a text message", ByEmail: "an email"}[m]
}

// TimeSlot is the part of the day the visitor prefers a call.
type TimeSlot string

const (
	Morning   TimeSlot = "morning"
	Afternoon TimeSlot = "afternoon"
	Evening   TimeSlot = "evening"
	AnyTime   TimeSlot = "any"
)

// Words says the slot as a sentence would: "in the morning".
func (t TimeSlot) Words() string {
	return map[TimeSlot]string{Morning: "in the morning", Afternoon: "in the afternoon", Evening: "in the evening", AnyTime: "at any time"}[t]
}

// Errors a store reports in terms of the domain.
var (
	// ErrExists: a lead with this id is already stored (a replayed submission).
	ErrExists = errors.New("lead already exists")
	// ErrNotFound: no such lead, or it has passed its retention time.
	ErrNotFound = errors.New("lead not found")
	// ErrAlreadySent: the email was already recorded as sent.
	ErrAlreadySent = errors.New("email already recorded as sent")
	// ErrRunTaken: a scheduled run (such as a day's digest) is done, or
	// another invocation holds it.
	ErrRunTaken = errors.New("run already done or in progress")
)

// Lead is one appointment request as the clinic keeps it.
type Lead struct {
	ID               string
	Status           Status
	CreatedAt        time.Time
	Name             string
	Phone            string // E.164, or empty
	Email            string // or empty
	PreferredContact ContactMethod
	PreferredTime    TimeSlot
	Reason           string
	Consent          Consent
	Source           Source
	// ExpiresAt is when retention ends and the store may delete the lead.
	ExpiresAt time.Time
	// ReleasedAt is when staff released the request from review (the bot
	// traps held it; Held.Release); zero for every other lead.
	ReleasedAt time.Time
	// AlertHeld is when notify held the lead's alert (and acknowledgement
	// and text) back because the clinic-wide ALERT_LIMIT was used up; zero
	// for every other lead.
	AlertHeld time.Time
	// Alert is the clinic's email about the lead, once it went out.
	Alert *Delivery
	// Ack is the acknowledgement to the visitor, once it went out.
	Ack *Delivery
	// PatientText is the text to the patient (PATIENT_SMS), once it went
	// out; its MessageID is End User Messaging's. Nil for every lead
	// stored before it was kept.
	PatientText *Delivery
	// Nudge is the response guard's reminder to the clinic that nobody
	// had tried the lead yet, once it went out.
	Nudge *Delivery

	// PhoneDisplay is Phone as people read it (national format in the
	// clinic's region, international otherwise); empty for leads stored
	// before it was kept, which show Phone.
	PhoneDisplay string

	// The call-back loop (progress.go).
	// History is every attempt, correction and reopening, oldest first: the
	// latest MaxHistory of them, Dropped counting the older ones.
	History []Event
	Dropped int
	// Tries counts the attempts whose outcome kept the lead open since the
	// patient was last reached (or since the request, or the lead was
	// reopened); a reaching try starts it afresh. Kept for readers: the
	// call-back loop replays it from History (1.0.x counted reaching tries
	// in it). Attempts is the count staff see.
	Tries int
	// Callback is when the next call-back is due; zero when none is.
	Callback time.Time
	// Closed says why a closed lead was closed, at ClosedAt.
	Closed   Reason
	ClosedAt time.Time
	// Unreported: closed as unreachable or not reached again, and no
	// digest has said so yet.
	Unreported bool
	// FirstAttempt and FirstReach are the clinic's speed-to-lead figures:
	// when staff first tried, and first spoke with the patient (zero: not yet).
	FirstAttempt time.Time
	FirstReach   time.Time
	// Version counts the changes staff made; a store writes a change only
	// over the version it was made from (lead.ErrChanged).
	Version int

	// A returning patient (internal/patient). ContactKeys are the keyed
	// hashes of the lead's phone number and email address it is indexed
	// under (never the contacts themselves); Earlier are the ids of the
	// same patient's earlier requests notify found, newest first; Newer is
	// the id of the newest later request of the same patient. All empty
	// on a lead nobody has linked (and on every lead stored before 1.1).
	ContactKeys []string
	Earlier     []string
	Newer       string
}

// MaxNote bounds a staff note, in characters.
const MaxNote = 1000

// CleanNote checks and normalises a staff note as the visitor's reason is;
// the message is empty when the note is fine.
func CleanNote(v string) (string, string) {
	return cleanText(v, true, MaxNote)
}

// Delivery records an email (or the patient's text) that went out.
type Delivery struct {
	At        time.Time
	MessageID string

	// What SES reported about it since (Apply; the alert's only): when it
	// was first delivered, and a problem: bounced, complained or rejected
	// (with a bounce's type and subtype), or delayed so far.
	DeliveredAt   time.Time
	Problem       MailEvent
	ProblemAt     time.Time
	BounceType    string
	BounceSubType string
}

// RequestNumber is the short form of a lead id that staff read, say and
// search for: its last 8 characters. Ids made without the form's script are
// time-ordered UUIDv7s, whose first characters are shared by every request
// of the same minute; their last ones are random.
func RequestNumber(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// Number is the lead's request number (RequestNumber).
func (l Lead) Number() string { return RequestNumber(l.ID) }

// maxFirstName bounds the first name put in subjects and greetings.
const maxFirstName = 40

// FirstName is the first word of the name, as the subject of an alert and
// the greeting of an acknowledgement use it.
func (l Lead) FirstName() string {
	f := strings.Fields(l.Name)
	if len(f) == 0 {
		return ""
	}
	r := []rune(f[0])
	if len(r) > maxFirstName {
		r = r[:maxFirstName]
	}
	return string(r)
}

// Consent records that the visitor agreed to be contacted, and to which text.
type Consent struct {
	At      time.Time
	Version string
}

// Source is where the request came from, for the clinic's marketing figures.
type Source struct {
	// Page is the page the form was sent from (origin and path).
	Page string
	// UTM holds the campaign parameters (CampaignFields: utm_* and the ad
	// click ids) of the visit's first page, else of the form's page.
	UTM map[string]string
	// Referrer is the origin of the site the visit came from; LandingPath
	// the path of its first page on the clinic's site. Empty when unknown
	// (a form without JavaScript, leads stored before they were kept).
	Referrer    string
	LandingPath string
}

// New makes the lead a cleaned request becomes, received at now and kept for
// retention.
func New(id string, r Request, now time.Time, retention time.Duration) Lead {
	now = now.UTC()
	return Lead{
		ID:               id,
		Status:           StatusNew,
		CreatedAt:        now,
		Name:             r.Name,
		Phone:            r.Phone,
		PhoneDisplay:     r.PhoneDisplay,
		Email:            r.Email,
		PreferredContact: r.PreferredContact,
		PreferredTime:    r.PreferredTime,
		Reason:           r.Reason,
		Consent:          Consent{At: now, Version: r.ConsentVersion},
		Source:           Source{Page: r.Page, UTM: r.UTM, Referrer: r.Referrer, LandingPath: r.LandingPath},
		ExpiresAt:        now.Add(retention),
	}
}
