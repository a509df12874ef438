package followup

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/secrets"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
)

// Clients are the AWS clients the function uses.
type Clients struct {
	DynamoDB ddb.API
	SES      sesmail.API
	// Secrets reads LINK_SECRET_ARN; unused (and may be nil) with LINK_SECRET.
	Secrets secrets.API
	// SMS texts the nudge to STAFF_SMS; unused (and may be nil) without it.
	SMS sms.API
	// Metrics takes the EMF lines (internal/adapter/metric), which CloudWatch Logs
	// reads from Lambda's stdout; nil: stdout.
	Metrics io.Writer
}

// ClientsFrom builds the function's clients from the SDK's configuration,
// as its cold start does.
func ClientsFrom(cfg aws.Config) Clients {
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), SES: sesv2.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg),
		SMS: pinpointsmsvoicev2.NewFromConfig(cfg)}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	cfg, err := config.LoadFollowUp(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := secrets.LoadSigner(ctx, getenv, c.Secrets)
	if err != nil {
		return nil, err
	}
	h := New(cfg, ddb.New(c.DynamoDB, cfg.Table), sesmail.New(c.SES).WithConfigurationSet(cfg.ConfigurationSet), signer, log, time.Now)
	h.metrics = metric.New(c.Metrics, cfg.MetricNamespace, time.Now)
	return h.WithSMS(sms.New(c.SMS, cfg.StaffSMS, log)), nil
}
