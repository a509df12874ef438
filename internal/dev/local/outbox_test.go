package local

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/dev/outbox"
)

// sendLead posts a valid request as the form does, past the time trap.
func sendLead(t *testing.T, base, name, email string) {
	t.Helper()
	body := `{"name":"` + name + `","email":"` + email + `","consent":true,"elapsedMs":60000}`
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d", res.StatusCode)
	}
}

func TestMailHTMLOpensLinksInANewTab(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"into the head", `<!DOCTYPE html><html><HEAD lang="en"><title>x</title></HEAD><body><header>h</header></body></html>`,
			`<!DOCTYPE html><html><HEAD lang="en"><base target="_blank"><title>x</title></HEAD><body><header>h</header></body></html>`},
		{"after the doctype when there is no head", `<!doctype html><p><a href="https://x">x</a>`,
			`<!doctype html><base target="_blank"><p><a href="https://x">x</a>`},
		{"first in a fragment", `<p>hi</p>`, `<base target="_blank"><p>hi</p>`},
		{"a header is no head", `<header>hi</header>`, `<base target="_blank"><header>hi</header>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mailHTML(tt.in); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// followUp posts to /_local/followup as of at, as JSON.
func followUp(t *testing.T, base string, at time.Time) followUpRun {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/_local/followup?at="+url.QueryEscape(at.UTC().Format(time.RFC3339)), nil)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var run followUpRun
	if err := json.NewDecoder(res.Body).Decode(&run); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("follow-up: %d %v", res.StatusCode, err)
	}
	return run
}

// postFollowUp posts to /_local/followup with no ?at=, as the page's
// button does, as JSON.
func postFollowUp(t *testing.T, base string) followUpRun {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/_local/followup", nil)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var run followUpRun
	if err := json.NewDecoder(res.Body).Decode(&run); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("follow-up: %d %v", res.StatusCode, err)
	}
	return run
}

// TestFollowUpTriggerSaysWhatHappened: /_local/followup runs the digest of
// the runner clock's day, at that day's digest time, and says whether it
// went out and to whom, was already sent that day (and how to move the
// clock to the next), had nothing to list, or fell on a closed day; ?at=
// is the schedule's run at that time. The JSON answer and the outbox page
// its form lands on say the same.
func TestFollowUpTriggerSaysWhatHappened(t *testing.T) {
	monday := mondayMorning(t) // 7:00; the digest goes out at 8:00
	_, base := serveFrom(t, map[string]string{"FOLLOW_UP_AFTER": "1ms"}, slog.New(slog.DiscardHandler), nil, monday)
	day := monday.Format(time.DateOnly)

	got := postFollowUp(t, base)
	if got.Outcome != "nothing waiting" || got.DigestsSent != 0 || !strings.Contains(got.Message, "nothing waiting at 8:00 AM") || got.Day != day {
		t.Errorf("with no request: %+v", got)
	}
	sendLead(t, base, "Pat Smith", "pat@example.com")
	got = postFollowUp(t, base)
	want := followUpRun{Outcome: "sent", Day: day, To: []string{"frontdesk@example.com"}, DigestsSent: 1,
		Message: "Digest sent to frontdesk@example.com about 1 request (" + day + ")."}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("a request waiting (-got +want):\n%s", diff)
	}
	got = postFollowUp(t, base)
	tuesday := monday.AddDate(0, 0, 1).Add(time.Hour)
	if got.Outcome != "already sent" || got.DigestsSent != 0 ||
		!strings.Contains(got.Message, "already sent today") || !strings.Contains(got.Message, "The next goes out "+tuesday.Format("Mon 2 Jan at 3:04 PM")+"; move the clock there with POST /_local/clock?advance=25h") {
		t.Errorf("a second run that day: %+v", got)
	}
	// ?at= outside the digest's hour is the schedule's run then: no digest.
	if got := followUp(t, base, monday.Add(5*time.Hour)); got.Outcome != "not the digest's hour" || got.DigestsSent != 0 || !strings.Contains(got.Message, "8:00 AM") {
		t.Errorf("?at= at noon: %+v", got)
	}

	// The page's button: 303 to the outbox, which says what the run did.
	res, err := http.PostForm(base+"/_local/followup", nil)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(res.Request.URL.Path, "/_local/outbox") || !strings.Contains(string(page), `<p class="ran" role="status">No digest: already sent today (`+day+`)`) {
		t.Errorf("after the button, at %s:\n%s", res.Request.URL, page)
	}
	// A stale or made-up ?ran= shows nothing.
	for _, ran := range []string{"0", "99", "<b>x</b>"} {
		res, err := http.Get(base + "/_local/outbox?ran=" + url.QueryEscape(ran))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(page), `class="ran"`) {
			t.Errorf("?ran=%s shows a report", ran)
		}
	}

	// Saturday: the clinic (Mon-Fri) is closed, and the run says so.
	advance(t, base, 5*24*time.Hour)
	got = postFollowUp(t, base)
	nextMonday := monday.AddDate(0, 0, 7).Add(time.Hour)
	if got.Outcome != "closed" || got.DigestsSent != 0 || got.Day != monday.AddDate(0, 0, 5).Format(time.DateOnly) ||
		!strings.Contains(got.Message, "closed on") || !strings.Contains(got.Message, "The next goes out "+nextMonday.Format("Mon 2 Jan at 3:04 PM")+"; move the clock there with POST /_local/clock?advance=49h") {
		t.Errorf("on Saturday: %+v", got)
	}
}

// TestOutboxOnAPhoneInChromium: on a 390px screen the outbox does not scroll
// sideways; "Sent" is in the clinic's zone, named; each message names its
// .eml file; the HTML part is as tall as the email, its staff link opens in
// a new tab, and a script in an email does not run.
func TestOutboxOnAPhoneInChromium(t *testing.T) {
	// No acknowledgement: the alert is the entry after the hostile email.
	srv, base := serve(t, map[string]string{"ACK_EMAIL": "false"})
	sendLead(t, base, "Siobhán O'Brien", "siobhan@example.com")
	srv.stream.wait()
	// An email trying what a hostile one might: a script, a handler.
	hostile := `<!DOCTYPE html><html><head><title>x</title></head><body><p>Hostile</p><script>parent.document.title="pwned"</script><img src="data:," onerror="parent.document.title='pwned'"></body></html>`
	if _, err := srv.Outbox.SendEmail(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("alerts@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"frontdesk@example.com"}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hostile")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hostile")}, Html: &types.Content{Data: aws.String(hostile)}},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	sent := srv.Outbox.Sent()
	alert := sent[0]

	ctx := browser(t)
	do(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/_local/outbox"),
		chromedp.WaitVisible(css("article")),
		// Open the alert's HTML part (the newest, the hostile one, is open).
		chromedp.Click(chromedp.Search(`//article[2]//summary`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll("iframe.mail")].every(f => f.contentDocument && f.contentDocument.readyState == "complete" && f.style.height != "")`),
	)
	if w := get(t, ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("the outbox is %vpx wide on a 390px screen", w)
	}
	if title := get(t, ctx, chromedp.Evaluate[string](`document.title`)); strings.Contains(title, "pwned") {
		t.Errorf("a script in an email ran: title %q", title)
	}
	ny, _ := time.LoadLocation("America/New_York")
	wantSent := alert.At.In(ny).Format("Mon 2 Jan 2006 15:04:05 MST") + " (America/New_York)"
	article := get(t, ctx, chromedp.Text(chromedp.Search(`//article[2]`)))
	for _, want := range []string{"Sent\n" + wantSent, "File\n" + alert.File} {
		if !strings.Contains(article, want) {
			t.Errorf("the alert's entry lacks %q:\n%s", want, article)
		}
	}
	if !regexp.MustCompile(` E[SD]T \(America/New_York\)$`).MatchString(wantSent) {
		t.Errorf("Sent %q: want the zone's abbreviation and name", wantSent)
	}
	const frame = `document.querySelectorAll("iframe.mail")[1]`
	full := get(t, ctx, chromedp.Evaluate[bool](`(f => f.clientHeight + 2 >= f.contentDocument.documentElement.scrollHeight)(`+frame+`)`))
	sandbox := get(t, ctx, chromedp.Evaluate[string](frame+`.getAttribute("sandbox")`))
	if !full || sandbox != "allow-same-origin allow-popups allow-popups-to-escape-sandbox" {
		t.Errorf("the HTML part: whole in view %v, sandbox %q", full, sandbox)
	}

	// Its staff link, clicked, opens the staff page in a new tab.
	rect := get(t, ctx, chromedp.Evaluate[[]float64](`(f => { const a = f.contentDocument.querySelector('a[href*="/leads/"]'); a.scrollIntoView({block: "center"}); const o = f.getBoundingClientRect(), r = a.getBoundingClientRect(); return [o.left + r.left + Math.min(r.width, 20) / 2, o.top + r.top + r.height / 2]; })(`+frame+`)`))
	opened := chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return strings.Contains(i.URL, "/leads/") })
	do(t, ctx, chromedp.MouseClickXY(rect[0], rect[1]))
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("clicking the HTML part's staff link opened no tab")
	}
	// The new tab lands on the staff page, its token taken (POST-free: the
	// staff function answers the link with a 303 to the bare page).
	staffPage := strings.SplitN(staffLink(t, srv, "Siobhán"), "?", 2)[0]
	var urls []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) { // wall clock: a polling deadline for the browser's new tab
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		urls = urls[:0]
		for _, i := range infos {
			urls = append(urls, i.URL)
		}
		if slices.Contains(urls, staffPage) {
			break
		}
	}
	if !slices.Contains(urls, staffPage) {
		t.Errorf("tabs %q: want one at %s", urls, staffPage)
	}
	if at := get(t, ctx, chromedp.Location()); at != base+"/_local/outbox" {
		t.Errorf("the outbox tab went to %s", at)
	}
}

