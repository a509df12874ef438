// Package mailevents records what SES reports about the emails the stack
// sends (delivered, bounced, complained, rejected, delayed), as the
// configuration set publishes it to EventBridge, on the lead the email is
// about. Only the clinic's alert is recorded: it is the email a lead must
// not be lost in.
package mailevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/logging"
)

// Store is what the handler needs of the lead store.
type Store interface {
	RecordAlertOutcome(ctx context.Context, id string, o lead.MailOutcome) error
}

// Events puts lead events on the LeadEvents bus (internal/adapter/bus); a failure
// is the publisher's to log, never the handler's.
type Events interface {
	Publish(ctx context.Context, ev bus.Event)
}

// Handler handles SES events from EventBridge.
type Handler struct {
	store  Store
	log    *slog.Logger
	events Events
	sms    *second // nil: no second channel
	// metrics counts what SES reported of alerts; nil for none.
	metrics *metric.Writer
}

// New returns a handler.
func New(store Store, log *slog.Logger) *Handler { return &Handler{store: store, log: log} }

// WithEvents makes h put "Lead Alert Delivered" and "Lead Alert Bounced" on
// the bus once the outcome is recorded (a repeat records nothing, puts
// nothing).
func (h *Handler) WithEvents(e Events) *Handler {
	h.events = e
	return h
}

// AlertFailed is the log line of a clinic alert that bounced or was
// rejected: the template's metric filter counts it and its alarm tells ops.
// With STAFF_SMS, the alert also goes out at once as a text (WithSMS).
const AlertFailed = "alert not delivered"

// detail is the part of SES's event the handler reads: never the
// recipients, the headers or a bounce's diagnostic text.
type detail struct {
	EventType string `json:"eventType"`
	Mail      struct {
		MessageID string              `json:"messageId"`
		Tags      map[string][]string `json:"tags"`
	} `json:"mail"`
	Delivery      *struct{ Timestamp time.Time } `json:"delivery"`
	Bounce        *bounce                        `json:"bounce"`
	Complaint     *struct{ Timestamp time.Time } `json:"complaint"`
	DeliveryDelay *struct{ Timestamp time.Time } `json:"deliveryDelay"`
	Reject        *struct{}                      `json:"reject"`
}

type bounce struct {
	BounceType    string    `json:"bounceType"`
	BounceSubType string    `json:"bounceSubType"`
	Timestamp     time.Time `json:"timestamp"`
}

// Handle records one event. An event it cannot use (another kind of email,
// an unknown lead, a repeat) is logged and dropped; only a store failure is
// an error, so Lambda's async retries deliver the event again.
func (h *Handler) Handle(ctx context.Context, e events.EventBridgeEvent) error {
	log := h.log.With("requestId", logging.RequestID(ctx, e.ID), "detailType", e.DetailType)
	var d detail
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		log.Warn("SES event not understood", "err", err)
		return nil
	}
	kind, id := tag(d.Mail.Tags, sesmail.TagKind), tag(d.Mail.Tags, sesmail.TagLead)
	if kind != sesmail.KindAlert || id == "" {
		log.Debug("SES event not about an alert", "kind", kind)
		return nil
	}
	o, ok := outcome(d, e.Time)
	if !ok {
		log.Warn("SES event of no known type", "eventType", d.EventType)
		return nil
	}
	log = log.With("leadId", id, "messageId", o.MessageID, "event", string(o.Event))
	err := h.store.RecordAlertOutcome(ctx, id, o)
	switch {
	case errors.Is(err, lead.ErrNotFound):
		log.Warn("SES event about no stored lead")
		return nil
	case errors.Is(err, lead.ErrMailNoChange):
		log.Info("SES event changes nothing")
		return nil
	case err != nil:
		return fmt.Errorf("record %s of lead %s: %w", o.Event, id, err)
	}
	h.publish(ctx, id, o)
	if err := h.metrics.Put([]string{string(o.Event)}, metric.Value{Def: metric.AlertDelivery, Value: 1}); err != nil {
		log.Warn("count alert outcome", "err", err)
	}
	if o.Event == lead.MailBounced || o.Event == lead.MailRejected {
		log.Error(AlertFailed, "bounceType", o.BounceType, "bounceSubType", o.BounceSubType)
		h.sms.alert(ctx, log, id)
		return nil
	}
	log.Info("alert " + string(o.Event))
	return nil
}

// publish puts a recorded delivery or bounce on the bus: the lead's id,
// SES's time and bounce type, nothing of the message.
func (h *Handler) publish(ctx context.Context, id string, o lead.MailOutcome) {
	if h.events == nil {
		return
	}
	switch o.Event {
	case lead.MailDelivered:
		h.events.Publish(ctx, bus.Event{Type: bus.AlertDelivered, LeadID: id, At: o.At})
	case lead.MailBounced:
		h.events.Publish(ctx, bus.Event{Type: bus.AlertBounced, LeadID: id, At: o.At, Outcome: o.BounceType})
	}
}

// outcome reads d as the store records it, timed by SES's own time for the
// event (the event's time when it has none, as a reject).
func outcome(d detail, sent time.Time) (lead.MailOutcome, bool) {
	o := lead.MailOutcome{MessageID: d.Mail.MessageID, At: sent}
	at := func(t time.Time) {
		if !t.IsZero() {
			o.At = t
		}
	}
	switch {
	case d.EventType == "Delivery" && d.Delivery != nil:
		o.Event = lead.MailDelivered
		at(d.Delivery.Timestamp)
	case d.EventType == "Bounce" && d.Bounce != nil:
		o.Event, o.BounceType, o.BounceSubType = lead.MailBounced, word(d.Bounce.BounceType), word(d.Bounce.BounceSubType)
		at(d.Bounce.Timestamp)
	case d.EventType == "Complaint" && d.Complaint != nil:
		o.Event = lead.MailComplained
		at(d.Complaint.Timestamp)
	case d.EventType == "DeliveryDelay" && d.DeliveryDelay != nil:
		o.Event = lead.MailDelayed
		at(d.DeliveryDelay.Timestamp)
	case d.EventType == "Reject":
		o.Event = lead.MailRejected
	default:
		return o, false
	}
	return o, o.MessageID != "" && !o.At.IsZero()
}

// word keeps a bounce type as SES names them (Permanent, MailboxFull, ...)
// and drops anything else: nothing free-form is stored.
func word(v string) string {
	if v == "" || len(v) > 40 {
		return ""
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	return v
}

func tag(tags map[string][]string, name string) string {
	if v := tags[name]; len(v) == 1 {
		return v[0]
	}
	return ""
}
