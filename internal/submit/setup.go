package submit

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
)

// FromEnv builds the handler as the function's cold start does: its
// configuration from getenv, its AWS clients from awsCfg (built once).
func FromEnv(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (*Handler, error) {
	cfg, err := config.LoadSubmit(getenv)
	if err != nil {
		return nil, err
	}
	return New(cfg, ddb.New(dynamodb.NewFromConfig(awsCfg), cfg.Table), log, time.Now)
}
