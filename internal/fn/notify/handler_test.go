package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/openclinic/leadhandler/internal/adapter/sesmail"
	"github.com/openclinic/leadhandler/internal/config"
	"github.com/openclinic/leadhandler/internal/dev/outbox"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
	"github.com/openclinic/leadhandler/internal/link"
)

var (
	now    = time.Date(2026, 11, 27, 14, 21, 0, 0, time.UTC)
	secret = []byte("0123456789abcdef0123456789abcdef")
)

func testConfig() config.Notify {
	eastern, _ := time.LoadLocation("America/New_York")
	return config.Notify{
		Mail: config.Mail{
			Table:         "leads",
			ClinicName:    "Relief Physical Therapy",
			ClinicEmails:  []string{"frontdesk@example-clinic.com", "dr.lee@example-clinic.com"},
			SenderEmail:   "alerts@example-clinic.com",
			TimeZone:      eastern,
			PublicBaseURL: "https://api.example-clinic.com",
			LinkTTL:       14 * 24 * time.Hour,
		},
		ClinicPhone: "(202) 555-0100",
		Concurrency: 4,
		Guard:       config.Guard{SLA: 15 * time.Minute, Hours: defaultHours(eastern)},
	}
}

// defaultHours is hours.Default in loc, as config reads an unset
// OPENING_HOURS.
func defaultHours(loc *time.Location) hours.Hours {
	h, err := hours.Parse(hours.Default, loc)
	if err != nil {
		panic(err)
	}
	return h
}

type fixture struct {
	h     *Handler
	store *storetest.MemStore
	out   *outbox.Outbox
	logs  *bytes.Buffer
	leads []lead.Lead
}

func newFixture(t *testing.T, change func(*config.Notify)) *fixture {
	t.Helper()
	cfg := testConfig()
	if change != nil {
		change(&cfg)
	}
	signer, err := link.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: storetest.NewMemStore(), out: &outbox.Outbox{}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.h = New(cfg, f.store, sesmail.New(f.out), signer, log, func() time.Time { return now })
	t.Cleanup(func() {
		for _, l := range f.leads {
			for _, p := range []string{l.Name, l.Email, l.Phone, l.Reason} {
				if p != "" && strings.Contains(f.logs.String(), p) {
					t.Errorf("personal data %q in the logs:\n%s", p, f.logs)
				}
			}
		}
	})
	return f
}

// add stores n leads and returns the stream batch inserting them.
func (f *fixture) add(t *testing.T, n int) events.DynamoDBEvent {
	t.Helper()
	var e events.DynamoDBEvent
	for i := range n {
		l := storetest.Lead(now.Add(-time.Minute))
		l.Name = fmt.Sprintf("Patient%c Number%d", 'A'+i, i)
		l.Email = fmt.Sprintf("patient%d@example.com", i)
		if err := f.store.Save(context.Background(), l, nil); err != nil {
			t.Fatal(err)
		}
		f.leads = append(f.leads, l)
		e.Records = append(e.Records, insert(t, l, fmt.Sprintf("%d00", i+1)))
	}
	return e
}

// insert is the stream record of l's insertion, as the store writes it.
func insert(t *testing.T, l lead.Lead, seq string) events.DynamoDBEventRecord {
	t.Helper()
	b, err := json.Marshal(imageOf(t, l))
	if err != nil {
		t.Fatal(err)
	}
	var img map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &img); err != nil {
		t.Fatal(err)
	}
	return events.DynamoDBEventRecord{
		EventID: "ev-" + seq, EventName: "INSERT", EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{NewImage: img, SequenceNumber: seq, StreamViewType: "NEW_IMAGE"},
	}
}

