// Package local is the local runner behind make dev: each function built by
// its own composition root (the FromEnv its Lambda's cold start calls) with
// clients of the runner's, behind one HTTP server. The runner only plays the
// parts AWS plays: API Gateway (requests to events, and the CORS of the
// template's HTTP API), DynamoDB (minidyn in
// process, or the endpoint AWS_ENDPOINT_URL_DYNAMODB names) with a stream
// that feeds notify, EventBridge Scheduler (the follow-up on demand, on the
// runner's clock, which every function reads) and SES
// (an outbox behind the SES v2 API, so mail goes through the functions' own
// SES sender).
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/truora/minidyn/server"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/outbox"
	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/fn/followup"
	"github.com/openclinic/leadhandler/internal/fn/mailevents"
	"github.com/openclinic/leadhandler/internal/fn/notify"
	"github.com/openclinic/leadhandler/internal/fn/staff"
	"github.com/openclinic/leadhandler/internal/fn/submit"
)

// Options set up a local server.
type Options struct {
	// BaseURL is where the server is reached, such as http://127.0.0.1:3000.
	BaseURL string
	// Dir holds what the server writes: outbox/*.eml.
	Dir string
	// Template is the path of template.yaml, whose table is created.
	Template string
	// Getenv reads the environment; a variable it sets overrides the demo's.
	Getenv func(string) string
	// AWS is the SDK's configuration, used only for what the environment
	// points at AWS or an emulator: DynamoDB when AWS_ENDPOINT_URL_DYNAMODB
	// is set, Secrets Manager when LINK_SECRET_ARN is.
	AWS aws.Config
	// Log receives every function's log lines.
	Log *slog.Logger
	// Metrics receives every function's EMF lines (on AWS, stdout, which
	// CloudWatch Logs reads); nil: they are dropped.
	Metrics io.Writer
	// Start is where the runner's clock starts, the one every function
	// reads (POST /_local/clock moves it on); zero: the wall clock.
	Start time.Time
}

// Server is a running local stack.
type Server struct {
	http.Handler
	// Outbox holds every email the functions sent.
	Outbox *outbox.Outbox
	// Texts holds every text to STAFF_SMS (End User Messaging SMS's stand-in).
	Texts *sms.Memory
	// Table says where leads are: the embedded DynamoDB, or an endpoint.
	Table string

	db       *dynamodb.Client
	table    string
	submit   *submit.Handler
	staff    *staff.Handler
	followup *followup.Handler
	// mailevents takes the SES events /_local/mail-event makes up.
	mailevents *mailevents.Handler
	stream     *stream
	sched      *schedules // EventBridge Scheduler's response-guard schedules
	bus        *leadBus   // the LeadEvents bus
	cors       cors
	hosts      map[string]bool // the Host headers it answers (ownHosts)
	getenv     func(string) string
	// local is what make report LOCAL=1 reads of make dev, kept in
	// localDir: rewritten when the clock moves. Nil: not kept.
	local    *ops.LocalTable
	localDir string
	// runs counts follow-up runs from the page; lastRun is what the last said.
	runsMu  sync.Mutex
	runs    int
	lastRun string
	close   func()
}

