// Command snippet prints the embeddable appointment form, ready to paste
// into the clinic's site: make snippet API_URL=https://... (the stack's
// ApiUrl output).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/openclinic/leadhandler/internal/form"
)

func main() {
	var o form.Options
	flag.StringVar(&o.APIURL, "api-url", "", "the API's base URL, the stack's ApiUrl output (required)")
	flag.StringVar(&o.ClinicPhone, "phone", "", "the clinic's phone number, shown when a request cannot be taken")
	flag.StringVar(&o.ConsentText, "consent-text", "", "the consent checkbox's text (default: a generic one)")
	flag.StringVar(&o.ConsentVersion, "consent-version", "", "a name for that text's version, stored with each consent")
	flag.StringVar(&o.TurnstileSiteKey, "turnstile-sitekey", "", "a Cloudflare Turnstile site key, to add its check (the stack needs the TurnstileSecret)")
	flag.Parse()
	if o.APIURL == "" {
		fmt.Fprintln(os.Stderr, "snippet: API_URL is required: make snippet API_URL=https://<api-id>.execute-api.<region>.amazonaws.com")
		os.Exit(2)
	}
	if (o.ConsentText == "") != (o.ConsentVersion == "") {
		fmt.Fprintln(os.Stderr, "snippet: give both CONSENT_TEXT and CONSENT_VERSION, or neither")
		os.Exit(2)
	}
	s, err := form.Snippet(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "snippet:", err)
		os.Exit(2)
	}
	fmt.Print(s)
}
