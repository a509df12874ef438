package export

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// WritePatient writes what the clinic keeps about one patient (a
// patient.Record) as JSON: the owner's GET /staff/patient and make
// patient-export both write it, and docs/patients.md ("A patient's data")
// documents it. Keys are lower camel case and always present; times are
// RFC 3339 in UTC, null when unset; lists are [] when empty. The words of
// alertOutcome are in loc, the clinic's zone, as the lead's page says them.
func WritePatient(w io.Writer, rec patient.Record, exported time.Time, loc *time.Location) error {
	p := patientJSON{ExportedAt: stamp(exported), Requests: []requestJSON{}, Held: []heldJSON{}, Gone: nonNil(rec.Gone)}
	for _, l := range rec.Leads {
		p.Requests = append(p.Requests, requestOf(l, loc))
	}
	for _, h := range rec.Held {
		p.Held = append(p.Held, heldJSON{requestJSON: requestOf(h.Lead, loc), Trap: trapJSON{Honeypot: h.Trap.Honeypot, ElapsedMS: h.Trap.ElapsedMS, TooFast: h.Trap.TooFast}})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write the patient's data: %w", err)
	}
	return nil
}

type patientJSON struct {
	ExportedAt *string       `json:"exportedAt"`
	Requests   []requestJSON `json:"requests"`
	Held       []heldJSON    `json:"held"`
	// Gone are ids the contact index still names whose request has ended.
	Gone []string `json:"gone"`
}

type requestJSON struct {
	ID               string        `json:"id"`
	Number           string        `json:"number"`
	Status           string        `json:"status"`
	Created          *string       `json:"created"`
	Expires          *string       `json:"expires"`
	Name             string        `json:"name"`
	Phone            string        `json:"phone"`
	PhoneDisplay     string        `json:"phoneDisplay"`
	Email            string        `json:"email"`
	PreferredContact string        `json:"preferredContact"`
	PreferredTime    string        `json:"preferredTime"`
	Reason           string        `json:"reason"`
	Consent          consentJSON   `json:"consent"`
	Source           sourceJSON    `json:"source"`
	Released         *string       `json:"released"`
	AlertHeld        *string       `json:"alertHeld"`
	Alert            *deliveryJSON `json:"alert"`
	AlertOutcome     string        `json:"alertOutcome"`
	Ack              *deliveryJSON `json:"ack"`
	PatientText      *deliveryJSON `json:"patientText"`
	Nudge            *deliveryJSON `json:"nudge"`
	Tries            int           `json:"tries"`
	Attempts         int           `json:"attempts"`
	Callback         *string       `json:"callback"`
	ClosedReason     string        `json:"closedReason"`
	Closed           *string       `json:"closed"`
	FirstAttempt     *string       `json:"firstAttempt"`
	FirstReach       *string       `json:"firstReach"`
	History          []eventJSON   `json:"history"`
	DroppedEvents    int           `json:"droppedEvents"`
	Earlier          []string      `json:"earlier"`
	Newer            string        `json:"newer"`
	ContactKeys      []string      `json:"contactKeys"`
}

type heldJSON struct {
	requestJSON
	Trap trapJSON `json:"trap"`
}

type trapJSON struct {
	Honeypot  bool   `json:"honeypot"`
	ElapsedMS *int64 `json:"elapsedMs"`
	TooFast   bool   `json:"tooFast"`
}

type consentJSON struct {
	At      *string `json:"at"`
	Version string  `json:"version"`
}

type sourceJSON struct {
	Page        string            `json:"page"`
	UTM         map[string]string `json:"utm"`
	Referrer    string            `json:"referrer"`
	LandingPath string            `json:"landingPath"`
}

type deliveryJSON struct {
	At            *string `json:"at"`
	MessageID     string  `json:"messageId"`
	Delivered     *string `json:"delivered"`
	Problem       string  `json:"problem"`
	ProblemAt     *string `json:"problemAt"`
	BounceType    string  `json:"bounceType"`
	BounceSubType string  `json:"bounceSubType"`
}

type eventJSON struct {
	At       *string `json:"at"`
	Kind     string  `json:"kind"`
	Outcome  string  `json:"outcome"`
	Channel  string  `json:"channel"`
	Note     string  `json:"note"`
	By       string  `json:"by"`
	Callback *string `json:"callback"`
}

func requestOf(l lead.Lead, loc *time.Location) requestJSON {
	utm := map[string]string{}
	maps.Copy(utm, l.Source.UTM)
	r := requestJSON{
		ID: l.ID, Number: l.Number(), Status: string(l.Status), Created: stamp(l.CreatedAt), Expires: stamp(l.ExpiresAt),
		Name: l.Name, Phone: l.Phone, PhoneDisplay: l.PhoneDisplay, Email: l.Email,
		PreferredContact: string(l.PreferredContact), PreferredTime: string(l.PreferredTime), Reason: l.Reason,
		Consent:  consentJSON{At: stamp(l.Consent.At), Version: l.Consent.Version},
		Source:   sourceJSON{Page: l.Source.Page, UTM: utm, Referrer: l.Source.Referrer, LandingPath: l.Source.LandingPath},
		Released: stamp(l.ReleasedAt), AlertHeld: stamp(l.AlertHeld),
		Alert: delivery(l.Alert), AlertOutcome: present.LeadAlert(l, loc), Ack: delivery(l.Ack), PatientText: delivery(l.PatientText), Nudge: delivery(l.Nudge),
		Tries: l.Tries, Attempts: l.Attempts(), Callback: stamp(l.Callback), ClosedReason: string(l.Closed), Closed: stamp(l.ClosedAt),
		FirstAttempt: stamp(l.FirstAttempt), FirstReach: stamp(l.FirstReach),
		History: []eventJSON{}, DroppedEvents: l.Dropped, Earlier: nonNil(l.Earlier), Newer: l.Newer, ContactKeys: nonNil(l.ContactKeys),
	}
	for _, e := range l.History {
		r.History = append(r.History, eventJSON{At: stamp(e.At), Kind: string(e.Kind), Outcome: string(e.Outcome), Channel: string(e.Channel),
			Note: e.Note, By: e.By, Callback: stamp(e.Callback)})
	}
	return r
}

func delivery(d *lead.Delivery) *deliveryJSON {
	if d == nil {
		return nil
	}
	return &deliveryJSON{At: stamp(d.At), MessageID: d.MessageID, Delivered: stamp(d.DeliveredAt), Problem: string(d.Problem),
		ProblemAt: stamp(d.ProblemAt), BounceType: d.BounceType, BounceSubType: d.BounceSubType}
}

// stamp is t in RFC 3339, UTC; nil (null) for the zero time.
func stamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
