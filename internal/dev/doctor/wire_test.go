package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// sesStandIn answers the SES v2 REST JSON calls the doctor makes as AWS
// does (routes as the pinned SDK sends them, bodies shaped as in the SES v2
// API reference; neither moto nor
// aws-ses-v2-local serves a configuration set's event destinations), so the
// SDK's own decoding of them is tested: enum spellings, the quota's numbers
// and a missing set's NotFoundException.
var sesStandIn = map[string]string{
	"POST /v2/email/list-identities": `{"EmailIdentities":[{"IdentityType":"DOMAIN","IdentityName":"example-clinic.com","SendingEnabled":true,"VerificationStatus":"SUCCESS"}]}`,
	"GET /v2/email/identities/example-clinic.com": `{"IdentityType":"DOMAIN","VerifiedForSendingStatus":true,"VerificationStatus":"SUCCESS",
		"DkimAttributes":{"SigningEnabled":true,"Status":"SUCCESS","Tokens":["tok1"],"SigningAttributesOrigin":"AWS_SES"},
		"MailFromAttributes":{"MailFromDomain":"mail.example-clinic.com","MailFromDomainStatus":"SUCCESS","BehaviorOnMxFailure":"USE_DEFAULT_VALUE"}}`,
	"GET /v2/email/account": `{"SendQuota":{"Max24HourSend":50000,"MaxSendRate":14,"SentLast24Hours":3},"SendingEnabled":true,"ProductionAccessEnabled":true,"EnforcementStatus":"HEALTHY"}`,
	"GET /v2/email/configuration-sets/leadhandler-mail/event-destinations": `{"EventDestinations":[{"Name":"MailEvents","Enabled":true,
		"MatchingEventTypes":["DELIVERY","BOUNCE","COMPLAINT","DELIVERY_DELAY","REJECT"],
		"EventBridgeDestination":{"EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/default"}}]}`,
}

func TestAgainstAStandIn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := sesStandIn[r.Method+" "+r.URL.Path]
		if !ok {
			w.Header().Set("X-Amzn-Errortype", "NotFoundException")
			w.WriteHeader(http.StatusNotFound)
			body = `{"message":"Configuration set <` + r.URL.Path + `> does not exist."}`
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	api := sesv2.NewFromConfig(testenv.AWSConfig(t, srv.URL))
	good := fakeDNS{
		"CNAME tok1._domainkey.example-clinic.com": {"tok1.dkim.amazonses.com."},
		"_dmarc.example-clinic.com":                {"v=DMARC1; p=reject"},
		"mail.example-clinic.com":                  {"v=spf1 include:amazonses.com -all"},
	}
	rate := 14.0
	for _, tt := range []struct {
		set  string
		ok   bool
		want []string
	}{
		{"leadhandler-mail", true, []string{
			"[ok] DNS publishes the DKIM records of example-clinic.com",
			"[ok] SPF of the MAIL FROM domain mail.example-clinic.com includes amazonses.com",
			"[ok] DMARC of example-clinic.com is published (p=reject)",
			"[ok] The configuration set leadhandler-mail publishes delivery, bounce, complaint, delay and reject events to EventBridge",
			"[ok] SesMaxSendRate 14 fits the account's maximum send rate, 14 a second"}},
		{"other-set", false, []string{"[PROBLEM] The configuration set other-set does not exist in this region"}},
	} {
		t.Run(tt.set, func(t *testing.T) {
			r, err := Check(context.Background(), api, good, Setup{Sender: "alerts@example-clinic.com", Recipients: []string{"frontdesk@example-clinic.com"},
				ConfigurationSet: tt.set, MaxSendRate: &rate})
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
