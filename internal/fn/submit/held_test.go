package submit

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestHeldOnMoto: through moto's DynamoDB, each trap's catch is stored as
// a held request (not a lead: Get finds none) with why, and counted.
func TestHeldOnMoto(t *testing.T) {
	h, direct, _, logs := faultyHandler(t, func(*http.Request) *testenv.Fault { return nil })
	store := ddb.New(direct, "leads")
	ctx := context.Background()
	cases := map[string]func(map[string]any){
		"honeypot":          func(v map[string]any) { v["website"] = "http://spam.example" },
		"too fast":          func(v map[string]any) { v["elapsedMs"] = 300 },
		"honeypot, no time": func(v map[string]any) { v["website"] = "x"; delete(v, "elapsedMs") },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			body := jsonBody(t, func(v map[string]any) { change(v); delete(v, "submissionId") })
			res, _ := h.Handle(ctx, testenv.HTTPEvent(t, "application/json", body))
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("status %d: %s", res.StatusCode, res.Body)
			}
			id, _ := decode(t, res)["id"].(string)
			held, err := store.GetHeld(ctx, id, now)
			if err != nil {
				t.Fatalf("held request %s: %v", id, err)
			}
			if held.Trap.Words() == "" || held.Name == "" {
				t.Errorf("held without why or name: %+v", held)
			}
			if _, err := store.Get(ctx, id, now); err == nil {
				t.Error("a held request is also a lead")
			}
		})
	}
	if n, err := store.HeldCount(ctx, now.UTC().Format(time.DateOnly)); err != nil || n != len(cases) {
		t.Errorf("held count = %d, %v; want %d", n, err, len(cases))
	}
	for _, p := range personal {
		if strings.Contains(logs.String(), p) {
			t.Errorf("the log holds %q", p)
		}
	}
}
