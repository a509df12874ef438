package local

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
)

var screenshot = flag.String("screenshot", "", "write a PNG of the form to this path")

// chromium finds Debian's chromium (or $CHROMIUM). It is a prerequisite of
// make test: .ci/run installs it, docs/testing.md names it.
func chromium(t *testing.T) string {
	t.Helper()
	testenv.Needs(t, "Chromium")
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM to its path; see docs/testing.md")
	return ""
}

// serve runs the local server on a free loopback port for the test.
func serve(t *testing.T, env map[string]string) (*Server, string) {
	t.Helper()
	return serveLogged(t, env, slog.New(slog.DiscardHandler))
}

// serveLogged is serve with the functions' logs going to log.
func serveLogged(t *testing.T, env map[string]string, log *slog.Logger) (*Server, string) {
	t.Helper()
	return serveMetered(t, env, log, nil)
}

// serveMetered is serveLogged with the functions' EMF lines to metrics.
func serveMetered(t *testing.T, env map[string]string, log *slog.Logger, metrics io.Writer) (*Server, string) {
	t.Helper()
	return serveFrom(t, env, log, metrics, time.Time{})
}

// mondayMorning is 7:00 on the next Monday in New York (make dev's
// TIME_ZONE): an hour before a Mon-Fri clinic's digest. A runner clock
// started there gives a test the same days and hours whenever it runs.
func mondayMorning(t *testing.T) time.Time {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(ny).Date() // wall clock: within a week of it, so what tests read back on it has not expired
	day := time.Date(y, m, d+1, 7, 0, 0, 0, ny)
	for day.Weekday() != time.Monday {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// serveFrom is serveMetered with the runner's clock starting at start
// (zero: the wall clock).
func serveFrom(t *testing.T, env map[string]string, log *slog.Logger, metrics io.Writer, start time.Time) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	var awsCfg aws.Config // the embedded DynamoDB needs none
	if endpoint := env["AWS_ENDPOINT_URL_DYNAMODB"]; endpoint != "" {
		awsCfg = testenv.AWSConfig(t, endpoint)
	}
	srv, err := New(context.Background(), Options{
		BaseURL: base, Dir: t.TempDir(), Template: filepath.Join(testenv.Root(t), "template.yaml"),
		Getenv: func(k string) string { return env[k] }, AWS: awsCfg, Log: log, Metrics: metrics, Start: start,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return srv, base
}

// browser starts a headless Chromium for the test and returns its context,
// the browser already running (so steps may carry their own timeouts).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(420, 1400),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// do runs steps in the browser, for at most 30 seconds.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// get runs one action that reads something from the page.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// fill types a visitor's request into the form.
func fill(name, email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(css("#lf-name")),
		chromedp.SendKeys(css("#lf-name"), name),
		chromedp.SendKeys(css("#lf-phone"), "(202) 555-0143"),
		chromedp.SendKeys(css("#lf-email"), email),
		chromedp.SetValue(css("#lf-preferredTime"), "morning"),
		chromedp.SendKeys(css("#lf-reason"), "Sciatica down my left leg"),
		chromedp.Click(css("#lf-consent")),
		chromedp.Sleep(300*time.Millisecond), // past the time trap (MIN_FILL_TIME=200ms here)
	)
}

var noScript = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	return err
})

// runFollowUp runs the daily follow-up as of at, as the scheduler would,
// and returns how many digests it sent.
func runFollowUp(t *testing.T, base string, at time.Time) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/_local/followup?at="+url.QueryEscape(at.UTC().Format(time.RFC3339)), nil)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		DigestsSent int `json:"digestsSent"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("follow-up as of %v: %d %v", at, res.StatusCode, err)
	}
	return out.DigestsSent
}

// recordButtonBottom is how far down the page the Record attempt button ends.
const recordButtonBottom = `[...document.querySelectorAll("button")].find(b => b.textContent == "Record attempt").getBoundingClientRect().bottom`

// storedLead is the lead the staff link points at, as stored.
func storedLead(t *testing.T, srv *Server, staffLink string) lead.Lead {
	t.Helper()
	u, err := url.Parse(staffLink)
	if err != nil {
		t.Fatal(err)
	}
	// The lead is gone once the retention from its creation has passed.
	l, err := ddb.New(srv.db, srv.table).Get(context.Background(), path.Base(u.Path), time.Now()) // wall clock: the local server stored it on the real clock
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// staffClient is a browser's HTTP: it keeps cookies (the staff session)
// and follows redirects. Like browsers, Go's cookie jar sends a Secure
// cookie to a loopback address over plain HTTP.
func staffClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// staffForm opens the staff page at link, as staff would (the link's token
// becomes c's session cookie), and returns what its attempt form sends:
// the page's form token and the version of the lead it shows.
func staffForm(t *testing.T, c *http.Client, link string) url.Values {
	t.Helper()
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("staff link %s: %d", link, res.StatusCode)
	}
	if res.Request.URL.RawQuery != "" {
		t.Errorf("the staff link ends at %s: want no token in the URL", res.Request.URL)
	}
	version := regexp.MustCompile(`name="v" value="([0-9]+)"`).FindSubmatch(page)
	token := regexp.MustCompile(`name="t" value="([^"]+)">\s*<input type="hidden" name="v"`).FindSubmatch(page)
	if version == nil || token == nil {
		t.Fatalf("no form token or version on the staff page: %s", page)
	}
	return url.Values{"t": {string(token[1])}, "v": {string(version[1])}}
}

