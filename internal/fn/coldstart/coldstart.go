// Package coldstart is what every function's main does: read the AWS
// configuration from the Lambda environment once, build the function's AWS clients from it, build the
// handler from the environment and those clients, and hand it to the Lambda
// runtime. A failure is logged once and ends the cold start, so Lambda
// reports an init error naming what is wrong.
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
