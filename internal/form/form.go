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
	// TurnstileSiteKey, when set, adds Cloudflare's Turnstile check (its
	// widget and script, from Cloudflare); the stack then needs the matching
	// TurnstileSecret.
	TurnstileSiteKey string
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
	if o.ConsentText == "" {
		o.ConsentText, o.ConsentVersion = DefaultConsent, "1"
	}
	var b strings.Builder
	err := snippet.Execute(&b, struct {
		Options
		Action string
	}{o, strings.TrimSuffix(o.APIURL, "/") + "/leads"})
	return b.String(), err
}
