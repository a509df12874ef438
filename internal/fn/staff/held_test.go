package staff

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

// hold stores a held request received an hour before start.
func (f *fixture) hold(t *testing.T) lead.Held {
	t.Helper()
	h := storetest.Held(start.Add(-time.Hour))
	h.Name, h.Email = "Heldina Quarantino", "heldina@example.org"
	if err := f.store.Hold(context.Background(), h, "2026-11-27", nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range []string{"Heldina", "Quarantino", h.Email, h.Phone} {
			if strings.Contains(f.logs.String(), p) {
				t.Errorf("%q in the logs:\n%s", p, f.logs)
			}
		}
	})
	return h
}

// heldToken is the digest's link token.
func heldToken(now time.Time) string {
	return signer.Sign(link.PurposeHeld, link.HeldSubject, now.Add(config.DefaultLinkTTL))
}

// openHeld follows the digest's link to the review page, as a browser does.
func (f *fixture) openHeld(t *testing.T) string {
	t.Helper()
	res := f.getURL(t, "/staff/held?t="+url.QueryEscape(heldToken(f.now)))
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "held" {
		t.Fatalf("the digest's link: %d, Location %q: %s", res.StatusCode, res.Headers["Location"], res.Body)
	}
	page := f.getURL(t, "/staff/held")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("review page: %d %s", page.StatusCode, page.Body)
	}
	return page.Body
}

// act sends the review page's form for action on its first row.
func (f *fixture) act(t *testing.T, page, action string, change func(url.Values)) (int, string) {
	t.Helper()
	target, form := formOf(t, page, action)
	if change != nil {
		change(form)
	}
	next := (&url.URL{Scheme: "https", Host: "api.example-clinic.com", Path: "/staff/held"}).ResolveReference(target)
	res := f.do(t, testenv.HTTPRequest(t, http.MethodPost, "POST /staff/held/{id}", next.Path, form.Encode()))
	return res.StatusCode, res.Headers["Location"]
}

func TestHeldReleasedFromTheDigestLink(t *testing.T) {
	f := newFixture(t)
	h := f.hold(t)
	page := f.openHeld(t)
	for _, want := range []string{"Heldina Quarantino", "heldina@example.org", "hidden website field filled in", `action="held/` + h.ID + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the review page lacks %q", want)
		}
	}
	if strings.Contains(page, f.lead.Email) {
		t.Error("the review page lists a lead")
	}
	status, loc := f.act(t, page, "release", nil)
	if status != http.StatusSeeOther || loc != "../held?done=released" {
		t.Fatalf("release: %d to %q", status, loc)
	}
	l, err := f.store.Get(context.Background(), h.ID, f.now)
	if err != nil {
		t.Fatalf("no lead after release: %v", err)
	}
	// Still received when the visitor sent it; released and kept from now.
	if l.Status != lead.StatusNew || !l.CreatedAt.Equal(h.CreatedAt) || !l.ReleasedAt.Equal(f.now) || l.Name != h.Name || !l.ExpiresAt.Equal(f.now.Add(365*24*time.Hour)) {
		t.Errorf("released lead: %s, created %v (held %v), released %v, %q, expires %v", l.Status, l.CreatedAt, h.CreatedAt, l.ReleasedAt, l.Name, l.ExpiresAt)
	}
	if _, err := f.store.GetHeld(context.Background(), h.ID, f.now); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("still held after release: %v", err)
	}
	// The same form again: nothing more happens.
	if status, loc := f.act(t, page, "release", nil); status != http.StatusSeeOther || loc != "../held?done=gone" {
		t.Errorf("release again: %d to %q", status, loc)
	}
	if got := f.trail(h.ID); !slices.Equal(got, []string{"emailed link release"}) {
		t.Errorf("audit trail of %s: %v", h.ID, got)
	}
	if got := f.trail(""); !slices.Contains(got, "emailed link view-held") {
		t.Errorf("the review page's view is not on the trail: %v", got)
	}
	if res := f.getURL(t, "/staff/held?done=released"); !strings.Contains(res.Body, "Released") || strings.Contains(res.Body, "Heldina") {
		t.Errorf("after release: %d %s", res.StatusCode, res.Body)
	}
	// Its page says when it came and that it waited for review.
	if res := f.get(t, h.ID, signer.Sign(link.PurposeStaff, h.ID, f.now.Add(time.Hour))); !strings.Contains(res.Body, "<dt>Received</dt><dd>"+f.h.short(h.CreatedAt, f.now)) || !strings.Contains(res.Body, "held for review, released "+f.h.short(f.now, f.now)) {
		t.Errorf("the released lead's page should show its received time and its release:\n%s", res.Body)
	}
}

