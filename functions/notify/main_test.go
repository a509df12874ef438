package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/present"
)

// TestBootstrapUnderRIE runs the real notify bootstrap under the Lambda
// Runtime Interface Emulator on a real stream batch from moto, reading its
// link secret from moto's Secrets Manager and sending to the SES emulator.
func TestBootstrapUnderRIE(t *testing.T) {
	moto := testenv.Moto(t)
	ses := testenv.SESLocal(t)
	awsCfg := testenv.AWSConfig(t, moto)
	db := dynamodb.NewFromConfig(awsCfg)
	testenv.CreateTable(t, db, "leads")
	ctx := context.Background()
	secret, err := secretsmanager.NewFromConfig(awsCfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("link-secret"), SecretString: aws.String(strings.Repeat("k", 64)),
	})
	if err != nil {
		t.Fatal(err)
	}

	// A lead whose ExpiresAt has passed is gone to the notify bootstrap.
	now := time.Now() // wall clock: the bootstrap under the RIE reads the lead on the real clock
	store := ddb.New(db, "leads")
	l := lead.New("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", lead.Request{
		Name: "Marta Kowalska", Phone: "+48501234567", Email: "marta@example.pl",
		PreferredContact: lead.ByPhone, PreferredTime: lead.Evening, Reason: "Shoulder pain", ConsentVersion: "1",
	}, now, 24*time.Hour)
	if err := store.Save(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	event, err := json.Marshal(testenv.StreamEvent(t, moto, db, "leads"))
	if err != nil {
		t.Fatal(err)
	}

	env := testenv.Env(moto)
	env["AWS_ENDPOINT_URL_SESV2"] = ses
	for k, v := range map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": "frontdesk@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "Europe/Warsaw",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET_ARN": aws.ToString(secret.ARN),
	} {
		env[k] = v
	}
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/notify"), env)

	var res events.DynamoDBEventResponse
	if err := json.Unmarshal(fn.Invoke(t, event), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.BatchItemFailures) != 0 {
		t.Fatalf("failures %v\nlogs:\n%s", res.BatchItemFailures, fn.Logs())
	}
	// The request's time in TIME_ZONE, with its zone (CET in winter, CEST
	// in summer: the lead was made on the real clock).
	warsaw, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		t.Fatal(err)
	}
	// The alert, then the acknowledgement (ACK_EMAIL's default) to Marta.
	sent := testenv.SentEmails(t, ses)
	if len(sent) != 2 || sent[0].Subject != "Appointment request: Marta prefers a phone call" ||
		!strings.Contains(sent[0].Body.Text, present.FormatTime(l.CreatedAt, warsaw)) ||
		!strings.HasPrefix(sent[1].Subject, "We received your request") || !slices.Equal(sent[1].Destination.To, []string{"marta@example.pl"}) {
		t.Fatalf("sent %+v", sent)
	}
	got, err := store.Get(ctx, l.ID, now)
	if err != nil || got.Alert == nil || got.Alert.MessageID != sent[0].MessageID {
		t.Errorf("alert recorded as %+v (%v), want message %s", got.Alert, err, sent[0].MessageID)
	}
	logs := fn.Stop()
	if !strings.Contains(logs, `"msg":"alert sent"`) || !strings.Contains(logs, `"msg":"acknowledgement sent"`) {
		t.Errorf("no alert or acknowledgement log line:\n%s", logs)
	}
	for _, p := range []string{"Marta", "Kowalska", "marta@", "501234567", "Shoulder"} {
		if strings.Contains(logs, p) {
			t.Errorf("personal data %q in the logs:\n%s", p, logs)
		}
	}
}

func TestColdStartNamesMissingVariables(t *testing.T) {
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/notify"), map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_EMAIL": "not an address", "TIME_ZONE": "Mars/Olympus",
	})
	if status, body := testenv.InvokeRaw(t, fn, []byte(`{"Records":[]}`)); status == 200 {
		t.Errorf("a misconfigured function answered: %s", body)
	}
	logs := fn.Stop()
	for _, name := range []string{"CLINIC_NAME", "CLINIC_EMAIL", "SENDER_EMAIL", "TIME_ZONE", "PUBLIC_BASE_URL"} {
		if !strings.Contains(logs, name) {
			t.Errorf("cold start error does not name %s:\n%s", name, logs)
		}
	}
}
