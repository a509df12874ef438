package bus_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

var at = time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)

// TestPublishAgainstMoto: an event put on the bus reaches a rule matching
// the documented source and detail type (moto's EventBridge, its rule
// delivering to an SQS queue), with exactly the documented detail.
func TestPublishAgainstMoto(t *testing.T) {
	endpoint := testenv.Moto(t)
	cfg := testenv.AWSConfig(t, endpoint)
	eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	ctx := context.Background()
	const name = "appointment-leads-LeadEvents"
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	received := testenv.BusQueue(t, endpoint, name, "to-crm", `{"source":["leadhandler"],"detail-type":["Lead Attempt Recorded"]}`)

	var logs bytes.Buffer
	p := bus.New(eb, name, slog.New(slog.NewJSONHandler(&logs, nil)))
	p.Publish(ctx, bus.Event{Type: bus.Received, LeadID: "other", At: at, Status: "new"}) // not the rule's
	p.Publish(ctx, bus.Event{Type: bus.AttemptRecorded, LeadID: "0b8e4c36", At: at, Status: "open", Outcome: "left-message", Attempts: 1})
	if logs.Len() != 0 {
		t.Fatalf("publish logged: %s", logs.String())
	}

	list := received()
	if len(list) != 1 {
		t.Fatalf("%d messages through the rule, want 1: %v", len(list), list)
	}
	got := list[0]
	want := map[string]any{"leadId": "0b8e4c36", "at": "2026-11-27T14:20:00Z", "status": "open", "outcome": "left-message", "attempts": float64(1)}
	if got.Source != bus.Source || got.DetailType != bus.AttemptRecorded {
		t.Errorf("source %q, detail-type %q", got.Source, got.DetailType)
	}
	if diff := cmp.Diff(got.Detail, want); diff != "" {
		t.Errorf("detail (-got +want):\n%s", diff)
	}
}

type failing struct{}

func (failing) PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return nil, errors.New("connection refused")
}

// TestFailureIsLoggedOnly: a bus that cannot be reached costs a log line
// with the lead's id, and nothing else (Publish has no error to return).
func TestFailureIsLoggedOnly(t *testing.T) {
	var logs bytes.Buffer
	bus.New(failing{}, "b", slog.New(slog.NewJSONHandler(&logs, nil))).Publish(context.Background(), bus.Event{Type: bus.Closed, LeadID: "abc", At: at})
	if !strings.Contains(logs.String(), `"leadId":"abc"`) || !strings.Contains(logs.String(), "lead event not published") {
		t.Errorf("logs: %s", logs.String())
	}
	var nilP *bus.Publisher
	nilP.Publish(context.Background(), bus.Event{Type: bus.Closed})
	bus.New(nil, "b", nil).Publish(context.Background(), bus.Event{Type: bus.Closed})
	bus.New(failing{}, "", nil).Publish(context.Background(), bus.Event{Type: bus.Closed})
}
