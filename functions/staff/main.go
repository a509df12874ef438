// Command staff is the Lambda behind the staff links: GET /leads/{id} and
// POST /leads/{id}/contacted.
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

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/logging"
	"github.com/openclinic/leadhandler/internal/staff"
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

func setup(ctx context.Context, log *slog.Logger) (*staff.Handler, error) {
	cfg, err := config.LoadStaff(os.Getenv)
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
	return staff.New(cfg, ddb.New(dynamodb.NewFromConfig(awsCfg), cfg.Table), signer, log, time.Now), nil
}
