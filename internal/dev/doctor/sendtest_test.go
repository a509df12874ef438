package doctor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// publishingSES is moto's SES with what moto leaves out: after each send
// it puts on the default bus the event SES would publish about the message
// (AWS's sample of that event type from infra/events, given the message's
// id, tags and recipients), as SES does through a configuration set's
// EventBridge destination.
type publishingSES struct {
	ses    *sesv2.Client
	events *eventbridge.Client
	sample string // infra/events file; empty: SES publishes nothing
	t      *testing.T
}

func (p publishingSES) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	out, err := p.ses.SendEmail(ctx, in, opts...)
	if err != nil || p.sample == "" {
		return out, err
	}
	raw, err := os.ReadFile(filepath.Join(testenv.Root(p.t), "infra", "events", p.sample))
	if err != nil {
		p.t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(raw, &e); err != nil {
		p.t.Fatal(err)
	}
	detail := e["detail"].(map[string]any)
	mail := detail["mail"].(map[string]any)
	mail["messageId"] = aws.ToString(out.MessageId)
	tags := map[string][]string{"ses:configuration-set": {aws.ToString(in.ConfigurationSetName)}}
	for _, tag := range in.EmailTags {
		tags[aws.ToString(tag.Name)] = []string{aws.ToString(tag.Value)}
	}
	mail["tags"] = tags
	if d, ok := detail["delivery"].(map[string]any); ok {
		d["recipients"] = in.Destination.ToAddresses
	}
	if b, ok := detail["bounce"].(map[string]any); ok {
		b["bouncedRecipients"] = []map[string]string{{"emailAddress": in.Destination.ToAddresses[0]}}
	}
	body, _ := json.Marshal(detail)
	res, err := p.events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("aws.ses"), DetailType: aws.String(e["detail-type"].(string)), Detail: aws.String(string(body))}}})
	if err != nil || res.FailedEntryCount > 0 {
		p.t.Fatalf("put the SES event: %v %+v", err, res)
	}
	return out, nil
}

// TestSendTestAgainstMoto: the send test's rule and queue on moto's
// EventBridge and SQS catch the event about its own message, and are gone
// afterwards.
func TestSendTestAgainstMoto(t *testing.T) {
	endpoint := testenv.Moto(t)
	cfg := testenv.AWSConfig(t, endpoint)
	ctx := context.Background()
	ses, events := sesv2.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	queue := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
	for _, id := range []string{"example-clinic.com", "frontdesk@example-clinic.com"} {
		if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	setup := Setup{Sender: "alerts@example-clinic.com", Recipients: []string{"frontdesk@example-clinic.com"}, ConfigurationSet: "leadhandler-mail"}
	tests := []struct {
		sample string
		ok     bool
		want   string
	}{
		{"ses-delivery.json", true, "[ok] The test alert was delivered to frontdesk@example-clinic.com"},
		{"ses-bounce.json", false, "[PROBLEM] The test alert to frontdesk@example-clinic.com bounced (Permanent)"},
		{"", true, "[warning] No delivery event for the test alert to frontdesk@example-clinic.com within 2s"},
	}
	for i, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			run := "run" + string(rune('a'+i))
			st := SendTest{SES: publishingSES{ses, events, tt.sample, t}, Events: events, Queue: queue, Run: run, Wait: 2 * time.Second, Now: time.Now}
			r, err := st.Check(ctx, setup)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() != tt.ok || !strings.Contains(r.String(), tt.want) {
				t.Errorf("OK() = %v, want %v; report lacks %q?\n%s", r.OK(), tt.ok, tt.want, r)
			}
			rules, err := events.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("leadhandler-doctor-")})
			if err != nil {
				t.Fatal(err)
			}
			queues, err := queue.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("leadhandler-doctor-")})
			if err != nil {
				t.Fatal(err)
			}
			if len(rules.Rules) != 0 || len(queues.QueueUrls) != 0 {
				t.Errorf("left behind: rules %v, queues %v", rules.Rules, queues.QueueUrls)
			}
		})
	}
}
