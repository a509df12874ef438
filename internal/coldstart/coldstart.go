// Package coldstart is what every function's main does: load the AWS
// configuration once, build the handler from the environment, and hand it
// to the Lambda runtime. A failure is logged once and ends the cold start,
// so Lambda reports an init error naming what is wrong.
package coldstart

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openclinic/leadhandler/internal/logging"
)

// FromEnv builds a function's handler, as each function's package does.
type FromEnv[H any] func(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (H, error)

// Start builds the handler with fromEnv and serves handle(h) to Lambda.
func Start[H any](fromEnv FromEnv[H], handle func(H) any) {
	ctx := context.Background()
	log := logging.New(os.Stdout, os.Getenv)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("cold start failed: load AWS configuration", "err", err)
		os.Exit(1)
	}
	h, err := fromEnv(ctx, os.Getenv, awsCfg, log)
	if err != nil {
		log.Error("cold start failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(handle(h))
}
