package local

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

const (
	ownerAddress = "owner@example-clinic.com"
	deskAddress  = "desk@example-clinic.com"
)

// ownerEnv is make dev with an owner and a front desk on the staff list.
var ownerEnv = map[string]string{"OWNER_EMAILS": ownerAddress, "STAFF_EMAILS": ownerAddress + ", " + deskAddress, "OPENING_HOURS": "always"}

// signedInAs signs email in with the code notify sends through the stream.
func signedInAs(t *testing.T, srv *Server, base, email string) *http.Client {
	t.Helper()
	c := staffClient(t)
	res, err := c.PostForm(base+"/staff/signin", url.Values{"email": {email}, "next": {"staff"}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("ask for a code: %v %v", err, res)
	}
	res.Body.Close()
	srv.stream.wait() // the code comes by the stream, from notify
	var code string
	for _, m := range srv.Outbox.Sent() {
		if slices.Contains(m.To, email) {
			code = regexp.MustCompile(`\b[0-9]{6}\b`).FindString(m.Subject)
		}
	}
	res, err = c.PostForm(base+"/staff/signin", url.Values{"email": {email}, "code": {code}, "next": {"staff"}})
	if err != nil || res.Request.URL.Path != "/staff" {
		t.Fatalf("sign in as %s: %v %v", email, err, res)
	}
	res.Body.Close()
	return c
}

func read(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestOwnersFiguresAndExport: after three requests today, the owner's
// figures page counts them in a chart and a table, and the export holds
// them; the front desk's answers are 403.
func TestOwnersFiguresAndExport(t *testing.T) {
	srv, base := serve(t, ownerEnv)
	for _, name := range []string{"Ana Owner", "Ben Owner", "Cy Owner"} {
		submitLead(t, base, name)
	}
	srv.stream.wait()
	owner := signedInAs(t, srv, base, ownerAddress)
	res, page := read(t, owner, base+"/staff/figures")
	if res.StatusCode != 200 || !strings.Contains(page, "<svg") || !strings.Contains(page, "<table") || !strings.Contains(page, "(7 days): 3 requests.") {
		t.Fatalf("owner's figures: %d\n%s", res.StatusCode, page)
	}
	if strings.Contains(page, "Owner</") || strings.Contains(page, "555-0143") {
		t.Error("personal data on the figures page")
	}
	_, inbox := read(t, owner, base+"/staff")
	if !strings.Contains(inbox, `<a href="staff/figures">Figures</a>`) {
		t.Error("the owner's bar does not link the figures")
	}
	res, body := read(t, owner, base+"/staff/export")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="requests-`) || err != nil || len(rows) != 1+3 {
		t.Fatalf("export: %d %v, %d rows, %v:\n%s", res.StatusCode, res.Header, len(rows)-1, err, body)
	}
	res, body = read(t, owner, base+"/staff/export?pii=1")
	rows, err = csv.NewReader(strings.NewReader(body)).ReadAll()
	if res.StatusCode != 200 || err != nil || len(rows) != 1+3 {
		t.Fatalf("export with pii: %d %v:\n%s", res.StatusCode, err, body)
	}
	phone := slices.Index(rows[0], "phone")
	for _, r := range rows[1:] {
		if phone < 0 || r[phone] != "+12025550143" {
			t.Errorf("phone cell %v, want +12025550143 as written (no apostrophe)", r)
		}
	}

	desk := signedInAs(t, srv, base, deskAddress)
	for _, path := range []string{"/staff/figures", "/staff/export"} {
		res, page := read(t, desk, base+path)
		if res.StatusCode != 403 || !strings.Contains(page, "Only the clinic&#39;s owners (OWNER_EMAILS) may see the figures.") {
			t.Errorf("desk, %s: %d %s", path, res.StatusCode, page)
		}
	}
	if _, inbox := read(t, desk, base+"/staff"); strings.Contains(inbox, ">Figures<") {
		t.Error("the desk's bar links the figures")
	}
}

// TestFiguresPageInChromium: on a phone's screen and a desktop's, the
// owner's figures page shows its charts within the screen's width, with
// axe finding no violation.
func TestFiguresPageInChromium(t *testing.T) {
	src := axeSource(t)
	srv, base := serve(t, ownerEnv)
	for _, name := range []string{"Ana Owner", "Ben Owner", "Cy Owner"} {
		submitLead(t, base, name)
	}
	srv.stream.wait()
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := browser(t)
			do(t, ctx, chromedp.EmulateViewport(size.width, size.height),
				chromedp.Navigate(base+"/staff"), chromedp.WaitVisible(css("#email")),
				chromedp.SendKeys(css("#email"), ownerAddress),
				chromedp.Click(chromedp.Search(`//button[.="Email me a code"]`)),
				chromedp.WaitVisible(css("#code")),
			)
			srv.stream.wait()
			sent := srv.Outbox.Sent()
			code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sent[len(sent)-1].Subject)
			do(t, ctx,
				chromedp.SendKeys(css("#code"), code),
				chromedp.Click(chromedp.Search(`//button[.="Sign in"]`)),
				chromedp.WaitVisible(chromedp.Search(`//h1[.="Requests"]`)),
				chromedp.Click(chromedp.Search(`//nav//a[.="Figures"]`)),
				chromedp.WaitVisible(chromedp.Search(`//h1[.="Figures"]`)),
			)
			// Every chart drawn, no wider than the screen, its 12-unit text at
			// least 10 px; the page never scrolls sideways (the tables scroll
			// in their own regions).
			type box struct{ Charts, Wide, Narrow, Overflow int }
			got := get(t, ctx, chromedp.Evaluate[box](`(() => {
				const svgs = [...document.querySelectorAll("svg[role=img]")];
				const w = document.documentElement.clientWidth;
				return {charts: svgs.length,
					wide: svgs.filter(s => s.getBoundingClientRect().width > w).length,
					narrow: svgs.filter(s => s.getBoundingClientRect().width / s.viewBox.baseVal.width * 12 < 10).length,
					overflow: document.documentElement.scrollWidth - w};
			})()`))
			if got.Charts != 7 || got.Wide != 0 || got.Narrow != 0 || got.Overflow > 0 {
				t.Errorf("%+v: want 7 charts within the screen, text of 10 px or more, no sideways scroll", got)
			}
			if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("table").length`)); n != 8 {
				t.Errorf("%d tables, want 8", n)
			}
			png := get(t, ctx, chromedp.Screenshot(css("main"), chromedp.NodeVisible))
			if len(png) < 1000 {
				t.Errorf("screenshot of %d bytes", len(png))
			}
			checkAxe(t, ctx, src, "the figures page")
		})
	}
}
