package lead

import (
	"slices"
	"testing"
)

func TestSourceClass(t *testing.T) {
	for _, c := range []struct {
		name string
		src  Source
		want string
	}{
		{"nothing known", Source{}, SourceDirect},
		{"a page only", Source{Page: "https://clinic.example/back-pain"}, SourceDirect},
		{"google ads click", Source{UTM: map[string]string{"gclid": "Cj0KCQ"}}, SourceAds},
		{"meta ads click", Source{UTM: map[string]string{"fbclid": "IwAR0"}, Referrer: "https://l.facebook.com"}, SourceAds},
		{"paid medium", Source{UTM: map[string]string{"utm_source": "google", "utm_medium": "cpc"}}, SourceAds},
		{"paid social medium", Source{UTM: map[string]string{"utm_source": "instagram", "utm_medium": "Paid_Social"}}, SourceAds},
		{"newsletter", Source{UTM: map[string]string{"utm_source": "march-news", "utm_medium": "email"}}, SourceEmail},
		{"organic social post", Source{UTM: map[string]string{"utm_source": "facebook", "utm_medium": "social"}}, SourceSocial},
		{"utm_source alone, a network", Source{UTM: map[string]string{"utm_source": "LinkedIn"}}, SourceSocial},
		{"utm_source alone, an engine", Source{UTM: map[string]string{"utm_source": "bing"}}, SourceSearch},
		{"utm_source alone, unknown", Source{UTM: map[string]string{"utm_source": "flyer"}}, SourceOther},
		{"a medium of no class", Source{UTM: map[string]string{"utm_medium": "print"}}, SourceOther},
		{"referral medium", Source{UTM: map[string]string{"utm_source": "physio-directory", "utm_medium": "referral"}}, SourceReferral},
		{"search referrer", Source{Referrer: "https://www.google.co.uk"}, SourceSearch},
		{"duckduckgo referrer", Source{Referrer: "https://duckduckgo.com"}, SourceSearch},
		{"social referrer", Source{Referrer: "https://m.facebook.com"}, SourceSocial},
		{"twitter's shortener", Source{Referrer: "https://t.co"}, SourceSocial},
		{"webmail referrer", Source{Referrer: "https://mail.google.com"}, SourceEmail},
		{"another site", Source{Referrer: "https://www.healthdirectory.example"}, SourceReferral},
		{"a short label inside a longer name is no network", Source{Referrer: "https://x-ray-clinic.example"}, SourceReferral},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.src.Class()
			if got != c.want {
				t.Errorf("Class() = %q, want %q", got, c.want)
			}
			if !slices.Contains(SourceClasses, got) {
				t.Errorf("%q is not in SourceClasses", got)
			}
		})
	}
}
