package doctor

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// Resolver is the part of *net.Resolver the DNS checks use.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupCNAME(ctx context.Context, host string) (string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// checkDNS looks up, in public DNS, what receivers look up about mail from
// domain: the Easy DKIM CNAMEs of the identity id, SPF at the MAIL FROM
// domain, and DMARC. id may be nil (the identity could not be read).
func checkDNS(ctx context.Context, dns Resolver, domain string, id *sesv2.GetEmailIdentityOutput) Report {
	var dkim *types.DkimAttributes
	var mailFrom *types.MailFromAttributes
	if id != nil {
		dkim, mailFrom = id.DkimAttributes, id.MailFromAttributes
	}
	var r Report
	dkimOK, f := checkDKIMRecords(ctx, dns, domain, dkim)
	if f != nil {
		r = append(r, *f)
	}
	spfAligned, spf := checkSPF(ctx, dns, domain, mailFrom, dkimOK)
	r = append(r, spf...)
	r = append(r, checkDMARC(ctx, dns, domain, dkimOK || spfAligned))
	return r
}

// checkDKIMRecords checks that each Easy DKIM token's CNAME
// <token>._domainkey.<domain> points at <token>.dkim.amazonses.com (or a
// region's dkim.<region>.amazonses.com). It reports whether DKIM aligns
// (all do, and SES signs); no
// finding when SES holds no Easy DKIM tokens (the SES checks already said so).
func checkDKIMRecords(ctx context.Context, dns Resolver, domain string, dkim *types.DkimAttributes) (bool, *Finding) {
	if dkim == nil || len(dkim.Tokens) == 0 {
		return false, nil
	}
	if o := string(dkim.SigningAttributesOrigin); o != "" && !strings.HasPrefix(o, "AWS_SES") {
		// Bring-your-own DKIM: the record is the clinic's TXT, not SES's CNAME.
		return dkim.Status == types.DkimStatusSuccess, nil
	}
	var bad []string
	for _, token := range dkim.Tokens {
		name := token + "._domainkey." + domain
		got, err := dns.LookupCNAME(ctx, name)
		target := strings.ToLower(strings.TrimSuffix(got, "."))
		switch {
		case err != nil && !notFound(err):
			return false, &Finding{Warning, "Could not look up the DKIM records of " + domain + " in DNS (" + err.Error() + ")", ""}
		case err != nil || !strings.HasPrefix(target, strings.ToLower(token)+".dkim.") || !strings.HasSuffix(target, ".amazonses.com"):
			bad = append(bad, "  "+name+"  CNAME  "+token+".dkim.amazonses.com")
		}
	}
	if len(bad) > 0 {
		return false, &Finding{Warning, "DNS lacks DKIM records for " + domain,
			"Receivers cannot check the DKIM signature SES adds without these CNAME records; publish them in\nthe domain's DNS (the SES console shows the exact target for the region):\n" + strings.Join(bad, "\n")}
	}
	// Aligned only if SES signs, too (the SES checks report when it does not).
	return dkim.Status == types.DkimStatusSuccess && dkim.SigningEnabled, &Finding{OK, "DNS publishes the DKIM records of " + domain, ""}
}

