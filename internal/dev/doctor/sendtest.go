package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
)

// Mailer is the part of the SES v2 client the send test uses.
type Mailer interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Events is the part of the EventBridge client the send test uses.
type Events interface {
	PutRule(ctx context.Context, in *eventbridge.PutRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
	RemoveTargets(ctx context.Context, in *eventbridge.RemoveTargetsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.RemoveTargetsOutput, error)
	DeleteRule(ctx context.Context, in *eventbridge.DeleteRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DeleteRuleOutput, error)
}

// Queue is the part of the SQS client the send test uses.
type Queue interface {
	CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, optFns ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteQueue(ctx context.Context, in *sqs.DeleteQueueInput, optFns ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error)
}

// TagRun is the message tag naming one send test; TagKind says KindTest,
// so MailEventsFunction, which records alerts only, drops its events.
const (
	TagRun   = "doctor"
	KindTest = "test"
)

// SendTest sends a test alert to the clinic through the stack's
// configuration set and waits for what SES reports of it. A test alert is
// no lead, so MailEventsFunction records nothing of it: the test listens
// itself, through a rule on the default bus (where SES publishes) matching
// its own run tag, and a queue the rule feeds; both exist only while it
// waits.
type SendTest struct {
	SES    Mailer
	Events Events
	Queue  Queue
	Run    string        // names the rule, the queue and the run tag: letters, digits, - and _
	Wait   time.Duration // how long to wait for the delivery events
	Now    func() time.Time
}

// Check runs the test for s (s.ConfigurationSet must be set). Only a
// failure to listen is an error; what SES reported is in the report.
func (t SendTest) Check(ctx context.Context, s Setup) (r Report, err error) {
	name := "leadhandler-doctor-" + t.Run
	q, err := t.Queue.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create queue %s: %w", name, err)
	}
	defer func() {
		if _, e := t.Queue.DeleteQueue(context.WithoutCancel(ctx), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); e != nil && err == nil {
			err = fmt.Errorf("delete queue %s (delete it by hand): %w", name, e)
		}
	}()
	attrs, err := t.Queue.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, fmt.Errorf("read queue %s: %w", name, err)
	}
	queueARN := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	pattern, _ := json.Marshal(map[string]any{"source": []string{"aws.ses"}, "detail": map[string]any{"mail": map[string]any{"tags": map[string]any{TagRun: []string{t.Run}}}}})
	rule, err := t.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(string(pattern)),
		Description: aws.String("make doctor's send test: deleted when it ends")})
	if err != nil {
		return nil, fmt.Errorf("create EventBridge rule %s: %w", name, err)
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		_, e := t.Events.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: []string{"queue"}})
		if e == nil {
			_, e = t.Events.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)})
		}
		if e != nil && err == nil {
			err = fmt.Errorf("delete EventBridge rule %s (delete it by hand): %w", name, e)
		}
	}()
	policy, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]string{"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queueARN,
		"Condition": map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": aws.ToString(rule.RuleArn)}}}}})
	if _, err := t.Queue.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{"Policy": string(policy)}}); err != nil {
		return nil, fmt.Errorf("let rule %s send to queue %s: %w", name, name, err)
	}
	if _, err := t.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(queueARN)}}}); err != nil {
		return nil, fmt.Errorf("point rule %s at queue %s: %w", name, name, err)
	}

	sent, err := t.SES.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress:     aws.String(s.Sender),
		Destination:          &types.Destination{ToAddresses: s.Recipients},
		ConfigurationSetName: aws.String(s.ConfigurationSet),
		EmailTags:            []types.MessageTag{{Name: aws.String(sesmail.TagKind), Value: aws.String(KindTest)}, {Name: aws.String(TagRun), Value: aws.String(t.Run)}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Test alert from make doctor"), Charset: aws.String("UTF-8")},
			Body: &types.Body{Text: &types.Content{Charset: aws.String("UTF-8"), Data: aws.String(
				"This is a test of the appointment-request alerts, sent by make doctor (run " + t.Run + ").\n" +
					"No patient is waiting; nothing needs doing.\n")}},
		}},
	})
	if err != nil {
		return Report{{Problem, "SES refused the test alert (" + errCode(err) + ")", "The stack's alerts, sent the same way, are refused too."}}, nil
	}
	id := aws.ToString(sent.MessageId)
	return t.wait(ctx, q.QueueUrl, id, s.Recipients), nil
}

// sesEvent is what the send test reads of an SES event on EventBridge.
type sesEvent struct {
	Detail struct {
		EventType string `json:"eventType"`
		Mail      struct {
			MessageID string `json:"messageId"`
		} `json:"mail"`
		Delivery struct {
			Recipients []string `json:"recipients"`
		} `json:"delivery"`
		Bounce struct {
			BounceType        string `json:"bounceType"`
			BouncedRecipients []struct {
				EmailAddress string `json:"emailAddress"`
			} `json:"bouncedRecipients"`
		} `json:"bounce"`
	} `json:"detail"`
}

// wait reads the queue until SES said what became of the message for every
// recipient, or t.Wait is over.
func (t SendTest) wait(ctx context.Context, queue *string, id string, recipients []string) Report {
	start := t.Now()
	outcome := map[string]string{} // lower-cased recipient -> "delivered" or "bounced (type)"
	var r Report
	delayed := false
	for len(outcome) < len(recipients) {
		left := t.Wait - t.Now().Sub(start)
		if left <= 0 {
			break
		}
		out, err := t.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue, MaxNumberOfMessages: 10, WaitTimeSeconds: int32(min(20, max(1, left/time.Second)))})
		if err != nil {
			return append(r, Finding{Warning, "Could not read the send test's queue (" + errCode(err) + ")", ""})
		}
		for _, m := range out.Messages {
			var e sesEvent
			if json.Unmarshal([]byte(aws.ToString(m.Body)), &e) != nil || e.Detail.Mail.MessageID != id {
				continue
			}
			switch e.Detail.EventType {
			case "Delivery":
				for _, to := range e.Detail.Delivery.Recipients {
					outcome[strings.ToLower(to)] = "delivered"
				}
			case "Bounce":
				for _, b := range e.Detail.Bounce.BouncedRecipients {
					outcome[strings.ToLower(b.EmailAddress)] = "bounced (" + e.Detail.Bounce.BounceType + ")"
				}
			case "Reject":
				return append(r, Finding{Problem, "SES rejected the test alert (it found a virus in it)", ""})
			case "DeliveryDelay":
				delayed = true
			}
		}
	}
	took := t.Now().Sub(start).Round(time.Second)
	for _, to := range recipients {
		switch o := outcome[strings.ToLower(to)]; {
		case o == "delivered":
			r = append(r, Finding{OK, "The test alert was delivered to " + to + " (SES reported it within " + took.String() + ")",
				"Delivered means the receiving server accepted it: check it arrived in the inbox, not in spam."})
		case o != "":
			r = append(r, Finding{Problem, "The test alert to " + to + " " + o,
				"Alerts to this address do not arrive. Check the address (CLINIC_EMAIL); SES's suppression list may hold it:\n  aws sesv2 get-suppressed-destination --email-address " + to})
		default:
			why := "SES publishes its events within seconds to minutes; none came."
			if delayed {
				why = "SES reported the delivery delayed (the receiving server is slow or greylisting); it keeps trying."
			}
			r = append(r, Finding{Warning, "No delivery event for the test alert to " + to + " within " + t.Wait.String(),
				why + " Check the inbox, and that the configuration set's EventBridge destination is enabled."})
		}
	}
	return r
}
