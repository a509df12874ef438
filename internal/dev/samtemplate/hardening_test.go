package samtemplate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// resourcesOf are the template's raw resources of a type, by logical id.
func resourcesOf(t *testing.T, typ string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, r := range raw(t)["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out[id] = r
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s in the template", typ)
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// TestAccessLog: the API logs one JSON line a request with only these
// context variables: never the path or the query, where a staff link's
// lead id and ?t= token are.
func TestAccessLog(t *testing.T) {
	api := props(resourcesOf(t, "AWS::Serverless::HttpApi")["HttpApi"])
	logs, _ := api["AccessLogSettings"].(map[string]any)
	if logs == nil {
		t.Fatal("the HttpApi has no AccessLogSettings")
	}
	var format map[string]string
	if err := json.Unmarshal([]byte(logs["Format"].(string)), &format); err != nil {
		t.Fatalf("the access log format is not a JSON object of strings: %v", err)
	}
	want := map[string]string{
		"requestId": "$context.requestId", "requestTime": "$context.requestTime", "routeKey": "$context.routeKey",
		"status": "$context.status", "integrationStatus": "$context.integrationStatus",
		"sourceIp": "$context.identity.sourceIp", "responseLatency": "$context.responseLatency",
	}
	if !reflect.DeepEqual(format, want) {
		t.Errorf("access log fields %v, want exactly %v (a new field must be checked to hold neither path nor query)", format, want)
	}
	dest, _ := logs["DestinationArn"].(map[string]any)["Fn::GetAtt"].(string)
	group, ok := resourcesOf(t, "AWS::Logs::LogGroup")[strings.TrimSuffix(dest, ".Arn")]
	if !ok {
		t.Fatalf("access logs go to %v, not a log group of the template", logs["DestinationArn"])
	}
	if got := props(group)["RetentionInDays"]; !reflect.DeepEqual(got, map[string]any{"Ref": "LogRetentionDays"}) {
		t.Errorf("access log retention %v, want LogRetentionDays", got)
	}
}

// TestRouteThrottles: the public form and the sign-in codes have
// throttles of their own, below the default every other route gets.
func TestRouteThrottles(t *testing.T) {
	def, _ := props(resourcesOf(t, "AWS::Serverless::HttpApi")["HttpApi"])["DefaultRouteSettings"].(map[string]any)
	if def["ThrottlingRateLimit"] == nil || def["ThrottlingBurstLimit"] == nil {
		t.Fatalf("no default route throttle: %v", def)
	}
	found := map[string]bool{}
	for id, fn := range functions(t) {
		evs, _ := fn["Events"].(map[string]any)
		for name, ev := range evs {
			p := ev.(map[string]any)["Properties"].(map[string]any)
			route, _ := p["Method"].(string)
			route += " " + func() string { s, _ := p["Path"].(string); return s }()
			if route != "POST /leads" && route != "POST /staff/signin" {
				continue
			}
			found[route] = true
			rs, _ := p["RouteSettings"].(map[string]any)
			for _, k := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
				got, ok := rs[k].(float64)
				if !ok || got <= 0 || got >= def[k].(float64) {
					t.Errorf("%s.%s (%s): %s %v, want its own, below the default %v", id, name, route, k, rs[k], def[k])
				}
			}
		}
	}
	if len(found) != 2 {
		t.Errorf("routes found: %v", found)
	}
}

// TestKeptAndProtected: leads and the link secret survive a deleted stack,
// a replacement, and a console click.
func TestKeptAndProtected(t *testing.T) {
	for id, r := range resourcesOf(t, "AWS::DynamoDB::Table") {
		if props(r)["DeletionProtectionEnabled"] != true {
			t.Errorf("%s: DeletionProtectionEnabled is not true", id)
		}
	}
	for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SecretsManager::Secret"} {
		for id, r := range resourcesOf(t, typ) {
			if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain", id, r["DeletionPolicy"], r["UpdateReplacePolicy"])
			}
		}
	}
}

