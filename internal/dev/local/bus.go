package local

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
)

// leadBus stands in for the LeadEvents bus: the functions' publishers
// (internal/adapter/bus) put events through the same bus.API the SDK's client
// fills on AWS, and it keeps them for GET /_local/events, as a rule with
// every event as its target would see them.
type leadBus struct {
	name string // LEAD_EVENTS_BUS: an entry naming another bus is refused
	mu   sync.Mutex
	kept []busEvent
}

var _ bus.API = (*leadBus)(nil)

// busEvent is a kept event in EventBridge's envelope.
type busEvent struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       time.Time       `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// PutEvents keeps each entry, refusing (as a failed entry, as EventBridge
// does) one for another bus or whose detail is not a JSON object.
func (b *leadBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range in.Entries {
		var detail map[string]any
		switch {
		case aws.ToString(e.EventBusName) != b.name:
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ResourceNotFoundException"), ErrorMessage: aws.String("Event bus " + aws.ToString(e.EventBusName) + " does not exist.")})
			continue
		case json.Unmarshal([]byte(aws.ToString(e.Detail)), &detail) != nil || detail == nil:
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("MalformedDetail"), ErrorMessage: aws.String("Detail is malformed.")})
			continue
		}
		at := aws.ToTime(e.Time)
		if at.IsZero() {
			at = time.Now()
		}
		id := randomHex(16)
		b.kept = append(b.kept, busEvent{ID: id, Source: aws.ToString(e.Source), DetailType: aws.ToString(e.DetailType),
			Time: at.UTC(), Detail: json.RawMessage(aws.ToString(e.Detail))})
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(id)})
	}
	return out, nil
}

// events returns the kept events, oldest first.
func (b *leadBus) events() []busEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]busEvent{}, b.kept...)
}

// leadEvents answers GET /_local/events: every event put on the bus, as
// JSON, oldest first.
func (s *Server) leadEvents(w http.ResponseWriter, _ *http.Request) {
	s.stream.wait() // notify's events of the requests just sent
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(struct {
		Bus    string     `json:"bus"`
		Events []busEvent `json:"events"`
	}{s.bus.name, s.bus.events()})
}
