package doctor

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// fakeDNS answers from its records: TXT records by name, and CNAME targets
// by name under "CNAME "+name. A name it lacks is not found, as
// net.Resolver reports NXDOMAIN; "fail" answers every lookup with a timeout.
type fakeDNS map[string][]string

var _ Resolver = fakeDNS{}

func (f fakeDNS) lookup(key string) ([]string, error) {
	name := strings.TrimPrefix(key, "CNAME ")
	if _, ok := f["fail"]; ok {
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	}
	if v, ok := f[key]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) { return f.lookup(name) }

func (f fakeDNS) LookupCNAME(_ context.Context, host string) (string, error) {
	v, err := f.lookup("CNAME " + host)
	if err != nil {
		return "", err
	}
	return v[0], nil
}

// identitySES is fakeSES with the identity's DKIM and MAIL FROM settings.
type identitySES struct {
	fakeSES
	id *sesv2.GetEmailIdentityOutput
}

func (f identitySES) GetEmailIdentity(context.Context, *sesv2.GetEmailIdentityInput, ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error) {
	return f.id, nil
}

func TestDNS(t *testing.T) {
	tokens := []string{"tok1", "tok2", "tok3"}
	easyDKIM := &types.DkimAttributes{Status: types.DkimStatusSuccess, SigningEnabled: true, SigningAttributesOrigin: types.DkimSigningAttributesOriginAwsSes, Tokens: tokens}
	customMailFrom := &types.MailFromAttributes{MailFromDomain: aws.String("mail.example-clinic.com"), MailFromDomainStatus: types.MailFromDomainStatusSuccess, BehaviorOnMxFailure: types.BehaviorOnMxFailureUseDefaultValue}
	good := fakeDNS{
		"CNAME tok1._domainkey.example-clinic.com": {"tok1.dkim.amazonses.com."},
		"CNAME tok2._domainkey.example-clinic.com": {"TOK2.dkim.amazonses.com."},
		"CNAME tok3._domainkey.example-clinic.com": {"tok3.dkim.af-south-1.amazonses.com."},
		"_dmarc.example-clinic.com":                {"v=DMARC1; p=quarantine; rua=mailto:dmarc@example-clinic.com"},
		"mail.example-clinic.com":                  {"google-site-verification=x", "v=spf1 include:amazonses.com ~all"},
	}
	with := func(changes map[string][]string) fakeDNS {
		d := fakeDNS{}
		for k, v := range good {
			d[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(d, k)
			} else {
				d[k] = v
			}
		}
		return d
	}
	tests := []struct {
		name     string
		dns      fakeDNS
		dkim     *types.DkimAttributes
		mailFrom *types.MailFromAttributes
		ok       bool
		want     []string
	}{
		{"all published", good, easyDKIM, customMailFrom, true, []string{
			"[ok] DNS publishes the DKIM records of example-clinic.com",
			"[ok] SPF of the MAIL FROM domain mail.example-clinic.com includes amazonses.com",
			"[ok] DMARC of example-clinic.com is published (p=quarantine)"}},
		{"a DKIM CNAME missing", with(map[string][]string{"CNAME tok2._domainkey.example-clinic.com": nil}), easyDKIM, customMailFrom, true, []string{
			"[warning] DNS lacks DKIM records for example-clinic.com",
			"tok2._domainkey.example-clinic.com  CNAME  tok2.dkim.amazonses.com"}},
		{"a DKIM CNAME elsewhere", with(map[string][]string{"CNAME tok1._domainkey.example-clinic.com": {"tok1.dkim.example.net."}}), easyDKIM, nil, false, []string{
			"[warning] DNS lacks DKIM records for example-clinic.com", "tok1._domainkey.example-clinic.com  CNAME",
			"[PROBLEM] DMARC of example-clinic.com says p=quarantine, and neither DKIM nor SPF aligns with it"}},
		{"DKIM published, SES not signing", good, &types.DkimAttributes{Status: types.DkimStatusSuccess, SigningAttributesOrigin: types.DkimSigningAttributesOriginAwsSes, Tokens: tokens}, nil, false, []string{
			"[ok] DNS publishes the DKIM records", "[PROBLEM] DMARC of example-clinic.com says p=quarantine"}},
		{"SES's MAIL FROM, DKIM fine", good, easyDKIM, nil, true, []string{
			"[ok] SPF: mail goes out with SES's own MAIL FROM domain (amazonses.com), not example-clinic.com",
			"DMARC relies on DKIM", "--mail-from-domain mail.example-clinic.com",
			"[ok] DMARC of example-clinic.com is published"}},
		{"SES's MAIL FROM, no DKIM, DMARC quarantine", good, nil, nil, false, []string{
			"[warning] SPF: mail goes out with SES's own MAIL FROM domain",
			"[PROBLEM] DMARC of example-clinic.com says p=quarantine, and neither DKIM nor SPF aligns with it", "put the clinic's alerts in spam"}},
		{"custom MAIL FROM aligns without DKIM", with(map[string][]string{"_dmarc.example-clinic.com": {"v=DMARC1;p=reject"}}), nil, customMailFrom, true, []string{
			"[ok] DMARC of example-clinic.com is published (p=reject)"}},
		{"no SPF record", with(map[string][]string{"mail.example-clinic.com": {"something else"}}), easyDKIM, customMailFrom, true, []string{
			"[warning] DNS has no SPF record for the MAIL FROM domain mail.example-clinic.com", "\"v=spf1 include:amazonses.com ~all\""}},
		{"SPF without SES", with(map[string][]string{"mail.example-clinic.com": {"v=spf1 mx -all"}}), easyDKIM, customMailFrom, true, []string{
			"[warning] The SPF record of mail.example-clinic.com does not include amazonses.com"}},
		{"two SPF records", with(map[string][]string{"mail.example-clinic.com": {"v=spf1 include:amazonses.com ~all", "v=spf1 mx -all"}}), easyDKIM, customMailFrom, true, []string{
			"[warning] DNS has several SPF records for mail.example-clinic.com"}},
		{"MAIL FROM pending, rejecting", good, easyDKIM, &types.MailFromAttributes{MailFromDomain: aws.String("mail.example-clinic.com"),
			MailFromDomainStatus: types.MailFromDomainStatusPending, BehaviorOnMxFailure: types.BehaviorOnMxFailureRejectMessage}, false, []string{
			"[PROBLEM] SES reports the custom MAIL FROM domain mail.example-clinic.com as pending", "SES refuses to send"}},
		{"MAIL FROM failed, falling back", good, easyDKIM, &types.MailFromAttributes{MailFromDomain: aws.String("mail.example-clinic.com"),
			MailFromDomainStatus: types.MailFromDomainStatusFailed, BehaviorOnMxFailure: types.BehaviorOnMxFailureUseDefaultValue}, true, []string{
			"[warning] SES reports the custom MAIL FROM domain mail.example-clinic.com as failed", "falls back"}},
		{"no DMARC", with(map[string][]string{"_dmarc.example-clinic.com": nil}), easyDKIM, customMailFrom, true, []string{
			"[warning] DNS has no DMARC record for example-clinic.com", `publish _dmarc.example-clinic.com TXT "v=DMARC1; p=none; rua=mailto:dmarc@example-clinic.com"`}},
		{"DMARC p=none", with(map[string][]string{"_dmarc.example-clinic.com": {"v=DMARC1; p=none"}}), easyDKIM, customMailFrom, true, []string{
			"[warning] DMARC of example-clinic.com is p=none (monitoring only)"}},
		{"DMARC without a policy", with(map[string][]string{"_dmarc.example-clinic.com": {"v=DMARC1; rua=mailto:x@example-clinic.com"}}), easyDKIM, customMailFrom, true, []string{
			"[warning] The DMARC record of example-clinic.com has no valid policy"}},
		{"DNS not answering", fakeDNS{"fail": nil}, easyDKIM, customMailFrom, true, []string{
			"[warning] Could not look up the DKIM records of example-clinic.com in DNS (lookup tok1._domainkey.example-clinic.com: i/o timeout)",
			"[warning] Could not look up the SPF record of mail.example-clinic.com",
			"[warning] Could not look up the DMARC record of example-clinic.com"}},
	}
	production := &sesv2.GetAccountOutput{ProductionAccessEnabled: true, SendingEnabled: true, EnforcementStatus: aws.String("HEALTHY")}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ses := identitySES{
				fakeSES{[]types.IdentityInfo{identity("example-clinic.com", types.IdentityTypeDomain, types.VerificationStatusSuccess)}, "", production},
				&sesv2.GetEmailIdentityOutput{DkimAttributes: tt.dkim, MailFromAttributes: tt.mailFrom},
			}
			r, err := Check(context.Background(), ses, tt.dns, Setup{Sender: "alerts@Example-Clinic.com", Recipients: []string{"frontdesk@example-clinic.com"}})
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

func TestNotFound(t *testing.T) {
	if notFound(errors.New("no such host")) || !notFound(&net.DNSError{IsNotFound: true}) {
		t.Error("notFound tells a DNSError's IsNotFound only")
	}
}
