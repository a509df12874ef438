package local

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/ops"
)

// submitJSON posts body to the form's route and returns the new request's id.
func submitJSON(t *testing.T, base, body string) string {
	t.Helper()
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 201 || out.ID == "" {
		t.Fatalf("submit: %d %v %+v", res.StatusCode, err, out)
	}
	return out.ID
}

// TestAReturningPatientIsKnownAndCanBeErased is issue 30's acceptance on
// make dev: a second request with the same phone number written another
// way (and another address) is recognised in its alert and on its page;
// the owner's GET /staff/patient lists both, the desk's is refused; after
// the owner erases from the first request's page, that page is 404 and an
// inbox search for the patient's name finds nothing.
func TestAReturningPatientIsKnownAndCanBeErased(t *testing.T) {
	srv, base := serve(t, ownerEnv)
	first := submitJSON(t, base, `{"name":"Margaret Hill","phone":"(303) 555-0199","email":"margaret@example.com","preferredContact":"phone","consent":true}`)
	srv.stream.wait()
	second := submitJSON(t, base, `{"name":"Margaret Hill","phone":"+1 303-555-0199","email":"mh@example.net","preferredContact":"phone","consent":true}`)
	srv.stream.wait()

	// The second request's alert says she asked before; the first's does not.
	alerts := map[string]string{}
	for _, m := range srv.Outbox.Sent() {
		if m.Tags["kind"] == "alert" {
			alerts[m.Tags["lead"]] = m.Text + "\n" + m.HTML
		}
	}
	if !strings.Contains(alerts[second], "Asked before:") || !strings.Contains(alerts[second], "new: not tried yet") {
		t.Errorf("the second request's alert does not mention the first:\n%s", alerts[second])
	}
	if strings.Contains(alerts[first], "Asked before") {
		t.Errorf("the first request's alert says she asked before:\n%s", alerts[first])
	}
	// The line says the earlier request's day and standing, nothing of
	// what its visitor typed.
	line, _, _ := strings.Cut(alerts[second][strings.Index(alerts[second], "Asked before"):], "\n")
	if strings.Contains(line, "margaret@example.com") || strings.Contains(line, "Margaret") {
		t.Errorf("the alert's earlier requests name the patient: %q", line)
	}

	owner := signedInAs(t, srv, base, ownerAddress)
	res, page := read(t, owner, base+"/leads/"+second)
	if res.StatusCode != 200 || !strings.Contains(page, "Earlier requests") || !regexp.MustCompile(`href="[^"]*leads/`+first+`"`).MatchString(page) {
		t.Fatalf("the second request's page does not link the first: %d\n%s", res.StatusCode, page)
	}

	// The inbox lists her once, the newer request, with both counted; a
	// search finds her.
	if _, inbox := read(t, owner, base+"/staff"); !strings.Contains(inbox, "2 requests") || !strings.Contains(inbox, second) || strings.Contains(inbox, first) {
		t.Errorf("the inbox does not list the patient once, the newer request with \"2 requests\":\n%s", inbox)
	}
	if _, inbox := read(t, owner, base+"/staff?q="+url.QueryEscape("Margaret Hill")); !strings.Contains(inbox, second) {
		t.Errorf("an inbox search does not find the patient before the erase:\n%s", inbox)
	}

	// The owner's copy of what is kept about the number.
	res, body := read(t, owner, base+"/staff/patient?contact="+url.QueryEscape("+13035550199"))
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
		!strings.Contains(body, first) || !strings.Contains(body, second) || !json.Valid([]byte(body)) {
		t.Fatalf("owner's patient export: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	var export struct{ Requests []struct{ ID string } }
	if err := json.Unmarshal([]byte(body), &export); err != nil || len(export.Requests) != 2 || export.Requests[0].ID != second || export.Requests[1].ID != first {
		t.Errorf("owner's patient export: %v, requests %+v; want the second then the first", err, export.Requests)
	}
	// make patient-export LOCAL=1: the same, from a terminal, through make
	// dev's table (the number as the patient typed it, read in PHONE_REGION).
	var out, errOut bytes.Buffer
	env, err := ops.Local(ops.Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut, Now: time.Now}, srv.localDir) // wall clock: ops.Local moves it by make dev's offset, as make does
	if err != nil {
		t.Fatal(err)
	}
	if code := ops.Run(context.Background(), []string{"patient-export", "-contact", "(303) 555-0199"}, env); code != 0 || !strings.Contains(out.String(), first) || !strings.Contains(out.String(), second) {
		t.Errorf("make patient-export LOCAL=1: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	desk := signedInAs(t, srv, base, deskAddress)
	if res, body := read(t, desk, base+"/staff/patient?contact="+url.QueryEscape("+13035550199")); res.StatusCode != 403 || strings.Contains(body, first) {
		t.Errorf("desk's patient export: %d\n%s", res.StatusCode, body)
	}

	// The owner erases from the first request's page, as a person would:
	// the form's own fields, and the word typed.
	_, page = read(t, owner, base+"/leads/"+first)
	form := regexp.MustCompile(`(?s)<form[^>]*action="([^"]*erase)"[^>]*>(.*?)</form>`).FindStringSubmatch(page)
	if form == nil {
		t.Fatalf("no erase form on the first request's page for the owner:\n%s", page)
	}
	values := url.Values{"confirm": {"erase"}}
	for _, in := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(form[2], -1) {
		values.Set(in[1], html.UnescapeString(in[2]))
	}
	target, err := url.Parse(base + "/leads/" + first)
	if err != nil {
		t.Fatal(err)
	}
	action, err := target.Parse(html.UnescapeString(form[1]))
	if err != nil {
		t.Fatal(err)
	}
	res, err = owner.PostForm(action.String(), values)
	if err != nil {
		t.Fatal(err)
	}
	done, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(done), "Erased") {
		t.Fatalf("erase: %d\n%s", res.StatusCode, done)
	}
	for _, id := range []string{first, second} {
		if res, _ := read(t, owner, base+"/leads/"+id); res.StatusCode != 404 {
			t.Errorf("GET /leads/%s after the erase: %d, want 404", id, res.StatusCode)
		}
	}
	if _, inbox := read(t, owner, base+"/staff?q="+url.QueryEscape("Margaret Hill")); !strings.Contains(inbox, "No request matches that search") || strings.Contains(inbox, first) || strings.Contains(inbox, second) {
		t.Errorf("an inbox search finds the erased patient:\n%s", inbox)
	}
	if res, body := read(t, owner, base+"/staff/patient?contact="+url.QueryEscape("margaret@example.com")); res.StatusCode != 200 || strings.Contains(body, first) {
		t.Errorf("after the erase the patient's data still lists the first request: %d\n%s", res.StatusCode, body)
	}
}
