// Package coldstart is what every function's main does: read the AWS
// configuration from the Lambda environment once, build the function's AWS clients from it, build the
// handler from the environment and those clients, and hand it to the Lambda
// runtime. A failure is logged once and ends the cold start, so Lambda
// reports an init error naming what is wrong.
//
// The functions' optional parts (the link secret read from Secrets Manager,
// texts, the response guard, lead events, metric lines, Turnstile, ...)
// follow one rule, in every FromEnv: the environment decides whether a part
// is on, never whether its client was passed. The mains pass every client
// (each ClientsFrom builds them all); a part the environment turns on whose
// client is nil fails FromEnv with an error naming the variable
// ("LEAD_EVENTS_BUS: no EventBridge client to put events with"); a part it
// leaves off never uses its client, which may then be nil. Each Clients
// field's comment ends with the variable that turns it on ("On with
// STAFF_SMS."); a field without one is always used. The clock is one of
// them (Clients.Now: time.Now in the mains, make dev's moved clock in the
// local runner), so every function reads the same time.
package coldstart

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/openclinic/leadhandler/internal/logging"
	"github.com/openclinic/leadhandler/internal/version"
)

// FromEnv builds a function's handler from its environment and its AWS
// clients C, as each function's package does; the local runner calls the
// same function with clients of its own.
type FromEnv[C, H any] func(ctx context.Context, getenv func(string) string, clients C, log *slog.Logger) (H, error)

// Start builds the function's clients with clientsFrom, its handler with
// fromEnv, and serves handle(h) to Lambda.
func Start[C, H any](clientsFrom func(aws.Config) C, fromEnv FromEnv[C, H], handle func(H) any) {
	ctx := context.Background()
	log := logging.New(os.Stdout, os.Getenv)
	// Which release this is, once a cold start (CloudWatch Logs Insights:
	// filter msg = "cold start" | stats count() by version).
	log.Info("cold start", "version", version.Version)
	awsCfg, err := AWSConfig(os.Getenv)
	if err != nil {
		log.Error("cold start failed: load AWS configuration", "err", err)
		os.Exit(1)
	}
	h, err := fromEnv(ctx, os.Getenv, clientsFrom(awsCfg), log)
	if err != nil {
		log.Error("cold start failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(handle(h))
}
