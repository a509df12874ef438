package notify

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
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"golang.org/x/time/rate"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
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
	// EventBridge puts lead events on LEAD_EVENTS_BUS. On with
	// LEAD_EVENTS_BUS.
	EventBridge bus.API
	// Scheduler sets the response guard's schedules. On with
	// NUDGE_TARGET_ARN.
	Scheduler nudges.API
	// SMS texts the alert to STAFF_SMS, and patients back (PATIENT_SMS).
	// On with STAFF_SMS or PATIENT_SMS on or all.
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
		EventBridge: eventbridge.NewFromConfig(cfg), Scheduler: scheduler.NewFromConfig(cfg),
		SMS: pinpointsmsvoicev2.NewFromConfig(cfg), Metrics: os.Stdout, Now: time.Now}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	if c.Now == nil {
		return nil, errors.New("no clock: Clients.Now is nil")
	}
	cfg, err := config.LoadNotify(getenv)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.MetricNamespace != "" && c.Metrics == nil:
		return nil, fmt.Errorf("METRIC_NAMESPACE: no writer for its metric lines")
	case cfg.EventBus != "" && c.EventBridge == nil:
		return nil, fmt.Errorf("LEAD_EVENTS_BUS: no EventBridge client to put events with")
	case cfg.Guard.TargetARN != "" && c.Scheduler == nil:
		return nil, fmt.Errorf("NUDGE_TARGET_ARN: no EventBridge Scheduler client to set schedules with")
	case len(cfg.StaffSMS) > 0 && c.SMS == nil:
		return nil, fmt.Errorf("STAFF_SMS: no End User Messaging SMS client to text it with")
	case cfg.PatientSMS != config.PatientSMSOff && c.SMS == nil:
		return nil, fmt.Errorf("PATIENT_SMS: no End User Messaging SMS client to text patients with")
	}
	signer, err := secrets.LoadSigner(ctx, getenv, c.Secrets)
	if err != nil {
		return nil, err
	}
	send := sesmail.New(c.SES).WithConfigurationSet(cfg.ConfigurationSet)
	var sender Sender = send
	if cfg.SendRate > 0 { // SES_MAX_SEND_RATE: on unless 0, with SES's own client
		sender = sesmail.Paced{Sender: send, Rate: rate.NewLimiter(rate.Limit(cfg.SendRate), max(1, int(cfg.SendRate)))}
	}
	h := New(cfg, ddb.New(c.DynamoDB, cfg.Table), sender, signer, log, c.Now)
	h.metrics = metric.New(c.Metrics, cfg.MetricNamespace, c.Now) // without a namespace it writes nothing
	if cfg.EventBus != "" {
		h.events = bus.New(c.EventBridge, cfg.EventBus, log)
	}
	if g := cfg.Guard; g.TargetARN != "" {
		h.WithGuard(nudges.New(c.Scheduler, nudges.Settings{Hours: g.Hours, SLA: g.SLA, TargetARN: g.TargetARN, RoleARN: g.RoleARN, Group: g.Group, Keys: signer}))
	}
	if len(cfg.StaffSMS) > 0 {
		h.WithSMS(sms.New(c.SMS, cfg.StaffSMS, log).WithOrigin(cfg.SMSOrigin))
	}
	if cfg.PatientSMS != config.PatientSMSOff {
		h.WithPatientTexts(sms.ToOne(c.SMS, log).WithOrigin(cfg.SMSOrigin))
	}
	return h, nil
}
