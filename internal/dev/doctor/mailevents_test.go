package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// setSES is fakeSES with one configuration set, "leadhandler-mail", and
// its event destinations (err: what reading them fails with).
type setSES struct {
	fakeSES
	destinations []types.EventDestination
	err          error
}

func (f setSES) GetConfigurationSetEventDestinations(ctx context.Context, in *sesv2.GetConfigurationSetEventDestinationsInput, opts ...func(*sesv2.Options)) (*sesv2.GetConfigurationSetEventDestinationsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.ConfigurationSetName) != "leadhandler-mail" {
		return f.fakeSES.GetConfigurationSetEventDestinations(ctx, in, opts...)
	}
	return &sesv2.GetConfigurationSetEventDestinationsOutput{EventDestinations: f.destinations}, nil
}

func TestConfigurationSet(t *testing.T) {
	bus := &types.EventBridgeDestination{EventBusArn: aws.String("arn:aws:events:us-east-1:123456789012:event-bus/default")}
	all := types.EventDestination{Name: aws.String("MailEvents"), Enabled: true, EventBridgeDestination: bus,
		MatchingEventTypes: []types.EventType{types.EventTypeDelivery, types.EventTypeBounce, types.EventTypeComplaint, types.EventTypeDeliveryDelay, types.EventTypeReject}}
	off := all
	off.Enabled = false
	some := all
	some.MatchingEventTypes = []types.EventType{types.EventTypeSend, types.EventTypeBounce}
	cloudwatch := types.EventDestination{Name: aws.String("Metrics"), Enabled: true, MatchingEventTypes: all.MatchingEventTypes,
		CloudWatchDestination: &types.CloudWatchDestination{}}
	tests := []struct {
		name string
		set  string
		ses  setSES
		ok   bool
		want string
	}{
		{"all events on EventBridge", "leadhandler-mail", setSES{destinations: []types.EventDestination{cloudwatch, all}}, true,
			"[ok] The configuration set leadhandler-mail publishes delivery, bounce, complaint, delay and reject events to EventBridge"},
		{"no such set", "other-set", setSES{}, false,
			"[PROBLEM] The configuration set other-set does not exist in this region"},
		{"no EventBridge destination", "leadhandler-mail", setSES{destinations: []types.EventDestination{cloudwatch}}, true,
			"[warning] The configuration set leadhandler-mail has no EventBridge event destination"},
		{"destination disabled", "leadhandler-mail", setSES{destinations: []types.EventDestination{off}}, true,
			"[warning] The configuration set leadhandler-mail has its EventBridge event destination disabled"},
		{"some events only", "leadhandler-mail", setSES{destinations: []types.EventDestination{some}}, true,
			"[warning] The EventBridge destination of the configuration set leadhandler-mail leaves out delivery, complaint, delivery_delay, reject events"},
		{"access denied", "leadhandler-mail", setSES{err: errors.New("AccessDenied")}, true,
			"[warning] Could not read the event destinations of the configuration set leadhandler-mail (AccessDenied)"},
		{"not given", "", setSES{}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ses := tt.ses
			ses.fakeSES = fakeSES{[]types.IdentityInfo{identity("example-clinic.com", types.IdentityTypeDomain, types.VerificationStatusSuccess)}, types.DkimStatusSuccess, nil}
			r, err := Check(context.Background(), ses, fakeDNS{}, Setup{Sender: "alerts@example-clinic.com", ConfigurationSet: tt.set})
			if err != nil {
				t.Fatal(err)
			}
			s := r.String()
			if r.OK() != tt.ok {
				t.Errorf("OK() = %v, want %v", r.OK(), tt.ok)
			}
			if tt.want == "" && strings.Contains(s, "configuration set") || !strings.Contains(s, tt.want) {
				t.Errorf("report lacks %q:\n%s", tt.want, s)
			}
		})
	}
}

func TestSendRate(t *testing.T) {
	rate := func(f float64) *float64 { return &f }
	tests := []struct {
		name    string
		rate    *float64
		account *types.SendQuota
		want    string
	}{
		{"equal", rate(14), &types.SendQuota{MaxSendRate: 14}, "[ok] SesMaxSendRate 14 fits the account's maximum send rate, 14 a second"},
		{"a little lower", rate(10), &types.SendQuota{MaxSendRate: 14}, "[ok] SesMaxSendRate 10 fits"},
		{"above the sandbox's", rate(14), &types.SendQuota{MaxSendRate: 1, Max24HourSend: 200}, "[warning] SesMaxSendRate 14 is above the account's maximum send rate, 1 a second"},
		{"far lower", rate(1), &types.SendQuota{MaxSendRate: 50}, "[warning] SesMaxSendRate 1 is far below the account's maximum send rate, 50 a second"},
		{"no limit", rate(0), &types.SendQuota{MaxSendRate: 14}, "[warning] SesMaxSendRate is 0 (no limit), and the account sends at most 14 emails a second"},
		{"no quota said", rate(14), nil, "[warning] SES did not say the account's maximum send rate"},
		{"not given", nil, &types.SendQuota{MaxSendRate: 14}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account := &sesv2.GetAccountOutput{ProductionAccessEnabled: true, SendingEnabled: true, SendQuota: tt.account}
			ses := fakeSES{[]types.IdentityInfo{identity("example-clinic.com", types.IdentityTypeDomain, types.VerificationStatusSuccess)}, types.DkimStatusSuccess, account}
			r, err := Check(context.Background(), ses, fakeDNS{}, Setup{Sender: "alerts@example-clinic.com", MaxSendRate: tt.rate})
			if err != nil {
				t.Fatal(err)
			}
			s := r.String()
			if !r.OK() || tt.want == "" && strings.Contains(s, "SesMaxSendRate") || !strings.Contains(s, tt.want) {
				t.Errorf("report lacks %q (or is not OK):\n%s", tt.want, s)
			}
		})
	}
}
