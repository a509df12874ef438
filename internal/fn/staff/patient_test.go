package staff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// margaret is one patient's data in the store: two requests with the same
// phone number, the second also with an address written with capitals, and
// a request held for review giving the same number.
type margaret struct {
	first, second lead.Lead
	held          lead.Held
}

// margaretsPII is what of hers must never reach a log line or an audit
// entry.
var margaretsPII = []string{"Margaret", "Kowalski", "3035550199", "303-555-0199", "555-0199", "margaret@", "Margaret@", "hip"}

// newPatientFixture is the owner fixture with Margaret's data, indexed as
// notify indexes it; the fixture's own lead is another patient's.
func newPatientFixture(t *testing.T) (*fixture, margaret) {
	t.Helper()
	f := newOwnerFixture(t)
	ctx := context.Background()
	req := lead.Request{Name: "Margaret Kowalski", Phone: "+13035550199", PhoneDisplay: "(303) 555-0199", PreferredContact: lead.ByPhone,
		PreferredTime: lead.Morning, Reason: "Sore hip", ConsentVersion: "2026-01", Page: "https://www.example-clinic.com/"}
	var m margaret
	m.first = lead.New("11111111-0000-4000-8000-000000000001", req, start.Add(-8*24*time.Hour), 365*24*time.Hour)
	req.Email = "Margaret@Example.com"
	m.second = lead.New("22222222-0000-4000-8000-000000000002", req, start.Add(-time.Hour), 365*24*time.Hour)
	key := f.h.signer.Key(patient.Purpose)
	for _, l := range []lead.Lead{f.lead, m.first, m.second} {
		if l.ID != f.lead.ID {
			f.save(t, l)
		}
		if err := f.store.IndexContacts(ctx, l, patient.Of(l).Keys(key)); err != nil {
			t.Fatal(err)
		}
	}
	m.held = lead.NewHeld("33333333-0000-4000-8000-000000000003", req, lead.Trap{Honeypot: true}, start.Add(-30*time.Minute), 7*24*time.Hour)
	if err := f.store.Hold(ctx, m.held, "2026-11-27", nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range margaretsPII {
			if strings.Contains(f.logs.String(), p) {
				t.Errorf("%q in the logs:\n%s", p, f.logs)
			}
		}
	})
	return f, m
}

// noPII fails the test when an audit entry holds any of Margaret's details.
func noPII(t *testing.T, entries []access.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		s := strings.ToLower(fmt.Sprintf("%+v", e))
		for _, p := range margaretsPII {
			if strings.Contains(s, strings.ToLower(p)) {
				t.Errorf("%q in the audit entry %+v", p, e)
			}
		}
	}
}

func entriesOf(f *fixture, a access.Action) []access.AuditEntry {
	var out []access.AuditEntry
	for _, e := range f.store.AuditEntries() {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}

// patientAnswer is the answer of GET /staff/patient.
type patientAnswer struct {
	Requests []map[string]any `json:"requests"`
	Held     []map[string]any `json:"held"`
	Gone     []string         `json:"gone"`
}

func (f *fixture) patient(t *testing.T, contact string) (events.APIGatewayV2HTTPResponse, patientAnswer) {
	t.Helper()
	res := f.getURL(t, "/staff/patient?contact="+url.QueryEscape(contact))
	var p patientAnswer
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(res.Body), &p); err != nil {
			t.Fatalf("the answer is not JSON: %v\n%s", err, res.Body)
		}
	}
	return res, p
}

func idsOf(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r["id"].(string))
	}
	return out
}

