package staff

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
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/adapter/secrets"
	"github.com/openclinic/leadhandler/internal/config"
)

// Clients are the AWS clients the function uses, and its clock; each optional one is
// used only when the variable its comment names is set (the rule in
// internal/fn/coldstart).
type Clients struct {
	DynamoDB ddb.API
	// Secrets reads the link secret LINK_SECRET_ARN names. On with
	// LINK_SECRET_ARN.
	Secrets secrets.API
	// Scheduler deletes a lead's response-guard schedule at its first
	// attempt. Always used: no variable switches it (FromEnv says why).
	Scheduler nudges.API
	// EventBridge puts lead events on LEAD_EVENTS_BUS. On with
	// LEAD_EVENTS_BUS.
	EventBridge bus.API
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
	return Clients{DynamoDB: dynamodb.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg), Scheduler: scheduler.NewFromConfig(cfg),
		EventBridge: eventbridge.NewFromConfig(cfg), Metrics: os.Stdout, Now: time.Now}
}

// FromEnv builds the handler from its environment and clients: the
// function's composition root, shared by its cold start and make dev.
//
// The response guard's deletes are always on, whatever notify does: the
// guard's switch, NUDGE_TARGET_ARN, names the follow-up function, which
// staff cannot be given (FollowUpFunction names the HTTP API, whose routes
// name StaffFunction: a CloudFormation cycle); a schedule armed before the
// guard was turned off still wants deleting; and one never armed is
// deleted as success.
func FromEnv(ctx context.Context, getenv func(string) string, c Clients, log *slog.Logger) (*Handler, error) {
	if c.Now == nil {
		return nil, errors.New("no clock: Clients.Now is nil")
	}
	cfg, err := config.LoadStaff(getenv)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Scheduler == nil: // once "off"; now said at cold start, not at a first attempt
		return nil, fmt.Errorf("no EventBridge Scheduler client to delete response-guard schedules with: staff always deletes them")
	case cfg.MetricNamespace != "" && c.Metrics == nil:
		return nil, fmt.Errorf("METRIC_NAMESPACE: no writer for its metric lines")
	case cfg.EventBus != "" && c.EventBridge == nil:
		return nil, fmt.Errorf("LEAD_EVENTS_BUS: no EventBridge client to put events with")
	}
	signer, err := secrets.LoadSigner(ctx, getenv, c.Secrets)
	if err != nil {
		return nil, err
	}
	// pendingStore: until issue 30's store part merges (pending.go).
	h := New(cfg, pendingStore{ddb.New(c.DynamoDB, cfg.Table)}, signer, log, c.Now)
	h.metrics = metric.New(c.Metrics, cfg.MetricNamespace, c.Now) // without a namespace it writes nothing
	h.WithGuard(nudges.New(c.Scheduler, nudges.Settings{Group: cfg.NudgeGroup, Keys: signer}))
	if cfg.EventBus != "" {
		h.WithEvents(bus.New(c.EventBridge, cfg.EventBus, log))
	}
	return h, nil
}
