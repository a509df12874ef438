package followup

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// setupSecrets is Secrets Manager holding one link secret under every ARN.
type setupSecrets struct{}

func (setupSecrets) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(strings.Repeat("s", 40))}, nil
}

// setupPart is one optional part: the variable named when its client is
// missing, the variables that turn it on, its client taken away, and
// whether a handler has the part.
type setupPart struct {
	variable string
	on       map[string]string
	drop     func(*Clients)
	has      func(*Handler) bool // nil: not seen from outside FromEnv
}

// TestFromEnvSwitchesEachPart: the environment alone turns each optional
// part on (the rule in internal/fn/coldstart). On, it is built from its
// client, and without one FromEnv fails naming the variable; off, its
// client is never used and may be nil.
func TestFromEnvSwitchesEachPart(t *testing.T) {
	base := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": "frontdesk@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/New_York",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET": strings.Repeat("s", 40),
	}
	all := func() Clients {
		c := ClientsFrom(aws.Config{Region: "us-east-1"}) // builds clients, calls nothing
		c.Secrets, c.Metrics = setupSecrets{}, io.Discard
		return c
	}
	parts := []setupPart{
		{
			variable: "LINK_SECRET_ARN",
			on:       map[string]string{"LINK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:link-AbCdEf"},
			drop:     func(c *Clients) { c.Secrets = nil },
		},
		{
			variable: "STAFF_SMS",
			on:       map[string]string{"STAFF_SMS": "+12025550199,+12025550198"},
			drop:     func(c *Clients) { c.SMS = nil },
			has:      func(h *Handler) bool { return h.texts != nil },
		},
		{
			variable: "METRIC_NAMESPACE",
			on:       map[string]string{"METRIC_NAMESPACE": "appointment-leads/followup"},
			drop:     func(c *Clients) { c.Metrics = nil },
			has:      func(h *Handler) bool { return h.metrics.Namespace != "" },
		},
	}
	build := func(env map[string]string, c Clients) (*Handler, error) {
		return FromEnv(context.Background(), func(k string) string { return env[k] }, c, slog.New(slog.DiscardHandler))
	}
	for _, p := range parts {
		variable := p.variable
		on := maps.Clone(base)
		maps.Copy(on, p.on)
		without := all()
		p.drop(&without)
		t.Run(variable+" on", func(t *testing.T) {
			h, err := build(on, all())
			if err != nil {
				t.Fatal(err)
			}
			if p.has != nil && !p.has(h) {
				t.Error("the part is off")
			}
		})
		t.Run(variable+" on, its client nil", func(t *testing.T) {
			if _, err := build(on, without); err == nil || !strings.Contains(err.Error(), variable) {
				t.Errorf("FromEnv gave %v, want an error naming %s", err, variable)
			}
		})
		t.Run(variable+" off, its client nil", func(t *testing.T) {
			h, err := build(base, without)
			if err != nil {
				t.Fatal(err)
			}
			if p.has != nil && p.has(h) {
				t.Error("the part is on")
			}
		})
	}
	t.Run("every part on", func(t *testing.T) {
		env := maps.Clone(base)
		for _, p := range parts {
			maps.Copy(env, p.on)
		}
		h, err := build(env, all())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if p.has != nil && !p.has(h) {
				t.Errorf("%s: the part is off", p.variable)
			}
		}
	})
	t.Run("every part off, every client nil", func(t *testing.T) {
		if _, err := build(base, Clients{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestClientsFromBuildsEveryClient: the cold start passes every client, so
// the environment alone decides what is on.
func TestClientsFromBuildsEveryClient(t *testing.T) {
	c := reflect.ValueOf(ClientsFrom(aws.Config{Region: "us-east-1"}))
	for i := range c.NumField() {
		if c.Field(i).IsNil() {
			t.Errorf("ClientsFrom leaves %s nil", c.Type().Field(i).Name)
		}
	}
}
