package mailevents

import (
	"context"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

// published keeps the events the handler puts on the bus.
type published []bus.Event

func (p *published) Publish(_ context.Context, ev bus.Event) { *p = append(*p, ev) }

var _ Events = (*published)(nil)

// TestRecordedOutcomesArePublished: a delivery and a bounce put one event
// each, timed as recorded; a redelivered event (the store records no
// change) and a complaint put none.
func TestRecordedOutcomesArePublished(t *testing.T) {
	seen := map[lead.MailEvent]bool{}
	var recorded []lead.MailOutcome
	store := storeFunc(func(_ context.Context, _ string, o lead.MailOutcome) error {
		if seen[o.Event] {
			return lead.ErrMailNoChange
		}
		seen[o.Event] = true
		recorded = append(recorded, o)
		return nil
	})
	var got published
	h := New(store, slog.New(slog.DiscardHandler)).WithEvents(&got)
	for _, file := range []string{"ses-delivery.json", "ses-delivery.json", "ses-complaint.json", "ses-bounce.json"} {
		if err := h.Handle(context.Background(), testenv.SESEvent(t, file, "lead-1", "alert")); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	// Not the alert: nothing recorded, nothing put.
	if err := h.Handle(context.Background(), testenv.SESEvent(t, "ses-bounce.json", "lead-1", "ack")); err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 3 {
		t.Fatalf("%d outcomes recorded, want 3: %+v", len(recorded), recorded)
	}
	want := published{
		{Type: bus.AlertDelivered, LeadID: "lead-1", At: recorded[0].At},
		{Type: bus.AlertBounced, LeadID: "lead-1", At: recorded[2].At, Outcome: "Permanent"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("events (-got +want):\n%s", diff)
	}
}