// TestAlarmsCanPublish: every alarm notifies a topic of the template
// that CloudWatch can publish to: none under an AWS-managed key (aws/sns),
// whose policy cannot let CloudWatch use it.
func TestAlarmsCanPublish(t *testing.T) {
	topics := resourcesOf(t, "AWS::SNS::Topic")
	for id, topic := range topics {
		key, _ := props(topic)["KmsMasterKeyId"].(string)
		if strings.HasPrefix(key, "alias/aws/") || strings.Contains(key, ":alias/aws/") {
			t.Errorf("%s: encrypted with the AWS-managed %s: alarms cannot publish to it", id, key)
		}
	}
	for id, alarm := range resourcesOf(t, "AWS::CloudWatch::Alarm") {
		actions, _ := props(alarm)["AlarmActions"].([]any)
		if len(actions) == 0 {
			t.Errorf("%s notifies nobody", id)
		}
		for _, a := range actions {
			if ref, _ := a.(map[string]any)["Ref"].(string); topics[ref] == nil {
				t.Errorf("%s notifies %v, not a topic of the template", id, a)
			}
		}
	}
	// The API's refusals: 4xx from API Gateway's metric, 429 from the
	// access log.
	var on []string
	for _, alarm := range resourcesOf(t, "AWS::CloudWatch::Alarm") {
		on = append(on, func() string { s, _ := props(alarm)["MetricName"].(string); return s }())
	}
	for _, m := range []string{"4xx", "TooManyRequests"} {
		if !slices.Contains(on, m) {
			t.Errorf("no alarm on %s", m)
		}
	}
}

// TestStreamReadScoped: no function has a SAM event that attaches an AWS
// managed execution policy reading every stream or queue in the account.
func TestStreamReadScoped(t *testing.T) {
	for id, fn := range functions(t) {
		evs, _ := fn["Events"].(map[string]any)
		for name, ev := range evs {
			if typ := ev.(map[string]any)["Type"]; typ == "DynamoDB" || typ == "Kinesis" || typ == "SQS" {
				t.Errorf("%s.%s: a SAM %s event attaches AWSLambda%sExecutionRole (Resource \"*\"): use an AWS::Lambda::EventSourceMapping and a scoped statement", id, name, typ, typ)
			}
		}
	}
}

// TestClinicKey: with KmsKeyArn set, every store of lead data, secrets,
// queued messages and logs is under it.
func TestClinicKey(t *testing.T) {
	under := map[string]any{"Fn::If": []any{"HasKmsKey", map[string]any{"Ref": "KmsKeyArn"}, map[string]any{"Ref": "AWS::NoValue"}}}
	for typ, prop := range map[string]string{
		"AWS::Logs::LogGroup":         "KmsKeyId",
		"AWS::SQS::Queue":             "KmsMasterKeyId",
		"AWS::SecretsManager::Secret": "KmsKeyId",
	} {
		for id, r := range resourcesOf(t, typ) {
			if got := props(r)[prop]; !reflect.DeepEqual(got, under) {
				t.Errorf("%s.%s = %v, want %v", id, prop, got, under)
			}
		}
	}
	for id, r := range resourcesOf(t, "AWS::DynamoDB::Table") {
		sse, _ := props(r)["SSESpecification"].(map[string]any)["Fn::If"].([]any)
		if len(sse) != 3 || sse[0] != "HasKmsKey" || !reflect.DeepEqual(sse[1].(map[string]any)["KMSMasterKeyId"], map[string]any{"Ref": "KmsKeyArn"}) {
			t.Errorf("%s: SSESpecification %v is not under KmsKeyArn when it is set", id, props(r)["SSESpecification"])
		}
	}
	if p, _ := raw(t)["Parameters"].(map[string]any)["KmsKeyArn"].(map[string]any); p == nil || p["Default"] != "" {
		t.Errorf("KmsKeyArn: %v, want an optional parameter (default empty)", p)
	} else if re := regexp.MustCompile(p["AllowedPattern"].(string)); !re.MatchString("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab") || re.MatchString("alias/aws/dynamodb") {
		t.Errorf("KmsKeyArn's AllowedPattern %q takes what it should not, or refuses a key ARN", p["AllowedPattern"])
	}
}

