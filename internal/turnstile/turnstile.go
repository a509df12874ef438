// Package turnstile checks Cloudflare Turnstile tokens, the optional bot
// check a clinic can add to its form (TURNSTILE_SECRET).
package turnstile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SiteverifyURL is Cloudflare's verification endpoint.
const SiteverifyURL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"

// ErrRejected: Cloudflare says the token is not a passed challenge (missing,
// forged, expired or used before).
var ErrRejected = errors.New("turnstile token rejected")

// Verifier asks Cloudflare about tokens.
type Verifier struct {
	Secret string
	// URL is SiteverifyURL; tests point it elsewhere.
	URL    string
	Client *http.Client
}

// New returns a verifier for secret against Cloudflare, with a short timeout:
// a visitor is waiting.
func New(secret string) *Verifier {
	return &Verifier{Secret: secret, URL: SiteverifyURL, Client: &http.Client{Timeout: 3 * time.Second}}
}

// Verify checks token for a visitor at remoteIP: nil when it passed,
// ErrRejected when Cloudflare says no, another error when Cloudflare could
// not be asked.
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
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("turnstile: siteverify answered %d", res.StatusCode)
	}
	var out struct {
		Success    bool     `json:"success"`
		ErrorCodes []string `json:"error-codes"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return fmt.Errorf("turnstile: read the answer: %w", err)
	}
	if !out.Success {
		// Cloudflare's own trouble is not the visitor's fault.
		for _, c := range out.ErrorCodes {
			if c == "internal-error" || c == "missing-input-secret" || c == "invalid-input-secret" {
				return fmt.Errorf("turnstile: %s", c)
			}
		}
		return ErrRejected
	}
	return nil
}
