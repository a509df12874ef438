package submit

import (
	"net/http"
	"slices"
	"testing"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
)

// TestEveryOutcome: each outcome is answered with its status, logged by a
// word of its own, and counted with dimension values metric.Requests and
// metric.RequestsRefused allow (the template's alarms and dashboard match
// them), a reason exactly for a refused request.
func TestEveryOutcome(t *testing.T) {
	status := map[outcome]int{
		stored: http.StatusCreated, replayed: http.StatusOK,
		held: http.StatusCreated, heldReplayed: http.StatusOK, trapped: http.StatusCreated,
		invalid: http.StatusBadRequest, turnstileRejected: http.StatusBadRequest,
		limited: http.StatusTooManyRequests, trappedLimited: http.StatusTooManyRequests,
		wrongMethod: http.StatusMethodNotAllowed, wrongOrigin: http.StatusForbidden,
		wrongMediaType: http.StatusUnsupportedMediaType, tooLarge: http.StatusRequestEntityTooLarge,
		storeError: http.StatusServiceUnavailable, turnstileMisconfigured: http.StatusServiceUnavailable,
		notViaEdge: http.StatusForbidden,
	}
	f := newFixture(t, nil)
	charge := testConfig().RateLimit.ChargeFor([]byte("salt"), "198.51.100.7", now)
	p := post{now: now, charge: &charge}
	words := map[string]outcome{}
	for o := range outcome(len(outcomes)) {
		named := outcomes[o]
		if got := f.h.answer(f.h.log, result{kind: o, post: p, id: "0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f"}).StatusCode; got != status[o] {
			t.Errorf("%s: status %d, want %d", named.log, got, status[o])
		}
		if other, seen := words[named.log]; named.log == "" || seen {
			t.Errorf("outcome %d logged as %q, as %d is", o, named.log, other)
		}
		words[named.log] = o
		if !slices.Contains(metric.Requests.Dimensions[0].Values, named.result) {
			t.Errorf("%s: Result %q is not one of metric.Requests'", named.log, named.result)
		}
		refused := named.result == metric.ResultRefused
		if refused != (named.reason != "") || refused && !slices.Contains(metric.RequestsRefused.Dimensions[0].Values, named.reason) {
			t.Errorf("%s: Result %q with Reason %q", named.log, named.result, named.reason)
		}
	}
	if len(words) != len(status) {
		t.Errorf("%d outcomes named, %d with a status", len(words), len(status))
	}
}
