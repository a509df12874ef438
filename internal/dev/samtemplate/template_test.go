package samtemplate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedulertypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/followup"
	"github.com/openclinic/leadhandler/internal/fn/mailevents"
	"github.com/openclinic/leadhandler/internal/fn/notify"
	"github.com/openclinic/leadhandler/internal/fn/staff"
	"github.com/openclinic/leadhandler/internal/fn/submit"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

func templatePath(t *testing.T) string { return filepath.Join(testenv.Root(t), "template.yaml") }

// raw is the template as written, intrinsic functions left as they are.
func raw(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(templatePath(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// functions are the template's functions, raw, by logical id.
func functions(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, r := range raw(t)["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == "AWS::Serverless::Function" {
			out[id] = r["Properties"].(map[string]any)
		}
	}
	if len(out) != 5 {
		t.Fatalf("%d functions in the template, want 5", len(out))
	}
	return out
}

// jsonFields are the property names a goformation type knows.
func jsonFields(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		if name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// eventProperties are the properties each event type takes: goformation's
// typed events, plus what goformation v7.14.9 does not know (it drops those
// silently, and has no ScheduleV2 at all).
var eventProperties = map[string][]string{
	"HttpApi":  jsonFields(serverless.Function_HttpApiEvent{}),
	"DynamoDB": append(jsonFields(serverless.Function_DynamoDBEvent{}), "FilterCriteria", "FunctionResponseTypes", "KmsKeyArn", "MetricsConfig", "TumblingWindowInSeconds"),
	"ScheduleV2": {"ScheduleExpression", "ScheduleExpressionTimezone", "Input", "RetryPolicy", "DeadLetterConfig", "Name",
		"Description", "FlexibleTimeWindow", "StartDate", "EndDate", "State", "GroupName", "KmsKeyArn", "PermissionsBoundary", "RoleArn", "OmitName"},
	"EventBridgeRule": {"Pattern", "EventBusName", "Input", "InputPath", "InputTransformer", "DeadLetterConfig", "RetryPolicy",
		"RuleName", "State", "Target"},
}

// TestEventPropertiesAreKnown: a misspelt event property would be dropped
// (by goformation) or refused only at deploy time; here it fails at once.
func TestEventPropertiesAreKnown(t *testing.T) {
	tpl, err := samtemplate.Load(templatePath(t))
	if err != nil {
		t.Fatal(err)
	}
	for id, fn := range functions(t) {
		parsed, err := tpl.GetServerlessFunctionWithName(id)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := fn["Events"].(map[string]any)
		for name, ev := range evs {
			ev := ev.(map[string]any)
			kind, _ := ev["Type"].(string)
			known, ok := eventProperties[kind]
			if !ok {
				t.Errorf("%s.%s: event type %q not checked here; add its properties", id, name, kind)
				continue
			}
			for prop := range ev["Properties"].(map[string]any) {
				if !slices.Contains(known, prop) {
					t.Errorf("%s.%s: %q is not a property of a %s event", id, name, prop, kind)
				}
			}
			if _, ok := parsed.Events[name]; !ok {
				t.Errorf("%s.%s: lost in parsing", id, name)
			}
		}
	}
}

// TestRefsNameSomething: every Ref, GetAtt, Sub variable and If condition
// names a parameter, resource, condition or pseudo parameter.
func TestRefsNameSomething(t *testing.T) {
	data, err := os.ReadFile(templatePath(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	r := raw(t)
	names := func(section string) map[string]bool {
		out := map[string]bool{}
		m, _ := r[section].(map[string]any)
		for k := range m {
			out[k] = true
		}
		return out
	}
	params, resources, conditions := names("Parameters"), names("Resources"), names("Conditions")
	// SAM's AutoPublishAlias makes each function's alias <id>Alias<name>.
	if alias, _ := r["Globals"].(map[string]any)["Function"].(map[string]any)["AutoPublishAlias"].(string); alias != "" {
		for id := range functions(t) {
			resources[id+"Alias"+alias] = true
		}
	}
	refable := func(n string) bool { return params[n] || resources[n] || strings.HasPrefix(n, "AWS::") }
	subVar := regexp.MustCompile(`\$\{([^}!]+)\}`)
	checked := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Tag {
		case "!Ref":
			checked++
			if !refable(n.Value) {
				t.Errorf("line %d: !Ref %s names nothing", n.Line, n.Value)
			}
		case "!GetAtt":
			checked++
			if target, _, _ := strings.Cut(n.Value, "."); !resources[target] {
				t.Errorf("line %d: !GetAtt %s names no resource", n.Line, n.Value)
			}
		case "!Sub":
			for _, m := range subVar.FindAllStringSubmatch(n.Value, -1) {
				checked++
				if target, _, _ := strings.Cut(m[1], "."); !refable(target) {
					t.Errorf("line %d: !Sub ${%s} names nothing", n.Line, m[1])
				}
			}
		case "!If":
			checked++
			if len(n.Content) == 0 || !conditions[n.Content[0].Value] {
				t.Errorf("line %d: !If names no condition", n.Line)
			}
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Value == "Condition" && n.Content[i+1].Kind == yaml.ScalarNode {
				if !conditions[n.Content[i+1].Value] {
					t.Errorf("line %d: Condition %s is not defined", c.Line, n.Content[i+1].Value)
				}
			}
			walk(c)
		}
	}
	walk(&doc)
	if checked < 40 {
		t.Errorf("only %d references checked: is the walk seeing the template?", checked)
	}
}

// fromEnv builds each function's handler as its cold start does.
var fromEnv = map[string]func(context.Context, func(string) string, aws.Config, *slog.Logger) (any, error){
	"SubmitFunction": func(c context.Context, g func(string) string, a aws.Config, l *slog.Logger) (any, error) {
		return submit.FromEnv(c, g, submit.ClientsFrom(a), l)
	},
	"NotifyFunction": func(c context.Context, g func(string) string, a aws.Config, l *slog.Logger) (any, error) {
		return notify.FromEnv(c, g, notify.ClientsFrom(a), l)
	},
	"FollowUpFunction": func(c context.Context, g func(string) string, a aws.Config, l *slog.Logger) (any, error) {
		return followup.FromEnv(c, g, followup.ClientsFrom(a), l)
	},
	"StaffFunction": func(c context.Context, g func(string) string, a aws.Config, l *slog.Logger) (any, error) {
		return staff.FromEnv(c, g, staff.ClientsFrom(a), l)
	},
	"MailEventsFunction": func(c context.Context, g func(string) string, a aws.Config, l *slog.Logger) (any, error) {
		return mailevents.FromEnv(c, g, mailevents.ClientsFrom(a), l)
	},
}

// sample gives each variable the template sets a value such as a deployed
// stack would have.
func sample(secretARN string) map[string]string {
	return map[string]string{
		"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": testenv.ClinicSite, "THANK_YOU_URL": "", "RATE_LIMIT": "5/1h",
		"RATE_LIMIT_SALT": "9b2f0c3e-stack-uuid", "RETENTION_DAYS": "365", "HELD_RETENTION_DAYS": "14", "PHONE_REGION": "US", "TURNSTILE_SECRET_ARN": "",
		// Two addresses, with a space as the parameter allows: the policies'
		// ses:Recipients must still name each.
		"CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": "FrontDesk@Example-Clinic.com, owner@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "CLINIC_PHONE": "", "TIME_ZONE": "America/New_York",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET_ARN": secretARN, "EMAIL_DETAIL": "full",
		"ACK_EMAIL": "true", "SES_MAX_SEND_RATE": "14", "FOLLOW_UP_AFTER": "24h", "FOLLOW_UP_HOUR": "8", "ESCALATE_AFTER": "72h", "ESCALATION_EMAIL": "director@example-clinic.com",
		"CALLBACK_CADENCE": "10m,1h,4h,1d,2d", "MAX_ATTEMPTS": "6",
		"RESPONSE_SLA": "15m", "OPENING_HOURS": "Mon-Fri 08:00-18:00", "REPORT_EMAIL": "Owner@Example-Clinic.com, manager@example-clinic.com",
		"NUDGE_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:followup", "NUDGE_ROLE_ARN": "arn:aws:iam::123456789012:role/nudge-scheduler",
		"NUDGE_GROUP":  "appointment-leads-nudges",
		"STAFF_EMAILS": "", "OWNER_EMAILS": "frontdesk@example-clinic.com", "STAFF_SIGNIN": "inbox", "STAFF_SESSION_TTL": "12h", "STAFF_SESSION_MAX": "168h", "AUDIT_RETENTION_DAYS": "2190",
		"METRIC_NAMESPACE":      "appointment-leads/submit",
		"LOG_LEVEL":             "INFO",
		"LEAD_EVENTS_BUS":       "appointment-leads-LeadEvents",
		"SES_CONFIGURATION_SET": "appointment-leads-MailConfigurationSet-1AB2C3D4E5F6",
		"STAFF_SMS":             "+12025550199, +12025550198",
		"STAFF_SMS_ORIGINATION": "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-1234567890abcdef",
		"PATIENT_SMS":           "on",
		"ALERT_LIMIT":           "100/1h",
		"PATIENT_MEMORY_DAYS":   "365",
		"BOOKING_URL":           "https://book.example-clinic.com/new",
		"EDGE_ORIGIN_SECRET":    "",
	}
}

// envOf is a function's environment in the template, with sample values: it
// fails for a variable the sample does not know, so new ones are checked too.
func envOf(t *testing.T, fn map[string]any, secretARN string) func(string) string {
	t.Helper()
	vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	values := sample(secretARN)
	env := map[string]string{}
	for k, tv := range vars {
		v, ok := values[k]
		if !ok {
			t.Fatalf("no sample value for %s: add one to sample()", k)
		}
		// Each function's namespace is its own: the template's
		// !Sub ${AWS::StackName}/<function>, for the stack appointment-leads.
		m, _ := tv.(map[string]any)
		if sub, ok := m["Fn::Sub"].(string); ok && k == "METRIC_NAMESPACE" {
			v = strings.ReplaceAll(sub, "${AWS::StackName}", "appointment-leads")
		}
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// TestFunctionsAgainstTheirTemplate: each function's environment in the
// template is enough for its cold start, and its IAM actions are exactly
// the calls its code makes (recorded from its real flows against moto and
// the SES emulator).
func TestFunctionsAgainstTheirTemplate(t *testing.T) {
	moto, ses := testenv.Moto(t), testenv.SESLocal(t)
	texts := testenv.SMSServer(t)
	t.Setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", texts.URL)
	base := testenv.AWSConfig(t, moto)
	db := dynamodb.NewFromConfig(base)
	testenv.CreateTable(t, db, "leads")
	ctx := context.Background()
	secret, err := secretsmanager.NewFromConfig(base).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("link"), SecretString: aws.String(strings.Repeat("k", 64)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventbridge.NewFromConfig(base).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("appointment-leads-LeadEvents")}); err != nil {
		t.Fatal(err)
	}
	// A clinic's integration: every lead event, through a rule to a queue.
	leadEvents := testenv.BusQueue(t, moto, "appointment-leads-LeadEvents", "lead-events", `{"source":["leadhandler"]}`)
	quiet := slog.New(slog.DiscardHandler)
	store := ddb.New(db, "leads") // not recorded: it only sets the scene
	// The functions FromEnv builds take no clock: they run on the real one,
	// so the scene is set, and read back, by it (the leads' TTLs run from it).
	now := time.Now() // wall clock: the functions under test run on it
	schedules := scheduler.NewFromConfig(base)
	// The stack's schedule group (NudgeScheduleGroup), and a lead's
	// schedule in it, named with the link secret's key.
	group := sample("")["NUDGE_GROUP"]
	if _, err := schedules.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	scheduleOf := func(id string) *scheduler.GetScheduleInput {
		signer, err := link.NewSigner([]byte(strings.Repeat("k", 64)))
		if err != nil {
			t.Fatal(err)
		}
		return &scheduler.GetScheduleInput{Name: aws.String(nudges.Name(signer.Key(nudges.KeyPurpose), id)), GroupName: aws.String(group)}
	}
	waiting := lead.New("5d5d5d5d-1111-4111-8111-111111111111", lead.Request{
		Name: "Pat Smith", Email: "pat@example.com", PreferredContact: lead.ByEmail, PreferredTime: lead.AnyTime, ConsentVersion: "1",
	}, now.Add(-30*time.Hour), 30*24*time.Hour)
	if err := store.Save(ctx, waiting, nil); err != nil {
		t.Fatal(err)
	}

	// recorders are each function's (each subtest's) call recorders.
	recorders := map[string][]*testenv.CallRecorder{}
	// load is one cold start's AWS configuration, with SES at sesURL, and
	// the recorder of every call its clients make.
	load := func(t *testing.T, sesURL string) (aws.Config, *testenv.CallRecorder) {
		t.Setenv("AWS_ENDPOINT_URL_SESV2", sesURL)
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RetryMaxAttempts = 1
		rec := testenv.RecordCalls(&cfg)
		recorders[t.Name()] = append(recorders[t.Name()], rec)
		return cfg, rec
	}

	// notifyEnv is notify's environment as the template gives it (set
	// below, before the flows run): the staff flow's codes go out from a
	// notify of its own, whose calls are not staff's.
	var notifyEnv func(string) string
	flows := map[string]func(t *testing.T, env func(string) string) []string{
		"SubmitFunction": func(t *testing.T, env func(string) string) []string {
			cfg, rec := load(t, ses)
			h, err := submit.FromEnv(ctx, env, submit.ClientsFrom(cfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			for _, body := range []string{
				`{"name":"Ada Lovelace","phone":"(202) 555-0143","consent":true}`,
				`{"name":"Bot","phone":"(202) 555-0143","consent":true,"website":"http://spam.example"}`,
			} {
				if res, _ := h.Handle(ctx, testenv.HTTPEvent(t, "application/json", body)); res.StatusCode != 201 {
					t.Fatalf("submit: %d %s", res.StatusCode, res.Body)
				}
			}
			return rec.Actions()
		},
		"NotifyFunction": func(t *testing.T, env func(string) string) []string {
			cfg, rec := load(t, ses)
			h, err := notify.FromEnv(ctx, env, notify.ClientsFrom(cfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			// A sign-in code owed to a staff address (the sign-in page's
			// item) rides the stream with the leads: its code is made,
			// stored as a digest on the item, and emailed, once.
			owed := access.Code{Email: "frontdesk@example-clinic.com", Browser: access.IDHash("notify's flow"), Send: true,
				Expires: time.Now().Add(access.CodeTTL)} // wall clock: notify skips a code asked for CodeTTL ago by it
			if err := store.PutCode(ctx, owed); err != nil {
				t.Fatal(err)
			}
			// The batch, then the same again (a redelivery): its schedules
			// exist, and are read to tell them from a clash.
			batch := testenv.StreamEvent(t, moto, db, "leads")
			for range 2 {
				res, err := h.Handle(ctx, batch)
				if err != nil || len(res.BatchItemFailures) != 0 {
					t.Fatalf("notify: %v %v", err, res.BatchItemFailures)
				}
			}
			if len(texts.Texts()) == 0 {
				t.Fatal("no alert texted to StaffSms")
			}
			codes := 0
			for _, m := range testenv.SentEmails(t, ses) {
				if strings.HasPrefix(m.Subject, "Your sign-in code: ") && slices.Equal(m.Destination.To, []string{"FrontDesk@Example-Clinic.com"}) {
					codes++
				}
			}
			if codes != 1 {
				t.Fatalf("%d sign-in codes sent for the owed item, want 1 (to the address as configured)", codes)
			}
			if _, err := schedules.GetSchedule(ctx, scheduleOf(waiting.ID)); err != nil {
				t.Fatalf("the waiting lead's response guard: %v", err)
			}
			// Past AlertLimit (its counter filled here): a new lead is held
			// back, and its one summary email, refused by SES at first (a
			// cold start with SES down), is released and sent by the retry.
			budget := ratelimit.Limit{Count: 100, Window: time.Hour}.Shared("alerts", time.Now()) // wall clock: notify charges by it
			for store.Charge(ctx, budget) == nil {
			}
			over := lead.New("0e0e0e0e-4444-4444-8444-444444444444", lead.Request{
				Name: "Rin Over", Phone: "+12025550100", PreferredContact: lead.ByPhone, PreferredTime: lead.AnyTime, ConsentVersion: "1",
			}, now, 30*24*time.Hour)
			if err := store.Save(ctx, over, nil); err != nil {
				t.Fatal(err)
			}
			sesDown := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, `{"message":"unavailable"}`, http.StatusServiceUnavailable)
			}))
			defer sesDown.Close()
			downCfg, downRec := load(t, sesDown.URL)
			down, err := notify.FromEnv(ctx, env, notify.ClientsFrom(downCfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := down.Handle(ctx, testenv.StreamEvent(t, moto, db, "leads")); err != nil || len(res.BatchItemFailures) != 1 {
				t.Fatalf("the summary with SES down: %v, failures %v; want the held-back lead's record", err, res.BatchItemFailures)
			}
			if res, err := h.Handle(ctx, testenv.StreamEvent(t, moto, db, "leads")); err != nil || len(res.BatchItemFailures) != 0 {
				t.Fatalf("the retry: %v %v", err, res.BatchItemFailures)
			}
			if !slices.ContainsFunc(testenv.SentEmails(t, ses), func(m testenv.Email) bool { return strings.HasPrefix(m.Subject, "Alerts paused: ") }) {
				t.Fatal("no summary email once AlertLimit was used up")
			}
			// A schedule made with a role passes it: IAM checks iam:PassRole
			// on the role, a permission of no SDK call of its own.
			actions := append(rec.Actions(), downRec.Actions()...)
			if slices.Contains(actions, "scheduler:CreateSchedule") {
				actions = append(actions, "iam:PassRole")
			}
			return actions
		},
		"FollowUpFunction": func(t *testing.T, env func(string) string) []string {
			// Beside waiting (not tried yet): a lead with a call-back due, and
			// one closed as unreachable that the digest reports, then clears.
			tried := now.Add(-2 * time.Hour)
			policy := lead.Policy{MaxAttempts: 2}
			var unreachable lead.Lead
			for i, tries := range []int{1, 2} {
				l := lead.New(strconv.Itoa(6+i)+"e6e6e6e-2222-4222-8222-222222222222", lead.Request{
					Name: "Sam Lee", Phone: "+12025550143", PhoneDisplay: "(202) 555-0143", PreferredContact: lead.ByText,
					PreferredTime: lead.AnyTime, ConsentVersion: "1",
				}, now.Add(-30*time.Hour), 30*24*time.Hour)
				for range tries {
					if err := l.Record(lead.Event{At: tried, Outcome: lead.NoAnswer, Channel: lead.ChannelText, By: lead.ByLink, Callback: tried}, policy); err != nil {
						t.Fatal(err)
					}
				}
				if err := store.Save(ctx, l, nil); err != nil {
					t.Fatal(err)
				}
				unreachable = l
			}
			if !unreachable.Unreported {
				t.Fatal("test premise: the second lead is not closed as unreachable")
			}
			// The hourly schedule's run that sends the digest: tomorrow's (or
			// the next opening day's), at its digest time.
			digestRun := func(h *followup.Handler) followup.Event {
				for i := 1; i <= 7; i++ {
					if at, open := h.DigestAt(now.AddDate(0, 0, i)); open {
						return followup.Event{Source: "aws.scheduler", DetailType: "Scheduled Event", Time: at.UTC().Format(time.RFC3339)}
					}
				}
				t.Fatal("the template's clinic opens on none of the next 7 days")
				return followup.Event{}
			}
			// A run whose send fails (it releases its claim), then one that works.
			downCfg, downRec := load(t, "http://127.0.0.1:"+strconv.Itoa(testenv.FreePort(t)))
			down, err := followup.FromEnv(ctx, env, followup.ClientsFrom(downCfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := down.Handle(ctx, digestRun(down)); err == nil {
				t.Fatal("a run with SES down succeeded")
			}
			cfg, rec := load(t, ses)
			h, err := followup.FromEnv(ctx, env, followup.ClientsFrom(cfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Handle(ctx, digestRun(h)); err != nil {
				t.Fatal(err)
			}
			// The owner's weekly report, to REPORT_EMAIL.
			if err := h.Handle(ctx, followup.Event{Report: followup.WeeklyReport}); err != nil {
				t.Fatal(err)
			}
			// The waiting lead's response guard fires: still new, nudged.
			if err := h.Handle(ctx, followup.Event{Nudge: &nudges.Nudge{LeadID: waiting.ID, Due: now}}); err != nil {
				t.Fatal(err)
			}
			if l, err := store.Get(ctx, waiting.ID, now); err != nil || l.Nudge == nil {
				t.Fatalf("the waiting lead's nudge was not recorded: %v", err)
			}
			if l, err := store.Get(ctx, unreachable.ID, now); err != nil || l.Unreported {
				t.Fatalf("the reported lead was not cleared: %v", err)
			}
			return slices.Compact(slices.Sorted(slices.Values(append(downRec.Actions(), rec.Actions()...))))
		},
		"StaffFunction": func(t *testing.T, env func(string) string) []string {
			cfg, rec := load(t, ses)
			h, err := staff.FromEnv(ctx, env, staff.ClientsFrom(cfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			// A browser: the session cookie goes back with every request.
			var cookies []string
			call := func(method, route, path string, form url.Values) events.APIGatewayV2HTTPResponse {
				t.Helper()
				req := testenv.HTTPRequest(t, method, route, path, form.Encode())
				req.Cookies = cookies
				res, err := h.Handle(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Cookies) > 0 {
					cookies = []string{strings.SplitN(res.Cookies[0], ";", 2)[0]}
				}
				return res
			}
			formOf := func(page string) url.Values {
				m := regexp.MustCompile(`name="t" value="([^"]+)">\s*<input type="hidden" name="v" value="([0-9]+)"`).FindStringSubmatch(page)
				if m == nil {
					t.Fatalf("no form on the page: %s", page)
				}
				return url.Values{"t": {m[1]}, "v": {m[2]}}
			}
			// The emailed link: exchanged for a session, then the page.
			leadPath := "/leads/" + waiting.ID
			if res := call(http.MethodGet, "GET /leads/{id}", leadPath+"?t="+signedToken(t, waiting.ID), nil); res.StatusCode != 303 {
				t.Fatalf("the link: %d %s", res.StatusCode, res.Body)
			}
			page := call(http.MethodGet, "GET /leads/{id}", leadPath, nil)
			if page.StatusCode != 200 {
				t.Fatalf("staff page: %d %s", page.StatusCode, page.Body)
			}
			form := formOf(page.Body)
			form.Set("outcome", "no-answer")
			for _, want := range []int{303, 409} { // recorded, then the same form again
				if res := call(http.MethodPost, "POST /leads/{id}/contacted", leadPath+"/contacted", form); res.StatusCode != want {
					t.Fatalf("staff: %d, want %d: %s", res.StatusCode, want, res.Body)
				}
			}
			// The first attempt deleted the response guard notify made.
			var gone *schedulertypes.ResourceNotFoundException
			if _, err := schedules.GetSchedule(ctx, scheduleOf(waiting.ID)); !errors.As(err, &gone) {
				t.Fatalf("the waiting lead's response guard after its first attempt: %v", err)
			}
			// Sign in by code (notify sends it, through SES), the inbox, the lead's
			// page with its access history, then sign out.
			staffEmail := strings.Split(env("STAFF_EMAILS")+","+env("CLINIC_EMAIL"), ",")
			email := staffEmail[0]
			if email == "" {
				email = staffEmail[1]
			}
			// Typed in another case than configured: the code still goes to the
			// address as configured, the one ses:Recipients names.
			if res := call(http.MethodPost, "POST /staff/signin", "/staff/signin", url.Values{"email": {strings.ToLower(email)}}); res.StatusCode != 200 {
				t.Fatalf("ask for a code: %d %s", res.StatusCode, res.Body)
			}
			// The stream hands the code item to notify, which sends the code.
			ncfg, err := awsconfig.LoadDefaultConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n, err := notify.FromEnv(ctx, notifyEnv, notify.ClientsFrom(ncfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := n.Handle(ctx, testenv.StreamEvent(t, moto, db, "leads")); err != nil || len(res.BatchItemFailures) != 0 {
				t.Fatalf("notify on the code item: %v %v", err, res.BatchItemFailures)
			}
			var code string
			for _, m := range testenv.SentEmails(t, ses) {
				if slices.Contains(m.Destination.To, email) {
					code = regexp.MustCompile(`\b[0-9]{6}\b`).FindString(m.Subject)
				}
			}
			if res := call(http.MethodPost, "POST /staff/signin", "/staff/signin", url.Values{"email": {email}, "code": {code}}); res.StatusCode != 303 {
				t.Fatalf("sign in: %d %s", res.StatusCode, res.Body)
			}
			if res := call(http.MethodGet, "GET /staff", "/staff", nil); res.StatusCode != 200 || !strings.Contains(res.Body, waiting.ID) {
				t.Fatalf("inbox: %d %s", res.StatusCode, res.Body)
			}
			// A held request (this one, or the bot's submit held) reviewed and
			// released: it becomes a lead.
			held := storetest.Held(now.Add(-time.Hour))
			if err := store.Hold(ctx, held, held.CreatedAt.Format(time.DateOnly), nil); err != nil { // counted on the day it was held
				t.Fatal(err)
			}
			review := call(http.MethodGet, "GET /staff/held", "/staff/held", nil)
			release := regexp.MustCompile(`action="held/([^"]+)"><input type="hidden" name="t" value="([^"]+)"><input type="hidden" name="action" value="release">`).FindStringSubmatch(review.Body)
			if release == nil {
				t.Fatalf("review page: %d %s", review.StatusCode, review.Body)
			}
			if res := call(http.MethodPost, "POST /staff/held/{id}", "/staff/held/"+release[1], url.Values{"t": {release[2]}, "action": {"release"}}); res.StatusCode != 303 || res.Headers["Location"] != "../held?done=released" {
				t.Fatalf("release: %d %s", res.StatusCode, res.Body)
			}
			if _, err := store.Get(ctx, release[1], now); err != nil {
				t.Fatalf("released request: %v (%s)", err, review.Body)
			}
			// The owner's figures and export: the requests of the span, from
			// the lists the inbox reads (OWNER_EMAILS names this address).
			if res := call(http.MethodGet, "GET /staff/figures", "/staff/figures", nil); res.StatusCode != 200 || !strings.Contains(res.Body, "<svg") {
				t.Fatalf("figures: %d %s", res.StatusCode, res.Body)
			}
			if res := call(http.MethodGet, "GET /staff/export", "/staff/export", nil); res.StatusCode != 200 || !strings.Contains(res.Body, waiting.Number()) {
				t.Fatalf("export: %d %s", res.StatusCode, res.Body)
			}
			page = call(http.MethodGet, "GET /leads/{id}", leadPath, nil)
			if !strings.Contains(page.Body, "Access history") {
				t.Fatalf("lead page when signed in: %d %s", page.StatusCode, page.Body)
			}
			signOut := regexp.MustCompile(`action="../staff/signout"><input type="hidden" name="t" value="([^"]+)">`).FindStringSubmatch(page.Body)
			if res := call(http.MethodPost, "POST /staff/signout", "/staff/signout", url.Values{"t": {signOut[1]}}); res.StatusCode != 303 {
				t.Fatalf("sign out: %d %s", res.StatusCode, res.Body)
			}
			return rec.Actions()
		},
		"MailEventsFunction": func(t *testing.T, env func(string) string) []string {
			// A lead whose alert went out as AWS's sample message: delivered,
			// then the same event again (a redelivery), then bounced.
			alerted := lead.New("8a8a8a8a-3333-4333-8333-333333333333", lead.Request{
				Name: "Kim Ode", Phone: "+12025550143", PhoneDisplay: "(202) 555-0143", PreferredContact: lead.ByPhone,
				PreferredTime: lead.AnyTime, ConsentVersion: "1",
			}, now.Add(-time.Hour), 30*24*time.Hour)
			if err := store.Save(ctx, alerted, nil); err != nil {
				t.Fatal(err)
			}
			if err := store.MarkAlerted(ctx, alerted.ID, lead.Delivery{At: alerted.CreatedAt, MessageID: testenv.SESSampleMessageID}); err != nil {
				t.Fatal(err)
			}
			cfg, rec := load(t, ses)
			h, err := mailevents.FromEnv(ctx, env, mailevents.ClientsFrom(cfg), quiet)
			if err != nil {
				t.Fatal(err)
			}
			for _, file := range []string{"ses-delivery.json", "ses-delivery.json", "ses-bounce.json"} {
				if err := h.Handle(ctx, testenv.SESEvent(t, file, alerted.ID, "alert")); err != nil {
					t.Fatalf("%s: %v", file, err)
				}
			}
			got, err := store.Get(ctx, alerted.ID, now)
			if err != nil || got.Alert == nil || got.Alert.DeliveredAt.IsZero() || got.Alert.Problem != lead.MailBounced {
				t.Fatalf("alert recorded as %+v (%v)", got.Alert, err)
			}
			if x := texts.Texts(); len(x) == 0 || !strings.Contains(x[len(x)-1].Body, "did not arrive") {
				t.Fatal("the bounced alert was not texted to StaffSms")
			}
			return rec.Actions()
		},
	}
	fns := functions(t)
	eval := evaluator(t, sample(aws.ToString(secret.ARN)))
	// The conditions as the sample deploys: StaffSms set (its texts go
	// out: TestStaffSmsIsConditional checks they are allowed only then),
	// AckEmail on.
	holds := holding(t, eval)
	for _, want := range []string{"HasStaffSms", "AcksVisitors"} {
		if !slices.Contains(holds, want) {
			t.Fatalf("the sample does not deploy with %s: its flows would not check it", want)
		}
	}
	notifyEnv = envOf(t, fns["NotifyFunction"], aws.ToString(secret.ARN))
	for _, id := range []string{"SubmitFunction", "NotifyFunction", "FollowUpFunction", "StaffFunction", "MailEventsFunction"} {
		t.Run(id, func(t *testing.T) {
			env := envOf(t, fns[id], aws.ToString(secret.ARN))
			if _, err := fromEnv[id](ctx, env, base, quiet); err != nil {
				t.Fatalf("the template's environment does not start it: %v", err)
			}
			called := append(flows[id](t, env), serviceActions(t, id)...)
			slices.Sort(called)
			if diff := cmp.Diff(slices.Compact(called), policyActions(t, fns[id], holds...)); diff != "" {
				t.Errorf("IAM actions (-called by the code or its event source +allowed by the template):\n%s", diff)
			}
			// Statements limited to some items (dynamodb:LeadingKeys) or
			// some recipients (ses:Recipients) allow every item and address
			// the code touched.
			var got touched
			got.keys = map[string][]string{}
			for _, rec := range recorders[t.Name()] {
				for _, action := range rec.Actions() {
					got.keys[action] = append(got.keys[action], rec.Keys(action)...)
				}
				got.recipients = append(got.recipients, rec.Recipients()...)
			}
			sts := statements(t, fns[id], eval, holds...)
			if slices.ContainsFunc(sts, func(s statement) bool { return s.recipients != nil }) && len(got.recipients) == 0 {
				t.Error("no email recorded: the recipients check saw nothing")
			}
			for _, e := range refused(sts, got) {
				t.Error(e)
			}
		})
	}

	// What the flows put on the bus reached the rule: each function's
	// events once (the repeated staff form and the redelivered SES event
	// put none again), and nothing personal.
	count := map[string]int{}
	for _, e := range leadEvents() {
		id, _ := e.Detail["leadId"].(string)
		count[e.DetailType+" "+id]++
		for _, p := range []string{"Pat", "Smith", "pat@example.com", "Kim", "Ode", "Ada", "Lovelace", "Sam Lee", "2025550143", "555-0143"} {
			if strings.Contains(e.Body, p) {
				t.Errorf("%q in a lead event: %s", p, e.Body)
			}
		}
	}
	const alerted = "8a8a8a8a-3333-4333-8333-333333333333"
	for _, want := range []string{bus.Received + " " + waiting.ID, bus.AttemptRecorded + " " + waiting.ID, bus.AlertDelivered + " " + alerted, bus.AlertBounced + " " + alerted} {
		if count[want] != 1 {
			t.Errorf("%d events %q on the bus, want 1 (all: %v)", count[want], want, count)
		}
	}
}

// TestTurnstileSecretAgainstTheTemplate: with a TurnstileSecret the stack
// makes its secret and passes its ARN (HasTurnstile); the submit function
// reads it at cold start, and the statement the condition adds allows
// exactly the calls that turning Turnstile on adds. Without one, the
// function's calls match its policy without that statement
// (TestFunctionsAgainstTheirTemplate).
func TestTurnstileSecretAgainstTheTemplate(t *testing.T) {
	moto := testenv.Moto(t)
	base := testenv.AWSConfig(t, moto)
	db := dynamodb.NewFromConfig(base)
	testenv.CreateTable(t, db, "leads")
	ctx := context.Background()
	secret, err := secretsmanager.NewFromConfig(base).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("turnstile"), SecretString: aws.String("0x4AAAAAAA-turnstile-secret"),
	})
	if err != nil {
		t.Fatal(err)
	}
	fn := functions(t)["SubmitFunction"]
	if v := fn["Environment"].(map[string]any)["Variables"].(map[string]any)["TURNSTILE_SECRET_ARN"]; !reflect.DeepEqual(v,
		map[string]any{"Fn::If": []any{"HasTurnstile", map[string]any{"Ref": "TurnstileSecretStore"}, ""}}) {
		t.Errorf("TURNSTILE_SECRET_ARN is %v, want the secret's ARN only when there is one", v)
	}
	store := raw(t)["Resources"].(map[string]any)["TurnstileSecretStore"].(map[string]any)
	if store["Condition"] != "HasTurnstile" || !reflect.DeepEqual(store["Properties"].(map[string]any)["SecretString"], map[string]any{"Ref": "TurnstileSecret"}) {
		t.Errorf("TurnstileSecretStore %v: want it made from TurnstileSecret, only when set", store)
	}
	if p := raw(t)["Parameters"].(map[string]any)["TurnstileSecret"].(map[string]any); p["NoEcho"] != true {
		t.Error("the TurnstileSecret parameter is not NoEcho")
	}

	run := func(arn string) []string {
		t.Helper()
		env := envOf(t, fn, "")
		getenv := func(k string) string {
			if k == "TURNSTILE_SECRET_ARN" {
				return arn
			}
			return env(k)
		}
		cfg := base.Copy()
		rec := testenv.RecordCalls(&cfg)
		h, err := submit.FromEnv(ctx, getenv, submit.ClientsFrom(cfg), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		// Without a token: refused (and counted) with Turnstile on, stored without.
		want := map[bool]int{true: 400, false: 201}[arn != ""]
		if res, _ := h.Handle(ctx, testenv.HTTPEvent(t, "application/json", `{"name":"Ada Lovelace","phone":"(202) 555-0143","consent":true}`)); res.StatusCode != want {
			t.Fatalf("submit: %d %s, want %d", res.StatusCode, res.Body, want)
		}
		return rec.Actions()
	}
	off, on := run(""), run(aws.ToString(secret.ARN))
	added := slices.DeleteFunc(slices.Clone(on), func(a string) bool { return slices.Contains(off, a) })
	allowedOff, allowedOn := policyActions(t, fn), policyActions(t, fn, "HasTurnstile")
	allowedAdded := slices.DeleteFunc(slices.Clone(allowedOn), func(a string) bool { return slices.Contains(allowedOff, a) })
	if diff := cmp.Diff(added, allowedAdded); diff != "" {
		t.Errorf("IAM actions Turnstile adds (-called by the code +allowed by HasTurnstile's statement):\n%s", diff)
	}
	if want := []string{"secretsmanager:GetSecretValue"}; !slices.Equal(added, want) {
		t.Errorf("Turnstile adds the calls %v, want %v", added, want)
	}
	for _, a := range on {
		if !slices.Contains(allowedOn, a) {
			t.Errorf("with Turnstile the code calls %s, which the template does not allow", a)
		}
	}
}

// holding are the template's conditions that hold under eval's values.
func holding(t *testing.T, eval func(any) any) []string {
	t.Helper()
	var out []string
	for name := range raw(t)["Conditions"].(map[string]any) {
		if eval(map[string]any{"Condition": name}).(bool) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestNotifyRecipients: with AckEmail off the alert function may email
// ClinicEmail's addresses (alerts) and StaffEmails' (sign-in codes; with
// none, ClinicEmail's sign in) and no one else; with it on, visitors too
// (their acknowledgement), so then its sends are not limited.
func TestNotifyRecipients(t *testing.T) {
	fn := functions(t)["NotifyFunction"]
	clinic := []string{"FrontDesk@Example-Clinic.com", "owner@example-clinic.com"} // the sample's CLINIC_EMAIL, without its space
	for _, tc := range []struct{ ack, staff string }{{"false", ""}, {"false", "Desk2@Example-Clinic.com, dr.lee@example-clinic.com"}, {"true", ""}, {"true", "desk2@example-clinic.com"}} {
		values := sample("")
		values["ACK_EMAIL"], values["STAFF_EMAILS"] = tc.ack, tc.staff
		eval := evaluator(t, values)
		var sends []statement
		for _, st := range statements(t, fn, eval, holding(t, eval)...) {
			if slices.Contains(st.actions, "ses:SendEmail") {
				sends = append(sends, st)
			}
		}
		var want []string // AckEmail on: anyone
		if tc.ack == "false" {
			want = clinic
			if tc.staff != "" {
				want = append(slices.Clone(clinic), "Desk2@Example-Clinic.com", "dr.lee@example-clinic.com")
			}
		}
		if len(sends) != 1 || !slices.Equal(sends[0].recipients, want) {
			t.Errorf("AckEmail %s, StaffEmails %q: notify's ses:SendEmail statements %+v, want one with recipients %q", tc.ack, tc.staff, sends, want)
		}
	}
}

// TestStaffSmsIsConditional: texting is allowed only to the functions that
// text, and only when StaffSms names numbers (the code sends nothing
// without them: sms.New).
func TestStaffSmsIsConditional(t *testing.T) {
	fns := functions(t)
	for id, fn := range fns {
		off, on := policyActions(t, fn), policyActions(t, fn, "HasStaffSms", "NotifyTexts") // NotifyTexts: HasStaffSms or TextsPatients
		added := slices.DeleteFunc(slices.Clone(on), func(a string) bool { return slices.Contains(off, a) })
		var want []string
		if _, ok := fn["Environment"].(map[string]any)["Variables"].(map[string]any)["STAFF_SMS"]; ok {
			want = []string{"sms-voice:SendTextMessage"}
		}
		if id == "MailEventsFunction" { // it reads the lead and signs a link only to text
			want = []string{"dynamodb:GetItem", "secretsmanager:GetSecretValue", "sms-voice:SendTextMessage"}
		}
		if !slices.Equal(added, want) || slices.Contains(off, "sms-voice:SendTextMessage") {
			t.Errorf("%s: HasStaffSms adds %v (without it: %v), want %v", id, added, off, want)
		}
	}
}

// TestSmsScopedToOrigin: no function may text from any identity but
// StaffSmsOriginationArn, which each texting function is given
// (STAFF_SMS_ORIGINATION) and which the template requires with StaffSms:
// no sms-voice permission on "*" or on every resource of the service.
func TestSmsScopedToOrigin(t *testing.T) {
	want := []any{
		map[string]any{"Ref": "StaffSmsOriginationArn"},
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:opt-out-list/*"},
	}
	texting := 0
	for id, fn := range functions(t) {
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		for _, p := range policies(fn, "HasStaffSms", "NotifyTexts") {
			for _, st := range p["Statement"].([]any) {
				st := st.(map[string]any)
				if a, _ := st["Action"].(string); !strings.HasPrefix(a, "sms-voice:") && !strings.Contains(fmt.Sprint(st["Action"]), "sms-voice:") {
					continue
				}
				texting++
				if !reflect.DeepEqual(st["Resource"], want) {
					t.Errorf("%s: %v on %v, want only %v", id, st["Action"], st["Resource"], want)
				}
				if !reflect.DeepEqual(vars["STAFF_SMS_ORIGINATION"], map[string]any{"Ref": "StaffSmsOriginationArn"}) {
					t.Errorf("%s texts, but is not given STAFF_SMS_ORIGINATION: %v", id, vars["STAFF_SMS_ORIGINATION"])
				}
			}
		}
	}
	if texting != 3 {
		t.Errorf("%d sms-voice statements, want notify's, followup's and mailevents'", texting)
	}
	rule, _ := raw(t)["Rules"].(map[string]any)["StaffSmsNeedsItsOrigin"].(map[string]any)
	if !reflect.DeepEqual(rule["RuleCondition"], map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "StaffSms"}, ""}}}}) ||
		!reflect.DeepEqual(rule["Assertions"].([]any)[0].(map[string]any)["Assert"], map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "StaffSmsOriginationArn"}, ""}}}}) {
		t.Errorf("StaffSmsNeedsItsOrigin: %v, want StaffSms to require StaffSmsOriginationArn", rule)
	}
}

// touched is what a function's calls touched: the partition keys of the
// items of each DynamoDB action, and the recipients of its emails.
type touched struct {
	keys       map[string][]string
	recipients []string
}

// statement is an Allow statement of a function's policies, with the limits
// this test checks.
type statement struct {
	actions []string
	// leadingKeys are the dynamodb:LeadingKeys patterns
	// (ForAllValues:StringLike); nil: any item.
	leadingKeys []string
	// recipients are the ses:Recipients addresses
	// (ForAllValues:StringEquals); nil: anyone.
	recipients []string
}

// statements are the statements of a function's policies, their conditions
// resolved by eval.
func statements(t *testing.T, fn map[string]any, eval func(any) any, holds ...string) []statement {
	t.Helper()
	strs := func(v any) []string {
		if v == nil {
			return nil
		}
		var out []string
		switch v := eval(v).(type) {
		case string:
			out = []string{v}
		case []any:
			for _, x := range v {
				out = append(out, x.(string))
			}
		}
		return out
	}
	var out []statement
	for _, p := range policies(fn, holds...) {
		for _, st := range p["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Effect"] != "Allow" {
				t.Fatalf("statement %v: only Allow statements are checked here", st["Sid"])
			}
			cond, _ := st["Condition"].(map[string]any)
			like, _ := cond["ForAllValues:StringLike"].(map[string]any)
			equals, _ := cond["ForAllValues:StringEquals"].(map[string]any)
			out = append(out, statement{
				actions:     strs(st["Action"]),
				leadingKeys: strs(like["dynamodb:LeadingKeys"]),
				recipients:  strs(equals["ses:Recipients"]),
			})
		}
	}
	return out
}

// refused says what got touched that no statement allows: an item outside
// every LeadingKeys pattern of the statements with its action, or an
// address outside every ses:Recipients list.
func refused(sts []statement, got touched) []string {
	var out []string
	allows := func(action string, ok func(statement) bool) bool {
		return slices.ContainsFunc(sts, func(s statement) bool { return slices.Contains(s.actions, action) && ok(s) })
	}
	for _, action := range slices.Sorted(maps.Keys(got.keys)) {
		for _, key := range got.keys[action] {
			if !allows(action, func(s statement) bool {
				return s.leadingKeys == nil || slices.ContainsFunc(s.leadingKeys, func(p string) bool { ok, _ := path.Match(p, key); return ok })
			}) {
				out = append(out, fmt.Sprintf("%s on %q, which the template's dynamodb:LeadingKeys refuse", action, key))
			}
		}
	}
	for _, to := range got.recipients {
		if !allows("ses:SendEmail", func(s statement) bool { return s.recipients == nil || slices.Contains(s.recipients, to) }) {
			out = append(out, fmt.Sprintf("an email to %q, which the template's ses:Recipients refuse", to))
		}
	}
	return out
}

// TestRefused: the limits check above can fail.
func TestRefused(t *testing.T) {
	sts := []statement{
		{actions: []string{"dynamodb:GetItem", "dynamodb:PutItem"}, leadingKeys: []string{"lead#*"}},
		{actions: []string{"dynamodb:PutItem"}, leadingKeys: []string{"run#*"}},
		{actions: []string{"dynamodb:Query"}},
		{actions: []string{"ses:SendEmail"}, recipients: []string{"a@example.com", "b@example.com"}},
	}
	ok := touched{
		keys:       map[string][]string{"dynamodb:PutItem": {"lead#1", "run#2026-11-30"}, "dynamodb:Query": {"x"}},
		recipients: []string{"b@example.com"},
	}
	if got := refused(sts, ok); got != nil {
		t.Errorf("allowed calls refused: %q", got)
	}
	bad := touched{
		keys:       map[string][]string{"dynamodb:GetItem": {"run#1"}, "dynamodb:DeleteItem": {"lead#1"}},
		recipients: []string{"attacker@evil.example"},
	}
	if got := refused(sts, bad); len(got) != 3 {
		t.Errorf("refused %q, want the get, the delete and the email", got)
	}
}

// evaluator resolves the few intrinsic functions the policies' conditions
// and the template's conditions use (Ref, Fn::Sub, Fn::Split, Fn::Join,
// Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or), with the parameters the functions' environments take set to
// their sample values and the others at their defaults. goformation's own
// resolver cannot: it joins a Fn::Split's result into "".
func evaluator(t *testing.T, values map[string]string) func(any) any {
	t.Helper()
	r := raw(t)
	params := map[string]string{}
	for name, p := range r["Parameters"].(map[string]any) {
		if d, ok := p.(map[string]any)["Default"].(string); ok {
			params[name] = d
		}
	}
	for _, fn := range functions(t) {
		for k, v := range fn["Environment"].(map[string]any)["Variables"].(map[string]any) {
			if ref, ok := v.(map[string]any)["Ref"].(string); ok {
				if _, isParam := r["Parameters"].(map[string]any)[ref]; isParam {
					params[ref] = values[k]
				}
			}
		}
	}
	conditions, _ := r["Conditions"].(map[string]any)
	var eval func(v any) any
	eval = func(v any) any {
		switch v := v.(type) {
		case string:
			return v
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = eval(x)
			}
			return out
		case map[string]any:
			if len(v) != 1 {
				t.Fatalf("not an intrinsic function: %v", v)
			}
			for fn, arg := range v {
				args, _ := arg.([]any)
				switch fn {
				case "Ref":
					p, ok := params[arg.(string)]
					if !ok {
						t.Fatalf("Ref %v: no sample value or default", arg)
					}
					return p
				case "Condition":
					return eval(conditions[arg.(string)])
				case "Fn::Sub":
					return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(arg.(string), func(m string) string {
						return eval(map[string]any{"Ref": m[2 : len(m)-1]}).(string)
					})
				case "Fn::Split":
					var out []any
					for _, x := range strings.Split(eval(args[1]).(string), args[0].(string)) {
						out = append(out, x)
					}
					return out
				case "Fn::Join":
					var parts []string
					for _, x := range eval(args[1]).([]any) {
						parts = append(parts, x.(string))
					}
					return strings.Join(parts, args[0].(string))
				case "Fn::If":
					if eval(conditions[args[0].(string)]).(bool) {
						return eval(args[1])
					}
					return eval(args[2])
				case "Fn::Equals":
					return eval(args[0]) == eval(args[1])
				case "Fn::Not":
					return !eval(args[0]).(bool)
				case "Fn::And", "Fn::Or":
					all := fn == "Fn::And"
					for _, x := range args {
						if eval(x).(bool) != all {
							return !all
						}
					}
					return all
				}
				t.Fatalf("%s: not resolved here; add it", fn)
			}
		}
		t.Fatalf("cannot resolve %v", v)
		return nil
	}
	return eval
}

// serviceActions are the actions a function's role needs for its event
// source mapping rather than its code: Lambda reads the stream as the
// function, and parks failed batches in the failure destination.
func serviceActions(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, r := range raw(t)["Resources"].(map[string]any) {
		r := r.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		// The mapping names the function's alias live (AutoPublishAlias).
		fn := props["FunctionName"]
		if r["Type"] != "AWS::Lambda::EventSourceMapping" || !reflect.DeepEqual(fn, map[string]any{"Ref": id}) && !reflect.DeepEqual(fn, map[string]any{"Ref": id + "Aliaslive"}) {
			continue
		}
		src, _ := props["EventSourceArn"].(map[string]any)["Fn::GetAtt"].(string)
		if !strings.HasSuffix(src, ".StreamArn") {
			t.Fatalf("%s: an event source mapping on %v, not a table's stream: add its actions here", id, props["EventSourceArn"])
		}
		out = append(out, "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
		if dest, ok := props["DestinationConfig"].(map[string]any); ok && dest["OnFailure"] != nil {
			out = append(out, "sqs:SendMessage")
		}
	}
	return out
}

// policies are a function's own policies, an !If entry resolved with the
// conditions named in holds true and every other false.
func policies(fn map[string]any, holds ...string) []map[string]any {
	var out []map[string]any
	for _, p := range fn["Policies"].([]any) {
		p := p.(map[string]any)
		if cond, ok := p["Fn::If"].([]any); ok {
			branch := cond[2]
			if slices.Contains(holds, cond[0].(string)) {
				branch = cond[1]
			}
			if p, ok = branch.(map[string]any); !ok || p["Ref"] == "AWS::NoValue" {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// policyActions are the IAM actions a function's own policies allow, with
// the conditions named in holds true.
func policyActions(t *testing.T, fn map[string]any, holds ...string) []string {
	t.Helper()
	var out []string
	for _, p := range policies(fn, holds...) {
		for _, st := range p["Statement"].([]any) {
			switch a := st.(map[string]any)["Action"].(type) {
			case string:
				out = append(out, a)
			case []any:
				for _, x := range a {
					out = append(out, x.(string))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func signedToken(t *testing.T, id string) string {
	t.Helper()
	s, err := link.NewSigner([]byte(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	return s.Sign(link.PurposeStaff, id, time.Now().Add(time.Hour)) // wall clock: the staff function FromEnv builds checks the link's expiry on the real clock
}

// TestAckEmailOnByDefault: a stack deployed with the defaults acknowledges
// every request with an email (AckEmail "true", as ACK_EMAIL's default in
// internal/config), so notify's sends take the unlimited branch
// (TestNotifyRecipients checks both).
func TestAckEmailOnByDefault(t *testing.T) {
	def, _ := raw(t)["Parameters"].(map[string]any)["AckEmail"].(map[string]any)["Default"].(string)
	if def != "true" {
		t.Fatalf("AckEmail's default is %q, want true", def)
	}
	values := sample("")
	values["ACK_EMAIL"] = def
	if holds := holding(t, evaluator(t, values)); !slices.Contains(holds, "AcksVisitors") {
		t.Errorf("with AckEmail's default, AcksVisitors does not hold: %v", holds)
	}
}

// TestBookingUrlPattern: BookingUrl reaches patients; the template takes
// an absolute https URL or nothing, as internal/config does.
func TestBookingUrlPattern(t *testing.T) {
	p, _ := raw(t)["Parameters"].(map[string]any)["BookingUrl"].(map[string]any)
	re := regexp.MustCompile(p["AllowedPattern"].(string))
	for _, ok := range []string{"", "https://book.example.com/new", "https://book.example.com/new?clinic=7&src=ack", "https://book.example.com:8443", "https://book.example.com/#slots"} {
		if !re.MatchString(ok) {
			t.Errorf("BookingUrl's AllowedPattern refuses %q", ok)
		}
	}
	for _, bad := range []string{"http://book.example.com/new", "book.example.com", "//book.example.com", "javascript:alert(1)", `https://book.example.com/"><script>`, "https://book.example.com/a b", "https://user@book.example.com/"} {
		if re.MatchString(bad) {
			t.Errorf("BookingUrl's AllowedPattern takes %q", bad)
		}
	}
}
