package local

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
)

// TestAlertLimitOnMakeDev is issue 27's acceptance: on make dev with
// ALERT_LIMIT=3/1h, 8 requests in the hour are all stored and in the
// signed-in inbox, at most 3 individual alerts (with their
// acknowledgements and texts) went out, and one summary email says more
// arrived, linking to the inbox. The sign-in code still went out, and the
// digest lists the five held back as such.
func TestAlertLimitOnMakeDev(t *testing.T) {
	srv, base := serveFrom(t, map[string]string{
		"ALERT_LIMIT": "3/1h", "ACK_EMAIL": "true", "STAFF_SMS": "+12025550188", "FOLLOW_UP_AFTER": "1ms",
	}, slog.New(slog.DiscardHandler), nil, mondayMorning(t))
	visitors := client("127.0.0.11")
	for i := 1; i <= 8; i++ {
		// Eight patients (each their own number and address: one patient's
		// requests would be one row of the inbox).
		body := fmt.Sprintf(`{"name":"Flood%d Visitor","phone":"(202) 555-01%02d","email":"flood%d@example.com","consent":true,"elapsedMs":9000}`, i, 40+i, i)
		if status, _, err := postLead(visitors, base, body); err != nil || status != http.StatusCreated {
			t.Fatalf("request %d: %d %v, want 201", i, status, err)
		}
	}
	srv.stream.wait()

	kinds := map[string]int{}
	var summaries []string
	for _, m := range srv.Outbox.Sent() {
		kinds[m.Tags[sesmail.TagKind]]++
		if strings.HasPrefix(m.Subject, "Alerts paused: ") {
			summaries = append(summaries, m.Subject+"\n"+m.Text)
		}
	}
	if kinds[sesmail.KindAlert] > 3 || kinds[sesmail.KindAck] > 3 {
		t.Errorf("%d alerts and %d acknowledgements went out, want at most 3 each", kinds[sesmail.KindAlert], kinds[sesmail.KindAck])
	}
	if n := len(srv.Texts.Texts()); n > 3 {
		t.Errorf("%d texts went out, want at most 3", n)
	}
	if len(summaries) != 1 {
		t.Fatalf("%d summary emails, want 1: %q", len(summaries), summaries)
	}
	for _, want := range []string{"Alerts paused: 4 appointment requests since ", "(3 per hour, ALERT_LIMIT)", base + "/staff\n"} {
		if !strings.Contains(summaries[0], want) {
			t.Errorf("the summary lacks %q:\n%s", want, summaries[0])
		}
	}
	if n := leadCount(t, srv); n != 8 {
		t.Errorf("%d leads stored, want 8", n)
	}

	// Sign-in codes are not held back: staff sign in, and the inbox lists
	// all eight.
	desk := signedIn(t, srv, base)
	res, err := desk.Get(base + "/staff")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("inbox: %v %v", err, res)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for i := 1; i <= 8; i++ {
		if who := fmt.Sprintf("Flood%d Visitor", i); !strings.Contains(string(page), who) {
			t.Errorf("%s is not in the inbox", who)
		}
	}

	// The next digest (Monday 8:00) lists all eight, five as held back.
	if n := runFollowUp(t, base, mondayMorning(t).Add(time.Hour)); n != 1 {
		t.Fatalf("%d digests, want 1", n)
	}
	sent := srv.Outbox.Sent()
	digest := sent[len(sent)-1].Text
	if n := strings.Count(digest, "held back by the alert limit"); n != 5 {
		t.Errorf("the digest says %d alerts were held back, want 5:\n%s", n, digest)
	}
}
