package notify

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/fn/submit"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
	"github.com/openclinic/leadhandler/internal/ratelimit"
)

// wireLeads are submitted through the real submit handler into moto.
var wireLeads = []string{
	`{"submissionId":"11111111-2222-4333-8444-555555555555","name":"Siobhán O'Brien-Núñez","phone":"(202) 555-0143",` +
		`"email":"siobhan@example.com","reason":"<script>alert(1)</script> & sciatica","consent":true,"elapsedMs":9000}`,
	`{"submissionId":"66666666-7777-4888-9999-aaaaaaaaaaaa","name":"山田 太郎","email":"taro@example.jp",` +
		`"preferredContact":"email","consent":true,"elapsedMs":9000}`,
}

// TestAgainstEmulators: leads submitted through the real submit path into
// moto, their real stream records, and the alerts as an SES emulator
// receives them.
func TestAgainstEmulators(t *testing.T) {
	moto := testenv.Moto(t)
	ses := testenv.SESLocal(t)
	awsCfg := testenv.AWSConfig(t, moto)
	db := dynamodb.NewFromConfig(awsCfg)
	testenv.CreateTable(t, db, "leads")
	store := ddb.New(db, "leads")
	ctx := context.Background()

	sub, err := submit.New(config.Submit{
		Table: "leads", AllowedOrigins: []string{testenv.ClinicSite},
		RateLimit: ratelimit.Limit{Count: 5, Window: time.Hour}, RateLimitSalt: []byte("s"),
		Retention: 365 * 24 * time.Hour, PhoneRegion: "US", ConsentVersion: "1", MinFillTime: 2 * time.Second,
	}, store, nil, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range wireLeads {
		res, _ := sub.Handle(ctx, testenv.HTTPEvent(t, "application/json", body))
		if res.StatusCode != 201 {
			t.Fatalf("submit: %d %s", res.StatusCode, res.Body)
		}
	}
	batch := testenv.StreamEvent(t, moto, db, "leads")
	if len(batch.Records) < 2 {
		t.Fatalf("%d stream records, want at least the 2 leads", len(batch.Records))
	}

	sesAPI := sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(ses) })
	var logs bytes.Buffer
	signer, _ := link.NewSigner(secret)
	h := New(testConfig(), store, sesmail.New(sesAPI), signer, slog.New(slog.NewJSONHandler(&logs, nil)), func() time.Time { return now })

	res, err := h.Handle(ctx, batch)
	if err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("Handle: %v, failures %v", err, res.BatchItemFailures)
	}
	sent := testenv.SentEmails(t, ses)
	if len(sent) != 2 {
		t.Fatalf("the SES emulator got %d emails, want one per lead", len(sent))
	}
	for _, m := range sent {
		if m.From != `"Relief Physical Therapy" <alerts@example-clinic.com>` ||
			strings.Join(m.Destination.To, ",") != "frontdesk@example-clinic.com,dr.lee@example-clinic.com" {
			t.Errorf("From %q, To %v", m.From, m.Destination.To)
		}
		if len(m.ReplyTo) != 0 { // a reply would quote the staff link to the patient
			t.Errorf("%q: Reply-To %v", m.Subject, m.ReplyTo)
		}
		if m.Body.Text == "" || m.Body.HTML == "" {
			t.Errorf("%q: a part is missing (text %d bytes, html %d bytes)", m.Subject, len(m.Body.Text), len(m.Body.HTML))
		}
		switch {
		case strings.Contains(m.Subject, "Siobhán prefers a phone call"):
			if strings.Contains(m.Body.HTML, "<script>") || !strings.Contains(m.Body.HTML, "&lt;script&gt;") {
				t.Error("the reason reached the HTML part unescaped")
			}
			if !strings.Contains(m.Body.HTML, `href="tel:&#43;12025550143"`) {
				t.Error("no tel: link")
			}
		case strings.Contains(m.Subject, "山田 prefers an email"):
			if !strings.Contains(m.Body.HTML, `href="mailto:taro@example.jp?subject=`) {
				t.Error("no reply link to the patient")
			}
		default:
			t.Errorf("unexpected subject %q", m.Subject)
		}
	}
	for _, id := range []string{"11111111-2222-4333-8444-555555555555", "66666666-7777-4888-9999-aaaaaaaaaaaa"} {
		l, err := store.Get(ctx, id, now)
		if err != nil || l.Alert == nil || l.Alert.MessageID == "" {
			t.Errorf("lead %s: alert recorded as %+v (%v)", id, l.Alert, err)
		}
	}

	t.Run("a redelivered batch sends nothing new", func(t *testing.T) {
		res, err := h.Handle(ctx, batch)
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("Handle: %v, failures %v", err, res.BatchItemFailures)
		}
		if n := len(testenv.SentEmails(t, ses)); n != 2 {
			t.Errorf("%d emails after redelivery, want still 2", n)
		}
	})

	t.Run("SES unreachable: every lead fails, nothing is marked", func(t *testing.T) {
		testenv.CreateTable(t, db, "leads2")
		store2 := ddb.New(db, "leads2")
		var ids []string
		for i := range 3 {
			l := lead.New(strings.Repeat(string(rune('a'+i)), 8)+"-0000-4000-8000-000000000000",
				lead.Request{Name: "Pat", Email: "pat@example.com", PreferredContact: lead.ByEmail, PreferredTime: lead.AnyTime, ConsentVersion: "1"},
				now, time.Hour)
			if err := store2.Save(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, l.ID)
		}
		batch := testenv.StreamEvent(t, moto, db, "leads2")
		down := sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) {
			o.BaseEndpoint = aws.String("http://127.0.0.1:" + itoa(testenv.FreePort(t)))
			o.RetryMaxAttempts = 1
		})
		h := New(testConfig(), store2, sesmail.New(down), signer, slog.New(slog.NewJSONHandler(&logs, nil)), func() time.Time { return now })
		res, err := h.Handle(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		var leadSeqs []string
		for _, r := range batch.Records {
			if ddb.IsLead(r.Change.NewImage) {
				leadSeqs = append(leadSeqs, r.Change.SequenceNumber)
			}
		}
		var failed []string
		for _, f := range res.BatchItemFailures {
			failed = append(failed, f.ItemIdentifier)
		}
		if strings.Join(failed, ",") != strings.Join(leadSeqs, ",") || len(failed) != 3 {
			t.Errorf("failures %v, want every lead record %v", failed, leadSeqs)
		}
		for _, id := range ids {
			if l, err := store2.Get(ctx, id, now); err != nil || l.Alert != nil {
				t.Errorf("lead %s: alert %+v (%v), want none", id, l.Alert, err)
			}
		}
	})

	for _, p := range []string{"Siobhán", "O'Brien", "siobhan@", "山田", "taro@", "sciatica", "2025550143", "pat@example.com"} {
		if strings.Contains(logs.String(), p) {
			t.Errorf("personal data %q in the logs:\n%s", p, logs.String())
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
