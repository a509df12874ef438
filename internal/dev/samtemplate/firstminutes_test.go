package samtemplate_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/lead"
)

// TestCadenceDefaultsFollowTheEvidence: a stack deployed with the
// template's defaults tries a lead at least 6 times, the first call-back
// at most 30 minutes after the first try (issue 29, after the Lead
// Response Management study), and its defaults are the code's.
func TestCadenceDefaultsFollowTheEvidence(t *testing.T) {
	params := raw(t)["Parameters"].(map[string]any)
	maxAttempts, _ := params["MaxAttempts"].(map[string]any)["Default"].(string)
	n, err := strconv.Atoi(maxAttempts)
	if err != nil || n < 6 || n != lead.DefaultMaxAttempts {
		t.Errorf("MaxAttempts default %q, want at least 6 and lead.DefaultMaxAttempts (%d)", maxAttempts, lead.DefaultMaxAttempts)
	}
	cadence, _ := params["CallbackCadence"].(map[string]any)["Default"].(string)
	steps, err := lead.ParseCadence(cadence)
	if err != nil || len(steps) == 0 || steps[0] > 30*time.Minute || !slices.Equal(steps, lead.DefaultCadence) {
		t.Errorf("CallbackCadence default %q (%v), want a first step of at most 30 minutes and lead.DefaultCadence %v", cadence, err, lead.DefaultCadence)
	}
}

// TestMailRequiresTLS: SES delivers the stack's mail only over TLS to the
// recipient's server (a server that cannot take it bounces the message;
// docs/ses.md).
func TestMailRequiresTLS(t *testing.T) {
	set := props(resourcesOf(t, "AWS::SES::ConfigurationSet")["MailConfigurationSet"])
	opts, _ := set["DeliveryOptions"].(map[string]any)
	if opts == nil || opts["TlsPolicy"] != "REQUIRE" {
		t.Errorf("MailConfigurationSet's DeliveryOptions %v, want TlsPolicy REQUIRE", opts)
	}
}
