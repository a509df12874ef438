package turnstile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// siteverify stands in for Cloudflare: it answers with body, and keeps what
// it was sent.
func siteverify(t *testing.T, status int, body string) (*Verifier, *http.Request) {
	t.Helper()
	got := &http.Request{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		*got = *r
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	v := New("the-secret", []string{"https://www.example-clinic.com", "https://Example-Clinic.com", "http://localhost:3000"})
	v.URL = srv.URL
	return v, got
}

func TestVerify(t *testing.T) {
	const (
		passed      = "passed"
		rejected    = "rejected"
		misconfig   = "misconfigured"
		unreachable = "unreachable" // the only answer the caller lets through
	)
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"passed", 200, `{"success":true,"error-codes":[],"hostname":"www.example-clinic.com"}`, passed},
		{"passed on the bare domain", 200, `{"success":true,"hostname":"example-clinic.com"}`, passed},
		{"passed locally", 200, `{"success":true,"hostname":"localhost"}`, passed},
		{"passed on another site", 200, `{"success":true,"hostname":"evil.example"}`, rejected},
		{"passed on a look-alike site", 200, `{"success":true,"hostname":"www.example-clinic.com.evil.example"}`, rejected},
		{"passed, no hostname", 200, `{"success":true}`, rejected},
		{"forged token", 200, `{"success":false,"error-codes":["invalid-input-response"]}`, rejected},
		{"used twice", 200, `{"success":false,"error-codes":["timeout-or-duplicate"]}`, rejected},
		{"Cloudflare's own error", 200, `{"success":false,"error-codes":["internal-error"]}`, unreachable},
		{"our secret is wrong", 200, `{"success":false,"error-codes":["invalid-input-secret"]}`, misconfig},
		{"our secret is missing", 200, `{"success":false,"error-codes":["missing-input-secret"]}`, misconfig},
		{"our secret is wrong, the token too", 200, `{"success":false,"error-codes":["invalid-input-response","invalid-input-secret"]}`, misconfig},
		{"our request is malformed", 200, `{"success":false,"error-codes":["bad-request"]}`, misconfig},
		{"Cloudflare down", 502, `bad gateway`, unreachable},
		{"Cloudflare overloaded", 503, ``, unreachable},
		{"refused outright", 403, `forbidden`, misconfig},
		{"not JSON", 200, `<html>`, misconfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, got := siteverify(t, tt.status, tt.body)
			err := v.Verify(context.Background(), "tok-123", "198.51.100.7")
			var is string
			switch {
			case err == nil:
				is = passed
			case errors.Is(err, ErrRejected):
				is = rejected
			case errors.Is(err, ErrMisconfigured):
				is = misconfig
			default:
				is = unreachable
			}
			if is != tt.want || errors.Is(err, ErrRejected) && errors.Is(err, ErrMisconfigured) {
				t.Fatalf("Verify = %v (%s), want %s", err, is, tt.want)
			}
			if got.PostForm.Get("secret") != "the-secret" || got.PostForm.Get("response") != "tok-123" || got.PostForm.Get("remoteip") != "198.51.100.7" {
				t.Errorf("sent %v", got.PostForm)
			}
		})
	}
	t.Run("no token: rejected without asking", func(t *testing.T) {
		v, got := siteverify(t, 200, `{"success":true}`)
		if err := v.Verify(context.Background(), " ", ""); !errors.Is(err, ErrRejected) || got.Method != "" {
			t.Errorf("Verify = %v, asked: %v", err, got.Method != "")
		}
	})
	t.Run("Cloudflare unreachable", func(t *testing.T) {
		v := New("the-secret", nil)
		v.URL = "http://127.0.0.1:1"
		err := v.Verify(context.Background(), "tok", "")
		if err == nil || errors.Is(err, ErrRejected) || errors.Is(err, ErrMisconfigured) {
			t.Errorf("Verify = %v, want a network error", err)
		}
	})
}
