// Command snippet prints the embeddable appointment form, ready to paste
// into the clinic's site: make snippet API_URL=https://... (the stack's
// ApiUrl output).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"

	"github.com/openclinic/leadhandler/internal/render/form"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run prints the snippet to stdout, and warnings and errors to stderr; its
// result is the exit code (2: bad usage).
func run(args []string, stdout, stderr io.Writer) int {
	var o form.Options
	flags := flag.NewFlagSet("snippet", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&o.APIURL, "api-url", "", "the API's base URL, the stack's ApiUrl output (required)")
	flags.StringVar(&o.ClinicPhone, "phone", "", "the clinic's phone number, shown when a request cannot be taken")
	flags.StringVar(&o.ConsentText, "consent-text", "", "the consent checkbox's text (default: a generic one)")
	flags.StringVar(&o.ConsentVersion, "consent-version", "", "a name for that text's version, stored with each consent")
	flags.StringVar(&o.ButtonColor, "button-color", "", "the send button's colour, a CSS colour such as #0d4f45 (default: blue)")
	flags.StringVar(&o.TurnstileSiteKey, "turnstile-sitekey", "", "a Cloudflare Turnstile site key, to add its check (the stack needs the TurnstileSecret)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if o.APIURL == "" {
		fmt.Fprintln(stderr, "snippet: API_URL is required: make snippet API_URL=https://<api-id>.execute-api.<region>.amazonaws.com")
		return 2
	}
	if (o.ConsentText == "") != (o.ConsentVersion == "") {
		fmt.Fprintln(stderr, "snippet: give both CONSENT_TEXT and CONSENT_VERSION, or neither")
		return 2
	}
	s, err := form.Snippet(o)
	if err != nil {
		fmt.Fprintln(stderr, "snippet:", err)
		return 2
	}
	if u, err := url.Parse(o.APIURL); err == nil && u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
			fmt.Fprintln(stderr, "snippet: warning: API_URL is http://: fine for make dev on this machine, not for the clinic's site (use the stack's https ApiUrl)")
		} else {
			fmt.Fprintln(stderr, "snippet: warning: API_URL is http://: an https page cannot post to it (browsers block mixed content), and the patient's details would cross the network unencrypted; use the stack's https ApiUrl")
		}
	}
	fmt.Fprint(stdout, s)
	return 0
}
