package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// SESSampleMessageID is the message id of AWS's sample SES events in
// infra/events.
const SESSampleMessageID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"

// SESEvent reads AWS's sample SES event file (ses-delivery.json, ...) from
// infra/events as EventBridge delivers it, tagged as the stack tags an
// email of kind about lead id (the lead and kind message tags).
func SESEvent(t testing.TB, file, id, kind string) events.EventBridgeEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(Root(t), "infra", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	var e events.EventBridgeEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatal(err)
	}
	tags := d["mail"].(map[string]any)["tags"].(map[string]any)
	tags["lead"], tags["kind"] = []string{id}, []string{kind}
	if e.Detail, err = json.Marshal(d); err != nil {
		t.Fatal(err)
	}
	return e
}
