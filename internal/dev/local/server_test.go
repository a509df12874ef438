package local

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestDemoFlowOverHTTP walks the README's quickstart with plain HTTP: a
// request, its alert, its staff page, the digest.
func TestDemoFlowOverHTTP(t *testing.T) {
	// Monday, before the digest: "Run today's digest" sends that day's.
	srv, base := serveFrom(t, map[string]string{"FOLLOW_UP_AFTER": "1ms"}, slog.New(slog.DiscardHandler), nil, mondayMorning(t))
	post := func(path, contentType, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	if res := post("/leads", "application/json", `{"name":"Pat Smith","email":"pat@example.com","consent":true}`); res.StatusCode != 201 {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	if res := post("/leads", "text/plain", `x`); res.StatusCode != 415 {
		t.Errorf("a function's own answers pass through: got %d, want 415", res.StatusCode)
	}
	srv.stream.wait() // the alert and the acknowledgement (ACK_EMAIL's default) before the digest
	time.Sleep(5 * time.Millisecond)
	var out struct {
		DigestsSent int `json:"digestsSent"`
	}
	if err := json.NewDecoder(post("/_local/followup", "application/x-www-form-urlencoded", "").Body).Decode(&out); err != nil || out.DigestsSent != 1 {
		t.Fatalf("follow-up: %v %v", out, err)
	}
	res, err := http.Get(base + "/_local/followup")
	if err == nil && res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /_local/followup: %d, want 405", res.StatusCode)
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/_local/outbox", nil)
	req.Header.Set("Accept", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var mail []sentMail
	if err := json.NewDecoder(res.Body).Decode(&mail); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(mail) != 3 || !strings.HasPrefix(mail[0].Subject, "Appointment request: Pat") ||
		!strings.HasPrefix(mail[1].Subject, "We received your request") || !slices.Equal(mail[1].To, []string{"pat@example.com"}) ||
		!strings.HasPrefix(mail[2].Subject, "1 appointment request to follow up") ||
		len(mail[0].ReplyTo) != 0 || mail[0].HTML == "" || mail[0].Text == "" {
		t.Fatalf("outbox: %+v", mail)
	}
	// The digest leads to the inbox.
	if !strings.Contains(mail[2].Text, "Every open request is in the inbox:\n"+base+"/staff\n") || !strings.Contains(mail[2].HTML, `href="`+base+`/staff"`) {
		t.Errorf("the digest does not link to the inbox:\n%s", mail[2].Text)
	}

	link := staffLink(t, srv, "Pat")
	u, _ := url.Parse(link)
	if !strings.HasPrefix(link, base+"/leads/") {
		t.Errorf("staff link %s", link)
	}
	desk := staffClient(t)
	form := staffForm(t, desk, link)
	form.Set("outcome", "no-answer")
	noRedirect := &http.Client{Jar: desk.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = noRedirect.PostForm(base+u.Path+"/contacted", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := res.Location()
	if res.StatusCode != http.StatusSeeOther || err != nil || back.String() != base+u.Path+"?saved=attempt" {
		t.Fatalf("recording: %d, Location %v (%v), want 303 to the page", res.StatusCode, back, err)
	}
	res, err = desk.Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	staffPage, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(staffPage), "Recorded: no answer. Next call-back") {
		t.Errorf("the page after recording:\n%s", staffPage)
	}

	page, err := http.Get(base + "/_local/outbox")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Body.Close()
	if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("outbox page Content-Type %q", ct)
	}
}

// TestAgainstMoto: with AWS_ENDPOINT_URL_DYNAMODB set, the local runner keeps
// leads there (here moto) instead of in memory, creating the table.
func TestAgainstMoto(t *testing.T) {
	moto := testenv.Moto(t)
	env := testenv.Env(moto)
	for k, v := range env {
		t.Setenv(k, v)
	}
	srv, base := serve(t, env)
	if srv.Table != moto {
		t.Fatalf("leads kept in %q, want %s", srv.Table, moto)
	}
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(`{"name":"Pat Smith","phone":"(202) 555-0143","consent":true}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	staffLink(t, srv, "Pat") // the alert went out, reading the lead back from moto
}

// TestMailGoesThroughTheSESSender: make dev's mail passes through the same
// SES sender as on AWS. A lead whose stored email could add a header (an
// item written by hand or by an older version, never by submit) still gets
// its alert, since no header of the alert holds the visitor's text (no
// Reply-To); its acknowledgement, addressed to that text, is refused by the
// sender, here as on AWS, and never reaches the outbox.
func TestMailGoesThroughTheSESSender(t *testing.T) {
	var logs bytes.Buffer
	srv, _ := serveLogged(t, map[string]string{"ACK_EMAIL": "true"}, slog.New(slog.NewJSONHandler(&logs, nil)))
	store := ddb.New(streamingDB{API: srv.db, stream: srv.stream}, srv.table)
	// A lead whose ExpiresAt has passed is gone to notify: no alert to refuse.
	now := time.Now() // wall clock: the local server's notify reads the lead on the real clock
	l := lead.New(uuid.NewString(), lead.Request{
		Name: "Pat Smith", Email: "pat@example.com\r\nBcc: everyone@example.org",
		PreferredContact: lead.ByEmail, PreferredTime: lead.AnyTime, ConsentVersion: "1",
	}, now, 24*time.Hour)
	if err := store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	srv.stream.wait()
	sent := srv.Outbox.Sent()
	if len(sent) != 1 || sent[0].Tags["kind"] != "alert" || len(sent[0].ReplyTo) != 0 || !slices.Equal(sent[0].To, []string{"frontdesk@example.com"}) {
		t.Fatalf("outbox %+v, want the alert alone, to the clinic, with no Reply-To", sent)
	}
	if !strings.Contains(logs.String(), sesmail.ErrHeader.Error()) {
		t.Errorf("the acknowledgement's refusal was not logged:\n%s", logs.String())
	}
}

// TestUnreachableOverHTTP: on make dev with MAX_ATTEMPTS=2, two failed tries
// close a lead as unreachable; the next digest reports it once, the one
// after does not.
func TestUnreachableOverHTTP(t *testing.T) {
	srv, base := serve(t, map[string]string{"MAX_ATTEMPTS": "2"})
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(`{"name":"Pat Smith","phone":"(202) 555-0143","consent":true}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	link := staffLink(t, srv, "Pat")
	u, _ := url.Parse(link)
	desk := staffClient(t)
	noRedirect := &http.Client{Jar: desk.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for try := 1; try <= 2; try++ {
		form := staffForm(t, desk, link)
		form.Set("outcome", "no-answer")
		res, err := noRedirect.PostForm(base+u.Path+"/contacted", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("try %d: %d, want 303", try, res.StatusCode)
		}
	}
	if l := storedLead(t, srv, link); l.Closed != lead.ClosedUnreachable {
		t.Fatalf("after two tries: %s %q", l.Status, l.Closed)
	}
	// The next opening day's digest, after Pat's lead and her attempts.
	tomorrow := srv.nextDigest(time.Now()) // wall clock: the local server stamped them with the real clock
	if n := runFollowUp(t, base, tomorrow); n != 1 {
		t.Fatalf("tomorrow: %d digests, want 1", n)
	}
	sent := srv.Outbox.Sent()
	if d := sent[len(sent)-1]; !strings.Contains(d.Text, "Closed as unreachable since the last digest (1)") || !strings.Contains(d.Text, "Pat") {
		t.Errorf("tomorrow's digest:\n%s", d.Text)
	}
	if n := runFollowUp(t, base, srv.nextDigest(tomorrow)); n != 0 {
		t.Errorf("the day after: %d digests, want none (reported once)", n)
	}
}
