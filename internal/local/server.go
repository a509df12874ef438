// Package local is the local runner behind make dev: the Lambdas' own
// handlers behind one HTTP server, an in-process DynamoDB (minidyn) with a
// stream that feeds notify, an outbox instead of SES, and the follow-up on
// demand. Nothing here reimplements what a function does; it only plays the
// parts of API Gateway, DynamoDB Streams, EventBridge Scheduler and SES.
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/truora/minidyn/server"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/followup"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/notify"
	"github.com/openclinic/leadhandler/internal/outbox"
	"github.com/openclinic/leadhandler/internal/stack"
	"github.com/openclinic/leadhandler/internal/staff"
	"github.com/openclinic/leadhandler/internal/submit"
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
	// Log receives every function's log lines.
	Log *slog.Logger
}

// Server is a running local stack.
type Server struct {
	http.Handler
	// Outbox holds every email the functions sent.
	Outbox *outbox.Outbox
	// Table says where leads are: the embedded DynamoDB, or an endpoint.
	Table string

	db       *dynamodb.Client
	table    string
	submit   *submit.Handler
	staff    *staff.Handler
	followup *followup.Handler
	stream   *stream
	clinic   demo
	close    func()
}

// demo is what the demo page shows of the configuration.
type demo struct {
	Name, Phone, ConsentVersion string
}

// New starts the local stack; Close stops it.
func New(ctx context.Context, o Options) (*Server, error) {
	getenv := demoEnv(o.BaseURL, o.Getenv)
	s := &Server{Outbox: &outbox.Outbox{Dir: filepath.Join(o.Dir, "outbox")}, close: func() {}}

	// Loading the SDK's configuration reads files and variables only: it
	// works with no AWS account at all.
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	db, where, closeDB, err := openTable(ctx, awsCfg, o.Template, getenv)
	if err != nil {
		return nil, err
	}
	s.close, s.Table, s.db = closeDB, where, db

	subCfg, err := config.LoadSubmit(getenv)
	if err != nil {
		return nil, s.fail(err)
	}
	notifyCfg, err := config.LoadNotify(getenv)
	if err != nil {
		return nil, s.fail(err)
	}
	followCfg, err := config.LoadFollowUp(getenv)
	if err != nil {
		return nil, s.fail(err)
	}
	staffCfg, err := config.LoadStaff(getenv)
	if err != nil {
		return nil, s.fail(err)
	}
	signer, err := link.LoadSigner(ctx, getenv, awsCfg)
	if err != nil {
		return nil, s.fail(err)
	}

	s.table = subCfg.Table
	store := ddb.New(db, subCfg.Table)
	note := notify.New(notifyCfg, store, s.Outbox, signer, o.Log.With("function", "notify"), time.Now)
	s.stream = &stream{deliver: note.Handle, log: o.Log.With("function", "stream")}
	streamed := ddb.New(streamingDB{API: db, stream: s.stream}, subCfg.Table)
	if s.submit, err = submit.New(subCfg, streamed, o.Log.With("function", "submit"), time.Now); err != nil {
		return nil, s.fail(err)
	}
	s.staff = staff.New(staffCfg, store, signer, o.Log.With("function", "staff"), time.Now)
	s.followup = followup.New(followCfg, store, s.Outbox, signer, o.Log.With("function", "followup"), time.Now)
	s.clinic = demo{Name: notifyCfg.ClinicName, Phone: notifyCfg.ClinicPhone, ConsentVersion: subCfg.ConsentVersion}
	s.Handler = s.routes()
	return s, nil
}

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
		// So the digest has something to list a few seconds after a request.
		"FOLLOW_UP_AFTER": "10s",
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
func openTable(ctx context.Context, awsCfg aws.Config, templatePath string, getenv func(string) string) (*dynamodb.Client, string, func(), error) {
	tpl, err := stack.Load(templatePath)
	if err != nil {
		return nil, "", nil, err
	}
	table, err := stack.TableInput(tpl, stack.TableLogicalID, getenv("LEADS_TABLE"))
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