func TestAnOwnerGetsAPatientsData(t *testing.T) {
	f, m := newPatientFixture(t)
	f.signInAs(t, ownerEmail)

	// The number as people write it: both requests, newest first, and the
	// held one; not the fixture's other patient.
	res, p := f.patient(t, "+1 (303) 555-0199")
	if res.StatusCode != http.StatusOK || res.Headers["Content-Type"] != "application/json; charset=utf-8" || res.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("status %d, headers %v: %s", res.StatusCode, res.Headers, res.Body)
	}
	if got, want := idsOf(p.Requests), []string{m.second.ID, m.first.ID}; !slices.Equal(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	if got, want := idsOf(p.Held), []string{m.held.ID}; !slices.Equal(got, want) {
		t.Errorf("held %v, want %v", got, want)
	}
	// Every field, under its documented key.
	r := p.Requests[0]
	for k, want := range map[string]any{"name": "Margaret Kowalski", "phone": "+13035550199", "phoneDisplay": "(303) 555-0199",
		"email": "Margaret@Example.com", "reason": "Sore hip", "status": "new", "created": "2026-11-27T14:00:00Z",
		"preferredContact": "phone", "alertOutcome": "never went out", "newer": "", "tries": 0.0} {
		if r[k] != want {
			t.Errorf("requests[0].%s = %#v, want %#v", k, r[k], want)
		}
	}
	for _, k := range []string{"number", "expires", "consent", "source", "alert", "ack", "patientText", "nudge", "attempts", "callback",
		"closedReason", "closed", "firstAttempt", "firstReach", "history", "droppedEvents", "earlier", "contactKeys", "released", "alertHeld"} {
		if _, ok := r[k]; !ok {
			t.Errorf("requests[0] has no %q", k)
		}
	}
	if h := p.Held[0]; h["trap"] == nil || h["email"] != "Margaret@Example.com" {
		t.Errorf("held[0]: %v", h)
	}

	// The address, in another case than it was typed: the second request.
	_, p = f.patient(t, "MARGARET@example.com")
	if got, want := idsOf(p.Requests), []string{m.second.ID}; !slices.Equal(got, want) {
		t.Errorf("by address: %v, want %v", got, want)
	}

	// Nobody: empty lists, still audited.
	res, p = f.patient(t, "+14155550100")
	if res.StatusCode != http.StatusOK || p.Requests == nil || len(p.Requests) != 0 || p.Held == nil || len(p.Held) != 0 || p.Gone == nil {
		t.Errorf("nobody: %d %s", res.StatusCode, res.Body)
	}

	// Each answer audited, with the count and never the contact.
	got := entriesOf(f, access.PatientExport)
	if len(got) != 3 {
		t.Fatalf("%d patient-export entries, want 3: %+v", len(got), got)
	}
	for i, want := range []int{2, 1, 0} {
		if e := got[i]; e.Requests != want || e.Actor != ownerEmail || e.Lead != "" {
			t.Errorf("entry %d: %+v, want %d requests by %s", i, e, want, ownerEmail)
		}
	}
	noPII(t, got)
}

func TestABadContactIsRefused(t *testing.T) {
	f, _ := newPatientFixture(t)
	f.signInAs(t, ownerEmail)
	for _, c := range []string{"", "303 555 0199", "Margaret", "margaret@"} {
		res, _ := f.patient(t, c)
		var e struct{ Error string }
		if res.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(res.Body), &e) != nil ||
			!strings.Contains(e.Error, "an email address, or a phone number with its country code") {
			t.Errorf("contact %q: %d %s", c, res.StatusCode, res.Body)
		}
	}
	if got := entriesOf(f, access.PatientExport); len(got) != 0 {
		t.Errorf("a refused contact was audited: %+v", got)
	}
}

func TestAPatientsDataIsForOwnersOnly(t *testing.T) {
	f, _ := newPatientFixture(t)
	// Without a session: to the sign-in page, the contact left behind.
	res, _ := f.patient(t, "+13035550199")
	if res.StatusCode != http.StatusSeeOther || res.Headers["Location"] != "../staff/signin?next=staff%2Fpatient" {
		t.Errorf("no session: %d, Location %q", res.StatusCode, res.Headers["Location"])
	}
	// A session from an emailed link.
	if res := f.get(t, f.lead.ID, f.token); res.StatusCode != http.StatusOK {
		t.Fatalf("the lead by its link: %d", res.StatusCode)
	}
	if res, _ := f.patient(t, "+13035550199"); res.StatusCode != http.StatusForbidden || strings.Contains(res.Body, "Margaret") {
		t.Errorf("link session: %d %s", res.StatusCode, res.Body)
	}
	// The front desk, signed in.
	f.signInAs(t, staffEmail)
	if res, _ := f.patient(t, "+13035550199"); res.StatusCode != http.StatusForbidden || strings.Contains(res.Body, "Margaret") {
		t.Errorf("desk: %d %s", res.StatusCode, res.Body)
	}
	if got := entriesOf(f, access.PatientExport); len(got) != 0 {
		t.Errorf("a refused export was audited: %+v", got)
	}
}

// auditDown is a store whose audit trail cannot be written.
type auditDown struct{ *storetest.MemStore }

func (auditDown) Audit(context.Context, access.AuditEntry) error { return errors.New("throttled") }

func TestNoAuditNoPatientData(t *testing.T) {
	f, _ := newPatientFixture(t)
	f.signInAs(t, ownerEmail)
	f.h.store = auditDown{f.store}
	res, _ := f.patient(t, "+13035550199")
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.Body, "Margaret") {
		t.Errorf("status %d: %s", res.StatusCode, res.Body)
	}
}

