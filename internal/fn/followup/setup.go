package followup

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

// Clients are the AWS clients the function uses, and its clock; each optional one is
// used only when the variable its comment names is set (the rule in
// internal/fn/coldstart).
type Clients struct {
	DynamoDB ddb.API
	SES      sesmail.API
	// Secrets reads the link secret LINK_SECRET_ARN names. On with
	// LINK_SECRET_ARN.
	Secrets secrets.API
	// SMS texts the nudge to STAFF_SMS. On with STAFF_SMS.
	SMS sms.API
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
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), SES: sesv2.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg),
		SMS: pinpointsmsvoicev2.NewFromConfig(cfg), Metrics: os.Stdout, Now: time.Now}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	if c.Now == nil {
		return nil, errors.New("no clock: Clients.Now is nil")
	}
	cfg, err := config.LoadFollowUp(getenv)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.MetricNamespace != "" && c.Metrics == nil:
		return nil, fmt.Errorf("METRIC_NAMESPACE: no writer for its metric lines")
	case len(cfg.StaffSMS) > 0 && c.SMS == nil:
		return nil, fmt.Errorf("STAFF_SMS: no End User Messaging SMS client to text it with")
	}
	signer, err := secrets.LoadSigner(ctx, getenv, c.Secrets)
	if err != nil {
		return nil, err
	}
	h := New(cfg, ddb.New(c.DynamoDB, cfg.Table), sesmail.New(c.SES).WithConfigurationSet(cfg.ConfigurationSet), signer, log, c.Now)
	h.metrics = metric.New(c.Metrics, cfg.MetricNamespace, c.Now) // without a namespace it writes nothing
	if len(cfg.StaffSMS) > 0 {
		h.WithSMS(sms.New(c.SMS, cfg.StaffSMS, log).WithOrigin(cfg.SMSOrigin))
	}
	return h, nil
}
