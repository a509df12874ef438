// Command followup is the daily Lambda that emails the clinic the leads
// nobody has marked contacted.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // TIME_ZONE must load on any runtime image

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openclinic/leadhandler/internal/followup"
	"github.com/openclinic/leadhandler/internal/logging"
)

func main() {
	ctx := context.Background()
	log := logging.New(os.Stdout, os.Getenv)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("cold start failed: load AWS configuration", "err", err)
		os.Exit(1)
	}
	h, err := followup.FromEnv(ctx, os.Getenv, awsCfg, log)
	if err != nil {
		log.Error("cold start failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
