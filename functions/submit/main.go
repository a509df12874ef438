// Command submit is the Lambda behind POST /leads.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/logging"
	"github.com/openclinic/leadhandler/internal/submit"
)

func main() {
	log := logging.New(os.Stdout, os.Getenv)
	h, err := setup(context.Background(), log)
	if err != nil {
		log.Error("cold start failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, log *slog.Logger) (*submit.Handler, error) {
	cfg, err := config.LoadSubmit(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	store := ddb.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	return submit.New(cfg, store, log, time.Now)
}
