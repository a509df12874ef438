package local

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/sesmail"
)

// TestNoPersonalDataInLogs runs the whole flow, failures included, through
// every function while capturing every log line, and fails if a visitor's
// name, email, phone, message or a staff note appears in one.
func TestNoPersonalDataInLogs(t *testing.T) {
	var logs bytes.Buffer
	srv, base := serveLogged(t, map[string]string{
		"ACK_EMAIL": "true", "RATE_LIMIT": "4/1h", "MIN_FILL_TIME": "1s", "FOLLOW_UP_AFTER": "1ms",
	}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	personal := []string{
		"Siobhán", "O'Brien-Núñez", "siobhan.obrien@example.ie", "2025550143", "202) 555-0143", "555-0143",
		"Tanaka", "Hiroshi", "hiroshi@example.jp", "8031234567", "3-1234-5678",
		"sciatica", "left leg", "shoulder", "Botty McBotface", "spam.example", "Eve Mallory", "eve@",
		"Booked Tuesday", "her cousin",
	}
	post := func(ip, contentType, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/leads", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		res, err := client(ip).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	siobhan := `{"submissionId":"0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f","name":"Siobhán O'Brien-Núñez","phone":"(202) 555-0143",` +
		`"email":"siobhan.obrien@example.ie","reason":"sciatica down my left leg","consent":true,"elapsedMs":9000}`
	for _, r := range []struct {
		ip, contentType, body string
		want                  int
	}{
		{"127.0.0.2", "application/json", siobhan, 201},
		{"127.0.0.2", "application/json", siobhan, 200}, // replay
		{"127.0.0.3", "application/x-www-form-urlencoded", "name=Tanaka+Hiroshi&phone=%2B81+3-1234-5678&email=hiroshi%40example.jp&reason=shoulder&consent=on", 201},
		{"127.0.0.4", "application/json", `{"name":"Eve Mallory","email":"eve@not an address","phone":"202-555-0143x","consent":true}`, 400},
		{"127.0.0.4", "application/json", `{"name":"Eve Mallory\r\nBcc: x@spam.example","email":"eve@example.com","consent":true}`, 400},
		{"127.0.0.5", "application/json", `{"name":"Botty McBotface","email":"bot@spam.example","website":"http://spam.example","consent":true}`, 201},
		{"127.0.0.5", "application/json", `{"name":"Botty McBotface","email":"bot@spam.example","elapsedMs":10,"consent":true}`, 201},
		{"127.0.0.5", "text/plain", "Botty McBotface", 415},
	} {
		if res := post(r.ip, r.contentType, r.body); res.StatusCode != r.want {
			t.Fatalf("%s: status %d, want %d", r.body, res.StatusCode, r.want)
		}
	}
	for range 5 { // one over the limit
		post("127.0.0.6", "application/json", `{"name":"Eve Mallory","email":"eve@example.com","consent":true}`)
	}

	// An SES failure, then recovery.
	srv.stream.wait()
	srv.Outbox.Fail = func(m sesmail.Message) bool { return strings.Contains(m.Subject, "Eve") }
	post("127.0.0.7", "application/json", `{"name":"Eve Mallory","email":"eve@example.com","consent":true}`)
	srv.stream.wait()
	srv.Outbox.Fail = nil

	// Staff open Siobhán's request, record an attempt with a note (then send
	// the same form again, refused), and the digest runs.
	link := staffLink(t, srv, "Siobhán")
	u, _ := url.Parse(link)
	form := staffForm(t, link)
	form.Set("outcome", "booked")
	form.Set("note", "Booked Tuesday with her cousin")
	var res *http.Response
	var err error
	for _, want := range []int{200, 409} { // the first follows the 303 back to the page
		res, err = http.PostForm(base+u.Path+"/contacted", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("recording: %d, want %d", res.StatusCode, want)
		}
	}
	time.Sleep(5 * time.Millisecond)
	req, _ := http.NewRequest(http.MethodPost, base+"/_local/followup", nil)
	req.Header.Set("Accept", "application/json")
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("follow-up: %v %v", err, res)
	}
	res.Body.Close()

	out := logs.String()
	for _, want := range []string{`"outcome":"stored"`, `"outcome":"invalid"`, `"outcome":"trapped"`, `"outcome":"limited"`,
		`"msg":"alert sent"`, `"msg":"acknowledgement sent"`, `"msg":"record failed"`, `"msg":"attempt recorded"`, `"msg":"staff form refused"`, `"msg":"digest sent"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s line: the flow did not run as planned", want)
		}
	}
	for _, p := range personal {
		if strings.Contains(out, p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
}
