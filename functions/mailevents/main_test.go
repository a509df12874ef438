package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestBootstrapUnderRIE runs the real mailevents bootstrap under the Lambda
// Runtime Interface Emulator, with a Lambda-like environment, on AWS's
// sample SES bounce event (as EventBridge delivers it) for a lead in moto
// whose alert was that message: the bounce is recorded on the lead and
// logged as "alert not delivered" with ids only.
func TestBootstrapUnderRIE(t *testing.T) {
	moto := testenv.Moto(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, moto))
	testenv.CreateTable(t, db, "leads")
	ctx := context.Background()

	// The bootstrap records the bounce without reading the clock (there is
	// no STAFF_SMS to text here): the lead is a fixture on a fixed clock,
	// and the test reads it back as of that clock.
	now := time.Date(2026, 11, 27, 14, 20, 0, 0, time.UTC)
	store := ddb.New(db, "leads")
	l := lead.New("7b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d", lead.Request{
		Name: "Marta Kowalska", Phone: "+48501234567", Email: "marta@example.pl",
		PreferredContact: lead.ByPhone, PreferredTime: lead.Evening, Reason: "Shoulder pain", ConsentVersion: "1",
	}, now, 24*time.Hour)
	if err := store.Save(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkAlerted(ctx, l.ID, lead.Delivery{At: l.CreatedAt, MessageID: testenv.SESSampleMessageID}); err != nil {
		t.Fatal(err)
	}
	before, err := store.Get(ctx, l.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	event, err := json.Marshal(testenv.SESEvent(t, "ses-bounce.json", l.ID, "alert"))
	if err != nil {
		t.Fatal(err)
	}

	env := testenv.Env(moto)
	env["LEADS_TABLE"] = "leads"
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/mailevents"), env)
	// EventBridge invokes asynchronously; the answer is Lambda's null.
	if out := strings.TrimSpace(string(fn.Invoke(t, event))); out != "null" {
		t.Fatalf("answer %s\nlogs:\n%s", out, fn.Logs())
	}
	// Redelivered (EventBridge and Lambda may deliver twice): no change.
	fn.Invoke(t, event)

	got, err := store.Get(ctx, l.ID, now)
	if err != nil || got.Alert == nil || got.Alert.Problem != lead.MailBounced || got.Alert.BounceType != "Permanent" {
		t.Fatalf("alert recorded as %+v (%v)\nlogs:\n%s", got.Alert, err, fn.Logs())
	}
	if got.Version != before.Version+1 { // the bounce; the repeat changed nothing
		t.Errorf("version %d, want %d", got.Version, before.Version+1)
	}
	logs := fn.Stop()
	if strings.Count(logs, `"msg":"alert not delivered"`) != 1 || !strings.Contains(logs, l.ID) {
		t.Errorf("want one 'alert not delivered' line naming the lead:\n%s", logs)
	}
	if !strings.Contains(logs, `"msg":"SES event changes nothing"`) {
		t.Errorf("the redelivery was not seen as one:\n%s", logs)
	}
	for _, p := range []string{"Marta", "Kowalska", "marta@", "501234567", "Shoulder", "recipient@example.com", "smtp; 550"} {
		if strings.Contains(logs, p) {
			t.Errorf("personal data or diagnostic text %q in the logs:\n%s", p, logs)
		}
	}
}

func TestColdStartNamesMissingVariables(t *testing.T) {
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/mailevents"), map[string]string{})
	if status, body := testenv.InvokeRaw(t, fn, []byte(`{"source":"aws.ses","detail":{}}`)); status == 200 {
		t.Errorf("a misconfigured function answered: %s", body)
	}
	if logs := fn.Stop(); !strings.Contains(logs, "LEADS_TABLE") {
		t.Errorf("cold start error does not name LEADS_TABLE:\n%s", logs)
	}
}
