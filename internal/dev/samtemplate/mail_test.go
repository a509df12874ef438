package samtemplate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestMailEventsWiring: the configuration set every sending function names
// is the one whose events reach MailEventsFunction. Its destination is on,
// on the default bus, for the events the function records; each function
// that sends may send through the set; and the rule's pattern matches AWS's
// sample SES events sent through it (a pattern on a path the events do not
// have would match nothing, silently).
func TestMailEventsWiring(t *testing.T) {
	set := map[string]any{"Ref": "MailConfigurationSet"}
	resourcesOf(t, "AWS::SES::ConfigurationSet") // fails without one

	dests := resourcesOf(t, "AWS::SES::ConfigurationSetEventDestination")
	if len(dests) != 1 {
		t.Fatalf("%d event destinations, want 1", len(dests))
	}
	for id, d := range dests {
		p := props(d)
		if !reflect.DeepEqual(p["ConfigurationSetName"], set) {
			t.Errorf("%s: on %v, not MailConfigurationSet", id, p["ConfigurationSetName"])
		}
		dest := p["EventDestination"].(map[string]any)
		if dest["Enabled"] != true {
			t.Errorf("%s: not enabled (the resource's default is off)", id)
		}
		types := []string{}
		for _, v := range dest["MatchingEventTypes"].([]any) {
			types = append(types, v.(string))
		}
		slices.Sort(types)
		if want := []string{"bounce", "complaint", "delivery", "deliveryDelay", "reject"}; !slices.Equal(types, want) {
			t.Errorf("%s: event types %q, want %q", id, types, want)
		}
		bus, _ := dest["EventBridgeDestination"].(map[string]any)["EventBusArn"].(map[string]any)["Fn::Sub"].(string)
		if !strings.HasSuffix(bus, ":event-bus/default") {
			t.Errorf("%s: bus %q: SES publishes to the default bus only", id, bus)
		}
	}

	fns := functions(t)
	for id, fn := range fns {
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		sends := slices.Contains(policyActions(t, fn), "ses:SendEmail")
		if got, named := vars["SES_CONFIGURATION_SET"]; sends != named || named && !reflect.DeepEqual(got, set) {
			t.Errorf("%s: sends email %v, SES_CONFIGURATION_SET %v: want it MailConfigurationSet exactly when it sends", id, sends, got)
		}
		for _, p := range policies(fn) {
			for _, st := range p["Statement"].([]any) {
				st := st.(map[string]any)
				if st["Action"] != "ses:SendEmail" {
					continue
				}
				res, _ := json.Marshal(st["Resource"])
				if !strings.Contains(string(res), ":configuration-set/${MailConfigurationSet}") {
					t.Errorf("%s: %v may not send through the configuration set: %s", id, st["Sid"], res)
				}
			}
		}
	}

	evs := fns["MailEventsFunction"]["Events"].(map[string]any)
	if len(evs) != 1 {
		t.Fatalf("MailEventsFunction has %d events, want its one rule", len(evs))
	}
	for name, ev := range evs {
		ev := ev.(map[string]any)
		p := ev["Properties"].(map[string]any)
		if ev["Type"] != "EventBridgeRule" || p["EventBusName"] != nil {
			t.Fatalf("%s: want an EventBridgeRule on the default bus: %v", name, ev)
		}
		// The set's name in the pattern, as CloudFormation resolves the Ref.
		pattern, _ := json.Marshal(p["Pattern"])
		const name = "appointment-leads-MailConfigurationSet-1AB2C3D4E5F6"
		ref, _ := json.Marshal(set)
		if !strings.Contains(string(pattern), string(ref)) {
			t.Fatalf("the pattern does not name MailConfigurationSet: %s", pattern)
		}
		var resolved map[string]any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(string(pattern), string(ref), `"`+name+`"`)), &resolved); err != nil {
			t.Fatal(err)
		}
		for _, file := range []string{"ses-delivery.json", "ses-bounce.json", "ses-complaint.json"} {
			ours, other := sesSample(t, file, name), sesSample(t, file, "another-senders-set")
			if !matches(resolved, ours) {
				t.Errorf("%s through the stack's set does not match the rule's pattern %s", file, pattern)
			}
			if matches(resolved, other) {
				t.Errorf("%s through another set matches the rule's pattern %s", file, pattern)
			}
		}
	}
}

