package followup

import (
	"context"
	"io"
	"log/slog"
	"strings"
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
			"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": "frontdesk@example-clinic.com",
			"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/New_York",
			"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET": strings.Repeat("s", 40),
		},
		All:  all,
		None: Clients{Now: time.Now},
		Build: func(getenv func(string) string, c Clients) (*Handler, error) {
			return FromEnv(context.Background(), getenv, c, slog.New(slog.DiscardHandler))
		},
		Parts: []testenv.Part[Clients, *Handler]{
			{
				Variable: "LINK_SECRET_ARN",
				On:       map[string]string{"LINK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:link-AbCdEf"},
				Drop:     func(c *Clients) { c.Secrets = nil },
			},
			{
				Variable: "STAFF_SMS",
				On:       map[string]string{"STAFF_SMS": "+12025550199,+12025550198"},
				Drop:     func(c *Clients) { c.SMS = nil },
				Has:      func(h *Handler) bool { return h.texts != nil },
			},
			{
				Variable: "METRIC_NAMESPACE",
				On:       map[string]string{"METRIC_NAMESPACE": "appointment-leads/followup"},
				Drop:     func(c *Clients) { c.Metrics = nil },
				Has:      func(h *Handler) bool { return h.metrics.Namespace != "" },
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

// TestFromEnvNeedsAClock: the clock is a client like the others, always
// used; a Clients without one is refused at cold start, not at the first
// run.
func TestFromEnvNeedsAClock(t *testing.T) {
	env := map[string]string{
		"LEADS_TABLE": "leads", "CLINIC_NAME": "Relief Physical Therapy", "CLINIC_EMAIL": "frontdesk@example-clinic.com",
		"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/New_York",
		"PUBLIC_BASE_URL": "https://api.example-clinic.com", "LINK_SECRET": strings.Repeat("s", 40),
	}
	c := ClientsFrom(aws.Config{Region: "us-east-1"})
	c.Now = nil
	if _, err := FromEnv(context.Background(), func(k string) string { return env[k] }, c, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "clock") {
		t.Errorf("FromEnv without a clock: %v, want an error saying so", err)
	}
}
