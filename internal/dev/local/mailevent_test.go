package local

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/lead"
)

// TestMailEventInjected: make dev's /_local/mail-event feeds the mail
// events function an SES event about a message in the outbox, so a bounced
// alert shows on the lead (and its page) without AWS.
func TestMailEventInjected(t *testing.T) {
	srv, base := serve(t, map[string]string{"ACK_EMAIL": "true"})
	sendLead(t, base, "Pat Smith", "pat@example.com")
	srv.stream.wait()
	var alert, ack string
	for _, m := range srv.Outbox.Sent() {
		switch m.Tags["kind"] {
		case "alert":
			alert = m.ID
		case "ack":
			ack = m.ID
		}
	}
	if alert == "" || ack == "" {
		t.Fatalf("no alert or acknowledgement in the outbox: %+v", srv.Outbox.Sent())
	}
	inject := func(message, kind string) (*http.Response, mailEventRun) {
		t.Helper()
		res, err := http.PostForm(base+"/_local/mail-event", url.Values{"message": {message}, "type": {kind}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var run mailEventRun
		if res.StatusCode == http.StatusOK {
			if err := json.NewDecoder(res.Body).Decode(&run); err != nil {
				t.Fatal(err)
			}
		}
		return res, run
	}
	store := ddb.New(srv.db, srv.table)
	get := func() lead.Lead {
		t.Helper()
		// The lead is gone once the retention from its creation has passed.
		ls, err := store.Get(t.Context(), leadOf(t, srv, alert), time.Now()) // wall clock: the local server stored it on the real clock
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}

	if res, run := inject(alert, "delivery"); res.StatusCode != 200 || run.Kind != "alert" || run.Lead == "" {
		t.Fatalf("delivery: %d %+v", res.StatusCode, run)
	}
	if l := get(); l.Alert == nil || l.Alert.DeliveredAt.IsZero() {
		t.Fatalf("delivery not recorded: %+v", l.Alert)
	}
	if res, _ := inject(alert, "bounce"); res.StatusCode != 200 {
		t.Fatalf("bounce: %d", res.StatusCode)
	}
	if l := get(); l.Alert.Problem != lead.MailBounced || l.Alert.BounceType != "Permanent" {
		t.Fatalf("bounce not recorded: %+v", l.Alert)
	}
	{ // another kind of email: taken, recorded nowhere
		before := get()
		if res, run := inject(ack, "bounce"); res.StatusCode != 200 || run.Kind != "ack" {
			t.Fatalf("the acknowledgement's bounce: %d %+v", res.StatusCode, run)
		}
		if after := get(); after.Version != before.Version {
			t.Errorf("an acknowledgement's bounce changed the lead")
		}
	}
	if res, _ := inject("no-such-message", "bounce"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown message: %d, want 404", res.StatusCode)
	}
	if res, _ := inject(alert, "opened"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown type: %d, want 400", res.StatusCode)
	}
}

// leadOf is the lead a kept message is about (its lead tag).
func leadOf(t *testing.T, srv *Server, message string) string {
	t.Helper()
	for _, m := range srv.Outbox.Sent() {
		if m.ID == message && strings.TrimSpace(m.Tags["lead"]) != "" {
			return m.Tags["lead"]
		}
	}
	t.Fatalf("message %s names no lead", message)
	return ""
}
