package testenv

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/middleware"
)

// CallRecorder records the AWS API calls an SDK configuration's clients
// make, as the IAM actions they need: tests compare them with the
// template's policies, and the benchmark counts them.
// It counts calls by IAM action, such as "dynamodb:PutItem".
type CallRecorder struct {
	mu      sync.Mutex
	actions map[string]int
	calls   int
	// keys are the partition keys of the items each DynamoDB item action
	// touched, for the policies that limit them (dynamodb:LeadingKeys).
	keys map[string][]string
	// recipients are the addresses emails were sent to (To, Cc and Bcc),
	// for the policies that limit them (ses:Recipients).
	recipients []string
}

// RecordCalls makes every client built from cfg report its calls to a new
// CallRecorder.
func RecordCalls(cfg *aws.Config) *CallRecorder {
	r := &CallRecorder{actions: map[string]int{}, keys: map[string][]string{}}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("testenv.RecordCalls",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.add(Actions(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), in.Parameters))
				r.addKeys(in.Parameters)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	return r
}

func (r *CallRecorder) add(actions []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	for _, a := range actions {
		r.actions[a]++
	}
}

func (r *CallRecorder) addKeys(params any) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		r.addKey("dynamodb:GetItem", in.Key)
	case *dynamodb.PutItemInput:
		r.addKey("dynamodb:PutItem", in.Item)
	case *dynamodb.UpdateItemInput:
		r.addKey("dynamodb:UpdateItem", in.Key)
	case *dynamodb.DeleteItemInput:
		r.addKey("dynamodb:DeleteItem", in.Key)
	case *dynamodb.TransactWriteItemsInput:
		// IAM authorizes each part as its own action, on its own item.
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				r.addKey("dynamodb:PutItem", it.Put.Item)
			case it.Update != nil:
				r.addKey("dynamodb:UpdateItem", it.Update.Key)
			case it.Delete != nil:
				r.addKey("dynamodb:DeleteItem", it.Delete.Key)
			case it.ConditionCheck != nil:
				r.addKey("dynamodb:ConditionCheckItem", it.ConditionCheck.Key)
			}
		}
	case *sesv2.SendEmailInput:
		if d := in.Destination; d != nil {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.recipients = slices.Concat(r.recipients, d.ToAddresses, d.CcAddresses, d.BccAddresses)
		}
	}
}

func (r *CallRecorder) addKey(action string, key map[string]types.AttributeValue) {
	pk, ok := key["pk"].(*types.AttributeValueMemberS)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[action] = append(r.keys[action], pk.Value)
}

// Recipients returns every address an email was sent to so far.
func (r *CallRecorder) Recipients() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.recipients)
}

// Keys returns the partition keys of the items action touched so far.
func (r *CallRecorder) Keys(action string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.keys[action])
}

// Actions returns the IAM actions called so far, sorted.
func (r *CallRecorder) Actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.actions))
}

// Count returns how many calls needed action so far.
func (r *CallRecorder) Count(action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.actions[action]
}

// Calls returns how many API calls were made (retries aside).
func (r *CallRecorder) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// servicePrefix maps the SDK's service ids to IAM's action prefixes.
var servicePrefix = map[string]string{
	"DynamoDB":              "dynamodb",
	"EventBridge":           "events",
	"SESv2":                 "ses",
	"Pinpoint SMS Voice V2": "sms-voice",
	"Secrets Manager":       "secretsmanager",
}

// Actions names the IAM actions one call needs. A DynamoDB transaction needs
// the actions of its parts, not an action of its own.
func Actions(service, operation string, params any) []string {
	prefix, ok := servicePrefix[service]
	if !ok {
		prefix = strings.ToLower(strings.ReplaceAll(service, " ", ""))
	}
	if in, ok := params.(*dynamodb.TransactWriteItemsInput); ok {
		var out []string
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, "dynamodb:PutItem")
			case it.Update != nil:
				out = append(out, "dynamodb:UpdateItem")
			case it.Delete != nil:
				out = append(out, "dynamodb:DeleteItem")
			case it.ConditionCheck != nil:
				out = append(out, "dynamodb:ConditionCheckItem")
			}
		}
		return out
	}
	return []string{prefix + ":" + operation}
}