// checkSPF checks SPF where it counts for SES's mail: the MAIL FROM domain.
// With SES's default MAIL FROM (a subdomain of amazonses.com) SPF passes for
// Amazon's domain, not the clinic's, so DMARC rests on DKIM alone. It
// reports whether SPF aligns with the sender's domain.
func checkSPF(ctx context.Context, dns Resolver, domain string, mf *types.MailFromAttributes, dkimOK bool) (bool, Report) {
	custom := ""
	if mf != nil {
		custom = strings.ToLower(aws.ToString(mf.MailFromDomain))
	}
	if custom == "" {
		level, also := OK, ""
		if !dkimOK {
			level, also = Warning, "\nWith DKIM not working either, nothing ties the mail to "+domain+" and DMARC fails."
		}
		return false, Report{{level, "SPF: mail goes out with SES's own MAIL FROM domain (amazonses.com), not " + domain,
			"SPF passes for Amazon's domain but does not align with " + domain + ", so DMARC relies on DKIM." + also + "\n" +
				"For SPF alignment too, set a custom MAIL FROM subdomain (aws sesv2 put-email-identity-mail-from-attributes\n" +
				"--email-identity " + domain + " --mail-from-domain mail." + domain + ") and publish the MX and the TXT\n" +
				"\"v=spf1 include:amazonses.com ~all\" SES shows for it."}}
	}
	var r Report
	if mf.MailFromDomainStatus != types.MailFromDomainStatusSuccess {
		level, what := Warning, "SES falls back to its own MAIL FROM meanwhile."
		if mf.BehaviorOnMxFailure == types.BehaviorOnMxFailureRejectMessage {
			level, what = Problem, "The identity is set to reject mail while it is not verified (BehaviorOnMxFailure REJECT_MESSAGE): SES refuses to send."
		}
		r = append(r, Finding{level, "SES reports the custom MAIL FROM domain " + custom + " as " + strings.ToLower(string(mf.MailFromDomainStatus)),
			"SES looks for its MX record (feedback-smtp.<region>.amazonses.com) in DNS. " + what})
	}
	txt, err := dns.LookupTXT(ctx, custom)
	if err != nil && !notFound(err) {
		return false, append(r, Finding{Warning, "Could not look up the SPF record of " + custom + " in DNS (" + err.Error() + ")", ""})
	}
	var spf []string
	for _, t := range txt {
		if f := strings.Fields(strings.ToLower(t)); len(f) > 0 && f[0] == "v=spf1" {
			spf = append(spf, t)
		}
	}
	want := "publish one TXT record at " + custom + ": \"v=spf1 include:amazonses.com ~all\"."
	switch {
	case len(spf) == 0:
		r = append(r, Finding{Warning, "DNS has no SPF record for the MAIL FROM domain " + custom, "SPF fails for every email SES sends; " + want})
	case len(spf) > 1:
		r = append(r, Finding{Warning, "DNS has several SPF records for " + custom + ", which makes SPF fail", "Merge them into one; " + want})
	case !spfIncludesSES(spf[0]):
		r = append(r, Finding{Warning, "The SPF record of " + custom + " does not include amazonses.com", "Found \"" + spf[0] + "\"; add include:amazonses.com, or " + want})
	default:
		r = append(r, Finding{OK, "SPF of the MAIL FROM domain " + custom + " includes amazonses.com", ""})
		return mf.MailFromDomainStatus == types.MailFromDomainStatusSuccess, r
	}
	return false, r
}

func spfIncludesSES(record string) bool {
	for _, term := range strings.Fields(strings.ToLower(record)) {
		if strings.TrimLeft(term, "+") == "include:amazonses.com" {
			return true
		}
	}
	return false
}

// checkDMARC checks the TXT record at _dmarc.<domain>. aligned says whether
// DKIM or SPF ties the mail to domain; without it, a quarantine or reject
// policy sends the clinic's alerts to spam or bounces them.
func checkDMARC(ctx context.Context, dns Resolver, domain string, aligned bool) Finding {
	name := "_dmarc." + domain
	publish := "publish " + name + " TXT \"v=DMARC1; p=none; rua=mailto:dmarc@" + domain + "\", watch the reports\nfor a few weeks, then move to p=quarantine."
	txt, err := dns.LookupTXT(ctx, name)
	if err != nil && !notFound(err) {
		return Finding{Warning, "Could not look up the DMARC record of " + domain + " in DNS (" + err.Error() + ")", ""}
	}
	var record string
	for _, t := range txt {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(t)), "V=DMARC1") {
			record = t
		}
	}
	if record == "" {
		return Finding{Warning, "DNS has no DMARC record for " + domain,
			"Mailbox providers (Gmail, Yahoo) expect one from senders, and without it anyone can send as " + domain + ";\n" + publish}
	}
	policy := ""
	for _, tag := range strings.Split(record, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(tag), "="); ok && strings.EqualFold(strings.TrimSpace(k), "p") {
			policy = strings.ToLower(strings.TrimSpace(v))
		}
	}
	switch {
	case policy == "quarantine" || policy == "reject":
		if !aligned {
			return Finding{Problem, "DMARC of " + domain + " says p=" + policy + ", and neither DKIM nor SPF aligns with it",
				"Receivers will " + map[string]string{"quarantine": "put the clinic's alerts in spam", "reject": "refuse the clinic's alerts"}[policy] +
					". Fix DKIM (the CNAME records above) or set a custom MAIL FROM domain."}
		}
		return Finding{OK, "DMARC of " + domain + " is published (p=" + policy + ")", ""}
	case policy == "none":
		return Finding{Warning, "DMARC of " + domain + " is p=none (monitoring only)",
			"Receivers act on nothing, so others can still send as " + domain + ". Once the reports show only your\nown senders, move to p=quarantine."}
	default:
		return Finding{Warning, "The DMARC record of " + domain + " has no valid policy (p=none, quarantine or reject)", "Found \"" + record + "\"; " + publish}
	}
}

// notFound reports whether err says the name has no such record, as
// opposed to DNS not answering.
func notFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}
