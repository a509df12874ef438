package mailevents

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/secrets"
	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
)

// Clients are the AWS clients the function uses.
type Clients struct {
	DynamoDB ddb.API
	// EventBridge puts lead events on LEAD_EVENTS_BUS; unused (and may be
	// nil) without it.
	EventBridge bus.API
	// Secrets reads LINK_SECRET_ARN and SMS texts a bounced alert; both
	// unused (and may be nil) without STAFF_SMS.
	Secrets secrets.API
	SMS     sms.API
	// Metrics takes the EMF lines (internal/adapter/metric), which CloudWatch Logs
	// reads from Lambda's stdout; nil: stdout.
	Metrics io.Writer
}

// ClientsFrom builds the function's clients from the SDK's configuration,
// as its cold start does.
func ClientsFrom(cfg aws.Config) Clients {
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), EventBridge: eventbridge.NewFromConfig(cfg),
		Secrets: secretsmanager.NewFromConfig(cfg), SMS: pinpointsmsvoicev2.NewFromConfig(cfg)}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	cfg, err := config.LoadMailEvents(getenv)
	if err != nil {
		return nil, err
	}
	store := ddb.New(c.DynamoDB, cfg.Table)
	h := New(store, log)
	h.metrics = metric.New(c.Metrics, cfg.MetricNamespace, time.Now)
	if cfg.EventBus != "" {
		h.WithEvents(bus.New(c.EventBridge, cfg.EventBus, log))
	}
	if len(cfg.StaffSMS) == 0 {
		return h, nil // no link secret to read: nothing to sign
	}
	signer, err := secrets.LoadSigner(ctx, getenv, c.Secrets)
	if err != nil {
		return nil, err
	}
	return h.WithSMS(cfg, sms.New(c.SMS, cfg.StaffSMS, log), store, signer, time.Now), nil
}
