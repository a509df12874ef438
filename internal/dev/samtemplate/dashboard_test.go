package samtemplate_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/adapter/metric"
)

// stackName stands in for ${AWS::StackName} when the dashboard is read.
const stackName = "clinic-stack"

// dashboard is the Dashboard resource's body with its !Sub variables
// resolved as CloudFormation would: the region, the stack's name, a
// resource's name (Ref) or ARN (.Arn). A variable naming nothing fails.
func dashboard(t *testing.T) map[string]any {
	t.Helper()
	res := raw(t)["Resources"].(map[string]any)
	d, ok := res["Dashboard"].(map[string]any)
	if !ok || d["Type"] != "AWS::CloudWatch::Dashboard" {
		t.Fatalf("no AWS::CloudWatch::Dashboard named Dashboard")
	}
	body, ok := props(d)["DashboardBody"].(map[string]any)["Fn::Sub"].(string)
	if !ok {
		t.Fatalf("DashboardBody is not a !Sub of a string: %v", props(d)["DashboardBody"])
	}
	var bad []string
	body = regexp.MustCompile(`\$\{([^}]*)\}`).ReplaceAllStringFunc(body, func(v string) string {
		name := v[2 : len(v)-1]
		switch name {
		case "AWS::Region":
			return "us-east-1"
		case "AWS::StackName":
			return stackName
		}
		id, arn := strings.CutSuffix(name, ".Arn")
		r, ok := res[id].(map[string]any)
		if !ok {
			bad = append(bad, v)
			return v
		}
		if arn {
			return "arn:" + r["Type"].(string) + ":" + id
		}
		return "name:" + r["Type"].(string) + ":" + id
	})
	if len(bad) > 0 {
		t.Fatalf("the dashboard's !Sub names nothing in the template: %v", bad)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("the dashboard's body is not JSON once substituted: %v", err)
	}
	return out
}

// filterMetrics are the metrics the template's metric filters make, by
// namespace (resolved) and name.
func filterMetrics(t *testing.T) map[[2]string]bool {
	out := map[[2]string]bool{}
	for _, f := range resourcesOf(t, "AWS::Logs::MetricFilter") {
		for _, tr := range props(f)["MetricTransformations"].([]any) {
			tr := tr.(map[string]any)
			ns := strings.ReplaceAll(tr["MetricNamespace"].(map[string]any)["Fn::Sub"].(string), "${AWS::StackName}", stackName)
			out[[2]string{ns, tr["MetricName"].(string)}] = true
		}
	}
	return out
}

// checkCustom holds a metric of the stack's own namespaces to what makes
// it: a metric filter (no dimensions), else metric.All, the list the
// functions emit from (the function its namespace names, its dimension
// keys, only their listed values).
func checkCustom(ns, name string, keys, values []string, filters map[[2]string]bool) (metric.Def, error) {
	if filters[[2]string{ns, name}] {
		if len(keys) > 0 {
			return metric.Def{}, fmt.Errorf("%s %s: a metric filter's metric has no dimensions, got %v", ns, name, keys)
		}
		return metric.Def{}, nil
	}
	fn, ok := strings.CutPrefix(ns, stackName+"/")
	if !ok {
		return metric.Def{}, fmt.Errorf("namespace %s is not the stack's", ns)
	}
	i := slices.IndexFunc(metric.All, func(d metric.Def) bool { return d.Name == name && d.Function == fn })
	if i < 0 {
		return metric.Def{}, fmt.Errorf("%s %s: neither a metric filter's nor one of metric.All from %s", ns, name, fn)
	}
	d := metric.All[i]
	if !slices.Equal(keys, d.Keys()) {
		return d, fmt.Errorf("%s: dimensions %v, the code emits %v", name, keys, d.Keys())
	}
	for j, dim := range d.Dimensions {
		if !slices.Contains(dim.Values, values[j]) {
			return d, fmt.Errorf("%s: %s %q is not a value the code emits %v", name, dim.Key, values[j], dim.Values)
		}
	}
	return d, nil
}