// New starts the local stack; Close stops it.
func New(ctx context.Context, o Options) (*Server, error) {
	getenv := demoEnv(o.BaseURL, o.Getenv)
	s := &Server{Outbox: &outbox.Outbox{Dir: filepath.Join(o.Dir, "outbox")}, Texts: &sms.Memory{}, getenv: getenv, close: func() {}}
	hosts, err := ownHosts(o.BaseURL)
	if err != nil {
		return nil, err
	}
	s.hosts = hosts
	// The template as deployed with the runner's ALLOWED_ORIGINS as its
	// AllowedOrigins, which sets both the API's CORS and submit's variable.
	var origins []any
	for origin := range strings.SplitSeq(getenv("ALLOWED_ORIGINS"), ",") {
		if origin = strings.TrimSpace(origin); origin != "" {
			origins = append(origins, origin)
		}
	}
	tpl, err := samtemplate.LoadWith(o.Template, map[string]any{"AllowedOrigins": origins})
	if err != nil {
		return nil, err
	}
	if s.cors.CORS, s.cors.enabled, err = samtemplate.CORSConfig(tpl, samtemplate.HTTPAPILogicalID); err != nil {
		return nil, err
	}
	db, where, closeDB, err := openTable(ctx, o.AWS, tpl, getenv)
	if err != nil {
		return nil, err
	}
	s.close, s.Table, s.db, s.table = closeDB, where, db, getenv("LEADS_TABLE")
	if getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" && o.Dir != "" {
		// make report LOCAL=1 and make export LOCAL=1 read the embedded
		// table through this file, which lasts as long as the server.
		s.local = &ops.LocalTable{Endpoint: aws.ToString(db.Options().BaseEndpoint), Table: s.table,
			TimeZone: getenv("TIME_ZONE"), OpeningHours: getenv("OPENING_HOURS")}
		if getenv("LINK_SECRET_ARN") == "" { // make erase LOCAL=1 finds contacts with it
			s.local.LinkSecret = getenv("LINK_SECRET")
		}
		if !o.Start.IsZero() {
			s.local.ClockOffset = time.Until(o.Start)
		}
		s.localDir = o.Dir
		if err := ops.WriteLocal(o.Dir, *s.local); err != nil {
			return nil, s.fail(fmt.Errorf("record the embedded table for make report: %w", err))
		}
		closeTable := closeDB
		s.close = func() { os.Remove(filepath.Join(o.Dir, ops.LocalFile)); closeTable() }
	}
	secrets := secretsmanager.NewFromConfig(o.AWS)
	// The stack's schedule group, as the template's NudgeScheduleGroup.
	s.sched = &schedules{groups: []string{getenv("NUDGE_GROUP")}, log: o.Log.With("function", "scheduler")}
	if s.local != nil {
		s.sched.offset = s.local.ClockOffset
	} else if !o.Start.IsZero() {
		s.sched.offset = time.Until(o.Start)
	}
	s.bus = &leadBus{name: getenv("LEAD_EVENTS_BUS")}

	// Each function as its cold start builds it, with the runner's clients
	// and clock (so a page, the digest and the figures all see the time
	// POST /_local/clock moved on to) and, as the template gives each, a
	// metric namespace of its own.
	clock := s.sched.now
	metrics := o.Metrics
	if metrics == nil {
		metrics = io.Discard
	}
	note, err := notify.FromEnv(ctx, namespaced(getenv, "notify"), notify.Clients{DynamoDB: db, SES: s.Outbox, Secrets: secrets, Scheduler: s.sched, EventBridge: s.bus, SMS: s.Texts, Metrics: metrics, Now: clock}, o.Log.With("function", "notify"))
	if err != nil {
		return nil, s.fail(err)
	}
	// The stream's filters, as the template gives Lambda them.
	patterns, err := samtemplate.StreamFilters(tpl, samtemplate.StreamLogicalID)
	if err != nil {
		return nil, s.fail(err)
	}
	streamFilters, err := parseFilters(patterns)
	if err != nil {
		return nil, s.fail(err)
	}
	s.stream = &stream{deliver: note.Handle, filters: streamFilters, log: o.Log.With("function", "stream")}
	if s.submit, err = submit.FromEnv(ctx, namespaced(getenv, "submit"), submit.Clients{DynamoDB: streamingDB{API: db, stream: s.stream}, Metrics: metrics, Now: clock}, o.Log.With("function", "submit")); err != nil {
		return nil, s.fail(err)
	}
	// Staff write leads too (a held request released): the stream sees them.
	if s.staff, err = staff.FromEnv(ctx, namespaced(getenv, "staff"), staff.Clients{DynamoDB: streamingDB{API: db, stream: s.stream}, Secrets: secrets, Scheduler: s.sched, EventBridge: s.bus, Metrics: metrics, Now: clock}, o.Log.With("function", "staff")); err != nil {
		return nil, s.fail(err)
	}
	if s.followup, err = followup.FromEnv(ctx, namespaced(getenv, "followup"), followup.Clients{DynamoDB: db, SES: s.Outbox, Secrets: secrets, SMS: s.Texts, Metrics: metrics, Now: clock}, o.Log.With("function", "followup")); err != nil {
		return nil, s.fail(err)
	}
	if s.mailevents, err = mailevents.FromEnv(ctx, namespaced(getenv, "mailevents"), mailevents.Clients{DynamoDB: db, EventBridge: s.bus, Secrets: secrets, SMS: s.Texts, Metrics: metrics, Now: clock}, o.Log.With("function", "mailevents")); err != nil {
		return nil, s.fail(err)
	}
	s.sched.deliver = s.followup.Handle // the schedules' target, NUDGE_TARGET_ARN
	stop := make(chan struct{})
	go s.sched.run(scheduleTick, stop)
	closeDB = s.close
	s.close = func() { close(stop); closeDB() }
	s.Handler = s.routes()
	return s, nil
}

