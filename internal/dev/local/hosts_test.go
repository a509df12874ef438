package local

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRefusesOtherHosts: make dev answers only as itself, so a page whose
// name an attacker rebinds to 127.0.0.1 (DNS rebinding) reads nothing,
// not the form, the outbox (codes and links) nor the staff pages.
func TestRefusesOtherHosts(t *testing.T) {
	_, base := serve(t, nil)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, host := range []string{"attacker.example", "attacker.example:" + u.Port(), "127.0.0.1:1", "localhost.attacker.example:" + u.Port()} {
		for _, path := range []string{"/", "/_local/outbox", "/staff"} {
			if code, body := get(path, host); code < 400 || code >= 500 || strings.Contains(body, "Relief Physical Therapy") {
				t.Errorf("GET %s with Host: %s answered %d: %.80s", path, host, code, body)
			}
		}
	}
	for _, host := range []string{u.Host, "localhost:" + u.Port(), "LOCALHOST:" + u.Port()} {
		if code, body := get("/", host); code != http.StatusOK {
			t.Errorf("GET / with Host: %s answered %d: %.80s", host, code, body)
		}
	}
}
