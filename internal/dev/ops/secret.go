package ops

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openclinic/leadhandler/internal/adapter/secrets"
)

// SecretOutput is the stack output naming the link secret (template.yaml).
const SecretOutput = "LinkSecretArn"

// Secrets is the part of the Secrets Manager client make
// rotate-link-secret uses (with ops' own credentials: the functions may
// only read the secret).
type Secrets interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// SecretARN is LINK_SECRET_ARN if set, else the LinkSecretArn output of
// stack in region (region only names it in errors).
func SecretARN(ctx context.Context, getenv func(string) string, cfn CloudFormation, stack, region string) (string, error) {
	if a := strings.TrimSpace(getenv("LINK_SECRET_ARN")); a != "" {
		return a, nil
	}
	return output(ctx, cfn, stack, region, SecretOutput, "LINK_SECRET_ARN to the secret's ARN")
}

// Rotation is what RotateLinkSecret did, by version id.
type Rotation struct {
	// Current is the new version; Previous the one it replaced, which
	// still verifies unless retired; Retired the ones that no longer do
	// (the previous version before, and Previous itself with retire).
	Current, Previous string
	Retired           []string
}

// RotateLinkSecret puts a new random value in the secret at arn: Secrets
// Manager makes it AWSCURRENT, moves AWSPREVIOUS to the version it
// replaces and so takes it off the one before (retired). With retire,
// AWSPREVIOUS is taken off the replaced version too: then only the new
// version verifies.
func RotateLinkSecret(ctx context.Context, api Secrets, arn string, retire bool) (Rotation, error) {
	before, err := stages(ctx, api, arn)
	if err != nil {
		return Rotation{}, err
	}
	value, err := newSecret(rand.Reader)
	if err != nil {
		return Rotation{}, err
	}
	out, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(value)})
	if err != nil {
		return Rotation{}, fmt.Errorf("put a new version of the link secret: %w", err)
	}
	r := Rotation{Current: aws.ToString(out.VersionId), Previous: before[secrets.StageCurrent]}
	if old := before[secrets.StagePrevious]; old != "" {
		r.Retired = append(r.Retired, old)
	}
	if retire && r.Previous != "" {
		if err := removePrevious(ctx, api, arn, r.Previous); err != nil {
			return r, fmt.Errorf("version %s is current, but the one it replaced still verifies (run make retire-link-secret): %w", r.Current, err)
		}
		r.Retired = append(r.Retired, r.Previous)
		r.Previous = ""
	}
	return r, nil
}

// RetirePrevious takes AWSPREVIOUS off the version holding it, so that
// what it signed stops working; it returns that version, "" if none had it.
func RetirePrevious(ctx context.Context, api Secrets, arn string) (string, error) {
	st, err := stages(ctx, api, arn)
	if err != nil {
		return "", err
	}
	prev := st[secrets.StagePrevious]
	if prev == "" {
		return "", nil
	}
	return prev, removePrevious(ctx, api, arn, prev)
}

func removePrevious(ctx context.Context, api Secrets, arn, version string) error {
	_, err := api.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(arn), VersionStage: aws.String(secrets.StagePrevious), RemoveFromVersionId: aws.String(version),
	})
	if err != nil {
		return fmt.Errorf("retire version %s of the link secret: %w", version, err)
	}
	return nil
}

// stages maps AWSCURRENT and AWSPREVIOUS to the versions holding them.
func stages(ctx context.Context, api Secrets, arn string) (map[string]string, error) {
	d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("describe the link secret %s: %w", arn, err)
	}
	m := map[string]string{}
	for id, stages := range d.VersionIdsToStages {
		for _, s := range stages {
			m[s] = id
		}
	}
	if m[secrets.StageCurrent] == "" {
		return nil, errors.New("the link secret has no AWSCURRENT version")
	}
	return m, nil
}

// newSecret is 64 random letters and digits (about 381 bits), the shape
// of the secret the template generates.
func newSecret(random io.Reader) (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, 64)
	buf := make([]byte, 64)
	for len(out) < cap(out) {
		if _, err := io.ReadFull(random, buf); err != nil {
			return "", fmt.Errorf("make a new link secret: %w", err)
		}
		for _, b := range buf {
			// 248 is the largest multiple of 62 in a byte: no letter is likelier.
			if b < 248 && len(out) < cap(out) {
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out), nil
}
