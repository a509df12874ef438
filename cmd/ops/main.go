// Command ops is make audit, make staff-signout, make rotate-link-secret
// and make retire-link-secret: with the AWS credentials and region of the
// environment, it finds the stack's leads table (LEADS_TABLE, else the
// LeadsTableName output of STACK) or link secret (LINK_SECRET_ARN, else
// the LinkSecretArn output) and prints an audit trail, ends one staff
// member's sessions and every link session, rotates or retires the secret
// (retiring ends the link sessions too), or prints or exports the clinic's
// figures, exports or erases one patient's data, or indexes the requests
// stored before 1.1 by their contacts (with LOCAL=1, on make dev's
// embedded table). The commands are in internal/dev/ops.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/adapter/secrets"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/patient"
)

func main() {
	env := ops.Env{
		Getenv:     os.Getenv,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Now:        time.Now,
		Open:       open,
		OpenSecret: openSecret,
		Settings:   settings,
		Reach:      reach,
	}
	// LOCAL=1: make dev's embedded table, and the clinic settings it runs
	// with (unless the environment sets its own), instead of the stack's.
	if v := os.Getenv("LOCAL"); v == "1" || v == "yes" || v == "true" {
		local, err := ops.Local(env, ops.LocalDir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ops:", err)
			os.Exit(ops.ExitUsage)
		}
		env = local
	}
	os.Exit(ops.Run(context.Background(), os.Args[1:], env))
}

// awsConfig is the AWS configuration of the environment, with its region
// and credentials checked, and the stack's name.
func awsConfig(ctx context.Context) (aws.Config, string, error) {
	// The SDK's own warnings (such as its IMDSv1 fallback) would only bury
	// the tool's errors.
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithLogger(logging.Nop{}))
	if err != nil {
		return aws.Config{}, "", fmt.Errorf("read the AWS configuration: %w", err)
	}
	if err := ops.Usable(ctx, cfg); err != nil {
		return aws.Config{}, "", err
	}
	stack, err := ops.StackName(os.Getenv, ops.SAMConfig)
	return cfg, stack, err
}

// open builds the AWS clients and the store on the stack's table.
func open(ctx context.Context) (ops.Store, error) {
	cfg, stack, err := awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	table, err := ops.Table(ctx, os.Getenv, cloudformation.NewFromConfig(cfg), stack, cfg.Region)
	if err != nil {
		return nil, err
	}
	return ddb.New(dynamodb.NewFromConfig(cfg), table), nil
}

// reach reads the stack's link secret (every version held) for the
// patient's contact keys, and builds the guard that deletes response-guard
// schedules in the stack's group (NUDGE_GROUP, else the template's
// "<stack>-nudges"); the actor is the caller's AWS identity.
func reach(ctx context.Context) (ops.Reach, error) {
	cfg, stack, err := awsConfig(ctx)
	if err != nil {
		return ops.Reach{}, err
	}
	arn, err := ops.SecretARN(ctx, os.Getenv, cloudformation.NewFromConfig(cfg), stack, cfg.Region)
	if err != nil {
		return ops.Reach{}, err
	}
	signer, err := secrets.LoadSigner(ctx, func(k string) string {
		if k == "LINK_SECRET_ARN" {
			return arn
		}
		return ""
	}, secretsmanager.NewFromConfig(cfg))
	if err != nil {
		return ops.Reach{}, err
	}
	r := ops.Reach{Keys: signer.Keys(patient.Purpose),
		Guard: nudges.New(scheduler.NewFromConfig(cfg), nudges.Settings{Group: ops.NudgeGroup(os.Getenv, stack), Keys: signer})}
	if id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		r.Actor = aws.ToString(id.Arn)
	}
	return r, nil
}

// settings are the stack's TimeZone and OpeningHours, which make report
// and make export count in unless TIME_ZONE and OPENING_HOURS say otherwise.
func settings(ctx context.Context) (map[string]string, error) {
	cfg, stack, err := awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return ops.StackSettings(ctx, cloudformation.NewFromConfig(cfg), stack, cfg.Region)
}

// openSecret finds the stack's link secret and the client to rotate it.
func openSecret(ctx context.Context) (ops.Secrets, string, error) {
	cfg, stack, err := awsConfig(ctx)
	if err != nil {
		return nil, "", err
	}
	arn, err := ops.SecretARN(ctx, os.Getenv, cloudformation.NewFromConfig(cfg), stack, cfg.Region)
	if err != nil {
		return nil, "", err
	}
	return secretsmanager.NewFromConfig(cfg), arn, nil
}
