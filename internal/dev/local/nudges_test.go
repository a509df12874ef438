package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/openclinic/leadhandler/internal/adapter/nudges"
	"github.com/openclinic/leadhandler/internal/dev/nudgestest"
	"github.com/openclinic/leadhandler/internal/dev/outbox"
	"github.com/openclinic/leadhandler/internal/link"
)

var _ nudgestest.API = (*schedules)(nil)

// TestSchedulerContract: make dev's scheduler keeps the contract moto's
// Scheduler is held to (internal/adapter/nudges's TestMoto).
func TestSchedulerContract(t *testing.T) {
	nudgestest.Run(t, &schedules{groups: []string{"local-nudges"}}, "local-nudges")
}

// TestSchedulerGroups: as on AWS, a schedule is in a group that exists
// (the default one, or the stack's), and a name is one group's only.
func TestSchedulerGroups(t *testing.T) {
	s := &schedules{groups: []string{"local-nudges"}}
	ctx := context.Background()
	create := func(group string) error {
		_, err := s.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
			Name: aws.String("lead-1"), GroupName: aws.String(group), ScheduleExpression: aws.String("at(2026-11-25T13:15:00)"),
			Target: &types.Target{Input: aws.String("{}")},
		})
		return err
	}
	var missing *types.ResourceNotFoundException
	if err := create("another-stack-nudges"); !errors.As(err, &missing) {
		t.Errorf("create in a group that does not exist: %v, want ResourceNotFoundException", err)
	}
	if _, err := s.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("lead-1"), GroupName: aws.String("another-stack-nudges")}); !errors.As(err, &missing) {
		t.Errorf("delete in a group that does not exist: %v, want ResourceNotFoundException", err)
	}
	for _, group := range []string{"local-nudges", "", "default"} {
		err := create(group)
		if wantClash := group == "default"; wantClash != (err != nil) {
			t.Errorf("create lead-1 in group %q: %v", group, err)
		}
	}
	if got := s.pending(); len(got) != 2 {
		t.Errorf("%d schedules, want lead-1 in each of two groups", len(got))
	}
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

// nudgeSubject is a nudge's subject: "3 requests waiting since the clinic
// opened", "1 request waiting over 15 minutes".
var nudgeSubject = regexp.MustCompile(`^[0-9]+ requests? waiting (since the clinic opened|over .+)$`)

// nudgeEmails are the nudges in the outbox.
func nudgeEmails(srv *Server) []outbox.Sent {
	var out []outbox.Sent
	for _, m := range srv.Outbox.Sent() {
		if nudgeSubject.MatchString(m.Subject) {
			out = append(out, m)
		}
	}
	return out
}

// nudgesSent are the lead ids the nudges in the outbox link to, a nudge
// after another.
func nudgesSent(srv *Server) []string {
	var ids []string
	for _, m := range nudgeEmails(srv) {
		for _, u := range regexp.MustCompile(`/leads/([^?\s]+)\?`).FindAllStringSubmatch(m.Text, -1) {
			ids = append(ids, u[1])
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

// scheduleName is lead id's schedule name under make dev's link secret.
func scheduleName(t *testing.T, srv *Server, id string) string {
	t.Helper()
	signer, err := link.NewSigner([]byte(srv.getenv("LINK_SECRET")))
	if err != nil {
		t.Fatal(err)
	}
	return nudges.Name(signer.Key(nudges.KeyPurpose), id)
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
	if len(st.Pending) != 1 || st.Pending[0].Name != scheduleName(t, srv, nora) || strings.Contains(st.Pending[0].Name, nora) {
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
	// By first name; never the whole name or the phone.
	for _, m := range nudgeEmails(srv) {
		if !strings.Contains(m.Text, "Nadia, request ") || strings.Contains(m.Subject+m.Text+m.HTML, "Night") || strings.Contains(m.Text+m.HTML, "555-0143") {
			t.Errorf("nudge %q:\n%s", m.Subject, m.Text)
		}
	}
}

// TestNudgeBatchesWhileClosed is the acceptance of issue 26's nudges that
// batch: with OPENING_HOURS one day of the week, three requests made while
// the clinic is closed are nudged in one email naming all three, once the
// clock is moved past the opening plus RESPONSE_SLA.
func TestNudgeBatchesWhileClosed(t *testing.T) {
	// Open one day, two days from now: closed now and all of tomorrow.
	day := time.Now().UTC().AddDate(0, 0, 2) // wall clock: the local server arms the guard on the real clock
	open := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, time.UTC)
	srv, base := serve(t, map[string]string{"OPENING_HOURS": open.Weekday().String()[:3] + " 09:00-17:00", "TIME_ZONE": "UTC", "RESPONSE_SLA": "15m"})
	names := []string{"Ada Lovelace", "Grace Hopper", "Katherine Johnson"}
	for _, n := range names {
		submitLead(t, base, n)
	}
	var ids []string
	for _, n := range names {
		ids = append(ids, leadID(t, srv, strings.Fields(n)[0]))
	}
	st := advance(t, base, 0)
	if len(st.Pending) != 3 {
		t.Fatalf("pending %+v, want a schedule per request", st.Pending)
	}
	for _, p := range st.Pending {
		if !p.At.Equal(open.Add(15 * time.Minute)) {
			t.Errorf("schedule %s at %s, want the opening plus RESPONSE_SLA, %s", p.Name, p.At, open.Add(15*time.Minute))
		}
	}
	// Up to the opening, and a minute into it: nothing.
	if st = advance(t, base, open.Add(time.Minute).Sub(st.Now)); st.Fired != 0 || len(nudgeEmails(srv)) != 0 {
		t.Fatalf("at the opening (%s): fired %d", st.Now, st.Fired)
	}
	// Past the opening plus RESPONSE_SLA: one email about all three.
	st = advance(t, base, 16*time.Minute)
	sent := nudgeEmails(srv)
	if st.Fired != 3 || len(sent) != 1 {
		t.Fatalf("after the opening + 15m (%s): fired %d, %d nudges, want 3 schedules and one email", st.Now, st.Fired, len(sent))
	}
	m := sent[0]
	if m.Subject != "3 requests waiting since the clinic opened" {
		t.Errorf("subject %q", m.Subject)
	}
	for i, n := range names {
		if first := strings.Fields(n)[0]; !strings.Contains(m.Text, first+", request ") || !strings.Contains(m.HTML, first+", request ") {
			t.Errorf("%s not named:\n%s", first, m.Text)
		}
		if !strings.Contains(m.Text, base+"/leads/"+ids[i]+"?t=") {
			t.Errorf("no link to %s:\n%s", n, m.Text)
		}
	}
	if !strings.Contains(m.Text, "Waiting 15 minutes of opening time") || !strings.Contains(m.Text, base+"/staff\n") {
		t.Errorf("no wait in opening time, or no inbox link:\n%s", m.Text)
	}
	// The links open each request; a day on, nothing more is sent.
	staffForm(t, staffClient(t), regexp.MustCompile(`https?://\S+/leads/\S+`).FindString(m.Text))
	advance(t, base, 24*time.Hour)
	if n := len(nudgeEmails(srv)); n != 1 {
		t.Errorf("a day later: %d nudges, want still one", n)
	}
}
