// Package turnstile checks Cloudflare Turnstile tokens, the optional bot
// check a clinic can add to its form (TURNSTILE_SECRET_ARN, or
// TURNSTILE_SECRET locally).
package turnstile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// SiteverifyURL is Cloudflare's verification endpoint.
const SiteverifyURL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"

// ErrRejected: Cloudflare says the token is not a passed challenge (missing,
// forged, expired or used before), or it was passed on another site.
var ErrRejected = errors.New("turnstile token rejected")

// ErrMisconfigured: Cloudflare refuses our side of the question (the secret
// is missing, wrong or revoked; the request malformed). Taking requests
// unchecked then would switch the bot check off unnoticed, so the caller
// fails closed and ops are alerted.
var ErrMisconfigured = errors.New("turnstile misconfigured")

// Verifier asks Cloudflare about tokens.
type Verifier struct {
	Secret string
	// Hostnames are the sites whose pages carry the form (ALLOWED_ORIGINS'
	// hosts): a token passed on any other site is rejected.
	Hostnames []string
	// URL is SiteverifyURL; tests point it elsewhere.
	URL    string
	Client *http.Client
}

// New returns a verifier for secret against Cloudflare, with a short timeout
// (a visitor is waiting), accepting tokens passed on the hosts of origins
// (scheme://host[:port]).
func New(secret string, origins []string) *Verifier {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Hostname() != "" {
			hosts = append(hosts, strings.ToLower(u.Hostname()))
		}
	}
	return &Verifier{Secret: secret, Hostnames: hosts, URL: SiteverifyURL, Client: &http.Client{Timeout: 3 * time.Second}}
}

// Verify checks token for a visitor at remoteIP: nil when it passed;
// ErrRejected when Cloudflare says no or the token is another site's;
// ErrMisconfigured when Cloudflare refuses our secret or request; another
// error when Cloudflare could not be asked (network trouble, a 5xx, its
// internal-error), which alone the caller may let through.
func (v *Verifier) Verify(ctx context.Context, token, remoteIP string) error {
	if strings.TrimSpace(token) == "" {
		return ErrRejected
	}
	form := url.Values{"secret": {v.Secret}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("turnstile: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := v.Client.Do(req)
	if err != nil {
		return fmt.Errorf("turnstile: %w", err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode >= 500:
		return fmt.Errorf("turnstile: siteverify answered %d", res.StatusCode)
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: siteverify answered %d", ErrMisconfigured, res.StatusCode)
	}
	var out struct {
		Success    bool     `json:"success"`
		ErrorCodes []string `json:"error-codes"`
		Hostname   string   `json:"hostname"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return fmt.Errorf("%w: read the answer: %v", ErrMisconfigured, err)
	}
	if !out.Success {
		for _, c := range out.ErrorCodes {
			switch c {
			case "internal-error": // Cloudflare's own trouble, its 5xx
				return fmt.Errorf("turnstile: %s", c)
			case "missing-input-secret", "invalid-input-secret", "bad-request":
				return fmt.Errorf("%w: %s", ErrMisconfigured, c)
			}
		}
		return ErrRejected
	}
	if !slices.Contains(v.Hostnames, strings.ToLower(out.Hostname)) {
		return fmt.Errorf("%w: passed on another site", ErrRejected)
	}
	return nil
}
