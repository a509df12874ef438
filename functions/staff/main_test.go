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

	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/testenv"
)

// TestBootstrapUnderRIE runs the real staff bootstrap under the Lambda
// Runtime Interface Emulator with AWS's sample HTTP API event, against moto.
func TestBootstrapUnderRIE(t *testing.T) {
	moto := testenv.Moto(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, moto))
	testenv.CreateTable(t, db, "leads")
	store := ddb.New(db, "leads")
	ctx := context.Background()
	l := lead.New("7a7a7a7a-2222-4222-8222-222222222222", lead.Request{
		Name: "Aroha Ngata", Email: "aroha@example.nz", PreferredContact: lead.ByEmail, PreferredTime: lead.Morning,
		Reason: "Knee pain", ConsentVersion: "1",
	}, time.Now().Add(-3*time.Hour), 24*time.Hour)
	if err := store.Save(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	secret := strings.Repeat("z", 48)
	signer, _ := link.NewSigner([]byte(secret))
	token := signer.Sign(link.PurposeStaff, l.ID, time.Now().Add(time.Hour))

	env := testenv.Env(moto)
	for k, v := range map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "TIME_ZONE": "Pacific/Auckland", "LINK_SECRET": secret,
	} {
		env[k] = v
	}
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/staff"), env)

	invoke := func(req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		t.Helper()
		b, _ := json.Marshal(req)
		var res events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(fn.Invoke(t, b), &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	page := invoke(testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", "/leads/"+l.ID+"?t="+token, ""))
	if page.StatusCode != 200 || !strings.Contains(page.Body, "Aroha Ngata") || !strings.Contains(page.Body, "<form") {
		t.Fatalf("page: %d %s", page.StatusCode, page.Body)
	}
	if forged := invoke(testenv.HTTPRequest(t, http.MethodGet, "GET /leads/{id}", "/leads/"+l.ID+"?t=forged", "")); forged.StatusCode != 403 {
		t.Errorf("forged token: status %d", forged.StatusCode)
	}
	version := regexp.MustCompile(`name="v" value="([0-9]+)"`).FindStringSubmatch(page.Body)
	if version == nil {
		t.Fatalf("the page's form carries no version: %s", page.Body)
	}
	form := url.Values{"t": {token}, "v": {version[1]}, "outcome": {"reached"}}
	done := invoke(testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+l.ID+"/contacted", form.Encode()))
	if want := "../" + l.ID + "?t=" + token + "&saved=attempt"; done.StatusCode != 303 || done.Headers["Location"] != want {
		t.Fatalf("record: %d, Location %q, want 303 to %q: %s", done.StatusCode, done.Headers["Location"], want, done.Body)
	}
	got, err := store.Get(ctx, l.ID, time.Now())
	if err != nil || got.Status != lead.StatusOpen || len(got.History) != 1 || got.History[0].Outcome != lead.Reached {
		t.Errorf("stored %s %+v (%v)", got.Status, got.History, err)
	}
	if again := invoke(testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/contacted", "/leads/"+l.ID+"/contacted", form.Encode())); again.StatusCode != 409 {
		t.Errorf("the same form again: %d, want 409", again.StatusCode)
	}
	logs := fn.Stop()
	if !strings.Contains(logs, `"msg":"attempt recorded"`) {
		t.Errorf("logs:\n%s", logs)
	}
	for _, p := range []string{"Aroha", "Ngata", "aroha@", "Knee"} {
		if strings.Contains(logs, p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
}
