package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

// TestBootstrapUnderRIE runs the real staff bootstrap under the Lambda
// Runtime Interface Emulator with AWS's sample HTTP API event, against moto.
func TestBootstrapUnderRIE(t *testing.T) {
	moto := testenv.Moto(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, moto))
	testenv.CreateTable(t, db, "leads")
	store := ddb.New(db, "leads")
	ctx := context.Background()
	// The staff bootstrap checks the link's expiry, and reads the lead (gone
	// once its ExpiresAt has passed), as of its own time.
	now := time.Now() // wall clock: the bootstrap under the RIE runs on the real clock
	l := lead.New("7a7a7a7a-2222-4222-8222-222222222222", lead.Request{
		Name: "Aroha Ngata", Email: "aroha@example.nz", PreferredContact: lead.ByEmail, PreferredTime: lead.Morning,
		Reason: "Knee pain", ConsentVersion: "1",
	}, now.Add(-3*time.Hour), 24*time.Hour)
	if err := store.Save(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	secret := strings.Repeat("z", 48)
	signer, _ := link.NewSigner([]byte(secret))
	token := signer.Sign(link.PurposeStaff, l.ID, now.Add(time.Hour))

	env := testenv.Env(moto)
	for k, v := range map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "TIME_ZONE": "Pacific/Auckland", "LINK_SECRET": secret,
		"CLINIC_EMAIL": "frontdesk@example-clinic.com", "SENDER_EMAIL": "alerts@example-clinic.com",
	} {
		env[k] = v
	}
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/staff"), env)

	// The event goes to the function as JSON, as Lambda hands it over: the
	// session cookie in its own "cookies" list, both ways.
	var cookies []string
	invoke := func(req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		t.Helper()
		req.Cookies = cookies
		b, _ := json.Marshal(req)
		var res events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(fn.Invoke(t, b), &res); err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cookies {
			cookies = []string{strings.SplitN(c, ";", 2)[0]}
		}
		return res
	}
	if forged := invoke(testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", "/leads/"+l.ID+"?t=forged", "")); forged.StatusCode != 403 || len(cookies) != 0 {
		t.Errorf("forged token: status %d, cookies %q", forged.StatusCode, cookies)
	}
	link := invoke(testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", "/leads/"+l.ID+"?t="+token, ""))
	if link.StatusCode != 303 || link.Headers["Location"] != "./"+l.ID || len(cookies) != 1 {
		t.Fatalf("the link: %d, Location %q, cookies %q", link.StatusCode, link.Headers["Location"], link.Cookies)
	}
	session := strings.SplitN(cookies[0], "=", 2)[1]
	page := invoke(testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", "/leads/"+l.ID, ""))
	if page.StatusCode != 200 || !strings.Contains(page.Body, "Aroha Ngata") || !strings.Contains(page.Body, "<form") {
		t.Fatalf("page: %d %s", page.StatusCode, page.Body)
	}
	m := regexp.MustCompile(`name="t" value="([^"]+)">\s*<input type="hidden" name="v" value="([0-9]+)"`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the page's form carries no form token or version: %s", page.Body)
	}
	form := url.Values{"t": {m[1]}, "v": {m[2]}, "outcome": {"reached"}}
	done := invoke(testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+l.ID+"/contacted", form.Encode()))
	if want := "../" + l.ID + "?saved=attempt"; done.StatusCode != 303 || done.Headers["Location"] != want {
		t.Fatalf("record: %d, Location %q, want 303 to %q: %s", done.StatusCode, done.Headers["Location"], want, done.Body)
	}
	got, err := store.Get(ctx, l.ID, now)
	if err != nil || got.Status != lead.StatusOpen || len(got.History) != 1 || got.History[0].Outcome != lead.Reached {
		t.Errorf("stored %s %+v (%v)", got.Status, got.History, err)
	}
	if again := invoke(testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+l.ID+"/contacted", form.Encode())); again.StatusCode != 409 {
		t.Errorf("the same form again: %d, want 409", again.StatusCode)
	}
	// Without the session, the same form records nothing.
	cookies = nil
	if anon := invoke(testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+l.ID+"/contacted", form.Encode())); anon.StatusCode != 403 {
		t.Errorf("the form without its session: %d, want 403", anon.StatusCode)
	}
	logs := fn.Stop()
	if !strings.Contains(logs, `"msg":"attempt recorded"`) {
		t.Errorf("logs:\n%s", logs)
	}
	for _, p := range []string{"Aroha", "Ngata", "aroha@", "Knee", token, m[1], session} {
		if strings.Contains(logs, p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
}
