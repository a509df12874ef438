package coldstart

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig is the configuration config.LoadDefaultConfig would load in
// Lambda, read from the only place Lambda puts it: the environment (region,
// the execution role's credentials, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE>, AWS_MAX_ATTEMPTS, AWS_RETRY_MODE). It does not
// link the loader, whose shared-file, SSO, STS and IMDS providers a Lambda
// never uses (about 2 MB and 0.6 ms of init). Tools run with a person's
// credentials keep the loader.
func AWSConfig(getenv func(string) string) (aws.Config, error) {
	env := lambdaEnv(getenv)
	cfg := aws.Config{
		Region:        getenv("AWS_REGION"),
		ConfigSources: []any{env},
	}
	if cfg.Region == "" {
		cfg.Region = getenv("AWS_DEFAULT_REGION")
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("no region: AWS_REGION is not set")
	}
	id, secret := first(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), first(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set")
	}
	cfg.Credentials = aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: aws.Credentials{
		AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"),
		AccountID: getenv("AWS_ACCOUNT_ID"), Source: "EnvConfigCredentials", // the loader's name for them
	}})
	// The loader's order: the global endpoint is the base, a service's own
	// variable overrides it in the client (through ConfigSources), and
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS switches both off.
	if u := getenv("AWS_ENDPOINT_URL"); u != "" && !env.ignore {
		cfg.BaseEndpoint = aws.String(u)
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return aws.Config{}, fmt.Errorf("AWS_MAX_ATTEMPTS=%q: %w", v, err)
		}
		cfg.RetryMaxAttempts = n
	}
	if v := getenv("AWS_RETRY_MODE"); v != "" {
		m, err := aws.ParseRetryMode(v)
		if err != nil {
			return aws.Config{}, fmt.Errorf("AWS_RETRY_MODE: %w", err)
		}
		cfg.RetryMode = m
	}
	return cfg, nil
}

func first(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// envSource answers the questions each SDK client asks its ConfigSources
// when it resolves its endpoint, as the loader's EnvConfig does.
type envSource struct {
	getenv func(string) string
	ignore bool
}

func lambdaEnv(getenv func(string) string) envSource {
	ignore, _ := strconv.ParseBool(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
	return envSource{getenv: getenv, ignore: ignore}
}

// GetIgnoreConfiguredEndpoints is AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (e envSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return e.ignore, e.ignore, nil
}

// GetServiceBaseEndpoint is AWS_ENDPOINT_URL_<SERVICE>, the service's SDK
// id upper-cased with spaces as underscores ("Secrets Manager":
// AWS_ENDPOINT_URL_SECRETS_MANAGER, "DynamoDB Streams":
// AWS_ENDPOINT_URL_DYNAMODB_STREAMS).
func (e envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := e.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}
