// Command awscheck is the first step of make deploy and make delete: before
// anything is installed or built, it checks that the AWS SDK finds a region
// and credentials and that AWS accepts them, and says in plain words what is
// missing. It exits 0 when AWS knows the caller, 1 otherwise.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// timeout bounds each step that may go over the network (the instance
// metadata service, STS): offline, the check fails in seconds.
const timeout = 5 * time.Second

func main() {
	id, problems := check(context.Background(), timeout)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		os.Exit(1)
	}
	fmt.Println(id)
}

// identity is who STS says the caller is.
type identity struct {
	Account, Region, ARN string
}

func (id identity) String() string {
	return fmt.Sprintf("AWS account %s, region %s, as %s", id.Account, id.Region, id.ARN)
}

const (
	noRegion      = "No AWS region: set AWS_REGION (export AWS_REGION=us-east-1, the stack's region), or set AWS_PROFILE to a profile that has a region."
	noCredentials = "No AWS credentials: run `aws configure`, set AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
)

// check loads the AWS configuration as the SDK does (environment first, then
// the profile in ~/.aws) and asks STS whose it is. problems says, a sentence
// each, what is missing; none of them holds a key or token.
func check(ctx context.Context, timeout time.Duration) (id identity, problems []string) {
	// The SDK's own warnings (such as its IMDSv1 fallback) would only bury
	// the sentences below.
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithLogger(logging.Nop{}))
	if err != nil {
		var missing awsconfig.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return id, []string{fmt.Sprintf("No AWS profile %q: AWS_PROFILE names a profile that is in neither ~/.aws/config nor ~/.aws/credentials (`aws configure --profile %s` makes it).", missing.Profile, missing.Profile)}
		}
		return id, []string{"The AWS configuration cannot be read: " + err.Error()}
	}
	if cfg.Region == "" {
		problems = append(problems, noRegion)
	}
	credCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(credCtx)
	if err != nil {
		problems = append(problems, credentialsProblem(cfg))
	}
	if len(problems) > 0 {
		return id, problems
	}

	stsCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// One attempt: retries' backoff would outlast the timeout and hide why
	// the first attempt failed; make deploy is cheap to run again.
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Retryer = aws.NopRetryer{} })
	out, err := client.GetCallerIdentity(stsCtx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return id, []string{stsProblem(err, creds.Source, cfg.Region, timeout)}
	}
	return identity{Account: aws.ToString(out.Account), Region: cfg.Region, ARN: aws.ToString(out.Arn)}, nil
}

// credentialsProblem says why the configuration gave no credentials: an SSO
// profile whose login has run out needs another login, not new keys.
func credentialsProblem(cfg aws.Config) string {
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(awsconfig.SharedConfig); ok && (sc.SSOSessionName != "" || sc.SSOStartURL != "") {
			return fmt.Sprintf("No AWS credentials: the SSO login of profile %q has expired or was never made: run `aws sso login --profile %s`.", sc.Profile, sc.Profile)
		}
	}
	return noCredentials
}

// stsProblem says why STS did not answer who the caller is. An error from
// AWS is told by its code alone; its message may quote the request.
func stsProblem(err error, source, region string, timeout time.Duration) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("AWS did not accept the credentials (from %s): %s", source, apiErr.ErrorCode())
	}
	why := err.Error()
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		why = "no answer within " + timeout.String()
	case errors.As(err, &opErr):
		why = opErr.Error()
	}
	return fmt.Sprintf("AWS STS in %s could not be reached (%s): check the network connection.", region, strings.TrimSpace(why))
}
