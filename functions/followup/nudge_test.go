package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/dev/nudgestest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestNudgeUnderRIE: the input of a lead's schedule as moto's Scheduler
// holds it, delivered twice (an async retry) to the real followup
// bootstrap, nudges the clinic once (its batch's run marker and the lead's
// record on the wire).
func TestNudgeUnderRIE(t *testing.T) {
	moto, ses := testenv.Moto(t), testenv.SESLocal(t)
	cfg := testenv.AWSConfig(t, moto)
	db := dynamodb.NewFromConfig(cfg)
	testenv.CreateTable(t, db, "leads")
	ctx := context.Background()
	// A lead whose ExpiresAt has passed is gone to the followup bootstrap.
	now := time.Now() // wall clock: the bootstrap under the RIE reads the lead on the real clock
	created := now.Add(-25 * time.Minute)
	l := lead.New("cccccccc-1111-4111-8111-111111111111", lead.Request{
		Name: "Olusegun Adeyemi", Phone: "+4915123456789", PreferredContact: lead.ByPhone, PreferredTime: lead.AnyTime, ConsentVersion: "1",
	}, created, 30*24*time.Hour)
	if err := ddb.New(db, "leads").Save(ctx, l, nil); err != nil {
		t.Fatal(err)
	}
	always, _ := hours.Parse(hours.Always, time.UTC)
	api := scheduler.NewFromConfig(cfg)
	signer := nudgestest.Signer(t)
	g := nudges.New(api, nudges.Settings{Hours: always, SLA: 15 * time.Minute, TargetARN: "arn:aws:lambda:us-east-1:123456789012:function:followup", RoleARN: "arn:aws:iam::123456789012:role/nudge", Keys: signer})
	if _, err := g.Arm(ctx, l.ID, created, now); err != nil {
		t.Fatal(err)
	}
	s, err := api.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(nudges.Name(signer.Key(nudges.KeyPurpose), l.ID))})
	if err != nil {
		t.Fatal(err)
	}

	env := testenv.Env(moto)
	env["AWS_ENDPOINT_URL_SESV2"] = ses
	for k, v := range map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": "frontdesk@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/Chicago",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET": strings.Repeat("x", 32),
		"OPENING_HOURS": "always", // as the schedule was armed
	} {
		env[k] = v
	}
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/followup"), env)
	for range 2 {
		if out := fn.Invoke(t, []byte(aws.ToString(s.Target.Input))); string(out) != "null" {
			t.Fatalf("invoke answered %s", out)
		}
	}
	sent := testenv.SentEmails(t, ses)
	if len(sent) != 1 {
		t.Fatalf("%d emails, want one nudge", len(sent))
	}
	if m := sent[0]; !strings.HasPrefix(m.Subject, "1 request waiting over ") || strings.Join(m.Destination.To, ",") != "frontdesk@example-clinic.com" ||
		!strings.Contains(m.Body.Text, "Olusegun, request "+l.Number()) || !strings.Contains(m.Body.Text, "https://api.example-clinic.com/leads/"+l.ID) {
		t.Errorf("nudge %q to %v:\n%s", m.Subject, m.Destination.To, m.Body.Text)
	}
	logs := fn.Stop()
	if strings.Count(logs, `"msg":"nudge sent"`) != 1 || strings.Count(logs, `"msg":"no nudge: already sent"`) != 1 {
		t.Errorf("logs:\n%s", logs)
	}
	// The nudge names the patient by first name only; the logs not at all.
	for _, p := range []string{"Olusegun", "Adeyemi", "15123456789"} {
		if strings.Contains(logs, p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
	for _, p := range []string{"Adeyemi", "15123456789"} {
		if strings.Contains(sent[0].Body.Text+sent[0].Body.HTML, p) {
			t.Errorf("personal data %q in the nudge", p)
		}
	}
}
