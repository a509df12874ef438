package local

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/render/form"
)

// screens are the sizes the visitor's form is tried at: a phone and a desktop.
var screens = []struct {
	name          string
	width, height int64
}{{"phone", 390, 844}, {"desktop", 1280, 800}}

// booking is the BOOKING_URL the form's thank-you offers.
const booking = "https://book.example.com/new"

const thankYou = `//p[contains(@class,"lf-status") and contains(., "Thank you")]`

// otherSite serves a page with two copies of the snippet, posting to api,
// from an origin of its own (another loopback port): not in make dev's
// ALLOWED_ORIGINS.
func otherSite(t *testing.T, api string) string {
	t.Helper()
	snippet, err := form.Snippet(form.Options{APIURL: api, ClinicPhone: "(555) 010-0100"})
	if err != nil {
		t.Fatal(err)
	}
	page := `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Another site</title></head><body><main>` +
		`<h1>Two forms</h1>` + snippet + `<h2>Again</h2>` + snippet + `</main></body></html>`
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// fakeAnswer makes the page's fetch answer with status, body and headers,
// as the API would.
func fakeAnswer(status int, body, headers string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.fetch = function () { return Promise.resolve(new Response(%q, {status: %d, headers: %s})); }`, body, status, headers))
}

func TestVisitorFormInChromium(t *testing.T) {
	// Always open: the thank-you's "when" does not depend on the wall clock.
	srv, base := serve(t, map[string]string{"MIN_FILL_TIME": "200ms", "OPENING_HOURS": "always", "BOOKING_URL": booking})
	other := otherSite(t, base)

	for _, screen := range screens {
		size := chromedp.EmulateViewport(screen.width, screen.height)
		t.Run(screen.name, func(t *testing.T) {
			t.Run("an email-only visitor is accepted without touching the contact choice", func(t *testing.T) {
				ctx := browser(t)
				first := "Ngaio" + screen.name
				do(t, ctx, size,
					chromedp.Navigate(base+"/"),
					chromedp.WaitVisible(css("#lf-name")),
					chromedp.SendKeys(css("#lf-name"), first+" Marsh"),
					chromedp.SendKeys(css("#lf-email"), "ngaio@example.nz"),
					chromedp.Click(css("#lf-consent")),
					chromedp.Sleep(300*time.Millisecond),
					chromedp.Click(css("#lf button[type=submit]")),
					chromedp.WaitVisible(chromedp.Search(thankYou)),
				)
				if state := get(t, ctx, chromedp.AttributeValue(css(".lf-status"), "data-state")); state.Value != "ok" {
					t.Errorf("status state %q, want ok (its own style)", state.Value)
				}
				// The API's message, as text, and its booking link.
				if said := get(t, ctx, chromedp.Text(css(".lf-status"))); !strings.Contains(said, "We'll email you within 15 minutes. Need us sooner? Call (555) 010-0100.") ||
					!strings.Contains(said, "Prefer to pick a time yourself? Book online.") {
					t.Errorf("thank-you %q: want when, the phone and the offer to book", said)
				}
				if href := get(t, ctx, chromedp.AttributeValue(css(".lf-status a"), "href")); href.Value != booking {
					t.Errorf("Book online links to %q, want %s", href.Value, booking)
				}
				l := storedLead(t, srv, staffLink(t, srv, first))
				if l.PreferredContact != lead.ByEmail || l.Phone != "" {
					t.Errorf("stored preferred contact %q, phone %q: want email (the API's default without a phone)", l.PreferredContact, l.Phone)
				}
			})

			t.Run("focus lands on the first invalid field in form order, each message once", func(t *testing.T) {
				ctx := browser(t)
				do(t, ctx, size,
					chromedp.Navigate(base+"/"),
					chromedp.WaitVisible(css("#lf-name")),
					chromedp.SendKeys(css("#lf-name"), "Pat Jones"), // no phone, no email, no consent
					chromedp.Sleep(300*time.Millisecond),
					chromedp.Click(css("#lf button[type=submit]")),
					chromedp.WaitVisible(css("#lf-err-consent")),
				)
				focused := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`))
				shown := get(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll(".lf-err")].filter(p => !p.hidden && p.textContent.includes("a phone number or an email address")).length`))
				invalid := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("[aria-invalid=true]")].map(e => e.id).join(" ")`))
				emailSaysWhy := get(t, ctx, chromedp.Evaluate[bool](`document.getElementById("lf-email").getAttribute("aria-describedby").split(" ").includes("lf-err-phone")`))
				inView := get(t, ctx, chromedp.Evaluate[bool](`(function (r) { return r.top >= 0 && r.bottom <= innerHeight; })(document.activeElement.getBoundingClientRect())`))
				if focused != "lf-phone" || shown != 1 || invalid != "lf-phone lf-email lf-consent" || !emailSaysWhy || !inView {
					t.Errorf("focus on %q (in view: %v), the shared message shown %d times, invalid %q, email described by it: %v; want lf-phone, once, lf-phone lf-email lf-consent",
						focused, inView, shown, invalid, emailSaysWhy)
				}
				if state := get(t, ctx, chromedp.AttributeValue(css(".lf-status"), "data-state")); state.Value != "error" {
					t.Errorf("status state %q, want error", state.Value)
				}
			})

			t.Run("a refused origin reads as call us, with a hint for the site owner", func(t *testing.T) {
				ctx := browser(t)
				do(t, ctx, size,
					chromedp.Navigate(other+"/"),
					chromedp.WaitVisible(css("#lf-name")),
					chromedp.Evaluate[chromedp.Void](`window.warned = []; console.warn = function (m) { window.warned.push(m); }`),
					fill("Wiremu Tane", "wiremu@example.nz"),
					chromedp.Click(css("#lf button[type=submit]")),
					chromedp.WaitVisible(chromedp.Search(`//form[@id="lf"]/p[contains(@class,"lf-status") and contains(., "cannot send from this page")]`)),
				)
				status := get(t, ctx, chromedp.Text(css("#lf .lf-status")))
				tel := get(t, ctx, chromedp.AttributeValue(css(`#lf .lf-status a`), "href"))
				warned := get(t, ctx, chromedp.Evaluate[string](`window.warned.join("\n")`))
				if !strings.Contains(status, "Please call us at (555) 010-0100.") || strings.Contains(status, "connection") || tel.Value != "tel:5550100100" {
					t.Errorf("status %q, link %q", status, tel.Value)
				}
				if !strings.Contains(warned, "AllowedOrigins") || !strings.Contains(warned, other) {
					t.Errorf("console hint %q: want the origin to add to AllowedOrigins", warned)
				}
				// The same from the API's own 403 (its CORS let the origin through).
				do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(css("#lf-name")),
					fakeAnswer(403, `{"error":"Requests from this site are not accepted."}`, `{"Content-Type": "application/json"}`),
					fill("Wiremu Tane", "wiremu@example.nz"),
					chromedp.Click(css("#lf button[type=submit]")),
					chromedp.WaitVisible(chromedp.Search(`//form[@id="lf"]/p[contains(@class,"lf-status") and contains(., "cannot send from this page")]`)),
				)
			})

			t.Run("429: try again in N minutes, or call the number", func(t *testing.T) {
				ctx := browser(t)
				do(t, ctx, size,
					chromedp.Navigate(base+"/"),
					chromedp.WaitVisible(css("#lf-name")),
					fakeAnswer(429, `{"error":"Too many requests"}`, `{"Content-Type": "application/json", "Retry-After": "150"}`),
					fill("Pat Jones", "pat@example.com"),
					chromedp.Click(css("#lf button[type=submit]")),
					chromedp.WaitVisible(css(`.lf-status a[href^="tel:"]`)),
				)
				status := get(t, ctx, chromedp.Text(css(".lf-status")))
				if !strings.Contains(status, "try again in 3 minutes, or call us at (555) 010-0100.") {
					t.Errorf("status %q", status)
				}
			})
		})
	}

	t.Run("two forms on a page: ids of their own, each answers for itself", func(t *testing.T) {
		ctx := browser(t)
		do(t, ctx, chromedp.Navigate(other+"/"), chromedp.WaitVisible(css("#lf2-name")))
		dups := get(t, ctx, chromedp.Evaluate[string](`(function () { var seen = {}, d = []; document.querySelectorAll("[id]").forEach(function (e) { if (seen[e.id]) d.push(e.id); seen[e.id] = 1; }); return d.join(" "); })()`))
		labelled := get(t, ctx, chromedp.Evaluate[bool](`document.querySelector("label[for=lf2-name]").control === document.getElementById("lf2-name")`))
		if dups != "" || !labelled {
			t.Errorf("duplicated ids %q; the second form's name labelled: %v", dups, labelled)
		}
		do(t, ctx,
			fakeAnswer(400, `{"error":"Please check the highlighted fields.","fields":{"name":"Please enter your name."}}`, `{"Content-Type": "application/json"}`),
			chromedp.Click(css("#lf2 button[type=submit]")),
			chromedp.WaitVisible(css("#lf2-err-name")),
		)
		focused := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		firstQuiet := get(t, ctx, chromedp.Evaluate[bool](`document.getElementById("lf-err-name").hidden && document.querySelector("#lf .lf-status").textContent === ""`))
		if focused != "lf2-name" || !firstQuiet {
			t.Errorf("focus on %q, the first form untouched: %v", focused, firstQuiet)
		}
	})

	t.Run("first touch: a campaign's landing page is kept across pages", func(t *testing.T) {
		ctx := browser(t)
		do(t, ctx,
			chromedp.Navigate(base+"/?utm_source=x&gclid=abc"),
			chromedp.WaitVisible(css("#lf-name")),
			chromedp.Navigate(base+"/contact"),
			fill("Hemi Walker", "hemi@example.nz"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(chromedp.Search(thankYou)),
		)
		staff := staffLink(t, srv, "Hemi")
		l := storedLead(t, srv, staff)
		if l.Source.UTM["utm_source"] != "x" || l.Source.UTM["gclid"] != "abc" || l.Source.LandingPath != "/" || l.Source.Page != base+"/contact" {
			t.Errorf("stored source %+v: want utm_source=x, gclid=abc, landing path /, page %s/contact", l.Source, base)
		}
		do(t, ctx, chromedp.Navigate(staff), chromedp.WaitVisible(css("main")))
		if page := get(t, ctx, chromedp.Text(css("main"))); !strings.Contains(page, "a Google Ads click; utm_source=x; first page /; form on /contact") {
			t.Errorf("staff page lacks the Came from line:\n%s", page)
		}
	})

	t.Run("JavaScript off: thank-you on the page it came from; a bad field gets a page naming it", func(t *testing.T) {
		ctx := browser(t)
		do(t, ctx,
			noScript,
			chromedp.Navigate(base+"/contact"),
			fill("Mere Kahu", "mere@example.nz"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(css(".thanks")),
		)
		if at := get(t, ctx, chromedp.Location()); at != base+"/contact?booking=1&expect=We%27ll+call+you+within+15+minutes.&submitted=1" {
			t.Errorf("after sending, at %s: want the page it came from, with when and the booking flag", at)
		}
		// The page's own thank-you says what the API's answer says.
		if said := get(t, ctx, chromedp.Text(css(".thanks"))); said != "Thank you! We have received your request. We'll call you within 15 minutes. Need us sooner? Call (555) 010-0100. Prefer to pick a time yourself? Book online." {
			t.Errorf("no-JavaScript thank-you %q", said)
		}
		if href := get(t, ctx, chromedp.AttributeValue(css(".thanks a"), "href")); href.Value != booking {
			t.Errorf("Book online links to %q, want %s", href.Value, booking)
		}
		do(t, ctx,
			chromedp.Navigate(base+"/contact"),
			chromedp.WaitVisible(css("#lf-name")),
			chromedp.SendKeys(css("#lf-name"), "Mere Kahu"),
			chromedp.SendKeys(css("#lf-phone"), "12"),
			chromedp.Click(css("#lf-consent")),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(chromedp.Search(`//h1[.="Please check your request"]`)),
		)
		page := get(t, ctx, chromedp.Text(css("main")))
		back := get(t, ctx, chromedp.AttributeValue(chromedp.Search(`//a[.="Back to the form"]`), "href"))
		if !strings.Contains(page, "Phone: This number is too short. Please enter the whole number, such as (201) 555-0123.") || back.Value != base+"/contact" {
			t.Errorf("the answer to a bad field:\n%s\nback to %q", page, back.Value)
		}
	})
}

// TestTimeTrapInChromium: the time trap holds a form sent sooner than
// MIN_FILL_TIME only when nobody pressed a key, clicked or tapped on it.
// MIN_FILL_TIME is an hour here, so every form is "fast": a visitor who
// types, and one whose browser autofills the form and who clicks Send,
// are taken and alerted; a script that fills the form and submits it is
// answered alike but held.
func TestTimeTrapInChromium(t *testing.T) {
	srv, base := serve(t, map[string]string{"MIN_FILL_TIME": "1h"})
	// autofill sets the fields as a browser's autofill does: no key
	// presses, no clicks.
	autofill := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function (e) {
			e.name.value = %q; e.phone.value = "(202) 555-0143"; e.email.value = "autofilled@example.com"; e.consent.checked = true;
		})(document.getElementById("lf").elements)`, name))
	}
	ctx := browser(t)

	t.Run("a visitor who types is taken", func(t *testing.T) {
		do(t, ctx,
			chromedp.Navigate(base+"/"),
			fill("Typist Tane", "typist@example.nz"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(chromedp.Search(thankYou)),
		)
		if l := storedLead(t, srv, staffLink(t, srv, "Typist")); l.Status != lead.StatusNew {
			t.Errorf("stored with status %q, want new", l.Status)
		}
	})
	t.Run("autofill, then a click on Send, is taken", func(t *testing.T) {
		do(t, ctx,
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(css("#lf-name")),
			autofill("Autofill Aroha"),
			chromedp.Click(css("#lf button[type=submit]")),
			chromedp.WaitVisible(chromedp.Search(thankYou)),
		)
		staffLink(t, srv, "Autofill")
	})
	t.Run("a script that fills and submits the form is held", func(t *testing.T) {
		do(t, ctx,
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(css("#lf-name")),
			autofill("Scripted Sam"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("lf").requestSubmit()`),
			chromedp.WaitVisible(chromedp.Search(thankYou)), // answered as if taken
		)
		srv.stream.wait()
		for _, m := range srv.Outbox.Sent() {
			if strings.Contains(m.Subject, "Scripted") {
				t.Errorf("the scripted request was alerted: %q", m.Subject)
			}
		}
		var held []lead.Held
		for h, err := range ddb.New(srv.db, srv.table).HeldList(context.Background(), time.Time{}, "", time.Now()) { // wall clock: the local server held it on the real clock
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, h)
		}
		var names []string
		for _, h := range held {
			names = append(names, h.Name)
		}
		if len(held) != 1 || held[0].Name != "Scripted Sam" || !held[0].Trap.TooFast {
			t.Fatalf("held %q, want the scripted request only, held as too fast", names)
		}
		if words := held[0].Trap.Words(); !strings.Contains(words, "with no key pressed, click or tap on it") {
			t.Errorf("why held: %q", words)
		}
	})
}
