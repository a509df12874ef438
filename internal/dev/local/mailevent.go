package local

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// sesEventTypes are the events /_local/mail-event injects: SES's eventType,
// EventBridge's detail-type, and the detail's own field for it.
var sesEventTypes = map[string]struct{ eventType, detailType, field string }{
	"delivery":  {"Delivery", "Email Delivered", "delivery"},
	"bounce":    {"Bounce", "Email Bounced", "bounce"},
	"complaint": {"Complaint", "Email Complaint Received", "complaint"},
	"delay":     {"DeliveryDelay", "Email Delivery Delayed", "deliveryDelay"},
	"reject":    {"Reject", "Email Rejected", "reject"},
}

// mailEventRun is what /_local/mail-event answers.
type mailEventRun struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Lead    string `json:"lead,omitempty"`
	Kind    string `json:"kind,omitempty"`
}

// mailEvent feeds the mail events function what SES's configuration set
// would publish through EventBridge about a message in the outbox
// (?message=<id>&type=delivery|bounce|complaint|delay|reject): the record's
// shape as in infra/events, with the message's tags as SES adds them.
func (s *Server) mailEvent(w http.ResponseWriter, r *http.Request) {
	s.stream.wait() // the alert's message id is recorded on the lead
	id, kind := r.FormValue("message"), r.FormValue("type")
	t, ok := sesEventTypes[kind]
	if !ok {
		http.Error(w, "type: want delivery, bounce, complaint, delay or reject", http.StatusBadRequest)
		return
	}
	var tags map[string]string
	found := false
	for _, m := range s.Outbox.Sent() {
		if m.ID == id {
			tags, found = m.Tags, true
		}
	}
	if !found {
		http.Error(w, "message: no message with that id in the outbox", http.StatusNotFound)
		return
	}
	now := s.sched.now().UTC() // SES stamps its events with the time: the runner's
	sesTags := map[string][]string{"ses:configuration-set": {s.getenv("SES_CONFIGURATION_SET")}}
	for k, v := range tags {
		sesTags[k] = []string{v}
	}
	detail := map[string]any{
		"eventType": t.eventType,
		"mail":      map[string]any{"timestamp": now, "messageId": id, "tags": sesTags},
	}
	switch kind {
	case "bounce":
		detail[t.field] = map[string]any{"bounceType": "Permanent", "bounceSubType": "General", "timestamp": now}
	case "reject":
		detail[t.field] = map[string]any{"reason": "Bad content"}
	default:
		detail[t.field] = map[string]any{"timestamp": now}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	e := events.EventBridgeEvent{
		Version: "0", ID: "local-" + id + "-" + kind, DetailType: t.detailType, Source: "aws.ses",
		AccountID: "123456789012", Time: now, Region: "us-east-1", Detail: raw,
	}
	w.Header().Set("Content-Type", "application/json")
	if err := s.mailevents.Handle(r.Context(), e); err != nil { // as Lambda would retry it
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]any{"error": err.Error()})
		return
	}
	json.NewEncoder(w).Encode(mailEventRun{Message: id, Type: kind, Lead: tags["lead"], Kind: tags["kind"]})
}
