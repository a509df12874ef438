package local

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
)

// TestLeadBusKeepsWhatIsPut: make dev's bus keeps what the functions'
// publisher puts on it, in EventBridge's envelope, and refuses an entry
// for another bus as EventBridge does (the publisher logs it).
func TestLeadBusKeepsWhatIsPut(t *testing.T) {
	b := &leadBus{name: "local"}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	at := time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
	bus.New(b, "local", log).Publish(context.Background(), bus.Event{Type: bus.Closed, LeadID: "abc", At: at, Status: "closed", Outcome: "booked", Attempts: 1})
	bus.New(b, "another", log).Publish(context.Background(), bus.Event{Type: bus.Closed, LeadID: "def", At: at})
	kept := b.events()
	if len(kept) != 1 {
		t.Fatalf("%d events kept, want 1: %+v", len(kept), kept)
	}
	var detail map[string]any
	if err := json.Unmarshal(kept[0].Detail, &detail); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"leadId": "abc", "at": "2026-11-27T14:20:00Z", "status": "closed", "outcome": "booked", "attempts": float64(1)}
	if diff := cmp.Diff(detail, want); diff != "" || kept[0].Source != bus.Source || kept[0].DetailType != bus.Closed || !kept[0].Time.Equal(at) {
		t.Errorf("kept %+v; detail (-got +want):\n%s", kept[0], diff)
	}
	if !strings.Contains(logs.String(), `"leadId":"def"`) || !strings.Contains(logs.String(), "ResourceNotFoundException") {
		t.Errorf("the refused entry was not logged: %s", logs.String())
	}
}
