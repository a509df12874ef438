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
	StatusNew       Status = "new"
	StatusContacted Status = "contacted"
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
	// ErrAlreadyContacted: staff already marked the lead contacted.
	ErrAlreadyContacted = errors.New("lead already marked contacted")
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
	// Alert is the clinic's email about the lead, once it went out.
	Alert *Delivery
	// Ack is the acknowledgement to the visitor, once it went out.
	Ack *Delivery
	// Contact is how staff reached out, once they marked it contacted.
	Contact *Contact
}

// Outcome is what came of the clinic's first contact.
type Outcome string

const (
	Reached       Outcome = "reached"
	Booked        Outcome = "booked"
	LeftMessage   Outcome = "left-message"
	NoAnswer      Outcome = "no-answer"
	NotInterested Outcome = "not-interested"
)

// Outcomes lists every outcome, in the order staff are offered them.
var Outcomes = []Outcome{Booked, Reached, LeftMessage, NoAnswer, NotInterested}

// Contact is staff's record of reaching out: the first one is kept, its
// time being the clinic's speed-to-lead figure.
type Contact struct {
	At      time.Time
	Outcome Outcome
	Note    string
}

// MaxNote bounds a staff note, in characters.
const MaxNote = 1000

// CleanNote checks and normalises a staff note as the visitor's reason is;
// the message is empty when the note is fine.
func CleanNote(v string) (string, string) {
	return cleanText(v, true, MaxNote)
}

// Delivery records an email that went out.
type Delivery struct {
	At        time.Time
	MessageID string
}

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
	Page string
	UTM  map[string]string
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
		Email:            r.Email,
		PreferredContact: r.PreferredContact,
		PreferredTime:    r.PreferredTime,
		Reason:           r.Reason,
		Consent:          Consent{At: now, Version: r.ConsentVersion},
		Source:           Source{Page: r.Page, UTM: r.UTM},
		ExpiresAt:        now.Add(retention),
	}
}
