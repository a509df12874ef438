package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestBootstrapUnderRIE runs the real followup bootstrap under the Lambda
// Runtime Interface Emulator, invoked with AWS's sample scheduled event
// carrying the run's time, against moto and the SES emulator. The schedule
// fires hourly: the 7:00 run (Chicago) sends nothing, the 8:00 run (the
// default FOLLOW_UP_HOUR and opening, on a Friday) sends the digest, once.
func TestBootstrapUnderRIE(t *testing.T) {
	moto, ses := testenv.Moto(t), testenv.SESLocal(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, moto))
	testenv.CreateTable(t, db, "leads")
	store := ddb.New(db, "leads")
	run := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC) // 8:00 in Chicago
	for i, name := range []string{"Olusegun Adeyemi", "Ingrid Johansson"} {
		l := lead.New(strings.Repeat(string(rune('a'+i)), 8)+"-1111-4111-8111-111111111111", lead.Request{
			Name: name, Phone: "+4915123456789", PreferredContact: lead.ByPhone, PreferredTime: lead.AnyTime, ConsentVersion: "1",
		}, run.Add(-time.Duration(30+i)*time.Hour), 30*24*time.Hour)
		if err := store.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
	}

	b, err := os.ReadFile(filepath.Join(testenv.Root(t), "infra/events/scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var event map[string]any
	if err := json.Unmarshal(b, &event); err != nil {
		t.Fatal(err)
	}
	event["source"], event["time"] = "aws.scheduler", run.Add(-time.Hour).Format(time.RFC3339)
	early, _ := json.Marshal(event)
	event["time"] = run.Format(time.RFC3339)
	payload, _ := json.Marshal(event)

	env := testenv.Env(moto)
	env["AWS_ENDPOINT_URL_SESV2"] = ses
	for k, v := range map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": "frontdesk@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET": strings.Repeat("x", 32),
		"ESCALATE_AFTER": "30h30m", "ESCALATION_EMAIL": "owner@example-clinic.com",
	} {
		env[k] = v
	}
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/followup"), env)
	if out := fn.Invoke(t, early); string(out) != "null" {
		t.Fatalf("the 7:00 run answered %s", out)
	}
	if sent := testenv.SentEmails(t, ses); len(sent) != 0 {
		t.Fatalf("the 7:00 run sent %d emails, want none: the digest's hour is 8:00", len(sent))
	}
	for range 2 { // the second is a retried run: the same scheduled time
		if out := fn.Invoke(t, payload); string(out) != "null" {
			t.Fatalf("invoke answered %s", out)
		}
	}
	sent := testenv.SentEmails(t, ses)
	if len(sent) != 1 {
		t.Fatalf("%d digests, want 1", len(sent))
	}
	m := sent[0]
	if m.Subject != "2 appointment requests to follow up: 2 to call (1 overdue)" ||
		strings.Join(m.Destination.To, ",") != "frontdesk@example-clinic.com,owner@example-clinic.com" ||
		!strings.Contains(m.Body.Text, "== Overdue: requested over 1 day 6 hours ago (1) ==\n\nIngrid, waiting 1 day 7 hours") || m.Body.HTML == "" {
		t.Errorf("digest: %q to %v\n%s", m.Subject, m.Destination.To, m.Body.Text)
	}
	logs := fn.Stop()
	if strings.Count(logs, `"msg":"digest sent"`) != 1 || strings.Count(logs, `"msg":"digest already sent today"`) != 1 {
		t.Errorf("logs:\n%s", logs)
	}
	for _, p := range []string{"Olusegun", "Ingrid", "Adeyemi", "Johansson", "15123456789"} {
		if strings.Contains(logs, p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
}
