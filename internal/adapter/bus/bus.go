// Package bus puts lead events on the stack's EventBridge bus (LeadEvents),
// so a clinic can route them to Slack, Teams or a CRM with rules instead of
// code. An event carries ids, times and outcomes, never a name, email,
// phone or reason: its schema is docs/lead-events.schema.json.
package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Source is every event's source.
const Source = "leadhandler"

// The events' detail types.
const (
	// Received: a new lead was stored and its alert went out (notify).
	Received = "Lead Received"
	// AttemptRecorded: staff recorded a contact attempt (staff).
	AttemptRecorded = "Lead Attempt Recorded"
	// Closed: the lead closed, with its reason (staff).
	Closed = "Lead Closed"
	// AlertDelivered and AlertBounced: SES's delivery outcome of the
	// clinic's alert (the mail-events function's hook).
	AlertDelivered = "Lead Alert Delivered"
	AlertBounced   = "Lead Alert Bounced"
)

// Event is one lead event's detail. Every field is an id, a time, a count
// or a word from a fixed list.
type Event struct {
	// Type is the detail type, one of the constants above.
	Type string `json:"-"`
	// LeadID is the lead's id.
	LeadID string `json:"leadId"`
	// At is when it happened.
	At time.Time `json:"at"`
	// Status is the lead's status afterwards: new, open or closed.
	Status string `json:"status,omitempty"`
	// Outcome is the attempt's outcome, the close reason, or SES's bounce
	// type: a word from a fixed list, never free text.
	Outcome string `json:"outcome,omitempty"`
	// Attempts is the number of attempts recorded so far.
	Attempts int `json:"attempts,omitempty"`
}

// API is the part of the EventBridge client the publisher calls.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ API = (*eventbridge.Client)(nil)

// Publisher puts events on one bus.
type Publisher struct {
	api API
	bus string
	log *slog.Logger
}

// New returns a publisher on the bus named bus (LEAD_EVENTS_BUS). With no
// bus or no client it publishes nothing.
func New(api API, bus string, log *slog.Logger) *Publisher {
	return &Publisher{api: api, bus: bus, log: log}
}

// Publish puts ev on the bus. A failure is logged and otherwise ignored: an
// event is a courtesy to the clinic's integrations, and must never fail the
// request or the alert that caused it. A nil publisher does nothing.
func (p *Publisher) Publish(ctx context.Context, ev Event) {
	if p == nil || p.api == nil || p.bus == "" {
		return
	}
	if err := p.put(ctx, ev); err != nil {
		p.log.Warn("lead event not published", "leadId", ev.LeadID, "event", ev.Type, "err", err)
	}
}

func (p *Publisher) put(ctx context.Context, ev Event) error {
	detail, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(p.bus),
		Source:       aws.String(Source),
		DetailType:   aws.String(ev.Type),
		Detail:       aws.String(string(detail)),
		Time:         aws.Time(ev.At),
		Resources:    []string{},
	}}})
	if err != nil {
		return fmt.Errorf("put events: %w", err)
	}
	if out.FailedEntryCount > 0 {
		code := ""
		if len(out.Entries) > 0 {
			code = aws.ToString(out.Entries[0].ErrorCode)
		}
		return fmt.Errorf("put events: entry refused: %s", code)
	}
	return nil
}