// TestDashboardShowsWhatTheCodeEmits: the dashboard's body is valid JSON
// once its !Sub variables resolve; every metric it shows is one the code
// emits (metric.All: namespace, name, dimension keys and values), one a
// metric filter of the template makes, or a function's AWS/Lambda metric;
// percentile statistics are asked only of durations; every metric of
// metric.All is on it, and every alarm of the template is on its alarm
// widget; the DashboardURL output points at it.
func TestDashboardShowsWhatTheCodeEmits(t *testing.T) {
	body := dashboard(t)
	filters := filterMetrics(t)
	fns := map[string]bool{}
	for id := range functions(t) {
		fns["name:AWS::Serverless::Function:"+id] = true
	}
	shown := map[string]bool{}
	var alarms []string
	widgets, _ := body["widgets"].([]any)
	if len(widgets) == 0 {
		t.Fatal("no widgets")
	}
	for _, w := range widgets {
		w := w.(map[string]any)
		p := w["properties"].(map[string]any)
		if x, width := w["x"].(float64), w["width"].(float64); x+width > 24 {
			t.Errorf("widget %q: past the dashboard's 24 columns", p["title"])
		}
		switch w["type"] {
		case "alarm":
			for _, a := range p["alarms"].([]any) {
				alarms = append(alarms, a.(string))
			}
			continue
		case "text":
			continue
		case "metric":
		default:
			t.Errorf("widget of type %v", w["type"])
			continue
		}
		if p["region"] != "us-east-1" {
			t.Errorf("widget %q: region %v, want the stack's", p["title"], p["region"])
		}
		ids := map[string]bool{}
		var expressions []string
		for _, m := range p["metrics"].([]any) {
			m := m.([]any)
			if e, ok := m[0].(map[string]any); ok {
				expressions = append(expressions, e["expression"].(string))
				continue
			}
			opts := map[string]any{}
			if o, ok := m[len(m)-1].(map[string]any); ok {
				opts, m = o, m[:len(m)-1]
			}
			if id, ok := opts["id"].(string); ok {
				ids[id] = true
			}
			if len(m)%2 != 0 {
				t.Errorf("widget %q: %v is not namespace, name and key-value pairs", p["title"], m)
				continue
			}
			ns, name := m[0].(string), m[1].(string)
			var keys, values []string
			for i := 2; i < len(m); i += 2 {
				keys, values = append(keys, m[i].(string)), append(values, m[i+1].(string))
			}
			stat, _ := opts["stat"].(string)
			if stat == "" {
				stat, _ = p["stat"].(string)
			}
			if ns == "AWS/Lambda" {
				if !slices.Equal(keys, []string{"FunctionName"}) || !fns[values[0]] {
					t.Errorf("widget %q: AWS/Lambda %s of %v, want a function of the template", p["title"], name, values)
				}
				continue
			}
			d, err := checkCustom(ns, name, keys, values, filters)
			if err != nil {
				t.Errorf("widget %q: %v", p["title"], err)
				continue
			}
			shown[d.Name] = true
			percentile := strings.HasPrefix(stat, "p") || strings.HasPrefix(stat, "PR(")
			if percentile && d.Unit == metric.Count {
				t.Errorf("widget %q: %s of %s, a count", p["title"], stat, name)
			}
			if stat == "" {
				t.Errorf("widget %q: no statistic for %s", p["title"], name)
			}
		}
		for _, e := range expressions {
			for _, id := range regexp.MustCompile(`\bm[0-9]+\b`).FindAllString(e, -1) {
				if !ids[id] {
					t.Errorf("widget %q: expression %q names %s, no metric of the widget", p["title"], e, id)
				}
			}
		}
	}
	for _, d := range metric.All {
		if !shown[d.Name] {
			t.Errorf("%s (from %s) is not on the dashboard", d.Name, d.Function)
		}
	}
	var want []string
	for id := range resourcesOf(t, "AWS::CloudWatch::Alarm") {
		want = append(want, "arn:AWS::CloudWatch::Alarm:"+id)
	}
	slices.Sort(want)
	slices.Sort(alarms)
	if !reflect.DeepEqual(alarms, want) {
		t.Errorf("the alarm widget shows %v, want every alarm of the template %v", alarms, want)
	}
	out, _ := raw(t)["Outputs"].(map[string]any)["DashboardURL"].(map[string]any)
	if v, _ := out["Value"].(map[string]any)["Fn::Sub"].(string); !strings.Contains(v, "#dashboards/dashboard/${Dashboard}") || !strings.Contains(v, "region=${AWS::Region}") {
		t.Errorf("DashboardURL output %v does not open the dashboard", out)
	}
}

// TestAlarmsWatchWhatTheCodeEmits: an alarm on one of the stack's own
// namespaces watches a metric a metric filter makes or the code emits,
// under the dimensions it is emitted with.
func TestAlarmsWatchWhatTheCodeEmits(t *testing.T) {
	filters := filterMetrics(t)
	n := 0
	for id, a := range resourcesOf(t, "AWS::CloudWatch::Alarm") {
		p := props(a)
		sub, ok := p["Namespace"].(map[string]any)
		if !ok {
			continue // AWS/...: AWS's own metrics
		}
		ns := strings.ReplaceAll(sub["Fn::Sub"].(string), "${AWS::StackName}", stackName)
		var keys, values []string
		dims, _ := p["Dimensions"].([]any)
		for _, d := range dims {
			d := d.(map[string]any)
			keys, values = append(keys, d["Name"].(string)), append(values, fmt.Sprint(d["Value"]))
		}
		if _, err := checkCustom(ns, p["MetricName"].(string), keys, values, filters); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		n++
	}
	if n == 0 {
		t.Error("no alarm on the stack's own metrics: LeadsQuietAlarm at least")
	}
}