// sesSample is AWS's sample SES event file as EventBridge delivers it for
// an email sent through configuration set set.
func sesSample(t *testing.T, file, set string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Root(t), "infra", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	e["detail"].(map[string]any)["mail"].(map[string]any)["tags"].(map[string]any)["ses:configuration-set"] = []any{set}
	return e
}

// matches is EventBridge's matching of the patterns used here: each field
// of the pattern is in the event; a list of values matches a value equal
// to one of them, or a list of values holding one.
func matches(pattern, event map[string]any) bool {
	for k, want := range pattern {
		got, ok := event[k]
		if !ok {
			return false
		}
		switch want := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matches(want, sub) {
				return false
			}
		case []any:
			values, isList := got.([]any)
			if !isList {
				values = []any{got}
			}
			if !slices.ContainsFunc(values, func(v any) bool { return slices.Contains(want, v) }) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// TestMatches: the matcher above can refuse.
func TestMatches(t *testing.T) {
	p := map[string]any{"source": []any{"aws.ses"}, "detail": map[string]any{"tags": map[string]any{"s": []any{"a"}}}}
	for _, tt := range []struct {
		event string
		want  bool
	}{
		{`{"source":"aws.ses","detail":{"tags":{"s":["b","a"]}}}`, true},
		{`{"source":"aws.ses","detail":{"tags":{"s":["b"]}}}`, false},
		{`{"source":"aws.sns","detail":{"tags":{"s":["a"]}}}`, false},
		{`{"source":"aws.ses","detail":{}}`, false},
	} {
		var e map[string]any
		if err := json.Unmarshal([]byte(tt.event), &e); err != nil {
			t.Fatal(err)
		}
		if got := matches(p, e); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.event, got, tt.want)
		}
	}
}

// TestAsyncFunctionsKeepFailures: every function AWS invokes
// asynchronously (EventBridge's rules and schedules: MailEventsFunction,
// FollowUpFunction) sends what fails after Lambda's retries to a queue of
// the stack's, and an alarm watches that queue's depth: a bounce record
// is not lost after two retries.
func TestAsyncFunctionsKeepFailures(t *testing.T) {
	res := raw(t)["Resources"].(map[string]any)
	alarmed := map[string]bool{}
	for _, r := range res {
		r := r.(map[string]any)
		p, _ := r["Properties"].(map[string]any)
		if r["Type"] != "AWS::CloudWatch::Alarm" || p["Namespace"] != "AWS/SQS" || p["MetricName"] != "ApproximateNumberOfMessagesVisible" {
			continue
		}
		dims, _ := p["Dimensions"].([]any)
		if len(dims) == 1 && reflect.DeepEqual(p["AlarmActions"], []any{map[string]any{"Ref": "AlarmTopic"}}) && p["Threshold"] == float64(0) {
			if q, ok := dims[0].(map[string]any)["Value"].(map[string]any)["Fn::GetAtt"].(string); ok {
				alarmed[strings.TrimSuffix(q, ".QueueName")] = true
			}
		}
	}
	for id, fn := range functions(t) {
		async := false
		events, _ := fn["Events"].(map[string]any)
		for _, e := range events {
			switch e.(map[string]any)["Type"] {
			case "EventBridgeRule", "ScheduleV2", "Schedule":
				async = true
			}
		}
		if !async {
			continue
		}
		cfg, _ := fn["EventInvokeConfig"].(map[string]any)
		dest, _ := cfg["DestinationConfig"].(map[string]any)
		onFailure, _ := dest["OnFailure"].(map[string]any)
		q, _ := onFailure["Destination"].(map[string]any)["Fn::GetAtt"].(string)
		q = strings.TrimSuffix(q, ".Arn")
		queue, _ := res[q].(map[string]any)
		if onFailure["Type"] != "SQS" || queue["Type"] != "AWS::SQS::Queue" {
			t.Errorf("%s is invoked asynchronously with no on-failure queue: %v", id, cfg)
			continue
		}
		if !alarmed[q] {
			t.Errorf("%s's on-failure queue %s: no alarm on its depth", id, q)
		}
	}
	if len(alarmed) == 0 {
		t.Error("no queue alarm found: the check saw nothing")
	}
}
