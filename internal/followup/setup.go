package followup

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/sesmail"
)

// FromEnv builds the handler as the function's cold start does: its
// configuration from getenv, its AWS clients from awsCfg (built once).
func FromEnv(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (*Handler, error) {
	cfg, err := config.LoadFollowUp(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := link.LoadSigner(ctx, getenv, awsCfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, ddb.New(dynamodb.NewFromConfig(awsCfg), cfg.Table), sesmail.New(sesv2.NewFromConfig(awsCfg)), signer, log, time.Now), nil
}