// imageOf writes l as DynamoDB JSON, the way the store stores it.
func imageOf(t *testing.T, l lead.Lead) map[string]map[string]any {
	t.Helper()
	av, err := attributevalue.MarshalMap(map[string]any{
		"pk": "lead#" + l.ID, "kind": "lead", "id": l.ID, "status": string(l.Status), "pending": "new",
		"createdAt": l.CreatedAt.Format("2006-01-02T15:04:05.000000Z"), "name": l.Name, "phone": l.Phone,
		"email": l.Email, "preferredContact": string(l.PreferredContact), "preferredTime": string(l.PreferredTime),
		"reason": l.Reason, "consentAt": l.CreatedAt.Format("2006-01-02T15:04:05.000000Z"),
		"consentVersion": l.Consent.Version, "expiresAt": l.ExpiresAt.Unix(),
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for k, v := range av {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = map[string]any{"S": v.Value}
		case *types.AttributeValueMemberN:
			out[k] = map[string]any{"N": v.Value}
		}
	}
	return out
}

func (f *fixture) handle(t *testing.T, e events.DynamoDBEvent) []string {
	t.Helper()
	res, err := f.h.Handle(context.Background(), e)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	var failed []string
	for _, b := range res.BatchItemFailures {
		failed = append(failed, b.ItemIdentifier)
	}
	return failed
}

func TestAlertPerLead(t *testing.T) {
	f := newFixture(t, nil)
	if failed := f.handle(t, f.add(t, 3)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if len(f.out.Sent()) != 3 {
		t.Fatalf("%d emails sent, want 3", len(f.out.Sent()))
	}
	byLead := map[string]outbox.Sent{}
	for _, m := range f.out.Sent() {
		byLead[m.Tags["lead"]] = m
	}
	for _, l := range f.leads {
		m, ok := byLead[l.ID]
		if !ok {
			t.Fatalf("no alert about %s", l.ID)
		}
		if len(m.ReplyTo) != 0 {
			t.Errorf("Reply-To %v: a reply would quote the staff link to the patient", m.ReplyTo)
		}
		if want := `href="mailto:` + l.Email + `?subject=`; !strings.Contains(m.HTML, want) || !strings.Contains(m.HTML, ">Reply to "+l.FirstName()+"</a>") {
			t.Errorf("no Reply to %s link (%s) in the alert", l.FirstName(), want)
		}
		if diff := cmp.Diff(m.To, testConfig().ClinicEmails); diff != "" {
			t.Errorf("To (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(m.Tags, map[string]string{"lead": l.ID, "kind": "alert"}); diff != "" {
			t.Errorf("tags (-got +want):\n%s", diff)
		}
		if m.From.Name != "Relief Physical Therapy" || m.From.Address != "alerts@example-clinic.com" {
			t.Errorf("From = %v", m.From)
		}
		if want := "Appointment request: " + l.FirstName() + " prefers a phone call"; m.Subject != want {
			t.Errorf("subject %q, want %q", m.Subject, want)
		}
		if !strings.Contains(m.Text, "https://api.example-clinic.com/leads/"+l.ID+"?t=") || !strings.Contains(m.HTML, l.Reason[:10]) {
			t.Errorf("alert lacks the staff link or the reason:\n%s", m.Text)
		}
		got, err := f.store.Get(context.Background(), l.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Alert == nil || !got.Alert.At.Equal(now) || !strings.HasPrefix(got.Alert.MessageID, "outbox-") {
			t.Errorf("alert of %s recorded as %+v", l.ID, got.Alert)
		}
	}
}

// TestVisitorTextStaysOutOfTheSubject: a name that reads as a link
// reaches the alert's body (escaped) but not its subject.
func TestVisitorTextStaysOutOfTheSubject(t *testing.T) {
	f := newFixture(t, nil)
	l := storetest.Lead(now.Add(-time.Minute))
	l.Name = "clinic-login.example.net/verify Smith"
	if err := f.store.Save(context.Background(), l, nil); err != nil {
		t.Fatal(err)
	}
	if failed := f.handle(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{insert(t, l, "100")}}); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	sent := f.out.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d emails, want the alert", len(sent))
	}
	if got, want := sent[0].Subject, "Appointment request: a visitor prefers a phone call"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if !strings.Contains(sent[0].Text, "Name:      clinic-login.example.net/verify Smith") {
		t.Errorf("the alert's text does not show the name as written:\n%s", sent[0].Text)
	}
}

func TestStaffLinkVerifies(t *testing.T) {
	f := newFixture(t, nil)
	f.handle(t, f.add(t, 1))
	text := f.out.Sent()[0].Text
	i := strings.Index(text, "?t=")
	token := strings.Fields(text[i+3:])[0]
	signer, _ := link.NewSigner(secret)
	expires, err := signer.Verify(token, link.PurposeStaff, f.leads[0].ID, now, 14*24*time.Hour)
	if err != nil {
		t.Fatalf("the emailed token does not verify: %v", err)
	}
	if !expires.Equal(now.Add(14 * 24 * time.Hour)) {
		t.Errorf("expires %v, want LINK_TTL from now", expires)
	}
}

func TestRedeliveredBatchSendsNothingNew(t *testing.T) {
	f := newFixture(t, nil)
	batch := f.add(t, 2)
	f.handle(t, batch)
	if failed := f.handle(t, batch); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if n := len(f.out.Sent()); n != 2 {
		t.Errorf("%d emails after a redelivery, want 2", n)
	}
}

func TestAFailedSendFailsOnlyItsRecord(t *testing.T) {
	f := newFixture(t, nil)
	batch := f.add(t, 3)
	bad := f.leads[1]
	f.out.Fail = func(m sesmail.Message) bool { return m.Tags[sesmail.TagLead] == bad.ID }
	failed := f.handle(t, batch)
	if diff := cmp.Diff(failed, []string{"200"}); diff != "" {
		t.Fatalf("failures (-got +want):\n%s", diff)
	}
	if n := len(f.out.Sent()); n != 2 {
		t.Errorf("%d emails sent, want the other 2", n)
	}
	got, _ := f.store.Get(context.Background(), bad.ID, now)
	if got.Alert != nil {
		t.Error("a lead whose alert failed is marked alerted")
	}
	// Lambda redelivers from the failure on: now SES works again.
	f.out.Fail = nil
	if failed := f.handle(t, events.DynamoDBEvent{Records: batch.Records[1:]}); len(failed) != 0 {
		t.Fatalf("retry failures %v", failed)
	}
	if n := len(f.out.Sent()); n != 3 {
		t.Errorf("%d emails after the retry, want 3 (one per lead)", n)
	}
}

func TestOnlyNewLeadsAreHandled(t *testing.T) {
	f := newFixture(t, nil)
	batch := f.add(t, 1)
	l := f.leads[0]

	sample, err := os.ReadFile(filepath.Join(testenv.Root(t), "infra/events/dynamodb-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var aws events.DynamoDBEvent
	if err := json.Unmarshal(sample, &aws); err != nil {
		t.Fatal(err)
	}
	modify := insert(t, l, "900")
	modify.EventName = "MODIFY"
	counter := insert(t, l, "901")
	counter.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"pk": events.NewStringAttribute("rate#abc#1"), "kind": events.NewStringAttribute("rate"), "hits": events.NewNumberAttribute("1"),
	}
	keysOnly := insert(t, l, "902") // moto writes one before an update's full image
	keysOnly.Change.NewImage = map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("rate#abc#2")}

	e := events.DynamoDBEvent{Records: append(aws.Records, modify, counter, keysOnly)}
	if failed := f.handle(t, e); len(failed) != 0 || len(f.out.Sent()) != 0 {
		t.Fatalf("non-lead records: failures %v, %d emails; want none", failed, len(f.out.Sent()))
	}
	if failed := f.handle(t, batch); len(failed) != 0 || len(f.out.Sent()) != 1 {
		t.Fatalf("the lead: failures %v, %d emails; want one email", failed, len(f.out.Sent()))
	}
}

func TestMalformedRecordFailsAlone(t *testing.T) {
	f := newFixture(t, nil)
	batch := f.add(t, 2)
	bad := insert(t, f.leads[0], "150")
	bad.Change.NewImage["createdAt"] = events.NewStringAttribute("yesterday")
	batch.Records = []events.DynamoDBEventRecord{batch.Records[0], bad, batch.Records[1]}
	if diff := cmp.Diff(f.handle(t, batch), []string{"150"}); diff != "" {
		t.Errorf("failures (-got +want):\n%s", diff)
	}
	if n := len(f.out.Sent()); n != 2 {
		t.Errorf("%d emails, want 2", n)
	}
}

func TestAcknowledgement(t *testing.T) {
	t.Run("off: only the alert", func(t *testing.T) {
		f := newFixture(t, nil) // Ack false; config's default is true (TestAckEmailIsOnByDefault)
		f.handle(t, f.add(t, 1))
		if n := len(f.out.Sent()); n != 1 {
			t.Errorf("%d emails, want only the alert", n)
		}
	})
	t.Run("on: once, to the visitor, replying to the clinic", func(t *testing.T) {
		f := newFixture(t, func(c *config.Notify) { c.Ack = true })
		batch := f.add(t, 1)
		f.handle(t, batch)
		f.handle(t, batch)
		if n := len(f.out.Sent()); n != 2 {
			t.Fatalf("%d emails, want the alert and one acknowledgement", n)
		}
		ack := f.out.Sent()[1]
		l := f.leads[0]
		if diff := cmp.Diff([][]string{ack.To, ack.ReplyTo}, [][]string{{l.Email}, {"frontdesk@example-clinic.com"}}); diff != "" {
			t.Errorf("To, Reply-To (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(ack.Tags, map[string]string{"lead": l.ID, "kind": "ack"}); diff != "" {
			t.Errorf("tags (-got +want):\n%s", diff)
		}
		if strings.Contains(ack.Text, l.Reason[:10]) || strings.Contains(ack.HTML, l.Reason[:10]) {
			t.Error("the acknowledgement echoes the reason")
		}
		got, _ := f.store.Get(context.Background(), l.ID, now)
		if got.Ack == nil || got.Ack.MessageID != "outbox-2" {
			t.Errorf("acknowledgement recorded as %+v", got.Ack)
		}
	})
	t.Run("on: says when to expect the call, offers booking, and the alert says so", func(t *testing.T) {
		f := newFixture(t, func(c *config.Notify) {
			c.Ack = true
			c.BookingURL = "https://book.example.com/new"
			// Open only on Saturdays: the request (Friday 9:20 AM in New
			// York) is answered tomorrow.
			h, err := hours.Parse("Sat 09:00-13:00", c.TimeZone)
			if err != nil {
				t.Fatal(err)
			}
			c.Guard.Hours = h
		})
		f.handle(t, f.add(t, 1))
		sent := f.out.Sent()
		if len(sent) != 2 {
			t.Fatalf("%d emails, want the alert and the acknowledgement", len(sent))
		}
		alert, ack := sent[0], sent[1]
		for _, want := range []string{"We're closed now; expect our call tomorrow from 9:00 AM.", "To reach us sooner, call (202) 555-0100.", "Prefer to pick a time yourself? Book online: https://book.example.com/new"} {
			if !strings.Contains(ack.Text, want) {
				t.Errorf("the acknowledgement does not say %q:\n%s", want, ack.Text)
			}
		}
		if !strings.Contains(ack.HTML, `<a href="https://book.example.com/new"`) {
			t.Errorf("the acknowledgement does not link the booking page:\n%s", ack.HTML)
		}
		if !strings.Contains(alert.Text, "Offered online booking (https://book.example.com/new)") {
			t.Errorf("the alert does not say online booking was offered:\n%s", alert.Text)
		}
	})
	t.Run("on, SES refuses it (the sandbox): logged, the record does not fail", func(t *testing.T) {
		f := newFixture(t, func(c *config.Notify) { c.Ack = true })
		f.h.sender = refuseAcks{f.h.sender}
		if failed := f.handle(t, f.add(t, 1)); len(failed) != 0 {
			t.Errorf("records %v failed: the stream would hold up the leads behind them", failed)
		}
		if n := len(f.out.Sent()); n != 1 {
			t.Errorf("%d emails, want the alert", n)
		}
		if !strings.Contains(f.logs.String(), `"msg":"acknowledgement not sent: SES refused it"`) || !strings.Contains(f.logs.String(), `"reason":"SES MessageRejected"`) {
			t.Errorf("no log line of the refused acknowledgement:\n%s", f.logs)
		}
	})
	t.Run("on, but the visitor gave no email", func(t *testing.T) {
		f := newFixture(t, func(c *config.Notify) { c.Ack = true })
		l := storetest.Lead(now)
		l.Email = ""
		f.store.Save(context.Background(), l, nil)
		f.handle(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{insert(t, l, "100")}})
		if n := len(f.out.Sent()); n != 1 {
			t.Errorf("%d emails, want only the alert", n)
		}
	})
}

func TestMinimalDetail(t *testing.T) {
	f := newFixture(t, func(c *config.Notify) { c.MinimalDetail = true })
	f.handle(t, f.add(t, 1))
	m := f.out.Sent()[0]
	if reason := f.leads[0].Reason[:10]; strings.Contains(m.Text, reason) || strings.Contains(m.HTML, reason) {
		t.Error("EMAIL_DETAIL=minimal, yet the alert carries the reason")
	}
}

// refuseAcks is SES in the sandbox: acknowledgements, to addresses nobody
// verified, are rejected.
type refuseAcks struct{ Sender }

func (r refuseAcks) Send(ctx context.Context, m sesmail.Message) (string, error) {
	if m.Tags[sesmail.TagKind] == sesmail.KindAck {
		return "", &smithy.GenericAPIError{Code: "MessageRejected", Message: "Email address is not verified. The following identities failed the check in region US-EAST-1: " + m.To[0]}
	}
	return r.Sender.Send(ctx, m)
}
