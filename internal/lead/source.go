package lead

import (
	"net/url"
	"slices"
	"strings"
)

// Source classes: where a request came from, in the few words a clinic's
// marketing figures use. A metric's dimension takes only these values.
const (
	SourceAds      = "ads"      // a paid click: gclid, fbclid, or a paid utm_medium
	SourceSearch   = "search"   // a search engine, unpaid
	SourceSocial   = "social"   // a social network, unpaid
	SourceEmail    = "email"    // a newsletter or an email campaign
	SourceReferral = "referral" // another site's link
	SourceDirect   = "direct"   // typed, bookmarked, or not known
	SourceOther    = "other"    // a tagged campaign of no class above (print, QR code)
)

// SourceClasses lists every class Class returns.
var SourceClasses = []string{SourceAds, SourceSearch, SourceSocial, SourceEmail, SourceReferral, SourceDirect, SourceOther}

var (
	paidMedia   = []string{"cpc", "ppc", "paid", "paidsearch", "paid-search", "paid_search", "paidsocial", "paid-social", "paid_social", "cpm", "cpv", "display", "banner", "ad", "ads", "retargeting"}
	emailMedia  = []string{"email", "e-mail", "e_mail", "newsletter", "mail"}
	socialMedia = []string{"social", "social-media", "social_media", "social-network", "sm", "sns"}
	searchMedia = []string{"organic", "search"}
	// Names of sites as utm_source gives them or as a referrer's host
	// holds them (google in www.google.co.uk).
	searchSites = []string{"google", "bing", "duckduckgo", "yahoo", "ecosia", "baidu", "yandex", "brave", "startpage", "qwant", "naver"}
	socialSites = []string{"facebook", "fb", "instagram", "ig", "twitter", "x", "t", "linkedin", "lnkd", "pinterest", "reddit", "tiktok", "youtube", "nextdoor", "threads", "bsky", "snapchat", "whatsapp"}
)

// Class is the source class of the request: from its click ids and UTM
// tags first (what the clinic's campaigns said), else from the site it came
// from, else direct. It reads only the lead's attribution, never a person.
func (s Source) Class() string {
	u := s.UTM
	if u["gclid"] != "" || u["fbclid"] != "" {
		return SourceAds
	}
	medium := strings.ToLower(strings.TrimSpace(u["utm_medium"]))
	switch {
	case slices.Contains(paidMedia, medium) || strings.Contains(medium, "paid") || strings.Contains(medium, "cpc"):
		return SourceAds
	case slices.Contains(emailMedia, medium):
		return SourceEmail
	case slices.Contains(socialMedia, medium):
		return SourceSocial
	case slices.Contains(searchMedia, medium):
		return SourceSearch
	case medium == "referral":
		return SourceReferral
	}
	if src := strings.ToLower(strings.TrimSpace(u["utm_source"])); src != "" {
		if c := siteClass(src); c != "" {
			return c
		}
		return SourceOther
	}
	if medium != "" {
		return SourceOther
	}
	if s.Referrer != "" {
		host := s.Referrer
		if p, err := url.Parse(s.Referrer); err == nil && p.Host != "" {
			host = p.Hostname()
		}
		if c := siteClass(strings.ToLower(host)); c != "" {
			return c
		}
		return SourceReferral
	}
	return SourceDirect
}

// siteClass is search or social when name (a utm_source, or a host such as
// www.google.co.uk or l.facebook.com) is a known engine or network.
func siteClass(name string) string {
	labels := strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == ' ' || r == '_' || r == '-' })
	if strings.Contains(name, "mail.") || strings.HasPrefix(name, "outlook.") {
		return SourceEmail // webmail: a link in an email
	}
	for _, l := range labels {
		if slices.Contains(searchSites, l) {
			return SourceSearch
		}
	}
	// Short labels (t, x, m, fb) count only as a host's name before its
	// top-level domain (t.co, x.com), not anywhere in a longer name.
	for i, l := range labels {
		if slices.Contains(socialSites, l) && (len(l) > 2 || i == len(labels)-2 || len(labels) == 1) {
			return SourceSocial
		}
	}
	return ""
}
