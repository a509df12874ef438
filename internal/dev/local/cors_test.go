package local

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/render/form"

	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// corsHeaders are the Access-Control-* headers of h.
func corsHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = strings.Join(v, ", ")
		}
	}
	return out
}

// TestCORSAsAPIGateway: make dev answers preflights and sets CORS headers as
// API Gateway does with the template's CorsConfiguration: a preflight from
// an allowed origin gets 204 with the template's methods, headers and max
// age (read from template.yaml, and pinned here too); one from another
// origin gets 204 with no CORS header, so the browser stops there; the
// function never sees OPTIONS; a request's answer carries the origin only
// for an allowed one.
func TestCORSAsAPIGateway(t *testing.T) {
	const site = "http://127.0.0.1:8089"
	_, base := serve(t, map[string]string{"ALLOWED_ORIGINS": site, "MIN_FILL_TIME": "1ms"})
	tpl, err := samtemplate.LoadWith(filepath.Join(testenv.Root(t), "template.yaml"), map[string]any{"AllowedOrigins": []any{site}})
	if err != nil {
		t.Fatal(err)
	}
	c, ok, err := samtemplate.CORSConfig(tpl, samtemplate.HTTPAPILogicalID)
	if err != nil || !ok {
		t.Fatalf("template CORS: %v %v", ok, err)
	}
	fromTemplate := map[string]string{
		"Access-Control-Allow-Origin":  site,
		"Access-Control-Allow-Methods": strings.Join(c.AllowMethods, ","),
		"Access-Control-Allow-Headers": strings.Join(c.AllowHeaders, ","),
		"Access-Control-Max-Age":       strconv.Itoa(c.MaxAge),
	}
	pinned := map[string]string{
		"Access-Control-Allow-Origin":  site,
		"Access-Control-Allow-Methods": "POST",
		"Access-Control-Allow-Headers": "content-type",
		"Access-Control-Max-Age":       "600",
	}
	if diff := cmp.Diff(fromTemplate, pinned); diff != "" {
		t.Errorf("the template's CORS changed (-template +pinned): update this test and docs/form.md\n%s", diff)
	}

	do := func(method, path string, header map[string]string, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	preflight := func(origin string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
	}

	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantCORS   map[string]string
	}{
		{"a preflight from an allowed origin", "OPTIONS", "/leads", preflight(site), "", 204, fromTemplate},
		{"a preflight from another origin: no CORS header", "OPTIONS", "/leads", preflight("http://127.0.0.1:9999"), "", 204, map[string]string{}},
		{"a preflight for any route", "OPTIONS", "/staff/signin", preflight(site), "", 204, fromTemplate},
		{"OPTIONS that is no preflight: no route for it", "OPTIONS", "/leads", map[string]string{"Origin": site}, "", 404, map[string]string{}},
		{"a request from an allowed origin carries it", "POST", "/leads",
			map[string]string{"Origin": site, "Content-Type": "application/json"},
			`{"name":"Pat Smith","email":"pat@example.com","consent":true}`, 201,
			map[string]string{"Access-Control-Allow-Origin": site, "Access-Control-Expose-Headers": "retry-after"}},
		{"a request from another origin: refused by submit, no CORS header", "POST", "/leads",
			map[string]string{"Origin": "http://127.0.0.1:9999", "Content-Type": "application/json"},
			`{"name":"Pat Smith","email":"pat@example.com","consent":true}`, 403, map[string]string{}},
		{"a request with no origin: no CORS header", "POST", "/leads",
			map[string]string{"Content-Type": "application/json"},
			`{"name":"Kim Lee","email":"kim@example.com","consent":true}`, 201, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(tt.method, tt.path, tt.header, tt.body)
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if diff := cmp.Diff(corsHeaders(res.Header), tt.wantCORS); diff != "" {
				t.Errorf("CORS headers (-got +want):\n%s", diff)
			}
		})
	}
}

