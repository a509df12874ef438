package mailevents

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
			"LEADS_TABLE": "leads",
			// Read, and its client used, only with STAFF_SMS.
			"LINK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:link-AbCdEf",
		},
		All:  all,
		None: Clients{Now: time.Now},
		Build: func(getenv func(string) string, c Clients) (*Handler, error) {
			return FromEnv(context.Background(), getenv, c, slog.New(slog.DiscardHandler))
		},
		Parts: []testenv.Part[Clients, *Handler]{
			{
				Variable: "LEAD_EVENTS_BUS",
				On:       map[string]string{"LEAD_EVENTS_BUS": "leads-LeadEvents"},
				Drop:     func(c *Clients) { c.EventBridge = nil },
				Has:      func(h *Handler) bool { return h.events != nil },
			},
			{
				Variable: "STAFF_SMS",
				On: map[string]string{"STAFF_SMS": "+12025550199,+12025550198", "CLINIC_NAME": "Relief Physical Therapy",
					"PUBLIC_BASE_URL": "https://api.example-clinic.com"},
				Drop: func(c *Clients) { c.SMS = nil },
				Has:  func(h *Handler) bool { return h.sms != nil },
			},
			{
				// The link secret's client: on with STAFF_SMS and LINK_SECRET_ARN.
				Variable: "LINK_SECRET_ARN",
				On: map[string]string{"STAFF_SMS": "+12025550199,+12025550198", "CLINIC_NAME": "Relief Physical Therapy",
					"PUBLIC_BASE_URL": "https://api.example-clinic.com"},
				Drop: func(c *Clients) { c.Secrets = nil },
			},
			{
				Variable: "METRIC_NAMESPACE",
				On:       map[string]string{"METRIC_NAMESPACE": "appointment-leads/mailevents"},
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
