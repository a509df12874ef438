// Package secrets reads Secrets Manager: the link secret's current and
// previous versions for a link.Signer (LINK_SECRET_ARN), and other
// secrets' current values (the Turnstile secret key), each read again at
// most every link.RefreshEvery, or link.RecheckAfter for a check that
// failed, without a cold start.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/openclinic/leadhandler/internal/link"
)

// API is the part of the Secrets Manager client the functions use.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Version stages of Secrets Manager: it moves AWSPREVIOUS to the version
// that was AWSCURRENT whenever a new one becomes AWSCURRENT.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// Versions reads the AWSCURRENT and AWSPREVIOUS versions of the
// secret arn (LINK_SECRET_ARN), both at once (one round trip at cold
// start). A secret with no AWSPREVIOUS (never rotated, or its previous
// version retired) has no previous version.
func Versions(api API, arn string) link.Versions {
	return func(ctx context.Context) ([]byte, []byte, error) {
		var prev []byte
		var prevErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			prev, prevErr = readStage(ctx, api, arn, StagePrevious)
			var nf *types.ResourceNotFoundException
			if errors.As(prevErr, &nf) {
				prev, prevErr = nil, nil
			}
		}()
		cur, err := readStage(ctx, api, arn, StageCurrent)
		<-done
		if err != nil {
			return nil, nil, fmt.Errorf("read the secret: %w", err)
		}
		if prevErr != nil {
			return nil, nil, fmt.Errorf("read its previous version: %w", prevErr)
		}
		return cur, prev, nil
	}
}

func readStage(ctx context.Context, api API, arn, stage string) ([]byte, error) {
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(stage)})
	if err != nil {
		return nil, err
	}
	return []byte(aws.ToString(out.SecretString)), nil
}

// Secret is the current value of a Secrets Manager secret other than the
// link secret (such as the Turnstile secret key), read again by Refresh
// and Recheck as a link.Signer reads the link secret: a value changed in
// Secrets Manager is taken without a cold start. Its methods are safe for
// concurrent use.
type Secret struct {
	value atomic.Pointer[string]
	api   API
	arn   string
	reads *link.Throttle
}

// Read reads the secret arn's current value (AWSCURRENT) through
// api, now, and again when Refresh or Recheck finds the last read old
// enough by now. An empty value is an error.
func Read(ctx context.Context, api API, arn string, now func() time.Time) (*Secret, error) {
	s := &Secret{api: api, arn: arn, reads: link.NewThrottle(now)}
	if _, err := s.reads.First(func() (bool, error) { return s.reload(ctx) }); err != nil {
		return nil, err
	}
	return s, nil
}

// Value is the value last read.
func (s *Secret) Value() string { return *s.value.Load() }

// Refresh reads the secret again if it was last read link.RefreshEvery ago or
// more. On an error the value read before stays in use.
func (s *Secret) Refresh(ctx context.Context) error {
	_, err := s.reads.After(link.RefreshEvery, func() (bool, error) { return s.reload(ctx) })
	return err
}

// Recheck reads the secret again if it was last read link.RecheckAfter ago or
// more, and reports whether its value changed: a check the value read
// before failed may then be tried once more.
func (s *Secret) Recheck(ctx context.Context) (bool, error) {
	return s.reads.After(link.RecheckAfter, func() (bool, error) { return s.reload(ctx) })
}

func (s *Secret) reload(ctx context.Context) (bool, error) {
	v, err := readStage(ctx, s.api, s.arn, StageCurrent)
	if err != nil {
		return false, fmt.Errorf("read the secret: %w", err)
	}
	if len(v) == 0 {
		return false, errors.New("the secret is empty")
	}
	value := string(v)
	old := s.value.Swap(&value)
	return old == nil || *old != value, nil
}

// LoadSigner returns the signer of the link secret: the Secrets Manager
// secret LINK_SECRET_ARN names (on AWS), read through api now and
// refreshed by Refresh and Recheck; else LINK_SECRET (locally and in
// tests), fixed, when api is not called and may be nil.
func LoadSigner(ctx context.Context, getenv func(string) string, api API) (*link.Signer, error) {
	if arn := getenv("LINK_SECRET_ARN"); arn != "" {
		if api == nil {
			return nil, fmt.Errorf("LINK_SECRET_ARN: no Secrets Manager client to read it with")
		}
		s, err := link.NewRefreshingSigner(ctx, Versions(api, arn), time.Now)
		if err != nil {
			return nil, fmt.Errorf("LINK_SECRET_ARN: %w", err)
		}
		return s, nil
	}
	s := getenv("LINK_SECRET")
	if s == "" {
		return nil, fmt.Errorf("LINK_SECRET_ARN or LINK_SECRET: one is required")
	}
	if len(s) < link.MinSecret {
		return nil, fmt.Errorf("LINK_SECRET: %d bytes, want at least %d", len(s), link.MinSecret)
	}
	return link.NewSigner([]byte(s))
}
