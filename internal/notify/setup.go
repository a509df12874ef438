package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"golang.org/x/time/rate"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/ddb"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/sesmail"
)

// FromEnv builds the handler as the function's cold start does: its
// configuration from getenv, its AWS clients from awsCfg (built once).
func FromEnv(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (*Handler, error) {
	cfg, err := config.LoadNotify(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := link.LoadSigner(ctx, getenv, awsCfg)
	if err != nil {
		return nil, err
	}
	send := sesmail.New(sesv2.NewFromConfig(awsCfg))
	var sender Sender = send
	if cfg.SendRate > 0 {
		sender = sesmail.Paced{Sender: send, Rate: rate.NewLimiter(rate.Limit(cfg.SendRate), max(1, int(cfg.SendRate)))}
	}
	return New(cfg, ddb.New(dynamodb.NewFromConfig(awsCfg), cfg.Table), sender, signer, log, time.Now), nil
}
