package bus_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
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

// TestSchemaNamesEveryCloseReason: the schema's closeReason enum and the
// Lead Closed row of docs/lead-events.md say every reason a lead can close
// for (lead.Reasons), and each matches the outcome's pattern.
func TestSchemaNamesEveryCloseReason(t *testing.T) {
	root := testenv.Root(t)
	b, err := os.ReadFile(filepath.Join(root, "docs", "lead-events.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties struct {
			Outcome struct {
				Pattern string `json:"pattern"`
			} `json:"outcome"`
		} `json:"properties"`
		Defs struct {
			CloseReason struct {
				Enum []string `json:"enum"`
			} `json:"closeReason"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range lead.Reasons {
		want = append(want, string(r))
	}
	if diff := cmp.Diff(schema.Defs.CloseReason.Enum, want); diff != "" {
		t.Errorf("closeReason enum (-schema +lead.Reasons):\n%s", diff)
	}
	pattern := regexp.MustCompile(schema.Properties.Outcome.Pattern)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "lead-events.md"))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for line := range strings.Lines(string(doc)) {
		if strings.HasPrefix(line, "| `Lead Closed` |") {
			row = line
		}
	}
	for _, r := range want {
		if !pattern.MatchString(r) {
			t.Errorf("reason %q does not match the outcome's pattern %s", r, pattern)
		}
		if !strings.Contains(row, " "+r+",") && !strings.Contains(row, " "+r+")") {
			t.Errorf("docs/lead-events.md's Lead Closed row does not name %q: %s", r, row)
		}
	}
}
