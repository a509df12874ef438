package link

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsAPI is the part of the Secrets Manager client LoadSecret uses.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// LoadSecret reads the link secret once, at cold start: from the Secrets
// Manager secret LINK_SECRET_ARN names (on AWS), through api, else from
// LINK_SECRET (locally and in tests), when api is not called and may be nil.
func LoadSecret(ctx context.Context, getenv func(string) string, api SecretsAPI) ([]byte, error) {
	if arn := getenv("LINK_SECRET_ARN"); arn != "" {
		if api == nil {
			return nil, fmt.Errorf("LINK_SECRET_ARN: no Secrets Manager client to read it with")
		}
		out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("LINK_SECRET_ARN: read the secret: %w", err)
		}
		s := aws.ToString(out.SecretString)
		if len(s) < MinSecret {
			return nil, fmt.Errorf("LINK_SECRET_ARN: the secret holds %d bytes, want at least %d", len(s), MinSecret)
		}
		return []byte(s), nil
	}
	s := getenv("LINK_SECRET")
	if s == "" {
		return nil, fmt.Errorf("LINK_SECRET_ARN or LINK_SECRET: one is required")
	}
	if len(s) < MinSecret {
		return nil, fmt.Errorf("LINK_SECRET: %d bytes, want at least %d", len(s), MinSecret)
	}
	return []byte(s), nil
}

// LoadSigner reads the link secret (LoadSecret) and returns its signer.
func LoadSigner(ctx context.Context, getenv func(string) string, api SecretsAPI) (*Signer, error) {
	secret, err := LoadSecret(ctx, getenv, api)
	if err != nil {
		return nil, err
	}
	return NewSigner(secret)
}
