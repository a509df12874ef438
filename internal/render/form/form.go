// Package form renders the embeddable appointment form: one HTML snippet
// with its own small script and styles (no framework, no CDN) that a clinic
// pastes into any page. With JavaScript it posts JSON and shows the answer
// in place; without, it is a plain form post that comes back to a thank-you
// page.
package form

import (
	_ "embed" // the snippet
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"strings"
)

//go:embed snippet.html
var snippetHTML string

var snippet = template.Must(template.New("snippet").Parse(snippetHTML))

// Options are what a clinic sets in its snippet.
type Options struct {
	// APIURL is the API's base URL (the stack's ApiUrl output); empty for
	// the same origin as the page.
	APIURL string
	// ClinicPhone is shown when a request cannot be taken (429, 503).
	ClinicPhone string
	// ConsentText is the consent checkbox's label; ConsentVersion names
	// that text, and is stored with each lead's consent.
	ConsentText    string
	ConsentVersion string
	// ButtonColor is the send button's background, a CSS colour such as
	// #0d4f45; empty for the default blue, or for a site that sets the
	// --lf-button custom property itself.
	ButtonColor string
	// TurnstileSiteKey, when set, adds Cloudflare's Turnstile check (its
	// widget and script, from Cloudflare); the stack then needs the matching
	// TurnstileSecret.
	TurnstileSiteKey string
}

// cssColor is a colour a clinic's web person would write: hex, a name, or
// an rgb()/hsl() function of numbers.
var cssColor = regexp.MustCompile(`^(#[0-9A-Fa-f]{3,4}|#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{8}|[A-Za-z]{3,20}|(rgb|hsl)a?\([0-9., %/deg]{1,40}\))$`)

// tel is a phone number as a tel: link wants it: its digits, and a leading +.
func tel(phone string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DefaultConsent is the consent text the snippet shows unless told otherwise.
const DefaultConsent = "I agree that the clinic may contact me by phone, text or email about scheduling an appointment."

// Snippet renders the form for o.
func Snippet(o Options) (string, error) {
	if o.APIURL != "" {
		u, err := url.Parse(o.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "", fmt.Errorf("API URL %q: want an absolute http(s) URL", o.APIURL)
		}
	}
	if o.ButtonColor != "" && !cssColor.MatchString(o.ButtonColor) {
		return "", fmt.Errorf("button colour %q: want a CSS colour such as #0d4f45, rgb(13 79 69) or teal", o.ButtonColor)
	}
	if o.ConsentText == "" {
		o.ConsentText, o.ConsentVersion = DefaultConsent, "1"
	}
	var b strings.Builder
	err := snippet.Execute(&b, struct {
		Options
		Action, Tel string
	}{o, strings.TrimSuffix(o.APIURL, "/") + "/leads", tel(o.ClinicPhone)})
	return b.String(), err
}
