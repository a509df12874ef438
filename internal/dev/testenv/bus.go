package testenv

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// BusEvent is an event as an EventBridge rule delivered it.
type BusEvent struct {
	Source     string         `json:"source"`
	DetailType string         `json:"detail-type"`
	Detail     map[string]any `json:"detail"`
	// Body is the message as the queue received it, whole.
	Body string `json:"-"`
}

// BusQueue adds a rule to moto's bus (which must exist) delivering the
// events matching pattern to an SQS queue of its own, as a clinic's
// integration would; the function returned reads what reached the queue
// since it last did.
func BusQueue(t *testing.T, endpoint, bus, name, pattern string) func() []BusEvent {
	t.Helper()
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(AWSConfig(t, endpoint), func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(endpoint) })
	queueURL := SQS(t, endpoint, "CreateQueue", `{"QueueName":"`+name+`"}`)["QueueUrl"].(string)
	queueARN := "arn:aws:sqs:" + Region + ":123456789012:" + name
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(queueARN)}}}); err != nil {
		t.Fatal(err)
	}
	return func() []BusEvent {
		t.Helper()
		var all []BusEvent
		for {
			out := SQS(t, endpoint, "ReceiveMessage", `{"QueueUrl":"`+queueURL+`","MaxNumberOfMessages":10,"WaitTimeSeconds":1}`)
			list, _ := out["Messages"].([]any)
			if len(list) == 0 {
				return all
			}
			for _, m := range list {
				m := m.(map[string]any)
				ev := BusEvent{Body: m["Body"].(string)}
				if err := json.Unmarshal([]byte(ev.Body), &ev); err != nil {
					t.Fatal(err)
				}
				all = append(all, ev)
				SQS(t, endpoint, "DeleteMessage", `{"QueueUrl":"`+queueURL+`","ReceiptHandle":"`+m["ReceiptHandle"].(string)+`"}`)
			}
		}
	}
}

// SQS calls moto's SQS over its JSON protocol (moto checks no signature),
// so reading a rule's queue needs no SQS client of the project's.
func SQS(t testing.TB, endpoint, action, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/"+Region+"/sqs/aws4_request, SignedHeaders=host, Signature=x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	if res.StatusCode != http.StatusOK || (len(b) > 0 && json.Unmarshal(b, &out) != nil) {
		t.Fatalf("SQS %s: %d %s", action, res.StatusCode, b)
	}
	return out
}
