package ops

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/patient"
)

// LocalDir is make dev's folder, relative to the repository's root.
const LocalDir = ".local"

// OpenLocal opens the store on make dev's embedded table, as recorded in
// dir: the loopback endpoint it serves, with the placeholder credentials
// it takes.
func OpenLocal(dir string) (*ddb.Store, LocalTable, error) {
	t, err := ReadLocal(dir)
	if err != nil {
		return nil, t, err
	}
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(t.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return ddb.New(db, t.Table), t, nil
}

// Local is env on make dev's embedded table as recorded in dir (make
// report LOCAL=1): its store, its clock (env's clock moved by make dev's
// offset, POST /_local/clock), the clinic settings it runs with, unless
// env's Getenv sets its own, and its link secret's keys (make erase
// LOCAL=1); never the stack's. make dev's nudge schedules live in its own
// process: Reach has no guard.
func Local(env Env, dir string) (Env, error) {
	st, t, err := OpenLocal(dir)
	if err != nil {
		return env, err
	}
	wall, getenv := env.Now, env.Getenv
	recorded := map[string]string{"TIME_ZONE": t.TimeZone, "OPENING_HOURS": t.OpeningHours}
	env.Open = func(context.Context) (Store, error) { return st, nil }
	env.Reach = func(context.Context) (Reach, error) {
		if t.LinkSecret == "" {
			return Reach{}, errors.New("make dev did not record its link secret in " + filepath.Join(dir, LocalFile) + ": restart make dev")
		}
		s, err := link.NewSigner([]byte(t.LinkSecret))
		if err != nil {
			return Reach{}, fmt.Errorf("make dev's link secret: %w", err)
		}
		return Reach{Keys: s.Keys(patient.Purpose)}, nil
	}
	env.Now = func() time.Time { return wall().Add(t.ClockOffset) }
	env.Settings = nil
	env.Getenv = func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return recorded[k]
	}
	return env, nil
}