// weeklyReport posts to /_local/followup?report=weekly as JSON.
func weeklyReport(t *testing.T, base string) followUpRun {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/_local/followup?report=weekly", nil)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var run followUpRun
	if err := json.NewDecoder(res.Body).Decode(&run); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("weekly report: %d %v", res.StatusCode, err)
	}
	return run
}

// TestWeeklyReportTrigger: POST /_local/followup?report=weekly puts the
// weekly report in the outbox, as the Monday schedule would send it at the
// runner's clock: the week before the clock's, linking the figures page;
// once a week; and the outbox page's button does the same.
func TestWeeklyReportTrigger(t *testing.T) {
	monday := mondayMorning(t)
	srv, base := serveFrom(t, nil, slog.New(slog.DiscardHandler), nil, monday)
	sendLead(t, base, "Pat Smith", "pat@example.com")
	srv.stream.wait()
	advance(t, base, 7*24*time.Hour) // next Monday: Pat's week is last week
	weeklies := func() []outbox.Sent {
		var out []outbox.Sent
		for _, m := range srv.Outbox.Sent() {
			if strings.HasPrefix(m.Subject, "Weekly report:") {
				out = append(out, m)
			}
		}
		return out
	}
	digests := len(srv.Outbox.Sent()) - len(weeklies())

	got := weeklyReport(t, base)
	week := monday.Format(time.DateOnly)
	sent := weeklies()
	if len(sent) != 1 {
		t.Fatalf("%d weekly reports in the outbox after ?report=weekly (%+v), want 1", len(sent), got)
	}
	m := sent[0]
	if got.Outcome != "sent" || got.ReportsSent != 1 || got.Week != week || !slices.Equal(got.To, m.To) || len(m.To) == 0 ||
		got.Message != "Weekly report sent to "+strings.Join(m.To, ", ")+": the week from "+week+", 1 request." {
		t.Errorf("the run: %+v, the email to %v", got, m.To)
	}
	if !strings.HasPrefix(m.Subject, "Weekly report: 1 request, 0 booked") || !strings.Contains(m.HTML, base+"/staff/figures") || !strings.Contains(m.HTML, "Requests by day of the week") {
		t.Errorf("the weekly report: %q, without the week's request, the figures link or its charts:\n%.2000s", m.Subject, m.HTML)
	}
	if n := len(srv.Outbox.Sent()) - len(weeklies()); n != digests {
		t.Errorf("?report=weekly sent %d other emails (a digest?)", n-digests)
	}

	// Once a week: the second run says so and sends nothing.
	if got := weeklyReport(t, base); got.Outcome != "already sent" || got.ReportsSent != 0 || !strings.Contains(got.Message, "already sent") || len(weeklies()) != 1 {
		t.Errorf("a second run the same week: %+v, %d reports", got, len(weeklies()))
	}

	// The outbox's button: 303 to the outbox, which says what the run did.
	res, err := http.Get(base + "/_local/outbox")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), `action="/_local/followup?report=weekly"`) {
		t.Errorf("the outbox has no weekly report button:\n%s", page)
	}
	advance(t, base, 7*24*time.Hour)
	res, err = http.PostForm(base+"/_local/followup?report=weekly", nil)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(res.Request.URL.Path, "/_local/outbox") || !strings.Contains(string(page), `<p class="ran" role="status">Weekly report sent to `) || len(weeklies()) != 2 {
		t.Errorf("after the button, at %s, %d reports:\n%s", res.Request.URL, len(weeklies()), page)
	}

	// Any other report is refused.
	res, err = http.PostForm(base+"/_local/followup?report=monthly", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("?report=monthly: %d, want 400", res.StatusCode)
	}
}