// scheduleTick is how often make dev looks for due schedules on its own.
const scheduleTick = 5 * time.Second

func (s *Server) fail(err error) error {
	s.close()
	return err
}

// Close stops the embedded DynamoDB, after the stream's last deliveries.
func (s *Server) Close() {
	if s.stream != nil {
		s.stream.wait()
	}
	s.close()
}

// namespaced is getenv with the function's own METRIC_NAMESPACE, as the
// template sets it (${AWS::StackName}/submit, ...): local/submit, unless
// the environment names another stack (METRIC_NAMESPACE=clinic: clinic/submit).
func namespaced(getenv func(string) string, function string) func(string) string {
	return func(k string) string {
		if k != "METRIC_NAMESPACE" {
			return getenv(k)
		}
		stack := getenv(k)
		if stack == "" {
			stack = "local"
		}
		return stack + "/" + function
	}
}

// demoEnv overlays the demo's settings with the real environment's.
func demoEnv(base string, getenv func(string) string) func(string) string {
	defaults := map[string]string{
		"LEADS_TABLE":     "leads",
		"ALLOWED_ORIGINS": base + "," + strings.Replace(base, "127.0.0.1", "localhost", 1),
		"RATE_LIMIT":      "30/1h",
		"RATE_LIMIT_SALT": randomHex(16),
		"CLINIC_NAME":     "Relief Physical Therapy (demo)",
		"CLINIC_EMAIL":    "frontdesk@example.com",
		"SENDER_EMAIL":    "alerts@example.com",
		"CLINIC_PHONE":    "(555) 010-0100",
		"TIME_ZONE":       "America/New_York",
		"PUBLIC_BASE_URL": base,
		"LINK_SECRET":     randomHex(32),
		// Every email names it, as on AWS; /_local/mail-event's events carry it.
		"SES_CONFIGURATION_SET": "local",
		// So the digest has something to list a few seconds after a request.
		"FOLLOW_UP_AFTER": "10s",
		// The response guard's schedules, kept by the runner's scheduler.
		"NUDGE_TARGET_ARN": "arn:aws:lambda:us-east-1:000000000000:function:followup",
		"NUDGE_ROLE_ARN":   "arn:aws:iam::000000000000:role/nudge-scheduler",
		"NUDGE_GROUP":      "local-nudges", // ${AWS::StackName}-nudges, for the stack "local"
		// Lead events, kept by the runner's bus for GET /_local/events.
		"LEAD_EVENTS_BUS": "local",
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return defaults[k]
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// openTable returns a client on the leads table: the endpoint
// AWS_ENDPOINT_URL_DYNAMODB names (moto, or real AWS with its usual
// configuration), else minidyn in process, served over loopback HTTP to the
// real SDK client. The table is created from the template if missing.
func openTable(ctx context.Context, awsCfg aws.Config, tpl *cloudformation.Template, getenv func(string) string) (*dynamodb.Client, string, func(), error) {
	table, err := samtemplate.TableInput(tpl, samtemplate.TableLogicalID, getenv("LEADS_TABLE"))
	if err != nil {
		return nil, "", nil, err
	}
	var db *dynamodb.Client
	where, closeDB := "", func() {}
	if endpoint := getenv("AWS_ENDPOINT_URL_DYNAMODB"); endpoint != "" {
		db, where = dynamodb.NewFromConfig(awsCfg), endpoint
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", nil, fmt.Errorf("embedded DynamoDB: %w", err)
		}
		srv := &http.Server{Handler: server.NewServer(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(l)
		closeDB = func() { srv.Close() }
		where = "embedded (minidyn, in memory)"
		db = dynamodb.New(dynamodb.Options{
			Region: "us-east-1", BaseEndpoint: aws.String("http://" + l.Addr().String()),
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		})
		table.Create.StreamSpecification = nil // minidyn has no streams: the local stream stands in
	}
	if _, err := db.CreateTable(ctx, table.Create); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			closeDB()
			return nil, "", nil, fmt.Errorf("create table %s: %w", getenv("LEADS_TABLE"), err)
		}
	}
	return db, where, closeDB, nil
}
