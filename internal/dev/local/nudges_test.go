package local

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/nudgestest"
)

var _ nudgestest.API = (*schedules)(nil)

// TestSchedulerContract: make dev's scheduler keeps the contract moto's
// Scheduler is held to (internal/adapter/nudges's TestMoto).
func TestSchedulerContract(t *testing.T) {
	nudgestest.Run(t, &schedules{})
}

// advance moves make dev's clock on by d and returns what it says.
func advance(t *testing.T, base string, d time.Duration) clockState {
	t.Helper()
	res, err := http.PostForm(base+"/_local/clock", url.Values{"advance": {d.String()}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("advance the clock %s: %v %v", d, err, res)
	}
	defer res.Body.Close()
	var st clockState
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// nudges are the nudges in the outbox, by the lead id their link names.
func nudgesSent(srv *Server) []string {
	var ids []string
	for _, m := range srv.Outbox.Sent() {
		if strings.HasPrefix(m.Subject, "Not answered yet") {
			_, rest, _ := strings.Cut(m.Text, "/leads/")
			id, _, _ := strings.Cut(rest, "?")
			ids = append(ids, id)
		}
	}
	return ids
}

func submitLead(t *testing.T, base, name string) {
	t.Helper()
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(`{"name":"`+name+`","phone":"(202) 555-0143","consent":true}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("submit %s: %v %v", name, err, res)
	}
	res.Body.Close()
}

// leadID is the id in the staff link of the alert about first.
func leadID(t *testing.T, srv *Server, first string) string {
	t.Helper()
	u, err := url.Parse(staffLink(t, srv, first))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/leads/")
}

// TestResponseGuardOnMakeDev: a lead nobody tried gets exactly one nudge
// once RESPONSE_SLA has passed, one with an attempt recorded before then
// gets none (its schedule deleted), and moving the clock on further sends
// nothing more.
func TestResponseGuardOnMakeDev(t *testing.T) {
	srv, base := serve(t, map[string]string{"OPENING_HOURS": "always", "RESPONSE_SLA": "15m"})
	submitLead(t, base, "Nora Waiting")
	submitLead(t, base, "Tess Tried")
	nora, tess := leadID(t, srv, "Nora"), leadID(t, srv, "Tess")

	if st := advance(t, base, 0); len(st.Pending) != 2 {
		t.Fatalf("pending %+v, want a schedule per lead", st.Pending)
	}
	link := staffLink(t, srv, "Tess")
	desk := staffClient(t)
	form := staffForm(t, desk, link)
	form.Set("outcome", "left-message")
	u, _ := url.Parse(link)
	res, err := desk.PostForm(base+u.Path+"/contacted", form)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("record an attempt: %v %v", err, res)
	}
	res.Body.Close()

	st := advance(t, base, 10*time.Minute)
	if st.Fired != 0 || len(nudgesSent(srv)) != 0 {
		t.Fatalf("10 minutes in: fired %d, nudges %v", st.Fired, nudgesSent(srv))
	}
	if len(st.Pending) != 1 || st.Pending[0].Name != "lead-"+nora {
		t.Errorf("pending %+v, want only Nora's: the attempt deleted Tess's", st.Pending)
	}
	st = advance(t, base, 10*time.Minute)
	if got := nudgesSent(srv); st.Fired != 1 || len(got) != 1 || got[0] != nora {
		t.Fatalf("20 minutes in: fired %d, nudges %v, want one about %s (not %s)", st.Fired, got, nora, tess)
	}
	advance(t, base, 24*time.Hour)
	if got := nudgesSent(srv); len(got) != 1 {
		t.Errorf("a day later: nudges %v, want still one", got)
	}
}

// TestResponseGuardWaitsForOpening: a lead stored while the clinic is
// closed is nudged RESPONSE_SLA after the next opening, not before.
func TestResponseGuardWaitsForOpening(t *testing.T) {
	// Opening hours that start two hours from now: the clinic is closed.
	open := time.Now().UTC().Truncate(time.Hour).Add(2 * time.Hour) // wall clock: the local server arms the guard on the real clock
	closing := fmt.Sprintf("%02d:00", open.Hour()+1)
	hours := open.Weekday().String()[:3] + " " + open.Format("15:04") + "-" + closing
	srv, base := serve(t, map[string]string{"OPENING_HOURS": hours, "TIME_ZONE": "UTC", "RESPONSE_SLA": "15m"})
	submitLead(t, base, "Nadia Night")
	nadia := leadID(t, srv, "Nadia")

	st := advance(t, base, 20*time.Minute)
	if len(st.Pending) != 1 || !st.Pending[0].At.Equal(open.Add(15*time.Minute)) {
		t.Fatalf("pending %+v, want one due at %s", st.Pending, open.Add(15*time.Minute))
	}
	if st.Fired != 0 {
		t.Fatalf("fired while closed")
	}
	// Up to a minute before it is due: nothing.
	st = advance(t, base, open.Add(14*time.Minute).Sub(st.Now))
	if st.Fired != 0 || len(nudgesSent(srv)) != 0 {
		t.Fatalf("before due (%s): fired %d", st.Now, st.Fired)
	}
	st = advance(t, base, 2*time.Minute)
	if got := nudgesSent(srv); st.Fired != 1 || len(got) != 1 || got[0] != nadia {
		t.Fatalf("after opening + 15m (%s): fired %d, nudges %v", st.Now, st.Fired, got)
	}
	for _, m := range srv.Outbox.Sent() {
		if strings.HasPrefix(m.Subject, "Not answered yet") && strings.Contains(m.Text+m.Subject, "Nadia") {
			t.Errorf("patient's name in the nudge:\n%s", m.Text)
		}
	}
}