// erase sends the erase form of lead id's page, as the session's browser
// shows it, with confirm.
func (f *fixture) erase(t *testing.T, id, confirm string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	page := f.getURL(t, "/leads/"+id)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the lead's page: %d", page.StatusCode)
	}
	target, form := formOf(t, page.Body, "erase")
	form.Set("confirm", confirm)
	next := pageURL(id).ResolveReference(target)
	return f.postErase(t, next.Path, form, "same-origin")
}

func (f *fixture) postErase(t *testing.T, path string, form url.Values, fetchSite string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := testenv.HTTPRequest(t, http.MethodPost, "POST /leads/{id}/erase", path, form.Encode())
	req.Headers["sec-fetch-site"] = fetchSite
	return f.do(t, req)
}

// stillStored fails the test unless each of ids is still stored.
func (f *fixture) stillStored(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := f.store.Get(context.Background(), id, f.now); err != nil {
			t.Errorf("lead %s: %v", id, err)
		}
	}
}

func TestAnOwnerErasesAPatient(t *testing.T) {
	f, m := newPatientFixture(t)
	g := &disarmed{}
	f.h.WithGuard(g)
	f.signInAs(t, ownerEmail)
	if inbox := f.getURL(t, "/staff?q=Margaret"); !strings.Contains(inbox.Body, "Kowalski") {
		t.Fatalf("the inbox does not find her before the erase:\n%s", inbox.Body)
	}

	res := f.erase(t, m.first.ID, "erase")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("erase: %d %s", res.StatusCode, res.Body)
	}
	mustContain(t, res.Body, "Erased: 2 requests and their history.", `<a href="../../staff">Back to the inbox</a>`)

	// Both requests, their index entries and the held copy are gone; the
	// other patient's lead is not.
	ctx := context.Background()
	for _, id := range []string{m.first.ID, m.second.ID} {
		if _, err := f.store.Get(ctx, id, f.now); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("lead %s after the erase: %v", id, err)
		}
		if res := f.getURL(t, "/leads/"+id); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /leads/%s after the erase: %d", id, res.StatusCode)
		}
	}
	for _, k := range patient.Of(m.second).Keys(f.h.signer.Key(patient.Purpose)) {
		for ref, err := range f.store.ContactRequests(ctx, k, time.Time{}, f.now) {
			t.Errorf("index entry left: %v %v", ref, err)
		}
	}
	for _, h := range f.store.HeldRequests() {
		if h.ID == m.held.ID {
			t.Error("the held request is still stored")
		}
	}
	f.stillStored(t, f.lead.ID)
	// (The search box shows what was typed: her surname is not in it.)
	if inbox := f.getURL(t, "/staff?q=Margaret"); strings.Contains(inbox.Body, "Kowalski") || strings.Contains(inbox.Body, m.second.ID) {
		t.Errorf("the inbox still finds her:\n%s", inbox.Body)
	}

	// Their schedules deleted.
	slices.Sort(g.ids)
	if want := []string{m.first.ID, m.second.ID}; !slices.Equal(g.ids, want) {
		t.Errorf("schedules deleted %v, want %v", g.ids, want)
	}

	// One entry: who, when, how many, the page's lead; nothing of hers.
	got := entriesOf(f, access.Erase)
	if len(got) != 1 {
		t.Fatalf("%d erase entries, want 1", len(got))
	}
	// 2 leads, 3 index entries (the number's two, the address's one), 1 held.
	if e := got[0]; e.Actor != ownerEmail || !e.At.Equal(f.now) || e.Lead != m.first.ID || e.Requests != 2 || e.Items != 6 {
		t.Errorf("entry %+v", e)
	}
	noPII(t, f.store.AuditEntries())
}

func TestEraseTakesALeadNotIndexed(t *testing.T) {
	f, m := newPatientFixture(t)
	f.signInAs(t, ownerEmail)
	// A lead stored before the index (or not indexed yet), same number.
	old := storetest.Lead(start.Add(-400 * 24 * time.Hour))
	old.ExpiresAt = start.Add(time.Hour)
	old.Phone, old.Email = m.first.Phone, "" // the fixture's other patient has storetest's address
	f.save(t, old)
	if res := f.erase(t, old.ID, "erase"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "Erased: 3 requests and their history.") {
		t.Fatalf("erase: %d %s", res.StatusCode, res.Body)
	}
	for _, id := range []string{old.ID, m.first.ID, m.second.ID} {
		if _, err := f.store.Get(context.Background(), id, f.now); !errors.Is(err, lead.ErrNotFound) {
			t.Errorf("lead %s after the erase: %v", id, err)
		}
	}
}

