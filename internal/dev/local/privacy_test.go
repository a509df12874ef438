package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
)

// TestNoPersonalDataInLogs runs the whole flow, failures included, through
// every function while capturing every log line and every metric line, and
// fails if a visitor's name, email, phone, message or a staff note appears
// in one, or if a metric line is not valid Embedded Metric Format, is not
// a metric of metric.All, or holds anything beyond metrics and dimensions.
func TestNoPersonalDataInLogs(t *testing.T) {
	var logs, metrics bytes.Buffer
	// From Monday 7:00, so the follow-up run below sends Monday's digest.
	srv, base := serveFrom(t, map[string]string{
		"ACK_EMAIL": "true", "RATE_LIMIT": "4/1h", "MIN_FILL_TIME": "1s", "FOLLOW_UP_AFTER": "1ms",
		"STAFF_SMS": "+12025550188,+4915550123456", "OPENING_HOURS": "always", "RESPONSE_SLA": "15m",
		// Seven alerts go out (the one SES refuses gives its charge back):
		// the request after the released bot's is held back.
		"ALERT_LIMIT": "7/1h",
	}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), &syncWriter{w: &metrics}, mondayMorning(t))
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
		`"email":"siobhan.obrien@example.ie","reason":"sciatica down my left leg","consent":true,"elapsedMs":9000,` +
		`"utm_source":"google","utm_medium":"cpc","utm_campaign":"back-pain-spring","referrer":"https://www.google.com"}`
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
	desk := staffClient(t)
	form := staffForm(t, desk, link)
	form.Set("outcome", "booked")
	form.Set("note", "Booked Tuesday with her cousin")
	var res *http.Response
	var err error
	for _, want := range []int{200, 403} { // the first follows the 303 back to the page; then the lead is closed, and a link session records nothing on it
		res, err = desk.PostForm(base+u.Path+"/contacted", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("recording: %d, want %d", res.StatusCode, want)
		}
	}
	// A front desk signs in: an address not on the list, a wrong code, the
	// right one; opens the inbox (searching by name) and Siobhán's page,
	// records an attempt as themself, and signs out. No code, token,
	// session id or staff address may reach a log line either.
	desk2 := staffClient(t)
	askCode := func(email string) {
		t.Helper()
		res, err := desk2.PostForm(base+"/staff/signin", url.Values{"email": {email}, "next": {"staff"}})
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("ask for a code for %s: %v %v", email, err, res)
		}
		res.Body.Close()
	}
	askCode("siobhan.obrien@example.ie") // not on the list
	askCode("frontdesk@example.com")
	srv.stream.wait() // the code comes by the stream, from notify
	sent := srv.Outbox.Sent()
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sent[len(sent)-1].Subject)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for _, try := range []string{wrong, code} {
		res, err = desk2.PostForm(base+"/staff/signin", url.Values{"email": {"frontdesk@example.com"}, "code": {try}, "next": {"staff"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if res.Request.URL.Path != "/staff" || res.StatusCode != 200 {
		t.Fatalf("signing in ends at %s with %d", res.Request.URL, res.StatusCode)
	}
	// make dev's CLINIC_EMAIL is also its owner (OWNER_EMAILS unset): the
	// figures and the export with personal data log none of it.
	for _, path := range []string{"/staff?q=Siobh%C3%A1n", "/staff?show=closed", u.Path, "/staff/figures?span=12w", "/staff/export?pii=1"} {
		if res, err = desk2.Get(base + path); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, res)
		}
		res.Body.Close()
	}
	reopen := staffForm(t, desk2, base+u.Path)
	reopen.Set("action", "reopen")
	reopen.Set("note", "Booked Tuesday with her cousin, she asked to move it")
	if res, err = desk2.PostForm(base+u.Path+"/contacted", reopen); err != nil || res.StatusCode != 200 {
		t.Fatalf("reopen: %v %v", err, res)
	}
	res.Body.Close()
	// The bots' two requests were held: one released (it is alerted like
	// any request), one deleted, from the review page.
	for _, action := range []string{"release", "delete"} {
		heldAction(t, desk2, base, "Botty McBotface", action)
	}
	srv.stream.wait()
	// One more: past ALERT_LIMIT, stored and held back (the summary email).
	post("127.0.0.7", "application/json", `{"name":"Eve Mallory","email":"eve@example.com","consent":true}`)
	srv.stream.wait()
	signOut := regexp.MustCompile(`action="../staff/signout"><input type="hidden" name="t" value="([^"]+)">`)
	res, err = desk2.Get(base + u.Path)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := signOut.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no sign-out form on the lead's page:\n%s", page)
	}
	if res, err = desk2.PostForm(base+"/staff/signout", url.Values{"t": {string(m[1])}}); err != nil || res.StatusCode != 200 {
		t.Fatalf("sign out: %v %v", err, res)
	}
	res.Body.Close()
	// Nor a client's address (the rate limit keeps only a salted hash), nor
	// a URL that carried a link's token.
	secrets := []string{code, u.Query().Get("t"), string(m[1]), "frontdesk@example.com", "?t=", "&t=",
		"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"}
	for _, c := range desk.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host}) {
		secrets = append(secrets, c.Value)
	}

	// Tanaka's alert bounces: texted at once to STAFF_SMS.
	for _, m := range srv.Outbox.Sent() {
		if m.Tags["kind"] == "alert" && strings.Contains(m.Subject, "Tanaka") {
			if res, err = http.PostForm(base+"/_local/mail-event", url.Values{"message": {m.ID}, "type": {"bounce"}}); err != nil || res.StatusCode != 200 {
				t.Fatalf("bounce: %v %v", err, res)
			}
			res.Body.Close()
		}
	}

	time.Sleep(5 * time.Millisecond)
	req, _ := http.NewRequest(http.MethodPost, base+"/_local/followup", nil)
	req.Header.Set("Accept", "application/json")
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("follow-up: %v %v", err, res)
	}
	res.Body.Close()

	// SES reports the alerts: Siobhán's delivered (twice: a redelivery),
	// Tanaka's bounced.
	for _, m := range srv.Outbox.Sent() {
		if m.Tags[sesmail.TagKind] != sesmail.KindAlert {
			continue
		}
		kinds := map[bool][]string{true: {"delivery", "delivery"}, false: {"bounce"}}[strings.Contains(m.Subject, "Siobh")]
		for _, kind := range kinds {
			res, err := http.PostForm(base+"/_local/mail-event", url.Values{"message": {m.ID}, "type": {kind}})
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("mail event %s: %v %v", kind, err, res)
			}
			res.Body.Close()
		}
	}

	// Nobody tried Tanaka: once RESPONSE_SLA has passed, the clinic is nudged.
	advance(t, base, 20*time.Minute)

	// The lead events a clinic's integrations see: ids and outcomes only.
	res, err = http.Get(base + "/_local/events")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("events: %v %v", err, res)
	}
	events, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{bus.Received, bus.AttemptRecorded, bus.Closed, bus.AlertDelivered, bus.AlertBounced} {
		if !strings.Contains(string(events), `"detail-type": "`+want+`"`) {
			t.Errorf("no %q event: the flow did not run as planned", want)
		}
	}
	for _, p := range append(personal, secrets...) {
		if p != "" && strings.Contains(string(events), p) {
			t.Errorf("personal data or a secret %q in the lead events", p)
		}
	}
	if t.Failed() {
		t.Logf("lead events:\n%s", events)
	}

	out := logs.String()
	for _, want := range []string{`"outcome":"stored"`, `"outcome":"invalid"`, `"outcome":"held"`, `"outcome":"limited"`,
		`"msg":"alert sent"`, `"msg":"acknowledgement sent"`, `"msg":"record failed"`, `"msg":"attempt recorded"`, `"msg":"staff form refused"`, `"msg":"digest sent"`,
		`"msg":"sign-in code asked for"`, `"msg":"sign-in code sent"`, `"msg":"sign-in code refused"`, `"msg":"signed in"`, `"msg":"inbox shown"`,
		`"msg":"lead reopened"`, `"msg":"signed out"`, `"msg":"link exchanged for a session"`,
		`"msg":"held requests shown"`, `"msg":"held request released"`, `"msg":"held request deleted"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s line: the flow did not run as planned", want)
		}
	}
	for _, p := range personal {
		if strings.Contains(out, p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
	for _, p := range secrets {
		if p != "" && strings.Contains(out, p) {
			t.Errorf("a code, token, session id or staff address in the logs: %q", p)
		}
	}
	// The texts to STAFF_SMS carry no personal data, not even a first name:
	// never a name, an email, a phone, a reason or a note; and no log line
	// names a staff number.
	texts := srv.Texts.Texts()
	var bounced bool
	for _, x := range texts {
		bounced = bounced || strings.Contains(x.Body, "did not arrive")
	}
	if len(texts) == 0 || !bounced || !strings.Contains(out, `"msg":"sms sent"`) {
		t.Errorf("no alert or bounced alert texted to STAFF_SMS: the flow did not run as planned (%+v)", texts)
	}
	for _, x := range texts {
		for _, p := range personal {
			if strings.Contains(x.Body, p) {
				t.Errorf("personal data %q in the text %q", p, x.Body)
			}
		}
	}
	for _, n := range []string{"2025550188", "15550123456"} {
		if strings.Contains(out, n) {
			t.Errorf("a staff number in the logs: %s", n)
		}
	}
	// Nor in the audit trail, which names staff but never a patient.
	for _, id := range []string{"", path.Base(u.Path)} {
		// The trail skips the entries whose expiry has passed.
		for e, err := range ddb.New(srv.db, srv.table).AuditTrail(context.Background(), id, time.Time{}, false, time.Now()) { // wall clock: the local server wrote the entries on the real clock
			if err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("%+v", e)
			for _, p := range personal {
				if strings.Contains(line, p) {
					t.Errorf("personal data %q in the audit entry %s", p, line)
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
	checkMetrics(t, metrics.String(), append(append(personal, secrets...), "0b8e4c36", path.Base(u.Path), "back-pain-spring"))
}

// checkMetrics decodes every EMF line the flow wrote: each must be valid
// Embedded Metric Format, each metric one of metric.All (its namespace,
// unit, dimensions and their listed values), no line may hold a member
// beyond its metrics and dimensions, nor any of forbidden (personal data,
// secrets, lead ids, campaign names); and every metric of metric.All must
// have appeared, so the flow exercised every emitter.
func checkMetrics(t *testing.T, out string, forbidden []string) {
	t.Helper()
	seen := map[string]bool{}
	for line := range strings.Lines(out) {
		l, err := metric.Parse([]byte(line))
		if err != nil {
			t.Errorf("not valid EMF: %v: %s", err, line)
			continue
		}
		if len(l.Members) > 0 {
			t.Errorf("members beyond metrics and dimensions %v: %s", l.Members, line)
		}
		for _, m := range l.Metrics {
			if err := metric.Check(m); err != nil {
				t.Errorf("%v: %s", err, line)
			}
			if !strings.HasPrefix(m.Namespace, "local/") {
				t.Errorf("namespace %s, want local/<function>: %s", m.Namespace, line)
			}
			seen[m.Name] = true
		}
		for _, p := range forbidden {
			if p != "" && strings.Contains(line, p) {
				t.Errorf("personal data, a secret or an id %q in a metric line: %s", p, line)
			}
		}
	}
	for _, d := range metric.All {
		if !seen[d.Name] {
			t.Errorf("no %s metric: the flow did not run as planned", d.Name)
		}
	}
	if t.Failed() {
		t.Logf("metric lines:\n%s", out)
	}
}

// syncWriter is a writer the functions may share across goroutines (the
// stream delivers to notify on its own).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
