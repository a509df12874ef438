package submit

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestFromEnvSwitchesEachPart: the environment alone turns each optional
// part on (the rule in internal/fn/coldstart). On, it is built from its
// client, and without one FromEnv fails naming the variable; off, its
// client is never used and may be nil.
func TestFromEnvSwitchesEachPart(t *testing.T) {
	all := func() Clients {
		c := ClientsFrom(aws.Config{Region: "us-east-1"}) // builds clients, calls nothing
		c.Secrets, c.Metrics = testenv.OneSecret{}, io.Discard
		return c
	}
	w := testenv.Wiring[Clients, *Handler]{
		Base: map[string]string{
			"LEADS_TABLE": "leads", "ALLOWED_ORIGINS": testenv.ClinicSite, "RATE_LIMIT": "0",
		},
		All:  all,
		None: Clients{Now: time.Now},
		Build: func(getenv func(string) string, c Clients) (*Handler, error) {
			return FromEnv(context.Background(), getenv, c, slog.New(slog.DiscardHandler))
		},
		Parts: []testenv.Part[Clients, *Handler]{
			{
				Variable: "TURNSTILE_SECRET_ARN",
				On:       map[string]string{"TURNSTILE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:turnstile-AbCdEf"},
				Drop:     func(c *Clients) { c.Secrets = nil },
			},
			{
				Variable: "METRIC_NAMESPACE",
				On:       map[string]string{"METRIC_NAMESPACE": "appointment-leads/submit"},
				Drop:     func(c *Clients) { c.Metrics = nil },
			},
		},
	}
	w.CheckSwitches(t)
}

// TestClientsFromBuildsEveryClient: the cold start passes every client, so
// the environment alone decides what is on.
func TestClientsFromBuildsEveryClient(t *testing.T) {
	testenv.EveryClientBuilt(t, ClientsFrom(aws.Config{Region: "us-east-1"}))
}