// serveRecorded is serve with every preflight the server answers kept:
// its request and the headers it was answered with.
func serveRecorded(t *testing.T, env map[string]string) (*Server, string, func() []preflightSeen) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	srv, err := New(context.Background(), Options{
		BaseURL: base, Dir: t.TempDir(), Template: filepath.Join(testenv.Root(t), "template.yaml"),
		Getenv: func(k string) string { return env[k] }, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []preflightSeen
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		if r.Method == http.MethodOptions {
			mu.Lock()
			seen = append(seen, preflightSeen{Origin: r.Header.Get("Origin"), Path: r.URL.Path, Answer: corsHeaders(w.Header())})
			mu.Unlock()
		}
	})}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return srv, base, func() []preflightSeen { mu.Lock(); defer mu.Unlock(); return slices.Clone(seen) }
}

type preflightSeen struct {
	Origin, Path string
	Answer       map[string]string
}

// TestSnippetFromAnotherOriginInChromium: the pasted snippet, on a page of
// another loopback origin listed in ALLOWED_ORIGINS, sends to make dev and
// shows its thank-you, after a preflight answered as API Gateway would; on
// a page of an origin not listed, the preflight gets no CORS header and
// nothing is sent.
func TestSnippetFromAnotherOriginInChromium(t *testing.T) {
	chromium(t)
	var snippet string
	page := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>A clinic's article</title></head><body><main><h1>Back pain</h1>%s</main></body></html>", snippet)
	}
	site := httptest.NewServer(http.HandlerFunc(page))
	defer site.Close()
	other := httptest.NewServer(http.HandlerFunc(page))
	defer other.Close()

	srv, base, preflights := serveRecorded(t, map[string]string{"ALLOWED_ORIGINS": site.URL, "MIN_FILL_TIME": "200ms"})
	var err error
	if snippet, err = form.Snippet(form.Options{APIURL: base, ClinicPhone: "(555) 010-0100"}); err != nil {
		t.Fatal(err)
	}

	ctx := browser(t)
	do(t, ctx,
		chromedp.Navigate(site.URL+"/articles/back-pain"),
		fill("Ana Souza", "ana@example.com"),
		chromedp.Click(css("#lf button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"lf-status") and contains(., "Thank you")]`)),
	)
	if l := storedLead(t, srv, staffLink(t, srv, "Ana")); l.Source.Page != site.URL+"/articles/back-pain" {
		t.Errorf("stored page %q", l.Source.Page)
	}
	want := []preflightSeen{{Origin: site.URL, Path: "/leads", Answer: map[string]string{
		"Access-Control-Allow-Origin": site.URL, "Access-Control-Allow-Methods": "POST",
		"Access-Control-Allow-Headers": "content-type", "Access-Control-Max-Age": "600",
	}}}
	if diff := cmp.Diff(preflights(), want); diff != "" {
		t.Errorf("preflights (-got +want):\n%s", diff)
	}

	// Another origin: the browser stops at the preflight.
	srv.stream.wait()
	before := len(srv.Outbox.Sent())
	do(t, ctx,
		chromedp.Navigate(other.URL+"/"),
		fill("Bo Chen", "bo@example.com"),
		chromedp.Click(css("#lf button[type=submit]")),
		chromedp.WaitVisible(css(".lf-status")),
	)
	if status := get(t, ctx, chromedp.Text(css(".lf-status"))); strings.Contains(status, "Thank you") {
		t.Errorf("from an origin not allowed the form says %q", status)
	}
	got := preflights()
	if len(got) != 2 || got[1].Origin != other.URL || len(got[1].Answer) != 0 {
		t.Errorf("the refused origin's preflight: %+v, want one answered with no CORS header", got)
	}
	srv.stream.wait()
	if n := len(srv.Outbox.Sent()) - before; n != 0 {
		t.Errorf("%d emails sent for a request from an origin not allowed", n)
	}
}
