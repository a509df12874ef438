package local

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/dev/outbox"
)

// ackTo waits, at most 15 seconds, for the acknowledgement to address, and
// the request's alert: the local stream hands each new lead to notify at
// once, as the table's stream does on AWS.
func ackTo(t *testing.T, srv *Server, address string) (ack, alert outbox.Sent) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second) // wall clock: the acceptance's 15 seconds are real ones
	for time.Now().Before(deadline) {            // wall clock: as above
		for _, m := range srv.Outbox.Sent() {
			switch m.Tags["kind"] {
			case "ack":
				if len(m.To) == 1 && m.To[0] == address {
					ack = m
				}
			case "alert":
				alert = m
			}
		}
		if ack.ID != "" && alert.ID != "" {
			return ack, alert
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no acknowledgement to %s (and alert) within 15 s: %+v", address, srv.Outbox.Sent())
	return
}

// sendCaller posts a request from Pat, who gave a phone number and an
// email address and asked for a call in the morning.
func sendCaller(t *testing.T, base string) {
	t.Helper()
	body := `{"name":"Pat Smith","phone":"(202) 555-0143","email":"pat@example.com","preferredContact":"phone","preferredTime":"morning","consent":true,"elapsedMs":60000}`
	res, err := http.Post(base+"/leads", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d", res.StatusCode)
	}
}

// TestAckOnMakeDevDefaults: with make dev's own settings and nothing else
// (ACK_EMAIL unset), a request with an email address gets an
// acknowledgement at that address within 15 seconds, saying when to expect
// the call (a Monday at 10:00 in New York, the clinic open Mon-Fri
// 8:00-18:00 by default, RESPONSE_SLA 15 minutes) and giving the clinic's
// number.
func TestAckOnMakeDevDefaults(t *testing.T) {
	srv, base := serveFrom(t, nil, slog.New(slog.DiscardHandler), nil, mondayMorning(t).Add(3*time.Hour))
	sendCaller(t, base)
	ack, _ := ackTo(t, srv, "pat@example.com")
	for _, want := range []string{"Hello Pat,", "request for a phone call in the morning.", "We'll call you within 15 minutes.", "To reach us sooner, call (555) 010-0100."} {
		if !strings.Contains(ack.Text, want) {
			t.Errorf("the acknowledgement does not say %q:\n%s", want, ack.Text)
		}
	}
	if strings.Contains(ack.Text, "Book online") {
		t.Errorf("without BOOKING_URL the acknowledgement offers online booking:\n%s", ack.Text)
	}
}

// TestAckNamesTheOnlyOpeningDay: with OPENING_HOURS tomorrow's weekday
// only, the acknowledgement of a request made today says the call comes
// tomorrow, from its opening.
func TestAckNamesTheOnlyOpeningDay(t *testing.T) {
	today := mondayMorning(t).Add(3 * time.Hour)
	tomorrow := today.AddDate(0, 0, 1).Weekday().String()[:3]
	srv, base := serveFrom(t, map[string]string{"OPENING_HOURS": tomorrow + " 09:00-17:00"}, slog.New(slog.DiscardHandler), nil, today)
	sendCaller(t, base)
	ack, _ := ackTo(t, srv, "pat@example.com")
	if want := "We're closed now; expect our call tomorrow from 9:00 AM."; !strings.Contains(ack.Text, want) {
		t.Errorf("the acknowledgement does not say %q:\n%s", want, ack.Text)
	}
}

// TestAckOffersBooking: with BOOKING_URL the acknowledgement carries the
// link (in both parts), and the alert tells staff it was offered.
func TestAckOffersBooking(t *testing.T) {
	const booking = "https://book.example.com/new"
	srv, base := serveFrom(t, map[string]string{"BOOKING_URL": booking}, slog.New(slog.DiscardHandler), nil, mondayMorning(t))
	sendCaller(t, base)
	ack, alert := ackTo(t, srv, "pat@example.com")
	if want := "Prefer to pick a time yourself? Book online: " + booking; !strings.Contains(ack.Text, want) {
		t.Errorf("the acknowledgement's text does not say %q:\n%s", want, ack.Text)
	}
	if want := `<a href="` + booking + `"`; !strings.Contains(ack.HTML, want) {
		t.Errorf("the acknowledgement's HTML does not link %s:\n%s", booking, ack.HTML)
	}
	if want := "Offered online booking (" + booking + ")"; !strings.Contains(alert.Text, want) {
		t.Errorf("the alert does not say %q:\n%s", want, alert.Text)
	}
}