// staffLink is the staff page link in the alert about the visitor first
// (by the name the alert's text shows: the subject names only a plain first
// name, and "Aroha1" is none).
func staffLink(t *testing.T, srv *Server, first string) string {
	t.Helper()
	srv.stream.wait()
	for _, m := range srv.Outbox.Sent() {
		if m.Tags["kind"] == "alert" && strings.Contains(m.Text, "\nName:      "+first) {
			if u := regexp.MustCompile(`https?://\S+/leads/\S+`).FindString(m.Text); u != "" {
				return u
			}
		}
	}
	t.Fatalf("no alert about %s in the outbox (%d messages)", first, len(srv.Outbox.Sent()))
	return ""
}

func TestFormInChromium(t *testing.T) {
	srv, base := serve(t, map[string]string{"MIN_FILL_TIME": "200ms"})

	t.Run("fill and send: the page confirms without leaving", func(t *testing.T) {
		ctx := browser(t)
		do(t, ctx,
			chromedp.Navigate(base+"/"),
			fill("Siobhán O'Brien", "siobhan@example.com"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"lf-status") and contains(., "Thank you")]`)),
		)
		status := get(t, ctx, chromedp.Text(css(".lf-status")))
		if url := get(t, ctx, chromedp.Location()); url != base+"/" || !strings.Contains(status, "We have received your request. We") || !strings.Contains(status, "Need us sooner? Call (555) 010-0100.") {
			t.Errorf("at %s, status %q: want when (as the clock has it) and the phone", url, status)
		}
		if *screenshot != "" {
			shot := browser(t)
			do(t, shot, chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#lf")))
			png := get(t, shot, chromedp.Screenshot(css("#lf"), chromedp.NodeVisible))
			if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}

		// The alert's staff link works in the browser on a phone's screen,
		// the record-an-attempt form whole within it, and records attempts.
		staff := staffLink(t, srv, "Siobhán")
		do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(staff), chromedp.WaitVisible(css("main")))
		page := get(t, ctx, chromedp.Text(css("main")))
		for _, want := range []string{"Siobhán O'Brien", "Call (202) 555-0143", "Not tried yet", "Sciatica"} {
			if !strings.Contains(page, want) {
				t.Errorf("staff page lacks %q:\n%s", want, page)
			}
		}
		if bottom := get(t, ctx, chromedp.Evaluate[float64](recordButtonBottom)); bottom > 844 {
			t.Errorf("the Record attempt button ends %vpx down a 844px screen", bottom)
		}
		recordAttempt := func(outcome, confirmation string) string {
			t.Helper()
			do(t, ctx,
				chromedp.Click(css("#attempt-"+outcome)),
				chromedp.Click(chromedp.Search(`//button[.="Record attempt"]`)),
				chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "`+confirmation+`")]`)),
			)
			return get(t, ctx, chromedp.Text(css("main")))
		}
		page = recordAttempt("no-answer", "Recorded: no answer. Next call-back")
		if !strings.Contains(page, "Open: call back") || !strings.Contains(page, "No answer (call)") {
			t.Errorf("after no answer:\n%s", page)
		}
		if at := get(t, ctx, chromedp.Location()); !strings.HasSuffix(at, "/leads/"+path.Base(mustParse(t, staff).Path)+"?saved=attempt") {
			t.Errorf("after recording, at %s: want the page again (POST, 303, GET)", at)
		}
		do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(css("main")))
		if n := len(storedLead(t, srv, staff).History); n != 1 {
			t.Errorf("after a reload %d events stored, want 1", n)
		}

		// The next opening day's digest lists her under the call-backs due;
		// its fresh link opens her page, where "booked" closes her; the
		// digest after has nobody left to list.
		tomorrow := srv.nextDigest(time.Now()) // wall clock: the local server stamped her lead with the real clock
		if n := runFollowUp(t, base, tomorrow); n != 1 {
			t.Fatalf("tomorrow's follow-up sent %d digests, want 1", n)
		}
		do(t, ctx, chromedp.Navigate(base+"/_local/outbox"), chromedp.WaitVisible(css("article")))
		outbox := get(t, ctx, chromedp.Text(css("article"))) // the newest: the digest
		if !strings.Contains(outbox, "Call-backs due today (1)") || !strings.Contains(outbox, "Siobhán") || strings.Contains(outbox, "Not tried yet") {
			t.Errorf("tomorrow's digest in the outbox:\n%s", outbox)
		}
		digestLink := regexp.MustCompile(`https?://\S+/leads/\S+`).FindString(outbox)
		do(t, ctx, chromedp.Navigate(digestLink), chromedp.WaitVisible(css("main")))
		page = recordAttempt("booked", "Recorded: booked. The request is closed.")
		if !strings.Contains(page, "Closed: booked") || !strings.Contains(page, "Sign in to reopen or correct it") || strings.Contains(page, "Record attempt") {
			t.Errorf("after booked:\n%s", page)
		}
		if l := storedLead(t, srv, staff); len(l.History) != 2 || l.Closed != lead.ClosedBooked {
			t.Errorf("stored %d events, closed %q", len(l.History), l.Closed)
		}
		if n := runFollowUp(t, base, srv.nextDigest(tomorrow)); n != 0 {
			t.Errorf("the day after, %d digests: she should be gone", n)
		}
	})

	t.Run("an invalid email is marked next to the field and nothing is sent", func(t *testing.T) {
		ctx := browser(t)
		before := len(srv.Outbox.Sent())
		do(t, ctx,
			chromedp.Navigate(base+"/"),
			fill("Pat Jones", "pat-at-example"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(css("#lf-err-email")),
		)
		invalid := get(t, ctx, chromedp.AttributeValue(css("#lf-email"), "aria-invalid"))
		message := get(t, ctx, chromedp.Text(css("#lf-err-email")))
		focused := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		if invalid.Value != "true" || !strings.Contains(message, "valid email") || focused != "lf-email" {
			t.Errorf("aria-invalid %q, message %q, focus on %q", invalid.Value, message, focused)
		}
		srv.stream.wait()
		if n := len(srv.Outbox.Sent()) - before; n != 0 {
			t.Errorf("%d emails sent for an invalid request", n)
		}
	})

	t.Run("the page goes as origin and path: its query and fragment stay behind, UTM values apart", func(t *testing.T) {
		ctx := browser(t)
		do(t, ctx,
			chromedp.Navigate(base+"/?utm_source=newsletter&ref=mary%40example.com&appt=42#lf"),
			// Keep what the form sends: the server strips a query too.
			chromedp.Evaluate[chromedp.Void](`(function (send) { window.fetch = function (u, o) { window.sent = o.body; return send.apply(this, arguments); }; })(window.fetch)`),
			fill("Tane Mahuta", "tane@example.nz"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"lf-status") and contains(., "Thank you")]`)),
		)
		if sent := get(t, ctx, chromedp.Evaluate[string](`JSON.parse(window.sent).page`)); sent != base+"/" {
			t.Errorf("the form sent page %q, want %q", sent, base+"/")
		}
		l := storedLead(t, srv, staffLink(t, srv, "Tane"))
		if l.Source.Page != base+"/" || l.Source.UTM["utm_source"] != "newsletter" || len(l.Source.UTM) != 1 {
			t.Errorf("stored page %q, UTM %v; want %q and utm_source=newsletter only", l.Source.Page, l.Source.UTM, base+"/")
		}
	})

	t.Run("with JavaScript off it is a plain post to a thank-you page", func(t *testing.T) {
		ctx := browser(t)
		do(t, ctx,
			noScript,
			chromedp.Navigate(base+"/"),
			fill("Aroha Ngata", "aroha@example.nz"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(css(".thanks")),
		)
		thanks := get(t, ctx, chromedp.Text(css(".thanks")))
		if url := get(t, ctx, chromedp.Location()); !strings.HasPrefix(url, base+"/?") || !strings.Contains(url, "submitted=1") || !strings.Contains(thanks, "Thank you") {
			t.Errorf("at %s: %q", url, thanks)
		}
		do(t, ctx, chromedp.Navigate(staffLink(t, srv, "Aroha")), chromedp.WaitVisible(css("main")))
		if page := get(t, ctx, chromedp.Text(css("main"))); !strings.Contains(page, "Aroha Ngata") {
			t.Errorf("staff page:\n%s", page)
		}
	})
}

// TestFrontDeskInChromium is a front desk's day on a phone's screen: the
// inbox sends them to sign in, a code comes to the outbox, the inbox lists
// the open requests, one is opened and an attempt recorded, and signing out
// ends the session.
func TestFrontDeskInChromium(t *testing.T) {
	srv, base := serve(t, map[string]string{"MIN_FILL_TIME": "200ms"})
	ctx := browser(t)
	do(t, ctx,
		chromedp.Navigate(base+"/"),
		fill("Mateo Fernández", "mateo@example.com"),
		chromedp.Click(css("#lf button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"lf-status") and contains(., "Thank you")]`)),
	)
	srv.stream.wait()
	alerts := len(srv.Outbox.Sent())

	// Not signed in: the inbox leads to the sign-in page, and back after it.
	do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/staff"), chromedp.WaitVisible(css("#email")))
	if at := get(t, ctx, chromedp.Location()); at != base+"/staff/signin?next=staff" {
		t.Errorf("the inbox without a session leads to %s", at)
	}
	do(t, ctx,
		chromedp.SendKeys(css("#email"), "frontdesk@example.com"),
		chromedp.Click(chromedp.Search(`//button[.="Email me a code"]`)),
		chromedp.WaitVisible(css("#code")),
	)
	srv.stream.wait() // the code comes by the stream, from notify
	sent := srv.Outbox.Sent()
	if len(sent) != alerts+1 || sent[len(sent)-1].To[0] != "frontdesk@example.com" {
		t.Fatalf("outbox: %d emails after the %d alerts, want the code's", len(sent), alerts)
	}
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sent[len(sent)-1].Subject)
	do(t, ctx,
		chromedp.SendKeys(css("#code"), code),
		chromedp.Click(chromedp.Search(`//button[.="Sign in"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[.="Requests"]`)),
	)
	// The session's cookie outlasts the browser: a persistent cookie, not
	// a browser-session one, still __Host-, HttpOnly, Secure, Lax.
	var cookies []*network.Cookie
	do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
		cookies = res.Cookies
		return err
	}))
	found := false
	for _, c := range cookies {
		if c.Name != "__Host-staff-session" {
			continue
		}
		found = true
		if c.Session || c.Expires <= 0 || !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
			t.Errorf("session cookie %+v: want a persistent one (Max-Age), HttpOnly, Secure, SameSite=Lax, Path=/", c)
		}
	}
	if !found {
		t.Errorf("no session cookie among %d", len(cookies))
	}
	inbox := get(t, ctx, chromedp.Text(css("main")))
	for _, want := range []string{"Signed in as frontdesk@example.com", "Call now", "Mateo Fernández", "now (not tried yet)"} {
		if !strings.Contains(inbox, want) {
			t.Errorf("inbox lacks %q:\n%s", want, inbox)
		}
	}
	if w := get(t, ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("the inbox is %vpx wide on a 390px screen", w)
	}

	// The request, opened from the inbox: an attempt recorded.
	do(t, ctx,
		chromedp.Click(chromedp.Search(`//a[.//span[.="Mateo Fernández"]]`)),
		chromedp.WaitVisible(css("#attempt-left-message")),
		chromedp.Click(css("#attempt-left-message")),
		chromedp.Click(chromedp.Search(`//button[.="Record attempt"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "Recorded: left a message.")]`)),
	)
	page := get(t, ctx, chromedp.Text(css("main")))
	for _, want := range []string{"Access history", "frontdesk@example.com recorded an attempt", "frontdesk@example.com opened it"} {
		if !strings.Contains(page, want) {
			t.Errorf("the lead's page lacks %q:\n%s", want, page)
		}
	}
	at := get(t, ctx, chromedp.Location())
	l := storedLead(t, srv, at)
	if len(l.History) != 1 || l.History[0].By != "frontdesk@example.com" || l.Status != lead.StatusOpen {
		t.Errorf("stored %s with %+v", l.Status, l.History)
	}

	// The inbox's search finds the request by its email address and by its
	// request number (the id's last 8), as typed into the search field.
	for _, q := range []string{"MATEO@example.com", lead.RequestNumber(l.ID)} {
		do(t, ctx,
			chromedp.Navigate(base+"/staff"),
			chromedp.WaitVisible(css(`input[name="q"]`)),
			chromedp.SendKeys(css(`input[name="q"]`), q),
			chromedp.Click(chromedp.Search(`//button[.="Search"]`)),
			// The results' page: its field holds the search as sent (the
			// page searched from had it typed, not in its HTML).
			chromedp.WaitVisible(css(`input[name="q"][value="`+q+`"]`)),
		)
		if page := get(t, ctx, chromedp.Text(css("main"))); !strings.Contains(page, "Mateo Fernández") || strings.Contains(page, "No request matches") {
			t.Errorf("search %q does not find the request:\n%s", q, page)
		}
	}

	// Signing out ends the session: the inbox asks to sign in again.
	do(t, ctx,
		chromedp.Click(chromedp.Search(`//button[.="Sign out"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "You are signed out.")]`)),
		chromedp.Navigate(base+"/staff"),
		chromedp.WaitVisible(css("#email")),
	)
	if at := get(t, ctx, chromedp.Location()); at != base+"/staff/signin?next=staff" {
		t.Errorf("after signing out, the inbox leads to %s", at)
	}
}
