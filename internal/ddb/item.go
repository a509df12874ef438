package ddb

import (
	"fmt"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// The table's layout. template.yaml declares the same names; the store
// contract test creates its table from the template, so the two cannot drift.
const (
	attrPK      = "pk"        // partition key: "<kind>#<id>"
	attrKind    = "kind"      // lead | rate; the stream filter passes only leads
	attrPending = "pending"   // GSI hash key, present only while a lead is new
	attrCreated = "createdAt" // GSI sort key
	attrExpires = "expiresAt" // TTL, epoch seconds
	attrHits    = "hits"      // rate counter

	// When an email about a lead went out, and SES's id for it.
	attrAlertedAt = "alertedAt"
	attrAlertID   = "alertMessageId"
	attrAckedAt   = "ackedAt"
	attrAckID     = "ackMessageId"

	// PendingIndex is the sparse GSI of leads nobody has contacted yet,
	// oldest first.
	PendingIndex = "pending-by-created"

	kindLead = "lead"
	kindRate = "rate"
	kindRun  = "run"

	// pendingValue is the one GSI hash key value: all uncontacted leads in
	// one ordered list. A clinic's volume is far below a partition's limits.
	pendingValue = "new"

	// timeLayout is fixed-width UTC, so the strings sort as the times do.
	timeLayout = "2006-01-02T15:04:05.000000Z"
)

func leadKey(id string) string  { return kindLead + "#" + id }
func rateKey(key string) string { return kindRate + "#" + key }
func runKey(key string) string  { return kindRun + "#" + key }

// leadItem is a lead as stored.
type leadItem struct {
	PK               string            `dynamodbav:"pk"`
	Kind             string            `dynamodbav:"kind"`
	ID               string            `dynamodbav:"id"`
	Status           string            `dynamodbav:"status"`
	Pending          string            `dynamodbav:"pending,omitempty"`
	CreatedAt        string            `dynamodbav:"createdAt"`
	Name             string            `dynamodbav:"name"`
	Phone            string            `dynamodbav:"phone,omitempty"`
	Email            string            `dynamodbav:"email,omitempty"`
	PreferredContact string            `dynamodbav:"preferredContact"`
	PreferredTime    string            `dynamodbav:"preferredTime"`
	Reason           string            `dynamodbav:"reason,omitempty"`
	ConsentAt        string            `dynamodbav:"consentAt"`
	ConsentVersion   string            `dynamodbav:"consentVersion"`
	Page             string            `dynamodbav:"page,omitempty"`
	UTM              map[string]string `dynamodbav:"utm,omitempty"`
	ExpiresAt        int64             `dynamodbav:"expiresAt"`
	AlertedAt        string            `dynamodbav:"alertedAt,omitempty"`
	AlertMessageID   string            `dynamodbav:"alertMessageId,omitempty"`
	AckedAt          string            `dynamodbav:"ackedAt,omitempty"`
	AckMessageID     string            `dynamodbav:"ackMessageId,omitempty"`
	ContactedAt      string            `dynamodbav:"contactedAt,omitempty"`
	Outcome          string            `dynamodbav:"outcome,omitempty"`
	Note             string            `dynamodbav:"note,omitempty"`
}

func toItem(l lead.Lead) leadItem {
	it := leadItem{
		PK:               leadKey(l.ID),
		Kind:             kindLead,
		ID:               l.ID,
		Status:           string(l.Status),
		CreatedAt:        l.CreatedAt.UTC().Format(timeLayout),
		Name:             l.Name,
		Phone:            l.Phone,
		Email:            l.Email,
		PreferredContact: string(l.PreferredContact),
		PreferredTime:    string(l.PreferredTime),
		Reason:           l.Reason,
		ConsentAt:        l.Consent.At.UTC().Format(timeLayout),
		ConsentVersion:   l.Consent.Version,
		Page:             l.Source.Page,
		UTM:              l.Source.UTM,
		ExpiresAt:        l.ExpiresAt.Unix(),
	}
	if l.Status == lead.StatusNew {
		it.Pending = pendingValue
	}
	if d := l.Alert; d != nil {
		it.AlertedAt, it.AlertMessageID = d.At.UTC().Format(timeLayout), d.MessageID
	}
	if d := l.Ack; d != nil {
		it.AckedAt, it.AckMessageID = d.At.UTC().Format(timeLayout), d.MessageID
	}
	if c := l.Contact; c != nil {
		it.ContactedAt, it.Outcome, it.Note = c.At.UTC().Format(timeLayout), string(c.Outcome), c.Note
	}
	return it
}

func delivery(id, at, messageID string) (*lead.Delivery, error) {
	if at == "" {
		return nil, nil
	}
	t, err := time.Parse(timeLayout, at)
	if err != nil {
		return nil, fmt.Errorf("lead %s: delivery time: %w", id, err)
	}
	return &lead.Delivery{At: t, MessageID: messageID}, nil
}

func (it leadItem) lead() (lead.Lead, error) {
	created, err := time.Parse(timeLayout, it.CreatedAt)
	if err != nil {
		return lead.Lead{}, fmt.Errorf("lead %s: createdAt: %w", it.ID, err)
	}
	consentAt, err := time.Parse(timeLayout, it.ConsentAt)
	if err != nil {
		return lead.Lead{}, fmt.Errorf("lead %s: consentAt: %w", it.ID, err)
	}
	alert, err := delivery(it.ID, it.AlertedAt, it.AlertMessageID)
	if err != nil {
		return lead.Lead{}, err
	}
	ack, err := delivery(it.ID, it.AckedAt, it.AckMessageID)
	if err != nil {
		return lead.Lead{}, err
	}
	var contact *lead.Contact
	if it.ContactedAt != "" {
		at, err := time.Parse(timeLayout, it.ContactedAt)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("lead %s: contactedAt: %w", it.ID, err)
		}
		contact = &lead.Contact{At: at, Outcome: lead.Outcome(it.Outcome), Note: it.Note}
	}
	return lead.Lead{
		Contact:          contact,
		Alert:            alert,
		Ack:              ack,
		ID:               it.ID,
		Status:           lead.Status(it.Status),
		CreatedAt:        created,
		Name:             it.Name,
		Phone:            it.Phone,
		Email:            it.Email,
		PreferredContact: lead.ContactMethod(it.PreferredContact),
		PreferredTime:    lead.TimeSlot(it.PreferredTime),
		Reason:           it.Reason,
		Consent:          lead.Consent{At: consentAt, Version: it.ConsentVersion},
		Source:           lead.Source{Page: it.Page, UTM: it.UTM},
		ExpiresAt:        time.Unix(it.ExpiresAt, 0).UTC(),
	}, nil
}
