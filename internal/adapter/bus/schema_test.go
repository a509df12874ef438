package bus_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestSchemaIsTheEvent: docs/lead-events.schema.json names exactly the
// fields an event's detail can have, so the documented schema cannot drift.
func TestSchemaIsTheEvent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.Root(t), "docs", "lead-events.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]any `json:"properties"`
		Additional *bool          `json:"additionalProperties"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	full, _ := json.Marshal(bus.Event{LeadID: "a", At: time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC), Status: "open", Outcome: "reached", Attempts: 1})
	var detail map[string]any
	_ = json.Unmarshal(full, &detail)
	var got, want []string
	for k := range detail {
		got = append(got, k)
	}
	for k := range schema.Properties {
		want = append(want, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(got, want); diff != "" || schema.Additional == nil || *schema.Additional {
		t.Errorf("detail fields (-event +schema):\n%s additionalProperties %v", diff, schema.Additional)
	}
}
