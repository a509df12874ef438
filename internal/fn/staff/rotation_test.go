package staff

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/link"
)

// stages is the link secret's AWSCURRENT and AWSPREVIOUS as Secrets
// Manager moves them on put-secret-value.
type stages struct {
	mu                sync.Mutex
	current, previous []byte
}

func (s *stages) put(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current, s.previous = []byte(v), s.current
}

func (s *stages) read(context.Context) ([]byte, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current, s.previous, nil
}

// TestRotation: across a rotation of the link secret, the page's form and
// a sign-in code made with the version before still work; a link signed
// by a version newer than this copy of the function has read works after
// it reads the secret again; nothing made with a retired version works.
func TestRotation(t *testing.T) {
	v1, v2, v3 := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	src := &stages{current: []byte(v1)}
	f := newFixture(t)
	s, err := link.NewRefreshingSigner(context.Background(), src.read, func() time.Time { return f.now })
	if err != nil {
		t.Fatal(err)
	}
	f.useSigner(s)
	linkOf := func(version string) string {
		return mustSigner(t, version).Sign(link.PurposeStaff, f.lead.ID, f.now.Add(config.DefaultLinkTTL))
	}
	f.token = linkOf(v1)

	// Before the rotation: the link's page with its form, and a code asked for.
	page := f.get(t, f.lead.ID, f.token)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the link: %d %s", page.StatusCode, page.Body)
	}
	target, form := formOf(t, page.Body, actAttempt)
	form.Set("outcome", "no-answer")
	staleForm := url.Values{"t": {form.Get("t")}, "v": {"1"}, "outcome": {"booked"}}
	linkSession := f.cookies
	f.cookies = map[string]string{}
	f.askCode(t, staffEmail)
	code := f.lastCode(t)

	src.put(v2) // make rotate-link-secret
	f.now = f.now.Add(link.RefreshEvery)
	if res := f.postTo(t, "/staff/signin", url.Values{"email": {staffEmail}, "code": {code}, "next": {"staff"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a code sent before the rotation: %d, want 303: %s", res.StatusCode, res.Body)
	}
	f.cookies = linkSession
	next := pageURL(f.lead.ID).ResolveReference(target)
	if res := f.postTo(t, next.Path, form); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a form rendered before the rotation: %d, want 303: %s", res.StatusCode, res.Body)
	}
	f.cookies = map[string]string{}
	if res := f.get(t, f.lead.ID, linkOf(v1)); res.StatusCode != http.StatusOK {
		t.Errorf("a link signed before the rotation: %d, want 200", res.StatusCode)
	}

	// Another copy of the function has read v3 already; this one has not.
	src.put(v3)
	f.now = f.now.Add(link.RecheckAfter)
	f.cookies = map[string]string{}
	if res := f.get(t, f.lead.ID, linkOf(v3)); res.StatusCode != http.StatusOK {
		t.Errorf("a link signed by a newer version: %d, want 200 once the secret is read again", res.StatusCode)
	}

	// v1 is retired now.
	f.cookies = map[string]string{}
	if res := f.get(t, f.lead.ID, linkOf(v1)); res.StatusCode != http.StatusForbidden {
		t.Errorf("a link signed by a retired version: %d, want 403", res.StatusCode)
	}
	f.cookies = linkSession
	if res := f.postTo(t, next.Path, staleForm); res.StatusCode != http.StatusForbidden {
		t.Errorf("a form rendered with a retired version: %d, want 403", res.StatusCode)
	}
	if got := access.FormToken(s.Key(purposeForm), "x", "y"); got != access.FormToken(mustSigner(t, v3).Key(purposeForm), "x", "y") {
		t.Error("forms are not made with the current version")
	}
}
