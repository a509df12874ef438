package local

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
)

// TestPatientTextOverHTTP: on make dev with PATIENT_SMS=on, a request
// preferring texts produces one text to the patient's number, listed at
// /_local/texts, saying when to expect the clinic's answer and how to opt
// out, with nothing the patient typed; a request preferring a call gets
// none.
func TestPatientTextOverHTTP(t *testing.T) {
	_, base := serve(t, map[string]string{"PATIENT_SMS": "on", "OPENING_HOURS": "always", "RESPONSE_SLA": "15m"})
	for _, body := range []string{
		`{"name":"Pat Smith","phone":"(202) 555-0143","preferredContact":"text","reason":"Knee pain after running","consent":true}`,
		`{"name":"Lee Jones","phone":"(202) 555-0144","preferredContact":"phone","consent":true}`,
	} {
		res, err := http.Post(base+"/leads", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST /leads: %d", res.StatusCode)
		}
	}
	res, err := http.Get(base + "/_local/texts")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var texts []sms.Text
	if err := json.NewDecoder(res.Body).Decode(&texts); err != nil {
		t.Fatal(err)
	}
	if len(texts) != 1 {
		t.Fatalf("%d texts, want one to Pat: %+v", len(texts), texts)
	}
	x := texts[0]
	const want = ": thanks for your request. We'll text you within 15 minutes. Reply STOP to opt out."
	if x.To != "+12025550143" || !strings.HasSuffix(x.Body, want) {
		t.Errorf("text %+v, want one to +12025550143 ending %q", x, want)
	}
	for _, p := range []string{"Pat", "Smith", "Knee"} {
		if strings.Contains(x.Body, p) {
			t.Errorf("text %q holds %q", x.Body, p)
		}
	}
}
