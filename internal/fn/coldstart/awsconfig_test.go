package coldstart

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/google/go-cmp/cmp"
)

// resolved is what a configuration means to the functions' clients: the
// endpoint each one calls, its region, credentials and retries.
type resolved struct {
	Endpoints   map[string]string
	Region      string
	Credentials aws.Credentials
	MaxAttempts int
	RetryMode   aws.RetryMode
}

func resolve(t *testing.T, cfg aws.Config) resolved {
	t.Helper()
	ep := func(p *string) string {
		if p == nil {
			return "(default)"
		}
		return *p
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return resolved{
		Endpoints: map[string]string{
			"dynamodb":           ep(dynamodb.NewFromConfig(cfg).Options().BaseEndpoint),
			"dynamodbstreams":    ep(dynamodbstreams.NewFromConfig(cfg).Options().BaseEndpoint),
			"sesv2":              ep(sesv2.NewFromConfig(cfg).Options().BaseEndpoint),
			"secretsmanager":     ep(secretsmanager.NewFromConfig(cfg).Options().BaseEndpoint),
			"eventbridge":        ep(eventbridge.NewFromConfig(cfg).Options().BaseEndpoint),
			"scheduler":          ep(scheduler.NewFromConfig(cfg).Options().BaseEndpoint),
			"pinpointsmsvoicev2": ep(pinpointsmsvoicev2.NewFromConfig(cfg).Options().BaseEndpoint),
		},
		Region: cfg.Region, Credentials: creds, MaxAttempts: cfg.RetryMaxAttempts, RetryMode: cfg.RetryMode,
	}
}

// TestAWSConfigAsTheLoader: in a Lambda environment, every client the
// functions build calls the endpoint, in the region, with the credentials
// and retries config.LoadDefaultConfig would give it.
func TestAWSConfigAsTheLoader(t *testing.T) {
	lambda := map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"no endpoints", nil},
		{"one per service", map[string]string{
			"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": "http://127.0.0.1:2",
			"AWS_ENDPOINT_URL_SESV2": "http://127.0.0.1:3", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:4",
			"AWS_ENDPOINT_URL_EVENTBRIDGE": "http://127.0.0.1:5", "AWS_ENDPOINT_URL_SCHEDULER": "http://127.0.0.1:6",
			"AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": "http://127.0.0.1:7",
		}},
		{"global, one service its own", map[string]string{
			"AWS_ENDPOINT_URL": "http://127.0.0.1:8", "AWS_ENDPOINT_URL_SESV2": "http://127.0.0.1:3",
		}},
		{"ignored", map[string]string{
			"AWS_ENDPOINT_URL": "http://127.0.0.1:8", "AWS_ENDPOINT_URL_SESV2": "http://127.0.0.1:3",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
		}},
		{"default region, old names, account, retries", map[string]string{
			"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "", "AWS_ACCESS_KEY": "AKIDOLD",
			"AWS_SECRET_ACCESS_KEY": "", "AWS_SECRET_KEY": "old", "AWS_ACCOUNT_ID": "123456789012",
			"AWS_MAX_ATTEMPTS": "5", "AWS_RETRY_MODE": "adaptive",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Nothing of this machine's own setup reaches either.
			for _, k := range []string{"AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
				"AWS_ACCOUNT_ID", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			t.Setenv("AWS_CONFIG_FILE", os.DevNull)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
			for k, v := range lambda {
				t.Setenv(k, v)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
				if v == "" {
					os.Unsetenv(k)
				}
			}
			loaded, err := awsconfig.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := resolve(t, loaded)
			cfg, err := AWSConfig(os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			got := resolve(t, cfg)
			if d := cmp.Diff(got, want); d != "" {
				t.Errorf("AWSConfig against the loader (-got +want):\n%s", d)
			}
		})
	}
}

// TestAWSConfigNamesWhatIsMissing: without a region or credentials the cold
// start fails naming the variable, as the loader's first call would not.
func TestAWSConfigNamesWhatIsMissing(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "AWS_REGION"},
		{map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a"}, "AWS_SECRET_ACCESS_KEY"},
		{map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_MAX_ATTEMPTS": "many"}, "AWS_MAX_ATTEMPTS"},
	} {
		_, err := AWSConfig(func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AWSConfig(%v) = %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}