func TestEraseNeedsTheWord(t *testing.T) {
	f, m := newPatientFixture(t)
	f.signInAs(t, ownerEmail)
	for _, confirm := range []string{"", "yes", "erase it"} {
		res := f.erase(t, m.first.ID, confirm)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body, "type the word erase") {
			t.Errorf("confirm %q: %d %s", confirm, res.StatusCode, res.Body)
		}
	}
	f.stillStored(t, m.first.ID, m.second.ID)
	if len(entriesOf(f, access.Erase)) != 0 {
		t.Error("an erase refused was audited")
	}
}

func TestOnlyAnOwnersPageFormErases(t *testing.T) {
	f, m := newPatientFixture(t)
	path := "/leads/" + m.first.ID + "/erase"
	token := func(id string) string {
		return access.FormToken(f.h.signer.Key(purposeForm), access.IDHash(f.cookies[access.CookieName]), id)
	}
	// The front desk: no form on the page, and its own page token refused.
	f.signInAs(t, staffEmail)
	if page := f.getURL(t, "/leads/"+m.first.ID); page.StatusCode != http.StatusOK || hasForm(page.Body, "erase") || strings.Contains(page.Body, "Erase this") {
		t.Errorf("the desk's page offers the erase form:\n%s", page.Body)
	}
	if res := f.postErase(t, path, url.Values{"t": {token(m.first.ID)}, "confirm": {"erase"}}, "same-origin"); res.StatusCode != http.StatusForbidden {
		t.Errorf("desk: %d, want 403", res.StatusCode)
	}
	// An emailed link's session.
	f.cookies = map[string]string{}
	if res := f.get(t, f.lead.ID, f.token); res.StatusCode != http.StatusOK || hasForm(res.Body, "erase") {
		t.Errorf("link session's page: %d, erase form %v", res.StatusCode, hasForm(res.Body, "erase"))
	}
	if res := f.postErase(t, "/leads/"+f.lead.ID+"/erase", url.Values{"t": {token(f.lead.ID)}, "confirm": {"erase"}}, "same-origin"); res.StatusCode != http.StatusForbidden {
		t.Errorf("link session: %d, want 403", res.StatusCode)
	}
	// The owner, without the page's own form.
	f.signInAs(t, ownerEmail)
	for name, form := range map[string]url.Values{
		"no token":           {"confirm": {"erase"}},
		"another lead's":     {"t": {token(m.second.ID)}, "confirm": {"erase"}},
		"the emailed link's": {"t": {f.token}, "confirm": {"erase"}},
		"another session's":  {"t": {access.FormToken(f.h.signer.Key(purposeForm), access.IDHash("another-cookie"), m.first.ID)}, "confirm": {"erase"}},
	} {
		if res := f.postErase(t, path, form, "same-origin"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
	}
	if res := f.postErase(t, path, url.Values{"t": {token(m.first.ID)}, "confirm": {"erase"}}, "cross-site"); res.StatusCode != http.StatusForbidden {
		t.Errorf("from another site: %d, want 403", res.StatusCode)
	}
	f.stillStored(t, m.first.ID, m.second.ID, f.lead.ID)
	if len(entriesOf(f, access.Erase)) != 0 {
		t.Error("a refused erase was audited")
	}
	// The owner's own page: its form erases.
	if res := f.erase(t, m.first.ID, "erase"); res.StatusCode != http.StatusOK {
		t.Errorf("the owner's form: %d %s", res.StatusCode, res.Body)
	}
}

// TestPatientRoutesWithoutARouteKey: behind a base path and without the
// API's route key, the paths' last segments name the two routes.
func TestPatientRoutesWithoutARouteKey(t *testing.T) {
	for path, want := range map[string]routed{
		"/clinic/staff/patient":       {page: pagePatient, up: oneUp},
		"/clinic/leads/abc/erase":     {page: pageErase, lead: "abc", up: twoUp},
		"/clinic/leads/abc/contacted": {page: pageRecord, lead: "abc", up: twoUp},
		"/clinic/leads/a/b/erase":     {},
	} {
		req := testenv.HTTPRequest(t, http.MethodPost, "", path, "")
		req.RouteKey, req.RequestContext.RouteKey, req.PathParameters = "", "", nil
		if got := route(req); got != want {
			t.Errorf("%s: %+v, want %+v", path, got, want)
		}
	}
}
