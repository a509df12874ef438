package ops_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// fakeCFN answers DescribeStacks with describe.
type fakeCFN struct {
	describe func(stack string) (*cloudformation.DescribeStacksOutput, error)
	asked    []string
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.asked = append(f.asked, aws.ToString(in.StackName))
	return f.describe(aws.ToString(in.StackName))
}

// stackWith is a stack whose outputs are kv's pairs.
func stackWith(kv ...string) *cloudformation.DescribeStacksOutput {
	s := cfntypes.Stack{StackName: aws.String("appointment-leads")}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Outputs = append(s.Outputs, cfntypes.Output{OutputKey: aws.String(kv[i]), OutputValue: aws.String(kv[i+1])})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{s}}
}

func TestTable(t *testing.T) {
	notFound := &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id clinic-a does not exist"}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		answer   *cloudformation.DescribeStacksOutput
		err      error
		want     string
		wantErr  []string
		wantAsks int
	}{
		{name: "LEADS_TABLE wins", env: map[string]string{"LEADS_TABLE": " my-table "}, answer: stackWith(ops.TableOutput, "from-stack"), want: "my-table"},
		{name: "the stack's output", answer: stackWith("ApiUrl", "https://x", ops.TableOutput, "clinic-a-LeadsTable-1X2Y", "AlarmTopicArn", "arn:x"), want: "clinic-a-LeadsTable-1X2Y", wantAsks: 1},
		{name: "output missing", answer: stackWith("ApiUrl", "https://x"), wantErr: []string{`"clinic-a"`, "eu-west-1", "LeadsTableName", "STACK", "LEADS_TABLE"}, wantAsks: 1},
		{name: "output empty", answer: stackWith(ops.TableOutput, ""), wantErr: []string{"LeadsTableName", "LEADS_TABLE"}, wantAsks: 1},
		{name: "no stacks at all", answer: &cloudformation.DescribeStacksOutput{}, wantErr: []string{"LeadsTableName", "STACK"}, wantAsks: 1},
		{name: "stack not found", err: notFound, wantErr: []string{`no stack "clinic-a" in eu-west-1`, "STACK", "AWS_REGION", "LEADS_TABLE"}, wantAsks: 1},
		{name: "access denied", err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}, wantErr: []string{"describe stack clinic-a", "AccessDenied", "LEADS_TABLE"}, wantAsks: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfn := &fakeCFN{describe: func(string) (*cloudformation.DescribeStacksOutput, error) { return tc.answer, tc.err }}
			got, err := ops.Table(context.Background(), func(k string) string { return tc.env[k] }, cfn, "clinic-a", "eu-west-1")
			if len(cfn.asked) != tc.wantAsks || (tc.wantAsks > 0 && cfn.asked[0] != "clinic-a") {
				t.Errorf("asked CloudFormation about %q, want %d asks about clinic-a", cfn.asked, tc.wantAsks)
			}
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("Table = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Table = %q, want an error", got)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestUsable(t *testing.T) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}, nil
	})
	none := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})
	for _, tc := range []struct {
		name    string
		cfg     aws.Config
		wantErr []string
	}{
		{"ok", aws.Config{Region: "eu-west-1", Credentials: creds}, nil},
		{"no region", aws.Config{Credentials: creds}, []string{"no AWS region", "AWS_REGION"}},
		{"no credentials", aws.Config{Region: "eu-west-1", Credentials: none}, []string{"no AWS credentials", "aws configure", "AWS_PROFILE"}},
		{"no provider", aws.Config{Region: "eu-west-1"}, []string{"no AWS credentials"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ops.Usable(context.Background(), tc.cfg)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Usable = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Usable = nil, want an error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestStackName(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	global := write("global.toml", "version = 0.1\n[default.global.parameters]\nstack_name = \"clinic-a\"\n[default.deploy.parameters]\ncapabilities = \"CAPABILITY_IAM\"\n")
	guided := write("guided.toml", "version = 0.1\n[default.deploy.parameters]\nstack_name = \"clinic-b\"\nregion = \"eu-west-1\"\n[default.global.parameters]\nstack_name = \"clinic-a\"\n")
	other := write("other.toml", "version = 0.1\n[staging.deploy.parameters]\nstack_name = \"clinic-staging\"\n")
	for _, tc := range []struct {
		name, stack, path, want string
	}{
		{"STACK wins", "mine", global, "mine"},
		{"the global section", "", global, "clinic-a"},
		{"the deploy section over the global one", "", guided, "clinic-b"},
		{"another environment's is not ours", "", other, ops.DefaultStack},
		{"no config", "", filepath.Join(dir, "missing.toml"), ops.DefaultStack},
		{"the repository's own", "", filepath.Join(testenv.Root(t), ops.SAMConfig), "appointment-leads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ops.StackName(func(k string) string { return map[string]string{"STACK": tc.stack}[k] }, tc.path)
			if err != nil || got != tc.want {
				t.Errorf("StackName = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestStackSettings(t *testing.T) {
	stack := stackWith(ops.TableOutput, "leads")
	stack.Stacks[0].Parameters = []cfntypes.Parameter{
		{ParameterKey: aws.String("TimeZone"), ParameterValue: aws.String("America/Chicago")},
		{ParameterKey: aws.String("OpeningHours"), ParameterValue: aws.String("Mon-Fri 07:00-19:00")},
		{ParameterKey: aws.String("ClinicEmail"), ParameterValue: aws.String("frontdesk@example-clinic.com")},
	}
	cfn := &fakeCFN{describe: func(string) (*cloudformation.DescribeStacksOutput, error) { return stack, nil }}
	got, err := ops.StackSettings(context.Background(), cfn, "appointment-leads", "us-east-1")
	want := map[string]string{"TIME_ZONE": "America/Chicago", "OPENING_HOURS": "Mon-Fri 07:00-19:00"}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("StackSettings = %v, %v; want %v", got, err, want)
	}
	missing := &fakeCFN{describe: func(string) (*cloudformation.DescribeStacksOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id clinic-a does not exist"}
	}}
	if _, err := ops.StackSettings(context.Background(), missing, "clinic-a", "us-east-1"); err == nil || !strings.Contains(err.Error(), "TIME_ZONE and OPENING_HOURS") {
		t.Errorf("no stack: %v, want an error naming TIME_ZONE and OPENING_HOURS", err)
	}
}
