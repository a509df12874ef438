package mailevents

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

// Clients are the AWS clients the function uses, and its clock; each optional one is
// used only when the variable its comment names is set (the rule in
// internal/fn/coldstart).
type Clients struct {
	DynamoDB ddb.API
	// EventBridge puts lead events on LEAD_EVENTS_BUS. On with
	// LEAD_EVENTS_BUS.
	EventBridge bus.API
	// Secrets reads the link secret LINK_SECRET_ARN names, for the staff
	// link a bounced alert's text carries. On with STAFF_SMS and
	// LINK_SECRET_ARN.
	Secrets secrets.API
	// SMS texts a bounced or rejected alert to STAFF_SMS. On with
	// STAFF_SMS.
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
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), EventBridge: eventbridge.NewFromConfig(cfg),
		Secrets: secretsmanager.NewFromConfig(cfg), SMS: pinpointsmsvoicev2.NewFromConfig(cfg), Metrics: os.Stdout, Now: time.Now}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	if c.Now == nil {
		return nil, errors.New("no clock: Clients.Now is nil")
	}
	cfg, err := config.LoadMailEvents(getenv)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.MetricNamespace != "" && c.Metrics == nil:
		return nil, fmt.Errorf("METRIC_NAMESPACE: no writer for its metric lines")
	case cfg.EventBus != "" && c.EventBridge == nil:
		return nil, fmt.Errorf("LEAD_EVENTS_BUS: no EventBridge client to put events with")
	case len(cfg.StaffSMS) > 0 && c.SMS == nil:
		return nil, fmt.Errorf("STAFF_SMS: no End User Messaging SMS client to text it with")
	}
	store := ddb.New(c.DynamoDB, cfg.Table)
	h := New(store, log)
	h.metrics = metric.New(c.Metrics, cfg.MetricNamespace, c.Now) // without a namespace it writes nothing
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
	return h.WithSMS(cfg, sms.New(c.SMS, cfg.StaffSMS, log).WithOrigin(cfg.SMSOrigin), store, signer, c.Now), nil
}