func TestHeldDeletedWhenSignedIn(t *testing.T) {
	f := newFixture(t)
	h := f.hold(t)
	f.signIn(t)
	page := f.getURL(t, "/staff/held")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Heldina") {
		t.Fatalf("review page signed in: %d %s", page.StatusCode, page.Body)
	}
	// Delete asks to confirm, without JavaScript: a required box to tick.
	mustContain(t, page.Body, `<label class="opt" for="confirm-`+h.ID+`"><input type="checkbox" id="confirm-`+h.ID+`" name="confirm" value="yes" required> Not a real patient: delete it for good</label>`)
	for _, confirm := range []string{"", "no"} {
		status, _ := f.act(t, page.Body, "delete", func(v url.Values) { v.Set("confirm", confirm) })
		if status != http.StatusBadRequest {
			t.Errorf("delete with confirm=%q: status %d, want 400", confirm, status)
		}
		if _, err := f.store.GetHeld(context.Background(), h.ID, f.now); err != nil {
			t.Fatalf("deleted without confirming: %v", err)
		}
	}
	if got := f.trail(h.ID); len(got) != 0 {
		t.Errorf("audit trail of %s after unconfirmed deletes: %v", h.ID, got)
	}
	if status, loc := f.act(t, page.Body, "delete", func(v url.Values) { v.Set("confirm", "yes") }); status != http.StatusSeeOther || loc != "../held?done=deleted" {
		t.Fatalf("delete: %d to %q", status, loc)
	}
	if _, err := f.store.GetHeld(context.Background(), h.ID, f.now); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("still held after delete: %v", err)
	}
	if _, err := f.store.Get(context.Background(), h.ID, f.now); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("a deleted held request became a lead: %v", err)
	}
	if got := f.trail(h.ID); !slices.Equal(got, []string{staffEmail + " delete-held"}) {
		t.Errorf("audit trail of %s: %v", h.ID, got)
	}
}

