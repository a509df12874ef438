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
	v := New("the-secret")
	v.URL = srv.URL
	return v, got
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		rejected bool
		ok       bool
	}{
		{"passed", 200, `{"success":true,"error-codes":[]}`, false, true},
		{"forged token", 200, `{"success":false,"error-codes":["invalid-input-response"]}`, true, false},
		{"used twice", 200, `{"success":false,"error-codes":["timeout-or-duplicate"]}`, true, false},
		{"Cloudflare's own error", 200, `{"success":false,"error-codes":["internal-error"]}`, false, false},
		{"our secret is wrong", 200, `{"success":false,"error-codes":["invalid-input-secret"]}`, false, false},
		{"Cloudflare down", 502, `bad gateway`, false, false},
		{"not JSON", 200, `<html>`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, got := siteverify(t, tt.status, tt.body)
			err := v.Verify(context.Background(), "tok-123", "198.51.100.7")
			if (err == nil) != tt.ok || errors.Is(err, ErrRejected) != tt.rejected {
				t.Fatalf("Verify = %v; want ok %v, rejected %v", err, tt.ok, tt.rejected)
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
}
