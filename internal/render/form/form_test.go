package form

import (
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/lead"
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
	// The script tells the API's time trap whether a person typed,
	// clicked or tapped (lead.Submission.Interacted).
	for _, want := range []string{lead.FieldInteracted + ": interacted", `"keydown", "pointerdown", "touchstart"`} {
		if !strings.Contains(plain, want) {
			t.Errorf("the script lacks %s", want)
		}
	}
	if len(plain) > 16<<10 {
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

func TestSnippetOptions(t *testing.T) {
	s, err := Snippet(Options{APIURL: "https://abc.example", ClinicPhone: "+1 (555) 010-0100", ButtonColor: "#0d4f45"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"line-height:1.4;--lf-button:#0d4f45}", "background:var(--lf-button,#0b57d0)", // the site may set it too
		`tel = "+15550100100"`, `Your name <span class="lf-req">(required)</span>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("snippet lacks %s", want)
		}
	}
	if strings.Contains(s, " checked") {
		t.Error("a contact method is preselected: the API's own default (phone if given, else email) would never apply")
	}
	for _, c := range []string{"red;}body{display:none", "url(https://evil.example)", "#12", "expression(alert(1))"} {
		if _, err := Snippet(Options{APIURL: "https://abc.example", ButtonColor: c}); err == nil {
			t.Errorf("button colour %q accepted", c)
		}
	}
	for _, c := range []string{"#fff", "teal", "rgb(13 79 69)", "hsl(170deg 72% 18%)"} {
		if _, err := Snippet(Options{APIURL: "https://abc.example", ButtonColor: c}); err != nil {
			t.Errorf("button colour %q: %v", c, err)
		}
	}
}
