// Package doctor asks SES, through the same SDK the functions use, whether
// it can send the clinic's email, and says what to do in plain words when it
// cannot.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
)

// SES is the part of the SES v2 client the checks use.
type SES interface {
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
	ListEmailIdentities(ctx context.Context, in *sesv2.ListEmailIdentitiesInput, optFns ...func(*sesv2.Options)) (*sesv2.ListEmailIdentitiesOutput, error)
	GetEmailIdentity(ctx context.Context, in *sesv2.GetEmailIdentityInput, optFns ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
	GetConfigurationSetEventDestinations(ctx context.Context, in *sesv2.GetConfigurationSetEventDestinationsInput, optFns ...func(*sesv2.Options)) (*sesv2.GetConfigurationSetEventDestinationsOutput, error)
}

// Level is how much a finding matters.
type Level int

const (
	OK      Level = iota // nothing to do
	Warning              // email goes out, but something should be improved
	Problem              // email will not go out (to everyone) until this is fixed
)

func (l Level) String() string {
	return [...]string{"ok", "warning", "PROBLEM"}[l]
}

// Finding is one check's answer.
type Finding struct {
	Level  Level
	Title  string
	Detail string
}

// Report is every finding, in the order checked.
type Report []Finding

// OK reports whether nothing stops the clinic's email.
func (r Report) OK() bool {
	for _, f := range r {
		if f.Level == Problem {
			return false
		}
	}
	return true
}

func (r Report) String() string {
	var b strings.Builder
	for _, f := range r {
		fmt.Fprintf(&b, "[%s] %s\n", f.Level, f.Title)
		if f.Detail != "" {
			for _, line := range strings.Split(f.Detail, "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
	}
	return b.String()
}

// Setup is what the stack is deployed with, as far as the checks look.
type Setup struct {
	Sender     string   // SENDER_EMAIL
	Recipients []string // CLINIC_EMAIL: the clinic's own addresses
	// ConfigurationSet is SES_CONFIGURATION_SET (the stack's
	// MailConfigurationSet); empty: not checked.
	ConfigurationSet string
	// MaxSendRate is SesMaxSendRate (SES_MAX_SEND_RATE), 0 for no limit;
	// nil: not checked.
	MaxSendRate *float64
}

// Check asks SES, and DNS about the sender's domain, whether the stack's
// email can go out as set up.
func Check(ctx context.Context, api SES, dns Resolver, s Setup) (Report, error) {
	identities, err := listIdentities(ctx, api)
	if err != nil {
		return nil, fmt.Errorf("list SES identities (are AWS credentials and region set?): %w", err)
	}
	var r Report
	found, id := checkSender(ctx, api, identities, s.Sender)
	r = append(r, found...)
	_, domain, _ := strings.Cut(strings.ToLower(s.Sender), "@")
	r = append(r, checkDNS(ctx, dns, domain, id)...)
	if s.ConfigurationSet != "" {
		r = append(r, checkConfigurationSet(ctx, api, s.ConfigurationSet)...)
	}
	r = append(r, checkAccount(ctx, api, identities, s.Recipients, s.MaxSendRate)...)
	return r, nil
}

func listIdentities(ctx context.Context, api SES) (map[string]types.IdentityInfo, error) {
	out := map[string]types.IdentityInfo{}
	var token *string
	for {
		page, err := api.ListEmailIdentities(ctx, &sesv2.ListEmailIdentitiesInput{NextToken: token})
		if err != nil {
			return nil, err
		}
		for _, id := range page.EmailIdentities {
			out[strings.ToLower(aws.ToString(id.IdentityName))] = id
		}
		if token = page.NextToken; token == nil {
			return out, nil
		}
	}
}

// identityFor is the identity that covers address: the address itself, or
// its domain.
func identityFor(identities map[string]types.IdentityInfo, address string) (types.IdentityInfo, bool) {
	address = strings.ToLower(address)
	if id, ok := identities[address]; ok {
		return id, true
	}
	_, domain, _ := strings.Cut(address, "@")
	id, ok := identities[domain]
	return id, ok
}

// checkSender also returns SES's settings of the sender's identity (nil
// when it has none or they could not be read), for the DNS checks.
func checkSender(ctx context.Context, api SES, identities map[string]types.IdentityInfo, sender string) (Report, *sesv2.GetEmailIdentityOutput) {
	id, ok := identityFor(identities, sender)
	_, domain, _ := strings.Cut(sender, "@")
	if !ok {
		return Report{{Problem, "The sender " + sender + " is not an SES identity in this region",
			"SES sends only from addresses it has verified. Verify the domain (best: it also sets up DKIM):\n" +
				"  aws sesv2 create-email-identity --email-identity " + domain + "\n" +
				"then add the three DKIM CNAME records it prints to the domain's DNS. Or verify just the address\n" +
				"(aws sesv2 create-email-identity --email-identity " + sender + ") and click the link SES emails to it."}}, nil
	}
	name := aws.ToString(id.IdentityName)
	var r Report
	switch id.VerificationStatus {
	case types.VerificationStatusSuccess:
		r = append(r, Finding{OK, "The sender " + sender + " is verified (identity " + name + ")", ""})
	case types.VerificationStatusPending:
		r = append(r, Finding{Problem, "The identity " + name + " is still waiting for verification",
			"For a domain, SES is looking for its DKIM CNAME records in DNS (it can take up to 72 hours after they are added);\nfor an address, someone must click the link SES emailed to it."})
	default:
		r = append(r, Finding{Problem, "The identity " + name + " failed verification (" + string(id.VerificationStatus) + ")",
			"SES could not find its DNS records. Check the DKIM CNAME records in the domain's DNS, then retry\nverification in the SES console (Identities > " + name + ")."})
	}
	if !id.SendingEnabled {
		r = append(r, Finding{Problem, "SES reports sending disabled for the identity " + name,
			"This is usually an identity whose verification is not finished, or one under review. See the\nSES console (Identities > " + name + ")."})
	}
	got, err := api.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(name)})
	switch {
	case err != nil:
		r = append(r, Finding{Warning, "Could not read the DKIM settings of " + name + " (" + errCode(err) + ")", ""})
	case id.IdentityType == types.IdentityTypeEmailAddress:
		r = append(r, Finding{Warning, "The sender is verified as a single address, not as a domain",
			"Mail then goes out without the clinic's own DKIM signature and is likelier to land in spam.\nVerify the domain " + domain + " with Easy DKIM, and publish SPF and DMARC records (see docs/ses.md)."})
	case got.DkimAttributes == nil || got.DkimAttributes.Status != types.DkimStatusSuccess:
		status := "not started"
		if got.DkimAttributes != nil {
			status = strings.ToLower(strings.ReplaceAll(string(got.DkimAttributes.Status), "_", " "))
		}
		r = append(r, Finding{Warning, "DKIM is not working for " + name + " (" + status + ")",
			"Without DKIM, alerts are likelier to land in spam. Publish the three CNAME records of the\nidentity's DKIM settings (SES console > Identities > " + name + " > Authentication)."})
	default:
		r = append(r, Finding{OK, "DKIM signs mail from " + name, ""})
	}
	return r, got
}

func checkAccount(ctx context.Context, api SES, identities map[string]types.IdentityInfo, recipients []string, maxSendRate *float64) Report {
	acct, err := api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return Report{{Warning, "Could not read the account's SES status (" + errCode(err) + ")",
			"Check in the SES console (Account dashboard) whether the account is still in the sandbox and\nwhether sending is enabled."}}
	}
	var r Report
	if maxSendRate != nil {
		r = append(r, checkSendRate(*maxSendRate, acct.SendQuota))
	}
	if !acct.SendingEnabled {
		r = append(r, Finding{Problem, "Sending is disabled for the whole SES account in this region",
			"AWS pauses an account's sending after too many bounces or complaints. Read the notice in the\nSES console (Account dashboard) and ask AWS to re-enable it."})
	}
	if s := aws.ToString(acct.EnforcementStatus); s != "" && s != "HEALTHY" {
		r = append(r, Finding{Warning, "The account's sending status is " + s, "Bounces or complaints are high; see the SES console's reputation metrics."})
	}
	if acct.ProductionAccessEnabled {
		r = append(r, Finding{OK, "The account is out of the SES sandbox", ""})
		return r
	}
	var unverified []string
	for _, to := range recipients {
		if id, ok := identityFor(identities, to); !ok || id.VerificationStatus != types.VerificationStatusSuccess {
			unverified = append(unverified, to)
		}
	}
	quota := ""
	if q := acct.SendQuota; q != nil {
		quota = fmt.Sprintf(" (%.0f messages a day, %.0f a second)", q.Max24HourSend, q.MaxSendRate)
	}
	sandbox := "In the sandbox SES delivers only to verified addresses" + quota + ". Request production access in\n" +
		"the SES console (Account dashboard > Request production access); approval usually takes a day."
	if len(unverified) > 0 {
		r = append(r, Finding{Problem, "The account is in the SES sandbox and these clinic addresses are not verified: " + strings.Join(unverified, ", "),
			sandbox + "\nUntil then, verify each of them: aws sesv2 create-email-identity --email-identity <address>."})
	} else {
		r = append(r, Finding{Warning, "The account is in the SES sandbox", sandbox +
			"\nThe clinic's alerts and digests reach its verified addresses; acknowledgements to patients (ACK_EMAIL) do not."})
	}
	return r
}

func errCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return err.Error()
}