// TestEdge: infra/edge.yaml puts WAF's per-client rate rules in front of
// the API (the form's apart), and CloudFront sends the origin secret.
func TestEdge(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.Root(t), "infra", "edge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	acl, dist := m.Resources["WebAcl"], m.Resources["Distribution"]
	if acl.Type != "AWS::WAFv2::WebACL" || acl.Properties["Scope"] != "CLOUDFRONT" {
		t.Fatalf("WebAcl: %s scope %v, want a CloudFront web ACL", acl.Type, acl.Properties["Scope"])
	}
	var form bool
	for _, r := range acl.Properties["Rules"].([]any) {
		rule := r.(map[string]any)
		rate, _ := rule["Statement"].(map[string]any)["RateBasedStatement"].(map[string]any)
		if rate == nil || rate["AggregateKeyType"] != "IP" || rule["Action"].(map[string]any)["Block"] == nil {
			t.Errorf("rule %v: not a per-address rate rule that blocks", rule["Name"])
		}
		if s, _ := json.Marshal(rate["ScopeDownStatement"]); strings.Contains(string(s), `"/leads"`) && strings.Contains(string(s), `"POST"`) {
			form = true
		}
	}
	if !form {
		t.Error("no rate rule of the form's own (POST /leads)")
	}
	cfg := dist.Properties["DistributionConfig"].(map[string]any)
	if !reflect.DeepEqual(cfg["WebACLId"], map[string]any{"Fn::GetAtt": "WebAcl.Arn"}) {
		t.Errorf("the distribution's WebACLId is %v", cfg["WebACLId"])
	}
	origin := cfg["Origins"].([]any)[0].(map[string]any)
	want := []any{map[string]any{"HeaderName": "X-Origin-Verify", "HeaderValue": map[string]any{"Ref": "OriginSecret"}}}
	if !reflect.DeepEqual(origin["OriginCustomHeaders"], want) {
		t.Errorf("origin headers %v, want %v", origin["OriginCustomHeaders"], want)
	}
	// The functions check the header the edge sends (EDGE_ORIGIN_SECRET).
	if !strings.EqualFold(config.EdgeHeader, "X-Origin-Verify") {
		t.Errorf("the functions check %s, the edge sends X-Origin-Verify", config.EdgeHeader)
	}
}

// TestEdgeParameters: the default deploy is as before the edge (the
// execute-api endpoint on, no origin header asked for); EdgeOriginSecret
// reaches the two functions the API invokes, and DisableExecuteApiEndpoint
// turns the endpoint off only when "true".
func TestEdgeParameters(t *testing.T) {
	tpl := raw(t)
	params := tpl["Parameters"].(map[string]any)
	secret, disable := params["EdgeOriginSecret"].(map[string]any), params["DisableExecuteApiEndpoint"].(map[string]any)
	if secret["Default"] != "" || secret["NoEcho"] != true {
		t.Errorf("EdgeOriginSecret: default %v, NoEcho %v; want empty and NoEcho", secret["Default"], secret["NoEcho"])
	}
	if disable["Default"] != "false" {
		t.Errorf("DisableExecuteApiEndpoint defaults to %v, want false", disable["Default"])
	}
	cond := tpl["Conditions"].(map[string]any)["DisablesExecuteApi"]
	if want := map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "DisableExecuteApiEndpoint"}, "true"}}; !reflect.DeepEqual(cond, want) {
		t.Errorf("DisablesExecuteApi is %v, want %v", cond, want)
	}
	api := props(tpl["Resources"].(map[string]any)["HttpApi"].(map[string]any))
	if want := map[string]any{"Fn::If": []any{"DisablesExecuteApi", true, false}}; !reflect.DeepEqual(api["DisableExecuteApiEndpoint"], want) {
		t.Errorf("HttpApi's DisableExecuteApiEndpoint is %v, want %v", api["DisableExecuteApiEndpoint"], want)
	}
	for id, fn := range functions(t) {
		v, set := fn["Environment"].(map[string]any)["Variables"].(map[string]any)["EDGE_ORIGIN_SECRET"]
		if routed := id == "SubmitFunction" || id == "StaffFunction"; routed != set || (set && !reflect.DeepEqual(v, map[string]any{"Ref": "EdgeOriginSecret"})) {
			t.Errorf("%s: EDGE_ORIGIN_SECRET %v (set %v), want EdgeOriginSecret on the API's functions only", id, v, set)
		}
	}
}
