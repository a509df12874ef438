package secrets

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/link"
)

var (
	now         = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	leadID      = "0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f"
	v1, v2, v3  = strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	fixedSecret = []byte("0123456789abcdef0123456789abcdef")
)

// ttl is LINK_TTL in these tests.
const ttl = 72 * time.Hour

// clock is a time tests move by hand; safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func signer(t testing.TB, secret []byte) *link.Signer {
	t.Helper()
	s, err := link.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSecretsManagerRotation: the same, against moto's Secrets Manager and
// its version stages: put-secret-value moves AWSPREVIOUS, and taking
// AWSPREVIOUS off a version retires it.
func TestSecretsManagerRotation(t *testing.T) {
	ctx := context.Background()
	api := secretsmanager.NewFromConfig(testenv.AWSConfig(t, testenv.Moto(t)))
	out, err := api.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("link-secret"), SecretString: aws.String(v1)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ARN)
	c := &clock{t: now}
	s, err := link.NewRefreshingSigner(ctx, Versions(api, arn), c.now)
	if err != nil {
		t.Fatalf("a secret never rotated (no AWSPREVIOUS): %v", err)
	}
	exp := now.Add(ttl)
	verifies := func(tok string) error {
		_, err := s.Verify(tok, link.PurposeStaff, leadID, now, ttl)
		return err
	}
	put := func(v string) string {
		t.Helper()
		out, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(v)})
		if err != nil {
			t.Fatal(err)
		}
		c.add(link.RefreshEvery)
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	byV1 := s.Sign(link.PurposeStaff, leadID, exp)

	idV2 := put(v2)
	byV2 := s.Sign(link.PurposeStaff, leadID, exp)
	if byV2 == byV1 {
		t.Fatal("the refresh did not take up the new version")
	}
	if err := verifies(byV1); err != nil {
		t.Errorf("signed with the previous version: %v", err)
	}

	put(v3)
	if err := verifies(byV1); !errors.Is(err, link.ErrUnknownKey) {
		t.Errorf("signed with a version retired by the next rotation: %v, want link.ErrUnknownKey", err)
	}
	if err := verifies(byV2); err != nil {
		t.Errorf("signed with the previous version: %v", err)
	}

	d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if stages := d.VersionIdsToStages[idV2]; len(stages) != 1 || stages[0] != StagePrevious {
		t.Fatalf("test premise: v2's stages are %v", stages)
	}
	if _, err := api.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(arn), VersionStage: aws.String(StagePrevious), RemoveFromVersionId: aws.String(idV2),
	}); err != nil {
		t.Fatal(err)
	}
	c.add(link.RefreshEvery)
	if err := s.Refresh(ctx); err != nil {
		t.Fatalf("no AWSPREVIOUS: %v", err)
	}
	if err := verifies(byV2); !errors.Is(err, link.ErrUnknownKey) {
		t.Errorf("signed with the retired previous version: %v, want link.ErrUnknownKey", err)
	}
	if err := verifies(s.Sign(link.PurposeStaff, leadID, exp)); err != nil {
		t.Errorf("signed with the current version: %v", err)
	}
}

func TestLoadSigner(t *testing.T) {
	ctx := context.Background()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	noAPI := forbiddenSecrets{t}
	exp := now.Add(ttl)

	t.Run("from LINK_SECRET", func(t *testing.T) {
		s, err := LoadSigner(ctx, env(map[string]string{"LINK_SECRET": string(fixedSecret)}), noAPI)
		if err != nil || s.Sign(link.PurposeStaff, leadID, exp) != signer(t, fixedSecret).Sign(link.PurposeStaff, leadID, exp) {
			t.Errorf("got %v, want the signer of LINK_SECRET", err)
		}
		if err := s.Refresh(ctx); err != nil {
			t.Errorf("Refresh of a fixed secret: %v", err)
		}
	})
	for name, m := range map[string]map[string]string{
		"neither set":       {},
		"LINK_SECRET short": {"LINK_SECRET": "short"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadSigner(ctx, env(m), noAPI); err == nil || !strings.Contains(err.Error(), "LINK_SECRET") {
				t.Errorf("got %v, want an error naming LINK_SECRET", err)
			}
		})
	}
	t.Run("from Secrets Manager through moto", func(t *testing.T) {
		api := secretsmanager.NewFromConfig(testenv.AWSConfig(t, testenv.Moto(t)))
		out, err := api.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String("link-secret"), SecretString: aws.String(v1),
		})
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSigner(ctx, env(map[string]string{"LINK_SECRET_ARN": aws.ToString(out.ARN), "LINK_SECRET": "ignored"}), api)
		if err != nil || s.Sign(link.PurposeStaff, leadID, exp) != signer(t, []byte(v1)).Sign(link.PurposeStaff, leadID, exp) {
			t.Errorf("got %v, want the signer of the secret's current version", err)
		}
		_, err = LoadSigner(ctx, env(map[string]string{"LINK_SECRET_ARN": aws.ToString(out.ARN) + "-missing"}), api)
		if err == nil || !strings.Contains(err.Error(), "LINK_SECRET_ARN") {
			t.Errorf("missing secret: got %v, want an error naming LINK_SECRET_ARN", err)
		}
		short, err := api.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("short"), SecretString: aws.String("short")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = LoadSigner(ctx, env(map[string]string{"LINK_SECRET_ARN": aws.ToString(short.ARN)}), api)
		if err == nil || !strings.Contains(err.Error(), "LINK_SECRET_ARN") || !strings.Contains(err.Error(), "too short") {
			t.Errorf("short secret: got %v, want an error naming LINK_SECRET_ARN", err)
		}
	})
}

