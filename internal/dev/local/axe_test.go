package local

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// axeSource is axe-core, pinned in infra/ses-local (make test installs it).
func axeSource(t *testing.T) string {
	t.Helper()
	p := testenv.AxeCore(t)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// axeViolation is one rule axe found broken, with the nodes that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe injects axe into the page ctx shows and fails the test on any
// violation of the rules it runs by default (WCAG 2.x A and AA, and best
// practices).
func checkAxe(t *testing.T, ctx context.Context, src, page string) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](src))
	found := get(t, ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`, chromedp.EvalAwaitPromise))
	for _, v := range found {
		t.Errorf("%s: axe %s (%s): %s, at %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "; "))
	}
}

// TestAccessibilityInChromium: axe finds no violation on the form page, the
// staff pages (a lead's page from the alert's link, the sign-in page, the
// inbox, the review page of held requests) and the outbox (with a follow-up run's report), on a phone's screen
// and a desktop's. The emails inside the outbox's frames are not checked.
func TestAccessibilityInChromium(t *testing.T) {
	src := axeSource(t)
	srv, base := serve(t, map[string]string{"MIN_FILL_TIME": "200ms"})
	sendLead(t, base, "Mateo Fernández", "mateo@example.com")
	link := staffLink(t, srv, "Mateo")
	// Mateo asks again (the same address): one patient, whose newer
	// request's page lists the earlier one and whose inbox row counts both.
	sendLead(t, base, "Mateo Fernández", "mateo@example.com")
	srv.stream.wait()
	var again string
	for _, m := range srv.Outbox.Sent() {
		if m.Tags["kind"] == "alert" {
			again = regexp.MustCompile(`https?://\S+/leads/[^?\s]+`).FindString(m.Text)
		}
	}
	if again == "" || strings.HasPrefix(link, again) {
		t.Fatalf("no alert about Mateo's second request (%q)", again)
	}
	// A request the honeypot caught, held for the review page.
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(
		`{"name":"Botty McBotface","email":"bot@example.com","consent":true,"elapsedMs":60000,"website":"http://spam.example"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	for _, size := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := browser(t)
			do(t, ctx, chromedp.EmulateViewport(size.width, size.height))
			visit := func(page, url, ready string) {
				t.Helper()
				do(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(css(ready)))
				checkAxe(t, ctx, src, page)
			}
			visit("the form page", base+"/", "#lf")
			visit("a lead's page", link, "main")
			visit("the outbox", base+"/_local/outbox", "article")
			do(t, ctx,
				chromedp.Click(chromedp.Search(`//button[.="Run today's digest"]`)),
				chromedp.WaitVisible(css(".ran")),
			)
			checkAxe(t, ctx, src, "the outbox after a follow-up run")

			// Signed in: the sign-in page, then the inbox.
			visit("the sign-in page", base+"/staff", "#email")
			do(t, ctx,
				chromedp.SendKeys(css("#email"), srv.StaffEmail()),
				chromedp.Click(chromedp.Search(`//button[.="Email me a code"]`)),
				chromedp.WaitVisible(css("#code")),
			)
			srv.stream.wait() // the code comes by the stream, from notify
			sent := srv.Outbox.Sent()
			code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sent[len(sent)-1].Subject)
			do(t, ctx,
				chromedp.SendKeys(css("#code"), code),
				chromedp.Click(chromedp.Search(`//button[.="Sign in"]`)),
				chromedp.WaitVisible(chromedp.Search(`//h1[.="Requests"]`)),
				chromedp.WaitVisible(chromedp.Search(`//a[contains(., "2 requests")]`)),
			)
			checkAxe(t, ctx, src, "the inbox, a returning patient's row counting two requests")
			do(t, ctx, chromedp.Navigate(again), chromedp.WaitVisible(chromedp.Search(`//*[contains(., "Earlier requests")]`)),
				chromedp.WaitVisible(css(`input[name="duplicates"]`)))
			checkAxe(t, ctx, src, "a returning patient's newer request, its earlier requests and the duplicates box")
			do(t, ctx, chromedp.Navigate(base+"/staff/held"), chromedp.WaitVisible(chromedp.Search(`//*[contains(., "Botty McBotface")]`)))
			checkAxe(t, ctx, src, "the review page of held requests")
			// make dev's staff address is its owner's: the lead's page with the
			// erase form, unfolded.
			page, _, _ := strings.Cut(link, "?")
			do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(css("main")),
				chromedp.Click(chromedp.Search(`//summary[.="Erase this patient's data"]`)), chromedp.WaitVisible(css("#confirm")))
			checkAxe(t, ctx, src, "a lead's page with the owner's erase form")
		})
	}
}
