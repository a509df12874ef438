package samtemplate_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

var expandedOnce struct {
	sync.Once
	doc map[string]any
	err error
}

// expanded is template.yaml after SAM's transform (infra/expand.py), as
// CloudFormation receives it: the aliases, versions, permissions, routes'
// integrations and CodeDeploy groups SAM makes are only visible here.
func expanded(t *testing.T) map[string]map[string]any {
	t.Helper()
	py := testenv.SAMPython(t)
	expandedOnce.Do(func() {
		root := testenv.Root(t)
		cmd := exec.Command(py, filepath.Join(root, "infra", "expand.py"), filepath.Join(root, "template.yaml"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			expandedOnce.err = fmt.Errorf("infra/expand.py: %v\n%s", err, stderr.String())
			return
		}
		expandedOnce.err = json.Unmarshal(out, &expandedOnce.doc)
	})
	if expandedOnce.err != nil {
		t.Fatal(expandedOnce.err)
	}
	out := map[string]map[string]any{}
	for id, r := range expandedOnce.doc["Resources"].(map[string]any) {
		out[id] = r.(map[string]any)
	}
	return out
}

func ofType(res map[string]map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range res {
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func ref(v any) string { s, _ := v.(map[string]any)["Ref"].(string); return s }

// TestCanaryDeployments: submit and staff, which a person waits on, deploy
// through CodeDeploy 10% for 5 minutes, and roll back on their new
// version's errors or the API's 5xx; notify shifts linearly and rolls back
// on its own errors or on records it failed (which Errors never counts).
func TestCanaryDeployments(t *testing.T) {
	res := expanded(t)
	want := map[string]struct {
		config string
		alarms []string
	}{
		"SubmitFunction": {"CodeDeployDefault.LambdaCanary10Percent5Minutes", []string{"SubmitCanaryErrorsAlarm", "HttpApi5xxAlarm"}},
		"StaffFunction":  {"CodeDeployDefault.LambdaCanary10Percent5Minutes", []string{"StaffCanaryErrorsAlarm", "HttpApi5xxAlarm"}},
		"NotifyFunction": {"CodeDeployDefault.LambdaLinear10PercentEvery1Minute", []string{"NotifyCanaryErrorsAlarm", "NotifyCanaryFailuresAlarm"}},
	}
	for fn, w := range want {
		alias := res[fn+"Aliaslive"]
		if alias == nil {
			t.Errorf("%s: no alias live", fn)
			continue
		}
		// infra/expand.py runs without AWS's feature toggles, one of which
		// (deployment_preference_condition_fix) changes the expansion of a
		// deployed function with a Condition.
		if c := res[fn]["Condition"]; c != nil {
			t.Errorf("%s has a Condition (%v): infra/expand.py may no longer expand it as AWS does", fn, c)
		}
		update, _ := alias["UpdatePolicy"].(map[string]any)["CodeDeployLambdaAliasUpdate"].(map[string]any)
		group := res[ref(update["DeploymentGroupName"])]
		if group == nil || group["Type"] != "AWS::CodeDeploy::DeploymentGroup" {
			t.Errorf("%s: its alias is not updated through a CodeDeploy deployment group (UpdatePolicy %v)", fn, alias["UpdatePolicy"])
			continue
		}
		p := props(group)
		// Fn::Sub ["CodeDeployDefault.Lambda${ConfigName}", {ConfigName: ...}]
		sub, _ := p["DeploymentConfigName"].(map[string]any)["Fn::Sub"].([]any)
		var got string
		if len(sub) == 2 {
			got, _ = sub[0].(string)
			for k, v := range sub[1].(map[string]any) {
				got = strings.ReplaceAll(got, "${"+k+"}", fmt.Sprint(v))
			}
		}
		if got != w.config {
			t.Errorf("%s deploys with %q (%v), want %s", fn, got, p["DeploymentConfigName"], w.config)
		}
		rollback := p["AutoRollbackConfiguration"].(map[string]any)
		if rollback["Enabled"] != true || !slices.Contains(rollback["Events"].([]any), any("DEPLOYMENT_STOP_ON_ALARM")) {
			t.Errorf("%s: no rollback on alarm: %v", fn, rollback)
		}
		ac := p["AlarmConfiguration"].(map[string]any)
		var alarms []string
		for _, a := range ac["Alarms"].([]any) {
			alarms = append(alarms, ref(a.(map[string]any)["Name"]))
		}
		if ac["Enabled"] != true || !slices.Equal(alarms, w.alarms) {
			t.Errorf("%s rolls back on %v (enabled %v), want %v", fn, alarms, ac["Enabled"], w.alarms)
		}
		// The function's own alarm watches the version being deployed,
		// through the alias.
		dims := map[string]any{}
		for _, d := range props(res[w.alarms[0]])["Dimensions"].([]any) {
			d := d.(map[string]any)
			dims[d["Name"].(string)] = d["Value"]
		}
		version := alias["Properties"].(map[string]any)["FunctionVersion"]
		if m := props(res[w.alarms[0]]); m["MetricName"] != "Errors" || ref(dims["FunctionName"]) != fn ||
			fmt.Sprint(dims["Resource"]) != fmt.Sprint(map[string]any{"Fn::Sub": "${" + fn + "}:live"}) ||
			fmt.Sprint(dims["ExecutedVersion"]) != fmt.Sprint(version) {
			t.Errorf("%s watches %v %v, want the Errors of %s:live's new version %v", w.alarms[0], m["MetricName"], dims, fn, version)
		}
	}
	// The API's 5xx, counted from its access log: AWS/ApiGateway's 5xx
	// would name HttpApi (ApiId), which depends on the aliases, which
	// depend on the deployment groups, which name this alarm: a cycle
	// (TestNoDependencyCycle).
	api := props(res["HttpApi5xxAlarm"])
	filter := props(res["HttpApi5xxMetricFilter"])
	tr, _ := filter["MetricTransformations"].([]any)
	if len(tr) != 1 || filter["FilterPattern"] != `{ $.status = 5* }` || ref(filter["LogGroupName"]) != "HttpApiAccessLogGroup" {
		t.Fatalf("HttpApi5xxMetricFilter %v: want one count of the access log's 5xx statuses", filter)
	}
	m := tr[0].(map[string]any)
	if m["MetricValue"] != "1" || !reflect.DeepEqual(api["Namespace"], m["MetricNamespace"]) || api["MetricName"] != m["MetricName"] || api["Dimensions"] != nil {
		t.Errorf("HttpApi5xxAlarm watches %v %v %v, want HttpApi5xxMetricFilter's %v %v", api["Namespace"], api["MetricName"], api["Dimensions"], m["MetricNamespace"], m["MetricName"])
	}
	format, _ := props(res["HttpApiApiGatewayDefaultStage"])["AccessLogSettings"].(map[string]any)["Format"].(string)
	if !strings.Contains(format, `"status":"$context.status"`) {
		t.Errorf("the access log's format %q writes no status for HttpApi5xxMetricFilter to count", format)
	}
}

// TestEverythingTargetsLive: every route, event source, schedule, rule,
// permission and invoke setting names the alias live, so a deployment's
// traffic shift and rollback cover every caller. The function itself is
// named only where a function (not a version) is meant: its alias and
// versions, its log group, its alarms' FunctionName, the dashboard (whose
// graphs count every version, as the clinic's figures should), and the
// response guard's role, which still lets schedules armed before the alias
// invoke.
func TestEverythingTargetsLive(t *testing.T) {
	res := expanded(t)
	fns := ofType(res, "AWS::Lambda::Function")
	if len(fns) != 5 {
		t.Fatalf("%d functions after the transform, want 5", len(fns))
	}
	for fn := range fns {
		a := res[fn+"Aliaslive"]
		if a == nil || props(a)["Name"] != "live" || ref(props(a)["FunctionName"]) != fn {
			t.Errorf("%s: no alias live (%v)", fn, a)
		}
	}
	allowed := func(id string, r map[string]any, path string) bool {
		switch r["Type"] {
		case "AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Logs::LogGroup", "AWS::CloudWatch::Dashboard":
			return true
		case "AWS::CloudWatch::Alarm":
			return strings.Contains(path, "Dimensions")
		case "AWS::Lambda::EventInvokeConfig":
			return props(r)["Qualifier"] == "live"
		case "AWS::IAM::Role":
			return id == "NudgeSchedulerRole"
		}
		return false
	}
	seen := 0
	for id, r := range res {
		if fns[id] != nil {
			continue
		}
		walkRefs(r, "", func(path, target string) {
			if fns[target] == nil {
				if a, ok := strings.CutSuffix(target, "Aliaslive"); ok && fns[a] != nil {
					seen++
				}
				return
			}
			if !allowed(id, r, path) {
				t.Errorf("%s%s names the function %s itself, not its alias live", id, path, target)
			}
		})
	}
	// Submit's route, staff's 8, the stream, the daily schedule, the SES
	// rule, with their permissions and roles: many more than 10.
	if seen < 20 {
		t.Errorf("only %d references to an alias: is the walk seeing the expanded template?", seen)
	}
}

// TestServerlessRepoMetadata: make publish would succeed as far as it can
// be told offline: sam publish's own checks of the metadata pass, every
// field meets the Serverless Application Repository's constraints (the AWS
// SAM developer guide, "AWS SAM template Metadata section properties"),
// the licence and readme it uploads exist, and the version is semantic.
func TestServerlessRepoMetadata(t *testing.T) {
	root := testenv.Root(t)
	cmd := exec.Command(testenv.SAMPython(t), filepath.Join(root, "infra", "expand.py"), "--metadata", filepath.Join(root, "template.yaml"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sam publish's metadata checks: %v\n%s", err, stderr.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	checks := []struct {
		field, pattern string
		max            int
	}{
		{"Name", `^[a-zA-Z0-9\-]+$`, 140},
		{"Description", `^[\s\S]+$`, 256},
		{"Author", `^[a-z0-9]([a-z0-9]|-[a-z0-9])*$`, 127},
		{"SpdxLicenseId", `^Apache-2\.0$`, 0},
		{"SemanticVersion", `^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`, 0},
		{"HomePageUrl", `^https://\S+$`, 0},
		{"SourceCodeUrl", `^https://\S+$`, 0},
	}
	for _, c := range checks {
		v := str(c.field)
		if !regexp.MustCompile(c.pattern).MatchString(v) || c.max > 0 && len(v) > c.max {
			t.Errorf("%s = %q: want %s, at most %d characters", c.field, v, c.pattern, c.max)
		}
	}
	labels, _ := m["Labels"].([]any)
	if len(labels) == 0 || len(labels) > 10 {
		t.Errorf("%d labels, want 1 to 10", len(labels))
	}
	for _, l := range labels {
		if s, _ := l.(string); !regexp.MustCompile(`^[a-zA-Z0-9+\-_:/@]{1,127}$`).MatchString(s) {
			t.Errorf("label %q: not [a-zA-Z0-9+-_:/@], 1 to 127 characters", l)
		}
	}
	for _, k := range []string{"LicenseUrl", "ReadmeUrl"} {
		if _, err := os.Stat(filepath.Join(root, str(k))); err != nil {
			t.Errorf("%s: %v (sam package uploads it from beside the template)", k, err)
		}
	}
	licence, err := os.ReadFile(filepath.Join(root, str("LicenseUrl")))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(licence, []byte("Apache License\n                           Version 2.0, January 2004")) ||
		!bytes.Contains(licence, []byte("END OF TERMS AND CONDITIONS")) {
		t.Errorf("%s is not the Apache License 2.0 that SpdxLicenseId names", str("LicenseUrl"))
	}
	if v := readVersion(t); str("SemanticVersion") != v {
		t.Errorf("SemanticVersion %q, but VERSION says %q (make release writes both)", str("SemanticVersion"), v)
	}
}

func readVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(t), "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestVersionInOnePlace: VERSION is a semantic version, and every copy the
// template must carry (it takes no file) says the same; CHANGELOG.md has
// that release's section.
func TestVersionInOnePlace(t *testing.T) {
	v := readVersion(t)
	if !regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`).MatchString(v) {
		t.Fatalf("VERSION = %q: not MAJOR.MINOR.PATCH", v)
	}
	r := raw(t)
	sar := r["Metadata"].(map[string]any)["AWS::ServerlessRepo::Application"].(map[string]any)
	if got := fmt.Sprint(sar["SemanticVersion"]); got != v {
		t.Errorf("template Metadata SemanticVersion %q, VERSION %q", got, v)
	}
	out, _ := r["Outputs"].(map[string]any)["Version"].(map[string]any)
	if got := fmt.Sprint(out["Value"]); got != v {
		t.Errorf("template output Version %q, VERSION %q", got, v)
	}
	log, err := os.ReadFile(filepath.Join(testenv.Root(t), "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^## \[` + regexp.QuoteMeta(v) + `\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$`).Match(log) {
		t.Errorf("CHANGELOG.md has no heading \"## [%s] - YYYY-MM-DD\"", v)
	}
}

// TestParametersReadWellInTheConsole: an installer sees each parameter in
// one group of the console, with a description that says what it is.
func TestParametersReadWellInTheConsole(t *testing.T) {
	r := raw(t)
	groups := r["Metadata"].(map[string]any)["AWS::CloudFormation::Interface"].(map[string]any)["ParameterGroups"].([]any)
	in := map[string]int{}
	for _, g := range groups {
		for _, p := range g.(map[string]any)["Parameters"].([]any) {
			in[p.(string)]++
		}
	}
	params := r["Parameters"].(map[string]any)
	for name, p := range params {
		if in[name] != 1 {
			t.Errorf("%s is in %d parameter groups, want 1", name, in[name])
		}
		d, _ := p.(map[string]any)["Description"].(string)
		// CloudFormation takes at most 4,000 characters.
		if d = strings.TrimSpace(d); len(d) < 20 || len(d) > 4000 {
			t.Errorf("%s: description %q", name, d)
		}
	}
	for name := range in {
		if params[name] == nil {
			t.Errorf("a parameter group names %s, which is no parameter", name)
		}
	}
}

// TestSchedulesNamedByTheStack: the schedules SAM makes are named by the
// stack, so two stacks in one account and region (staging beside
// production, two clinics) can both create theirs.
func TestSchedulesNamedByTheStack(t *testing.T) {
	res := expanded(t)
	schedules := ofType(res, "AWS::Scheduler::Schedule")
	if len(schedules) != 2 {
		t.Errorf("%d schedules, want the daily follow-up and the weekly report", len(schedules))
	}
	for id, r := range schedules {
		name, _ := props(r)["Name"].(map[string]any)["Fn::Sub"].(string)
		if !strings.HasPrefix(name, "${AWS::StackName}-") {
			t.Errorf("%s is named %v, not by the stack", id, props(r)["Name"])
		}
	}
}
