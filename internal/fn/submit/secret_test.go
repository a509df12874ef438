package submit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/openclinic/leadhandler/internal/adapter/turnstile"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/link"
)

// siteverify stands in for Cloudflare's endpoint: it accepts the secret
// keys in accept (tokens passed on the clinic's site), refuses any other
// as invalid-input-secret, and keeps the secrets it was sent.
type siteverify struct {
	accept []string
	mu     sync.Mutex
	sent   []string
}

func (s *siteverify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secret := r.PostFormValue("secret")
	s.mu.Lock()
	s.sent = append(s.sent, secret)
	s.mu.Unlock()
	for _, a := range s.accept {
		if secret == a {
			fmt.Fprint(w, `{"success":true,"hostname":"www.example-clinic.com"}`)
			return
		}
	}
	fmt.Fprint(w, `{"success":false,"error-codes":["invalid-input-secret"]}`)
}

// asked returns the secrets sent since the last call.
func (s *siteverify) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sent := s.sent
	s.sent = nil
	return sent
}

// TestTurnstileSecretChangedWhileRunning: ops fix a Turnstile secret
// Cloudflare refuses by changing it in Secrets Manager (deploying a new
// TurnstileSecret). A running function takes the new one without a cold
// start: at the next refused request, once link.RecheckAfter has passed
// since its last read, and within link.RefreshEvery without any refusal;
// refused requests never read the secret more often than that.
func TestTurnstileSecretChangedWhileRunning(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.AWSConfig(t, testenv.Moto(t))
	testenv.CreateTable(t, dynamodb.NewFromConfig(cfg), "leads")
	calls := testenv.RecordCalls(&cfg)
	reads := func() int { return calls.Count("secretsmanager:GetSecretValue") }
	sm := secretsmanager.NewFromConfig(cfg)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("turnstile"), SecretString: aws.String("0x-revoked")})
	if err != nil {
		t.Fatal(err)
	}
	put := func(v string) {
		t.Helper()
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: created.ARN, SecretString: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	cloudflare := &siteverify{accept: []string{"0x-fixed", "0x-rotated"}}
	srv := httptest.NewServer(cloudflare)
	t.Cleanup(srv.Close)

	env := map[string]string{"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": testenv.ClinicSite, "RATE_LIMIT": "0",
		"TURNSTILE_SECRET_ARN": aws.ToString(created.ARN)}
	at := now
	clock := func() time.Time { return at }
	logs := &bytes.Buffer{}
	clients := ClientsFrom(cfg)
	clients.Now = clock
	h, err := FromEnv(ctx, func(k string) string { return env[k] }, clients, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := h.turnstile.(*storedVerifier)
	if !ok {
		t.Fatalf("verifier %T, want one reading Secrets Manager", h.turnstile)
	}
	v.check.URL = srv.URL
	if got := reads(); got != 1 {
		t.Fatalf("%d reads at cold start, want 1", got)
	}

	n := 0
	post := func(t *testing.T, after time.Duration, wantStatus, wantReads int, wantAsked ...string) {
		t.Helper()
		at = at.Add(after)
		n++
		body := jsonBody(t, func(m map[string]any) {
			m["submissionId"] = fmt.Sprintf("0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e%02d", n)
			m["cf-turnstile-response"] = "tok"
		})
		res, err := h.Handle(ctx, sample(t, "application/json", body))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != wantStatus {
			t.Errorf("status %d, want %d: %s", res.StatusCode, wantStatus, res.Body)
		}
		if got := reads(); got != wantReads {
			t.Errorf("%d reads of the secret in all, want %d", got, wantReads)
		}
		if got := cloudflare.asked(); strings.Join(got, " ") != strings.Join(wantAsked, " ") {
			t.Errorf("Cloudflare asked with %q, want %q", got, wantAsked)
		}
	}

	t.Run("refused, read again after RecheckAfter: unchanged", func(t *testing.T) {
		post(t, link.RecheckAfter+time.Second, 503, 2, "0x-revoked")
	})
	put("0x-fixed")
	t.Run("refused again within RecheckAfter: not read again", func(t *testing.T) {
		post(t, 10*time.Second, 503, 2, "0x-revoked")
		post(t, 10*time.Second, 503, 2, "0x-revoked")
	})
	t.Run("refused after RecheckAfter: read again, changed, asked again and taken", func(t *testing.T) {
		post(t, link.RecheckAfter-20*time.Second+time.Second, 201, 3, "0x-revoked", "0x-fixed")
		post(t, time.Second, 201, 3, "0x-fixed")
	})
	if got, want := strings.Count(logs.String(), `"msg":"`+ConfigErrorMessage+`"`), 3; got != want {
		t.Errorf("%d configuration error lines, want one per refused request (%d):\n%s", got, want, logs)
	}
	put("0x-rotated")
	t.Run("rotated, nothing refused: read again within RefreshEvery", func(t *testing.T) {
		post(t, link.RefreshEvery-2*time.Second, 201, 3, "0x-fixed")
		post(t, 2*time.Second, 201, 4, "0x-rotated")
	})
	for _, p := range personal {
		if strings.Contains(logs.String(), p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
}

// rereadingTurnstile is a fakeTurnstile whose secret is read again: the
// next read gives next (and reports a change when it differs).
type rereadingTurnstile struct {
	fakeTurnstile
	next              error
	refreshes, checks int
	readErr           error
}

func (f *rereadingTurnstile) Refresh(context.Context) error { f.refreshes++; return f.readErr }

func (f *rereadingTurnstile) Recheck(context.Context) (bool, error) {
	f.checks++
	if f.readErr != nil {
		return false, f.readErr
	}
	changed := f.next != f.err
	f.err = f.next
	return changed, nil
}

// TestTurnstileReread (no emulator): which answers make the handler read
// its Turnstile secret again, and what it does with the outcome.
func TestTurnstileReread(t *testing.T) {
	refused := fmt.Errorf("%w: invalid-input-secret", turnstile.ErrMisconfigured)
	withToken := jsonBody(t, func(v map[string]any) { v["cf-turnstile-response"] = "tok" })
	tests := []struct {
		name          string
		answer, next  error
		readErr       error
		status, asked int
		checks        int
	}{
		{"passed: no recheck", nil, nil, nil, 201, 1, 0},
		{"token rejected: no recheck", turnstile.ErrRejected, nil, nil, 400, 1, 0},
		{"secret refused, changed: asked again, taken", refused, nil, nil, 201, 2, 1},
		{"secret refused, unchanged: not asked again", refused, refused, nil, 503, 1, 1},
		{"secret refused, unreadable: not asked again", refused, nil, errors.New("Secrets Manager down"), 503, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			fake := &rereadingTurnstile{fakeTurnstile: fakeTurnstile{err: tt.answer}, next: tt.next, readErr: tt.readErr}
			f.h.turnstile = fake
			res := f.do(t, sample(t, "application/json", withToken))
			if res.StatusCode != tt.status || fake.asked != tt.asked || fake.checks != tt.checks || fake.refreshes != 1 {
				t.Errorf("status %d, asked %d, %d rechecks, %d refreshes; want %d, %d, %d, 1: %s",
					res.StatusCode, fake.asked, fake.checks, fake.refreshes, tt.status, tt.asked, tt.checks, res.Body)
			}
			if tt.readErr != nil && !strings.Contains(f.logs.String(), "Secrets Manager down") {
				t.Errorf("the failed read was not logged:\n%s", f.logs)
			}
		})
	}
	t.Run("a failed refresh keeps the secret", func(t *testing.T) {
		f := newFixture(t, nil)
		f.h.turnstile = &rereadingTurnstile{readErr: errors.New("Secrets Manager down")}
		if res := f.do(t, sample(t, "application/json", withToken)); res.StatusCode != 201 || !strings.Contains(f.logs.String(), "Secrets Manager down") {
			t.Errorf("status %d, want 201 and the failure logged:\n%s", res.StatusCode, f.logs)
		}
	})
}
