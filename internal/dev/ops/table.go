package ops

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// CloudFormation is the part of the CloudFormation client that finds the
// stack's table.
type CloudFormation interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// TableOutput is the stack output naming the leads table (template.yaml).
const TableOutput = "LeadsTableName"

// DefaultStack is the stack's name when neither STACK nor the SAM config
// names one: infra/samconfig.toml's own.
const DefaultStack = "appointment-leads"

// SAMConfig is where make deploy keeps the stack's name, relative to the
// repository's root (where make runs the tool).
const SAMConfig = "infra/samconfig.toml"

// credentialsTimeout bounds finding credentials (the instance metadata
// service, an SSO cache): offline, the tool fails in seconds.
const credentialsTimeout = 5 * time.Second

// Usable checks that cfg has a region and credentials; the error says what
// to set.
func Usable(ctx context.Context, cfg aws.Config) error {
	if cfg.Region == "" {
		return errors.New("no AWS region: set AWS_REGION to the stack's region (make audit AWS_REGION=us-east-1), or AWS_PROFILE to a profile with a region")
	}
	credCtx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	if cfg.Credentials == nil {
		return errors.New(noCredentials)
	}
	if _, err := cfg.Credentials.Retrieve(credCtx); err != nil {
		return errors.New(noCredentials)
	}
	return nil
}

const noCredentials = "no AWS credentials: run `aws configure` or `aws sso login`, set AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (make aws-check says what is missing)"

// Table is LEADS_TABLE if set, else the LeadsTableName output of stack in
// region (region only names it in errors).
func Table(ctx context.Context, getenv func(string) string, cfn CloudFormation, stack, region string) (string, error) {
	if t := strings.TrimSpace(getenv("LEADS_TABLE")); t != "" {
		return t, nil
	}
	return output(ctx, cfn, stack, region, TableOutput, "LEADS_TABLE to the table's name")
}

// StackSettings are the clinic settings make report and make export count
// in, from the stack's parameters, as the follow-up function has them:
// TIME_ZONE (TimeZone) and OPENING_HOURS (OpeningHours), where set.
func StackSettings(ctx context.Context, cfn CloudFormation, stack, region string) (map[string]string, error) {
	out, err := describe(ctx, cfn, stack, region, "TIME_ZONE and OPENING_HOURS")
	if err != nil {
		return nil, err
	}
	names := map[string]string{"TimeZone": "TIME_ZONE", "OpeningHours": "OPENING_HOURS"}
	settings := map[string]string{}
	for _, s := range out.Stacks {
		for _, p := range s.Parameters {
			if env, ok := names[aws.ToString(p.ParameterKey)]; ok {
				settings[env] = aws.ToString(p.ParameterValue)
			}
		}
	}
	return settings, nil
}

// describe describes stack; instead names the variables that would do
// without it, for the errors.
func describe(ctx context.Context, cfn CloudFormation, stack, region, instead string) (*cloudformation.DescribeStacksOutput, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return nil, fmt.Errorf("no stack %q in %s: set STACK to the stack's name, AWS_REGION to its region, or %s", stack, region, instead)
	}
	if err != nil {
		return nil, fmt.Errorf("describe stack %s in %s (or set %s): %w", stack, region, instead, err)
	}
	return out, nil
}

// output is the value of stack's output key; instead names the variable
// that would do without it, for the errors.
func output(ctx context.Context, cfn CloudFormation, stack, region, key, instead string) (string, error) {
	out, err := describe(ctx, cfn, stack, region, instead)
	if err != nil {
		return "", err
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if aws.ToString(o.OutputKey) == key && aws.ToString(o.OutputValue) != "" {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	return "", fmt.Errorf("stack %q in %s has no %s output (not this project's stack, not deployed yet, or deployed before the output was added): set STACK to the stack make deploy made, or %s", stack, region, key, instead)
}

// StackName is STACK if set, else the stack_name of the SAM config at path
// (its deploy section's over its global one, as sam deploy reads it), else
// DefaultStack.
func StackName(getenv func(string) string, path string) (string, error) {
	if s := strings.TrimSpace(getenv("STACK")); s != "" {
		return s, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return DefaultStack, nil
	}
	if err != nil {
		return "", fmt.Errorf("read the stack's name (or set STACK): %w", err)
	}
	defer f.Close()
	name, err := samStackName(f)
	if err != nil {
		return "", fmt.Errorf("read the stack's name from %s (or set STACK): %w", path, err)
	}
	if name == "" {
		return DefaultStack, nil
	}
	return name, nil
}

// samStackName finds stack_name in a samconfig.toml's default environment:
// [default.deploy.parameters] over [default.global.parameters]. It reads
// only the simple `key = "value"` lines SAM writes.
func samStackName(r io.Reader) (string, error) {
	var section, global, deploy string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] ")
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) != "stack_name" {
			continue
		}
		v, err := strconv.Unquote(strings.TrimSpace(value))
		if err != nil {
			continue
		}
		switch section {
		case "default.global.parameters":
			global = v
		case "default.deploy.parameters":
			deploy = v
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if deploy != "" {
		return deploy, nil
	}
	return global, nil
}