func TestHeldReviewIsGuarded(t *testing.T) {
	t.Run("no session: to sign-in", func(t *testing.T) {
		f := newFixture(t)
		f.hold(t)
		res := f.getURL(t, "/staff/held")
		if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff/signin?next=staff%2Fheld" || strings.Contains(res.Body, "Heldina") {
			t.Errorf("%d to %q", res.StatusCode, res.Headers["Location"])
		}
	})
	t.Run("a lead's link opens no held requests", func(t *testing.T) {
		f := newFixture(t)
		f.hold(t)
		if res := f.get(t, f.lead.ID, f.token); res.StatusCode != http.StatusOK {
			t.Fatalf("lead link: %d", res.StatusCode)
		}
		if res := f.getURL(t, "/staff/held"); res.StatusCode != http.StatusSeeOther || strings.Contains(res.Body, "Heldina") {
			t.Errorf("a lead's session opened the review page: %d", res.StatusCode)
		}
	})
	t.Run("the held link opens no lead", func(t *testing.T) {
		f := newFixture(t)
		f.openHeld(t)
		if res := f.getURL(t, "/leads/"+f.lead.ID); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the review session opened a lead: %d", res.StatusCode)
		}
		if res := f.getURL(t, "/leads/"+f.lead.ID+"?t="+url.QueryEscape(heldToken(f.now))); res.StatusCode != http.StatusForbidden {
			t.Errorf("the held token as a lead's: %d", res.StatusCode)
		}
	})
	for name, token := range map[string]string{
		"a forged token":      "AAAA" + heldToken(start)[4:],
		"a lead's token":      signer.Sign(link.PurposeStaff, link.HeldSubject, start.Add(time.Hour)),
		"an expired token":    signer.Sign(link.PurposeHeld, link.HeldSubject, start.Add(-time.Minute)),
		"too long a lifetime": signer.Sign(link.PurposeHeld, link.HeldSubject, start.Add(30*24*time.Hour)),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.hold(t)
			res := f.getURL(t, "/staff/held?t="+url.QueryEscape(token))
			if res.StatusCode != http.StatusForbidden || len(f.cookies) != 0 || strings.Contains(res.Body, "Heldina") {
				t.Errorf("%d, cookies %v", res.StatusCode, f.cookies)
			}
		})
	}
	t.Run("STAFF_SIGNIN=always: the link leads to sign-in", func(t *testing.T) {
		cfg := testConfig(lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: 4, Hours: everyDay})
		cfg.SignIn = config.SignInAlways
		f := newFixtureConfig(t, cfg, nil)
		f.hold(t)
		res := f.getURL(t, "/staff/held?t="+url.QueryEscape(heldToken(f.now)))
		if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff/signin?next=staff%2Fheld" || len(f.cookies) != 0 {
			t.Errorf("%d to %q, cookies %v", res.StatusCode, res.Headers["Location"], f.cookies)
		}
	})
	forms := map[string]func(f *fixture, page string) (int, string){
		"a form token of another page": func(f *fixture, page string) (int, string) {
			return f.act(t, page, "release", func(v url.Values) { v.Set("t", f.formToken(t)) })
		},
		"no form token": func(f *fixture, page string) (int, string) {
			return f.act(t, page, "release", func(v url.Values) { v.Del("t") })
		},
		"an unknown action": func(f *fixture, page string) (int, string) {
			return f.act(t, page, "release", func(v url.Values) { v.Set("action", "approve") })
		},
		"from another site": func(f *fixture, page string) (int, string) {
			target, form := formOf(t, page, "release")
			req := testenv.HTTPRequest(t, http.MethodPost, "POST /staff/held/{id}", "/staff/"+target.Path, form.Encode())
			req.Headers["sec-fetch-site"] = "cross-site"
			res := f.do(t, req)
			return res.StatusCode, res.Headers["Location"]
		},
		"without a session": func(f *fixture, page string) (int, string) {
			clear(f.cookies)
			return f.act(t, page, "release", nil)
		},
	}
	for name, send := range forms {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			h := f.hold(t)
			page := f.openHeld(t)
			if status, _ := send(f, page); status != http.StatusForbidden && status != http.StatusBadRequest {
				t.Errorf("status %d, want 403 or 400", status)
			}
			if _, err := f.store.GetHeld(context.Background(), h.ID, f.now); err != nil {
				t.Errorf("the held request changed: %v", err)
			}
			if _, err := f.store.Get(context.Background(), h.ID, f.now); err == nil {
				t.Error("a refused form released it")
			}
		})
	}
}

func TestHeldReleaseOfAnIDAlreadyALead(t *testing.T) {
	f := newFixture(t)
	h := f.hold(t)
	l := h.Release(f.now, time.Hour)
	l.Name = "Came Through"
	f.save(t, l)
	page := f.openHeld(t)
	if status, loc := f.act(t, page, "release", nil); status != http.StatusSeeOther || loc != "../held?done=exists" {
		t.Fatalf("release: %d to %q", status, loc)
	}
	if got, _ := f.store.Get(context.Background(), h.ID, f.now); got.Name != "Came Through" {
		t.Errorf("the stored lead changed: %q", got.Name)
	}
	if _, err := f.store.GetHeld(context.Background(), h.ID, f.now); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("the held copy stayed: %v", err)
	}
}

func TestHeldPages(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range heldPageSize + 2 {
		h := storetest.Held(start.Add(-time.Duration(i+1) * time.Minute))
		if err := f.store.Hold(context.Background(), h, "2026-11-27", nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	page := f.openHeld(t)
	if n := strings.Count(page, `value="release"`); n != heldPageSize {
		t.Errorf("first page: %d rows", n)
	}
	if !strings.Contains(page, ids[0]) || strings.Contains(page, ids[heldPageSize]) {
		t.Error("the first page is not the newest")
	}
	next := heldFind(page, `href="(held\?before=[^"]+)"`)
	if next == "" {
		t.Fatalf("no next page link:\n%s", page)
	}
	res := f.getURL(t, "/staff/"+strings.ReplaceAll(next, "&amp;", "&"))
	if n := strings.Count(res.Body, `value="release"`); n != 2 || !strings.Contains(res.Body, ids[heldPageSize+1]) {
		t.Errorf("second page: %d rows: %s", n, res.Body)
	}
}

func heldFind(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
