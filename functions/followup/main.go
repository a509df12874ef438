// Command followup is the daily Lambda that emails the clinic the leads
// nobody has marked contacted.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // TIME_ZONE must load on any runtime image

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/followup"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/logging"
	"github.com/openclinic/leadhandler/internal/sesmail"
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

func setup(ctx context.Context, log *slog.Logger) (*followup.Handler, error) {
	cfg, err := config.LoadFollowUp(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	signer, err := link.LoadSigner(ctx, os.Getenv, func() link.SecretsAPI { return secretsmanager.NewFromConfig(awsCfg) })
	if err != nil {
		return nil, err
	}
	store := ddb.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	sender := sesmail.New(sesv2.NewFromConfig(awsCfg))
	return followup.New(cfg, store, sender, signer, log, time.Now), nil
}
