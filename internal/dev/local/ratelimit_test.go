package local

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestRefusedRequestsLeaveTheAllowance: on make dev with RATE_LIMIT=8/1h,
// eight refused submissions from one client, then a valid one: it is
// stored (201) and alerted. Only stored requests use up the allowance, so
// the ninth stored one is the first refused 429.
func TestRefusedRequestsLeaveTheAllowance(t *testing.T) {
	srv, base := serve(t, map[string]string{"RATE_LIMIT": "8/1h"})
	patient := client("127.0.0.8")
	post := func(contentType, body string) int {
		t.Helper()
		res, err := patient.Post(base+"/leads", contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	refused := []struct{ contentType, body string }{
		{"application/json", `{"name":"Aroha Ngata","phone":"555-0143","consent":true,"elapsedMs":9000}`},
		{"application/json", `{"name":"Aroha Ngata","phone":"(202) 555-014","consent":true,"elapsedMs":9000}`},
		{"application/json", `{"name":"Aroha Ngata","email":"aroha@example","consent":true,"elapsedMs":9000}`},
		{"application/json", `{"name":"Aroha Ngata","email":"aroha@example.nz","elapsedMs":9000}`},
		{"application/json", `{"email":"aroha@example.nz","consent":true,"elapsedMs":9000}`},
		{"application/json", `{"name":"Aroha Ngata","consent":true,"elapsedMs":9000}`},
		{"application/x-www-form-urlencoded", "name=Aroha+Ngata&phone=555-0143&consent=on"},
		{"application/x-www-form-urlencoded", "name=Aroha+Ngata&email=aroha%40example.nz"},
	}
	for i, r := range refused {
		if got := post(r.contentType, r.body); got != http.StatusBadRequest {
			t.Fatalf("refused request %d: status %d, want 400", i+1, got)
		}
	}
	valid := func(n int) string {
		return fmt.Sprintf(`{"submissionId":%q,"name":"Aroha%d Ngata","phone":"(202) 555-0143","consent":true,"elapsedMs":9000}`, uuid.NewString(), n)
	}
	if got := post("application/json", valid(1)); got != http.StatusCreated {
		t.Fatalf("the valid request after 8 refused: status %d, want 201", got)
	}
	staffLink(t, srv, "Aroha1") // alerted: a lead like any other
	for n := 2; n <= 8; n++ {
		if got := post("application/json", valid(n)); got != http.StatusCreated {
			t.Fatalf("stored request %d: status %d, want 201", n, got)
		}
	}
	if got := post("application/json", valid(9)); got != http.StatusTooManyRequests {
		t.Errorf("the 9th stored request in the hour: status %d, want 429", got)
	}
	if n := leadCount(t, srv); n != 8 {
		t.Errorf("%d leads stored, want 8", n)
	}
}
