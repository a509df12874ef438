package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/secrets"
	"github.com/openclinic/leadhandler/internal/adapter/turnstile"
	"github.com/openclinic/leadhandler/internal/config"
)

// Clients are the AWS clients the function uses, and its clock; each optional one is
// used only when the variable its comment names is set (the rule in
// internal/fn/coldstart).
type Clients struct {
	DynamoDB ddb.API
	// Secrets reads the Turnstile secret key TURNSTILE_SECRET_ARN names.
	// On with TURNSTILE_SECRET_ARN.
	Secrets secrets.API
	// Metrics takes the EMF lines (internal/adapter/metric): on Lambda,
	// stdout, which CloudWatch Logs reads. On with METRIC_NAMESPACE.
	Metrics io.Writer
	// Now is the clock the function reads: time.Now on Lambda; make dev
	// passes its runner's, which POST /_local/clock moves.
	Now func() time.Time
}

// ClientsFrom builds every client of the function from the SDK's
// configuration, as its cold start does.
func ClientsFrom(cfg aws.Config) Clients {
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg), Metrics: os.Stdout, Now: time.Now}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	if c.Now == nil {
		return nil, errors.New("no clock: Clients.Now is nil")
	}
	cfg, err := config.LoadSubmit(getenv)
	if err != nil {
		return nil, err
	}
	if cfg.MetricNamespace != "" && c.Metrics == nil {
		return nil, fmt.Errorf("METRIC_NAMESPACE: no writer for its metric lines")
	}
	verifier, err := turnstileVerifier(ctx, cfg, c.Secrets, c.Now)
	if err != nil {
		return nil, err
	}
	h, err := New(cfg, ddb.New(c.DynamoDB, cfg.Table), verifier, log, c.Now)
	if err != nil || cfg.MetricNamespace == "" {
		return h, err
	}
	return h.WithMetrics(c.Metrics), nil
}

// turnstileVerifier checks Turnstile tokens with the secret key: the
// Secrets Manager secret TURNSTILE_SECRET_ARN names (on AWS, so the key is
// in no function's environment), read at cold start and again while the
// function runs (secrets.Secret); else TURNSTILE_SECRET (locally), fixed. It
// is nil, for no check, with neither.
func turnstileVerifier(ctx context.Context, cfg config.Submit, api secrets.API, now func() time.Time) (Verifier, error) {
	if cfg.TurnstileSecretARN == "" {
		if cfg.TurnstileSecret == "" {
			return nil, nil
		}
		return turnstile.New(cfg.TurnstileSecret, cfg.AllowedOrigins), nil
	}
	if api == nil {
		return nil, fmt.Errorf("TURNSTILE_SECRET_ARN: no Secrets Manager client to read it with")
	}
	secret, err := secrets.Read(ctx, api, cfg.TurnstileSecretARN, now)
	if err != nil {
		return nil, fmt.Errorf("TURNSTILE_SECRET_ARN: %w", err)
	}
	return &storedVerifier{Secret: secret, check: *turnstile.New("", cfg.AllowedOrigins)}, nil
}

// storedVerifier checks tokens with the Turnstile secret as last read from
// Secrets Manager; the handler has it read again (rereader).
type storedVerifier struct {
	*secrets.Secret
	// check is the verifier without its secret: each check sets it.
	check turnstile.Verifier
}

func (v *storedVerifier) Verify(ctx context.Context, token, remoteIP string) error {
	c := v.check
	c.Secret = v.Value()
	return c.Verify(ctx, token, remoteIP)
}
