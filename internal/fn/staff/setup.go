package staff

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/adapter/secrets"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
)

// Clients are the AWS clients the function uses.
type Clients struct {
	DynamoDB ddb.API
	// SES sends the sign-in codes.
	SES sesmail.API
	// Secrets reads LINK_SECRET_ARN; unused (and may be nil) with LINK_SECRET.
	Secrets secrets.API
	// Scheduler deletes a lead's response-guard schedule at its first
	// attempt; nil: none deleted.
	Scheduler nudges.API
	// EventBridge puts lead events on LEAD_EVENTS_BUS; unused (and may be
	// nil) without it.
	EventBridge bus.API
	// Metrics takes the EMF lines (internal/adapter/metric), which CloudWatch Logs
	// reads from Lambda's stdout; nil: stdout.
	Metrics io.Writer
}

// ClientsFrom builds the function's clients from the SDK's configuration,
// as its cold start does.
func ClientsFrom(cfg aws.Config) Clients {
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), SES: sesv2.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg), Scheduler: scheduler.NewFromConfig(cfg),
		EventBridge: eventbridge.NewFromConfig(cfg)}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	cfg, err := config.LoadStaff(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := secrets.LoadSigner(ctx, getenv, c.Secrets)
	if err != nil {
		return nil, err
	}
	h := New(cfg, ddb.New(c.DynamoDB, cfg.Table), sesmail.New(c.SES).WithConfigurationSet(cfg.ConfigurationSet), signer, log, time.Now)
	h.metrics = metric.New(c.Metrics, cfg.MetricNamespace, time.Now)
	if c.Scheduler != nil {
		h.WithGuard(nudges.New(c.Scheduler, nudges.Settings{}))
	}
	if cfg.EventBus != "" {
		h.WithEvents(bus.New(c.EventBridge, cfg.EventBus, log))
	}
	return h, nil
}
