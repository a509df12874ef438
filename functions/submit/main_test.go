package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestBootstrapUnderRIE runs the real bootstrap under the Lambda Runtime
// Interface Emulator against moto's DynamoDB, configured only through its
// environment, as on AWS.
func TestBootstrapUnderRIE(t *testing.T) {
	endpoint := testenv.Moto(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	testenv.CreateTable(t, db, "leads")
	bootstrap := testenv.Bootstrap(t, "./functions/submit")

	env := testenv.Env(endpoint)
	env["LEADS_TABLE"] = "leads"
	env["ALLOWED_ORIGINS"] = "https://www.example-clinic.com"
	env["RATE_LIMIT_SALT"] = "test-salt"
	env["AWS_LAMBDA_LOG_LEVEL"] = "DEBUG"
	fn := testenv.RIE(t, bootstrap, env)

	valid := `{"submissionId":"6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f","name":"山田 太郎","phone":"+81 3-1234-5678",` +
		`"email":"taro.yamada@example.jp","preferredContact":"email","reason":"Neck pain after a fall","consent":true,"elapsedMs":7000}`
	invalid := `{"name":"Eve\r\nBcc: all@example.com","email":"eve@example.com","consent":true}`

	res := invoke(t, fn, valid)
	if res.StatusCode != 201 || !strings.Contains(res.Body, "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f") {
		t.Fatalf("valid lead: %d %s\nlogs:\n%s", res.StatusCode, res.Body, fn.Logs())
	}
	res = invoke(t, fn, invalid)
	if res.StatusCode != 400 || !strings.Contains(res.Body, `"name"`) {
		t.Fatalf("invalid lead: %d %s", res.StatusCode, res.Body)
	}

	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("leads")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, item := range out.Items {
		if n, ok := item["name"].(*types.AttributeValueMemberS); ok {
			names = append(names, n.Value)
		}
	}
	if len(names) != 1 || names[0] != "山田 太郎" {
		t.Errorf("stored lead names %q, want only the valid one", names)
	}

	logs := fn.Stop()
	if !strings.Contains(logs, `"leadId":"6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f","status":201,"outcome":"stored"`) ||
		!strings.Contains(logs, `"outcome":"invalid"`) {
		t.Errorf("the function did not log its outcomes:\n%s", logs)
	}
	for _, p := range []string{"山田", "太郎", "81312345678", "1234-5678", "taro.yamada", "Neck pain", "Eve", "all@example.com"} {
		if strings.Contains(logs, p) {
			t.Errorf("personal data %q in the logs:\n%s", p, logs)
		}
	}
}

// TestColdStartNamesMissingVariables: a misconfigured function fails at
// init with an error that names what is missing.
func TestColdStartNamesMissingVariables(t *testing.T) {
	fn := testenv.RIE(t, testenv.Bootstrap(t, "./functions/submit"), map[string]string{
		"LEADS_TABLE": "", "ALLOWED_ORIGINS": "", "RATE_LIMIT": "lots",
	})
	if status, body := testenv.InvokeRaw(t, fn, []byte(`{}`)); status == 200 {
		t.Errorf("a misconfigured function answered: %s", body)
	}
	logs := fn.Stop()
	for _, name := range []string{"LEADS_TABLE", "ALLOWED_ORIGINS", "RATE_LIMIT"} {
		if !strings.Contains(logs, name) {
			t.Errorf("cold start error does not name %s:\n%s", name, logs)
		}
	}
}

func invoke(t *testing.T, fn *testenv.Lambda, body string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := testenv.HTTPEvent(t, "application/json", body)
	event, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(fn.Invoke(t, event), &res); err != nil {
		t.Fatal(err)
	}
	return res
}