// forbiddenSecrets fails the test when Secrets Manager is called.
type forbiddenSecrets struct{ t *testing.T }

func (f forbiddenSecrets) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.t.Fatal("Secrets Manager called without LINK_SECRET_ARN")
	return nil, nil
}

// TestSecret: another secret's value (Turnstile's), read from moto's
// Secrets Manager at start, again by Refresh every link.RefreshEvery and by
// Recheck at most every link.RecheckAfter; a failed or empty read keeps the
// value read before.
func TestSecret(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.AWSConfig(t, testenv.Moto(t))
	calls := testenv.RecordCalls(&cfg)
	api := secretsmanager.NewFromConfig(cfg)
	out, err := api.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("turnstile"), SecretString: aws.String("one")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ARN)
	put := func(v string) {
		t.Helper()
		if _, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	reads := func() int { return calls.Count("secretsmanager:GetSecretValue") }
	c := &clock{t: now}
	s, err := Read(ctx, api, arn, c.now)
	if err != nil || s.Value() != "one" || reads() != 1 {
		t.Fatalf("ReadSecret: %v, %q, %d reads; want one, 1", err, s.Value(), reads())
	}

	put("two")
	c.add(link.RecheckAfter - time.Second)
	if changed, err := s.Recheck(ctx); changed || err != nil || reads() != 1 {
		t.Fatalf("Recheck within link.RecheckAfter: %v, %v, %d reads; want no read", changed, err, reads())
	}
	c.add(time.Second)
	if changed, err := s.Recheck(ctx); !changed || err != nil || s.Value() != "two" {
		t.Fatalf("Recheck at link.RecheckAfter: %v, %v, %q; want two, changed", changed, err, s.Value())
	}
	c.add(link.RecheckAfter)
	if changed, err := s.Recheck(ctx); changed || err != nil || reads() != 3 {
		t.Errorf("Recheck with nothing new: %v, %v, %d reads; want a read, unchanged", changed, err, reads())
	}

	put("three")
	c.add(link.RefreshEvery - link.RecheckAfter - time.Second)
	if err := s.Refresh(ctx); err != nil || s.Value() != "two" || reads() != 3 {
		t.Fatalf("Refresh before link.RefreshEvery: %v, %q, %d reads; want no read", err, s.Value(), reads())
	}
	c.add(link.RecheckAfter + time.Second)
	if err := s.Refresh(ctx); err != nil || s.Value() != "three" {
		t.Fatalf("Refresh at link.RefreshEvery: %v, %q; want three", err, s.Value())
	}

	if _, err := api.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	c.add(link.RefreshEvery)
	if err := s.Refresh(ctx); err == nil || s.Value() != "three" {
		t.Errorf("unreadable: %v, %q; want an error, and three kept", err, s.Value())
	}
	empty, err := api.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty"), SecretBinary: []byte{1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read(ctx, api, aws.ToString(empty.ARN), c.now); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("a secret with no string: %v, want an error saying it is empty", err)
	}
}

// valueAPI is Secrets Manager holding one secret whose value tests change.
type valueAPI struct {
	mu    sync.Mutex
	value string
}

func (a *valueAPI) set(v string) { a.mu.Lock(); defer a.mu.Unlock(); a.value = v }

func (a *valueAPI) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(a.value)}, nil
}

// TestConcurrentSecret (with -race): submit checks tokens from many
// requests at once while the secret is read again.
func TestConcurrentSecret(t *testing.T) {
	ctx := context.Background()
	api := &valueAPI{value: v1}
	c := &clock{t: now}
	s, err := Read(ctx, api, "arn", c.now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				switch {
				case i%2 == 0 && j%20 == 0:
					api.set([]string{v1, v2, v3}[j%3])
					c.add(link.RecheckAfter)
					_, _ = s.Recheck(ctx)
				case j%50 == 0:
					_ = s.Refresh(ctx)
				default:
					if v := s.Value(); v != v1 && v != v2 && v != v3 {
						t.Errorf("value %q", v)
					}
				}
			}
		})
	}
	wg.Wait()
}
