package samtemplate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/submit"
)

// TestCanaries pins the alarms that notice what looks like nothing: a form
// gone quiet, a form refused after a site change, and SES reputation on its
// way to a paused account. docs/alarms.md says what to do for each.
func TestCanaries(t *testing.T) {
	alarms := resourcesOf(t, "AWS::CloudWatch::Alarm")
	sub := func(s string) map[string]any { return map[string]any{"Fn::Sub": s} }
	want := map[string]map[string]any{
		// Missing days breach: a form that posts nothing logs nothing.
		"LeadsQuietAlarm": {
			"Namespace": sub("${AWS::StackName}/submit"), "MetricName": submit.MetricLeadsStored, "Statistic": "Sum",
			"Period": float64(86400), "EvaluationPeriods": map[string]any{"Ref": "QuietDays"}, "DatapointsToAlarm": map[string]any{"Ref": "QuietDays"},
			"Threshold": float64(1), "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
		},
		"HttpApiForbiddenAlarm": {
			"Namespace": sub("${AWS::StackName}/HttpApi"), "MetricName": "FormForbidden", "Statistic": "Sum",
			"Period": float64(3600), "EvaluationPeriods": float64(1),
			"Threshold": float64(3), "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
		},
		// SES reviews an account at 5% bounces and 0.1% complaints, and may
		// pause it at 10% and 0.5%: alarm at review, before the pause.
		"SesBounceRateAlarm": {
			"Namespace": "AWS/SES", "MetricName": "Reputation.BounceRate", "Statistic": "Maximum",
			"Period": float64(3600), "EvaluationPeriods": float64(1),
			"Threshold": 0.05, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
		},
		"SesComplaintRateAlarm": {
			"Namespace": "AWS/SES", "MetricName": "Reputation.ComplaintRate", "Statistic": "Maximum",
			"Period": float64(3600), "EvaluationPeriods": float64(1),
			"Threshold": 0.001, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
		},
	}
	for id, fields := range want {
		a, ok := alarms[id]
		if !ok {
			t.Errorf("no %s", id)
			continue
		}
		for k, v := range fields {
			if got := props(a)[k]; !reflect.DeepEqual(got, v) {
				t.Errorf("%s.%s = %v, want %v", id, k, got, v)
			}
		}
	}
	for id, pause := range map[string]float64{"SesBounceRateAlarm": 0.10, "SesComplaintRateAlarm": 0.005} {
		if th, _ := props(alarms[id])["Threshold"].(float64); th >= pause {
			t.Errorf("%s fires at %v, not before SES's pause level %v", id, th, pause)
		}
	}

	// QuietDays: 3 by default, at most the 7 days of 1-day periods an alarm
	// may evaluate.
	p, _ := raw(t)["Parameters"].(map[string]any)["QuietDays"].(map[string]any)
	if p["Default"] != float64(3) || p["MinValue"] != float64(1) || p["MaxValue"] != float64(7) {
		t.Errorf("QuietDays %v, want default 3, from 1 to 7", p)
	}

	// The metric the quiet alarm watches is the one the submit function writes.
	env := functions(t)["SubmitFunction"]["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got := env["METRIC_NAMESPACE"]; !reflect.DeepEqual(got, props(alarms["LeadsQuietAlarm"])["Namespace"]) {
		t.Errorf("SubmitFunction's METRIC_NAMESPACE %v is not LeadsQuietAlarm's namespace", got)
	}

	// Lambda's log-level filter takes a line without a "level" key (every
	// metric line) for INFO: it must pass INFO whatever LogLevel says, and
	// each function filter its own lines by LOG_LEVEL instead.
	lc, _ := raw(t)["Globals"].(map[string]any)["Function"].(map[string]any)["LoggingConfig"].(map[string]any)
	if lc["LogFormat"] != "JSON" || !slices.Contains([]any{"TRACE", "DEBUG", "INFO"}, lc["ApplicationLogLevel"]) {
		t.Errorf("Globals LoggingConfig %v: Lambda would drop the metric lines at a LogLevel above INFO; want ApplicationLogLevel TRACE, DEBUG or INFO, fixed", lc)
	}
	for name, fn := range functions(t) {
		env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		if !reflect.DeepEqual(env["LOG_LEVEL"], map[string]any{"Ref": "LogLevel"}) {
			t.Errorf("%s: LOG_LEVEL %v, want !Ref LogLevel (its logger's level)", name, env["LOG_LEVEL"])
		}
	}

	// The 403 count is of the form's route only, from the access log.
	f := props(resourcesOf(t, "AWS::Logs::MetricFilter")["HttpApiForbiddenMetricFilter"])
	if f["FilterPattern"] != `{ $.status = "403" && $.routeKey = "POST /leads" }` ||
		!reflect.DeepEqual(f["LogGroupName"], map[string]any{"Ref": "HttpApiAccessLogGroup"}) {
		t.Errorf("HttpApiForbiddenMetricFilter: %v", f)
	}
	tr := f["MetricTransformations"].([]any)[0].(map[string]any)
	if tr["MetricName"] != "FormForbidden" || !reflect.DeepEqual(tr["MetricNamespace"], sub("${AWS::StackName}/HttpApi")) {
		t.Errorf("HttpApiForbiddenMetricFilter makes %v", tr)
	}
}

// TestEveryAlarmHasWhatToDo: each alarm of the template is in a row of
// docs/alarms.md's alarm table (what fires it, what to do), and the count
// the doc gives is the template's.
func TestEveryAlarmHasWhatToDo(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(testenv.Root(t), "docs", "alarms.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| `") {
			rows = append(rows, line)
		}
	}
	alarms := resourcesOf(t, "AWS::CloudWatch::Alarm")
	for id := range alarms {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.Contains(strings.SplitN(r, " | ", 2)[0], "`"+id+"`") }) {
			t.Errorf("%s: no row of docs/alarms.md's alarm table", id)
		}
	}
	if want := fmt.Sprintf("**%d alarms**", len(alarms)); !strings.Contains(string(doc), want) {
		t.Errorf("docs/alarms.md does not say %s", want)
	}
}
