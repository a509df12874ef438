package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestAgainstMoto: moto's SES v2 with and without the sender's identity.
// moto has no GetAccount, so the account check can only warn there.
func TestAgainstMoto(t *testing.T) {
	endpoint := testenv.Moto(t)
	api := sesv2.NewFromConfig(testenv.AWSConfig(t, endpoint))
	ctx := context.Background()
	sender, clinic := "alerts@example-clinic.com", []string{"frontdesk@example-clinic.com"}

	t.Run("unverified sender", func(t *testing.T) {
		r, err := Check(ctx, api, fakeDNS{}, Setup{Sender: sender, Recipients: clinic})
		if err != nil {
			t.Fatal(err)
		}
		if r.OK() || !strings.Contains(r.String(), "[PROBLEM] The sender alerts@example-clinic.com is not an SES identity") ||
			!strings.Contains(r.String(), "aws sesv2 create-email-identity --email-identity example-clinic.com") {
			t.Errorf("report:\n%s", r)
		}
	})
	t.Run("verified sender", func(t *testing.T) {
		if _, err := api.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example-clinic.com")}); err != nil {
			t.Fatal(err)
		}
		r, err := Check(ctx, api, fakeDNS{}, Setup{Sender: sender, Recipients: clinic})
		if err != nil {
			t.Fatal(err)
		}
		s := r.String()
		if !r.OK() || !strings.Contains(s, "[ok] The sender alerts@example-clinic.com is verified (identity example-clinic.com)") ||
			!strings.Contains(s, "[warning] DKIM is not working for example-clinic.com") ||
			!strings.Contains(s, "[warning] Could not read the account's SES status") {
			t.Errorf("report:\n%s", s)
		}
	})
}

// fakeSES answers as a configured account would.
type fakeSES struct {
	identities []types.IdentityInfo
	dkim       types.DkimStatus
	account    *sesv2.GetAccountOutput
}

func (f fakeSES) GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	if f.account == nil {
		return nil, errors.New("AccessDenied")
	}
	return f.account, nil
}

func (f fakeSES) ListEmailIdentities(context.Context, *sesv2.ListEmailIdentitiesInput, ...func(*sesv2.Options)) (*sesv2.ListEmailIdentitiesOutput, error) {
	return &sesv2.ListEmailIdentitiesOutput{EmailIdentities: f.identities}, nil
}

func (f fakeSES) GetEmailIdentity(context.Context, *sesv2.GetEmailIdentityInput, ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error) {
	return &sesv2.GetEmailIdentityOutput{DkimAttributes: &types.DkimAttributes{Status: f.dkim}}, nil
}

func identity(name string, kind types.IdentityType, status types.VerificationStatus) types.IdentityInfo {
	return types.IdentityInfo{IdentityName: aws.String(name), IdentityType: kind, VerificationStatus: status, SendingEnabled: status == types.VerificationStatusSuccess}
}

func TestAccountsAndIdentities(t *testing.T) {
	domain := identity("example-clinic.com", types.IdentityTypeDomain, types.VerificationStatusSuccess)
	production := &sesv2.GetAccountOutput{ProductionAccessEnabled: true, SendingEnabled: true, EnforcementStatus: aws.String("HEALTHY")}
	sandbox := &sesv2.GetAccountOutput{SendingEnabled: true, SendQuota: &types.SendQuota{Max24HourSend: 200, MaxSendRate: 1}}
	tests := []struct {
		name    string
		ses     fakeSES
		ok      bool
		want    []string
		clinics []string
	}{
		{"all good", fakeSES{[]types.IdentityInfo{domain}, types.DkimStatusSuccess, production}, true,
			[]string{"[ok] DKIM signs mail", "[ok] The account is out of the SES sandbox"}, nil},
		{"pending domain", fakeSES{[]types.IdentityInfo{identity("example-clinic.com", types.IdentityTypeDomain, types.VerificationStatusPending)}, types.DkimStatusPending, production}, false,
			[]string{"[PROBLEM] The identity example-clinic.com is still waiting for verification", "up to 72 hours"}, nil},
		{"address identity", fakeSES{[]types.IdentityInfo{identity("alerts@example-clinic.com", types.IdentityTypeEmailAddress, types.VerificationStatusSuccess)}, "", production}, true,
			[]string{"[warning] The sender is verified as a single address"}, nil},
		{"sandbox, clinic verified by its domain", fakeSES{[]types.IdentityInfo{domain}, types.DkimStatusSuccess, sandbox}, true,
			[]string{"[warning] The account is in the SES sandbox", "200 messages a day, 1 a second", "acknowledgements to patients"}, nil},
		{"sandbox, clinic address elsewhere", fakeSES{[]types.IdentityInfo{domain}, types.DkimStatusSuccess, sandbox}, false,
			[]string{"[PROBLEM] The account is in the SES sandbox and these clinic addresses are not verified: owner@gmail.example"},
			[]string{"frontdesk@example-clinic.com", "owner@gmail.example"}},
		{"sending paused", fakeSES{[]types.IdentityInfo{domain}, types.DkimStatusSuccess,
			&sesv2.GetAccountOutput{ProductionAccessEnabled: true, EnforcementStatus: aws.String("SHUTDOWN")}}, false,
			[]string{"[PROBLEM] Sending is disabled for the whole SES account", "[warning] The account's sending status is SHUTDOWN"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clinics := tt.clinics
			if clinics == nil {
				clinics = []string{"frontdesk@example-clinic.com"}
			}
			r, err := Check(context.Background(), tt.ses, fakeDNS{}, Setup{Sender: "alerts@example-clinic.com", Recipients: clinics})
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() != tt.ok {
				t.Errorf("OK() = %v, want %v", r.OK(), tt.ok)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, r)
				}
			}
		})
	}
}

// GetConfigurationSetEventDestinations: fakeSES has no configuration sets.
func (f fakeSES) GetConfigurationSetEventDestinations(_ context.Context, in *sesv2.GetConfigurationSetEventDestinationsInput, _ ...func(*sesv2.Options)) (*sesv2.GetConfigurationSetEventDestinationsOutput, error) {
	return nil, &types.NotFoundException{Message: aws.String("Configuration set <" + aws.ToString(in.ConfigurationSetName) + "> does not exist.")}
}
