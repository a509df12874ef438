package staff

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
			"SENDER_EMAIL": "alerts@example-clinic.com", "TIME_ZONE": "America/New_York", "LINK_SECRET": strings.Repeat("s", 40),
		},
		All:  all,
		None: Clients{Scheduler: ClientsFrom(aws.Config{Region: "us-east-1"}).Scheduler, Now: time.Now},
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
				Variable: "LEAD_EVENTS_BUS",
				On:       map[string]string{"LEAD_EVENTS_BUS": "leads-LeadEvents"},
				Drop:     func(c *Clients) { c.EventBridge = nil },
			},
			{
				Variable: "METRIC_NAMESPACE",
				On:       map[string]string{"METRIC_NAMESPACE": "appointment-leads/staff"},
				Drop:     func(c *Clients) { c.Metrics = nil },
			},
		},
	}
	w.CheckSwitches(t)
	// No variable switches the response guard's deletes (FromEnv says
	// why): its client is required, whatever the environment.
	t.Run("the scheduler nil", func(t *testing.T) {
		c := all()
		c.Scheduler = nil
		if _, err := w.Build(func(k string) string { return w.Base[k] }, c); err == nil || !strings.Contains(err.Error(), "Scheduler") {
			t.Errorf("FromEnv gave %v, want an error naming the Scheduler client", err)
		}
	})
}

// TestClientsFromBuildsEveryClient: the cold start passes every client, so
// the environment alone decides what is on.
func TestClientsFromBuildsEveryClient(t *testing.T) {
	testenv.EveryClientBuilt(t, ClientsFrom(aws.Config{Region: "us-east-1"}))
}
