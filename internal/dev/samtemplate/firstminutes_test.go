package samtemplate_test

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// TestCadenceDefaultsFollowTheEvidence: a stack deployed with the
// template's defaults tries a lead at least 6 times, the first call-back
// at most 30 minutes after the first try (issue 29, after the Lead
// Response Management study), and its defaults are the code's.
func TestCadenceDefaultsFollowTheEvidence(t *testing.T) {
	params := raw(t)["Parameters"].(map[string]any)
	maxAttempts, _ := params["MaxAttempts"].(map[string]any)["Default"].(string)
	n, err := strconv.Atoi(maxAttempts)
	if err != nil || n < 6 || n != lead.DefaultMaxAttempts {
		t.Errorf("MaxAttempts default %q, want at least 6 and lead.DefaultMaxAttempts (%d)", maxAttempts, lead.DefaultMaxAttempts)
	}
	cadence, _ := params["CallbackCadence"].(map[string]any)["Default"].(string)
	steps, err := lead.ParseCadence(cadence)
	if err != nil || len(steps) == 0 || steps[0] > 30*time.Minute || !slices.Equal(steps, lead.DefaultCadence) {
		t.Errorf("CallbackCadence default %q (%v), want a first step of at most 30 minutes and lead.DefaultCadence %v", cadence, err, lead.DefaultCadence)
	}
}

// TestMailRequiresTLS: SES delivers the stack's mail only over TLS to the
// recipient's server (a server that cannot take it bounces the message;
// docs/ses.md).
func TestMailRequiresTLS(t *testing.T) {
	set := props(resourcesOf(t, "AWS::SES::ConfigurationSet")["MailConfigurationSet"])
	opts, _ := set["DeliveryOptions"].(map[string]any)
	if opts == nil || opts["TlsPolicy"] != "REQUIRE" {
		t.Errorf("MailConfigurationSet's DeliveryOptions %v, want TlsPolicy REQUIRE", opts)
	}
}

// TestPatientSmsNeedsItsOrigin: PatientSms other than off needs
// StaffSmsOriginationArn (a rule checked before the stack changes), notify
// is given it, and notify may text when staff or patients get texts, and
// only then.
func TestPatientSmsNeedsItsOrigin(t *testing.T) {
	tpl := raw(t)
	p, _ := tpl["Parameters"].(map[string]any)["PatientSms"].(map[string]any)
	if p == nil || p["Default"] != "off" || !reflect.DeepEqual(p["AllowedValues"], []any{"off", "on", "all"}) {
		t.Errorf("PatientSms %v, want off by default, off, on or all", p)
	}
	notOff := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "PatientSms"}, "off"}}}}
	hasOrigin := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "StaffSmsOriginationArn"}, ""}}}}
	rule, _ := tpl["Rules"].(map[string]any)["PatientSmsNeedsItsOrigin"].(map[string]any)
	if rule == nil || !reflect.DeepEqual(rule["RuleCondition"], notOff) ||
		!reflect.DeepEqual(rule["Assertions"].([]any)[0].(map[string]any)["Assert"], hasOrigin) {
		t.Errorf("PatientSmsNeedsItsOrigin: %v, want PatientSms other than off to require StaffSmsOriginationArn", rule)
	}
	conds := tpl["Conditions"].(map[string]any)
	if got := conds["TextsPatients"]; !reflect.DeepEqual(got, map[string]any{"Fn::And": []any{notOff, hasOrigin}}) {
		t.Errorf("TextsPatients %v, want PatientSms not off with StaffSmsOriginationArn", got)
	}
	if got := conds["NotifyTexts"]; !reflect.DeepEqual(got, map[string]any{"Fn::Or": []any{map[string]any{"Condition": "HasStaffSms"}, map[string]any{"Condition": "TextsPatients"}}}) {
		t.Errorf("NotifyTexts %v, want HasStaffSms or TextsPatients", got)
	}
	notify := functions(t)["NotifyFunction"]
	vars := notify["Environment"].(map[string]any)["Variables"].(map[string]any)
	if !reflect.DeepEqual(vars["PATIENT_SMS"], map[string]any{"Ref": "PatientSms"}) {
		t.Errorf("notify's PATIENT_SMS %v, want the PatientSms parameter", vars["PATIENT_SMS"])
	}
	if slices.Contains(policyActions(t, notify), "sms-voice:SendTextMessage") || !slices.Contains(policyActions(t, notify, "NotifyTexts"), "sms-voice:SendTextMessage") {
		t.Error("notify may text without NotifyTexts, or not with it")
	}
}
