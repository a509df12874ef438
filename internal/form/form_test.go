package form

import (
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	plain, err := Snippet(Options{APIURL: "https://abc.execute-api.us-east-1.amazonaws.com/", ClinicPhone: `(555) 010-0100"</script>`})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`action="https://abc.execute-api.us-east-1.amazonaws.com/leads"`, DefaultConsent, `name="consentVersion" value="1"`} {
		if !strings.Contains(plain, want) {
			t.Errorf("snippet lacks %s", want)
		}
	}
	if strings.Contains(plain, "challenges.cloudflare.com") || strings.Contains(plain, `010-0100"</script>`) {
		t.Error("an external script without Turnstile, or the phone number unescaped")
	}
	if len(plain) > 10<<10 {
		t.Errorf("snippet is %d bytes: not a few kB", len(plain))
	}
	with, err := Snippet(Options{APIURL: "https://abc.example", TurnstileSiteKey: "0x4AAAAAAA"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with, `class="lf-field cf-turnstile" data-sitekey="0x4AAAAAAA"`) || !strings.Contains(with, "turnstile/v0/api.js") {
		t.Error("no Turnstile widget with a site key")
	}
	if _, err := Snippet(Options{APIURL: "ftp://x"}); err == nil {
		t.Error("a non-web API URL was accepted")
	}
}
