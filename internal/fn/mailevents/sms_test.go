package mailevents

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/openclinic/leadhandler/internal/adapter/sms"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

// TestBouncedAlertIsTexted: with STAFF_SMS a bounced alert (a rejected one
// takes the same branch) goes out at once as a text (the request number, a
// staff link that verifies), once however often SES's event comes; a
// delivered one does not; the text holds no patient detail, not even a
// name, and the logs no number.
func TestBouncedAlertIsTexted(t *testing.T) {
	now := time.Date(2026, 11, 27, 14, 21, 0, 0, time.UTC)
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		file  string
		texts int
	}{{"ses-bounce.json", 1}, {"ses-delivery.json", 0}} {
		t.Run(tc.file, func(t *testing.T) {
			store := storetest.NewMemStore()
			l := storetest.Lead(now.Add(-time.Hour))
			if err := store.Save(context.Background(), l, nil); err != nil {
				t.Fatal(err)
			}
			if err := store.MarkAlerted(context.Background(), l.ID, lead.Delivery{At: l.CreatedAt, MessageID: sampleMessageID}); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			signer, err := link.NewSigner(secret)
			if err != nil {
				t.Fatal(err)
			}
			m := &sms.Memory{}
			numbers := []string{"+12025550199"}
			cfg := config.MailEvents{ClinicName: "Relief Physical Therapy", PublicBaseURL: "https://api.example-clinic.com", LinkTTL: 72 * time.Hour, StaffSMS: numbers}
			h := New(store, log).WithSMS(cfg, sms.New(m, numbers, log), store, signer, func() time.Time { return now })
			for range 2 { // SES's event, then a redelivery of it
				if err := h.Handle(context.Background(), testenv.SESEvent(t, tc.file, l.ID, "alert")); err != nil {
					t.Fatal(err)
				}
			}
			texts := m.Texts()
			if len(texts) != tc.texts {
				t.Fatalf("%d texts, want %d: %+v", len(texts), tc.texts, texts)
			}
			if tc.texts == 0 {
				return
			}
			body := texts[0].Body
			if want := "Relief Physical Therapy: the alert email for request " + l.Number() + " did not arrive. "; !strings.HasPrefix(body, want) {
				t.Errorf("text %q, want it to start %q", body, want)
			}
			url := body[strings.LastIndex(body, " ")+1:]
			prefix := "https://api.example-clinic.com/leads/" + l.ID + "?t="
			if !strings.HasPrefix(url, prefix) {
				t.Fatalf("link %q", url)
			}
			if _, err := signer.Verify(strings.TrimPrefix(url, prefix), link.PurposeStaff, l.ID, now, 72*time.Hour); err != nil {
				t.Errorf("the text's link does not verify: %v", err)
			}
			for _, p := range append([]string{l.Email, l.Phone, l.PhoneDisplay, l.Reason}, strings.Fields(l.Name)...) { // no name at all
				if strings.TrimSpace(p) != "" && strings.Contains(body, strings.TrimSpace(p)) {
					t.Errorf("patient detail %q in the text", p)
				}
			}
			if strings.Contains(logs.String(), "2025550199") {
				t.Errorf("a number in the logs:\n%s", logs.String())
			}
		})
	}
}
