package export_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
	"github.com/openclinic/leadhandler/internal/render/export"
)

// TestWritePatient: times in UTC whatever zone they were made in, null
// when unset; lists [] when empty; a message that went out with its
// delivery; the history in order.
func TestWritePatient(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 12, 9, 30, 0, 0, ny)
	l := lead.New("019a3f2e-7c41-7b2d-9e61-4f0c2a8d5b17", lead.Request{Name: "Margaret Kowalski", Phone: "+13035550199", PreferredContact: lead.ByPhone}, at, 365*24*time.Hour)
	l.Alert = &lead.Delivery{At: at.Add(time.Minute), MessageID: "m-1", DeliveredAt: at.Add(2 * time.Minute)}
	l.History = []lead.Event{{At: at.Add(time.Hour), Kind: lead.EventAttempt, Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: "desk@example.com"}}
	var buf bytes.Buffer
	if err := export.WritePatient(&buf, patient.Record{Leads: []lead.Lead{l}}, at.Add(24*time.Hour), ny); err != nil {
		t.Fatal(err)
	}
	var got struct {
		ExportedAt string
		Requests   []map[string]any
		Held, Gone []any
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if got.ExportedAt != "2026-11-13T14:30:00Z" || got.Held == nil || got.Gone == nil || len(got.Requests) != 1 {
		t.Fatalf("top level: %s", buf.String())
	}
	r := got.Requests[0]
	want := map[string]any{
		"created": "2026-11-12T14:30:00Z", "email": "", "callback": nil, "closed": nil, "ack": nil, "earlier": []any{}, "number": "2a8d5b17",
		"alert": map[string]any{"at": "2026-11-12T14:31:00Z", "messageId": "m-1", "delivered": "2026-11-12T14:32:00Z", "problem": "",
			"problemAt": nil, "bounceType": "", "bounceSubType": ""},
		"history": []any{map[string]any{"at": "2026-11-12T15:30:00Z", "kind": "attempt", "outcome": "no-answer", "channel": "call",
			"note": "", "by": "desk@example.com", "callback": nil}},
	}
	for k, w := range want {
		if diff := cmp.Diff(r[k], w); diff != "" {
			t.Errorf("%s (-got +want):\n%s", k, diff)
		}
	}
	if !strings.Contains(r["alertOutcome"].(string), "EST") {
		t.Errorf("alertOutcome %q, want the words in the clinic's zone", r["alertOutcome"])
	}
}
