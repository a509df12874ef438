package staff

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/bus"
	"github.com/openclinic/leadhandler/internal/adapter/metric"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/patient"
)

// story is a returning patient's requests: the fixture's lead (26 Nov,
// new) is the newest; before it came one still open (20 Nov, 1 try), one
// since erased (15 Nov), and one closed as unreachable (12 Nov, 4 tries).
type story struct {
	open, erased, closed lead.Lead
}

func (f *fixture) story(t *testing.T) story {
	t.Helper()
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 14, 0, 0, 0, time.UTC) }
	var s story
	s.open, s.erased, s.closed = storetest.Lead(day(20)), storetest.Lead(day(15)), storetest.Lead(day(12))
	if err := s.open.Record(lead.Event{At: day(20).Add(time.Hour), Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: lead.ByLink}, f.h.cfg.Policy); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.closed.Record(lead.Event{At: day(12).Add(time.Duration(i+1) * time.Hour), Outcome: lead.NoAnswer, Channel: lead.ChannelCall, By: lead.ByLink}, f.h.cfg.Policy); err != nil {
			t.Fatal(err)
		}
	}
	if s.closed.Closed != lead.ClosedUnreachable {
		t.Fatalf("the 12 Nov request: %s %s", s.closed.Status, s.closed.Closed)
	}
	for _, l := range []lead.Lead{s.open, s.erased, s.closed} {
		f.save(t, l)
	}
	if err := f.store.LinkEarlier(ctx, f.lead.ID, []string{s.open.ID, s.erased.ID, s.closed.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Erase(ctx, patient.Erasure{Leads: []string{s.erased.ID}}); err != nil {
		t.Fatal(err)
	}
	s.open, s.closed = f.storedLead(t, s.open.ID), f.storedLead(t, s.closed.ID)
	return s
}

func (f *fixture) storedLead(t *testing.T, id string) lead.Lead {
	t.Helper()
	l, err := f.store.Get(context.Background(), id, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const duplicatesBox = `<input type="checkbox" id="attempt-duplicates" name="duplicates" value="close">`

func TestThePageListsEarlierRequests(t *testing.T) {
	f := newFixture(t)
	s := f.story(t)
	f.signIn(t)
	res := f.get(t, f.lead.ID, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	open := `<li><a href="../leads/` + s.open.ID + `">20 Nov (open: 1 try)</a></li>`
	closed := `<li><a href="../leads/` + s.closed.ID + `">12 Nov (closed: unreachable after 4 tries)</a></li>`
	mustContain(t, res.Body, "<h2>Earlier requests</h2>", open, closed,
		duplicatesBox+" Also close the 1 older open request (20 Nov) as a duplicate of this one</label>")
	if strings.Index(res.Body, open) > strings.Index(res.Body, closed) {
		t.Error("earlier requests not newest first")
	}
	if strings.Contains(res.Body, s.erased.ID) || strings.Contains(res.Body, "15 Nov") {
		t.Error("the erased request is listed")
	}
	if strings.Contains(res.Body, "A newer request") {
		t.Error("the newest request names a newer one")
	}
	// Inside the attempt form, which sends it.
	inForm := false
	for _, m := range formRE.FindAllStringSubmatch(res.Body, -1) {
		inForm = inForm || hasForm(m[2], actAttempt) && strings.Contains(m[2], duplicatesBox)
	}
	if !inForm {
		t.Error("the duplicates box is not in the attempt form")
	}

	// The earlier requests' pages name the newer one; the closed one has
	// no attempt form, so no offer to close duplicates.
	res = f.get(t, s.closed.ID, "")
	mustContain(t, res.Body, `<p class="msg" role="note">A newer request from this patient: <a href="../leads/`+f.lead.ID+`">26 Nov (new: not tried yet)</a></p>`)
	if strings.Contains(res.Body, "<h2>Earlier requests</h2>") || strings.Contains(res.Body, `name="duplicates"`) {
		t.Errorf("the oldest request lists earlier ones or offers duplicates:\n%s", res.Body)
	}
}

// A link's session opens only its own lead: the earlier requests are
// listed without links, and it is not offered to close them.
func TestALinkSessionSeesNoLinks(t *testing.T) {
	f := newFixture(t)
	s := f.story(t)
	res := f.get(t, f.lead.ID, f.token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	mustContain(t, res.Body, "<h2>Earlier requests</h2>", "<li>20 Nov (open: 1 try)</li>", "<li>12 Nov (closed: unreachable after 4 tries)</li>")
	for _, id := range []string{s.open.ID, s.closed.ID} {
		if strings.Contains(res.Body, id) {
			t.Errorf("the page links %s for a link's session", id)
		}
	}
	if strings.Contains(res.Body, `name="duplicates"`) {
		t.Error("a link's session is offered to close requests it may not open")
	}
	// And the form cannot make it: the older open request stays open.
	if res := f.send(t, actAttempt, url.Values{"outcome": {"no-answer"}, "duplicates": {"close"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("attempt: %d", res.StatusCode)
	}
	if got := f.storedLead(t, s.open.ID); got.Status != lead.StatusOpen || got.Version != s.open.Version {
		t.Errorf("a link's session closed another request: %s %s, version %d", got.Status, got.Closed, got.Version)
	}
}

func TestAnAttemptClosesOlderOpenRequestsAsDuplicates(t *testing.T) {
	f := newFixture(t)
	s := f.story(t)
	p, g := &published{}, &disarmed{}
	f.h.WithEvents(p).WithGuard(g)
	var metrics bytes.Buffer
	f.h.metrics = metric.New(&metrics, "clinic/staff", func() time.Time { return f.now })
	f.signIn(t)
	if res := f.send(t, actAttempt, url.Values{"outcome": {"reached"}, "duplicates": {"close"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("attempt: %d: %s", res.StatusCode, res.Body)
	}
	if got := f.stored(t); got.Attempts() != 1 || got.Status != lead.StatusOpen {
		t.Errorf("the attempt: %s, %d attempts", got.Status, got.Attempts())
	}

	dup := f.storedLead(t, s.open.ID)
	if dup.Status != lead.StatusClosed || dup.Closed != lead.ClosedDuplicate || !dup.ClosedAt.Equal(start) || dup.Attempts() != 1 {
		t.Errorf("the 20 Nov request: %s %s at %v, %d attempts", dup.Status, dup.Closed, dup.ClosedAt, dup.Attempts())
	}
	want := lead.Event{At: start, Kind: lead.EventDuplicate, By: staffEmail, Of: f.lead.ID}
	if diff := cmp.Diff(dup.History[len(dup.History)-1], want); diff != "" {
		t.Errorf("its history's last event (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(f.storedLead(t, s.closed.ID), s.closed); diff != "" {
		t.Errorf("the closed 12 Nov request changed (-got +want):\n%s", diff)
	}
	var audited []string
	for _, e := range f.store.AuditEntries() {
		if e.Action == access.CloseDuplicate {
			audited = append(audited, e.Lead+" by "+e.Actor)
		}
	}
	if want := []string{s.open.ID + " by " + staffEmail}; !slices.Equal(audited, want) {
		t.Errorf("close-duplicate audit entries %v, want %v", audited, want)
	}
	var closes []bus.Event
	for _, ev := range p.take() {
		if ev.Type == bus.Closed {
			closes = append(closes, ev)
		}
	}
	if diff := cmp.Diff(closes, []bus.Event{{Type: bus.Closed, LeadID: s.open.ID, At: start, Status: "closed", Outcome: "duplicate", Attempts: 1}}); diff != "" {
		t.Errorf("Lead Closed events (-got +want):\n%s", diff)
	}
	if !slices.Contains(g.ids, s.open.ID) {
		t.Errorf("response guards removed %v: not the duplicate's", g.ids)
	}
	if !strings.Contains(metrics.String(), `"Attempts"`) || strings.Contains(metrics.String(), "LeadsClosed") {
		t.Errorf("a duplicate is no clinic outcome: the metrics count the attempt only:\n%s", metrics.String())
	}

	// Its page says so, and offers neither to record an attempt nor to
	// correct one: reopening it is the way back.
	res := f.get(t, s.open.ID, "")
	mustContain(t, res.Body, "Closed: a duplicate of a newer request on ", "Closed as a duplicate of request "+f.lead.Number())
	if hasForm(res.Body, actAttempt) || hasForm(res.Body, actCorrect) || !hasForm(res.Body, actReopen) {
		t.Errorf("a duplicate's forms:\n%s", res.Body)
	}
	// The newer page lists it closed, and offers nothing more to close.
	res = f.get(t, f.lead.ID, "")
	mustContain(t, res.Body, ">20 Nov (closed: a duplicate of a newer request)</a>")
	if strings.Contains(res.Body, `name="duplicates"`) {
		t.Error("still offered to close duplicates")
	}
}

func TestAnAttemptWithoutTheBoxClosesNothingElse(t *testing.T) {
	f := newFixture(t)
	s := f.story(t)
	f.signIn(t)
	f.record(t, lead.NoAnswer)
	for _, l := range []lead.Lead{s.open, s.closed} {
		if diff := cmp.Diff(f.storedLead(t, l.ID), l); diff != "" {
			t.Errorf("request %s changed (-got +want):\n%s", l.ID, diff)
		}
	}
	for _, e := range f.store.AuditEntries() {
		if e.Action == access.CloseDuplicate {
			t.Errorf("audited %+v", e)
		}
	}
}

// changingStore changes lead id once, as another desk would, between the
// read and the write of its first change.
type changingStore struct {
	*storetest.MemStore
	id      string
	changed bool
}

func (c *changingStore) Progress(ctx context.Context, l lead.Lead, now time.Time) (lead.Lead, error) {
	if l.ID == c.id && !c.changed {
		c.changed = true
		// Another desk records an attempt on it meanwhile.
		cur, err := c.MemStore.Get(ctx, l.ID, now)
		if err != nil {
			return lead.Lead{}, err
		}
		cur.History = slices.Clone(cur.History)
		if err := cur.Record(lead.Event{At: now, Outcome: lead.LeftMessage, Channel: lead.ChannelCall, By: lead.ByLink}, lead.Policy{MaxAttempts: 9}); err != nil {
			return lead.Lead{}, err
		}
		if _, err := c.MemStore.Progress(ctx, cur, now); err != nil {
			return lead.Lead{}, err
		}
	}
	return c.MemStore.Progress(ctx, l, now)
}

// A request changed between the read and the write is read again once and
// closed all the same.
func TestADuplicateChangedMeanwhileIsReadAgain(t *testing.T) {
	f := newFixture(t)
	s := f.story(t)
	f.h.store = &changingStore{MemStore: f.store, id: s.open.ID}
	f.signIn(t)
	if res := f.send(t, actAttempt, url.Values{"outcome": {"no-answer"}, "duplicates": {"close"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("attempt: %d: %s", res.StatusCode, res.Body)
	}
	got := f.storedLead(t, s.open.ID)
	if got.Closed != lead.ClosedDuplicate || got.Attempts() != 2 || got.Version != s.open.Version+2 {
		t.Errorf("the 20 Nov request: %s %s, %d attempts, version %d (read at %d)", got.Status, got.Closed, got.Attempts(), got.Version, s.open.Version)
	}
}

// A refused attempt comes back with the box as staff left it, and closes
// nothing.
func TestARefusedAttemptKeepsTheBox(t *testing.T) {
	f := newFixture(t)
	s := f.story(t)
	f.signIn(t)
	res := f.send(t, actAttempt, url.Values{"outcome": {"no-answer"}, "callback": {"tomorrow"}, "duplicates": {"close"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", res.StatusCode)
	}
	mustContain(t, res.Body, `name="duplicates" value="close" checked>`)
	if got := f.storedLead(t, s.open.ID); got.Status != lead.StatusOpen {
		t.Errorf("a refused attempt closed the 20 Nov request: %s", got.Closed)
	}
}
